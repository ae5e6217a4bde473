//! The `opt-out` action (contract 0.2.0): recorded in the outcome and the timeline, never
//! ending the call by itself, and honoured even in the answer to the hang-up.

use super::*;

fn opt_out(reason: &str) -> Action {
    Action::OptOut {
        reason: reason.into(),
    }
}

#[test]
fn an_opt_out_is_recorded_in_the_outcome_and_the_timeline_and_the_call_goes_on() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                say("好的，以后不再打扰您", false),
                opt_out("customer asked: 不要再打了"),
                Action::Listen(Listen::default()),
            ],
            _ => vec![],
        })
    });
    block(h.session.start());
    assert!(!h.session.is_ended(), "an opt-out alone does not hang up");
    let record = h.session.record();
    assert!(record.outcome.opted_out);
    assert_eq!(
        record.outcome.opt_out_reason.as_deref(),
        Some("customer asked: 不要再打了")
    );
    assert!(
        record
            .actions()
            .any(|(_, action)| matches!(action, Action::OptOut { reason } if reason.contains("不要再打了"))),
        "{:?}",
        record.timeline
    );
}

#[test]
fn an_opt_out_in_the_answer_to_the_hang_up_is_still_recorded() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::HangUp(_) => vec![opt_out("")],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session.hang_up(1_000, "customer-hung-up").await;
    });
    let outcome = &h.session.record().outcome;
    assert!(outcome.opted_out);
    assert_eq!(outcome.opt_out_reason.as_deref(), Some(""));
}

#[test]
fn a_call_without_an_opt_out_is_not_opted_out() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![Action::HangUp {
                reason: "done".into(),
            }],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session.advance(1_000).await;
    });
    assert!(h.session.is_ended());
    assert!(!h.session.record().outcome.opted_out);
}
