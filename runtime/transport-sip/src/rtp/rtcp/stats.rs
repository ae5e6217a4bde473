//! The counters behind our RTCP reports, and the compound packet written from them.
//!
//! Time comes in as two [`Duration`]s: `now`/`at`, since an origin the caller picks (the
//! call's start on a monotonic clock; the same origin for every call on one
//! [`RtcpStats`]), for arrival jitter and report delays; and the wallclock since the Unix
//! epoch, only for the NTP field of a sender report.

use std::time::Duration;

use super::super::CLOCK_RATE;
use super::super::packet::RtpHeader;
use super::{BYE, RR, RtcpReport, SDES, SR};

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970): 70 years, 17 of them leap.
const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// A forward sequence jump up to this is loss, not a restart (RFC 3550 §A.1's suggested
/// value: a minute of 20 ms packets is 3000).
const MAX_DROPOUT: u16 = 3_000;

/// A backward jump up to this is reordering or a duplicate (RFC 3550 §A.1's value).
const MAX_MISORDER: u16 = 100;

/// The SDES item length is one byte.
const MAX_CNAME_BYTES: usize = 255;

/// The SDES item type of a CNAME (RFC 3550 §6.5.1).
const CNAME_ITEM: u8 = 1;

/// The 24-bit signed range of a report block's cumulative loss.
const CUMULATIVE_LOST: std::ops::RangeInclusive<i64> = -0x80_0000..=0x7F_FFFF;

/// The instant a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportTime {
    /// Since the caller's origin, as passed to [`RtcpStats::sent`] and
    /// [`RtcpStats::received`].
    pub now: Duration,
    /// Since the Unix epoch: the sender report's wallclock.
    pub wallclock: Duration,
}

/// What we know of the peer's stream.
#[derive(Debug, Clone)]
struct Reception {
    ssrc: u32,
    base_sequence: u16,
    max_sequence: u16,
    /// Wraps of the sequence number, times 65536.
    cycles: u32,
    /// A far-off sequence number plus one, awaiting a consecutive packet to restart on.
    bad_sequence: Option<u16>,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// The previous packet's transit time, in RTP clock units.
    transit: Option<u32>,
    /// Interarrival jitter times 16, so the 1/16 gain keeps its precision in integers.
    jitter16: u32,
    /// The middle of the last SR's NTP time, and when it arrived.
    last_sr: Option<(u32, Duration)>,
}

impl Reception {
    fn new(ssrc: u32, sequence: u16) -> Self {
        Reception {
            ssrc,
            base_sequence: sequence,
            max_sequence: sequence,
            cycles: 0,
            bad_sequence: None,
            received: 1,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter16: 0,
            last_sr: None,
        }
    }

    /// Counts a sequence number; false when the packet is set aside as a suspected restart.
    fn count(&mut self, sequence: u16) -> bool {
        let ahead = sequence.wrapping_sub(self.max_sequence);
        if ahead < MAX_DROPOUT {
            if sequence < self.max_sequence {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_sequence = sequence;
        } else if ahead <= u16::MAX - MAX_MISORDER {
            if self.bad_sequence != Some(sequence) {
                self.bad_sequence = Some(sequence.wrapping_add(1));
                return false;
            }
            // Two consecutive packets agree: the peer restarted its numbering.
            let last_sr = self.last_sr;
            *self = Reception::new(self.ssrc, sequence);
            self.last_sr = last_sr;
            return true;
        }
        self.received = self.received.wrapping_add(1);
        true
    }

    fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_sequence))
    }

    fn update_jitter(&mut self, rtp_timestamp: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(rtp_timestamp);
        if let Some(previous) = self.transit {
            let d = (transit.wrapping_sub(previous) as i32).unsigned_abs();
            // J += (|D| - J) / 16, kept scaled by 16 (RFC 3550 §6.4.1, §A.8).
            let j16 =
                i64::from(self.jitter16) + i64::from(d) - ((i64::from(self.jitter16) + 8) >> 4);
            self.jitter16 = u32::try_from(j16.max(0)).unwrap_or(u32::MAX);
        }
        self.transit = Some(transit);
    }

    /// The report block for this source, moving the "since last report" marks.
    fn block(&mut self, now: Duration) -> [u8; 24] {
        let extended_max = self.extended_max();
        let expected = extended_max
            .wrapping_sub(u32::from(self.base_sequence))
            .wrapping_add(1);
        let lost = (i64::from(expected) - i64::from(self.received))
            .clamp(*CUMULATIVE_LOST.start(), *CUMULATIVE_LOST.end());
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay) = match self.last_sr {
            Some((middle, arrived)) => (middle, to_65536ths(now.saturating_sub(arrived))),
            None => (0, 0),
        };
        let mut block = [0; 24];
        block[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        // Fraction in the top byte, the 24-bit two's complement count below.
        let lost_field = (u32::from(fraction) << 24) | (lost as u32 & 0x00FF_FFFF);
        block[4..8].copy_from_slice(&lost_field.to_be_bytes());
        block[8..12].copy_from_slice(&extended_max.to_be_bytes());
        block[12..16].copy_from_slice(&(self.jitter16 >> 4).to_be_bytes());
        block[16..20].copy_from_slice(&last_sr.to_be_bytes());
        block[20..24].copy_from_slice(&delay.to_be_bytes());
        block
    }
}

