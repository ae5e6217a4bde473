use super::*;
use crate::rtp::rtcp::parse;

const OURS: u32 = 0x0A0B_0C0D;
const THEIRS: u32 = 0x1111_1111;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at(now_ms: u64) -> ReportTime {
    ReportTime {
        now: ms(now_ms),
        // 2024-01-01T00:00:00.5Z
        wallclock: Duration::new(1_704_067_200, 500_000_000),
    }
}

fn theirs(sequence: u16) -> RtpHeader {
    RtpHeader::new(8, sequence, u32::from(sequence) * 160, THEIRS)
}

/// Receives `sequences`, each arriving on time for a 20 ms stream.
fn receive(stats: &mut RtcpStats, sequences: impl IntoIterator<Item = u16>) {
    for sequence in sequences {
        stats.received(&theirs(sequence), ms(u64::from(sequence) * 20));
    }
}

fn report(stats: &mut RtcpStats, now_ms: u64) -> (Vec<u8>, RtcpReport) {
    let mut out = Vec::new();
    stats.report(at(now_ms), &mut out);
    let parsed = parse(&out).unwrap();
    (out, parsed)
}

#[test]
fn before_any_traffic_the_report_is_an_empty_rr_and_our_cname() {
    let mut stats = RtcpStats::new(OURS);
    let (bytes, parsed) = report(&mut stats, 0);
    assert_eq!(&bytes[..8], &[0x80, RR, 0, 1, 0x0A, 0x0B, 0x0C, 0x0D]);
    // SDES: header, SSRC, type 1, length 15, "huashu-0a0b0c0d", one zero octet, pad.
    assert_eq!(&bytes[8..12], &[0x81, SDES, 0, 6]);
    assert_eq!(&bytes[16..18], &[1, 15]);
    assert_eq!(&bytes[18..33], b"huashu-0a0b0c0d");
    assert_eq!(bytes.len(), 36);
    assert_eq!(parsed.sender_ssrc, OURS);
    assert!(parsed.sender_info.is_none() && parsed.blocks.is_empty());
}

#[test]
fn after_sending_the_report_is_an_sr_with_counts_and_times_then_rr_again() {
    let mut stats = RtcpStats::new(OURS);
    for n in 0..50u32 {
        let header = RtpHeader::new(8, n as u16, 8000 + n * 160, OURS);
        stats.sent(&header, 160, ms(u64::from(n) * 20));
    }
    let (bytes, parsed) = report(&mut stats, 1000);
    assert_eq!(bytes[1], SR);
    let info = parsed.sender_info.unwrap();
    assert_eq!((info.packets, info.octets), (50, 8000));
    // 1 s after the first packet: its timestamp plus 8000.
    assert_eq!(info.rtp_timestamp, 8000 + 8000);
    assert_eq!(info.ntp >> 32, 1_704_067_200 + 2_208_988_800);
    assert_eq!(info.ntp & 0xFFFF_FFFF, 0x8000_0000);
    let (bytes, _) = report(&mut stats, 6000);
    assert_eq!(bytes[1], RR);
}

#[test]
fn a_clean_stream_reports_no_loss_and_no_jitter() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, 100..150);
    let (_, parsed) = report(&mut stats, 1000);
    let block = parsed.blocks[0];
    assert_eq!(block.ssrc, THEIRS);
    assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 0));
    assert_eq!(block.highest_sequence, 149);
    assert_eq!(block.jitter, 0);
    assert_eq!(stats.packets_received(), 50);
}

#[test]
fn losses_show_as_a_fraction_of_the_interval_and_a_running_total() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, (0..100).filter(|s| s % 10 != 5));
    let (_, first) = report(&mut stats, 2000);
    // 10 of 100 lost (the last one, 95, is within range): 25.6/256, truncated.
    assert_eq!(first.blocks[0].cumulative_lost, 10);
    assert_eq!(first.blocks[0].fraction_lost, 25);
    receive(&mut stats, 100..150);
    let (_, second) = report(&mut stats, 3000);
    assert_eq!(second.blocks[0].cumulative_lost, 10);
    assert_eq!(second.blocks[0].fraction_lost, 0);
}

#[test]
fn duplicates_make_the_cumulative_loss_negative_not_wrap() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, [1, 2, 2, 3, 3]);
    let (_, parsed) = report(&mut stats, 100);
    assert_eq!(parsed.blocks[0].cumulative_lost, -2);
    assert_eq!(parsed.blocks[0].fraction_lost, 0);
}

