//! The server's messages on the call WebSocket, read on the client side: the ones `huashu
//! call` shows or acts on. The server's own type (`huashu_transport::text_ws::ServerMessage`)
//! only serialises; `docs/protocols/text-websocket.md` is the reference for both. The trace
//! of events and actions, `stop_playback`, and any message type newer than this client are
//! [`ServerMessage::Trace`]: nothing to show.

use serde::Deserialize;

use huashu_contract::{LogLevel, Millis, Outcome, Party};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ServerMessage {
    Say {
        at_ms: Millis,
        text: String,
    },
    Play {
        at_ms: Millis,
        prompt: String,
    },
    /// The bot has finished talking and waits for the customer.
    Listen {
        at_ms: Millis,
    },
    Transfer {
        at_ms: Millis,
        target: String,
        #[serde(default)]
        reason: String,
    },
    SendDtmf {
        at_ms: Millis,
        digits: String,
    },
    Log {
        at_ms: Millis,
        level: LogLevel,
        message: String,
    },
    /// Customer input the host did not pass to the script.
    Ignored {
        at_ms: Millis,
        what: String,
        why: String,
    },
    /// The script failed; the host's fallback follows.
    Error {
        at_ms: Millis,
        message: String,
    },
    Hangup {
        at_ms: Millis,
        by: Party,
        reason: String,
    },
    /// The call's result, after `hangup`.
    Outcome(Outcome),
    /// The last client message could not be used.
    BadMessage {
        message: String,
    },
    #[serde(other)]
    Trace,
}

#[cfg(test)]
mod tests {
    use super::ServerMessage;
    use huashu_contract::{IntentLevel, Party};

    fn read(json: &str) -> ServerMessage {
        serde_json::from_str(json).expect("a server message")
    }

    #[test]
    fn the_documented_messages_are_read() {
        assert_eq!(
            read(
                r#"{"type":"say","at_ms":3005,"id":"p1","text":"再见！","voice":"","barge_in":false}"#
            ),
            ServerMessage::Say {
                at_ms: 3005,
                text: "再见！".into()
            }
        );
        assert_eq!(
            read(r#"{"type":"hangup","at_ms":3005,"by":"script","reason":"dialogue-complete"}"#),
            ServerMessage::Hangup {
                at_ms: 3005,
                by: Party::Script,
                reason: "dialogue-complete".into()
            }
        );
        let ServerMessage::Outcome(outcome) = read(
            r#"{"type":"outcome","intent":"A","disposition":"coupon-accepted","tags":["coupon-accepted"],"fields":{"coupon_amount":"50"}}"#,
        ) else {
            panic!("an outcome");
        };
        assert_eq!(outcome.intent, Some(IntentLevel::A));
        assert_eq!(outcome.fields, [("coupon_amount".into(), "50".into())]);
    }

    #[test]
    fn an_outcome_with_nothing_set_is_read() {
        let ServerMessage::Outcome(outcome) =
            read(r#"{"type":"outcome","intent":null,"disposition":null,"tags":[],"fields":{}}"#)
        else {
            panic!("an outcome");
        };
        assert_eq!(outcome, Default::default());
    }

    #[test]
    fn the_trace_and_unknown_types_are_nothing_to_show() {
        assert_eq!(
            read(r#"{"type":"event","at_ms":0,"event":{"event":"speech_started"}}"#),
            ServerMessage::Trace
        );
        assert_eq!(read(r#"{"type":"from_the_future"}"#), ServerMessage::Trace);
    }
}
