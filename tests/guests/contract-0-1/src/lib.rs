//! A call script built against `huashu:dialogue@0.1.0`, the contract's first version, kept
//! for the host in `runtime/sandbox/wit-0.1.0/`. It proves that a module built before 0.2.0
//! still loads and runs unchanged: it uses both imports (`log`, `kv`) and tells what it was
//! given, so a test can see how a 0.1.0 script reads a call.
//!
//! On `call-started` it logs, counts the call in key-value, says `channel: <channel>` and
//! `calls: <n>`, and listens; on the customer's answer it sets an outcome (intent A,
//! disposition `heard`) and hangs up.

wit_bindgen::generate!({ world: "dialogue", path: "../../../runtime/sandbox/wit-0.1.0" });

use exports::huashu::dialogue::script::Guest;
use huashu::dialogue::kv;
use huashu::dialogue::log::{self, Level};
use huashu::dialogue::types::{Action, Channel, Event, IntentLevel, Listen, Outcome, Say};

fn say(text: String) -> Action {
    Action::Say(Say {
        text,
        voice: String::new(),
        id: String::new(),
        barge_in: false,
    })
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Browser => "browser",
        Channel::Twilio => "twilio",
        Channel::Text => "text",
    }
}

/// Counts calls in the tenant's key-value store; 0 if the store refused.
fn count_call() -> u64 {
    let seen = match kv::get("calls") {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).parse().unwrap_or(0),
        _ => 0,
    };
    let now = seen + 1;
    match kv::set("calls", now.to_string().as_bytes()) {
        Ok(()) => now,
        Err(_) => 0,
    }
}

struct Pinned;

impl Guest for Pinned {
    fn handle(event: Event, _elapsed_ms: u64) -> Vec<Action> {
        match event {
            Event::CallStarted(call) => {
                log::write(Level::Info, "a 0.1.0 script answering");
                vec![
                    say(format!("channel: {}", channel_name(call.channel))),
                    say(format!("calls: {}", count_call())),
                    Action::Listen(Listen {
                        no_input_ms: 5000,
                        end_silence_ms: 0,
                        max_speech_ms: 0,
                        hints: Vec::new(),
                        dtmf: None,
                    }),
                ]
            }
            Event::FinalTranscript(_) => vec![
                Action::SetOutcome(Outcome {
                    intent: Some(IntentLevel::A),
                    disposition: Some("heard".into()),
                    tags: Vec::new(),
                    fields: Vec::new(),
                }),
                Action::HangUp("done".into()),
            ],
            _ => Vec::new(),
        }
    }
}

export!(Pinned);
