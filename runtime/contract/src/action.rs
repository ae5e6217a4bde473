//! Actions: what a script asks the host to do.

use serde::{Deserialize, Serialize};

use super::{HttpRequest, Outcome};

/// Queue a recorded prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Play {
    /// Name the prompt was uploaded under.
    pub prompt: String,
    /// Reported back in `playback-finished`; empty lets the host number it (`p1`, `p2`…).
    pub id: String,
    /// If true, the customer speaking (or pressing a key) stops it at once.
    pub barge_in: bool,
}

/// Queue text-to-speech.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Say {
    /// What the bot says, spoken by text-to-speech; must not be blank.
    pub text: String,
    /// Voice name (e.g. `en-us`, `cmn`); empty means the tenant's default voice.
    pub voice: String,
    /// Reported back in `playback-finished`; empty lets the host number it (`p1`, `p2`…).
    pub id: String,
    /// If true, the customer speaking (or pressing a key) stops it at once.
    pub barge_in: bool,
}

/// One piece of a [`SayParts`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeechPart {
    /// One of the tenant's uploaded recordings, by name.
    Prompt(String),
    /// Text spoken in the action's voice: a name, an amount, a date.
    Text(String),
}

/// Recorded prompts with spoken variables between them, joined into one playback
/// (contract 0.2.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SayParts {
    /// The parts in playing order (at most [`SayParts::MAX_PARTS`]).
    pub parts: Vec<SpeechPart>,
    /// Voice for the text parts; empty means the tenant's default voice.
    pub voice: String,
    /// Reported back in `playback-finished`; empty lets the host number it (`p1`, `p2`…).
    pub id: String,
    /// If true, the customer speaking (or pressing a key) stops it at once.
    pub barge_in: bool,
}

impl SayParts {
    /// Most parts one action may join: a sentence with a few variables needs well under
    /// this, and each part is a clip to fetch or synthesise before the action can play.
    pub const MAX_PARTS: usize = 16;
}

/// Keypad collection while listening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DtmfOptions {
    /// Deliver the digits once this many were pressed (1 to 32).
    pub max_digits: u8,
    /// One key that ends collection early (`#` usually) and is not delivered; empty for none.
    pub terminator: String,
    /// Deliver what was collected after this many milliseconds without a key press.
    pub inter_digit_timeout_ms: u32,
}

/// Wait for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Listen {
    /// Raise `no-input` if the customer neither speaks nor presses a key this many
    /// milliseconds after the prompts finished; 0 disables it.
    pub no_input_ms: u32,
    /// Silence that ends an utterance, in milliseconds; 0 for the host default.
    pub end_silence_ms: u32,
    /// Cut an utterance off after this many milliseconds; 0 for the host default.
    pub max_speech_ms: u32,
    /// Words and phrases the customer is likely to say; the recogniser favours them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// Collect keypad input; `None` delivers each key on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<DtmfOptions>,
    /// The language the customer is expected to speak (BCP 47, `zh-CN`); empty for the
    /// module's, the tenant's or the server's default (contract 0.2.0).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub language: String,
    /// Silence that ends an utterance once it matches a hint, in milliseconds; 0 for the
    /// host default (contract 0.2.0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hint_silence_ms: u32,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// A script timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// Names the timer in `timer-fired` and `cancel-timer`; must not be empty.
    pub id: String,
    /// Fires this many milliseconds after the action runs (1 ms to 1 hour).
    pub after_ms: u32,
}

/// Hand the customer to a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Phone number, SIP URI or agent queue name, as the operator's gateway understands it.
    pub target: String,
    /// Shown to the agent and kept in the call record.
    pub reason: String,
}

/// What the script wants done (`wit/types.wit`, `variant action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Queue a recorded prompt.
    Play(Play),
    /// Queue text-to-speech.
    Say(Say),
    /// Stop what is playing and drop everything queued (those report `interrupted`).
    StopPlayback,
    /// Wait for the customer's answer (speech or keys), with no-input handling.
    Listen(Listen),
    /// Start a timer; starting one with an id already running restarts it.
    StartTimer(Timer),
    /// Cancel a timer by id; unknown ids are ignored.
    CancelTimer {
        /// The id the timer was started with.
        id: String,
    },
    /// Receive the customer's audio as `audio-frame` events.
    SubscribeAudio {
        /// Rate to deliver the audio at, in Hz: 8000 or 16000.
        sample_rate: u32,
    },
    /// Stop `audio-frame` events.
    UnsubscribeAudio,
    /// Transfer the call; `transfer-result` answers.
    Transfer(Transfer),
    /// End the call once queued prompts have played.
    HangUp {
        /// Why, for the call record; empty is recorded as `completed`.
        reason: String,
    },
    /// Record (part of) the outcome.
    SetOutcome(Outcome),
    /// Send keypad tones to the other side.
    SendDtmf {
        /// `0`-`9`, `*`, `#`, `A`-`D`, and `w` for a 0.5 s pause; at least one.
        digits: String,
    },
    /// The customer asked never to be called again (contract 0.2.0): the call record is
    /// marked opted out, and the campaigns stage puts the number on the tenant's
    /// do-not-call list. The call goes on until the script hangs up.
    OptOut {
        /// Why, for the call record (e.g. `customer asked: 不要再打了`); may be empty.
        reason: String,
    },
    /// Call one of the tenant's own systems; `http-response` answers (contract 0.2.0).
    HttpRequest(HttpRequest),
    /// Queue recorded prompts with spoken variables between them (contract 0.2.0).
    SayParts(SayParts),
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
                all.push(&l.language);
                all
            }
            Action::StartTimer(t) => vec![&t.id],
            Action::CancelTimer { id } => vec![id],
            Action::Transfer(t) => vec![&t.target, &t.reason],
            Action::HangUp { reason } => vec![reason],
            Action::SetOutcome(o) => o.strings(),
            Action::SendDtmf { digits } => vec![digits],
            Action::OptOut { reason } => vec![reason],
            Action::HttpRequest(r) => r.strings(),
            Action::SayParts(s) => {
                let mut all: Vec<&str> = s
                    .parts
                    .iter()
                    .map(|part| match part {
                        SpeechPart::Prompt(text) | SpeechPart::Text(text) => text.as_str(),
                    })
                    .collect();
                all.extend([s.voice.as_str(), s.id.as_str()]);
                all
            }
            Action::StopPlayback | Action::SubscribeAudio { .. } | Action::UnsubscribeAudio => {
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opt_out_is_tagged_like_every_other_action_and_its_reason_is_size_checked() {
        let action = Action::OptOut {
            reason: "customer asked: 不要再打了".into(),
        };
        let json = serde_json::to_string(&action).expect("serialise");
        assert_eq!(
            json,
            r#"{"action":"opt_out","reason":"customer asked: 不要再打了"}"#
        );
        assert_eq!(
            serde_json::from_str::<Action>(&json).expect("read back"),
            action
        );
        assert_eq!(action.strings(), ["customer asked: 不要再打了"]);
    }
}
