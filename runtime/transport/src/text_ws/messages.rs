//! The text call protocol's messages (`docs/protocols/text-websocket.md`).

use serde::{Deserialize, Serialize};

use huashu_contract::{
    Action, Event, IntentLevel, LogLevel, Millis, Party, ScriptFailure, SpeechPart, Transfer,
};
use huashu_session::{Output, PlaySource, TimelineEntry};

/// What the client (the customer's side) sends.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", deny_unknown_fields)]
pub enum ClientMessage {
    /// The customer says something (a final transcript, typed).
    Text { text: String },
    /// The customer presses one key, or several in a row.
    Dtmf { digit: String },
    /// The customer hangs up.
    Hangup,
    /// The answer to a `transfer` message.
    TransferResult {
        connected: bool,
        #[serde(default)]
        reason: String,
    },
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ServerMessage {
    Say {
        at_ms: Millis,
        id: String,
        text: String,
        voice: String,
        barge_in: bool,
    },
    Play {
        at_ms: Millis,
        id: String,
        prompt: String,
        barge_in: bool,
    },
    /// Recorded prompts with spoken text between them, played as one item; `text` is how
    /// it reads (`[greeting-a] 张三 [greeting-b]`).
    SayParts {
        at_ms: Millis,
        id: String,
        parts: Vec<SpeechPart>,
        text: String,
        voice: String,
        barge_in: bool,
    },
    StopPlayback {
        at_ms: Millis,
    },
    Listen {
        at_ms: Millis,
        no_input_ms: u32,
        hints: Vec<String>,
        dtmf: bool,
    },
    Transfer {
        at_ms: Millis,
        target: String,
        reason: String,
    },
    SendDtmf {
        at_ms: Millis,
        digits: String,
    },
    /// An event delivered to the script.
    Event {
        at_ms: Millis,
        event: Event,
    },
    /// An action the script returned.
    Action {
        at_ms: Millis,
        action: Action,
    },
    Log {
        at_ms: Millis,
        level: LogLevel,
        message: String,
    },
    /// Input the host did not pass on.
    Ignored {
        at_ms: Millis,
        what: String,
        why: String,
    },
    /// The script failed; the fallback runs.
    Error {
        at_ms: Millis,
        message: String,
        failure: ScriptFailure,
    },
    Hangup {
        at_ms: Millis,
        by: Party,
        reason: String,
    },
    Outcome {
        intent: Option<IntentLevel>,
        disposition: Option<String>,
        tags: Vec<String>,
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// The client sent something the server could not use; the call goes on.
    BadMessage {
        message: String,
    },
}

impl ServerMessage {
    pub fn from_output(output: Output) -> Option<Self> {
        Some(match output {
            Output::Play { at_ms, item } => match item.source.clone() {
                PlaySource::Speech { text, voice } => ServerMessage::Say {
                    at_ms,
                    id: item.id,
                    text,
                    voice,
                    barge_in: item.barge_in,
                },
                PlaySource::Prompt { name } => ServerMessage::Play {
                    at_ms,
                    id: item.id,
                    prompt: name,
                    barge_in: item.barge_in,
                },
                PlaySource::Parts { parts, voice } => ServerMessage::SayParts {
                    at_ms,
                    text: item.source.readable(),
                    id: item.id,
                    parts,
                    voice,
                    barge_in: item.barge_in,
                },
            },
            Output::StopPlayback { at_ms } => ServerMessage::StopPlayback { at_ms },
            Output::Listen { at_ms, listen } => ServerMessage::Listen {
                at_ms,
                no_input_ms: listen.no_input_ms,
                hints: listen.hints,
                dtmf: listen.dtmf.is_some(),
            },
            Output::Transfer {
                at_ms,
                transfer: Transfer { target, reason },
            } => ServerMessage::Transfer {
                at_ms,
                target,
                reason,
            },
            Output::SendDtmf { at_ms, digits } => ServerMessage::SendDtmf { at_ms, digits },
            // Media's business: the client's audio is converted for the script here.
            Output::AudioSubscription { .. } => return None,
            // The calls stage makes requests (they reach the client as timeline entries).
            Output::HttpRequest { .. } => return None,
            Output::Ended { end } => ServerMessage::Hangup {
                at_ms: end.at_ms,
                by: end.by,
                reason: end.reason,
            },
        })
    }

    pub fn from_timeline(entry: TimelineEntry) -> Option<Self> {
        Some(match entry {
            // The client's own audio, 50 frames a second: not echoed (the record has it).
            TimelineEntry::Event {
                event: Event::AudioFrame(_),
                ..
            } => return None,
            TimelineEntry::Event { at_ms, event } => ServerMessage::Event { at_ms, event },
            TimelineEntry::Action { at_ms, action } => ServerMessage::Action { at_ms, action },
            TimelineEntry::Log { at_ms, line } => ServerMessage::Log {
                at_ms,
                level: line.level,
                message: line.message,
            },
            TimelineEntry::Ignored { at_ms, what, why } => {
                ServerMessage::Ignored { at_ms, what, why }
            }
            TimelineEntry::Failure { at_ms, failure } => ServerMessage::Error {
                at_ms,
                message: failure.to_string(),
                failure,
            },
            // The client sent it; no need to echo.
            TimelineEntry::Input { .. } => return None,
        })
    }
}
