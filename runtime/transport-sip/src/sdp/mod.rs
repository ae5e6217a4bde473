//! Session descriptions for audio calls: reading the SDP a carrier or PBX sends (RFC 4566),
//! writing our offers, answering theirs and reading their answers to ours (RFC 3264).
//!
//! This module owns the SDP text and the codec choice. It does not own sockets, SIP
//! messages or call state: the SIP layer hands it a body and gets back either the text to
//! send and a [`Negotiated`] media plan (where to send RTP, which payload types, whether
//! the call is held), or an [`SdpError`] it turns into a SIP response (`488 Not
//! Acceptable Here` for [`SdpError::NoCommonCodec`], `400` for malformed bodies).
//!
//! Only what a G.711 phone call needs is understood: audio over `RTP/AVP`, PCMU and PCMA,
//! RFC 4733 telephone-events, `ptime`, the four direction attributes and `rtcp`. Other
//! attributes are kept in [`MediaSection::attributes`] and otherwise ignored; other media
//! (video, T.38 images, BFCP) are parsed enough to be declined with port 0.
//!
//! # Layout
//! - `parse` — text to [`SessionDescription`], bounded and line-numbered errors.
//! - `offer` — the [`Offer`] builder, which also writes re-offers for hold and resume.
//! - `negotiate` — [`answer`], [`answer_with_version`] and [`negotiated_from_answer`].
//! - `error` — [`SdpError`] and the SIP status each reason maps to.

mod error;
mod negotiate;
mod offer;
mod parse;
#[cfg(test)]
mod samples;

use std::net::IpAddr;

pub use error::SdpError;
pub use negotiate::{Negotiated, answer, answer_with_version, negotiated_from_answer};
pub use offer::Offer;
pub use parse::{MAX_MEDIA_SECTIONS, MAX_SDP_BYTES};

/// The RTP clock rate of every codec we speak: G.711 and telephone-events are sampled at
/// 8 kHz (RFC 3551 §4.5.14, RFC 4733 §2.1 for narrowband audio).
pub const CLOCK_RATE: u32 = 8_000;

/// The telephone-event payload type in our offers. Any dynamic type (96–127) would do;
/// 101 is what most SIP stacks use, so traces look familiar to whoever reads them.
pub const DEFAULT_TELEPHONE_EVENT_PT: u8 = 101;

/// The events we offer and answer: DTMF 0–9, `*`, `#`, A–D and flash (RFC 4733 §3.2).
pub const TELEPHONE_EVENTS_FMTP: &str = "0-16";

/// Packet duration we send and ask for: 20 ms is the RFC 3551 §4.5 default for G.711 and
/// the grid our media pacer runs on.
pub const DEFAULT_PTIME_MS: u32 = 20;

/// The RTP profile we speak: plain RTP/AVP (RFC 3551). SRTP (`RTP/SAVP`) and the feedback
/// profiles are declined.
pub const RTP_AVP: &str = "RTP/AVP";

/// An audio codec we can send and receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 mu-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type RFC 3551 §6 assigns to the codec.
    pub const fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name used in `a=rtpmap` (RFC 3551 §6).
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// The codec a static payload type stands for when no `a=rtpmap` names it.
    pub const fn from_static_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The codec an `a=rtpmap` encoding name stands for (case-insensitive, RFC 4566 §6).
    pub fn from_encoding_name(name: &str) -> Option<Codec> {
        [Codec::Pcmu, Codec::Pcma]
            .into_iter()
            .find(|codec| codec.encoding_name().eq_ignore_ascii_case(name))
    }
}

/// Which way media flows on a stream, from the point of view of the description's author
/// (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaDirection {
    /// Both ways (the default when no direction attribute is present).
    SendRecv,
    /// The author only sends: it has put the other side on hold.
    SendOnly,
    /// The author only receives.
    RecvOnly,
    /// Neither way: held from both sides, or a stream kept for later.
    Inactive,
}

