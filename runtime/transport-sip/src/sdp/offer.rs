//! Writing our SDP: the [`Offer`] builder for INVITEs and re-INVITEs, and the line writers
//! the answer shares with it.
//!
//! Every description we write has one session-level `c=` (the section inherits it), an
//! `o=` whose version the caller owns, and per audio section an `a=rtpmap` for every
//! payload type — static ones too, which RFC 3551 does not require but several SBCs
//! expect — then `a=ptime:20` and an explicit direction attribute.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::{
    CLOCK_RATE, Codec, DEFAULT_PTIME_MS, DEFAULT_TELEPHONE_EVENT_PT, MediaDirection, RTP_AVP,
    SdpError, TELEPHONE_EVENTS_FMTP,
};

/// The `o=` username and `s=` name we write: `-` would be as valid, but a name tells
/// whoever reads a carrier trace which side wrote the body.
const OUR_NAME: &str = "huashu";

/// Our offer, for an initial INVITE or a re-INVITE.
///
/// A hold re-offer is the same offer with [`Offer::direction`] set to
/// [`MediaDirection::SendOnly`] (or `Inactive` if they already hold us) and the next
/// session version; resuming is `SendRecv` and the version after that (RFC 3264 §8.4).
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use huashu_transport_sip::sdp::{Codec, MediaDirection, Offer};
///
/// let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
/// let sdp = Offer::new(ip, 40_000, &[Codec::Pcma, Codec::Pcmu], 7, 1)
///     .direction(MediaDirection::SendOnly)
///     .render()?;
/// assert!(sdp.contains("m=audio 40000 RTP/AVP 8 0 101\r\n"));
/// assert!(sdp.contains("a=sendonly\r\n"));
/// # Ok::<(), huashu_transport_sip::sdp::SdpError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    local_ip: IpAddr,
    rtp_port: u16,
    codecs: Vec<Codec>,
    session_id: u64,
    session_version: u64,
    direction: MediaDirection,
    telephone_event_pt: Option<u8>,
}

impl Offer {
    /// An offer to receive audio at `local_ip:rtp_port` in `codecs` (most preferred first;
    /// repeats are dropped), with telephone-events at payload type 101 and `sendrecv`.
    pub fn new(
        local_ip: IpAddr,
        rtp_port: u16,
        codecs: &[Codec],
        session_id: u64,
        session_version: u64,
    ) -> Offer {
        let mut unique = Vec::with_capacity(codecs.len());
        for &codec in codecs {
            if !unique.contains(&codec) {
                unique.push(codec);
            }
        }
        Offer {
            local_ip,
            rtp_port,
            codecs: unique,
            session_id,
            session_version,
            direction: MediaDirection::SendRecv,
            telephone_event_pt: Some(DEFAULT_TELEPHONE_EVENT_PT),
        }
    }

    /// Sets the direction we offer (hold is `SendOnly`).
    pub fn direction(mut self, direction: MediaDirection) -> Offer {
        self.direction = direction;
        self
    }

    /// Sets the telephone-event payload type, or leaves DTMF out with `None`. A re-offer
    /// should keep the type the first exchange settled on.
    pub fn telephone_event(mut self, payload_type: Option<u8>) -> Offer {
        self.telephone_event_pt = payload_type;
        self
    }

    /// The codecs in the order offered.
    pub fn codecs(&self) -> &[Codec] {
        &self.codecs
    }

    /// The SDP text, CRLF line ends.
    pub fn render(&self) -> Result<String, SdpError> {
        if self.codecs.is_empty() {
            return Err(SdpError::NoCodecs);
        }
        let mut sdp = String::with_capacity(320);
        write_session_header(
            &mut sdp,
            self.local_ip,
            self.session_id,
            self.session_version,
        );
        let formats: Vec<(u8, Codec)> = self
            .codecs
            .iter()
            .map(|&c| (c.static_payload_type(), c))
            .collect();
        write_audio_section(
            &mut sdp,
            &AudioLines {
                port: self.rtp_port,
                codecs: &formats,
                telephone_event_pt: self.telephone_event_pt,
                direction: self.direction,
            },
        );
        Ok(sdp)
    }
}

/// `v=`, `o=`, `s=`, session `c=` and `t=`.
pub(super) fn write_session_header(sdp: &mut String, ip: IpAddr, id: u64, version: u64) {
    let addrtype = address_type(ip);
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        sdp,
        "v=0\r\no={OUR_NAME} {id} {version} IN {addrtype} {ip}\r\ns={OUR_NAME}\r\n\
         c=IN {addrtype} {ip}\r\nt=0 0\r\n"
    );
}

/// What an accepted audio section carries.
pub(super) struct AudioLines<'a> {
    pub port: u16,
    /// Payload types with their codec, most preferred first.
    pub codecs: &'a [(u8, Codec)],
    pub telephone_event_pt: Option<u8>,
    pub direction: MediaDirection,
}

