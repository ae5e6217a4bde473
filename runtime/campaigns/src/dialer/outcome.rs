//! What a finished call means for its attempt: the call's summary (and record) read as an
//! attempt outcome and the details a campaign keeps. Pure.

use serde::Deserialize;

use huashu_contract::Outcome;
use huashu_store::campaigns::AttemptOutcome;
use huashu_store::{CallStatus, CallSummary, ProgressState};

/// What an ended call came to, for its attempt and contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallResult {
    /// The attempt's outcome; `None` while the call is live.
    pub outcome: Option<AttemptOutcome>,
    /// The SIP status that decided it.
    pub sip_code: Option<u16>,
    /// Seconds from answer to end (answered calls).
    pub talk_secs: Option<u64>,
    /// What the script set.
    pub script: Outcome,
    /// The script transferred the call to a person.
    pub transferred: bool,
    /// The call's audio is stored.
    pub has_recording: bool,
}

/// The parts of a stored call record a campaign reads.
#[derive(Deserialize)]
struct RecordTail {
    #[serde(default)]
    outcome: Outcome,
    #[serde(default)]
    end: Option<EndTail>,
}

#[derive(Deserialize)]
struct EndTail {
    reason: String,
}

/// Reads a call's summary (and its JSON record, `null` for calls that never started).
pub fn call_result(summary: &CallSummary, record_json: &[u8]) -> CallResult {
    let tail: Option<RecordTail> = serde_json::from_slice(record_json).ok();
    let progress = summary.progress.as_ref();
    let outcome = match summary.status {
        CallStatus::Live => None,
        CallStatus::Interrupted => Some(AttemptOutcome::Interrupted),
        CallStatus::Completed | CallStatus::Failed => Some(AttemptOutcome::Answered),
        CallStatus::Unanswered => Some(match progress.map(|p| p.state) {
            Some(ProgressState::Busy) => AttemptOutcome::Busy,
            Some(ProgressState::NoAnswer) => AttemptOutcome::NoAnswer,
            Some(ProgressState::Rejected) => AttemptOutcome::Rejected,
            Some(ProgressState::InvalidNumber) => AttemptOutcome::InvalidNumber,
            Some(ProgressState::Unavailable) => AttemptOutcome::Unavailable,
            _ => AttemptOutcome::Failed,
        }),
    };
    let talk_secs = match (progress.and_then(|p| p.answered_at_ms), summary.ended_at_ms) {
        (Some(answered), Some(ended)) if outcome == Some(AttemptOutcome::Answered) => {
            Some(ended.saturating_sub(answered) / 1000)
        }
        _ => None,
    };
    let (script, transferred) = match tail {
        Some(tail) => (
            tail.outcome,
            tail.end.is_some_and(|end| end.reason == "transferred"),
        ),
        None => (Outcome::default(), false),
    };
    CallResult {
        outcome,
        sip_code: progress.and_then(|p| p.sip_code),
        talk_secs,
        script,
        transferred,
        has_recording: summary.has_recording,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_store::CallProgress;

    fn summary(status: CallStatus, state: ProgressState) -> CallSummary {
        CallSummary {
            call_id: "c_1".into(),
            tenant_id: "t_1".into(),
            module: "m".into(),
            module_version: 1,
            status,
            created_at_ms: 1_000,
            ended_at_ms: Some(65_000),
            intent: None,
            disposition: None,
            has_recording: false,
            opted_out: false,
            callee: None,
            campaign_id: None,
            tags: Vec::new(),
            progress: Some(CallProgress {
                state,
                sip_code: Some(486),
                trunk: Some("carrier".into()),
                from: "+8610000000".into(),
                to: "+8613800138000".into(),
                dialed_at_ms: 1_000,
                ringing_at_ms: Some(2_000),
                answered_at_ms: Some(5_000),
            }),
        }
    }

    #[test]
    fn an_unanswered_call_reads_as_its_progress_reason() {
        let result = call_result(
            &summary(CallStatus::Unanswered, ProgressState::Busy),
            b"null",
        );
        assert_eq!(result.outcome, Some(AttemptOutcome::Busy));
        assert_eq!(result.sip_code, Some(486));
        assert_eq!(result.talk_secs, None);
        let result = call_result(
            &summary(CallStatus::Unanswered, ProgressState::InvalidNumber),
            b"null",
        );
        assert_eq!(result.outcome, Some(AttemptOutcome::InvalidNumber));
    }

    #[test]
    fn an_answered_call_brings_its_talk_time_and_the_scripts_outcome() {
        let record =
            br#"{"outcome": {"intent": "A", "tags": ["coupon"], "fields": {"amount": "50"},
            "opted_out": true}, "end": {"at_ms": 60000, "by": "bot", "reason": "transferred"}}"#;
        let result = call_result(
            &summary(CallStatus::Completed, ProgressState::Answered),
            record,
        );
        assert_eq!(result.outcome, Some(AttemptOutcome::Answered));
        assert_eq!(result.talk_secs, Some(60));
        assert_eq!(result.script.tags, vec!["coupon".to_string()]);
        assert_eq!(result.script.fields, vec![("amount".into(), "50".into())]);
        assert!(result.script.opted_out && result.transferred);
    }

    #[test]
    fn a_call_cut_off_by_a_restart_is_interrupted_and_a_live_one_has_no_outcome() {
        let cut = call_result(
            &summary(CallStatus::Interrupted, ProgressState::Answered),
            b"null",
        );
        assert_eq!(cut.outcome, Some(AttemptOutcome::Interrupted));
        let live = call_result(&summary(CallStatus::Live, ProgressState::Ringing), b"null");
        assert_eq!(live.outcome, None);
    }
}
