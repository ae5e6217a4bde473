//! The Twilio Media Streams messages, as Twilio sends and expects them
//! (`docs/protocols/twilio-media-streams.md`). Twilio writes its numeric fields
//! (`sequenceNumber`, `chunk`, `timestamp`) as strings; the ones read here accept either.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// What the gateway sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Inbound {
    /// The first message: the WebSocket is up.
    Connected,
    /// The stream's metadata, once, before any media.
    Start {
        #[serde(rename = "streamSid", default)]
        stream_sid: Option<String>,
        start: Start,
    },
    /// One chunk of the caller's audio.
    Media { media: Media },
    /// The caller pressed a key.
    Dtmf { dtmf: Dtmf },
    /// A mark we sent has been played.
    Mark { mark: Mark },
    /// The stream is over (the call hung up, or the stream was stopped).
    Stop,
    /// Anything else: ignored (and logged), as the protocol asks of new event kinds.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Deserialize)]
pub struct Start {
    #[serde(rename = "streamSid", default)]
    pub stream_sid: Option<String>,
    #[serde(rename = "callSid", default)]
    pub call_sid: String,
    #[serde(rename = "accountSid", default)]
    pub account_sid: String,
    #[serde(rename = "mediaFormat", default)]
    pub media_format: Option<MediaFormat>,
    #[serde(rename = "customParameters", default)]
    pub custom_parameters: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct MediaFormat {
    #[serde(default)]
    pub encoding: String,
    #[serde(rename = "sampleRate", deserialize_with = "number_or_string", default)]
    pub sample_rate: u32,
    #[serde(deserialize_with = "number_or_string", default = "mono")]
    pub channels: u32,
}

fn mono() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
pub struct Media {
    /// `inbound` (the caller) or `outbound`; absent on streams with one track.
    #[serde(default)]
    pub track: Option<String>,
    /// Base64 of the audio in the stream's media format.
    pub payload: String,
}

#[derive(Debug, Deserialize)]
pub struct Dtmf {
    pub digit: String,
}

#[derive(Debug, Deserialize)]
pub struct Mark {
    #[serde(default)]
    pub name: String,
}

/// A number Twilio may write as `8000` or `"8000"`.
fn number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a small whole number"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a number"))),
        other => Err(serde::de::Error::custom(format!("{other} is not a number"))),
    }
}

/// What we send back.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Outbound<'a> {
    /// One 20 ms frame of the bot's audio, base64.
    Media {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        media: OutMedia,
    },
    /// Sent after each utterance; Twilio echoes it once the audio before it has played.
    Mark {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        mark: OutMark<'a>,
    },
    /// Drop the audio buffered so far (barge-in).
    Clear {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
    },
}

#[derive(Debug, Serialize)]
pub struct OutMedia {
    pub payload: String,
}

#[derive(Debug, Serialize)]
pub struct OutMark<'a> {
    pub name: &'a str,
}

/// The `event` field of a message that did not parse, to name it in a log line.
pub fn event_name(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    value.get("event")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_message_as_twilio_sends_it_parses() {
        let text = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"huashu_key":"k","module":"m","amount":50}},"streamSid":"MZ1"}"#;
        let Inbound::Start { stream_sid, start } = serde_json::from_str(text).expect("parses")
        else {
            panic!("not a start");
        };
        assert_eq!(stream_sid.as_deref(), Some("MZ1"));
        let format = start.media_format.expect("format");
        assert_eq!(
            (format.encoding.as_str(), format.sample_rate),
            ("audio/x-mulaw", 8000)
        );
        assert_eq!(start.custom_parameters["amount"], 50);
    }

    #[test]
    fn numeric_fields_may_be_strings_and_unknown_events_are_recognised() {
        let format: MediaFormat = serde_json::from_str(
            r#"{"encoding":"audio/x-mulaw","sampleRate":"8000","channels":"1"}"#,
        )
        .expect("parses");
        assert_eq!(format.sample_rate, 8000);
        let unknown: Inbound =
            serde_json::from_str(r#"{"event":"transcription","x":1}"#).expect("parses");
        assert!(matches!(unknown, Inbound::Unknown));
        assert_eq!(event_name(r#"{"event":"media"}"#).as_deref(), Some("media"));
    }

    #[test]
    fn outbound_messages_have_twilios_field_names() {
        let media = Outbound::Media {
            stream_sid: "MZ1",
            media: OutMedia {
                payload: "AAA=".into(),
            },
        };
        assert_eq!(
            serde_json::to_string(&media).expect("serialises"),
            r#"{"event":"media","streamSid":"MZ1","media":{"payload":"AAA="}}"#
        );
        let clear = Outbound::Clear { stream_sid: "MZ1" };
        assert_eq!(
            serde_json::to_string(&clear).expect("serialises"),
            r#"{"event":"clear","streamSid":"MZ1"}"#
        );
    }
}
