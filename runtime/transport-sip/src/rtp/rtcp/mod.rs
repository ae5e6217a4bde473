//! RTCP (RFC 3550 §6) as much as a G.711 endpoint needs: our periodic report, reading the
//! peer's (is it alive, did it say BYE, what loss does it see), and telling RTP from RTCP
//! when both share one port (RFC 5761 §4).
//!
//! Building lives in [`stats`]: [`RtcpStats`] counts what we send and receive (loss and
//! interarrival jitter as RFC 3550 §A.3 and §A.8 compute them) and writes a compound packet
//! — a sender report if we sent since the last report, else a receiver report, then an
//! SDES with our CNAME, then BYE when we leave. Parsing here validates a compound packet as
//! RFC 3550 §A.2 describes, relaxed as RFC 5506 allows: any order, as long as it holds an
//! SR, RR or BYE.

pub mod stats;

pub use stats::{ReportTime, RtcpStats};

use super::RtpError;

/// Sender report (RFC 3550 §6.4.1).
pub const SR: u8 = 200;
/// Receiver report (RFC 3550 §6.4.2).
pub const RR: u8 = 201;
/// Source description (RFC 3550 §6.5).
pub const SDES: u8 = 202;
/// Goodbye (RFC 3550 §6.6).
pub const BYE: u8 = 203;

/// Bytes in the common header of every RTCP packet.
const HEADER_BYTES: usize = 4;
/// Bytes in an SR's sender info (NTP time, RTP time, packet and octet counts).
const SENDER_INFO_BYTES: usize = 20;
/// Bytes in one report block.
const REPORT_BLOCK_BYTES: usize = 24;
/// The second byte of an RTCP packet is its type, 192–223 when muxed with RTP: RFC 5761
/// §4 keeps RTP payload types 64–95 free so this range never meets an RTP packet's
/// marker-and-payload-type byte (SR–APP, 200–204, would read as types 72–76 with marker).
const RTCP_TYPES: std::ops::RangeInclusive<u8> = 192..=223;

/// The sender-info part of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// The wallclock time of the report, NTP format (seconds since 1900 . fraction).
    pub ntp: u64,
    /// The same instant on the sender's RTP clock.
    pub rtp_timestamp: u32,
    /// Packets sent so far.
    pub packets: u32,
    /// Payload octets sent so far.
    pub octets: u32,
}

/// One reception report block: what the report's author sees of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Packets lost since the previous report, in 1/256 of those expected.
    pub fraction_lost: u8,
    /// Packets lost in all (signed 24-bit: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// The highest sequence number received, extended with the wrap count.
    pub highest_sequence: u32,
    /// Interarrival jitter, in RTP clock units.
    pub jitter: u32,
    /// The middle 32 bits of the NTP time of the last SR received from that source.
    pub last_sr: u32,
    /// Time since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

/// What a compound RTCP packet says that we act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpReport {
    /// The SSRC of the first SR, RR or BYE: the peer's stream.
    pub sender_ssrc: u32,
    /// Present when the compound holds an SR.
    pub sender_info: Option<SenderInfo>,
    /// Report blocks from its SR or RR.
    pub blocks: Vec<ReportBlock>,
    /// The peer is leaving the session (RFC 3550 §6.6).
    pub bye: bool,
}

/// What kind of datagram arrived on a port shared by RTP and RTCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datagram {
    /// An RTP packet (version 2, second byte outside the RTCP range).
    Rtp,
    /// An RTCP packet (version 2, packet type 192–223).
    Rtcp,
    /// Neither: STUN, DTLS, or noise.
    Other,
}

/// Sorts a datagram on a muxed port by its first two bytes (RFC 5761 §4, RFC 7983 §7).
pub fn classify(datagram: &[u8]) -> Datagram {
    match datagram {
        [first, second, ..] if first >> 6 == 2 => {
            if RTCP_TYPES.contains(second) {
                Datagram::Rtcp
            } else {
                Datagram::Rtp
            }
        }
        _ => Datagram::Other,
    }
}

/// Whether a datagram is a valid RTCP compound packet holding an SR, RR or BYE: a sign
/// that the peer is alive.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    parse(datagram).is_ok()
}

