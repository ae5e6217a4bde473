//! Events: what happened on the call, delivered to the script one at a time.

use serde::{Deserialize, Serialize};

use super::HttpResult;

/// Which way the call was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The platform called the customer (智能外呼, the usual case).
    #[default]
    Outbound,
    /// The customer called in.
    Inbound,
}

/// What carries the call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A test call from the browser console.
    Browser,
    /// A telephony gateway speaking the Twilio Media Streams protocol.
    Twilio,
    /// A telephone call over SIP and RTP, through a carrier trunk or a PBX.
    Sip,
    /// The offline `huashu test` runner: customer turns are text.
    #[default]
    Text,
}

/// The first event of every call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStarted {
    /// Unique id of this call; appears in the call record and the logs.
    pub call_id: String,
    /// Which way the call was placed.
    pub direction: Direction,
    /// The calling party (for outbound calls, the campaign's number).
    pub caller: String,
    /// The called party (for outbound calls, the customer's number).
    pub callee: String,
    /// What carries the call's audio.
    pub channel: Channel,
    /// Campaign and contact variables (`name`, `amount`, `due-date`…), as the tenant
    /// supplied them when the call was created. Keys are unique.
    #[serde(with = "super::pairs")]
    pub variables: Vec<(String, String)>,
    /// Wall-clock time the call started, in milliseconds since the Unix epoch (UTC).
    pub started_at_ms: u64,
    /// The call's seed for any randomness the script wants; replays deliver the same seed.
    pub random_seed: u64,
}

/// One alternative reading of an utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// This reading's words.
    pub text: String,
    /// 0.0 (a guess) to 1.0 (certain).
    pub confidence: f32,
}

/// What the recogniser heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The best reading; may be empty if the recogniser heard speech but no words.
    pub text: String,
    /// 0.0 to 1.0; typed text from the console and the test runner has 1.0.
    pub confidence: f32,
    /// Other readings, best first; often empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
    /// Why the customer could not be understood, when they spoke but no words came of it
    /// (contract 0.2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_understood: Option<NotUnderstood>,
}

/// Why a transcript carries no words for the script to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotUnderstood {
    /// No recogniser on this server handles the language; carries the language tag.
    NoRecogniser(String),
    /// The customer spoke, but said none of the listen's hints.
    NoMatch,
    /// The recogniser failed or could not keep up; carries why.
    Failed(String),
}

impl Transcript {
    /// Typed text: certain, with no alternatives.
    pub fn typed(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            confidence: 1.0,
            alternatives: Vec::new(),
            not_understood: None,
        }
    }

    /// A recognised reading with its confidence and no alternatives.
    pub fn heard(text: impl Into<String>, confidence: f32) -> Self {
        Self {
            text: text.into(),
            confidence,
            alternatives: Vec::new(),
            not_understood: None,
        }
    }

    /// Speech that produced no words, and why: empty text, confidence 0.
    pub fn not_understood(why: NotUnderstood) -> Self {
        Self {
            text: String::new(),
            confidence: 0.0,
            alternatives: Vec::new(),
            not_understood: Some(why),
        }
    }
}

/// No answer in time; `count` no-inputs in a row, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoInput {
    /// No-inputs in a row, this one included (1 the first time); speech or a key resets it.
    pub count: u32,
}

/// Why a DTMF collection finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DtmfEnd {
    /// `max-digits` keys were pressed.
    MaxDigits,
    /// The terminator key was pressed (it is not part of `digits`).
    Terminator,
    /// The customer stopped pressing keys for the inter-digit timeout.
    Timeout,
    /// No DTMF collection was configured: every key arrives on its own.
    Single,
}

/// Keys pressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtmf {
    /// `0`-`9`, `*`, `#`, `A`-`D`, in the order pressed.
    pub digits: String,
    /// Why the collection finished.
    pub ended_by: DtmfEnd,
}

