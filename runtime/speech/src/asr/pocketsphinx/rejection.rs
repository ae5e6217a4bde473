//! Out-of-grammar rejection for the hint grammar: whether a grammar result is an answer
//! the caller gave, and how sure we are. Pure arithmetic over what the two decoding passes
//! measured (`decoder::result` reads them); no decoder here.
//!
//! A grammar search always ends on *some* hint when it can: Mandarin "不需要，谢谢" came out
//! as "call me later". Two measurements tell an answer from such a forced match, both
//! against a free phone loop decoded over the same audio (what the speech looks like
//! without the hints' constraint):
//!
//! - **Coverage**: the hint's words' frames over the loop's speech frames. The grammar
//!   search hides speech it has no words for in silence and noise fillers, so a forced
//!   match explains only part of what was said: a hint said alone covers 0.66–1.4 of the
//!   speech, a hint forced onto other speech 0.08–0.52 (eSpeak NG voices en-us, en-gb,
//!   en-gb-scotland, en-gb-x-rp, en-gb-x-gbclan, en-029; Mandarin from `cmn`). Below
//!   [`MIN_COVERAGE`] the result is "no match".
//! - **Margin**: how much better, per speech frame, the grammar's best path scores than
//!   the loop's (decoder log units). A hint said alone scores -5.1 to +35; short other
//!   words that a hint covers well in time ("what" heard as "no", "maybe later" as "yes
//!   please") score -11 to -28. A logistic curve turns the margin into the confidence, and
//!   below [`MIN_CONFIDENCE`] the result is "no match" too.
//!
//! The price: a hint inside a longer sentence ("no thanks" for the hint "no") usually
//! covers too little of the speech and is rejected, as "what is the weather tomorrow" is
//! for "tomorrow"; which side of the line "call me tomorrow" falls on depends on the
//! voice. Such spotting was unreliable before (on British voices "no thanks" came out as
//! "yes"), and a wrong "yes" costs more than asking again: give the longer answers as
//! hints. The numbers are from synthetic speech; recalibrate them on recorded calls.

/// The least share of the speech a hint must explain to count as the answer. Between the
/// highest forced match (0.52) and the lowest hint said alone (0.66) measured.
pub(super) const MIN_COVERAGE: f64 = 0.6;

/// Margin (per speech frame) at which the confidence is 0.5: below every hint said alone
/// (-5.1 at the lowest, Scottish "no thank you"), above the short mismatches (-11).
const MARGIN_MIDPOINT: f64 = -7.0;

/// Margin change that moves the confidence across most of its range: -5.1 maps to 0.68,
/// -0.4 to 0.93, -11 to 0.17 (no match), +10 to 1.0.
const MARGIN_WIDTH: f64 = 2.5;

/// Below this confidence the hint is not reported at all: the loop explains the hint's
/// own stretch of audio far better than the hint does (margin below about -10.5). Between
/// this and 0.5 the hint is reported with its low confidence for the script to weigh.
pub(super) const MIN_CONFIDENCE: f64 = 0.2;

/// Speech frames (10 ms each) the phone loop must find before an utterance with no
/// grammar result counts as "spoke, matched nothing" rather than "nothing heard": 150 ms
/// is shorter than any word, longer than a click or breath the loop labels as a phone.
pub(super) const MIN_SPEECH_FRAMES: i32 = 15;

/// What the two passes measured for one utterance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Measures {
    /// The grammar's best path score (decoder log units).
    pub grammar_score: i32,
    /// Frames of the grammar result spent in hint words.
    pub hint_frames: i32,
    /// The phone loop's best path score over the same audio.
    pub loop_score: i32,
    /// Frames the phone loop spent in speech (not silence).
    pub speech_frames: i32,
}

/// What a grammar result is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Verdict {
    /// The hint was said; with its confidence (0..1).
    Heard(f32),
    /// Speech that is none of the hints.
    NoMatch,
}

/// Judges a grammar result that found a hint.
pub(super) fn judge(m: Measures) -> Verdict {
    let speech = f64::from(m.speech_frames.max(1));
    let coverage = f64::from(m.hint_frames) / speech;
    if coverage < MIN_COVERAGE {
        return Verdict::NoMatch;
    }
    let margin = (f64::from(m.grammar_score) - f64::from(m.loop_score)) / speech;
    let confidence = 1.0 / (1.0 + (-(margin - MARGIN_MIDPOINT) / MARGIN_WIDTH).exp());
    if confidence < MIN_CONFIDENCE {
        Verdict::NoMatch
    } else {
        Verdict::Heard(confidence as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measures(hint_frames: i32, speech_frames: i32, margin_per_frame: i32) -> Measures {
        Measures {
            grammar_score: -3_000 + margin_per_frame * speech_frames,
            hint_frames,
            loop_score: -3_000,
            speech_frames,
        }
    }

    fn confidence(verdict: Verdict) -> f32 {
        match verdict {
            Verdict::Heard(c) => c,
            Verdict::NoMatch => panic!("rejected"),
        }
    }

    #[test]
    fn a_hint_that_explains_the_speech_and_outscores_the_loop_is_heard_confidently() {
        assert!(confidence(judge(measures(78, 88, 18))) > 0.99);
        // The weakest hint said alone that was measured.
        assert!(confidence(judge(measures(74, 112, 0))) > 0.8);
    }

    #[test]
    fn a_hint_forced_onto_longer_speech_is_no_match_however_well_it_scores() {
        assert_eq!(judge(measures(79, 251, 30)), Verdict::NoMatch);
        assert_eq!(judge(measures(49, 109, 2)), Verdict::NoMatch);
    }

    #[test]
    fn a_hint_the_loop_explains_far_better_is_no_match() {
        assert_eq!(judge(measures(25, 39, -21)), Verdict::NoMatch);
        assert_eq!(judge(measures(64, 82, -12)), Verdict::NoMatch);
    }

    #[test]
    fn a_marginal_hint_is_heard_with_a_low_confidence() {
        let marginal = confidence(judge(measures(40, 50, -8)));
        assert!((0.2..0.5).contains(&marginal), "{marginal}");
    }

    #[test]
    fn confidence_grows_with_the_margin() {
        let at = |margin| confidence(judge(measures(45, 50, margin)));
        assert!(at(-9) < at(-7) && at(-7) < at(0) && at(0) < at(10));
        assert!((at(-7) - 0.5).abs() < 1e-6);
    }
}
