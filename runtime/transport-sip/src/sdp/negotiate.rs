//! Offer/answer (RFC 3264): answering a remote offer, and reading the answer to ours, into
//! one [`Negotiated`] media plan.
//!
//! We take one audio stream per call. As answerer we accept the first offered `m=audio`
//! section over `RTP/AVP` that carries a codec we support, choosing the codec the
//! *offerer* prefers among those (RFC 3264 §6.1 lets us choose; following their order is
//! what carriers expect and avoids transcoding on their side). Every other section is
//! declined with port 0, keeping the offer's section count and order (§6).

use std::net::{IpAddr, SocketAddr};

use super::offer::{AudioLines, write_audio_section, write_declined_section, write_session_header};
use super::{
    Codec, DEFAULT_PTIME_MS, MediaDirection, MediaSection, RTP_AVP, SdpError, SessionDescription,
};

/// The session version of a first answer; a later answer in the same dialog must count up
/// from it ([`answer_with_version`]).
const FIRST_ANSWER_VERSION: u64 = 1;

/// The range of `a=ptime` we pass on. Below 10 ms the packet rate overwhelms trunks; above
/// 120 ms (the longest G.711 packetisation carriers configure) the value is a mistake, and
/// the RFC 3551 default of 20 ms is the safer reading.
const USABLE_PTIME_MS: std::ops::RangeInclusive<u32> = 10..=120;

/// What an offer/answer exchange settled for the call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The audio codec both sides use.
    pub codec: Codec,
    /// The payload type carrying it (the static one unless the peer mapped another).
    pub payload_type: u8,
    /// The telephone-event payload type, when both sides do RFC 4733 DTMF.
    pub telephone_event: Option<u8>,
    /// Where to send RTP: the peer's connection address and media port.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP: `a=rtcp` when given, else the RTP port plus one (RFC 3550 §11).
    pub remote_rtcp: SocketAddr,
    /// What *we* do: whether we send and whether we expect to receive. Sending is off
    /// when the peer's description says it does not receive or gives address 0.0.0.0.
    pub direction: MediaDirection,
    /// Whether the peer's description holds the call (`sendonly`, `inactive` or address
    /// 0.0.0.0): play no prompts into the void and expect silence.
    pub on_hold: bool,
    /// The packet duration the peer asked for, or 20 ms when it did not say.
    pub ptime_ms: u32,
}

/// Answers a remote offer: the answer's SDP text (session version 1) and the media plan.
///
/// `supported` lists the codecs we can use; its order does not matter, the offerer's does.
/// [`SdpError::NoCommonCodec`] means no offered audio stream is acceptable: reply 488.
pub fn answer(
    remote_offer: &SessionDescription,
    local_ip: IpAddr,
    local_port: u16,
    supported: &[Codec],
    session_id: u64,
) -> Result<(String, Negotiated), SdpError> {
    answer_with_version(
        remote_offer,
        local_ip,
        local_port,
        supported,
        session_id,
        FIRST_ANSWER_VERSION,
    )
}

/// [`answer`] with an explicit session version, for answering a re-INVITE (hold, resume,
/// address change) in a dialog where we already sent a description: pass the previous
/// version plus one (RFC 3264 §8).
pub fn answer_with_version(
    remote_offer: &SessionDescription,
    local_ip: IpAddr,
    local_port: u16,
    supported: &[Codec],
    session_id: u64,
    session_version: u64,
) -> Result<(String, Negotiated), SdpError> {
    let chosen = remote_offer
        .media
        .iter()
        .enumerate()
        .filter(|(_, section)| is_acceptable_audio(section))
        .find_map(|(index, section)| {
            pick_codec(section, supported).map(|(pt, codec)| (index, pt, codec))
        });
    let Some((chosen_index, payload_type, codec)) = chosen else {
        return Err(no_common_codec(remote_offer, supported));
    };
    let section = &remote_offer.media[chosen_index];
    let negotiated = plan(remote_offer, chosen_index, codec, payload_type)?;

    let mut sdp = String::with_capacity(320);
    write_session_header(&mut sdp, local_ip, session_id, session_version);
    for (index, offered) in remote_offer.media.iter().enumerate() {
        if index == chosen_index {
            write_audio_section(
                &mut sdp,
                &AudioLines {
                    port: local_port,
                    codecs: &[(payload_type, codec)],
                    telephone_event_pt: negotiated.telephone_event,
                    direction: remote_offer.direction_of(section).complement(),
                },
            );
        } else {
            write_declined_section(&mut sdp, &offered.media, &offered.proto, &offered.formats);
        }
    }
    Ok((sdp, negotiated))
}

