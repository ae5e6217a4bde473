//! The script contract as the host sees it: events delivered to a call script, the actions it
//! answers with, and the call's outcome.
//!
//! These types mirror `wit/types.wit` one to one, in plain Rust with serde, so every stage
//! (session, scenario runner, call records, the WebSocket protocols) speaks the same language
//! without depending on the sandbox's generated bindings. The sandbox converts between these
//! and the component model at its boundary; nothing else knows the bindings exist.

mod action;
mod event;
mod http;
mod language;
mod outcome;
mod pairs;
mod script;

pub use action::{Action, DtmfOptions, Listen, Play, Say, SayParts, SpeechPart, Timer, Transfer};
pub use event::{
    Alternative, AudioFrame, CallStarted, Channel, Direction, Dtmf, DtmfEnd, Event, HangUp,
    NoInput, NotUnderstood, Party, PlaybackFinished, Transcript, TransferResult,
};
pub use http::{HTTP_METHODS, HttpError, HttpRequest, HttpResponse, HttpResult};
pub use language::LanguageTag;
pub use outcome::{IntentLevel, Outcome};
pub use script::{CallScript, LogLevel, LogLine, ScriptFailure, ScriptReply};

/// Milliseconds since the call started: the only clock a session and its script know.
pub type Millis = u64;
