//! Datagrams on a call's RTP and RTCP ports, from the far end or from anyone who finds the
//! port: RTP headers, RFC 4733 telephone-events, the jitter buffer and RTCP compounds must
//! take any bytes without panicking.

#![no_main]

#[allow(dead_code, unused_imports, reason = "only the parsers are exercised")]
#[path = "../../../runtime/transport-sip/src/rtp/mod.rs"]
mod rtp;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|datagrams: Vec<Vec<u8>>| {
    let mut jitter = rtp::JitterBuffer::new(2);
    let mut dtmf = rtp::DtmfReceiver::new();
    for datagram in &datagrams {
        let _ = rtp::rtcp::parse(datagram);
        if let Ok((header, payload)) = rtp::RtpHeader::parse(datagram) {
            let _ = dtmf.push(&header, payload);
            let _ = jitter.push(&header, payload);
            while jitter.pop().is_some() {}
        }
    }
});
