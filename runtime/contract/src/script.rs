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
    Debug,
    Info,
    Warn,
    Error,
}

/// One line the script logged (through the `log` import, or stdout/stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// What the script answered to one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScriptReply {
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
        message: String,
        /// The guest's own call stack, innermost first (no host frames).
        backtrace: Vec<String>,
    },
    #[error("the script used more than {limit_ms} ms of CPU handling one event")]
    CpuPerEvent { limit_ms: u64 },
    #[error("the script used more than {limit_ms} ms of CPU in total on this call")]
    CpuPerCall { limit_ms: u64 },
    #[error("the script tried to use more than {limit_bytes} bytes of memory")]
    Memory { limit_bytes: u64 },
    #[error("the script answered one event with {count} actions; the limit is {limit}")]
    TooManyActions { count: usize, limit: usize },
    #[error("the script sent a string of {bytes} bytes; the limit is {limit}")]
    StringTooLong { bytes: usize, limit: usize },
    #[error("the script logged more than {limit_bytes} bytes on this call")]
    LogFlood { limit_bytes: usize },
    #[error("the script made more than {limit} key-value calls on this call")]
    KvFlood { limit: u32 },
    #[error("the script asked for something impossible: {0}")]
    InvalidAction(String),
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
