//! A reorder buffer for one incoming 20 ms audio stream: packets go in as they arrive and
//! come out in sequence order, each exactly once, with every missing one reported as lost.
//!
//! # Policy
//! The buffer is driven by arrivals, not by a playout clock: huashu's ears are a
//! recogniser, not a loudspeaker, so in-order audio is released the moment it arrives
//! and costs no delay. Only a gap holds things back: the packets after a missing one wait
//! until [`JitterConfig::depth`] of them are held (by default 3 = 60 ms of audio), then
//! the missing one is declared [`Playout::Lost`] so the caller can conceal it, and a
//! straggler arriving after that is dropped as [`PushOutcome::Late`]. The first packets of
//! a stream wait the same way, so a start that arrives reordered is still put in order.
//!
//! Sequence numbers are extended past 65535 (they wrap every 22 minutes at 50 packets a
//! second). A new SSRC restarts the buffer at once; a jump of more than
//! [`JitterConfig::max_jump`] either way restarts it only when the next packet confirms
//! the new numbering (the RFC 3550 §A.1 probation idea), so one stray packet cannot throw
//! away what is held. Memory is bounded by [`JitterConfig::max_packets`]; the caller bounds
//! each payload by the size of its receive buffer.
//!
//! Call [`JitterBuffer::pop`] after every push until it returns `None`; when the stream
//! goes quiet (hold, end of call), [`JitterBuffer::pop_now`] releases what is held without
//! waiting for more.

use std::collections::BTreeMap;

use super::packet::RtpHeader;

/// Packets held after a gap before it is declared lost: 60 ms. Carrier and internet paths
/// rarely reorder by more than a packet or two; a lost packet costs 60 ms of delay once.
pub const DEFAULT_DEPTH: usize = 3;

/// Most packets held: 320 ms of audio, several times what `depth` lets build up when the
/// caller pops after each push. It only binds for a caller that stops popping.
pub const DEFAULT_MAX_PACKETS: usize = 16;

/// A sequence jump above 50 packets (1 s) is a restarted stream, not loss or reordering:
/// concealing a second of audio would be worse than starting over.
pub const DEFAULT_MAX_JUMP: u16 = 50;

/// How the buffer trades delay against loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Packets held after a gap before it is declared lost (0: never wait).
    pub depth: usize,
    /// Most packets held; past it the oldest is dropped. At least 1, at least `depth`.
    pub max_packets: usize,
    /// The largest sequence jump treated as loss or reordering rather than a restart.
    pub max_jump: u16,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            depth: DEFAULT_DEPTH,
            max_packets: DEFAULT_MAX_PACKETS,
            max_jump: DEFAULT_MAX_JUMP,
        }
    }
}

/// What the buffer releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// The next packet's audio.
    Frame {
        /// Its sequence number.
        sequence: u16,
        /// Its RTP timestamp.
        timestamp: u32,
        /// The payload.
        payload: Vec<u8>,
    },
    /// The next packet never came (or came too late): conceal one packet's worth.
    Lost {
        /// The missing sequence number.
        sequence: u16,
    },
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Held for release.
    Queued,
    /// Held, and the oldest held packet was dropped to stay within `max_packets`.
    Overflowed,
    /// The first packet of a new stream (new SSRC or confirmed jump); what was held from
    /// the old one is gone.
    Restarted,
    /// Dropped: already held.
    Duplicate,
    /// Dropped: its place was already released or declared lost.
    Late,
    /// Dropped: far from the stream's numbering; kept in mind in case the next packet
    /// follows it and shows the stream restarted.
    SuspectJump,
}

/// Counters for call quality reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Packets declared lost.
    pub lost: u64,
    /// Packets dropped as late.
    pub late: u64,
    /// Packets dropped as duplicates.
    pub duplicates: u64,
    /// Packets dropped for `max_packets`.
    pub overflowed: u64,
    /// Times the stream restarted.
    pub restarts: u64,
}

#[derive(Debug, Clone)]
struct Held {
    timestamp: u32,
    payload: Vec<u8>,
}

