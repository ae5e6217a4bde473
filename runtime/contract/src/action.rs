//! Actions: what a script asks the host to do.

use serde::{Deserialize, Serialize};

use super::Outcome;

/// Queue a recorded prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Play {
    pub prompt: String,
    pub id: String,
    pub barge_in: bool,
}

/// Queue text-to-speech.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Say {
    pub text: String,
    pub voice: String,
    pub id: String,
    pub barge_in: bool,
}

/// Keypad collection while listening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DtmfOptions {
    pub max_digits: u8,
    pub terminator: String,
    pub inter_digit_timeout_ms: u32,
}

/// Wait for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Listen {
    pub no_input_ms: u32,
    pub end_silence_ms: u32,
    pub max_speech_ms: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<DtmfOptions>,
}

/// A script timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub id: String,
    pub after_ms: u32,
}

/// Hand the customer to a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub target: String,
    pub reason: String,
}

/// What the script wants done (`wit/types.wit`, `variant action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    Play(Play),
    Say(Say),
    StopPlayback,
    Listen(Listen),
    StartTimer(Timer),
    CancelTimer { id: String },
    SubscribeAudio { sample_rate: u32 },
    UnsubscribeAudio,
    Transfer(Transfer),
    HangUp { reason: String },
    SetOutcome(Outcome),
    SendDtmf { digits: String },
}

impl Action {
    /// Every string the action carries, for the sandbox's per-string size limit.
    pub fn strings(&self) -> Vec<&str> {
        match self {
            Action::Play(p) => vec![&p.prompt, &p.id],
            Action::Say(s) => vec![&s.text, &s.voice, &s.id],
            Action::Listen(l) => {
                let mut all: Vec<&str> = l.hints.iter().map(String::as_str).collect();
                if let Some(d) = &l.dtmf {
                    all.push(&d.terminator);
                }
                all
            }
            Action::StartTimer(t) => vec![&t.id],
            Action::CancelTimer { id } => vec![id],
            Action::Transfer(t) => vec![&t.target, &t.reason],
            Action::HangUp { reason } => vec![reason],
            Action::SetOutcome(o) => o.strings(),
            Action::SendDtmf { digits } => vec![digits],
            Action::StopPlayback | Action::SubscribeAudio { .. } | Action::UnsubscribeAudio => {
                Vec::new()
            }
        }
    }
}
