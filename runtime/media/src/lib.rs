//! Media: the audio between the transports and the session. Decodes what calls send into
//! canonical audio (16 kHz mono `i16`, 20 ms frames), and turns what the session plays into
//! paced, encoded frames for the call's transport. Owns codecs, resampling, pacing and the
//! cache of encoded prompts and speech; it does not own sockets (transport), playback
//! timing as the script sees it (session) or speech engines (speech).
//!
//! - [`pcm`] — the canonical frame: constants, `i16`/`f32` conversion, mixing.
//! - [`g711`] — mu-law and A-law, table-driven.
//! - [`opus_codec`] — Opus 48 kHz mono on libopus.
//! - [`resample`] — rubato: streaming per call direction, one-shot for whole clips.
//! - [`transport_codec`] — canonical audio to and from a transport's codec and rate, frame
//!   by frame for live audio or whole clips for the cache.
//! - [`pacer`] — one call's outbound audio, one frame every 20 ms, marks and `clear`.
//! - [`alarm`] — one reusable timer a call keeps across waits (the pacer's and the call's).
//! - [`prompt_cache`] — prompts and TTS encoded once per codec, shared by all calls.
//! - [`wav`] — WAV prompt uploads: header checks and decoding to canonical audio.
//! - [`joining`] — clips joined into one with a crossfade at each seam (`say-parts`).

pub mod alarm;
pub mod g711;
pub mod joining;
pub mod opus_codec;
pub mod pacer;
pub mod pcm;
pub mod prompt_cache;
pub mod resample;
pub mod transport_codec;
pub mod wav;