/// An `m=audio` section with its rtpmaps, fmtp, ptime and direction.
pub(super) fn write_audio_section(sdp: &mut String, lines: &AudioLines<'_>) {
    let _ = write!(sdp, "m=audio {} {RTP_AVP}", lines.port);
    for (pt, _) in lines.codecs {
        let _ = write!(sdp, " {pt}");
    }
    if let Some(pt) = lines.telephone_event_pt {
        let _ = write!(sdp, " {pt}");
    }
    sdp.push_str("\r\n");
    for (pt, codec) in lines.codecs {
        let _ = write!(
            sdp,
            "a=rtpmap:{pt} {}/{CLOCK_RATE}\r\n",
            codec.encoding_name()
        );
    }
    if let Some(pt) = lines.telephone_event_pt {
        let _ = write!(
            sdp,
            "a=rtpmap:{pt} telephone-event/{CLOCK_RATE}\r\na=fmtp:{pt} {TELEPHONE_EVENTS_FMTP}\r\n"
        );
    }
    let _ = write!(
        sdp,
        "a=ptime:{DEFAULT_PTIME_MS}\r\na={}\r\n",
        lines.direction.attribute()
    );
}

/// A declined section: same media and proto, port 0, the offered formats (RFC 3264 §6:
/// at least one must be listed, and they are ignored).
pub(super) fn write_declined_section(
    sdp: &mut String,
    media: &str,
    proto: &str,
    formats: &[String],
) {
    let _ = write!(sdp, "m={media} 0 {proto}");
    if formats.is_empty() {
        // Only possible for a section the offerer itself disabled without formats.
        sdp.push_str(" 0");
    }
    for format in formats {
        let _ = write!(sdp, " {format}");
    }
    sdp.push_str("\r\n");
}

fn address_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;
    use crate::sdp::SessionDescription;

    fn ip() -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7))
    }

    #[test]
    fn an_offer_lists_codecs_in_preference_order_then_telephone_event() {
        let sdp = Offer::new(ip(), 30_000, &[Codec::Pcma, Codec::Pcmu], 42, 1)
            .render()
            .unwrap();
        assert_eq!(
            sdp,
            "v=0\r\no=huashu 42 1 IN IP4 198.51.100.7\r\ns=huashu\r\n\
             c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 0 101\r\n\
             a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n\
             a=ptime:20\r\na=sendrecv\r\n"
        );
    }

    #[test]
    fn an_offer_parses_back_to_what_was_offered() {
        let sdp = Offer::new(ip(), 30_000, &[Codec::Pcmu], 42, 9)
            .direction(MediaDirection::Inactive)
            .render()
            .unwrap();
        let parsed = SessionDescription::parse(&sdp).unwrap();
        assert_eq!(parsed.origin.session_version, "9");
        assert_eq!(parsed.connection, Some(ip()));
        let audio = &parsed.media[0];
        assert_eq!(audio.payload_types(), vec![0, 101]);
        assert_eq!(audio.telephone_event_pt(), Some(101));
        assert_eq!(audio.fmtp(101), Some("0-16"));
        assert_eq!(audio.ptime_ms, Some(20));
        assert_eq!(parsed.direction_of(audio), MediaDirection::Inactive);
    }

    #[test]
    fn an_ipv6_offer_uses_ip6_address_types() {
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5));
        let sdp = Offer::new(v6, 4000, &[Codec::Pcmu], 1, 1).render().unwrap();
        assert!(sdp.contains("o=huashu 1 1 IN IP6 2001:db8::5\r\n"));
        assert!(sdp.contains("c=IN IP6 2001:db8::5\r\n"));
    }

    #[test]
    fn repeated_codecs_are_offered_once() {
        let offer = Offer::new(ip(), 4000, &[Codec::Pcmu, Codec::Pcma, Codec::Pcmu], 1, 1);
        assert_eq!(offer.codecs(), &[Codec::Pcmu, Codec::Pcma]);
    }

    #[test]
    fn an_offer_without_telephone_event_has_no_dtmf_lines() {
        let sdp = Offer::new(ip(), 4000, &[Codec::Pcmu], 1, 1)
            .telephone_event(None)
            .render()
            .unwrap();
        assert!(sdp.contains("m=audio 4000 RTP/AVP 0\r\n"));
        assert!(!sdp.contains("telephone-event"));
    }

    #[test]
    fn an_offer_without_codecs_is_refused() {
        let offer = Offer::new(ip(), 4000, &[], 1, 1);
        assert_eq!(offer.render(), Err(SdpError::NoCodecs));
    }

    #[test]
    fn a_hold_reoffer_is_sendonly_with_the_next_version() {
        let sdp = Offer::new(ip(), 4000, &[Codec::Pcma], 5, 2)
            .direction(MediaDirection::SendOnly)
            .render()
            .unwrap();
        let parsed = SessionDescription::parse(&sdp).unwrap();
        assert_eq!(parsed.origin.session_version, "2");
        assert!(parsed.is_hold(&parsed.media[0]));
    }
}
