//! huashu runs tenants' phone-bot dialogue scripts (话术) as sandboxed WebAssembly
//! components: one fresh instance per call, fed the call's events, answering with actions.
//!
//! # Layout
//!
//! Data flows transport → media → session → sandbox → actions → media; each module is one
//! stage and says which.
//!
//! - [`contract`] — the script contract as plain Rust types: events, actions, outcomes, and
//!   the [`contract::CallScript`] seam. Shared by every stage.
//! - [`sandbox`] — wasmtime: one engine, modules validated and compiled once, a fresh
//!   instance per call with CPU, memory and output limits.
//! - [`session`] — one call: delivers events in order, carries out actions (playback queue,
//!   listening and no-input, DTMF collection, timers, barge-in, transfer, hang-up), runs
//!   the fallback when the script fails, and writes the call record.
//! - [`scenario`] — scenario files and the offline runner behind `huashu test`, in virtual
//!   time.
//! - [`store`] — storage: the `Store` interface (tenants, keys, modules, prompts, call
//!   records) and tenant key-value, with the embedded sled backend.
//! - [`media`] — audio between transports and the session: WAV prompts, G.711 and Opus,
//!   resampling to canonical 16 kHz, 20 ms outbound pacing, the cache of encoded prompts.
//! - [`speech`] — TTS and streaming ASR behind traits, voice activity and turn-taking.
//! - [`calls`] — calls on the server: creation, quotas, connect tokens, the real-time
//!   driver of a session, records stored at the end; voice calls join media and speech
//!   to the session (`calls::VoiceCall`).
//! - [`transport`] — the sockets calls arrive on: the console's WebSocket (text, and audio
//!   frames for voice calls) and Twilio Media Streams.
//! - [`api`] — the HTTP API (`/v1`), health, metrics, OpenAPI.
//! - [`console`] — the browser console served at `/`: static files compiled into the
//!   binary; the page itself talks to the API and the call WebSocket.
//! - [`metrics`] — Prometheus metrics.
//! - [`secrets`] — random ids and tokens, and how secrets are hashed.
//! - [`cli`] — the `huashu` command line (the binary is a thin wrapper around it).

pub mod alarm;
pub mod api;
pub mod calls;
pub mod cli;
pub mod console;
pub mod contract;
pub mod media;
pub mod metrics;
pub mod process_stats;
pub mod sandbox;
pub mod scenario;
pub mod secrets;
pub mod session;
pub mod speech;
pub mod store;
pub mod transport;
