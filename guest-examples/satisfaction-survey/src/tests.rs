//! The scenarios in `scenarios/`, replayed natively against the dialogue logic.

use super::SatisfactionSurvey;
use huashu_sdk::prelude::*;
use huashu_sdk::testing::{Conversation, said};

fn call() -> Conversation<SatisfactionSurvey> {
    let mut call = Conversation::new()
        .var("name", "张先生")
        .var("service", "今天上午的空调维修服务");
    let out = call.start();
    assert!(said(&out)[0].contains("请您对今天上午的空调维修服务打分"));
    call
}

fn assert_rated(call: &Conversation<SatisfactionSurvey>, rating: &str, level: IntentLevel) {
    let outcome = call.outcome();
    assert_eq!(outcome.intent, Some(level));
    assert_eq!(outcome.disposition.as_deref(), Some("rated"));
    assert_eq!(call.field("rating").as_deref(), Some(rating));
}

#[test]
fn key_five_is_a() {
    let mut call = call();
    let out = call.customer_presses("5");
    assert!(said(&out).concat().contains("感谢您的好评"));
    assert!(call.hung_up());
    assert_rated(&call, "5", IntentLevel::A);
    assert_eq!(call.field("rating_channel").as_deref(), Some("dtmf"));
}

#[test]
fn spoken_ratings_are_graded() {
    for (text, rating, level) in [
        ("非常满意", "5", IntentLevel::A),
        ("三分吧，一般般", "3", IntentLevel::B),
        ("Five.", "5", IntentLevel::A),
    ] {
        let mut call = call();
        call.customer_says(text);
        assert_rated(&call, rating, level);
        assert_eq!(call.field("rating_channel").as_deref(), Some("speech"));
        assert!(call.hung_up());
    }
}

#[test]
fn low_rating_asks_for_a_comment() {
    let mut call = call();
    let out = call.customer_presses("1");
    assert!(said(&out).concat().contains("哪方面不满意"));
    assert!(!call.hung_up());
    call.customer_says("师傅迟到了两个小时");
    assert_rated(&call, "1", IntentLevel::C);
    assert_eq!(call.field("comment").as_deref(), Some("师傅迟到了两个小时"));
    assert!(call.hung_up());
}

#[test]
fn low_rating_without_comment_still_ends_politely() {
    let mut call = call();
    call.customer_says("不满意");
    let out = call.no_input();
    assert!(said(&out).concat().contains("没关系"));
    assert_rated(&call, "2", IntentLevel::C);
}

#[test]
fn invalid_key_is_asked_again_once() {
    let mut call = call();
    let out = call.customer_presses("9");
    assert!(said(&out).concat().contains("无效按键"));
    call.customer_presses("4");
    assert_rated(&call, "4", IntentLevel::A);

    let mut call = self::call();
    call.customer_presses("0");
    call.customer_presses("*");
    assert_eq!(call.outcome().intent, Some(IntentLevel::E));
    assert_eq!(call.outcome().disposition.as_deref(), Some("no-rating"));
}

#[test]
fn silence_is_asked_again_once() {
    let mut call = call();
    let out = call.no_input();
    assert!(said(&out).concat().contains("还在听吗"));
    call.no_input();
    assert_eq!(call.outcome().intent, Some(IntentLevel::E));
    assert_eq!(call.outcome().disposition.as_deref(), Some("no-response"));
}

#[test]
fn declining_is_d() {
    let mut call = call();
    call.customer_says("不好意思，我没空");
    assert_eq!(call.outcome().intent, Some(IntentLevel::D));
    assert_eq!(
        call.outcome().disposition.as_deref(),
        Some("declined-survey")
    );
}

#[test]
fn unclear_twice_is_e() {
    let mut call = call();
    let out = call.customer_says("你们是哪家公司？");
    assert!(said(&out).concat().contains("没听清楚"));
    call.customer_says("嗯……");
    assert_eq!(call.outcome().disposition.as_deref(), Some("no-rating"));
}

#[test]
fn a_low_confidence_rating_is_asked_again() {
    let mut call = call();
    let out = call.customer_says_unsure("五分", 0.3);
    assert!(said(&out).concat().contains("没听清楚"));
    assert_eq!(call.field("rating"), None);
    call.customer_says("五分");
    assert_rated(&call, "5", IntentLevel::A);
}

#[test]
fn speech_that_was_not_understood_is_asked_again() {
    let mut call = call();
    let out = call.customer_not_understood(NotUnderstood::NoMatch);
    assert!(said(&out).concat().contains("没听清楚"));
    assert!(!call.hung_up());
}

#[test]
fn hanging_up_before_rating_is_e() {
    let mut call = call();
    call.hang_up(Party::Customer, "customer-hung-up");
    assert_eq!(call.outcome().intent, Some(IntentLevel::E));
}
