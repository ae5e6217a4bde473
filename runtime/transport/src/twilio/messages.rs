//! The Twilio Media Streams messages, as Twilio sends and expects them
//! (`docs/protocols/twilio-media-streams.md`). Twilio writes its numeric fields
//! (`sequenceNumber`, `chunk`, `timestamp`) as strings; the ones read here accept either.
//!
//! An inbound message is read once into an envelope that borrows its strings from the
//! message text, then checked into an [`Inbound`]: `media` arrives fifty times a second a
//! call, so reading it allocates nothing unless its payload has JSON escapes to undo.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// What the gateway sends, borrowing from the message's text.
#[derive(Debug)]
pub enum Inbound<'a> {
    /// The first message: the WebSocket is up.
    Connected,
    /// The stream's metadata, once, before any media.
    Start {
        stream_sid: Option<String>,
        start: Start,
    },
    /// One chunk of the caller's audio.
    Media {
        /// Base64 of the audio in the stream's media format.
        payload: Cow<'a, str>,
        /// `inbound` (the caller) or `outbound`; absent on streams with one track.
        track: Option<Cow<'a, str>>,
    },
    /// The caller pressed a key (or keys).
    Dtmf { digit: Cow<'a, str> },
    /// A mark we sent has been played.
    Mark { name: Cow<'a, str> },
    /// The stream is over (the call hung up, or the stream was stopped).
    Stop,
    /// Anything else: ignored (and logged), as the protocol asks of new event kinds.
    Unknown { event: Cow<'a, str> },
}

impl<'a> Inbound<'a> {
    /// Reads one text message. A message missing the part its event needs (`media`
    /// without `media.payload`, `dtmf` without `dtmf.digit`, …) is an error, as JSON that
    /// does not parse is; fields this server does not read are ignored.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        let envelope: Envelope<'a> = serde_json::from_str(text)?;
        Ok(match envelope.event.as_ref() {
            "connected" => Self::Connected,
            "start" => {
                // Once a call: read again, whole and owned, rather than carry `start`
                // through every `media`.
                let StartMessage { stream_sid, start } = serde_json::from_str(text)?;
                Self::Start { stream_sid, start }
            }
            "media" => {
                let media = envelope.media.ok_or_else(|| missing("media"))?;
                Self::Media {
                    payload: media.payload.ok_or_else(|| missing("media.payload"))?.0,
                    track: media.track.map(|track| track.0),
                }
            }
            "dtmf" => {
                let dtmf = envelope.dtmf.ok_or_else(|| missing("dtmf"))?;
                Self::Dtmf {
                    digit: dtmf.digit.ok_or_else(|| missing("dtmf.digit"))?.0,
                }
            }
            "mark" => {
                let mark = envelope.mark.ok_or_else(|| missing("mark"))?;
                Self::Mark {
                    name: mark.name.map_or(Cow::Borrowed(""), |name| name.0),
                }
            }
            "stop" => Self::Stop,
            _ => Self::Unknown {
                event: envelope.event,
            },
        })
    }

    /// The message's `event`, to name it in a log line or a close reason.
    pub fn event(&self) -> &str {
        match self {
            Self::Connected => "connected",
            Self::Start { .. } => "start",
            Self::Media { .. } => "media",
            Self::Dtmf { .. } => "dtmf",
            Self::Mark { .. } => "mark",
            Self::Stop => "stop",
            Self::Unknown { event } => event,
        }
    }
}

fn missing(field: &'static str) -> serde_json::Error {
    serde::de::Error::missing_field(field)
}

/// Any inbound message as first read: its event and the parts the frequent events carry,
/// each optional here so that an event is only held to the parts it needs.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow, default)]
    media: Option<MediaPart<'a>>,
    #[serde(borrow, default)]
    dtmf: Option<DtmfPart<'a>>,
    #[serde(borrow, default)]
    mark: Option<MarkPart<'a>>,
}

/// A JSON string, borrowed from the message unless it had escapes (such as `\/`) to undo.
/// (serde borrows a `Cow` field, but not one inside an `Option`: this newtype carries it.)
#[derive(Deserialize)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// `media` of a `media` message.
#[derive(Deserialize)]
struct MediaPart<'a> {
    #[serde(borrow, default)]
    track: Option<Text<'a>>,
    #[serde(borrow, default)]
    payload: Option<Text<'a>>,
}

/// `dtmf` of a `dtmf` message.
#[derive(Deserialize)]
struct DtmfPart<'a> {
    #[serde(borrow, default)]
    digit: Option<Text<'a>>,
}

/// `mark` of a `mark` message.
#[derive(Deserialize)]
struct MarkPart<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
}

