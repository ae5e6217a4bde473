//! The scenarios in `scenarios/`, replayed natively against the dialogue logic.

use super::BirthdayCoupon;
use huashu_sdk::prelude::*;
use huashu_sdk::testing::{Conversation, said};
use huashu_sdk::{Action, HttpError};

fn call() -> Conversation<BirthdayCoupon> {
    let mut call = Conversation::new()
        .var("name", "王芳")
        .var("coupon_amount", "50");
    let out = call.start();
    assert!(said(&out)[0].contains("王芳您好"));
    assert!(said(&out)[1].contains("50元的生日优惠券"));
    call
}

fn joined(actions: &[Action]) -> String {
    said(actions).concat()
}

#[test]
fn accepts_coupon() {
    let mut call = call();
    let out = call.customer_says("好的，谢谢");
    assert_eq!(said(&out), ["好的，我这就为您发放，请稍等。"]);
    assert!(!call.hung_up(), "the call waits for the coupon service");
    call.http_json("coupon", 201, r#"{"code": "BDAY-50", "amount": 50}"#);
    assert!(call.hung_up());
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(IntentLevel::A));
    assert_eq!(outcome.disposition.as_deref(), Some("coupon-accepted"));
    assert_eq!(call.field("coupon_amount").as_deref(), Some("50"));
}

#[test]
fn accepting_asks_the_coupon_service_for_the_called_member() {
    let mut call = call();
    let out = call.customer_says("好的，谢谢");
    let [request] = call.http_requests()[..] else {
        panic!("one request: {out:?}");
    };
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://coupons.example.com/v1/coupons");
    assert_eq!(
        request.body,
        r#"{"phone":"13800138000","campaign":"birthday"}"#
    );
    assert_eq!(
        request.secret_headers,
        [("authorization".to_owned(), "coupon-api-token".to_owned())]
    );
    let position = |wanted: fn(&Action) -> bool| out.iter().position(wanted);
    assert!(
        position(|a| matches!(a, Action::Say(_)))
            < position(|a| matches!(a, Action::HttpRequest(_))),
        "the member hears \"one moment\" while the request runs: {out:?}"
    );
}

#[test]
fn the_coupon_service_url_comes_from_the_call_variable() {
    let mut call = Conversation::<BirthdayCoupon>::new()
        .var("coupon_api", "https://staging.coupons.example.com/");
    call.start();
    call.customer_says("好的");
    assert_eq!(
        call.http_requests()[0].url,
        "https://staging.coupons.example.com/v1/coupons"
    );
}

#[test]
fn an_issued_coupon_is_named_and_recorded() {
    let mut call = call();
    call.customer_says("好的，谢谢");
    let out = call.http_json("coupon", 201, r#"{"code": "BDAY-50", "amount": 50}"#);
    assert_eq!(
        said(&out),
        [
            "50元生日优惠券已经发到您的会员账户了，券码是BDAY-50，下单时自动抵扣。再次祝您生日快乐，再见！"
        ]
    );
    assert!(out.contains(&Action::CancelTimer("coupon-guard".into())));
    assert_eq!(call.field("coupon_code").as_deref(), Some("BDAY-50"));
    assert!(
        !call
            .outcome()
            .tags
            .contains(&"coupon-api-failed".to_string())
    );
}

fn assert_sms_apology(call: &Conversation<BirthdayCoupon>, out: &[Action]) {
    assert!(joined(out).contains("稍后会通过短信发给您"), "{out:?}");
    assert!(call.hung_up());
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(IntentLevel::A));
    assert_eq!(outcome.disposition.as_deref(), Some("coupon-accepted"));
    assert!(outcome.tags.contains(&"coupon-api-failed".to_string()));
    assert_eq!(call.field("coupon_code"), None);
}

#[test]
fn a_coupon_service_timeout_promises_the_coupon_by_sms() {
    let mut call = call();
    call.customer_says("好的，谢谢");
    let out = call.http_fails("coupon", HttpError::Timeout);
    assert_sms_apology(&call, &out);
}

#[test]
fn an_error_status_or_an_answer_without_a_code_promises_the_coupon_by_sms() {
    for (status, body) in [
        (500, "database unavailable"),
        (200, r#"{"queued": true}"#),
        (201, "OK"),
    ] {
        let mut call = call();
        call.customer_says("好的，谢谢");
        let out = call.http_json("coupon", status, body);
        assert_sms_apology(&call, &out);
    }
}

#[test]
fn a_refused_request_promises_the_coupon_by_sms() {
    let mut call = call();
    call.customer_says("好的，谢谢");
    let out = call.http_fails(
        "coupon",
        HttpError::Refused("https://coupons.example.com is not on the allowlist".into()),
    );
    assert_sms_apology(&call, &out);
}

#[test]
fn no_answer_at_all_ends_the_wait_at_the_guard_timer() {
    let mut call = call();
    call.customer_says("好的，谢谢");
    let out = call.send(Event::TimerFired(TimerFired {
        id: "coupon-guard".into(),
    }));
    assert_sms_apology(&call, &out);
    let late = call.http_json("coupon", 201, r#"{"code": "BDAY-50"}"#);
    assert!(late.is_empty(), "a late answer changes nothing: {late:?}");
}

#[test]
fn answers_to_other_requests_and_words_while_waiting_are_ignored() {
    let mut call = call();
    call.customer_says("好的，谢谢");
    assert!(call.http_json("other", 200, r#"{"code": "X"}"#).is_empty());
    assert!(call.customer_says("喂？").is_empty());
    assert!(!call.hung_up());
}

#[test]
fn hanging_up_while_the_coupon_is_issued_keeps_intent_a() {
    let mut call = call();
    call.customer_says("好的，谢谢");
    call.hang_up(Party::Customer, "customer-hung-up");
    assert_eq!(call.outcome().intent, Some(IntentLevel::A));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("coupon-accepted")
    );
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
    assert_eq!(out, [Action::StopPlayback]);
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
fn a_low_confidence_yes_is_asked_again_not_accepted() {
    let mut call = call();
    let out = call.customer_says_unsure("好的", 0.4);
    assert!(joined(&out).contains("没听清楚"));
    assert!(call.http_requests().is_empty());
    assert_eq!(call.outcome().intent, None);
}

#[test]
fn speech_in_a_language_without_a_recogniser_is_asked_again() {
    let mut call = call();
    let out = call.customer_not_understood(NotUnderstood::NoRecogniser("en-US".into()));
    assert!(joined(&out).contains("没听清楚"));
    assert!(!call.hung_up());
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
    let position = |wanted: fn(&Action) -> bool| out.iter().position(wanted);
    assert!(
        position(|a| matches!(a, Action::OptOut(_))) < position(|a| matches!(a, Action::HangUp(_))),
        "the opt-out comes before the hang-up: {out:?}"
    );
}

#[test]
fn a_plain_no_is_not_an_opt_out() {
    let mut call = call();
    call.customer_says("不需要，谢谢");
    assert_eq!(call.opted_out(), None);
}
