//! Conveniences on the events' records: reading campaign variables and the call's local
//! date from [`CallStarted`], the readings of a [`Transcript`] (all of them, or only those
//! confident enough to act on), and why a transcript was [`NotUnderstood`].

use std::fmt;

use crate::date::Date;
use crate::{CallStarted, NotUnderstood, Transcript};

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
    /// Whatever their confidence: to act on what the customer said, use
    /// [`confident_texts`](Self::confident_texts) (what
    /// [`IntentMatcher::readings`](crate::IntentMatcher::readings) gives).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str())
            .chain(self.alternatives.iter().map(|a| a.text.as_str()))
            .filter(|text| !text.trim().is_empty())
    }

    /// The readings whose confidence is at least `min_confidence`, best first; none at all
    /// when the transcript is [`not_understood`](Transcript::not_understood). A reading
    /// below the threshold is a guess: treat "nothing confident" like "nothing said".
    ///
    /// ```
    /// # use huashu_sdk::{Alternative, Transcript};
    /// let t = Transcript {
    ///     text: "要".into(),
    ///     confidence: 0.4,
    ///     alternatives: vec![Alternative { text: "不要".into(), confidence: 0.7 }],
    ///     not_understood: None,
    /// };
    /// assert_eq!(t.confident_texts(0.5).collect::<Vec<_>>(), ["不要"]);
    /// ```
    pub fn confident_texts(&self, min_confidence: f32) -> impl Iterator<Item = &str> {
        let understood = self.not_understood.is_none();
        std::iter::once((self.text.as_str(), self.confidence))
            .chain(
                self.alternatives
                    .iter()
                    .map(|a| (a.text.as_str(), a.confidence)),
            )
            .filter(move |&(text, confidence)| {
                // Written so that a NaN confidence counts as too low.
                understood && confidence >= min_confidence && !text.trim().is_empty()
            })
            .map(|(text, _)| text)
    }
}

/// One sentence for the call log: `no recogniser for en-US`, `said nothing the listen's
/// hints cover`, `recogniser failed: …`. To act on the reason, match on the variants.
impl fmt::Display for NotUnderstood {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotUnderstood::NoRecogniser(language) => write!(f, "no recogniser for {language}"),
            NotUnderstood::NoMatch => f.write_str("said nothing the listen's hints cover"),
            NotUnderstood::Failed(why) => write!(f, "recogniser failed: {why}"),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::{Alternative, CallStarted, Channel, Direction, NotUnderstood, Transcript};

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
            not_understood: None,
        };
        assert_eq!(t.texts().collect::<Vec<_>>(), ["不需要", "需要"]);
    }

    /// A recognised transcript: its best reading and alternatives with their confidences.
    pub(crate) fn unsure(text: &str, confidence: f32, alternatives: &[(&str, f32)]) -> Transcript {
        Transcript {
            text: text.into(),
            confidence,
            alternatives: alternatives
                .iter()
                .map(|&(text, confidence)| Alternative {
                    text: text.into(),
                    confidence,
                })
                .collect(),
            not_understood: None,
        }
    }

    #[test]
    fn confident_texts_keeps_only_readings_at_or_above_the_threshold() {
        let t = unsure("要", 0.49, &[("不要", 0.5), ("好", 0.2), ("  ", 0.9)]);
        assert_eq!(t.confident_texts(0.5).collect::<Vec<_>>(), ["不要"]);
        assert_eq!(
            t.confident_texts(0.0).collect::<Vec<_>>(),
            ["要", "不要", "好"]
        );
        assert_eq!(
            unsure("好的", f32::NAN, &[]).confident_texts(0.0).count(),
            0
        );
    }

    #[test]
    fn a_not_understood_transcript_has_no_confident_text() {
        let mut t = unsure("", 0.0, &[("好的", 0.9)]);
        t.not_understood = Some(NotUnderstood::NoMatch);
        assert_eq!(t.confident_texts(0.0).count(), 0);
    }

    #[test]
    fn not_understood_reads_as_a_sentence_for_the_log() {
        let reasons = [
            NotUnderstood::NoRecogniser("en-US".into()),
            NotUnderstood::NoMatch,
            NotUnderstood::Failed("connection reset".into()),
        ];
        let lines: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "no recogniser for en-US",
                "said nothing the listen's hints cover",
                "recogniser failed: connection reset",
            ]
        );
    }
}
