//! Reading a finished utterance's result: for the grammar decoder, a second, phone-loop
//! pass over the same audio whose measurements `rejection` turns into "heard, with this
//! confidence" or "no match"; for the language model, its posterior with n-best
//! alternatives. The safety contracts are those of the parent module.

use std::ffi::c_int;

use super::super::rejection::{self, MIN_SPEECH_FRAMES, Measures, Verdict};
use super::{Channel, Decoder, Kind, PHONES_SEARCH, ffi, words};
use crate::asr::AsrError;
use huashu_contract::{Alternative, NotUnderstood, Transcript};

/// N-best hypotheses read for alternatives. The A* search behind them produces many
/// near-duplicates (same words, other timings); 20 reads yield a few distinct phrases
/// within a millisecond or two.
const NBEST_READS: usize = 20;

/// Alternatives reported besides the best reading: a script branches on a handful at most.
const MAX_ALTERNATIVES: usize = 4;

/// Path scores are scaled down by this before they become relative probabilities; it is
/// PocketSphinx's own `-ascale` default (20), the acoustic scale of its posteriors.
const ACOUSTIC_SCALE: i64 = 20;

impl Decoder {
    /// Ends the utterance and reads the result, with the channel estimate as it adapted
    /// to this utterance. A grammar decoder judges its result by decoding `utterance` (all
    /// the audio fed since `start(channel)`) once more with the phone loop, from the same
    /// `channel`; a language-model decoder uses its posterior and n-best alternatives.
    pub fn finish(
        &mut self,
        utterance: &[i16],
        channel: &[f32],
    ) -> Result<(Transcript, Channel), AsrError> {
        self.end()?;
        let adapted = self.channel();
        let (text, score) = self.hypothesis();
        let transcript = match self.kind {
            Kind::Grammar => self.judged(text, score, utterance, channel)?,
            Kind::LanguageModel if text.is_empty() => nothing_heard(),
            Kind::LanguageModel => self.scored_with_alternatives(text, score),
        };
        Ok((transcript, adapted))
    }

    /// The grammar result `text` (path score `score`) judged against the phone loop.
    /// An empty `text` means no hint fitted at all: "no match" if there was speech.
    fn judged(
        &mut self,
        text: String,
        score: c_int,
        utterance: &[i16],
        channel: &[f32],
    ) -> Result<Transcript, AsrError> {
        if utterance.is_empty() {
            return Ok(nothing_heard());
        }
        let hint_frames = self.frames_in(|word| !is_filler(word), |_| true);
        self.set_search(PHONES_SEARCH)?;
        self.start(channel)?;
        self.process(utterance)?;
        self.end()?;
        let (_, loop_score) = self.hypothesis();
        // The free loop's idea of where the speech is: the grammar search hides speech it
        // has no hint for in silence. Noise fillers count as speech: the loop uses them
        // for sounds no phone fits, which is speech for this purpose. Frames too quiet to
        // be speech do not, whatever the loop made of them: before the channel estimate
        // has adapted, it labels line hiss as phones.
        let audible = |frame: c_int| is_audible(utterance, frame);
        let speech_frames =
            self.frames_in(|word| !is_filler(word) || word.starts_with('['), audible);
        if text.is_empty() {
            return Ok(if speech_frames >= MIN_SPEECH_FRAMES {
                Transcript::not_understood(NotUnderstood::NoMatch)
            } else {
                nothing_heard()
            });
        }
        let measures = Measures {
            grammar_score: score,
            hint_frames,
            loop_score,
            speech_frames,
        };
        let verdict = rejection::judge(measures);
        Ok(match verdict {
            Verdict::Heard(confidence) => Transcript::heard(text, confidence),
            Verdict::NoMatch => Transcript::not_understood(NotUnderstood::NoMatch),
        })
    }

