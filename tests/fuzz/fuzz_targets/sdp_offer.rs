//! SDP bodies as carriers and phones send them in INVITEs, re-INVITEs and answers: any
//! bytes must parse into a description or an error, and any description must answer or
//! refuse, never panic. The module sources are the SIP transport's own.

#![no_main]

#[allow(dead_code, unused_imports, reason = "only the parsers and negotiation are exercised")]
#[path = "../../../runtime/transport-sip/src/sdp/mod.rs"]
mod sdp;

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(description) = sdp::SessionDescription::parse_bytes(body) else {
        return;
    };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let codecs = [sdp::Codec::Pcma, sdp::Codec::Pcmu];
    if let Ok((answer, _)) = sdp::answer(&description, ip, 20_000, &codecs, 1) {
        // Our own answer must always read back.
        assert!(sdp::SessionDescription::parse(&answer).is_ok(), "{answer}");
    }
    let _ = sdp::negotiated_from_answer(&codecs, &description);
});
