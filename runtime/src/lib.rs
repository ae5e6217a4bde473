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
//! - [`store`] — storage interfaces and backends (tenant key-value for now).
//! - [`cli`] — the `huashu` command line (the binary is a thin wrapper around it).

pub mod cli;
pub mod contract;
pub mod sandbox;
pub mod scenario;
pub mod session;
pub mod store;
