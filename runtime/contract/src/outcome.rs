//! The call's outcome: intent level, disposition, tags and fields, and how several
//! `set-outcome` actions merge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The industry's usual grades of a customer's interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IntentLevel {
    /// A: clearly interested / agreed.
    A,
    /// B: interested, needs follow-up.
    B,
    /// C: unclear or neutral.
    C,
    /// D: not interested / refused.
    D,
    /// E: could not be reached properly (voicemail, wrong person, busy).
    E,
    /// F: invalid (no such number, hostile, robot).
    F,
}

impl fmt::Display for IntentLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl FromStr for IntentLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Ok(Self::A),
            "B" => Ok(Self::B),
            "C" => Ok(Self::C),
            "D" => Ok(Self::D),
            "E" => Ok(Self::E),
            "F" => Ok(Self::F),
            other => Err(format!("`{other}` is not an intent level (A to F)")),
        }
    }
}

/// The result of a call, or a partial update of it from one `set-outcome` action.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// The customer's grade of interest; `None` is not set (in an update: unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<IntentLevel>,
    /// A short machine-readable result, e.g. `coupon-accepted`, `promise-to-pay`; `None` is
    /// not set (in an update: unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// Free-form labels such as `coupon-accepted`; updates add to them, without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Details the campaign reads from the call record (`rating`, `promise_date`…), as
    /// key/value pairs in the order first set; keys are unique and updates replace by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "super::pairs")]
    pub fields: Vec<(String, String)>,
    /// The customer asked never to be called again (an `opt-out` action, contract 0.2.0).
    /// Once set it stays set: no later update clears it. Left out of the JSON when false,
    /// so records written before 0.2.0 read as not opted out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opted_out: bool,
    /// The reason the script gave with its last `opt-out`; `None` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out_reason: Option<String>,
}

impl Outcome {
    /// Records the customer's request never to be called again. Kept apart from
    /// [`Outcome::merge`]: a script's `set-outcome` cannot set or clear it, only its
    /// `opt-out` action can.
    pub fn opt_out(&mut self, reason: String) {
        self.opted_out = true;
        self.opt_out_reason = Some(reason);
    }

    /// Applies an update: a given intent or disposition replaces the current one, tags
    /// accumulate without duplicates, fields are set key by key. The opt-out is not part
    /// of an update (see [`Outcome::opt_out`]) and is left as it is.
    pub fn merge(&mut self, update: Outcome) {
        if update.intent.is_some() {
            self.intent = update.intent;
        }
        if update.disposition.is_some() {
            self.disposition = update.disposition;
        }
        for tag in update.tags {
            if !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
        for (key, value) in update.fields {
            match self.fields.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => self.fields.push((key, value)),
            }
        }
    }

    /// The value of a field, if set.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn strings(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        all.extend(self.disposition.as_deref());
        for (k, v) in &self.fields {
            all.push(k);
            all.push(v);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_intent_accumulates_tags_and_upserts_fields() {
        let mut outcome = Outcome {
            intent: Some(IntentLevel::C),
            disposition: Some("undecided".into()),
            tags: vec!["greeted".into()],
            fields: vec![("when".into(), "later".into())],
            ..Outcome::default()
        };
        outcome.merge(Outcome {
            intent: Some(IntentLevel::A),
            disposition: None,
            tags: vec!["greeted".into(), "accepted".into()],
            fields: vec![
                ("when".into(), "now".into()),
                ("coupon".into(), "50".into()),
            ],
            ..Outcome::default()
        });
        assert_eq!(outcome.intent, Some(IntentLevel::A));
        assert_eq!(outcome.disposition.as_deref(), Some("undecided"));
        assert_eq!(outcome.tags, vec!["greeted", "accepted"]);
        assert_eq!(outcome.field("when"), Some("now"));
        assert_eq!(outcome.field("coupon"), Some("50"));
    }

    #[test]
    fn an_opt_out_survives_later_updates_and_keeps_its_reason() {
        let mut outcome = Outcome::default();
        outcome.opt_out("customer asked: 不要再打了".into());
        outcome.merge(Outcome {
            disposition: Some("do-not-call".into()),
            ..Outcome::default()
        });
        assert!(outcome.opted_out);
        assert_eq!(
            outcome.opt_out_reason.as_deref(),
            Some("customer asked: 不要再打了")
        );
        assert_eq!(outcome.disposition.as_deref(), Some("do-not-call"));
    }

    #[test]
    fn records_written_before_opt_out_existed_read_as_not_opted_out() {
        let old: Outcome =
            serde_json::from_str(r#"{"intent":"A","disposition":"coupon-accepted"}"#)
                .expect("an outcome without the opt-out keys");
        assert!(!old.opted_out);
        assert_eq!(old.opt_out_reason, None);
        let json = serde_json::to_string(&old).expect("serialise");
        assert!(!json.contains("opt"), "not opted out is left out: {json}");
    }

    #[test]
    fn intent_levels_parse_case_insensitively_and_reject_others() {
        assert_eq!("b".parse::<IntentLevel>(), Ok(IntentLevel::B));
        assert!("G".parse::<IntentLevel>().is_err());
    }
}