/// Validates a compound packet and reads what we act on from it.
pub fn parse(datagram: &[u8]) -> Result<RtcpReport, RtpError> {
    let mut report: Option<RtcpReport> = None;
    let mut rest = datagram;
    while !rest.is_empty() {
        let Some(header) = rest.first_chunk::<HEADER_BYTES>() else {
            return Err(RtpError::Truncated {
                what: "RTCP header",
                needed: HEADER_BYTES,
                available: rest.len(),
            });
        };
        let version = header[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let padded = header[0] & 0x20 != 0;
        let count = usize::from(header[0] & 0x1F);
        let packet_type = header[1];
        let length = (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1) * 4;
        let Some(packet) = rest.get(..length) else {
            return Err(RtpError::Truncated {
                what: "RTCP packet",
                needed: length,
                available: rest.len(),
            });
        };
        rest = &rest[length..];
        if !RTCP_TYPES.contains(&packet_type) {
            return Err(RtpError::Rtcp("packet type outside 192-223"));
        }
        let mut body = &packet[HEADER_BYTES..];
        if padded {
            if !rest.is_empty() {
                return Err(RtpError::Rtcp("padding on a packet that is not the last"));
            }
            let padding = usize::from(body.last().copied().unwrap_or(0));
            if padding == 0 || padding > body.len() {
                return Err(RtpError::Padding {
                    padding,
                    available: body.len(),
                });
            }
            body = &body[..body.len() - padding];
        }
        match packet_type {
            SR | RR => {
                let info_bytes = if packet_type == SR {
                    SENDER_INFO_BYTES
                } else {
                    0
                };
                let needed = 4 + info_bytes + count * REPORT_BLOCK_BYTES;
                if body.len() < needed {
                    return Err(RtpError::Truncated {
                        what: "RTCP report",
                        needed,
                        available: body.len(),
                    });
                }
                let ssrc = read_u32(body, 0);
                let entry = report.get_or_insert_with(|| empty_report(ssrc));
                if packet_type == SR && entry.sender_info.is_none() {
                    entry.sender_info = Some(SenderInfo {
                        ntp: (u64::from(read_u32(body, 4)) << 32) | u64::from(read_u32(body, 8)),
                        rtp_timestamp: read_u32(body, 12),
                        packets: read_u32(body, 16),
                        octets: read_u32(body, 20),
                    });
                }
                let blocks = &body[4 + info_bytes..needed];
                entry
                    .blocks
                    .extend(blocks.chunks_exact(REPORT_BLOCK_BYTES).map(read_block));
            }
            BYE => {
                if body.len() < count * 4 {
                    return Err(RtpError::Rtcp("BYE shorter than its SSRC list"));
                }
                // A BYE with no SSRC is legal, if useless; its sender is unknown (0).
                let ssrc = if count > 0 { read_u32(body, 0) } else { 0 };
                let entry = report.get_or_insert_with(|| empty_report(ssrc));
                entry.bye = true;
            }
            // SDES, APP, feedback and extended reports: valid, nothing we act on.
            _ => {}
        }
    }
    report.ok_or(RtpError::Rtcp("no sender report, receiver report or BYE"))
}

fn empty_report(sender_ssrc: u32) -> RtcpReport {
    RtcpReport {
        sender_ssrc,
        sender_info: None,
        blocks: Vec::new(),
        bye: false,
    }
}

/// A big-endian u32 at `at`; callers have checked the length.
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn read_block(block: &[u8]) -> ReportBlock {
    let lost = read_u32(block, 4);
    // Sign-extend the 24-bit cumulative count.
    let cumulative_lost = ((lost << 8) as i32) >> 8;
    ReportBlock {
        ssrc: read_u32(block, 0),
        fraction_lost: (lost >> 24) as u8,
        cumulative_lost,
        highest_sequence: read_u32(block, 8),
        jitter: read_u32(block, 12),
        last_sr: read_u32(block, 16),
        delay_since_last_sr: read_u32(block, 20),
    }
}

#[cfg(test)]
mod tests;