/// Counters for one call's RTP session, and the reports written from them.
#[derive(Debug, Clone)]
pub struct RtcpStats {
    ssrc: u32,
    cname: String,
    packets_sent: u32,
    octets_sent: u32,
    sent_since_report: bool,
    /// The RTP timestamp of our last packet and when it left.
    last_sent: Option<(u32, Duration)>,
    reception: Option<Reception>,
}

impl RtcpStats {
    /// Counters for our stream `ssrc`, with CNAME `huashu-<ssrc in hex>`: unique enough
    /// per call (RFC 7022 asks only that it not collide within the session).
    pub fn new(ssrc: u32) -> Self {
        RtcpStats {
            ssrc,
            cname: format!("huashu-{ssrc:08x}"),
            packets_sent: 0,
            octets_sent: 0,
            sent_since_report: false,
            last_sent: None,
            reception: None,
        }
    }

    /// Uses another CNAME, cut to the 255 bytes an SDES item holds.
    pub fn with_cname(mut self, cname: &str) -> Self {
        let mut end = cname.len().min(MAX_CNAME_BYTES);
        while !cname.is_char_boundary(end) {
            end -= 1;
        }
        self.cname = cname[..end].to_owned();
        self
    }

    /// Counts a packet we sent with `payload_len` bytes of payload, at `at`.
    pub fn sent(&mut self, header: &RtpHeader, payload_len: usize, at: Duration) {
        self.packets_sent = self.packets_sent.wrapping_add(1);
        // The octet count wraps by definition (RFC 3550 §6.4.1).
        self.octets_sent = self.octets_sent.wrapping_add(payload_len as u32);
        self.sent_since_report = true;
        self.last_sent = Some((header.timestamp, at));
    }

    /// Counts a packet received from the peer at `at` (audio and telephone-events alike).
    /// A new SSRC starts the counts over.
    pub fn received(&mut self, header: &RtpHeader, at: Duration) {
        let known = self
            .reception
            .as_ref()
            .is_some_and(|r| r.ssrc == header.ssrc);
        let reception = match self.reception.as_mut() {
            Some(reception) if known => {
                if !reception.count(header.sequence) {
                    return;
                }
                reception
            }
            _ => self
                .reception
                .insert(Reception::new(header.ssrc, header.sequence)),
        };
        reception.update_jitter(header.timestamp, rtp_units(at));
    }

    /// Takes note of a report from the peer received at `at`: its SR time is echoed in our
    /// next report so it can measure the round trip.
    pub fn peer_report(&mut self, report: &RtcpReport, at: Duration) {
        if let (Some(reception), Some(info)) = (&mut self.reception, report.sender_info)
            && reception.ssrc == report.sender_ssrc
        {
            reception.last_sr = Some(((info.ntp >> 16) as u32, at));
        }
    }

