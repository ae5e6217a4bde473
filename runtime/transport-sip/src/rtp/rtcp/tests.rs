use super::*;

/// An RR from SSRC 0x11111111 with one block about 0x22222222, as a PBX sends it.
fn receiver_report() -> Vec<u8> {
    let mut packet = vec![0x81, RR, 0x00, 0x07];
    packet.extend_from_slice(&0x1111_1111u32.to_be_bytes());
    packet.extend_from_slice(&0x2222_2222u32.to_be_bytes());
    // 25/256 lost lately, -3 in all (duplicates), highest 0x0001_0005, jitter 40.
    packet.extend_from_slice(&[25, 0xFF, 0xFF, 0xFD]);
    packet.extend_from_slice(&0x0001_0005u32.to_be_bytes());
    packet.extend_from_slice(&40u32.to_be_bytes());
    packet.extend_from_slice(&0xAABB_CCDDu32.to_be_bytes());
    packet.extend_from_slice(&65_536u32.to_be_bytes());
    packet
}

/// An SDES chunk with CNAME "pbx" for 0x11111111.
fn sdes() -> Vec<u8> {
    let mut packet = vec![0x81, SDES, 0x00, 0x02];
    packet.extend_from_slice(&0x1111_1111u32.to_be_bytes());
    packet.extend_from_slice(&[1, 3, b'p', b'b', b'x', 0]);
    packet.resize(12, 0);
    packet
}

fn bye() -> Vec<u8> {
    let mut packet = vec![0x81, BYE, 0x00, 0x01];
    packet.extend_from_slice(&0x1111_1111u32.to_be_bytes());
    packet
}

#[test]
fn a_receiver_report_yields_its_sender_and_block() {
    let report = parse(&[receiver_report(), sdes()].concat()).unwrap();
    assert_eq!(report.sender_ssrc, 0x1111_1111);
    assert_eq!(report.sender_info, None);
    assert!(!report.bye);
    assert_eq!(
        report.blocks,
        [ReportBlock {
            ssrc: 0x2222_2222,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_sequence: 0x0001_0005,
            jitter: 40,
            last_sr: 0xAABB_CCDD,
            delay_since_last_sr: 65_536,
        }]
    );
}

#[test]
fn a_bye_in_a_compound_packet_is_detected() {
    let report = parse(&[receiver_report(), sdes(), bye()].concat()).unwrap();
    assert!(report.bye);
    assert_eq!(report.sender_ssrc, 0x1111_1111);
}

#[test]
fn a_lone_bye_is_accepted_as_rfc_5506_allows() {
    let report = parse(&bye()).unwrap();
    assert!(report.bye);
    assert_eq!(report.sender_ssrc, 0x1111_1111);
}

#[test]
fn a_compound_without_sr_rr_or_bye_is_not_a_sign_of_life() {
    assert_eq!(
        parse(&sdes()),
        Err(RtpError::Rtcp("no sender report, receiver report or BYE"))
    );
    assert!(!is_rtcp(&sdes()));
    assert!(!is_rtcp(&[]));
}

#[test]
fn lengths_that_do_not_add_up_are_refused() {
    let mut long = receiver_report();
    long[3] = 0x08;
    assert!(matches!(
        parse(&long),
        Err(RtpError::Truncated {
            what: "RTCP packet",
            ..
        })
    ));
    let trailing = [receiver_report(), vec![0x81, SDES]].concat();
    assert!(matches!(
        parse(&trailing),
        Err(RtpError::Truncated {
            what: "RTCP header",
            ..
        })
    ));
    let mut too_many_blocks = receiver_report();
    too_many_blocks[0] = 0x82;
    assert!(matches!(
        parse(&too_many_blocks),
        Err(RtpError::Truncated {
            what: "RTCP report",
            ..
        })
    ));
}

#[test]
fn a_wrong_version_or_packet_type_is_refused() {
    let mut old = receiver_report();
    old[0] = 0x41;
    assert_eq!(parse(&old), Err(RtpError::Version(1)));
    let mut rtp_like = receiver_report();
    rtp_like[1] = 0x08;
    assert!(matches!(parse(&rtp_like), Err(RtpError::Rtcp(_))));
}

#[test]
fn padding_is_only_allowed_on_the_last_packet() {
    let mut padded_first = receiver_report();
    padded_first[0] |= 0x20;
    assert!(matches!(
        parse(&[padded_first, sdes()].concat()),
        Err(RtpError::Rtcp("padding on a packet that is not the last"))
    ));
    let mut padded_last = bye();
    padded_last[0] |= 0x20;
    padded_last[3] = 0x02;
    padded_last.extend_from_slice(&[0, 0, 0, 4]);
    assert!(parse(&[receiver_report(), padded_last].concat()).is_ok());
}

#[test]
fn a_bye_whose_ssrc_list_overruns_it_is_refused() {
    let mut short = bye();
    short[0] = 0x82;
    assert!(matches!(parse(&short), Err(RtpError::Rtcp(_))));
}

#[test]
fn every_prefix_of_a_compound_packet_parses_or_errs_without_panic() {
    let compound = [receiver_report(), sdes(), bye()].concat();
    for end in 0..compound.len() {
        let _ = parse(&compound[..end]);
    }
    for byte in 0..=255u8 {
        let mut mangled = compound.clone();
        mangled[0] = byte;
        mangled[3] = byte;
        let _ = parse(&mangled);
    }
}

#[test]
fn rtp_and_rtcp_on_one_port_are_told_apart_by_the_second_byte() {
    let mut pcmu = vec![0x80, 0x00];
    pcmu.resize(172, 0);
    assert_eq!(classify(&pcmu), Datagram::Rtp);
    pcmu[1] = 0x80 | 101;
    assert_eq!(classify(&pcmu), Datagram::Rtp);
    assert_eq!(classify(&receiver_report()), Datagram::Rtcp);
    // An SR's type byte is what an RTP packet with marker and payload type 72 would be.
    assert_eq!(classify(&[0x80, 0x80 | 72, 0, 0]), Datagram::Rtcp);
    assert_eq!(classify(&[0x80, 0x80 | 96, 0, 0]), Datagram::Rtp);
}

#[test]
fn stun_dtls_and_runts_are_neither_rtp_nor_rtcp() {
    assert_eq!(classify(&[0x00, 0x01, 0x00, 0x00]), Datagram::Other);
    assert_eq!(classify(&[22, 0xFE, 0xFD]), Datagram::Other);
    assert_eq!(classify(&[0x80]), Datagram::Other);
    assert_eq!(classify(&[]), Datagram::Other);
}
