//! A campaign's running counts, kept beside it and changed in the same write as the contact
//! or attempt that changes them, so a campaign with 200,000 contacts answers its stats
//! without a scan.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AttemptOutcome, ContactResult};

/// A campaign's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignStats {
    /// Contacts imported.
    pub contacts: u64,
    /// Contacts waiting for an attempt.
    pub pending: u64,
    /// Contacts with an attempt being dialled or talked.
    pub dialing: u64,
    /// Contacts with a final result.
    pub done: u64,
    /// Attempts made.
    pub attempts: u64,
    /// Attempts answered.
    pub answered: u64,
    /// Finished attempts by outcome (`busy`, `no-answer`…).
    pub outcomes: BTreeMap<String, u64>,
    /// Finished contacts by result (`answered`, `busy`, `do-not-call`…).
    pub results: BTreeMap<String, u64>,
    /// Answered calls by the intent level the script set (`A`…`F`).
    pub intents: BTreeMap<String, u64>,
    /// Answered calls the script transferred to a person.
    pub transfers: u64,
    /// Callees who asked not to be called again.
    pub opted_out: u64,
    /// Seconds of answered calls, all together.
    pub talk_secs: u64,
}

/// A change to a campaign's counts; what one write adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsDelta {
    /// Change in contacts imported.
    pub contacts: i64,
    /// Change in pending contacts.
    pub pending: i64,
    /// Change in contacts being dialled.
    pub dialing: i64,
    /// Change in finished contacts.
    pub done: i64,
    /// Change in attempts made.
    pub attempts: i64,
    /// Change in answered attempts.
    pub answered: i64,
    /// An attempt finished with this outcome.
    pub outcome: Option<AttemptOutcome>,
    /// A contact finished with this result.
    pub result: Option<ContactResult>,
    /// An answered call set this intent level.
    pub intent: Option<String>,
    /// Change in transfers.
    pub transfers: i64,
    /// Change in opt-outs.
    pub opted_out: i64,
    /// Change in talk time, seconds.
    pub talk_secs: i64,
}

impl CampaignStats {
    /// Adds `delta`; counts never go below zero.
    pub fn apply(&mut self, delta: &StatsDelta) {
        fn add(count: &mut u64, change: i64) {
            *count = count.saturating_add_signed(change);
        }
        add(&mut self.contacts, delta.contacts);
        add(&mut self.pending, delta.pending);
        add(&mut self.dialing, delta.dialing);
        add(&mut self.done, delta.done);
        add(&mut self.attempts, delta.attempts);
        add(&mut self.answered, delta.answered);
        add(&mut self.transfers, delta.transfers);
        add(&mut self.opted_out, delta.opted_out);
        add(&mut self.talk_secs, delta.talk_secs);
        if let Some(outcome) = delta.outcome {
            *self.outcomes.entry(outcome.as_str().into()).or_default() += 1;
        }
        if let Some(result) = delta.result {
            *self.results.entry(result.as_str().into()).or_default() += 1;
        }
        if let Some(intent) = &delta.intent {
            *self.intents.entry(intent.clone()).or_default() += 1;
        }
    }

    /// Answered attempts over attempts that ended, 0 to 1 (0 before any ended).
    pub fn answer_rate(&self) -> f64 {
        let ended: u64 = self.outcomes.values().sum();
        if ended == 0 {
            0.0
        } else {
            self.answered as f64 / ended as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_add_up_and_never_go_negative() {
        let mut stats = CampaignStats::default();
        stats.apply(&StatsDelta {
            contacts: 3,
            pending: 3,
            ..Default::default()
        });
        stats.apply(&StatsDelta {
            pending: -1,
            dialing: 1,
            attempts: 1,
            ..Default::default()
        });
        stats.apply(&StatsDelta {
            dialing: -1,
            done: 1,
            answered: 1,
            outcome: Some(AttemptOutcome::Answered),
            result: Some(ContactResult::Answered),
            intent: Some("A".into()),
            talk_secs: 42,
            ..Default::default()
        });
        stats.apply(&StatsDelta {
            dialing: -5,
            ..Default::default()
        });
        assert_eq!(
            (stats.contacts, stats.pending, stats.dialing, stats.done),
            (3, 2, 0, 1)
        );
        assert_eq!(stats.outcomes.get("answered"), Some(&1));
        assert_eq!(stats.results.get("answered"), Some(&1));
        assert_eq!(stats.intents.get("A"), Some(&1));
        assert_eq!(stats.talk_secs, 42);
        assert!((stats.answer_rate() - 1.0).abs() < f64::EPSILON);
    }
}
