//! What the simulated customers send, encoded once for every call: a frame of mu-law
//! silence, and optionally a speech file as mu-law frames, all already in base64 so the
//! per-frame work of a call is writing one short JSON line.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use thiserror::Error;

use huashu_media::g711;
use huashu_media::transport_codec::{CodecError, EncodedAudio, TransportCodec};
use huashu_media::wav::{self, WavError};

/// Bytes in one 20 ms mu-law frame at 8 kHz.
pub const FRAME_BYTES: usize = 160;

/// Why the speech file cannot be streamed.
#[derive(Debug, Error)]
pub enum AudioError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Wav { path: String, source: WavError },
    #[error("{path}: cannot encode as 8 kHz mu-law: {source}")]
    Encode { path: String, source: CodecError },
    #[error("{path} holds no audio")]
    Empty { path: String },
}

/// The customer's audio, shared by all calls.
#[derive(Debug, Clone)]
pub struct CustomerAudio {
    /// One frame of silence.
    pub silence: Arc<str>,
    /// The speech file, frame by frame; streamed as the customer's turn.
    pub speech: Option<Arc<[Arc<str>]>>,
}

impl CustomerAudio {
    pub fn new(speech: Option<&Path>) -> Result<Self, AudioError> {
        let silence = [g711::ulaw_encode(0); FRAME_BYTES];
        Ok(Self {
            silence: BASE64.encode(silence).into(),
            speech: speech.map(speech_frames).transpose()?,
        })
    }

    /// How long the speech turn lasts, in frames.
    pub fn speech_frames(&self) -> usize {
        self.speech.as_ref().map_or(0, |frames| frames.len())
    }
}

fn speech_frames(path: &Path) -> Result<Arc<[Arc<str>]>, AudioError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| AudioError::Read {
        path: shown.clone(),
        source,
    })?;
    let canonical = wav::decode_to_canonical(&bytes).map_err(|source| AudioError::Wav {
        path: shown.clone(),
        source,
    })?;
    let encoded = EncodedAudio::encode(TransportCodec::Mulaw8k, &canonical).map_err(|source| {
        AudioError::Encode {
            path: shown.clone(),
            source,
        }
    })?;
    let frames: Vec<Arc<str>> = (0..encoded.frame_count())
        .filter_map(|i| encoded.frame(i))
        .map(|frame| BASE64.encode(frame).into())
        .collect();
    if frames.is_empty() {
        return Err(AudioError::Empty { path: shown });
    }
    Ok(frames.into())
}

/// Whether a server frame's payload is 160 bytes of base64, decoded without allocating.
pub fn is_full_frame(payload_base64: &str) -> bool {
    let mut decoded = [0u8; FRAME_BYTES + 3];
    matches!(
        BASE64.decode_slice(payload_base64.as_bytes(), &mut decoded),
        Ok(FRAME_BYTES)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_one_frame_of_mulaw_zero() {
        let audio = CustomerAudio::new(None).expect("silence");
        let bytes = BASE64.decode(audio.silence.as_bytes()).expect("base64");
        assert_eq!(bytes.len(), FRAME_BYTES);
        assert!(bytes.iter().all(|&b| g711::ulaw_decode(b) == 0));
        assert!(is_full_frame(&audio.silence));
        assert_eq!(audio.speech_frames(), 0);
    }

    #[test]
    fn short_or_broken_payloads_are_not_full_frames() {
        assert!(!is_full_frame(&BASE64.encode([0xFFu8; 80])));
        assert!(!is_full_frame(&BASE64.encode([0xFFu8; 320])));
        assert!(!is_full_frame("not base64!"));
    }

    #[test]
    fn a_speech_file_becomes_20_ms_frames() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("turn.wav");
        // Half a second of a 440 Hz tone at 16 kHz.
        let samples = huashu_media::pcm::test_signals::sine(440.0, 16_000, 0.3, 8_000);
        std::fs::write(&path, wav::encode_pcm16(&samples, 16_000)).expect("write wav");
        let audio = CustomerAudio::new(Some(&path)).expect("speech");
        assert_eq!(audio.speech_frames(), 25);
        let speech = audio.speech.expect("frames");
        assert!(speech.iter().all(|frame| is_full_frame(frame)));
    }

    #[test]
    fn a_file_that_is_not_wav_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("turn.wav");
        std::fs::write(&path, b"hello").expect("write");
        let error = CustomerAudio::new(Some(&path)).expect_err("not a WAV");
        assert!(error.to_string().contains("turn.wav"), "{error}");
    }
}
