use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::*;
use crate::sdp::Offer;
use crate::sdp::samples::*;

const BOTH: &[Codec] = &[Codec::Pcmu, Codec::Pcma];

fn local() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7))
}

fn sdp(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn answer_to(offer: &str, supported: &[Codec]) -> (SessionDescription, Negotiated) {
    let (text, negotiated) = answer(&sdp(offer), local(), 30_000, supported, 77).unwrap();
    (sdp(&text), negotiated)
}

#[test]
fn the_offerers_first_supported_codec_wins_over_our_order() {
    let (_, negotiated) = answer_to(ASTERISK, &[Codec::Pcmu, Codec::Pcma]);
    assert_eq!(negotiated.codec, Codec::Pcma);
    assert_eq!(negotiated.payload_type, 8);
}

#[test]
fn unsupported_codecs_ahead_of_g711_are_skipped() {
    let (answer, negotiated) = answer_to(FREESWITCH, BOTH);
    assert_eq!(negotiated.codec, Codec::Pcmu);
    assert_eq!(answer.media[0].payload_types(), vec![0, 101]);
}

#[test]
fn an_asterisk_offer_is_answered_with_one_codec_telephone_event_and_sendrecv() {
    let (text, negotiated) = answer(&sdp(ASTERISK), local(), 30_000, BOTH, 77).unwrap();
    assert_eq!(
        text,
        "v=0\r\no=huashu 77 1 IN IP4 198.51.100.7\r\ns=huashu\r\n\
         c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
    );
    assert_eq!(
        negotiated,
        Negotiated {
            codec: Codec::Pcma,
            payload_type: 8,
            telephone_event: Some(101),
            remote_rtp: addr("203.0.113.20:17890"),
            remote_rtcp: addr("203.0.113.20:17891"),
            direction: MediaDirection::SendRecv,
            on_hold: false,
            ptime_ms: 20,
        }
    );
}

#[test]
fn a_pcma_only_carrier_offer_keeps_its_telephone_event_type_and_media_address() {
    let (answer, negotiated) = answer_to(CARRIER_SBC, BOTH);
    assert_eq!(negotiated.codec, Codec::Pcma);
    assert_eq!(negotiated.telephone_event, Some(97));
    assert_eq!(negotiated.remote_rtp, addr("100.64.10.9:40132"));
    assert_eq!(answer.media[0].payload_types(), vec![8, 97]);
    assert_eq!(answer.media[0].telephone_event_pt(), Some(97));
}

#[test]
fn an_offer_without_common_codec_is_refused_with_what_was_offered() {
    let err = answer(&sdp(CARRIER_SBC), local(), 30_000, &[Codec::Pcmu], 1).unwrap_err();
    assert_eq!(
        err,
        SdpError::NoCommonCodec {
            offered: "audio port 40132 RTP/AVP PCMA/8000,telephone-event/8000".to_owned(),
            supported: "PCMU".to_owned(),
        }
    );
    assert!(err.to_string().contains("488"));
}

#[test]
fn a_fax_only_offer_has_no_common_codec() {
    let err = answer(&sdp(T38_ONLY), local(), 30_000, BOTH, 1).unwrap_err();
    assert!(
        matches!(err, SdpError::NoCommonCodec { offered, .. } if offered == "image port 6000 udptl t38")
    );
}

#[test]
fn static_payload_types_match_without_rtpmap_and_video_is_declined_with_port_zero() {
    let (answer, negotiated) = answer_to(BARESIP_IPV6, &[Codec::Pcma]);
    assert_eq!(negotiated.codec, Codec::Pcma);
    let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x1234));
    assert_eq!(negotiated.remote_rtp, SocketAddr::new(v6, 10004));
    assert_eq!(negotiated.telephone_event, Some(101));
    assert_eq!(answer.media.len(), 2);
    assert_eq!(answer.media[1].media, "video");
    assert_eq!(answer.media[1].port, 0);
    assert_eq!(answer.media[1].formats, vec!["100".to_owned()]);
}