/// A `start` message, read whole.
#[derive(Deserialize)]
struct StartMessage {
    #[serde(rename = "streamSid", default)]
    stream_sid: Option<String>,
    start: Start,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Inbound<'_> {
        Inbound::parse(text).expect("parses")
    }

    fn error(text: &str) -> String {
        Inbound::parse(text)
            .expect_err("does not parse")
            .to_string()
    }

    #[test]
    fn a_start_message_as_twilio_sends_it_parses() {
        let text = r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"huashu_key":"k","module":"m","amount":50}},"streamSid":"MZ1"}"#;
        let Inbound::Start { stream_sid, start } = parse(text) else {
            panic!("not a start");
        };
        assert_eq!(stream_sid.as_deref(), Some("MZ1"));
        assert_eq!(start.stream_sid.as_deref(), Some("MZ1"));
        assert_eq!(
            (start.call_sid.as_str(), start.account_sid.as_str()),
            ("CA1", "AC1")
        );
        let format = start.media_format.expect("format");
        assert_eq!(
            (
                format.encoding.as_str(),
                format.sample_rate,
                format.channels
            ),
            ("audio/x-mulaw", 8000, 1)
        );
        assert_eq!(start.custom_parameters["amount"], 50);
    }

    #[test]
    fn numeric_fields_may_be_strings() {
        let text = r#"{"event":"start","start":{"callSid":"CA1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":"8000","channels":" 2 "}}}"#;
        let Inbound::Start { stream_sid, start } = parse(text) else {
            panic!("not a start");
        };
        assert_eq!(stream_sid, None);
        let format = start.media_format.expect("format");
        assert_eq!((format.sample_rate, format.channels), (8000, 2));
        let bad = r#"{"event":"start","start":{"mediaFormat":{"sampleRate":"fast"}}}"#;
        assert!(
            error(bad).contains("`fast` is not a number"),
            "{}",
            error(bad)
        );
    }

    #[test]
    fn a_media_message_borrows_its_payload_and_ignores_unknown_fields() {
        let text = r#"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"f39/fw==","extra":{"a":[1]}},"streamSid":"MZ1","new":true}"#;
        let Inbound::Media { payload, track } = parse(text) else {
            panic!("not media");
        };
        assert!(matches!(payload, Cow::Borrowed("f39/fw==")), "{payload:?}");
        assert!(matches!(track, Some(Cow::Borrowed("inbound"))), "{track:?}");
        let Inbound::Media { payload, track } =
            parse(r#"{"event":"media","media":{"payload":"AAAA"}}"#)
        else {
            panic!("not media");
        };
        assert_eq!((payload.as_ref(), track), ("AAAA", None));
    }

    #[test]
    fn an_escaped_slash_in_a_payload_is_undone() {
        let text = r#"{"event":"media","media":{"track":"inbound","payload":"f39\/fw\/\/AA=="}}"#;
        let Inbound::Media { payload, .. } = parse(text) else {
            panic!("not media");
        };
        assert!(
            matches!(&payload, Cow::Owned(p) if p == "f39/fw//AA=="),
            "{payload:?}"
        );
    }

    #[test]
    fn every_other_event_kind_parses() {
        assert!(matches!(
            parse(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#),
            Inbound::Connected
        ));
        let dtmf = parse(
            r#"{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"7"}}"#,
        );
        assert!(
            matches!(&dtmf, Inbound::Dtmf { digit } if digit == "7"),
            "{dtmf:?}"
        );
        let mark = parse(r#"{"event":"mark","sequenceNumber":"4","mark":{"name":"utterance-2"}}"#);
        assert!(
            matches!(&mark, Inbound::Mark { name } if name == "utterance-2"),
            "{mark:?}"
        );
        let unnamed = parse(r#"{"event":"mark","mark":{}}"#);
        assert!(
            matches!(&unnamed, Inbound::Mark { name } if name.is_empty()),
            "{unnamed:?}"
        );
        let stop = parse(r#"{"event":"stop","sequenceNumber":"9","stop":{"callSid":"CA1"}}"#);
        assert!(matches!(stop, Inbound::Stop));
        assert_eq!(stop.event(), "stop");
    }

    #[test]
    fn unknown_events_are_recognised_by_name() {
        let unknown = parse(r#"{"event":"transcription","x":1,"media":{"words":"hello"}}"#);
        assert!(
            matches!(&unknown, Inbound::Unknown { event } if event == "transcription"),
            "{unknown:?}"
        );
        assert_eq!(unknown.event(), "transcription");
        // Event names are matched as Twilio writes them, lower case.
        assert_eq!(parse(r#"{"event":"Media"}"#).event(), "Media");
        assert!(matches!(
            parse(r#"{"event":"Media"}"#),
            Inbound::Unknown { .. }
        ));
    }

    #[test]
    fn a_message_missing_the_part_its_event_needs_does_not_parse() {
        let cases = [
            (
                r#"{"event":"media","media":{"track":"inbound"}}"#,
                "missing field `media.payload`",
            ),
            (
                r#"{"event":"media","media":{"payload":null}}"#,
                "missing field `media.payload`",
            ),
            (r#"{"event":"media"}"#, "missing field `media`"),
            (
                r#"{"event":"dtmf","dtmf":{"track":"inbound_track"}}"#,
                "missing field `dtmf.digit`",
            ),
            (r#"{"event":"mark"}"#, "missing field `mark`"),
            (
                r#"{"event":"start","streamSid":"MZ1"}"#,
                "missing field `start`",
            ),
            (r#"{"media":{"payload":"AAAA"}}"#, "missing field `event`"),
            (
                r#"{"event":"media","media":{"payload":7}}"#,
                "invalid type: integer `7`",
            ),
            ("{nope", "key must be a string"),
        ];
        for (text, expected) in cases {
            let error = error(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
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