/// Reads the answer to our offer of `our_offer_codecs`: the first audio section with a
/// non-zero port, and the first payload type in it that is a codec we offered.
pub fn negotiated_from_answer(
    our_offer_codecs: &[Codec],
    answer: &SessionDescription,
) -> Result<Negotiated, SdpError> {
    let (index, section) = answer
        .media
        .iter()
        .enumerate()
        .find(|(_, s)| s.media.eq_ignore_ascii_case("audio") && s.port != 0 && s.is_rtp())
        .ok_or(SdpError::AudioDeclined)?;
    let telephone_event = section.telephone_event_pt();
    let listed: Vec<u8> = section
        .payload_types()
        .into_iter()
        .filter(|&pt| Some(pt) != telephone_event)
        .collect();
    let chosen = listed.iter().find_map(|&pt| {
        section
            .codec_of(pt)
            .filter(|codec| our_offer_codecs.contains(codec))
            .map(|codec| (pt, codec))
    });
    let Some((payload_type, codec)) = chosen else {
        let payload_type = listed.first().copied().or(telephone_event).unwrap_or(0);
        return Err(SdpError::CodecNotOffered {
            payload_type,
            name: format_name(section, payload_type),
        });
    };
    plan(answer, index, codec, payload_type)
}

fn is_acceptable_audio(section: &MediaSection) -> bool {
    section.media.eq_ignore_ascii_case("audio")
        && section.port != 0
        && section.proto.eq_ignore_ascii_case(RTP_AVP)
}

/// The first payload type, in the offerer's order, whose codec we support.
fn pick_codec(section: &MediaSection, supported: &[Codec]) -> Option<(u8, Codec)> {
    section.payload_types().into_iter().find_map(|pt| {
        section
            .codec_of(pt)
            .filter(|codec| supported.contains(codec))
            .map(|codec| (pt, codec))
    })
}

/// Our direction given the peer's description: the complement of theirs, without sending
/// when they gave the unspecified address (RFC 3264 §8.4's older form of hold).
fn negotiated_direction(peer: &SessionDescription, section: &MediaSection) -> MediaDirection {
    let direction = peer.direction_of(section).complement();
    match peer.connection_of(section) {
        Some(address) if address.is_unspecified() => direction.without_send(),
        _ => direction,
    }
}

/// The media plan for the chosen section of the peer's description.
fn plan(
    peer: &SessionDescription,
    index: usize,
    codec: Codec,
    payload_type: u8,
) -> Result<Negotiated, SdpError> {
    let section = &peer.media[index];
    let address = peer
        .connection_of(section)
        .ok_or(SdpError::MissingConnection { index })?;
    let remote_rtcp = match section.rtcp {
        Some(rtcp) => SocketAddr::new(rtcp.address.unwrap_or(address), rtcp.port),
        // Port 65535 has no next port; RTCP can only share it.
        None => SocketAddr::new(address, section.port.checked_add(1).unwrap_or(section.port)),
    };
    Ok(Negotiated {
        codec,
        payload_type,
        telephone_event: section.telephone_event_pt(),
        remote_rtp: SocketAddr::new(address, section.port),
        remote_rtcp,
        direction: negotiated_direction(peer, section),
        on_hold: peer.is_hold(section),
        ptime_ms: section
            .ptime_ms
            .filter(|ms| USABLE_PTIME_MS.contains(ms))
            .unwrap_or(DEFAULT_PTIME_MS),
    })
}

fn no_common_codec(offer: &SessionDescription, supported: &[Codec]) -> SdpError {
    let offered = offer
        .media
        .iter()
        .map(|section| {
            let formats: Vec<String> = if section.is_rtp() {
                let pts = section.payload_types();
                pts.into_iter().map(|pt| format_name(section, pt)).collect()
            } else {
                section.formats.clone()
            };
            format!(
                "{} port {} {} {}",
                section.media,
                section.port,
                section.proto,
                formats.join(",")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let supported = supported
        .iter()
        .map(|c| c.encoding_name())
        .collect::<Vec<_>>()
        .join(",");
    SdpError::NoCommonCodec {
        offered,
        supported: if supported.is_empty() {
            "nothing".to_owned()
        } else {
            supported
        },
    }
}

/// `PCMU`, `G729/8000`, or the bare number when nothing names it.
fn format_name(section: &MediaSection, pt: u8) -> String {
    match (section.rtpmap(pt), Codec::from_static_payload_type(pt)) {
        (Some(map), _) => format!("{}/{}", map.encoding, map.clock_rate),
        (None, Some(codec)) => codec.encoding_name().to_owned(),
        (None, None) => pt.to_string(),
    }
}

#[cfg(test)]
mod tests;
