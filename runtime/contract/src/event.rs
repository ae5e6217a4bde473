//! Events: what happened on the call, delivered to the script one at a time.

use serde::{Deserialize, Serialize};

/// Which way the call was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Outbound,
    Inbound,
}

/// What carries the call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Browser,
    Twilio,
    #[default]
    Text,
}

/// The first event of every call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStarted {
    pub call_id: String,
    pub direction: Direction,
    pub caller: String,
    pub callee: String,
    pub channel: Channel,
    #[serde(with = "super::pairs")]
    pub variables: Vec<(String, String)>,
    pub started_at_ms: u64,
    pub random_seed: u64,
}

/// One alternative reading of an utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub text: String,
    pub confidence: f32,
}

/// What the recogniser heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub text: String,
    pub confidence: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

impl Transcript {
    /// Typed text: certain, with no alternatives.
    pub fn typed(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            confidence: 1.0,
            alternatives: Vec::new(),
        }
    }
}

/// No answer in time; `count` no-inputs in a row, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoInput {
    pub count: u32,
}

/// Why a DTMF collection finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DtmfEnd {
    MaxDigits,
    Terminator,
    Timeout,
    Single,
}

/// Keys pressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtmf {
    pub digits: String,
    pub ended_by: DtmfEnd,
}

/// A play or say finished or was stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybackFinished {
    pub id: String,
    pub interrupted: bool,
    pub played_ms: u32,
    pub total_ms: u32,
}

/// Customer audio for a subscribed script: 20 ms at `sample_rate`.
///
/// In call records the samples are base64 of their little-endian bytes: a subscribed call
/// keeps 50 frames a second, and a JSON array of numbers would make its record three times
/// larger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioFrame {
    #[serde(with = "samples_base64")]
    pub samples: Vec<i16>,
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
    Connected,
    Failed(String),
}

/// Who ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Customer,
    Script,
    Host,
}

/// The call is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangUp {
    pub by: Party,
    pub reason: String,
}

/// Everything that can happen on a call (`wit/types.wit`, `variant event`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    CallStarted(CallStarted),
    SpeechStarted,
    PartialTranscript(Transcript),
    FinalTranscript(Transcript),
    NoInput(NoInput),
    Dtmf(Dtmf),
    PlaybackFinished(PlaybackFinished),
    TimerFired { id: String },
    AudioFrame(AudioFrame),
    TransferResult(TransferResult),
    HangUp(HangUp),
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
