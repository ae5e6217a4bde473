//! The seam between the session and whatever runs the script: one event in, a reply out.
//!
//! The sandbox implements [`CallScript`] with a WebAssembly instance; session tests implement
//! it with plain Rust. A [`ScriptFailure`] is recorded in the call record as it is, so its
//! messages are written for the tenant who wrote the script.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Action, Event, Millis};

/// Severity of a script log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Detail for the script's author while developing it.
    Debug,
    /// Normal progress; also the level of the script's stdout.
    Info,
    /// Something unexpected that the script coped with; also the level of its stderr.
    Warn,
    /// Something went wrong in the script.
    Error,
}

/// One line the script logged (through the `log` import, or stdout/stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Severity: as given to the `log` import; `info` for stdout, `warn` for stderr.
    pub level: LogLevel,
    /// The line's text, cut (with `…`) at the sandbox's string limit.
    pub message: String,
}

/// What the script answered to one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScriptReply {
    /// What the host is to do, carried out in order.
    pub actions: Vec<Action>,
    /// Lines logged while handling the event, in order.
    pub logs: Vec<LogLine>,
    /// CPU time the handler used.
    pub cpu: Duration,
}

/// Why a script stopped being usable. The call ends with the tenant's fallback; nothing else
/// is affected.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum ScriptFailure {
    /// The guest trapped: a panic, `unreachable`, an out-of-bounds access, a stack overflow…
    #[error("the script crashed: {message}")]
    Trap {
        /// What went wrong, in the guest's words when it said (e.g. a panic message).
        message: String,
        /// The guest's own call stack, innermost first (no host frames).
        backtrace: Vec<String>,
    },
    /// One `handle` call ran over its CPU budget.
    #[error("the script used more than {limit_ms} ms of CPU handling one event")]
    CpuPerEvent {
        /// The per-event budget, in milliseconds of CPU time.
        limit_ms: u64,
    },
    /// One `handle` call (or the instance's start) took longer than allowed by the clock,
    /// whatever it was doing: sleeping, or waiting on something that does not answer.
    #[error("the script took more than {limit_ms} ms to answer one event")]
    WallClockPerEvent {
        /// The per-event limit, in milliseconds of wall-clock time.
        limit_ms: u64,
    },
    /// The call's handlers together ran over the per-call CPU budget.
    #[error("the script used more than {limit_ms} ms of CPU in total on this call")]
    CpuPerCall {
        /// The per-call budget, in milliseconds of CPU time.
        limit_ms: u64,
    },
    /// The guest asked to grow its memory past the cap.
    #[error("the script tried to use more than {limit_bytes} bytes of memory")]
    Memory {
        /// The memory cap, in bytes.
        limit_bytes: u64,
    },
    /// One reply held more actions than allowed.
    #[error("the script answered one event with {count} actions; the limit is {limit}")]
    TooManyActions {
        /// How many actions the reply held.
        count: usize,
        /// Most actions one reply may hold.
        limit: usize,
    },
    /// An action carried a string longer than allowed.
    #[error("the script sent a string of {bytes} bytes; the limit is {limit}")]
    StringTooLong {
        /// The string's length, in bytes.
        bytes: usize,
        /// Longest string allowed, in bytes.
        limit: usize,
    },
    /// The script's log lines (and stdout/stderr) ran over the call's log budget.
    #[error("the script logged more than {limit_bytes} bytes on this call")]
    LogFlood {
        /// The call's log budget, in bytes.
        limit_bytes: usize,
    },
    /// The script made more key-value calls than the call's budget.
    #[error("the script made more than {limit} key-value calls on this call")]
    KvFlood {
        /// Most key-value operations one call may make.
        limit: u32,
    },
    /// The session could not carry out an action (an empty `say`, a timer of 0 ms, an
    /// unknown prompt…); the string says why.
    #[error("the script asked for something impossible: {0}")]
    InvalidAction(String),
    /// The module could not be instantiated for this call; the string says why.
    #[error("the script could not be started: {0}")]
    Instantiate(String),
}

/// Something that answers a call's events: a sandboxed WebAssembly instance in production.
pub trait CallScript: Send {
    /// Handles one event. After an `Err` the script is never called again.
    fn handle(
        &mut self,
        event: &Event,
        elapsed: Millis,
    ) -> impl Future<Output = Result<ScriptReply, ScriptFailure>> + Send;

    /// After `handle` failed: what the script logged during that event, for the record.
    fn take_logs(&mut self) -> Vec<LogLine> {
        Vec::new()
    }
}