impl MediaDirection {
    /// The direction an answerer writes for this offered direction (RFC 3264 §6.1).
    pub const fn complement(self) -> MediaDirection {
        match self {
            MediaDirection::SendRecv => MediaDirection::SendRecv,
            MediaDirection::SendOnly => MediaDirection::RecvOnly,
            MediaDirection::RecvOnly => MediaDirection::SendOnly,
            MediaDirection::Inactive => MediaDirection::Inactive,
        }
    }

    /// The SDP attribute name (`sendrecv`, `sendonly`, `recvonly`, `inactive`).
    pub const fn attribute(self) -> &'static str {
        match self {
            MediaDirection::SendRecv => "sendrecv",
            MediaDirection::SendOnly => "sendonly",
            MediaDirection::RecvOnly => "recvonly",
            MediaDirection::Inactive => "inactive",
        }
    }

    /// The direction an attribute name stands for, if it is one.
    pub fn from_attribute(name: &str) -> Option<MediaDirection> {
        [
            MediaDirection::SendRecv,
            MediaDirection::SendOnly,
            MediaDirection::RecvOnly,
            MediaDirection::Inactive,
        ]
        .into_iter()
        .find(|d| d.attribute() == name)
    }

    /// Whether the author sends media.
    pub const fn sends(self) -> bool {
        matches!(self, MediaDirection::SendRecv | MediaDirection::SendOnly)
    }

    /// Whether the author receives media.
    pub const fn receives(self) -> bool {
        matches!(self, MediaDirection::SendRecv | MediaDirection::RecvOnly)
    }

    /// This direction with sending switched off (for a peer that said "don't send to me").
    pub const fn without_send(self) -> MediaDirection {
        match self {
            MediaDirection::SendRecv | MediaDirection::RecvOnly => MediaDirection::RecvOnly,
            MediaDirection::SendOnly | MediaDirection::Inactive => MediaDirection::Inactive,
        }
    }
}

/// The `o=` line: who wrote the description and which version of it this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The author's login, or `-`.
    pub username: String,
    /// Identifies the session across versions. Kept as text: RFC 4566 §5.2 only asks for
    /// a numeric string, and equality is all the offer/answer rules need.
    pub session_id: String,
    /// Changes whenever the description changes (RFC 3264 §8): an unchanged version in a
    /// re-INVITE means an unchanged session.
    pub session_version: String,
    /// The author's address as written (an IP address or a host name).
    pub address: String,
}

/// An `a=rtpmap:<pt> <name>/<rate>[/<channels>]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// The payload type it names.
    pub payload_type: u8,
    /// The encoding name as written (compare case-insensitively).
    pub encoding: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels; 1 when not written.
    pub channels: u8,
}

/// An `a=fmtp:<pt> <parameters>` line for an RTP payload type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The payload type the parameters apply to.
    pub payload_type: u8,
    /// The parameters as written (`0-16`, `annexb=no`).
    pub parameters: String,
}

/// An `a=rtcp:<port> [IN IP4 <address>]` line (RFC 3605).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpAttribute {
    /// Where the author receives RTCP.
    pub port: u16,
    /// The address for RTCP, when not the stream's connection address.
    pub address: Option<IpAddr>,
}

/// An attribute this module does not interpret, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The name before the colon.
    pub name: String,
    /// The text after the colon; `None` for a flag attribute such as `a=rtcp-mux`.
    pub value: Option<String>,
}