    /// Packets received from the peer's current stream.
    pub fn packets_received(&self) -> u32 {
        self.reception.as_ref().map_or(0, |r| r.received)
    }

    /// Interarrival jitter of the peer's stream, in 8 kHz samples.
    pub fn jitter(&self) -> u32 {
        self.reception.as_ref().map_or(0, |r| r.jitter16 >> 4)
    }

    /// Appends our report: SR if we sent since the last one, else RR; then SDES CNAME.
    pub fn report(&mut self, time: ReportTime, out: &mut Vec<u8>) {
        let block = self.reception.as_mut().map(|r| r.block(time.now));
        let count = u8::from(block.is_some());
        if self.sent_since_report {
            write_header(out, count, SR, 6 + 6 * usize::from(count));
            out.extend_from_slice(&self.ssrc.to_be_bytes());
            out.extend_from_slice(&ntp(time.wallclock).to_be_bytes());
            out.extend_from_slice(&self.rtp_timestamp_at(time.now).to_be_bytes());
            out.extend_from_slice(&self.packets_sent.to_be_bytes());
            out.extend_from_slice(&self.octets_sent.to_be_bytes());
        } else {
            write_header(out, count, RR, 1 + 6 * usize::from(count));
            out.extend_from_slice(&self.ssrc.to_be_bytes());
        }
        if let Some(block) = block {
            out.extend_from_slice(&block);
        }
        self.sent_since_report = false;
        self.write_sdes(out);
    }

    /// Appends our last report followed by a BYE, for when we end the call.
    pub fn bye(&mut self, time: ReportTime, out: &mut Vec<u8>) {
        self.report(time, out);
        write_header(out, 1, BYE, 1);
        out.extend_from_slice(&self.ssrc.to_be_bytes());
    }

    /// Our RTP clock at `now`: the last packet's timestamp moved on by the time since.
    fn rtp_timestamp_at(&self, now: Duration) -> u32 {
        match self.last_sent {
            Some((timestamp, at)) => timestamp.wrapping_add(rtp_units(now.saturating_sub(at))),
            None => 0,
        }
    }

    fn write_sdes(&self, out: &mut Vec<u8>) {
        // SSRC, item type, item length, text, then at least one zero octet to end the
        // item list, padded to a 32-bit boundary (RFC 3550 §6.5).
        let chunk = (4 + 2 + self.cname.len() + 1).div_ceil(4) * 4;
        write_header(out, 1, SDES, chunk / 4);
        let start = out.len();
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        // The CNAME is at most 255 bytes (`with_cname`, and the default is 15).
        out.extend_from_slice(&[CNAME_ITEM, self.cname.len() as u8]);
        out.extend_from_slice(self.cname.as_bytes());
        out.resize(start + chunk, 0);
    }
}

/// The common header for a packet of `words` 32-bit words after the header.
fn write_header(out: &mut Vec<u8>, count: u8, packet_type: u8, words: usize) {
    out.push((2 << 6) | (count & 0x1F));
    out.push(packet_type);
    // Our packets are a few dozen words: far inside the 16-bit length.
    out.extend_from_slice(&(words as u16).to_be_bytes());
}

/// A duration on the 8 kHz RTP clock, wrapping like RTP timestamps do.
fn rtp_units(duration: Duration) -> u32 {
    (duration.as_nanos() * u128::from(CLOCK_RATE) / 1_000_000_000) as u32
}

/// A duration in the 1/65536 s units of the DLSR field, saturating.
fn to_65536ths(duration: Duration) -> u32 {
    u32::try_from(duration.as_nanos() * 65_536 / 1_000_000_000).unwrap_or(u32::MAX)
}

/// A wallclock since the Unix epoch as a 64-bit NTP timestamp (32.32 fixed point).
fn ntp(since_unix: Duration) -> u64 {
    let seconds = since_unix.as_secs().wrapping_add(NTP_UNIX_OFFSET_SECS);
    let fraction = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

#[cfg(test)]
mod tests;
