//! What an attempt's outcome means for its contact: try again at a given time, or done with
//! a result. Pure: the contact's attempt history and the clock come in, the decision comes
//! out. Whether the retry time falls inside a calling window is not decided here: the
//! dialler asks the [`calendar`](crate::calendar) when the contact comes due, and defers it
//! to the next opening if it must.
//!
//! # The rules
//!
//! - An answered call finishes the contact as answered.
//! - An invalid number is final whatever the rules say: dialling it again reaches no one.
//! - Busy, no-answer, rejected, unavailable and failed each follow their own
//!   [`RetryRule`](huashu_store::campaigns::RetryRule); an attempt cut off by a server
//!   restart (interrupted) follows the `failed` rule and counts as a failure. An outcome
//!   without a rule is final.
//! - With a rule, the contact is tried again `wait_secs` after the attempt ended while both
//!   hold: the attempts with this outcome so far (the one just ended included) are no more
//!   than `max_retries`, and the contact has had fewer than the campaign's `max_attempts`
//!   attempts in all. Otherwise it is done with the last outcome's result.

use huashu_store::campaigns::{AttemptOutcome, Campaign, ContactResult, RetryRule};

/// What happens to a contact after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Pending again, due at this instant (ms since the Unix epoch).
    RetryAt(u64),
    /// Finished with this result.
    Done(ContactResult),
}

/// The contact's next step after an attempt ended at `ended_at_ms`. `history` is every
/// finished attempt of the contact in order, the one just ended last. An empty history
/// (no attempt to judge) finishes the contact as failed rather than dialling it blind.
pub fn after_attempt(campaign: &Campaign, history: &[AttemptOutcome], ended_at_ms: u64) -> Next {
    let Some(&last) = history.last() else {
        return Next::Done(ContactResult::Failed);
    };
    let result = result_of(last);
    let Some(rule) = rule_for(campaign, last) else {
        return Next::Done(result);
    };
    let same_kind = history
        .iter()
        .filter(|outcome| result_of(**outcome) == result)
        .count();
    let retries_left = same_kind <= usize::try_from(rule.max_retries).unwrap_or(usize::MAX);
    let attempts_left = history.len() < usize::try_from(campaign.max_attempts).unwrap_or(0);
    if retries_left && attempts_left {
        Next::RetryAt(ended_at_ms.saturating_add(rule.wait_secs.saturating_mul(1000)))
    } else {
        Next::Done(result)
    }
}

/// The result a contact finishes with when `outcome` is its last; outcomes with the same
/// result share a retry rule and a retry count.
pub fn result_of(outcome: AttemptOutcome) -> ContactResult {
    match outcome {
        AttemptOutcome::Answered => ContactResult::Answered,
        AttemptOutcome::Busy => ContactResult::Busy,
        AttemptOutcome::NoAnswer => ContactResult::NoAnswer,
        AttemptOutcome::Rejected => ContactResult::Rejected,
        AttemptOutcome::InvalidNumber => ContactResult::InvalidNumber,
        AttemptOutcome::Unavailable => ContactResult::Unavailable,
        AttemptOutcome::Failed | AttemptOutcome::Interrupted => ContactResult::Failed,
    }
}

/// The rule that may retry after `outcome`; `None` for outcomes that are always final.
fn rule_for(campaign: &Campaign, outcome: AttemptOutcome) -> Option<RetryRule> {
    let rules = &campaign.retry;
    match outcome {
        AttemptOutcome::Answered | AttemptOutcome::InvalidNumber => None,
        AttemptOutcome::Busy => rules.busy,
        AttemptOutcome::NoAnswer => rules.no_answer,
        AttemptOutcome::Rejected => rules.rejected,
        AttemptOutcome::Unavailable => rules.unavailable,
        AttemptOutcome::Failed | AttemptOutcome::Interrupted => rules.failed,
    }
}

#[cfg(test)]
mod tests {
    use huashu_store::campaigns::AttemptOutcome::{
        Answered, Busy, Failed, Interrupted, InvalidNumber, NoAnswer, Rejected, Unavailable,
    };
    use huashu_store::campaigns::{CampaignState, RetryRules};

    use super::*;

    const ENDED: u64 = 1_800_000_000_000;

    fn rule(wait_secs: u64, max_retries: u32) -> Option<RetryRule> {
        Some(RetryRule {
            wait_secs,
            max_retries,
        })
    }

    /// A campaign with `retry` and `max_attempts`.
    fn campaign(retry: RetryRules, max_attempts: u32) -> Campaign {
        Campaign {
            retry,
            max_attempts,
            state: CampaignState::Running,
            ..Campaign::draft(
                "cp_0123456789abcdef",
                "t_1",
                "Birthday coupons",
                "birthday",
                "carrier",
                0,
            )
        }
    }

    fn only(outcome: AttemptOutcome, wait_secs: u64, max_retries: u32) -> RetryRules {
        let mut rules = RetryRules {
            busy: None,
            no_answer: None,
            rejected: None,
            unavailable: None,
            failed: None,
        };
        let slot = match outcome {
            Busy => &mut rules.busy,
            NoAnswer => &mut rules.no_answer,
            Rejected => &mut rules.rejected,
            Unavailable => &mut rules.unavailable,
            _ => &mut rules.failed,
        };
        *slot = rule(wait_secs, max_retries);
        rules
    }

    fn after(secs: u64) -> Next {
        Next::RetryAt(ENDED + secs * 1000)
    }