/// One `m=` section and the lines under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    /// The media type: `audio`, `video`, `image`, `application`…
    pub media: String,
    /// The transport port; 0 means the stream is disabled or declined.
    pub port: u16,
    /// The transport protocol: `RTP/AVP`, `RTP/SAVP`, `udptl`…
    pub proto: String,
    /// The formats in the author's order of preference. For RTP protocols these are
    /// payload type numbers, checked to be 0–127; see [`MediaSection::payload_types`].
    pub formats: Vec<String>,
    /// The section's `a=rtpmap` lines.
    pub rtpmaps: Vec<RtpMap>,
    /// The section's `a=fmtp` lines for RTP payload types.
    pub fmtps: Vec<Fmtp>,
    /// `a=ptime`, in milliseconds.
    pub ptime_ms: Option<u32>,
    /// The direction attribute written in this section; see
    /// [`SessionDescription::direction_of`] for the effective one.
    pub direction: Option<MediaDirection>,
    /// The section's own `c=` address, overriding the session's.
    pub connection: Option<IpAddr>,
    /// `a=rtcp`, when RTCP is not on the next port up.
    pub rtcp: Option<RtcpAttribute>,
    /// Whether `a=rtcp-mux` (RFC 5761) was present.
    pub rtcp_mux: bool,
    /// Every other attribute, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaSection {
    /// Whether formats are RTP payload type numbers (`RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`…).
    pub fn is_rtp(&self) -> bool {
        self.proto.to_ascii_uppercase().starts_with("RTP/")
    }

    /// The RTP payload types in the author's order; empty for non-RTP media.
    pub fn payload_types(&self) -> Vec<u8> {
        if !self.is_rtp() {
            return Vec::new();
        }
        self.formats.iter().filter_map(|f| f.parse().ok()).collect()
    }

    /// The `a=rtpmap` for a payload type, if one was written.
    pub fn rtpmap(&self, payload_type: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|m| m.payload_type == payload_type)
    }

    /// The `a=fmtp` parameters for a payload type, if any were written.
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.fmtps
            .iter()
            .find(|f| f.payload_type == payload_type)
            .map(|f| f.parameters.as_str())
    }

    /// The codec a listed payload type carries: its rtpmap when written (any payload type,
    /// G.711 at 8 kHz mono only), else the RFC 3551 static assignment.
    pub fn codec_of(&self, payload_type: u8) -> Option<Codec> {
        match self.rtpmap(payload_type) {
            Some(map) if map.clock_rate == CLOCK_RATE && map.channels == 1 => {
                Codec::from_encoding_name(&map.encoding)
            }
            Some(_) => None,
            None => Codec::from_static_payload_type(payload_type),
        }
    }

    /// The first listed payload type mapped to `telephone-event/8000`.
    pub fn telephone_event_pt(&self) -> Option<u8> {
        self.payload_types().into_iter().find(|&pt| {
            self.rtpmap(pt).is_some_and(|m| {
                m.encoding.eq_ignore_ascii_case("telephone-event") && m.clock_rate == CLOCK_RATE
            })
        })
    }
}

/// A parsed session description. Build one with [`SessionDescription::parse`] or
/// [`SessionDescription::parse_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line.
    pub origin: Origin,
    /// The `s=` line; empty when absent.
    pub session_name: String,
    /// The session-level `c=` address, the default for every section.
    pub connection: Option<IpAddr>,
    /// The session-level direction attribute, the default for every section.
    pub direction: Option<MediaDirection>,
    /// The media sections in order; answers must keep this order and count.
    pub media: Vec<MediaSection>,
    /// Session-level attributes this module does not interpret.
    pub attributes: Vec<Attribute>,
}

impl SessionDescription {
    /// The connection address that applies to a section: its own, else the session's.
    pub fn connection_of(&self, section: &MediaSection) -> Option<IpAddr> {
        section.connection.or(self.connection)
    }

    /// The direction that applies to a section: its own attribute, else the session's,
    /// else `sendrecv` (RFC 3264 §5.1).
    pub fn direction_of(&self, section: &MediaSection) -> MediaDirection {
        section
            .direction
            .or(self.direction)
            .unwrap_or(MediaDirection::SendRecv)
    }

    /// Whether the author holds the section: it only sends or is inactive (RFC 3264 §8.4),
    /// or it gives the unspecified address as where to send (the RFC 2543 style many
    /// older PBXs still use).
    pub fn is_hold(&self, section: &MediaSection) -> bool {
        let direction = self.direction_of(section);
        !direction.receives()
            || self
                .connection_of(section)
                .is_some_and(|a| a.is_unspecified())
    }
}