/// A play or say finished or was stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybackFinished {
    /// The id given in the action, or the one the host assigned (`p1`, `p2`…).
    pub id: String,
    /// True if it stopped early: the customer barged in, or the script stopped it.
    pub interrupted: bool,
    /// How much of it the customer heard, in milliseconds.
    pub played_ms: u32,
    /// Its full length in milliseconds.
    pub total_ms: u32,
}

/// Customer audio for a subscribed script: 20 ms at `sample_rate`.
///
/// In call records the samples are base64 of their little-endian bytes: a subscribed call
/// keeps 50 frames a second, and a JSON array of numbers would make its record three times
/// larger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioFrame {
    /// Mono 16-bit samples at `sample_rate`.
    #[serde(with = "samples_base64")]
    pub samples: Vec<i16>,
    /// Samples per second (Hz): the rate the script subscribed with, 8000 or 16000.
    pub sample_rate: u32,
}

mod samples_base64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(samples: &[i16], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i16>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let bytes = STANDARD
            .decode(text.as_bytes())
            .map_err(de::Error::custom)?;
        if bytes.len() % 2 != 0 {
            return Err(de::Error::custom(
                "audio samples are 16-bit: an odd number of bytes",
            ));
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect())
    }
}

/// How a transfer went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum TransferResult {
    /// The call was bridged; the script's part is over and `hang-up` follows.
    Connected,
    /// The target did not take the call (the string says why); the script is still talking
    /// to the customer.
    Failed(String),
}

/// Who ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The customer hung up (or the line dropped).
    Customer,
    /// The script's `hang-up` action.
    Script,
    /// The host: the maximum call length, a transfer that connected, a script failure, or
    /// the server shutting down.
    Host,
}

/// The call is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangUp {
    /// Who ended the call.
    pub by: Party,
    /// Free text such as `customer-hung-up`, `max-call-length`, `transferred`.
    pub reason: String,
}

/// Everything that can happen on a call (`wit/types.wit`, `variant event`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// The call is connected. The first event, exactly once.
    CallStarted(CallStarted),
    /// The customer started speaking (voice activity detected).
    SpeechStarted,
    /// A running guess of what the customer is saying; may change.
    PartialTranscript(Transcript),
    /// What the customer said, final.
    FinalTranscript(Transcript),
    /// The customer said nothing in time while the script was listening.
    NoInput(NoInput),
    /// The customer pressed keys.
    Dtmf(Dtmf),
    /// A play or say action finished or was interrupted.
    PlaybackFinished(PlaybackFinished),
    /// A script timer fired.
    TimerFired {
        /// The id the timer was started with.
        id: String,
    },
    /// Customer audio (only after `subscribe-audio`).
    AudioFrame(AudioFrame),
    /// The answer to a `transfer` action.
    TransferResult(TransferResult),
    /// The call ended. The last event.
    HangUp(HangUp),
    /// The answer to an `http-request` action (contract 0.2.0).
    HttpResponse(HttpResult),
}

impl Event {
    /// True for events that come from the customer (speech or keys): they reset the
    /// no-input count.
    pub fn is_customer_input(&self) -> bool {
        matches!(
            self,
            Event::SpeechStarted
                | Event::PartialTranscript(_)
                | Event::FinalTranscript(_)
                | Event::Dtmf(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_frames_are_recorded_as_base64_and_read_back_exactly() {
        let frame = AudioFrame {
            samples: vec![0, 1, -1, i16::MAX, i16::MIN],
            sample_rate: 8_000,
        };
        let json = serde_json::to_string(&frame).expect("serialises");
        assert_eq!(json, r#"{"samples":"AAABAP///38AgA==","sample_rate":8000}"#);
        let back: AudioFrame = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, frame);
        let odd = serde_json::from_str::<AudioFrame>(r#"{"samples":"AA==","sample_rate":8000}"#);
        assert!(odd.is_err_and(|e| e.to_string().contains("odd number of bytes")));
    }
}
