//! What the simulated customers send, encoded once for every call: a frame of silence, and
//! optionally a speech file, in 20 ms frames. For Twilio calls the mu-law frames are
//! already in base64, so the per-frame work of a call is writing one short JSON line; for
//! SIP calls they are raw G.711 bytes in both laws (the server's answer picks one), so the
//! per-frame work is copying 160 bytes behind an RTP header.
//!
//! The speech file's end of speech (its last frame above [`SPEECH_LEVEL`]) is where a
//! spoken turn's reply is awaited from: trailing quiet in the file is part of the silence
//! the server waits for, not of the customer's speech.

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

/// A frame at or under this RMS level (of full scale) is quiet: 0.01 is −40 dBFS, above a
/// recording's noise floor and the quietest tail of synthetic speech's zeros, below any
/// spoken syllable.
pub const SPEECH_LEVEL: f64 = 0.01;

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
    /// One frame of mu-law silence, in base64.
    pub silence: Arc<str>,
    /// The speech file as mu-law, frame by frame, in base64; streamed as the customer's
    /// turn.
    pub speech: Option<Arc<[Arc<str>]>>,
    /// The same audio as raw mu-law bytes (RTP payload type 0, PCMU).
    pub mulaw: RawFrames,
    /// The same audio as raw A-law bytes (RTP payload type 8, PCMA), transcoded from the
    /// mu-law frames sample by sample.
    pub alaw: RawFrames,
    /// Frames of the speech file up to and including its last one above [`SPEECH_LEVEL`]:
    /// the customer has stopped speaking once that many are sent (0 without a file).
    pub speech_end: usize,
}

/// One 20 ms G.711 frame.
pub type RawFrame = [u8; FRAME_BYTES];

/// Silence and the speech file as raw G.711 frames of one law.
#[derive(Debug, Clone)]
pub struct RawFrames {
    pub silence: RawFrame,
    pub speech: Option<Arc<[RawFrame]>>,
    /// See [`CustomerAudio::speech_end`].
    pub speech_end: usize,
}

impl CustomerAudio {
    pub fn new(speech: Option<&Path>) -> Result<Self, AudioError> {
        let silence = [g711::ulaw_encode(0); FRAME_BYTES];
        let speech = speech.map(speech_frames).transpose()?;
        let speech_end = speech.as_ref().map_or(0, |frames| speech_end(frames));
        let mulaw = RawFrames {
            silence,
            speech: speech.clone(),
            speech_end,
        };
        let alaw = RawFrames {
            silence: ulaw_to_alaw(&silence),
            speech: speech
                .as_ref()
                .map(|frames| frames.iter().map(ulaw_to_alaw).collect()),
            speech_end,
        };
        let base64 = |frame: &RawFrame| -> Arc<str> { BASE64.encode(frame).into() };
        Ok(Self {
            silence: base64(&silence),
            speech: speech.map(|frames| frames.iter().map(base64).collect()),
            mulaw,
            alaw,
            speech_end,
        })
    }

    /// How long the speech turn lasts, in frames.
    pub fn speech_frames(&self) -> usize {
        self.speech.as_ref().map_or(0, |frames| frames.len())
    }
}

/// Frames up to and including the last one above [`SPEECH_LEVEL`]; all of them when every
/// frame is quiet (a file of noise below the level is still the customer's turn).
fn speech_end(frames: &[RawFrame]) -> usize {
    let mut samples = Vec::with_capacity(FRAME_BYTES);
    let loud = |frame: &RawFrame, samples: &mut Vec<i16>| {
        samples.clear();
        samples.extend(frame.iter().map(|&code| g711::ulaw_decode(code)));
        huashu_media::pcm::rms(samples) > SPEECH_LEVEL
    };
    frames
        .iter()
        .rposition(|frame| loud(frame, &mut samples))
        .map_or(frames.len(), |last| last + 1)
}

/// The same sound in A-law.
fn ulaw_to_alaw(frame: &RawFrame) -> RawFrame {
    frame.map(|code| g711::alaw_encode(g711::ulaw_decode(code)))
}

fn speech_frames(path: &Path) -> Result<Arc<[RawFrame]>, AudioError> {
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
    let frames: Vec<RawFrame> = (0..encoded.frame_count())
        .filter_map(|i| encoded.frame(i))
        .map(|frame| {
            // A short last frame is padded with silence.
            let mut full = [g711::ulaw_encode(0); FRAME_BYTES];
            let len = frame.len().min(FRAME_BYTES);
            full[..len].copy_from_slice(&frame[..len]);
            full
        })
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
        assert_eq!(bytes, audio.mulaw.silence);
        // A-law has no code for 0: its silence is the smallest level, ±8.
        assert!(
            audio
                .alaw
                .silence
                .iter()
                .all(|&b| b == g711::alaw_encode(0))
        );
        assert!(
            audio
                .alaw
                .silence
                .iter()
                .all(|&b| g711::alaw_decode(b).abs() <= 8)
        );
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
        assert_eq!(audio.speech_end, 25, "a tone to its last frame");
        let speech = audio.speech.clone().expect("frames");
        assert!(speech.iter().all(|frame| is_full_frame(frame)));
        // The raw frames are the same sound in each law.
        let mulaw = audio.mulaw.speech.expect("mu-law frames");
        let alaw = audio.alaw.speech.expect("A-law frames");
        assert_eq!((mulaw.len(), alaw.len()), (25, 25));
        assert_eq!(BASE64.encode(mulaw[10]), *speech[10]);
        for (mu, a) in mulaw[10].iter().zip(&alaw[10]) {
            let (mu, a) = (g711::ulaw_decode(*mu), g711::alaw_decode(*a));
            assert!((i32::from(mu) - i32::from(a)).abs() <= i32::from(mu).abs() / 8 + 16);
        }
    }

    #[test]
    fn the_customer_stops_speaking_at_the_last_loud_frame_not_the_files_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("turn.wav");
        // 300 ms of a tone, then 200 ms of quiet.
        let mut samples = huashu_media::pcm::test_signals::sine(440.0, 16_000, 0.3, 4_800);
        samples.extend(std::iter::repeat_n(0, 3_200));
        std::fs::write(&path, wav::encode_pcm16(&samples, 16_000)).expect("write wav");
        let audio = CustomerAudio::new(Some(&path)).expect("speech");
        assert_eq!(audio.speech_frames(), 25);
        assert_eq!(audio.speech_end, 15);
        assert_eq!(CustomerAudio::new(None).expect("silence").speech_end, 0);
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