    #[test]
    fn an_answered_call_finishes_the_contact_as_answered() {
        let c = campaign(RetryRules::default(), 5);
        assert_eq!(
            after_attempt(&c, &[Busy, Answered], ENDED),
            Next::Done(ContactResult::Answered)
        );
    }

    #[test]
    fn a_busy_contact_is_retried_after_the_wait_until_its_retries_run_out() {
        let c = campaign(only(Busy, 1800, 2), 10);
        assert_eq!(after_attempt(&c, &[Busy], ENDED), after(1800));
        assert_eq!(after_attempt(&c, &[Busy, Busy], ENDED), after(1800));
        assert_eq!(
            after_attempt(&c, &[Busy, Busy, Busy], ENDED),
            Next::Done(ContactResult::Busy)
        );
    }

    #[test]
    fn each_unanswered_outcome_follows_its_own_rule() {
        for (outcome, result) in [
            (NoAnswer, ContactResult::NoAnswer),
            (Rejected, ContactResult::Rejected),
            (Unavailable, ContactResult::Unavailable),
            (Failed, ContactResult::Failed),
        ] {
            let c = campaign(only(outcome, 600, 1), 10);
            assert_eq!(
                after_attempt(&c, &[outcome], ENDED),
                after(600),
                "{outcome:?}"
            );
            assert_eq!(
                after_attempt(&c, &[outcome, outcome], ENDED),
                Next::Done(result),
                "{outcome:?}"
            );
            // Another outcome's rule does not apply.
            let other = campaign(only(Busy, 600, 1), 10);
            assert_eq!(
                after_attempt(&other, &[outcome], ENDED),
                Next::Done(result),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn a_rule_with_no_retries_finishes_the_contact_at_once() {
        let c = campaign(only(NoAnswer, 600, 0), 10);
        assert_eq!(
            after_attempt(&c, &[NoAnswer], ENDED),
            Next::Done(ContactResult::NoAnswer)
        );
    }

    #[test]
    fn retries_are_counted_per_outcome() {
        let mut rules = only(Busy, 1800, 1);
        rules.no_answer = rule(3600, 1);
        let c = campaign(rules, 10);
        // One busy and one no-answer so far: each has a retry left.
        assert_eq!(after_attempt(&c, &[Busy, NoAnswer], ENDED), after(3600));
        assert_eq!(after_attempt(&c, &[NoAnswer, Busy], ENDED), after(1800));
        assert_eq!(
            after_attempt(&c, &[Busy, NoAnswer, Busy], ENDED),
            Next::Done(ContactResult::Busy)
        );
    }

    #[test]
    fn max_attempts_caps_mixed_outcomes() {
        let mut rules = only(Busy, 1800, 5);
        rules.no_answer = rule(3600, 5);
        let c = campaign(rules, 3);
        assert_eq!(after_attempt(&c, &[Busy, NoAnswer], ENDED), after(3600));
        assert_eq!(
            after_attempt(&c, &[Busy, NoAnswer, Busy], ENDED),
            Next::Done(ContactResult::Busy)
        );
        assert_eq!(
            after_attempt(&c, &[Busy, Busy, NoAnswer], ENDED),
            Next::Done(ContactResult::NoAnswer)
        );
    }

    #[test]
    fn an_interrupted_attempt_follows_the_failed_rule_and_ends_as_failed() {
        let c = campaign(only(Failed, 600, 1), 10);
        assert_eq!(after_attempt(&c, &[Interrupted], ENDED), after(600));
        // Failures and interruptions share the rule's count.
        assert_eq!(
            after_attempt(&c, &[Failed, Interrupted], ENDED),
            Next::Done(ContactResult::Failed)
        );
        assert_eq!(
            after_attempt(&c, &[Interrupted, Interrupted], ENDED),
            Next::Done(ContactResult::Failed)
        );
        let no_rule = campaign(only(Busy, 600, 1), 10);
        assert_eq!(
            after_attempt(&no_rule, &[Interrupted], ENDED),
            Next::Done(ContactResult::Failed)
        );
    }

    #[test]
    fn an_invalid_number_is_never_retried_even_with_a_generous_failed_rule() {
        let mut rules = only(Failed, 60, 9);
        rules.busy = rule(60, 9);
        let c = campaign(rules, 10);
        assert_eq!(
            after_attempt(&c, &[InvalidNumber], ENDED),
            Next::Done(ContactResult::InvalidNumber)
        );
        assert_eq!(
            after_attempt(&c, &[Busy, InvalidNumber], ENDED),
            Next::Done(ContactResult::InvalidNumber)
        );
    }

    #[test]
    fn the_default_rules_retry_busy_twice_and_finish_a_decline() {
        let c = campaign(RetryRules::default(), 10);
        assert_eq!(after_attempt(&c, &[Busy, Busy], ENDED), after(30 * 60));
        assert_eq!(
            after_attempt(&c, &[Busy, Busy, Busy], ENDED),
            Next::Done(ContactResult::Busy)
        );
        assert_eq!(
            after_attempt(&c, &[Rejected], ENDED),
            Next::Done(ContactResult::Rejected)
        );
    }

    #[test]
    fn an_empty_history_finishes_the_contact_as_failed() {
        let c = campaign(RetryRules::default(), 10);
        assert_eq!(
            after_attempt(&c, &[], ENDED),
            Next::Done(ContactResult::Failed)
        );
    }
}
