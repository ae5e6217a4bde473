//! Voice activity detection: is there speech in this 20 ms frame? WebRTC's detector
//! (libfvad, through the `webrtc-vad` crate, which builds its C sources), a small Gaussian
//! model of speech and noise energy in six bands that adapts to the line's noise.
//!
//! It judges single frames and flickers; [`super::turn`] turns its verdicts into turns.
//!
//! It works on the line's own rate (8 kHz for telephony, 48 kHz for Opus, 16 kHz for raw
//! PCM): the model itself runs at 8 kHz and downsamples anything faster, so giving it
//! telephone audio as it arrived costs least and judges the same.

use thiserror::Error;
use webrtc_vad::{SampleRate, Vad, VadMode};

use huashu_media::pcm::{self, CANONICAL_RATE};

/// How eagerly noise is called speech: the WebRTC modes, from least to most aggressive in
/// rejecting non-speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggressiveness {
    /// Calls almost anything with energy speech.
    Quality,
    /// WebRTC mode 1: rejects somewhat more noise than [`Self::Quality`].
    LowBitrate,
    /// The default: telephone lines carry hiss and codec noise that mode 2 ignores, while
    /// it still catches soft onsets that mode 3 clips.
    #[default]
    Aggressive,
    /// For noisy lines (street, car); misses more quiet speech.
    VeryAggressive,
}

/// Why a frame could not be judged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VadError {
    /// The frame is not 20 ms at the detector's rate.
    #[error("a frame has {got} samples; the detector takes {expected} (20 ms)")]
    FrameSize {
        /// Samples in the frame passed.
        got: usize,
        /// Samples in 20 ms at the detector's rate.
        expected: usize,
    },
    /// The detector cannot run at this rate; carries the rate asked for, in Hz.
    #[error("the voice activity detector works at 8, 16, 32 or 48 kHz, not {0} Hz")]
    Rate(u32),
    /// libfvad returned an error for the frame.
    #[error("the voice activity detector rejected a frame")]
    Rejected,
}

/// A voice activity detector for one audio stream (it adapts to that stream's noise).
pub struct VoiceDetector {
    vad: Vad,
    /// Samples in one 20 ms frame at the detector's rate.
    frame_samples: usize,
}

// SAFETY: `Vad` holds the only pointer to a libfvad instance, plain heap state with no
// thread-local or global data (libfvad has none), so moving it to another thread is sound;
// all use goes through `&mut self`, so it is never shared.
unsafe impl Send for VoiceDetector {}

impl VoiceDetector {
    /// A detector for 20 ms frames at `rate` Hz (8, 16, 32 or 48 kHz).
    pub fn new(rate: u32, aggressiveness: Aggressiveness) -> Result<Self, VadError> {
        let sample_rate = i32::try_from(rate)
            .ok()
            .and_then(|r| SampleRate::try_from(r).ok())
            .ok_or(VadError::Rate(rate))?;
        Ok(Self::at(sample_rate, rate, aggressiveness))
    }

    fn at(sample_rate: SampleRate, rate: u32, aggressiveness: Aggressiveness) -> Self {
        let mode = match aggressiveness {
            Aggressiveness::Quality => VadMode::Quality,
            Aggressiveness::LowBitrate => VadMode::LowBitrate,
            Aggressiveness::Aggressive => VadMode::Aggressive,
            Aggressiveness::VeryAggressive => VadMode::VeryAggressive,
        };
        Self {
            vad: Vad::new_with_rate_and_mode(sample_rate, mode),
            frame_samples: pcm::frame_samples_at(rate),
        }
    }

    /// Samples in the 20 ms frames [`Self::is_voiced`] takes.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// True if the 20 ms frame ([`Self::frame_samples`] samples) holds speech.
    pub fn is_voiced(&mut self, frame: &[i16]) -> Result<bool, VadError> {
        if frame.len() != self.frame_samples {
            return Err(VadError::FrameSize {
                got: frame.len(),
                expected: self.frame_samples,
            });
        }
        self.vad
            .is_voice_segment(frame)
            .map_err(|()| VadError::Rejected)
    }
}

impl Default for VoiceDetector {
    /// The default aggressiveness on canonical 16 kHz frames.
    fn default() -> Self {
        Self::at(
            SampleRate::Rate16kHz,
            CANONICAL_RATE,
            Aggressiveness::default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_media::pcm::FRAME_SAMPLES;
    use huashu_media::pcm::test_signals::speech_like;
    use huashu_media::resample::convert_i16;

    #[test]
    fn silence_is_not_speech_and_odd_frames_are_refused() {
        let mut vad = VoiceDetector::default();
        for _ in 0..50 {
            assert_eq!(vad.is_voiced(&[0; FRAME_SAMPLES]), Ok(false));
        }
        assert_eq!(
            vad.is_voiced(&[0; 160]),
            Err(VadError::FrameSize {
                got: 160,
                expected: 320
            })
        );
    }

    #[test]
    fn rates_the_model_has_no_filter_for_are_refused() {
        assert_eq!(
            VoiceDetector::new(22_050, Aggressiveness::default()).err(),
            Some(VadError::Rate(22_050))
        );
        let telephone = VoiceDetector::new(8_000, Aggressiveness::default());
        assert_eq!(telephone.map(|vad| vad.frame_samples()).ok(), Some(160));
    }

    /// What the line carries at 8 kHz is judged as its 16 kHz conversion would be: the
    /// model runs at 8 kHz either way.
    #[test]
    fn telephone_rate_frames_are_judged_like_their_canonical_conversion() {
        let canonical = [
            vec![0; 16_000],
            speech_like(16_000, 16_000),
            vec![0; 16_000],
        ]
        .concat();
        let line = convert_i16(&canonical, 16_000, 8_000).unwrap_or_default();
        let verdicts = |vad: &mut VoiceDetector, audio: &[i16]| -> Vec<bool> {
            audio
                .chunks_exact(vad.frame_samples())
                .map(|frame| vad.is_voiced(frame).unwrap_or(false))
                .collect()
        };
        let mut wide = VoiceDetector::default();
        let mut narrow = VoiceDetector::new(8_000, Aggressiveness::default()).expect("8 kHz");
        let (wide, narrow) = (
            verdicts(&mut wide, &canonical),
            verdicts(&mut narrow, &line),
        );
        assert_eq!(wide.len(), 150);
        assert_eq!(narrow.len(), 150);
        let voiced = |v: &[bool]| v.iter().filter(|&&x| x).count();
        assert!(
            voiced(&narrow[50..100]) >= 45,
            "speech heard at 8 kHz: {narrow:?}"
        );
        // The detector holds on for a few frames after speech (its hangover).
        assert!(voiced(&narrow[..50]) == 0 && voiced(&narrow[110..]) == 0);
        let agree = wide.iter().zip(&narrow).filter(|(a, b)| a == b).count();
        assert!(
            agree >= 145,
            "8 and 16 kHz verdicts agree on {agree} of 150 frames"
        );
    }

    #[test]
    fn the_detector_can_move_between_threads() {
        let mut vad = VoiceDetector::default();
        let moved = std::thread::spawn(move || vad.is_voiced(&[0; FRAME_SAMPLES]));
        assert_eq!(moved.join().ok(), Some(Ok(false)));
    }
}
