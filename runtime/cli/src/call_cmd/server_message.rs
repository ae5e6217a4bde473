//! The server's messages on the call WebSocket, read on the client side: the ones `huashu
//! call` shows or acts on. The server's own type (`huashu_transport::text_ws::ServerMessage`)
//! only serialises; `docs/protocols/text-websocket.md` is the reference for both. The trace
//! of events and actions, `stop_playback`, and any message type newer than this client are
//! [`ServerMessage::Trace`]: nothing to show.

use serde::Deserialize;

use huashu_contract::{HttpRequest, HttpResult, LogLevel, Millis, Outcome, Party};

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
    /// Recorded prompts with spoken text between them; `text` is how it reads
    /// (`[greeting-a] 张三 [greeting-b]`).
    SayParts {
        at_ms: Millis,
        text: String,
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
    /// An event delivered to the script; only `http_response` is shown.
    Event {
        at_ms: Millis,
        event: serde_json::Value,
    },
    /// An action the script returned; only `http_request` is shown (the others have
    /// messages of their own).
    Action {
        at_ms: Millis,
        action: serde_json::Value,
    },
    #[serde(other)]
    Trace,
}

impl ServerMessage {
    /// The script's HTTP request, if this is one.
    pub fn http_request(&self) -> Option<(Millis, HttpRequest)> {
        match self {
            ServerMessage::Action { at_ms, action } if action["action"] == "http_request" => {
                Some((*at_ms, serde_json::from_value(action.clone()).ok()?))
            }
            _ => None,
        }
    }

    /// The answer to one of the script's HTTP requests, if this is one.
    pub fn http_response(&self) -> Option<(Millis, HttpResult)> {
        match self {
            ServerMessage::Event { at_ms, event } if event["event"] == "http_response" => {
                Some((*at_ms, serde_json::from_value(event.clone()).ok()?))
            }
            _ => None,
        }
    }
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
    fn say_parts_is_read_by_its_readable_text() {
        assert_eq!(
            read(
                r#"{"type":"say_parts","at_ms":0,"id":"greeting","parts":[{"prompt":"greeting-a"},{"text":"张三"}],"text":"[greeting-a] 张三","voice":"","barge_in":false}"#
            ),
            ServerMessage::SayParts {
                at_ms: 0,
                text: "[greeting-a] 张三".into()
            }
        );
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
        let started = read(r#"{"type":"event","at_ms":0,"event":{"event":"speech_started"}}"#);
        assert!(started.http_response().is_none());
        assert_eq!(read(r#"{"type":"from_the_future"}"#), ServerMessage::Trace);
    }

    #[test]
    fn http_requests_and_their_answers_are_read_from_the_trace() {
        let request = read(
            r#"{"type":"action","at_ms":10,"action":{"action":"http_request","id":"","method":"POST","url":"https://crm.example/x","secret_headers":{"authorization":"crm-token"},"timeout_ms":0}}"#,
        );
        let (at_ms, request) = request.http_request().expect("an http request");
        assert_eq!((at_ms, request.method.as_str()), (10, "POST"));
        let answer = read(
            r#"{"type":"event","at_ms":320,"event":{"event":"http_response","id":"h1","outcome":{"error":{"error":"timeout"}},"elapsed_ms":310}}"#,
        );
        let (at_ms, result) = answer.http_response().expect("an http answer");
        assert_eq!((at_ms, result.elapsed_ms), (320, 310));
        assert_eq!(result.outcome, Err(huashu_contract::HttpError::Timeout));
    }
}
