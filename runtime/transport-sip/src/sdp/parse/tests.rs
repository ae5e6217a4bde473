use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::sdp::samples::*;
use crate::sdp::{
    Codec, MAX_MEDIA_SECTIONS, MAX_SDP_BYTES, MediaDirection, RtcpAttribute, SdpError,
    SessionDescription,
};

fn v4(a: u8, b: u8, c: u8, d: u8) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
}

fn malformed_line(result: Result<SessionDescription, SdpError>) -> usize {
    match result {
        Err(SdpError::Malformed { line, .. }) => line,
        other => panic!("expected a malformed-line error, got {other:?}"),
    }
}

const MINIMAL: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

#[test]
fn an_asterisk_offer_yields_origin_connection_codecs_and_attributes() {
    let sdp = SessionDescription::parse(ASTERISK).unwrap();
    assert_eq!(sdp.origin.username, "-");
    assert_eq!(sdp.origin.session_id, "1712345678");
    assert_eq!(sdp.origin.session_version, "1712345680");
    assert_eq!(sdp.origin.address, "203.0.113.20");
    assert_eq!(sdp.session_name, "Asterisk");
    assert_eq!(sdp.connection, v4(203, 0, 113, 20));
    assert_eq!(sdp.media.len(), 1);
    let audio = &sdp.media[0];
    assert_eq!((audio.media.as_str(), audio.port), ("audio", 17890));
    assert_eq!(audio.proto, "RTP/AVP");
    assert_eq!(audio.payload_types(), vec![8, 0, 3, 101]);
    assert_eq!(audio.codec_of(8), Some(Codec::Pcma));
    assert_eq!(audio.codec_of(3), None);
    assert_eq!(audio.telephone_event_pt(), Some(101));
    assert_eq!(audio.fmtp(101), Some("0-16"));
    assert_eq!(audio.ptime_ms, Some(20));
    assert_eq!(audio.direction, Some(MediaDirection::SendRecv));
    assert_eq!(audio.attributes[0].name, "maxptime");
    assert_eq!(audio.attributes[0].value.as_deref(), Some("150"));
}

#[test]
fn a_freeswitch_offer_keeps_multichannel_rtpmaps_and_the_rtcp_attribute() {
    let sdp = SessionDescription::parse(FREESWITCH).unwrap();
    let audio = &sdp.media[0];
    let opus = audio.rtpmap(102).unwrap();
    assert_eq!((opus.encoding.as_str(), opus.clock_rate), ("opus", 48_000));
    assert_eq!(opus.channels, 2);
    assert_eq!(audio.codec_of(102), None);
    assert_eq!(
        audio.fmtp(102),
        Some("useinbandfec=1; maxplaybackrate=16000")
    );
    assert_eq!(
        audio.rtcp,
        Some(RtcpAttribute {
            port: 24681,
            address: v4(192, 0, 2, 50),
        })
    );
}

#[test]
fn a_baresip_offer_with_bare_newlines_and_ipv6_parses() {
    let sdp = SessionDescription::parse(BARESIP_IPV6).unwrap();
    let expected = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x1234));
    assert_eq!(sdp.connection, Some(expected));
    assert_eq!(sdp.media.len(), 2);
    let audio = &sdp.media[0];
    assert!(audio.rtcp_mux);
    assert_eq!(audio.codec_of(0), Some(Codec::Pcmu));
    assert_eq!(audio.codec_of(8), Some(Codec::Pcma));
    assert_eq!(sdp.media[1].media, "video");
    assert_eq!(sdp.media[1].payload_types(), vec![100]);
}

#[test]
fn a_media_level_connection_overrides_the_session_one() {
    let sdp = SessionDescription::parse(CARRIER_SBC).unwrap();
    assert_eq!(sdp.connection, v4(100, 64, 10, 2));
    assert_eq!(sdp.connection_of(&sdp.media[0]), v4(100, 64, 10, 9));
}

