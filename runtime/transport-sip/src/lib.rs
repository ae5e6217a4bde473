//! The SIP transport: huashu as a telephony endpoint. It answers calls that carriers and
//! PBXs send to routed numbers, and places calls through operator-managed trunks, with
//! the call's audio over RTP (G.711 at 20 ms) and DTMF as RFC 4733 telephone-events.
//! Answered calls run on the same voice-call loop as every other audio transport, so a
//! script cannot tell a SIP call's audio path from a Twilio one's.
//!
//! ```text
//! carrier / PBX ──SIP (UDP, TCP)──► user_agent ──INVITE to a number──► inbound ──┐
//! POST /v1/calls (sip) ──► outbound: trunk admission, INVITE, progress ──────────┤
//!                                                                                ▼
//!                          media_wire: RTP ⇄ VoiceCall (decode, ASR, script, pacer)
//! ```
//!
//! # Layout
//! - [`user_agent`] — the SIP endpoint, its listeners, and the loop that sorts requests.
//! - `outbound` — placing calls through trunks: admission, INVITE, ring timeout, progress.
//! - `inbound` — answering INVITEs to routed numbers.
//! - `media_wire` — an answered call's RTP, RTCP, DTMF, hold, transfer and BYE.
//! - [`progress`] — what SIP final responses mean for a call (`busy`, `no-answer`…).
//! - [`trunk_limits`] — channels and calls per second per trunk.
//! - [`rtp_ports`] — the RTP port range, a pair per call.
//! - [`sdp`] — session descriptions: parsing, offers, answers and codec negotiation.
//! - [`rtp`] — RTP and RTCP packets, RFC 4733 telephone-events and the jitter buffer.

mod inbound;
mod media_wire;
mod outbound;
pub mod progress;
pub mod rtp;
pub mod rtp_ports;
pub mod sdp;
pub mod trunk_limits;
pub mod user_agent;

pub use user_agent::{SipConfig, SipError, SipTransport};