#[test]
fn dynamic_payload_types_match_g711_by_name_case_insensitively() {
    let offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n\
                 m=audio 5000 RTP/AVP 110 111\r\na=rtpmap:110 pcmu/16000\r\n\
                 a=rtpmap:111 pcmu/8000\r\n";
    let (answer, negotiated) = answer_to(offer, BOTH);
    assert_eq!(
        (negotiated.codec, negotiated.payload_type),
        (Codec::Pcmu, 111)
    );
    assert_eq!(negotiated.telephone_event, None);
    assert_eq!(answer.media[0].payload_types(), vec![111]);
}

#[test]
fn telephone_event_at_another_clock_rate_is_not_kept() {
    let offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n\
                 m=audio 5000 RTP/AVP 0 100\r\na=rtpmap:100 telephone-event/48000\r\n";
    let (_, negotiated) = answer_to(offer, BOTH);
    assert_eq!(negotiated.telephone_event, None);
}

#[test]
fn srtp_and_disabled_audio_are_declined_and_a_later_stream_is_used() {
    let offer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n\
                 m=audio 5000 RTP/SAVP 0\r\nm=audio 0 RTP/AVP 0\r\n\
                 m=audio 6000 RTP/AVP 8\r\nm=audio 7000 RTP/AVP 0\r\n";
    let (answer, negotiated) = answer_to(offer, BOTH);
    let ports: Vec<u16> = answer.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, vec![0, 0, 30_000, 0]);
    assert_eq!(answer.media[0].proto, "RTP/SAVP");
    assert_eq!(negotiated.remote_rtp, addr("192.0.2.1:6000"));
}

#[test]
fn a_sendonly_offer_is_answered_recvonly_and_marks_hold() {
    let (answer, negotiated) = answer_to(HOLD_SENDONLY, BOTH);
    assert_eq!(
        answer.direction_of(&answer.media[0]),
        MediaDirection::RecvOnly
    );
    assert_eq!(negotiated.direction, MediaDirection::RecvOnly);
    assert!(negotiated.on_hold);
}

#[test]
fn an_inactive_offer_is_answered_inactive() {
    let offer = HOLD_SENDONLY.replace("a=sendonly", "a=inactive");
    let (answer, negotiated) = answer_to(&offer, BOTH);
    assert_eq!(
        answer.direction_of(&answer.media[0]),
        MediaDirection::Inactive
    );
    assert_eq!(negotiated.direction, MediaDirection::Inactive);
    assert!(negotiated.on_hold);
}

#[test]
fn a_recvonly_offer_is_answered_sendonly_and_is_not_hold() {
    let offer = HOLD_SENDONLY.replace("a=sendonly", "a=recvonly");
    let (answer, negotiated) = answer_to(&offer, BOTH);
    assert_eq!(
        answer.direction_of(&answer.media[0]),
        MediaDirection::SendOnly
    );
    assert!(!negotiated.on_hold);
}

#[test]
fn a_zero_address_offer_is_hold_and_we_do_not_send() {
    let (answer, negotiated) = answer_to(HOLD_ZERO_ADDRESS, BOTH);
    assert_eq!(
        answer.direction_of(&answer.media[0]),
        MediaDirection::SendRecv
    );
    assert_eq!(negotiated.direction, MediaDirection::RecvOnly);
    assert!(negotiated.on_hold);
}

#[test]
fn the_rtcp_attribute_sets_the_rtcp_address() {
    let (_, negotiated) = answer_to(FREESWITCH, BOTH);
    assert_eq!(negotiated.remote_rtcp, addr("192.0.2.50:24681"));
    let port_only = FREESWITCH.replace("a=rtcp:24681 IN IP4 192.0.2.50", "a=rtcp:30001");
    let (_, negotiated) = answer_to(&port_only, BOTH);
    assert_eq!(negotiated.remote_rtcp, addr("192.0.2.50:30001"));
}

#[test]
fn an_unusual_ptime_is_passed_on_and_a_silly_one_falls_back_to_twenty() {
    let (_, negotiated) = answer_to(&ASTERISK.replace("a=ptime:20", "a=ptime:30"), BOTH);
    assert_eq!(negotiated.ptime_ms, 30);
    let (_, negotiated) = answer_to(&ASTERISK.replace("a=ptime:20", "a=ptime:5000"), BOTH);
    assert_eq!(negotiated.ptime_ms, 20);
}

