//! [`IntentMatcher`]: what did the customer mean? Keyword-phrase intent classification that
//! works for Chinese and English utterances alike.
//!
//! Matching happens on normalised text (see [`IntentMatcher`]), looks for each phrase
//! anywhere in the utterance (Chinese) or as whole words (English), and lets the longest
//! matching phrase decide, so that `不需要` is never read as `需要`. Transcripts are judged
//! by their confidence first: a reading below the matcher's minimum is a guess and matches
//! nothing.

use crate::Transcript;
use crate::text::{is_word_char, normalize};

/// Classifies utterances into intents by the phrases they contain.
///
/// ```
/// use huashu_sdk::IntentMatcher;
///
/// let replies = IntentMatcher::new()
///     .intent("yes", ["好的", "可以", "行", "没问题", "需要", "yes", "sure", "ok"])
///     .intent("no", ["不要", "不需要", "不用", "不行", "no"])
///     .intent_excluding("busy", ["忙", "开会", "busy"], ["不忙"]);
///
/// assert_eq!(replies.classify("好的，谢谢！"), Some("yes"));
/// assert_eq!(replies.classify("不需要了"), Some("no"));      // not "需要"
/// assert_eq!(replies.classify("OK, sure."), Some("yes"));
/// assert_eq!(replies.classify("I know"), None);              // "no" only as a word
/// assert_eq!(replies.classify("我不忙，你说"), None);         // excluded phrase
/// ```
///
/// How an utterance is compared:
/// - Both the utterance and the phrases are normalised: lowercase, full-width ASCII to
///   half-width, punctuation and whitespace removed (one space is kept between English
///   words).
/// - A phrase written in a spaced script (English, digits) must match whole words: `no`
///   does not match `know`. Chinese phrases match anywhere.
/// - An occurrence inside one of the intent's excluded phrases does not count.
/// - Of all the phrases found, the longest (in characters) wins; between equally long ones,
///   the intent declared first wins.
///
/// Transcripts ([`classify_transcript`](Self::classify_transcript)) are first judged by
/// confidence: a reading below the matcher's minimum (by default
/// [`DEFAULT_MIN_CONFIDENCE`](Self::DEFAULT_MIN_CONFIDENCE), change it with
/// [`min_confidence`](Self::min_confidence)) is a guess and matches nothing, and so does a
/// transcript that is [`not_understood`](Transcript::not_understood). The script then
/// handles it like any unclear answer ("sorry, I didn't catch that"). Typed text (the
/// console, `huashu test`) has confidence 1.0 and always counts.
///
/// Labels can be any cloneable type: strings as above, or your own enum
/// (`IntentMatcher<Reply>`), so that a `match` on the result is checked by the compiler.
#[derive(Debug, Clone)]
pub struct IntentMatcher<L = &'static str> {
    intents: Vec<Intent<L>>,
    min_confidence: f32,
}

#[derive(Debug, Clone)]
struct Intent<L> {
    label: L,
    phrases: Vec<String>,
    excluded: Vec<String>,
}

/// The phrase that decided a classification.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentMatch<L> {
    /// The intent's label.
    pub label: L,
    /// The matching phrase, normalised.
    pub phrase: String,
}

impl<L: Clone> IntentMatcher<L> {
    /// The confidence a reading needs to count, unless changed with
    /// [`min_confidence`](Self::min_confidence). It sits in the gap the server's grammar
    /// recogniser leaves: an answer that is (or contains) one of the listen's hints scores
    /// 0.65 or more, speech matching none of them 0.11 or less. Acting below it turns a
    /// cough or an unrelated sentence into a "yes".
    pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.5;

    /// A matcher with no intents yet, that ignores readings below
    /// [`DEFAULT_MIN_CONFIDENCE`](Self::DEFAULT_MIN_CONFIDENCE).
    pub fn new() -> Self {
        IntentMatcher {
            intents: Vec::new(),
            min_confidence: Self::DEFAULT_MIN_CONFIDENCE,
        }
    }

