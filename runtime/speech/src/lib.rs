//! The speech stage: turns the customer's audio into speech events and the script's text into
//! audio.
//!
//! It owns, each behind a trait with its backends beside it:
//!
//! - [`tts`] — [`tts::TextToSpeech`]: text to canonical audio. eSpeak NG from Debian
//!   ([`tts::espeak`]), an external HTTP service ([`tts::http`]), and a byte-budgeted cache
//!   shared by all calls ([`tts::cache`]).
//! - [`asr`] — [`asr::SpeechRecognizer`]: streaming recognition of one utterance at a time,
//!   steered by the listen's phrase hints. PocketSphinx from Debian through our own FFI
//!   ([`asr::pocketsphinx`]) and a Vosk-protocol WebSocket server ([`asr::vosk_ws`]).
//! - [`vad`] — WebRTC's voice activity detector on 20 ms frames.
//! - [`turn`] — turn-taking on top of the VAD: when the customer starts speaking and when
//!   the utterance ends (silence or the length cap). This drives barge-in and no-input.
//!
//! It does not own codecs, resampling of call audio, or pacing (that is `media`), nor what a
//! transcript means to the call (that is `session`): it hands over
//! [`huashu_contract::Transcript`]s and [`turn::TurnEvent`]s. Typed text never passes
//! through here; the transports deliver it as a final transcript directly.
//!
//! All audio here is canonical (`media::pcm`): 16 kHz mono `i16`, in frames of 20 ms.
//! Engines that are slow or blocking (a decoder, a child process, an HTTP request) run on
//! threads of their own, never on the async executor, so one call's slow decode does not
//! delay another call's frames.

pub mod asr;
mod canonical;
pub mod tts;
pub mod turn;
pub mod vad;

#[cfg(test)]
mod real_engine_tests;

pub use canonical::AudioError;
