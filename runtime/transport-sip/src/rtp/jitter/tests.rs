use super::*;

const SSRC: u32 = 7;

fn push(buffer: &mut JitterBuffer, sequence: u16) -> PushOutcome {
    push_from(buffer, SSRC, sequence)
}

fn push_from(buffer: &mut JitterBuffer, ssrc: u32, sequence: u16) -> PushOutcome {
    let header = RtpHeader::new(0, sequence, u32::from(sequence) * 160, ssrc);
    // The payload names its packet, so tests can see which one came out.
    buffer.push(&header, &sequence.to_be_bytes())
}

/// What comes out now, as `Ok(sequence)` for a frame and `Err(sequence)` for a loss.
fn drain(buffer: &mut JitterBuffer) -> Vec<Result<u16, u16>> {
    std::iter::from_fn(|| buffer.pop()).map(outcome).collect()
}

fn outcome(playout: Playout) -> Result<u16, u16> {
    match playout {
        Playout::Frame {
            sequence, payload, ..
        } => {
            assert_eq!(payload, sequence.to_be_bytes());
            Ok(sequence)
        }
        Playout::Lost { sequence } => Err(sequence),
    }
}

/// Pushes each packet and pops after each, as the transport does; returns all released.
fn feed(buffer: &mut JitterBuffer, sequences: &[u16]) -> Vec<Result<u16, u16>> {
    let mut out = Vec::new();
    for &sequence in sequences {
        push(buffer, sequence);
        out.extend(drain(buffer));
    }
    out
}

#[test]
fn the_stream_starts_once_depth_packets_are_held_then_flows_without_delay() {
    let mut buffer = JitterBuffer::new(3);
    assert_eq!(feed(&mut buffer, &[10, 11]), []);
    assert_eq!(feed(&mut buffer, &[12]), [Ok(10), Ok(11), Ok(12)]);
    assert_eq!(feed(&mut buffer, &[13]), [Ok(13)]);
    assert!(buffer.is_empty());
}

#[test]
fn a_reordered_start_comes_out_in_order() {
    let mut buffer = JitterBuffer::new(3);
    assert_eq!(feed(&mut buffer, &[12, 10, 11]), [Ok(10), Ok(11), Ok(12)]);
}

#[test]
fn packets_swapped_within_the_depth_are_put_back_in_order() {
    let mut buffer = JitterBuffer::new(3);
    feed(&mut buffer, &[1, 2, 3]);
    assert_eq!(feed(&mut buffer, &[5, 4, 6]), [Ok(4), Ok(5), Ok(6)]);
    assert_eq!(buffer.stats().lost, 0);
}

#[test]
fn a_missing_packet_is_declared_lost_after_depth_later_ones_arrive() {
    let mut buffer = JitterBuffer::new(3);
    feed(&mut buffer, &[1, 2, 3]);
    assert_eq!(feed(&mut buffer, &[5, 6]), []);
    assert_eq!(feed(&mut buffer, &[7]), [Err(4), Ok(5), Ok(6), Ok(7)]);
    assert_eq!(buffer.stats().lost, 1);
}

#[test]
fn a_packet_arriving_after_it_was_declared_lost_is_late() {
    let mut buffer = JitterBuffer::new(2);
    feed(&mut buffer, &[1, 2, 4, 5]);
    assert_eq!(push(&mut buffer, 3), PushOutcome::Late);
    assert_eq!(push(&mut buffer, 2), PushOutcome::Late);
    assert_eq!(buffer.stats().late, 2);
}

#[test]
fn a_duplicate_of_a_held_packet_is_dropped_and_one_already_played_is_late() {
    let mut buffer = JitterBuffer::new(3);
    assert_eq!(push(&mut buffer, 1), PushOutcome::Queued);
    assert_eq!(push(&mut buffer, 1), PushOutcome::Duplicate);
    assert_eq!(feed(&mut buffer, &[2, 3]), [Ok(1), Ok(2), Ok(3)]);
    assert_eq!(push(&mut buffer, 3), PushOutcome::Late);
    assert_eq!(buffer.stats().duplicates, 1);
}

#[test]
fn sequence_numbers_wrap_from_65535_to_0_in_order() {
    let mut buffer = JitterBuffer::new(2);
    let released = feed(&mut buffer, &[65_533, 65_534, 0, 65_535, 1, 2]);
    assert_eq!(
        released,
        [Ok(65_533), Ok(65_534), Ok(65_535), Ok(0), Ok(1), Ok(2)]
    );
}

#[test]
fn a_loss_across_the_wrap_names_the_missing_sequence_number() {
    let mut buffer = JitterBuffer::new(1);
    let released = feed(&mut buffer, &[65_534, 0, 1]);
    assert_eq!(released, [Ok(65_534), Err(65_535), Ok(0), Ok(1)]);
}