    /// Ignore transcript readings whose confidence is below `min_confidence` (0.0 to 1.0;
    /// a reading exactly at it counts). Raise it where a wrong guess is costly (agreeing to
    /// pay), lower it for a recogniser that reports low confidences for good readings. 0.0
    /// accepts every reading.
    ///
    /// ```
    /// # use huashu_sdk::{IntentMatcher, Transcript};
    /// let strict = IntentMatcher::new().intent("yes", ["好的"]).min_confidence(0.8);
    /// let heard = Transcript { text: "好的".into(), confidence: 0.7, alternatives: vec![],
    ///                          not_understood: None };
    /// assert_eq!(strict.classify_transcript(&heard), None);
    /// assert_eq!(strict.classify("好的"), Some("yes")); // plain text has no confidence
    /// ```
    pub fn min_confidence(mut self, min_confidence: f32) -> Self {
        self.min_confidence = min_confidence;
        self
    }

    /// Add an intent recognised by any of `phrases`. Declaring the same label twice is fine.
    pub fn intent<I, S>(self, label: L, phrases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.intent_excluding(label, phrases, std::iter::empty::<&str>())
    }

    /// Add an intent recognised by any of `phrases`, except where the phrase is part of one
    /// of `excluding`: `intent_excluding("interested", ["感兴趣"], ["不感兴趣", "没兴趣"])`.
    pub fn intent_excluding<I, S, J, T>(mut self, label: L, phrases: I, excluding: J) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
        J: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let prepare = |phrases: Vec<String>| {
            phrases
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
        };
        self.intents.push(Intent {
            label,
            phrases: prepare(phrases.into_iter().map(|p| normalize(p.as_ref())).collect()),
            excluded: prepare(
                excluding
                    .into_iter()
                    .map(|p| normalize(p.as_ref()))
                    .collect(),
            ),
        });
        self
    }

    /// The intent `text` expresses, if any phrase matches.
    pub fn classify(&self, text: &str) -> Option<L> {
        self.best_match(text).map(|m| m.label)
    }

    /// The intent of the best reading of `transcript` that matches anything, trying the
    /// alternatives when the best reading matches nothing. Only readings at or above the
    /// minimum confidence count (see [`readings`](Self::readings)); `None` also when the
    /// transcript is [`not_understood`](Transcript::not_understood).
    pub fn classify_transcript(&self, transcript: &Transcript) -> Option<L> {
        self.readings(transcript)
            .find_map(|text| self.classify(text))
    }

    /// The readings of `transcript` this matcher acts on: those at or above its minimum
    /// confidence, best first. Read anything else you take from the customer's words (a
    /// date, a number) from these too, so that a guess never becomes an answer.
    pub fn readings<'t>(&self, transcript: &'t Transcript) -> impl Iterator<Item = &'t str> {
        transcript.confident_texts(self.min_confidence)
    }

    /// The winning intent together with the phrase that decided it.
    pub fn best_match(&self, text: &str) -> Option<IntentMatch<L>> {
        let text = normalize(text);
        let mut best: Option<(usize, &Intent<L>, &str)> = None;
        for intent in &self.intents {
            let excluded: Vec<(usize, usize)> = intent
                .excluded
                .iter()
                .flat_map(|phrase| occurrences(&text, phrase))
                .collect();
            for phrase in &intent.phrases {
                let counts = occurrences(&text, phrase)
                    .any(|(start, end)| !excluded.iter().any(|&(s, e)| s <= start && end <= e));
                let length = phrase.chars().count();
                if counts && best.is_none_or(|(best_length, _, _)| length > best_length) {
                    best = Some((length, intent, phrase));
                }
            }
        }
        best.map(|(_, intent, phrase)| IntentMatch {
            label: intent.label.clone(),
            phrase: phrase.to_owned(),
        })
    }
}

impl<L: Clone> Default for IntentMatcher<L> {
    fn default() -> Self {
        IntentMatcher::new()
    }
}

