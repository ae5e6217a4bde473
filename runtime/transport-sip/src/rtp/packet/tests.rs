use super::*;

/// A 20 ms PCMU packet as a phone sends it: marker set, PT 0, seq 0x1234, ts 0xDEADBEEF.
fn plain_packet() -> Vec<u8> {
    let mut packet = vec![
        0x80, 0x80, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04,
    ];
    packet.extend_from_slice(&[0xFF; 160]);
    packet
}

#[test]
fn a_plain_packet_reads_into_its_fields_and_payload() {
    let packet = plain_packet();
    let (header, payload) = RtpHeader::parse(&packet).unwrap();
    assert!(header.marker);
    assert_eq!(header.payload_type, 0);
    assert_eq!(header.sequence, 0x1234);
    assert_eq!(header.timestamp, 0xDEAD_BEEF);
    assert_eq!(header.ssrc, 0x0102_0304);
    assert!(header.csrcs.is_empty() && header.extension.is_none());
    assert_eq!(header.padding, 0);
    assert_eq!(payload.len(), 160);
}

#[test]
fn a_header_written_then_read_is_unchanged() {
    let header = RtpHeader {
        marker: true,
        payload_type: 101,
        sequence: 65_535,
        timestamp: 7,
        ssrc: 0xCAFE_F00D,
        csrcs: vec![1, 2, 3],
        extension: Some(RtpExtension {
            profile: 0xBEDE,
            data: vec![0x10, 0xAA, 0, 0],
        }),
        padding: 4,
    };
    let mut out = Vec::new();
    header.write(b"abcd", &mut out).unwrap();
    assert_eq!(out.len(), 12 + 12 + 8 + 4 + 4);
    let (read, payload) = RtpHeader::parse(&out).unwrap();
    assert_eq!(read, header);
    assert_eq!(payload, b"abcd");
}

#[test]
fn padding_is_stripped_from_the_payload() {
    let mut packet = plain_packet();
    packet[0] |= 0x20;
    packet.extend_from_slice(&[0, 0, 3]);
    let (header, payload) = RtpHeader::parse(&packet).unwrap();
    assert_eq!(header.padding, 3);
    assert_eq!(payload.len(), 160);
}

#[test]
fn a_version_other_than_two_is_refused() {
    let mut packet = plain_packet();
    packet[0] = 0x40;
    assert_eq!(RtpHeader::parse(&packet), Err(RtpError::Version(1)));
    // A STUN binding request starts with two zero bits.
    assert_eq!(RtpHeader::parse(&[0x00; 20]), Err(RtpError::Version(0)));
}

#[test]
fn a_datagram_shorter_than_the_fixed_header_is_truncated() {
    assert!(matches!(
        RtpHeader::parse(&plain_packet()[..11]),
        Err(RtpError::Truncated {
            what: "RTP header",
            needed: 12,
            available: 11
        })
    ));
}

#[test]
fn a_csrc_count_beyond_the_datagram_is_truncated() {
    let mut packet = plain_packet()[..12].to_vec();
    packet[0] |= 0x02;
    packet.extend_from_slice(&[0; 4]);
    assert!(matches!(
        RtpHeader::parse(&packet),
        Err(RtpError::Truncated {
            what: "CSRC list",
            needed: 20,
            ..
        })
    ));
}

#[test]
fn an_extension_longer_than_the_datagram_is_truncated() {
    let mut packet = plain_packet()[..12].to_vec();
    packet[0] |= 0x10;
    packet.extend_from_slice(&[0xBE, 0xDE]);
    assert!(matches!(
        RtpHeader::parse(&packet),
        Err(RtpError::Truncated {
            what: "header extension",
            needed: 16,
            ..
        })
    ));
    packet.extend_from_slice(&[0x00, 0x02, 1, 2, 3, 4]);
    assert!(matches!(
        RtpHeader::parse(&packet),
        Err(RtpError::Truncated {
            what: "header extension",
            needed: 24,
            ..
        })
    ));
}