    /// Frames of the last utterance's best hypothesis spent in words for which `counts`
    /// is true (it sees each word as the decoder spells it, `<sil>`, `[NOISE]`, `yes(2)`),
    /// and for which `frame_counts` (given the frame's index) is true.
    fn frames_in(
        &mut self,
        counts: impl Fn(&str) -> bool,
        frame_counts: impl Fn(c_int) -> bool,
    ) -> c_int {
        let mut frames = 0;
        // SAFETY: a live decoder after an utterance. The iterator is run to its end
        // (where `ps_seg_next` frees it); the word string is copied before advancing.
        unsafe {
            let mut seg = ffi::ps_seg_iter(self.raw());
            while !seg.is_null() {
                let word = ffi::ps_seg_word(seg);
                let word = if word.is_null() {
                    std::borrow::Cow::Borrowed("")
                } else {
                    std::ffi::CStr::from_ptr(word).to_string_lossy()
                };
                if counts(&word) {
                    let (mut first, mut last): (c_int, c_int) = (0, 0);
                    ffi::ps_seg_frames(seg, &mut first, &mut last);
                    frames += (first..=last).filter(|&f| frame_counts(f)).count() as c_int;
                }
                seg = ffi::ps_seg_next(seg);
            }
        }
        frames
    }

    /// The language model's result: posterior probability and up to [`MAX_ALTERNATIVES`]
    /// other readings from the n-best list.
    fn scored_with_alternatives(&mut self, text: String, best_score: c_int) -> Transcript {
        // SAFETY: a live decoder after an utterance; `ps_get_hyp` (called by the caller)
        // must precede `ps_get_prob`, which reads the lattice it built. The n-best iterator
        // is freed either by `ps_nbest_next` returning NULL or by `ps_nbest_free`, never
        // both; its strings are copied at once.
        unsafe {
            let logmath = ffi::ps_get_logmath(self.raw());
            let confidence = ffi::logmath_exp(logmath, ffi::ps_get_prob(self.raw())) as f32;
            let mut readings: Vec<(String, c_int)> = Vec::new();
            let mut nbest = ffi::ps_nbest(self.raw());
            let mut reads = 0;
            while !nbest.is_null() && reads < NBEST_READS {
                reads += 1;
                nbest = ffi::ps_nbest_next(nbest);
                if nbest.is_null() {
                    break;
                }
                let mut score: c_int = 0;
                let reading = words(ffi::ps_nbest_hyp(nbest, &mut score));
                if !reading.is_empty() && !readings.iter().any(|(r, _)| *r == reading) {
                    readings.push((reading, score));
                }
            }
            if !nbest.is_null() {
                ffi::ps_nbest_free(nbest);
            }
            let top = readings.iter().map(|(_, s)| *s).max().unwrap_or(best_score);
            let alternatives = readings
                .into_iter()
                .filter(|(r, _)| *r != text)
                .take(MAX_ALTERNATIVES)
                .map(|(reading, score)| {
                    let relative = (i64::from(score) - i64::from(top)) / ACOUSTIC_SCALE;
                    let relative = relative.clamp(i64::from(c_int::MIN), 0) as c_int;
                    Alternative {
                        text: reading,
                        confidence: confidence * ffi::logmath_exp(logmath, relative) as f32,
                    }
                })
                .collect();
            Transcript {
                text,
                confidence,
                alternatives,
                not_understood: None,
            }
        }
    }
}

/// Silence, noise, and the grammar's empty transitions: not words of a hint.
fn is_filler(word: &str) -> bool {
    word.is_empty() || word.starts_with('<') || word.starts_with('[') || word == "(NULL)"
}

/// Samples per decoder frame: PocketSphinx's 100 frames a second at 16 kHz.
const FRAME_SHIFT: usize = 160;

/// The quietest a decoder frame of speech is, as RMS of 16-bit samples (about -56 dBFS).
/// Speech on a call is 500–5,000 at its vowels, but weak consonants ("h", "th") fall to
/// 50–150; a quiet line's hiss is about 10. At 150, "hello who is this" lost enough
/// frames for "yes please" to cover it; so it errs low, keeping out only the hiss.
const SPEECH_RMS: f64 = 50.0;

/// Whether decoder frame `frame` of `utterance` is loud enough to be speech.
fn is_audible(utterance: &[i16], frame: c_int) -> bool {
    let start = usize::try_from(frame).unwrap_or(0) * FRAME_SHIFT;
    let Some(samples) = utterance.get(start..(start + FRAME_SHIFT).min(utterance.len())) else {
        return false;
    };
    let energy: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (energy / samples.len().max(1) as f64).sqrt() >= SPEECH_RMS
}

/// An utterance in which nothing was heard: empty text, no reason (not a failed match).
fn nothing_heard() -> Transcript {
    Transcript {
        text: String::new(),
        confidence: 0.0,
        alternatives: Vec::new(),
        not_understood: None,
    }
}
