//! Conveniences on the events' records: reading campaign variables and the call's local
//! date from [`CallStarted`], and every reading of a [`Transcript`].

use crate::date::Date;
use crate::{CallStarted, Transcript};

impl CallStarted {
    /// The campaign or contact variable `name`, if the call has it.
    ///
    /// ```
    /// # use huashu_sdk::prelude::*;
    /// # let call = huashu_sdk::CallStarted { call_id: "c1".into(), direction: Direction::Outbound,
    /// #     caller: String::new(), callee: String::new(), channel: Channel::Text,
    /// #     variables: vec![("name".into(), "王芳".into())], started_at_ms: 0, random_seed: 0 };
    /// assert_eq!(call.var("name"), Some("王芳"));
    /// assert_eq!(call.var("amount"), None);
    /// ```
    pub fn var(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The variable `name`, or `default` when it is missing or blank: `call.var_or("name",
    /// "您")`.
    pub fn var_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        match self.var(name) {
            Some(value) if !value.trim().is_empty() => value,
            _ => default,
        }
    }

    /// The calendar date the call started on, at `utc_offset_minutes` from UTC (480 for
    /// China, see [`crate::date::BEIJING`]). Use it as "today" for
    /// [`parse_date`](crate::date::parse_date).
    pub fn local_date(&self, utc_offset_minutes: i32) -> Date {
        Date::from_unix_ms(self.started_at_ms, utc_offset_minutes)
    }
}

impl Transcript {
    /// The best reading first, then the alternatives, best first; empty readings skipped.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str())
            .chain(self.alternatives.iter().map(|a| a.text.as_str()))
            .filter(|text| !text.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Alternative, CallStarted, Channel, Direction, Transcript};

    fn call(variables: &[(&str, &str)]) -> CallStarted {
        CallStarted {
            call_id: "c1".into(),
            direction: Direction::Outbound,
            caller: "4008001234".into(),
            callee: "13800138000".into(),
            channel: Channel::Text,
            variables: variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            // 2026-11-23T17:00:00Z, which is already 01:00 on the 24th in Beijing.
            started_at_ms: 1_795_453_200_000,
            random_seed: 7,
        }
    }

    #[test]
    fn var_or_falls_back_on_missing_and_blank_values() {
        let call = call(&[("name", "王芳"), ("title", "  ")]);
        assert_eq!(call.var_or("name", "您"), "王芳");
        assert_eq!(call.var_or("title", "先生"), "先生");
        assert_eq!(call.var_or("amount", "0"), "0");
    }

    #[test]
    fn local_date_applies_the_offset() {
        let call = call(&[]);
        assert_eq!(call.local_date(0).to_string(), "2026-11-23");
        assert_eq!(call.local_date(480).to_string(), "2026-11-24");
    }

    #[test]
    fn texts_lists_best_reading_then_alternatives() {
        let t = Transcript {
            text: "不需要".into(),
            confidence: 0.6,
            alternatives: vec![
                Alternative {
                    text: "".into(),
                    confidence: 0.3,
                },
                Alternative {
                    text: "需要".into(),
                    confidence: 0.2,
                },
            ],
        };
        assert_eq!(t.texts().collect::<Vec<_>>(), ["不需要", "需要"]);
    }
}
