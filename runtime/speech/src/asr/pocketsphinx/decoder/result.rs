//! Reading a finished utterance's result: the grammar decoder's confidence from a second,
//! phone-loop pass, and the language model's posterior with n-best alternatives. The
//! safety contracts are those of the parent module.

use std::ffi::c_int;

use super::{Channel, Decoder, Kind, PHONES_SEARCH, ffi, words};
use crate::asr::AsrError;
use huashu_contract::{Alternative, Transcript};

/// Grammar confidence is a logistic curve over the margin: how much better, per frame of
/// speech, the hint grammar explains the audio than the free phone loop does (path scores
/// in the decoder's scaled log units; "speech" as the phone loop segments it). Measured on
/// eSpeak's voice: an utterance that is or contains a hint ("yes", "no thanks" for "no",
/// "call me tomorrow" for "tomorrow") has margins of +6 to +19, speech matching no hint
/// ("maybe later", "what", "hello who is this") -4 to -25. Midpoint 2 and width 2.5 turn
/// that into confidences of 0.65–1.0 and 0.11 or below. Real telephone audio will shift
/// the margins: recalibrate these two numbers on recorded calls.
const MARGIN_MIDPOINT: f64 = 2.0;
const MARGIN_WIDTH: f64 = 2.5;

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
    /// to this utterance. A grammar decoder scores the result by decoding `utterance` (all
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
        if text.is_empty() {
            let nothing = Transcript {
                text,
                confidence: 0.0,
                alternatives: Vec::new(),
            };
            return Ok((nothing, adapted));
        }
        let transcript = match self.kind {
            Kind::Grammar => {
                self.set_search(PHONES_SEARCH)?;
                self.start(channel)?;
                self.process(utterance)?;
                self.end()?;
                let (_, loop_score) = self.hypothesis();
                // The free loop's idea of where the speech is: the grammar search hides
                // speech it has no hint for in silence.
                let speech_frames = self.speech_frames();
                let margin =
                    (f64::from(score) - f64::from(loop_score)) / f64::from(speech_frames.max(1));
                let confidence = 1.0 / (1.0 + (-(margin - MARGIN_MIDPOINT) / MARGIN_WIDTH).exp());
                Transcript {
                    text,
                    confidence: confidence as f32,
                    alternatives: Vec::new(),
                }
            }
            Kind::LanguageModel => self.scored_with_alternatives(text, score),
        };
        Ok((transcript, adapted))
    }

    /// Frames of the best hypothesis not spent in silence (`<sil>`, `<s>`, `</s>`). Noise
    /// fillers count: the grammar search uses them to swallow words it has no hint for.
    fn speech_frames(&mut self) -> c_int {
        let mut frames = 0;
        // SAFETY: a live decoder after an utterance. The iterator is run to its end
        // (where `ps_seg_next` frees it); the word string is read before advancing.
        unsafe {
            let mut seg = ffi::ps_seg_iter(self.raw());
            while !seg.is_null() {
                let word = ffi::ps_seg_word(seg);
                let silence = word.is_null() || *word as u8 == b'<';
                if !silence {
                    let (mut first, mut last): (c_int, c_int) = (0, 0);
                    ffi::ps_seg_frames(seg, &mut first, &mut last);
                    frames += (last - first + 1).max(0);
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
            }
        }
    }
}
