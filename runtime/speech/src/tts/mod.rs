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
    /// Wraps canonical 16 kHz mono samples.
    pub fn new(samples: impl Into<Arc<[i16]>>) -> Self {
        Self {
            samples: samples.into(),
        }
    }

    /// The canonical 16 kHz mono samples.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// Playing time, in ms, rounded down.
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(CANONICAL_RATE)
    }

    /// Memory the samples take, for the cache's budget.
    pub fn bytes(&self) -> usize {
        size_of_val(&*self.samples)
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
    /// The text is empty or only whitespace.
    #[error("there is no text to speak")]
    EmptyText,
    /// The text is longer than the backend speaks in one request.
    #[error("the text is {chars} characters long; at most {max} can be spoken at once")]
    TextTooLong {
        /// Length of the text, in characters (not bytes).
        chars: usize,
        /// The backend's limit, in characters.
        max: usize,
    },
    /// The voice is not one the backend has, or not a valid voice name.
    #[error("unknown voice `{voice}` (available: {available})")]
    UnknownVoice {
        /// The voice asked for (shortened if very long).
        voice: String,
        /// The voices on offer, or a description of the names accepted.
        available: String,
    },
    /// The engine's program is not installed; installing the named package provides it.
    #[error(
        "the text-to-speech engine `{engine}` is not installed: install the Debian package \
         `{package}` (./scripts/setup does)"
    )]
    EngineMissing {
        /// The program that is missing, e.g. `espeak-ng`.
        engine: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The local engine failed to start, run or produce output; carries why.
    #[error("the text-to-speech engine failed: {0}")]
    Engine(String),
    /// Synthesis passed its deadline; carries the deadline in ms.
    #[error("the text-to-speech engine took longer than {0} ms")]
    TimedOut(u64),
    /// The HTTP service is misconfigured, unreachable, answered with an error status or
    /// sent too much; carries why.
    #[error("the text-to-speech service failed: {0}")]
    Service(String),
    /// The engine's WAV output could not be read or converted to canonical audio.
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