/// The reorder buffer; see the module docs.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    ssrc: Option<u32>,
    /// Packets by extended sequence number; the stream's first packet is 0.
    held: BTreeMap<i64, Held>,
    /// The sequence number of extended number 0.
    origin: u16,
    /// The highest extended number seen, the reference for extending the next one.
    newest: i64,
    /// The next extended number to release; `None` until the stream has started.
    next: Option<i64>,
    /// A far-off sequence number just seen, awaiting confirmation.
    jump_candidate: Option<u16>,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer holding `depth` packets after a gap, other limits at their defaults.
    pub fn new(depth: usize) -> Self {
        JitterBuffer::with_config(JitterConfig {
            depth,
            ..JitterConfig::default()
        })
    }

    /// A buffer with every limit chosen; `max_packets` is raised to `depth` (and 1).
    pub fn with_config(mut config: JitterConfig) -> Self {
        config.max_packets = config.max_packets.max(config.depth).max(1);
        JitterBuffer {
            config,
            ssrc: None,
            held: BTreeMap::new(),
            origin: 0,
            newest: 0,
            next: None,
            jump_candidate: None,
            stats: JitterStats::default(),
        }
    }

    /// Takes an arriving packet of the audio payload type.
    pub fn push(&mut self, header: &RtpHeader, payload: &[u8]) -> PushOutcome {
        let sequence = header.sequence;
        if self.ssrc != Some(header.ssrc) {
            let restarted = self.ssrc.is_some();
            self.restart(header.ssrc, sequence);
            self.insert(0, header.timestamp, payload);
            return if restarted {
                PushOutcome::Restarted
            } else {
                PushOutcome::Queued
            };
        }
        let ext = self.extend(sequence);
        if ext.abs_diff(self.newest) > u64::from(self.config.max_jump) {
            if self.jump_candidate == Some(sequence.wrapping_sub(1)) {
                self.restart(header.ssrc, sequence);
                self.insert(0, header.timestamp, payload);
                return PushOutcome::Restarted;
            }
            self.jump_candidate = Some(sequence);
            return PushOutcome::SuspectJump;
        }
        self.jump_candidate = None;
        if self.next.is_some_and(|next| ext < next) {
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        if self.held.contains_key(&ext) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        self.newest = self.newest.max(ext);
        self.insert(ext, header.timestamp, payload)
    }

    /// The next packet or loss, once it is due; `None` while waiting.
    pub fn pop(&mut self) -> Option<Playout> {
        self.release(self.config.depth)
    }

    /// The next packet or loss without waiting for more arrivals: for when the stream
    /// has gone quiet and what is held should come out.
    pub fn pop_now(&mut self) -> Option<Playout> {
        self.release(0)
    }

    /// Forgets everything (the next packet starts a new stream), keeping the counters.
    pub fn reset(&mut self) {
        self.ssrc = None;
        self.held.clear();
        self.next = None;
        self.jump_candidate = None;
    }

    /// Packets held now.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Losses, late packets and the like since the buffer was made.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    fn release(&mut self, depth: usize) -> Option<Playout> {
        let (&first, _) = self.held.first_key_value()?;
        let next = match self.next {
            Some(next) => next,
            // The stream starts once enough is held to have put its start in order.
            None if self.held.len() >= depth.max(1) => first,
            None => return None,
        };
        if first == next {
            let held = self.held.remove(&first)?;
            self.next = Some(next + 1);
            return Some(Playout::Frame {
                sequence: self.sequence_of(next),
                timestamp: held.timestamp,
                payload: held.payload,
            });
        }
        if self.held.len() >= depth {
            self.next = Some(next + 1);
            self.stats.lost += 1;
            return Some(Playout::Lost {
                sequence: self.sequence_of(next),
            });
        }
        None
    }

    fn restart(&mut self, ssrc: u32, sequence: u16) {
        if self.ssrc.is_some() {
            self.stats.restarts += 1;
        }
        self.reset();
        self.ssrc = Some(ssrc);
        self.origin = sequence;
        self.newest = 0;
    }

    fn insert(&mut self, ext: i64, timestamp: u32, payload: &[u8]) -> PushOutcome {
        self.held.insert(
            ext,
            Held {
                timestamp,
                payload: payload.to_vec(),
            },
        );
        if self.held.len() <= self.config.max_packets {
            return PushOutcome::Queued;
        }
        if let Some((dropped, _)) = self.held.pop_first() {
            self.next = Some(self.next.map_or(dropped + 1, |next| next.max(dropped + 1)));
            self.stats.overflowed += 1;
        }
        PushOutcome::Overflowed
    }

    /// The extended number of `sequence`: the one nearest the newest seen.
    fn extend(&self, sequence: u16) -> i64 {
        let newest = self.sequence_of(self.newest);
        // The signed 16-bit distance picks the nearest of the wrapped candidates.
        self.newest + i64::from(sequence.wrapping_sub(newest) as i16)
    }

    fn sequence_of(&self, ext: i64) -> u16 {
        // Only the low 16 bits of the extended number are the sequence number.
        self.origin.wrapping_add(ext as u16)
    }
}

#[cfg(test)]
mod tests;
