//! The console call socket's client messages (`docs/protocols/text-websocket.md`): any text
//! must parse into a message or an error, never panic.

#![no_main]

#[allow(dead_code, reason = "only the client messages are exercised")]
#[path = "../../../runtime/transport/src/text_ws/messages.rs"]
mod messages;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = serde_json::from_str::<messages::ClientMessage>(text);
});