#[test]
fn padding_longer_than_the_payload_or_zero_is_refused() {
    let mut packet = plain_packet()[..12].to_vec();
    packet[0] |= 0x20;
    packet.extend_from_slice(&[0, 9]);
    assert_eq!(
        RtpHeader::parse(&packet),
        Err(RtpError::Padding {
            padding: 9,
            available: 2
        })
    );
    let last = packet.len() - 1;
    packet[last] = 0;
    assert!(matches!(
        RtpHeader::parse(&packet),
        Err(RtpError::Padding { padding: 0, .. })
    ));
    let header_only = &packet[..12];
    assert!(matches!(
        RtpHeader::parse(header_only),
        Err(RtpError::Padding { .. })
    ));
}

#[test]
fn every_prefix_of_a_full_packet_parses_or_errs_without_panic() {
    let header = RtpHeader {
        csrcs: vec![9; 15],
        extension: Some(RtpExtension {
            profile: 1,
            data: vec![7; 8],
        }),
        padding: 2,
        ..RtpHeader::new(8, 1, 2, 3)
    };
    let mut packet = Vec::new();
    header.write(&[1; 10], &mut packet).unwrap();
    for end in 0..packet.len() {
        let _ = RtpHeader::parse(&packet[..end]);
    }
    assert!(RtpHeader::parse(&packet).is_ok());
}

#[test]
fn headers_that_do_not_fit_their_bits_are_not_written() {
    let mut out = Vec::new();
    let big_pt = RtpHeader::new(128, 0, 0, 0);
    assert!(matches!(
        big_pt.write(&[], &mut out),
        Err(RtpError::Unwritable(_))
    ));
    let many = RtpHeader {
        csrcs: vec![0; 16],
        ..RtpHeader::new(0, 0, 0, 0)
    };
    assert!(matches!(
        many.write(&[], &mut out),
        Err(RtpError::Unwritable(_))
    ));
    let ragged = RtpHeader {
        extension: Some(RtpExtension {
            profile: 0,
            data: vec![0; 3],
        }),
        ..RtpHeader::new(0, 0, 0, 0)
    };
    assert!(matches!(
        ragged.write(&[], &mut out),
        Err(RtpError::Unwritable(_))
    ));
    assert!(out.is_empty());
}

#[test]
fn the_sender_marks_the_first_packet_and_steps_by_one_frame() {
    let mut sender = RtpSender::new(0xAABB_CCDD, 8, 100, 1000);
    let mut out = Vec::new();
    let first = sender.audio(&[0xD5; 160], &mut out);
    let second = sender.audio(&[0xD5; 160], &mut Vec::new());
    assert!(first.marker && !second.marker);
    assert_eq!((first.sequence, second.sequence), (100, 101));
    assert_eq!((first.timestamp, second.timestamp), (1000, 1160));
    assert_eq!(first.payload_type, 8);
    let (parsed, payload) = RtpHeader::parse(&out).unwrap();
    assert_eq!(parsed, first);
    assert_eq!(payload, &[0xD5; 160]);
}

#[test]
fn the_sender_wraps_sequence_and_timestamp() {
    let mut sender = RtpSender::new(1, 0, u16::MAX, u32::MAX - 100);
    sender.audio(&[0; 160], &mut Vec::new());
    assert_eq!(sender.next_sequence(), 0);
    assert_eq!(sender.next_timestamp(), 59);
}

#[test]
fn after_silence_or_a_clear_the_next_packet_starts_a_talkspurt() {
    let mut sender = RtpSender::new(1, 0, 0, 0);
    sender.audio(&[0; 160], &mut Vec::new());
    sender.skip(3 * 160);
    let after_skip = sender.audio(&[0; 160], &mut Vec::new());
    assert!(after_skip.marker);
    assert_eq!(after_skip.timestamp, 4 * 160);
    assert_eq!(after_skip.sequence, 1);
    sender.mark_talkspurt();
    assert!(sender.audio(&[0; 160], &mut Vec::new()).marker);
    assert!(!sender.audio(&[0; 160], &mut Vec::new()).marker);
}

#[test]
fn reserving_for_other_packets_moves_sequence_and_time_on() {
    let mut sender = RtpSender::new(1, 0, 10, 1600);
    assert_eq!(sender.reserve(7, 7), (10, 1600));
    let next = sender.audio(&[0; 160], &mut Vec::new());
    assert_eq!((next.sequence, next.timestamp), (17, 1600 + 7 * 160));
    assert!(next.marker);
}
