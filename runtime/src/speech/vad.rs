//! Voice activity detection: is there speech in this 20 ms frame? WebRTC's detector
//! (libfvad, through the `webrtc-vad` crate, which builds its C sources), a small Gaussian
//! model of speech and noise energy in six bands that adapts to the line's noise.
//!
//! It judges single frames and flickers; [`super::turn`] turns its verdicts into turns.

use thiserror::Error;
use webrtc_vad::{SampleRate, Vad, VadMode};

use crate::media::pcm::FRAME_SAMPLES;

/// How eagerly noise is called speech: the WebRTC modes, from least to most aggressive in
/// rejecting non-speech.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggressiveness {
    /// Calls almost anything with energy speech.
    Quality,
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
    #[error("a frame has {0} samples; the detector takes {FRAME_SAMPLES} (16 kHz, 20 ms)")]
    FrameSize(usize),
    #[error("the voice activity detector rejected a frame")]
    Rejected,
}

/// A voice activity detector for one audio stream (it adapts to that stream's noise).
pub struct VoiceDetector {
    vad: Vad,
}

// SAFETY: `Vad` holds the only pointer to a libfvad instance, plain heap state with no
// thread-local or global data (libfvad has none), so moving it to another thread is sound;
// all use goes through `&mut self`, so it is never shared.
unsafe impl Send for VoiceDetector {}

impl VoiceDetector {
    pub fn new(aggressiveness: Aggressiveness) -> Self {
        let mode = match aggressiveness {
            Aggressiveness::Quality => VadMode::Quality,
            Aggressiveness::LowBitrate => VadMode::LowBitrate,
            Aggressiveness::Aggressive => VadMode::Aggressive,
            Aggressiveness::VeryAggressive => VadMode::VeryAggressive,
        };
        Self {
            vad: Vad::new_with_rate_and_mode(SampleRate::Rate16kHz, mode),
        }
    }

    /// True if the frame ([`FRAME_SAMPLES`] canonical samples) holds speech.
    pub fn is_voiced(&mut self, frame: &[i16]) -> Result<bool, VadError> {
        if frame.len() != FRAME_SAMPLES {
            return Err(VadError::FrameSize(frame.len()));
        }
        self.vad
            .is_voice_segment(frame)
            .map_err(|()| VadError::Rejected)
    }
}

impl Default for VoiceDetector {
    fn default() -> Self {
        Self::new(Aggressiveness::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_not_speech_and_odd_frames_are_refused() {
        let mut vad = VoiceDetector::default();
        for _ in 0..50 {
            assert_eq!(vad.is_voiced(&[0; FRAME_SAMPLES]), Ok(false));
        }
        assert_eq!(vad.is_voiced(&[0; 160]), Err(VadError::FrameSize(160)));
    }

    #[test]
    fn the_detector_can_move_between_threads() {
        let mut vad = VoiceDetector::default();
        let moved = std::thread::spawn(move || vad.is_voiced(&[0; FRAME_SAMPLES]));
        assert_eq!(moved.join().ok(), Some(Ok(false)));
    }
}
