//! Twilio Media Streams messages as the gateway sends them: any text must parse into a
//! message or an error, never panic. The parser's source is the transport's own (the
//! transport crate itself links the whole server).

#![no_main]

#[allow(dead_code, reason = "only the parser is exercised")]
#[path = "../../../runtime/transport/src/twilio/messages.rs"]
mod messages;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(message) = messages::Inbound::parse(text) {
        // Reading the event name walks every variant's borrowed fields.
        let _ = message.event();
    }
});
