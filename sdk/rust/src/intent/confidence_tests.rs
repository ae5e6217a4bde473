//! Tests of [`IntentMatcher::classify_transcript`]: readings are judged by their confidence
//! before their words, and a transcript that was not understood means nothing.

use super::IntentMatcher;
use super::tests::replies;
use crate::NotUnderstood;
use crate::call::tests::unsure as heard;

#[test]
fn transcripts_fall_back_to_confident_alternatives() {
    let m = replies();
    assert_eq!(
        m.classify_transcript(&heard("嗯嗯", 0.9, &[("行", 0.6)])),
        Some("yes")
    );
}

#[test]
fn low_confidence_guesses_classify_as_no_intent() {
    let m = replies();
    assert_eq!(m.classify_transcript(&heard("好的", 0.4, &[])), None);
    assert_eq!(
        m.classify_transcript(&heard("嗯嗯", 0.4, &[("行", 0.3)])),
        None
    );
    assert_eq!(
        m.classify_transcript(&heard("嗯嗯", 0.9, &[("好的", 0.49)])),
        None
    );
}

#[test]
fn readings_at_or_above_the_threshold_classify() {
    let m = replies();
    assert_eq!(
        m.classify_transcript(&heard(
            "好的",
            IntentMatcher::<&str>::DEFAULT_MIN_CONFIDENCE,
            &[]
        )),
        Some("yes")
    );
    assert_eq!(
        m.classify_transcript(&heard("不需要", 0.8, &[])),
        Some("no")
    );
    // A guess as the best reading does not hide a confident alternative.
    assert_eq!(
        m.classify_transcript(&heard("好的", 0.3, &[("不需要", 0.7)])),
        Some("no")
    );
}

#[test]
fn typed_text_always_counts() {
    assert_eq!(
        replies()
            .min_confidence(1.0)
            .classify_transcript(&heard("好的", 1.0, &[])),
        Some("yes")
    );
}

#[test]
fn a_not_understood_transcript_classifies_as_no_intent() {
    let m = replies().min_confidence(0.0);
    for why in [
        NotUnderstood::NoMatch,
        NotUnderstood::NoRecogniser("en-US".into()),
        NotUnderstood::Failed("timeout".into()),
    ] {
        let mut t = heard("好的", 0.9, &[]);
        t.not_understood = Some(why);
        assert_eq!(m.classify_transcript(&t), None);
    }
}

#[test]
fn a_custom_threshold_is_honoured() {
    let t = heard("好的", 0.7, &[("不需要", 0.3)]);
    assert_eq!(replies().classify_transcript(&t), Some("yes"));
    assert_eq!(replies().min_confidence(0.8).classify_transcript(&t), None);
    assert_eq!(
        replies()
            .min_confidence(0.2)
            .readings(&t)
            .collect::<Vec<_>>(),
        ["好的", "不需要"]
    );
    assert_eq!(
        replies().min_confidence(0.2).classify_transcript(&t),
        Some("yes")
    );
}