#[test]
fn a_new_ssrc_restarts_the_stream_and_drops_what_was_held() {
    let mut buffer = JitterBuffer::new(2);
    feed(&mut buffer, &[1, 2, 4]);
    assert_eq!(
        push_from(&mut buffer, SSRC + 1, 9000),
        PushOutcome::Restarted
    );
    assert_eq!(buffer.len(), 1);
    push_from(&mut buffer, SSRC + 1, 9001);
    assert_eq!(drain(&mut buffer), [Ok(9000), Ok(9001)]);
    assert_eq!(buffer.stats().restarts, 1);
}

#[test]
fn a_big_jump_confirmed_by_the_next_packet_restarts_the_stream() {
    let mut buffer = JitterBuffer::new(2);
    feed(&mut buffer, &[100, 101, 102]);
    assert_eq!(push(&mut buffer, 30_000), PushOutcome::SuspectJump);
    assert_eq!(push(&mut buffer, 30_001), PushOutcome::Restarted);
    assert_eq!(feed(&mut buffer, &[30_002]), [Ok(30_001), Ok(30_002)]);
}

#[test]
fn a_single_stray_packet_far_away_does_not_disturb_the_stream() {
    let mut buffer = JitterBuffer::new(2);
    feed(&mut buffer, &[100, 101]);
    assert_eq!(push(&mut buffer, 5), PushOutcome::SuspectJump);
    assert_eq!(feed(&mut buffer, &[102, 103]), [Ok(102), Ok(103)]);
    assert_eq!(buffer.stats().restarts, 0);
}

#[test]
fn a_jump_backwards_confirmed_by_the_next_packet_also_restarts() {
    let mut buffer = JitterBuffer::new(1);
    feed(&mut buffer, &[5000, 5001]);
    push(&mut buffer, 10);
    assert_eq!(push(&mut buffer, 11), PushOutcome::Restarted);
    assert_eq!(drain(&mut buffer), [Ok(11)]);
}

#[test]
fn held_packets_never_exceed_the_bound_when_nobody_pops() {
    let mut buffer = JitterBuffer::with_config(JitterConfig {
        depth: 3,
        max_packets: 5,
        max_jump: 50,
    });
    for sequence in 0..5 {
        assert_eq!(push(&mut buffer, sequence), PushOutcome::Queued);
    }
    assert_eq!(push(&mut buffer, 5), PushOutcome::Overflowed);
    assert_eq!(buffer.len(), 5);
    assert_eq!(push(&mut buffer, 0), PushOutcome::Late);
    assert_eq!(drain(&mut buffer), [Ok(1), Ok(2), Ok(3), Ok(4), Ok(5)]);
    assert_eq!(buffer.stats().overflowed, 1);
}

#[test]
fn pop_now_releases_held_packets_and_gaps_without_waiting() {
    let mut buffer = JitterBuffer::new(3);
    feed(&mut buffer, &[1, 2, 3, 5]);
    assert_eq!(drain(&mut buffer), []);
    let released: Vec<_> = std::iter::from_fn(|| buffer.pop_now())
        .map(outcome)
        .collect();
    assert_eq!(released, [Err(4), Ok(5)]);
}

#[test]
fn depth_zero_declares_a_gap_lost_at_once() {
    let mut buffer = JitterBuffer::new(0);
    assert_eq!(feed(&mut buffer, &[1, 3]), [Ok(1), Err(2), Ok(3)]);
}

#[test]
fn a_reset_forgets_the_stream_but_keeps_the_counters() {
    let mut buffer = JitterBuffer::new(1);
    feed(&mut buffer, &[1, 3, 4]);
    buffer.reset();
    assert!(buffer.is_empty());
    assert_eq!(push(&mut buffer, 60_000), PushOutcome::Queued);
    assert_eq!(drain(&mut buffer), [Ok(60_000)]);
    assert_eq!(buffer.stats().lost, 1);
}

#[test]
fn a_lossy_reordering_stream_releases_every_number_exactly_once() {
    let mut buffer = JitterBuffer::new(3);
    // 0..198 with every 7th lost, pairs swapped, every 5th duplicated, past the wrap.
    let start: u16 = 65_500;
    let mut arrivals = Vec::new();
    for i in (0..198u16).step_by(2) {
        for j in [i + 1, i] {
            if j % 7 != 3 {
                arrivals.push(start.wrapping_add(j));
                if j % 5 == 0 {
                    arrivals.push(start.wrapping_add(j));
                }
            }
        }
    }
    let mut released = feed(&mut buffer, &arrivals);
    released.extend(std::iter::from_fn(|| buffer.pop_now()).map(outcome));
    let numbers: Vec<u16> = released.iter().map(|r| r.unwrap_or_else(|s| s)).collect();
    let expected: Vec<u16> = (0..198u16).map(|j| start.wrapping_add(j)).collect();
    assert_eq!(numbers, expected);
    let lost = released.iter().filter(|r| r.is_err()).count();
    assert_eq!(lost, (0..198).filter(|j| j % 7 == 3).count());
}
