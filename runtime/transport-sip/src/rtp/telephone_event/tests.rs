use super::*;

const SSRC: u32 = 0x5150_5150;

fn header(sequence: u16, timestamp: u32) -> RtpHeader {
    RtpHeader::new(101, sequence, timestamp, SSRC)
}

fn event(key: char, end: bool, duration: u16) -> [u8; 4] {
    let event = DtmfKey::from_char(key).unwrap().event();
    TelephoneEvent {
        event,
        end,
        volume: 10,
        duration,
    }
    .to_bytes()
}

/// The packets of one press as a phone sends them: updates every 160 samples, then the
/// end three times. Returns (sequence, timestamp, payload) for each.
fn press(key: char, first_sequence: u16, timestamp: u32, updates: u16) -> Vec<(u16, u32, [u8; 4])> {
    let mut packets = Vec::new();
    for n in 1..=updates {
        packets.push((event(key, false, n * 160), timestamp));
    }
    for _ in 0..3 {
        packets.push((event(key, true, (updates + 1) * 160), timestamp));
    }
    packets
        .into_iter()
        .enumerate()
        .map(|(i, (payload, ts))| (first_sequence.wrapping_add(i as u16), ts, payload))
        .collect()
}

fn receive(receiver: &mut DtmfReceiver, packets: &[(u16, u32, [u8; 4])]) -> String {
    packets
        .iter()
        .filter_map(|(seq, ts, payload)| receiver.push(&header(*seq, *ts), payload))
        .filter_map(DtmfKey::digit)
        .collect()
}

#[test]
fn events_zero_to_fifteen_are_the_sixteen_keys_and_sixteen_is_flash() {
    let keys: String = (0..16)
        .map(|e| DtmfKey::from_event(e).unwrap().digit().unwrap())
        .collect();
    assert_eq!(keys, "0123456789*#ABCD");
    assert_eq!(DtmfKey::from_event(16), Some(DtmfKey::FLASH));
    assert_eq!(DtmfKey::FLASH.digit(), None);
    assert_eq!(DtmfKey::from_event(17), None);
}

#[test]
fn keys_are_read_from_characters_in_either_case() {
    assert_eq!(DtmfKey::from_char('#').unwrap().event(), 11);
    assert_eq!(DtmfKey::from_char('d').unwrap().event(), 15);
    assert_eq!(DtmfKey::from_char('x'), Err(RtpError::NotAKey('x')));
    assert!(DtmfKey::from_char('w').is_err());
}

#[test]
fn an_event_payload_round_trips_and_ignores_the_reserved_bit() {
    let original = TelephoneEvent {
        event: 11,
        end: true,
        volume: 63,
        duration: 0xABCD,
    };
    assert_eq!(original.to_bytes(), [11, 0xBF, 0xAB, 0xCD]);
    assert_eq!(TelephoneEvent::parse(&original.to_bytes()), Ok(original));
    assert_eq!(TelephoneEvent::parse(&[11, 0xFF, 0xAB, 0xCD]), Ok(original));
}

#[test]
fn a_payload_shorter_than_one_event_is_an_error() {
    assert!(matches!(
        TelephoneEvent::parse(&[1, 2, 3]),
        Err(RtpError::Truncated {
            needed: 4,
            available: 3,
            ..
        })
    ));
}

#[test]
fn a_press_with_updates_and_three_ends_is_reported_once_on_its_first_packet() {
    let mut receiver = DtmfReceiver::new();
    let packets = press('5', 1, 8000, 4);
    let first = receiver.push(&header(packets[0].0, packets[0].1), &packets[0].2);
    assert_eq!(first.and_then(DtmfKey::digit), Some('5'));
    assert_eq!(receive(&mut receiver, &packets[1..]), "");
}

#[test]
fn consecutive_presses_of_the_same_key_are_two_keys() {
    let mut receiver = DtmfReceiver::new();
    let mut packets = press('1', 1, 8000, 3);
    packets.extend(press('1', 7, 8000 + 1600, 3));
    assert_eq!(receive(&mut receiver, &packets), "11");
}

#[test]
fn a_sequence_of_keys_with_duplicated_packets_is_reported_in_order_once_each() {
    let mut receiver = DtmfReceiver::new();
    let mut packets = Vec::new();
    for (i, key) in "*12#".chars().enumerate() {
        let one = press(key, 10 * i as u16, 1000 + 2000 * i as u32, 5);
        for packet in one {
            packets.push(packet);
            packets.push(packet);
        }
    }
    assert_eq!(receive(&mut receiver, &packets), "*12#");
}

#[test]
fn a_press_whose_start_was_lost_is_reported_on_a_later_update() {
    let mut receiver = DtmfReceiver::new();
    let packets = press('9', 1, 8000, 4);
    assert_eq!(receive(&mut receiver, &packets[2..]), "9");
}

#[test]
fn a_press_of_which_only_an_end_packet_arrived_is_still_reported() {
    let mut receiver = DtmfReceiver::new();
    let packets = press('0', 1, 8000, 4);
    assert_eq!(receive(&mut receiver, &packets[5..]), "0");
}

#[test]
fn a_straggler_from_an_earlier_press_is_not_reported_again() {
    let mut receiver = DtmfReceiver::new();
    let first = press('3', 1, 8000, 2);
    let second = press('4', 6, 9600, 2);
    let mut arrival = vec![first[0], second[0], first[4], second[1]];
    arrival.extend_from_slice(&first[1..3]);
    assert_eq!(receive(&mut receiver, &arrival), "34");
}

