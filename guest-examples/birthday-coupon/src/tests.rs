//! The scenarios in `scenarios/`, replayed natively against the dialogue logic.

use super::BirthdayCoupon;
use huashu_sdk::prelude::*;
use huashu_sdk::testing::{Conversation, said};

fn call() -> Conversation<BirthdayCoupon> {
    let mut call = Conversation::new()
        .var("name", "王芳")
        .var("coupon_amount", "50");
    let out = call.start();
    assert!(said(&out)[0].contains("王芳您好"));
    assert!(said(&out)[1].contains("50元的生日优惠券"));
    call
}

fn joined(actions: &[huashu_sdk::Action]) -> String {
    said(actions).concat()
}

#[test]
fn accepts_coupon() {
    let mut call = call();
    let out = call.customer_says("好的，谢谢");
    assert!(joined(&out).contains("已经发到您的会员账户"));
    assert!(call.hung_up());
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(IntentLevel::A));
    assert_eq!(outcome.disposition.as_deref(), Some("coupon-accepted"));
    assert_eq!(call.field("coupon_amount").as_deref(), Some("50"));
}

#[test]
fn declines_coupon() {
    let mut call = call();
    call.customer_says("不需要，谢谢");
    assert_eq!(call.outcome().intent, Some(IntentLevel::D));
    assert!(call.hung_up());
}

#[test]
fn busy_member_gets_a_callback_with_the_day_named() {
    let mut call = call();
    call.customer_says("我在开车，明天再打给我吧");
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(IntentLevel::B));
    assert_eq!(outcome.disposition.as_deref(), Some("callback"));
    assert_eq!(call.field("callback_date").as_deref(), Some("2026-11-24"));
}

#[test]
fn who_is_this_is_explained_once_then_reoffered() {
    let mut call = call();
    let out = call.customer_says("你是谁啊？");
    assert!(joined(&out).contains("会员中心的客服"));
    assert!(!call.hung_up());
    call.customer_says("哦，那好的");
    assert_eq!(call.outcome().intent, Some(IntentLevel::A));
}

#[test]
fn silence_gets_one_reprompt_then_goodbye() {
    let mut call = call();
    let out = call.no_input();
    assert!(joined(&out).contains("还在听吗"));
    let out = call.no_input();
    assert!(joined(&out).contains("再见"));
    assert_eq!(call.outcome().intent, Some(IntentLevel::E));
    assert_eq!(call.outcome().disposition.as_deref(), Some("no-response"));
}

#[test]
fn interrupting_the_greeting_drops_the_offer_then_proceeds_with_it() {
    let mut call = call();
    let out = call.playback_finished("greeting", true);
    assert_eq!(out, [huashu_sdk::Action::StopPlayback]);
    call.playback_finished("offer", true);
    let out = call.customer_says("喂，什么事？");
    assert!(joined(&out).contains("生日优惠券"));
    call.customer_says("可以，发给我吧");
    assert_eq!(call.outcome().intent, Some(IntentLevel::A));
}

#[test]
fn interrupting_the_greeting_with_an_answer_is_handled_at_once() {
    let mut call = call();
    call.playback_finished("greeting", true);
    call.customer_says("不用了，谢谢");
    assert_eq!(call.outcome().intent, Some(IntentLevel::D));
}

#[test]
fn unclear_twice_ends_with_c() {
    let mut call = call();
    let out = call.customer_says("嗯？");
    assert!(joined(&out).contains("没听清楚"));
    call.customer_says("这个怎么说呢");
    assert_eq!(call.outcome().intent, Some(IntentLevel::C));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("no-clear-answer")
    );
}

#[test]
fn customer_hanging_up_first_is_recorded() {
    let mut call = call();
    call.hang_up(Party::Customer, "customer-hung-up");
    assert_eq!(call.outcome().intent, Some(IntentLevel::C));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("customer-hung-up")
    );
}

#[test]
fn missing_variables_have_defaults() {
    let mut call = Conversation::<BirthdayCoupon>::new();
    let out = call.start();
    assert!(said(&out)[0].starts_with("您好！"));
    assert!(said(&out)[1].contains("50元"));
}

#[test]
fn a_member_who_asks_not_to_be_called_again_is_opted_out_with_a_short_goodbye() {
    let mut call = call();
    let out = call.customer_says("不要再打了");
    assert_eq!(said(&out), ["好的，以后不会再给您打电话了。打扰了，再见！"]);
    assert!(call.hung_up());
    assert_eq!(call.opted_out(), Some("customer asked: 不要再打了"));
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(IntentLevel::D));
    assert_eq!(outcome.disposition.as_deref(), Some("do-not-call"));
    assert!(outcome.tags.contains(&"opted-out".to_string()));
    let position = |wanted: fn(&huashu_sdk::Action) -> bool| out.iter().position(wanted);
    assert!(
        position(|a| matches!(a, huashu_sdk::Action::OptOut(_)))
            < position(|a| matches!(a, huashu_sdk::Action::HangUp(_))),
        "the opt-out comes before the hang-up: {out:?}"
    );
}

#[test]
fn a_plain_no_is_not_an_opt_out() {
    let mut call = call();
    call.customer_says("不需要，谢谢");
    assert_eq!(call.opted_out(), None);
}
