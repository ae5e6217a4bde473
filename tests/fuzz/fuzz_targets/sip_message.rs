//! SIP messages as they arrive on the server's SIP port, parsed by the SIP stack the
//! transport is built on (rsipstack, the exact version the server pins): any datagram must
//! parse or fail, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rsipstack::sip::SipMessage;

fuzz_target!(|datagram: &[u8]| {
    let _ = SipMessage::try_from(datagram);
});