/// Byte ranges where `phrase` occurs in `text`, both normalised; a phrase that starts or ends
/// with a word character must not continue a word of `text` there.
fn occurrences<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    let starts_word = phrase.chars().next().is_some_and(is_word_char);
    let ends_word = phrase.chars().next_back().is_some_and(is_word_char);
    text.match_indices(phrase)
        .filter_map(move |(start, found)| {
            let end = start + found.len();
            let clean_start =
                !starts_word || !text[..start].chars().next_back().is_some_and(is_word_char);
            let clean_end = !ends_word || !text[end..].chars().next().is_some_and(is_word_char);
            (clean_start && clean_end).then_some((start, end))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn replies() -> IntentMatcher {
        IntentMatcher::new()
            .intent(
                "yes",
                [
                    "好的",
                    "好",
                    "可以",
                    "行",
                    "没问题",
                    "需要",
                    "要",
                    "yes",
                    "sure",
                    "ok",
                    "okay",
                ],
            )
            .intent(
                "no",
                [
                    "不要",
                    "不需要",
                    "不用",
                    "不行",
                    "算了",
                    "no",
                    "not interested",
                ],
            )
            .intent(
                "busy",
                [
                    "在忙",
                    "开会",
                    "开车",
                    "晚点再打",
                    "没空",
                    "busy",
                    "call me later",
                ],
            )
            .intent(
                "who",
                ["你是谁", "哪位", "哪里", "who is this", "who are you"],
            )
    }

    #[test]
    fn chinese_utterances() {
        let m = replies();
        assert_eq!(m.classify("好的，谢谢"), Some("yes"));
        assert_eq!(m.classify("嗯，可以的"), Some("yes"));
        assert_eq!(m.classify("不需要，谢谢"), Some("no"));
        assert_eq!(m.classify("不用了不用了"), Some("no"));
        assert_eq!(m.classify("我现在在开会，晚点再打吧"), Some("busy"));
        assert_eq!(m.classify("喂？你是谁啊"), Some("who"));
        assert_eq!(m.classify("喂？"), None);
    }

    #[test]
    fn longest_phrase_wins_so_negations_are_not_read_as_assent() {
        let m = replies();
        assert_eq!(m.classify("不要"), Some("no"));
        assert_eq!(m.classify("不行"), Some("no"));
        assert_eq!(m.classify("好的，不过不需要"), Some("no"));
        assert_eq!(
            m.best_match("不需要").map(|x| x.phrase),
            Some("不需要".to_owned())
        );
    }

    #[test]
    fn english_utterances_match_whole_words_only() {
        let m = replies();
        assert_eq!(m.classify("Yes, please."), Some("yes"));
        assert_eq!(m.classify("OKAY"), Some("yes"));
        assert_eq!(m.classify("No thanks"), Some("no"));
        assert_eq!(m.classify("I'm not interested!"), Some("no"));
        assert_eq!(m.classify("Sorry, who is this?"), Some("who"));
        assert_eq!(m.classify("I'm busy, call me later"), Some("busy"));
        assert_eq!(m.classify("I know nothing about it"), None);
        assert_eq!(m.classify("look at the book"), None);
    }

    #[test]
    fn full_width_and_mixed_script_input_is_normalised() {
        let m = replies();
        assert_eq!(m.classify("ＯＫ！"), Some("yes"));
        assert_eq!(m.classify("ok好的"), Some("yes"));
        assert_eq!(m.classify("不 需 要"), Some("no"));
    }

    #[test]
    fn excluded_phrases_hide_their_occurrences_only() {
        let m = IntentMatcher::new().intent_excluding(
            "interested",
            ["感兴趣", "interested"],
            ["不感兴趣", "not interested"],
        );
        assert_eq!(m.classify("我挺感兴趣的"), Some("interested"));
        assert_eq!(m.classify("我不感兴趣"), None);
        assert_eq!(m.classify("Not interested."), None);
        assert_eq!(m.classify("不感兴趣？其实我感兴趣"), Some("interested"));
    }

    #[test]
    fn ties_go_to_the_intent_declared_first() {
        let m = IntentMatcher::new()
            .intent("first", ["可以"])
            .intent("second", ["没空"]);
        assert_eq!(m.classify("可以，但是没空"), Some("first"));
        let m = IntentMatcher::new()
            .intent("second", ["没空"])
            .intent("first", ["可以"]);
        assert_eq!(m.classify("可以，但是没空"), Some("second"));
    }

    #[test]
    fn enum_labels_work() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Rating {
            Stars(u8),
        }
        let m = IntentMatcher::new()
            .intent(Rating::Stars(5), ["非常满意", "五分"])
            .intent(Rating::Stars(2), ["不满意"])
            .intent(Rating::Stars(4), ["满意"]);
        assert_eq!(m.classify("非常满意"), Some(Rating::Stars(5)));
        assert_eq!(m.classify("不太满意吧，不满意"), Some(Rating::Stars(2)));
        assert_eq!(m.classify("还算满意"), Some(Rating::Stars(4)));
    }

    #[test]
    fn empty_phrases_and_texts_never_match() {
        let m = IntentMatcher::new().intent("x", ["", "！"]);
        assert_eq!(m.classify(""), None);
        assert_eq!(m.classify("什么"), None);
    }
}

#[cfg(test)]
mod confidence_tests;
