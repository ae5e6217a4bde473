//! The scenarios in `scenarios/`, replayed natively against the dialogue logic.

use super::PaymentReminder;
use huashu_sdk::prelude::*;
use huashu_sdk::testing::{Conversation, said};

fn confirmed() -> Conversation<PaymentReminder> {
    let mut call = Conversation::new()
        .var("name", "王芳")
        .var("amount", "3000")
        .var("due_date", "2026-11-25")
        .var("agent_queue", "collections-vip");
    let out = call.start();
    assert!(said(&out)[0].contains("请问是王芳本人吗"));
    let out = call.customer_says("是我，什么事？");
    let text = said(&out).concat();
    assert!(text.contains("3000元，还款日是11月25日"), "{text}");
    call
}

fn assert_promise(call: &Conversation<PaymentReminder>, date: &str, channel: &str) {
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(IntentLevel::A));
    assert_eq!(outcome.disposition.as_deref(), Some("promise-to-pay"));
    assert_eq!(call.field("promise_date").as_deref(), Some(date));
    assert_eq!(call.field("promise_channel").as_deref(), Some(channel));
    assert!(call.hung_up());
}

#[test]
fn spoken_dates_are_registered() {
    for (answer, date) in [
        ("明天吧", "2026-11-24"),
        ("我下周一还", "2026-11-30"),
        ("十二月五号发工资，那天还", "2026-12-05"),
        ("我马上还", "2026-11-23"),
    ] {
        let mut call = confirmed();
        let out = call.customer_says(answer);
        assert!(said(&out).concat().contains("已为您登记"), "{answer}");
        assert_promise(&call, date, "speech");
    }
}

#[test]
fn menu_keys_are_registered() {
    let mut call = confirmed();
    call.customer_presses("1");
    assert_promise(&call, "2026-11-23", "dtmf");

    let mut call = confirmed();
    call.customer_presses("2");
    assert_promise(&call, "2026-11-26", "dtmf");
}

#[test]
fn keyed_date_with_one_retry() {
    let mut call = confirmed();
    let out = call.customer_presses("3");
    assert!(said(&out).concat().contains("请输入8位还款日期"));
    let out = call.customer_presses("20261340");
    assert!(said(&out).concat().contains("您输入的日期无效"));
    call.customer_presses("20261201");
    assert_promise(&call, "2026-12-01", "dtmf");
}

#[test]
fn wrong_person_ends_with_e() {
    let mut call = Conversation::<PaymentReminder>::new().var("name", "王芳");
    call.start();
    let out = call.customer_says("不是，你打错了");
    assert!(said(&out).concat().contains("打扰您了"));
    assert_eq!(call.outcome().intent, Some(IntentLevel::E));
    assert_eq!(call.outcome().disposition.as_deref(), Some("wrong-person"));
}

#[test]
fn dispute_transfers_to_the_agent_queue() {
    let mut call = confirmed();
    let out = call.customer_says("我从来没有借过钱");
    assert!(said(&out).concat().contains("转接人工客服"));
    assert_eq!(call.transfers(), ["collections-vip"]);
    assert_eq!(call.outcome().disposition.as_deref(), Some("dispute"));
    call.transfer_result(TransferResult::Connected);
    assert!(call.outcome().tags.contains(&"transferred".to_owned()));
}

#[test]
fn transfer_counts_as_connected_when_the_host_ends_the_call_at_once() {
    let mut call = confirmed();
    call.customer_says("我要投诉");
    call.hang_up(Party::Host, "transferred");
    let outcome = call.outcome();
    assert!(outcome.tags.contains(&"transferred".to_owned()));
    assert_eq!(outcome.disposition.as_deref(), Some("dispute"));
}

#[test]
fn failed_transfer_apologises_and_hangs_up() {
    let mut call = confirmed();
    call.customer_says("金额不对，我要投诉");
    let out = call.transfer_result(TransferResult::Failed("no agent answered".into()));
    assert!(said(&out).concat().contains("暂时无法接通"));
    assert!(call.hung_up());
    let outcome = call.outcome();
    assert_eq!(outcome.disposition.as_deref(), Some("dispute"));
    assert!(outcome.tags.contains(&"transfer-failed".to_owned()));
}

#[test]
fn refusal_is_d() {
    let mut call = confirmed();
    call.customer_says("我不会还的");
    assert_eq!(call.outcome().intent, Some(IntentLevel::D));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("refused-to-pay")
    );
}

#[test]
fn past_date_is_asked_again() {
    let mut call = confirmed();
    let out = call.customer_says("11月20号");
    assert!(said(&out).concat().contains("已经过了"));
    call.customer_says("那就后天吧");
    assert_promise(&call, "2026-11-25", "speech");
}

#[test]
fn willing_without_a_day_then_month_end() {
    let mut call = confirmed();
    let out = call.customer_says("好的，我会还的");
    assert!(said(&out).concat().contains("具体哪一天"));
    call.customer_says("月底吧");
    assert_promise(&call, "2026-11-30", "speech");
}

#[test]
fn willing_without_a_day_twice_is_b() {
    let mut call = confirmed();
    call.customer_says("好的，我会还的");
    call.customer_says("尽快吧");
    assert_eq!(call.outcome().intent, Some(IntentLevel::B));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("promise-no-date")
    );
}

#[test]
fn a_low_confidence_date_is_not_registered() {
    let mut call = confirmed();
    call.customer_says_unsure("明天", 0.2);
    assert_eq!(call.field("promise_date"), None);
    assert!(!call.hung_up());
    call.customer_says("明天");
    assert_promise(&call, "2026-11-24", "speech");
}

#[test]
fn unclear_twice_is_c() {
    let mut call = confirmed();
    call.customer_says("你说什么？");
    call.customer_says("听不清");
    assert_eq!(call.outcome().intent, Some(IntentLevel::C));
    assert_eq!(call.outcome().disposition.as_deref(), Some("no-commitment"));
}

#[test]
fn silence_at_identity_twice_is_e() {
    let mut call = Conversation::<PaymentReminder>::new().var("name", "王芳");
    call.start();
    let out = call.no_input();
    assert!(said(&out).concat().contains("王芳本人"));
    call.no_input();
    assert_eq!(call.outcome().intent, Some(IntentLevel::E));
    assert_eq!(call.outcome().disposition.as_deref(), Some("no-response"));
}

#[test]
fn already_paid_is_c() {
    let mut call = confirmed();
    call.customer_says("我已经还了");
    assert_eq!(call.outcome().disposition.as_deref(), Some("claims-paid"));
}

#[test]
fn overdue_bills_say_how_many_days() {
    let mut call = Conversation::<PaymentReminder>::new()
        .var("name", "李强")
        .var("amount", "1200")
        .var("due_date", "2026-11-20");
    call.start();
    let out = call.customer_says("是的");
    assert!(
        said(&out)
            .concat()
            .contains("已于11月20日到期，目前已逾期3天")
    );
}

#[test]
fn hanging_up_after_identity_is_c() {
    let mut call = confirmed();
    call.hang_up(Party::Customer, "customer-hung-up");
    assert_eq!(call.outcome().intent, Some(IntentLevel::C));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("customer-hung-up")
    );
}