#[test]
fn a_session_level_direction_applies_to_sections_without_their_own() {
    let sdp = SessionDescription::parse(HOLD_SENDONLY).unwrap();
    assert_eq!(sdp.direction, Some(MediaDirection::SendOnly));
    assert_eq!(sdp.media[0].direction, None);
    assert_eq!(sdp.direction_of(&sdp.media[0]), MediaDirection::SendOnly);
    assert!(sdp.is_hold(&sdp.media[0]));
}

#[test]
fn a_section_without_direction_attributes_is_sendrecv_and_not_held() {
    let sdp = SessionDescription::parse(CARRIER_SBC).unwrap();
    let plain = SessionDescription::parse(&format!("{MINIMAL}m=audio 5000 RTP/AVP 0\r\n")).unwrap();
    assert_eq!(
        plain.direction_of(&plain.media[0]),
        MediaDirection::SendRecv
    );
    assert!(!sdp.is_hold(&sdp.media[0]));
}

#[test]
fn a_zero_connection_address_is_hold() {
    let sdp = SessionDescription::parse(HOLD_ZERO_ADDRESS).unwrap();
    assert_eq!(sdp.direction_of(&sdp.media[0]), MediaDirection::SendRecv);
    assert!(sdp.is_hold(&sdp.media[0]));
}

#[test]
fn non_rtp_media_keep_their_formats_and_non_numeric_fmtp() {
    let text = format!("{T38_ONLY}a=fmtp:t38 T38FaxMaxBuffer=200\r\n");
    let sdp = SessionDescription::parse(&text).unwrap();
    let image = &sdp.media[0];
    assert_eq!(image.formats, vec!["t38".to_owned()]);
    assert!(image.payload_types().is_empty());
    assert!(image.fmtps.is_empty());
    assert_eq!(image.attributes.last().unwrap().name, "fmtp");
}

#[test]
fn bytes_that_are_not_utf8_only_spoil_free_text() {
    let mut body = MINIMAL.replace("s=-", "s=caf\u{e9}").into_bytes();
    body.extend_from_slice(b"i=\xff\xfe\r\nm=audio 5000 RTP/AVP 8\r\n");
    let sdp = SessionDescription::parse_bytes(&body).unwrap();
    assert_eq!(sdp.media[0].codec_of(8), Some(Codec::Pcma));
}

#[test]
fn multicast_ttl_suffixes_and_port_counts_are_ignored() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 233.252.0.1/127\r\n\
                m=audio 49170/2 RTP/AVP 0\r\n";
    let sdp = SessionDescription::parse(text).unwrap();
    assert_eq!(sdp.connection, v4(233, 252, 0, 1));
    assert_eq!(sdp.media[0].port, 49170);
}

#[test]
fn a_disabled_section_may_list_no_formats() {
    let sdp = SessionDescription::parse(&format!("{MINIMAL}m=video 0 RTP/AVP\r\n")).unwrap();
    assert!(sdp.media[0].formats.is_empty());
}

#[test]
fn parsing_through_from_str_matches_parse() {
    let parsed: SessionDescription = ASTERISK.parse().unwrap();
    assert_eq!(parsed, SessionDescription::parse(ASTERISK).unwrap());
}

#[test]
fn a_body_over_the_size_limit_is_rejected_before_parsing() {
    let body = vec![b'a'; MAX_SDP_BYTES + 1];
    assert_eq!(
        SessionDescription::parse_bytes(&body),
        Err(SdpError::TooLarge {
            size: MAX_SDP_BYTES + 1,
            limit: MAX_SDP_BYTES
        })
    );
}

#[test]
fn more_media_sections_than_the_limit_are_rejected() {
    let mut text = MINIMAL.to_owned();
    for _ in 0..=MAX_MEDIA_SECTIONS {
        text.push_str("m=audio 0 RTP/AVP 0\r\n");
    }
    assert_eq!(
        SessionDescription::parse(&text),
        Err(SdpError::TooManyMediaSections {
            limit: MAX_MEDIA_SECTIONS
        })
    );
}