#[test]
fn the_highest_sequence_counts_wraps() {
    let mut stats = RtcpStats::new(OURS);
    for (i, sequence) in [65_534u16, 65_535, 0, 1].into_iter().enumerate() {
        stats.received(&theirs(sequence), ms(i as u64 * 20));
    }
    let (_, parsed) = report(&mut stats, 100);
    assert_eq!(parsed.blocks[0].highest_sequence, 0x0001_0001);
    assert_eq!(parsed.blocks[0].cumulative_lost, 0);
}

#[test]
fn a_numbering_restart_is_accepted_after_two_consecutive_packets() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, 0..10);
    stats.received(&theirs(40_000), ms(220));
    assert_eq!(stats.packets_received(), 10);
    stats.received(&theirs(40_001), ms(240));
    assert_eq!(stats.packets_received(), 1);
    let (_, parsed) = report(&mut stats, 300);
    assert_eq!(parsed.blocks[0].highest_sequence, 40_001);
}

#[test]
fn uneven_arrivals_raise_the_jitter_estimate_towards_their_spread() {
    let mut stats = RtcpStats::new(OURS);
    for sequence in 0..400u16 {
        // Every other packet 10 ms late: transit alternates by 80 samples.
        let late = if sequence % 2 == 1 { 10 } else { 0 };
        stats.received(&theirs(sequence), ms(u64::from(sequence) * 20 + late));
    }
    let jitter = stats.jitter();
    assert!((75..=80).contains(&jitter), "jitter {jitter}");
}

#[test]
fn a_peer_sr_is_echoed_with_the_delay_since_it_arrived() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, 0..5);
    let peer = RtcpReport {
        sender_ssrc: THEIRS,
        sender_info: Some(super::super::SenderInfo {
            ntp: 0x1234_5678_9ABC_DEF0,
            rtp_timestamp: 0,
            packets: 5,
            octets: 800,
        }),
        blocks: Vec::new(),
        bye: false,
    };
    stats.peer_report(&peer, ms(1000));
    let (_, parsed) = report(&mut stats, 2500);
    assert_eq!(parsed.blocks[0].last_sr, 0x5678_9ABC);
    assert_eq!(parsed.blocks[0].delay_since_last_sr, 98_304);
}

#[test]
fn a_report_from_another_ssrc_is_not_echoed() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, 0..5);
    let stranger = RtcpReport {
        sender_ssrc: THEIRS + 1,
        sender_info: Some(super::super::SenderInfo {
            ntp: 1 << 40,
            rtp_timestamp: 0,
            packets: 0,
            octets: 0,
        }),
        blocks: Vec::new(),
        bye: false,
    };
    stats.peer_report(&stranger, ms(1000));
    let (_, parsed) = report(&mut stats, 2000);
    assert_eq!(parsed.blocks[0].last_sr, 0);
}

#[test]
fn a_new_peer_ssrc_starts_the_counts_over() {
    let mut stats = RtcpStats::new(OURS);
    receive(&mut stats, 0..20);
    stats.received(&RtpHeader::new(8, 500, 0, THEIRS + 1), ms(500));
    assert_eq!(stats.packets_received(), 1);
    let (_, parsed) = report(&mut stats, 600);
    assert_eq!(parsed.blocks[0].ssrc, THEIRS + 1);
}

#[test]
fn leaving_appends_a_bye_after_the_report() {
    let mut stats = RtcpStats::new(OURS);
    let mut out = Vec::new();
    stats.bye(at(0), &mut out);
    let parsed = parse(&out).unwrap();
    assert!(parsed.bye);
    assert_eq!(parsed.sender_ssrc, OURS);
    assert_eq!(
        &out[out.len() - 8..],
        &[0x81, BYE, 0, 1, 0x0A, 0x0B, 0x0C, 0x0D]
    );
}

#[test]
fn a_long_cname_is_cut_to_255_bytes_on_a_character_boundary() {
    let mut stats = RtcpStats::new(OURS).with_cname(&"话".repeat(100));
    let (bytes, _) = report(&mut stats, 0);
    // 85 three-byte characters fit in 255 bytes.
    assert_eq!(bytes[17], 255);
    assert_eq!(bytes.len() % 4, 0);
}
