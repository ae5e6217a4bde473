//! Builder methods on the contract's [`Outcome`] record, the result of the call as the
//! campaign reports it.

use crate::{IntentLevel, Outcome};

impl Outcome {
    /// An outcome that changes nothing yet.
    pub fn new() -> Self {
        Outcome {
            intent: None,
            disposition: None,
            tags: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// An outcome with this intent level: `Outcome::intent(IntentLevel::A).tag("vip")`.
    pub fn intent(level: IntentLevel) -> Self {
        Outcome::new().with_intent(level)
    }

    /// Set the intent level.
    pub fn with_intent(mut self, level: IntentLevel) -> Self {
        self.intent = Some(level);
        self
    }

    /// Set the disposition, e.g. `promise-to-pay`.
    pub fn disposition(mut self, disposition: impl Into<String>) -> Self {
        self.disposition = Some(disposition.into());
        self
    }

    /// Add a tag (duplicates are ignored).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        if !self.tags.contains(&tag) {
            self.tags.push(tag);
        }
        self
    }

    /// Set a field; setting the same key again replaces its value.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
        self
    }
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_collects_intent_disposition_tags_and_fields() {
        let outcome = Outcome::intent(IntentLevel::A)
            .disposition("coupon-accepted")
            .tag("birthday")
            .tag("birthday")
            .tag("coupon-accepted")
            .field("coupon_amount", "50")
            .field("coupon_amount", "80");
        assert_eq!(outcome.intent, Some(IntentLevel::A));
        assert_eq!(outcome.disposition.as_deref(), Some("coupon-accepted"));
        assert_eq!(outcome.tags, ["birthday", "coupon-accepted"]);
        assert_eq!(outcome.fields, [("coupon_amount".into(), "80".into())]);
    }

    #[test]
    fn with_intent_replaces_the_level() {
        let outcome = Outcome::intent(IntentLevel::A).with_intent(IntentLevel::D);
        assert_eq!(outcome.intent, Some(IntentLevel::D));
    }
}