#[test]
fn timestamps_wrapping_past_u32_max_still_order_presses() {
    let mut receiver = DtmfReceiver::new();
    let mut packets = press('7', 1, u32::MAX - 100, 2);
    packets.extend(press('8', 6, 1500, 2));
    packets.push(press('7', 0, u32::MAX - 100, 1)[0]);
    assert_eq!(receive(&mut receiver, &packets), "78");
}

#[test]
fn a_new_ssrc_starts_afresh_even_with_an_older_timestamp() {
    let mut receiver = DtmfReceiver::new();
    assert!(
        receiver
            .push(&header(1, 50_000), &event('2', false, 160))
            .is_some()
    );
    let other = RtpHeader::new(101, 900, 10, SSRC + 1);
    assert!(receiver.push(&other, &event('2', false, 160)).is_some());
}

#[test]
fn a_long_press_split_into_segments_is_one_key() {
    let mut receiver = DtmfReceiver::new();
    assert!(
        receiver
            .push(&header(1, 0), &event('#', false, 160))
            .is_some()
    );
    assert!(
        receiver
            .push(&header(2, 0), &event('#', false, 65_535))
            .is_none()
    );
    assert!(
        receiver
            .push(&header(3, 65_535), &event('#', false, 160))
            .is_none()
    );
    assert!(
        receiver
            .push(&header(4, 65_535), &event('#', true, 800))
            .is_none()
    );
}

#[test]
fn malformed_payloads_and_non_key_events_are_ignored() {
    let mut receiver = DtmfReceiver::new();
    assert_eq!(receiver.push(&header(1, 0), &[1, 2]), None);
    let tone = TelephoneEvent {
        event: 70,
        end: false,
        volume: 0,
        duration: 160,
    };
    assert_eq!(receiver.push(&header(2, 160), &tone.to_bytes()), None);
    assert!(
        receiver
            .push(&header(3, 320), &event('6', false, 160))
            .is_some()
    );
}

#[test]
fn a_hundred_ms_press_is_four_updates_then_three_ends_with_one_timestamp() {
    let key = DtmfKey::from_char('5').unwrap();
    let packets: Vec<_> = DtmfSender::new(key, 101, SSRC, 65_534, 4242, 100)
        .unwrap()
        .collect();
    let durations: Vec<u16> = packets.iter().map(|(_, e)| e.duration).collect();
    assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
    let ends: Vec<bool> = packets.iter().map(|(_, e)| e.end).collect();
    assert_eq!(ends, [false, false, false, false, true, true, true]);
    let sequences: Vec<u16> = packets.iter().map(|(h, _)| h.sequence).collect();
    assert_eq!(sequences, [65_534, 65_535, 0, 1, 2, 3, 4]);
    assert!(
        packets
            .iter()
            .all(|(h, e)| h.timestamp == 4242 && e.event == 5)
    );
    let markers: Vec<bool> = packets.iter().map(|(h, _)| h.marker).collect();
    assert_eq!(markers, [true, false, false, false, false, false, false]);
}

#[test]
fn tone_lengths_round_up_to_whole_packets_and_silly_ones_are_refused() {
    let key = DtmfKey::from_char('1').unwrap();
    let tone = DtmfSender::new(key, 101, 1, 0, 0, 50).unwrap();
    assert_eq!(tone.packet_count(), 5);
    assert_eq!(tone.last().map(|(_, e)| e.duration), Some(480));
    assert_eq!(
        DtmfSender::new(key, 101, 1, 0, 0, 20),
        Err(RtpError::ToneLength(20))
    );
    assert_eq!(
        DtmfSender::new(key, 101, 1, 0, 0, 9_000),
        Err(RtpError::ToneLength(9_000))
    );
    let longest = DtmfSender::new(key, 101, 1, 0, 0, 8_000).unwrap();
    assert_eq!(longest.last().map(|(_, e)| e.duration), Some(64_000));
}

#[test]
fn what_the_sender_writes_the_receiver_reports_once() {
    let mut sender = RtpSender::new(SSRC, 0, 500, 16_000);
    let mut receiver = DtmfReceiver::new();
    let mut heard = String::new();
    for key in ['1', '2', '2', 'A'] {
        for packet in DtmfSender::packets(key, 101, &mut sender).unwrap() {
            let (header, payload) = RtpHeader::parse(&packet).unwrap();
            assert_eq!(header.payload_type, 101);
            if let Some(digit) = receiver.push(&header, payload).and_then(DtmfKey::digit) {
                heard.push(digit);
            }
        }
    }
    assert_eq!(heard, "122A");
    // Four presses of seven packets each, seven frames of time each.
    assert_eq!(sender.next_sequence(), 500 + 28);
    assert_eq!(sender.next_timestamp(), 16_000 + 28 * 160);
    assert!(sender.audio(&[0; 160], &mut Vec::new()).marker);
}

#[test]
fn sending_a_character_that_is_not_a_key_takes_nothing_from_the_stream() {
    let mut sender = RtpSender::new(SSRC, 0, 500, 16_000);
    assert_eq!(
        DtmfSender::packets('w', 101, &mut sender),
        Err(RtpError::NotAKey('w'))
    );
    assert_eq!(sender.next_sequence(), 500);
}
