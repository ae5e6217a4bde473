//! Text-to-speech: the [`TextToSpeech`] interface and its backends.
//!
//! - [`espeak::EspeakTts`] — eSpeak NG from Debian, run as a child process; works offline.
//! - [`http::HttpTts`] — an operator's external TTS service over HTTP.
//! - [`cache::TtsCache`] — wraps any backend with a cache keyed by (voice, text) and bounded
//!   in bytes, shared by all calls: a campaign says the same sentences thousands of times.
//!
//! The interface is synchronous and blocking on purpose: every backend waits on something
//! slow (a process, a socket), and a plain trait stays object-safe and easy to wrap. Async
//! callers go through [`synthesize`], which runs the work on tokio's blocking pool so the
//! executor threads that pace other calls' audio never wait on it.
//!
//! Output is canonical audio (16 kHz mono `i16`); encoding and pacing are `media`'s.

pub mod cache;
pub mod espeak;
pub mod http;

use std::sync::Arc;

use thiserror::Error;

use super::AudioError;
use huashu_media::pcm::CANONICAL_RATE;

/// Synthesised audio: canonical 16 kHz mono samples, shared without copying (the cache
/// hands the same sentence to many calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    samples: Arc<[i16]>,
}

impl Speech {
    pub fn new(samples: impl Into<Arc<[i16]>>) -> Self {
        Self {
            samples: samples.into(),
        }
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(CANONICAL_RATE)
    }

    /// Memory the samples take, for the cache's budget.
    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&*self.samples)
    }
}

/// Turns text into speech in a named voice.
pub trait TextToSpeech: Send + Sync {
    /// Synthesises `text` in `voice` (empty: the backend's default voice).
    ///
    /// Blocks until the audio is ready: call it on a blocking thread, or use [`synthesize`].
    fn synthesize_blocking(&self, voice: &str, text: &str) -> Result<Speech, TtsError>;
}

/// Runs [`TextToSpeech::synthesize_blocking`] on tokio's blocking pool.
pub async fn synthesize(
    tts: Arc<dyn TextToSpeech>,
    voice: &str,
    text: &str,
) -> Result<Speech, TtsError> {
    let (voice, text) = (voice.to_owned(), text.to_owned());
    tokio::task::spawn_blocking(move || tts.synthesize_blocking(&voice, &text))
        .await
        .map_err(|e| TtsError::Engine(format!("the synthesis thread failed: {e}")))?
}

/// Why text could not be spoken. The first group is the script's to fix, the rest the
/// operator's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TtsError {
    #[error("there is no text to speak")]
    EmptyText,
    #[error("the text is {chars} characters long; at most {max} can be spoken at once")]
    TextTooLong { chars: usize, max: usize },
    #[error("unknown voice `{voice}` (available: {available})")]
    UnknownVoice { voice: String, available: String },
    #[error(
        "the text-to-speech engine `{engine}` is not installed: install the Debian package \
         `{package}` (./scripts/setup does)"
    )]
    EngineMissing {
        engine: &'static str,
        package: &'static str,
    },
    #[error("the text-to-speech engine failed: {0}")]
    Engine(String),
    #[error("the text-to-speech engine took longer than {0} ms")]
    TimedOut(u64),
    #[error("the text-to-speech service failed: {0}")]
    Service(String),
    #[error("the text-to-speech engine returned unusable audio: {0}")]
    Audio(#[from] AudioError),
}

/// Checks text before any engine sees it: not blank, and within `max` characters.
pub(crate) fn check_text(text: &str, max: usize) -> Result<(), TtsError> {
    if text.trim().is_empty() {
        return Err(TtsError::EmptyText);
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(TtsError::TextTooLong { chars, max });
    }
    Ok(())
}