#[test]
fn an_accepted_section_without_any_connection_address_is_an_error() {
    let offer =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nm=video 0 RTP/AVP 31\r\nm=audio 5000 RTP/AVP 0\r\n";
    let err = answer(&sdp(offer), local(), 30_000, BOTH, 1).unwrap_err();
    assert_eq!(err, SdpError::MissingConnection { index: 1 });
}

#[test]
fn a_reanswer_carries_the_version_it_is_given() {
    let (text, _) = answer_with_version(&sdp(HOLD_SENDONLY), local(), 30_000, BOTH, 77, 4).unwrap();
    assert_eq!(sdp(&text).origin.session_version, "4");
}

#[test]
fn our_offer_answered_by_asterisk_style_peer_yields_the_plan() {
    let answer = "v=0\r\no=- 5 5 IN IP4 203.0.113.20\r\ns=Asterisk\r\nc=IN IP4 203.0.113.20\r\n\
                  t=0 0\r\nm=audio 18000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n\
                  a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";
    let negotiated = negotiated_from_answer(BOTH, &sdp(answer)).unwrap();
    assert_eq!(
        (negotiated.codec, negotiated.payload_type),
        (Codec::Pcma, 8)
    );
    assert_eq!(negotiated.telephone_event, Some(101));
    assert_eq!(negotiated.remote_rtp, addr("203.0.113.20:18000"));
    assert_eq!(negotiated.remote_rtcp, addr("203.0.113.20:18001"));
    assert_eq!(negotiated.direction, MediaDirection::SendRecv);
}

#[test]
fn an_offer_we_render_is_answered_by_our_own_answerer_consistently() {
    let ours = Offer::new(local(), 40_000, &[Codec::Pcmu, Codec::Pcma], 9, 1);
    let offer = sdp(&ours.render().unwrap());
    let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 44));
    let (text, theirs) = answer(&offer, peer, 50_000, &[Codec::Pcma], 3).unwrap();
    let mine = negotiated_from_answer(ours.codecs(), &sdp(&text)).unwrap();
    assert_eq!((theirs.codec, mine.codec), (Codec::Pcma, Codec::Pcma));
    assert_eq!(mine.remote_rtp, addr("192.0.2.44:50000"));
    assert_eq!(theirs.remote_rtp, addr("198.51.100.7:40000"));
    assert_eq!(mine.telephone_event, Some(101));
}

#[test]
fn an_answer_that_declines_our_audio_is_reported_as_declined() {
    let answer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nm=audio 0 RTP/AVP 0\r\n";
    assert_eq!(
        negotiated_from_answer(BOTH, &sdp(answer)),
        Err(SdpError::AudioDeclined)
    );
}

#[test]
fn an_answer_choosing_a_codec_we_did_not_offer_is_an_error() {
    let answer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n\
                  m=audio 5000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    let err = negotiated_from_answer(BOTH, &sdp(answer)).unwrap_err();
    assert_eq!(
        err,
        SdpError::CodecNotOffered {
            payload_type: 18,
            name: "G729/8000".to_owned()
        }
    );
    let pcma = answer.replace(" 18\r\na=rtpmap:18 G729/8000", " 8");
    let err = negotiated_from_answer(&[Codec::Pcmu], &sdp(&pcma)).unwrap_err();
    assert!(matches!(
        err,
        SdpError::CodecNotOffered {
            payload_type: 8,
            ..
        }
    ));
}

#[test]
fn a_sendonly_answer_to_our_offer_means_we_only_receive_and_are_held() {
    let answer = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n\
                  m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";
    let negotiated = negotiated_from_answer(BOTH, &sdp(answer)).unwrap();
    assert_eq!(negotiated.direction, MediaDirection::RecvOnly);
    assert!(negotiated.on_hold);
}

#[test]
fn rtp_port_65535_puts_rtcp_on_the_same_port() {
    let offer =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nm=audio 65535 RTP/AVP 0\r\n";
    let (_, negotiated) = answer_to(offer, BOTH);
    assert_eq!(negotiated.remote_rtcp.port(), 65535);
}