#[test]
fn a_line_that_is_not_type_equals_value_names_its_line_number() {
    let text = format!("{MINIMAL}m=audio 5000 RTP/AVP 0\r\nthis is not sdp\r\n");
    assert_eq!(malformed_line(SessionDescription::parse(&text)), 7);
    assert_eq!(
        malformed_line(SessionDescription::parse("v=0\r\nX=1\r\n")),
        2
    );
}

#[test]
fn sdp_must_start_with_version_zero() {
    assert_eq!(
        malformed_line(SessionDescription::parse("o=- 1 1 IN IP4 1.2.3.4\r\n")),
        1
    );
    assert_eq!(malformed_line(SessionDescription::parse("v=1\r\n")), 1);
    assert_eq!(SessionDescription::parse(""), Err(SdpError::Missing("v=")));
    assert_eq!(
        SessionDescription::parse("v=0\r\n"),
        Err(SdpError::Missing("o="))
    );
}

#[test]
fn malformed_structural_lines_are_errors_not_guesses() {
    let cases = [
        "o=- 1 IN IP4 192.0.2.1",
        "o=- one 1 IN IP4 192.0.2.1",
        "c=IN IP4",
        "c=ATM NSAP 47.0005",
        "c=IN IP4 pbx.example.com",
        "c=IN IP4 2001:db8::1",
        "c=IN IP6 192.0.2.1",
        "m=audio",
        "m=audio 70000 RTP/AVP 0",
        "m=audio 5000 RTP/AVP",
        "m=audio 5000 RTP/AVP 128",
        "m=audio 5000 RTP/AVP PCMU",
    ];
    for case in cases {
        // A broken origin is line 2; anything else follows a good origin, on line 3.
        let (text, line) = if case.starts_with("o=") {
            (format!("v=0\r\n{case}\r\n"), 2)
        } else {
            (format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n{case}\r\n"), 3)
        };
        assert_eq!(
            malformed_line(SessionDescription::parse(&text)),
            line,
            "{case}"
        );
    }
}

#[test]
fn malformed_attributes_we_act_on_are_errors() {
    let cases = [
        "a=rtpmap:0",
        "a=rtpmap:0 PCMU",
        "a=rtpmap:0 PCMU/0",
        "a=rtpmap:200 PCMU/8000",
        "a=rtpmap:0 PCMU/8000/0",
        "a=rtpmap:0 PCMU/8000/1/9",
        "a=ptime:twenty",
        "a=rtcp:0",
        "a=rtcp:5001 IN IP4 nowhere",
        "a=:value",
    ];
    for case in cases {
        let text = format!("{MINIMAL}m=audio 5000 RTP/AVP 0\r\n{case}\r\n");
        assert_eq!(
            malformed_line(SessionDescription::parse(&text)),
            7,
            "{case}"
        );
    }
}

#[test]
fn an_error_quotes_at_most_eighty_characters_of_the_line() {
    let long = format!("{MINIMAL}{}\r\n", "z".repeat(500));
    match SessionDescription::parse(&long) {
        Err(SdpError::Malformed { text, .. }) => assert_eq!(text.chars().count(), 80),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncating_a_valid_offer_anywhere_never_panics() {
    for sample in [ASTERISK, FREESWITCH, BARESIP_IPV6, CARRIER_SBC] {
        for end in 0..sample.len() {
            let _ = SessionDescription::parse_bytes(&sample.as_bytes()[..end]);
        }
    }
}

#[test]
fn multibyte_characters_in_the_line_type_position_are_rejected_without_panic() {
    assert_eq!(
        malformed_line(SessionDescription::parse("v=0\r\n\u{e9}=x\r\n")),
        2
    );
    assert_eq!(
        malformed_line(SessionDescription::parse("v=0\r\na\u{e9}x\r\n")),
        2
    );
}
