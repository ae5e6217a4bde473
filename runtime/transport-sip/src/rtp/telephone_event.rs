//! Keys pressed, carried in RTP as RFC 4733 telephone-events: the 4-byte payload, a
//! receiver that reports each key press once, and a sender that writes one key press.
//!
//! # Receiving
//! A sender repeats an event every 20 ms with a growing duration while the key is down,
//! then sends the end packet three times (RFC 4733 §2.5.1). Every packet of one press
//! carries the same RTP timestamp, the press's start; a new timestamp is a new press.
//! [`DtmfReceiver`] reports a key on the **first packet it sees of a press**, whichever
//! that is: the usual start packet, a later update when the start was lost, or even one
//! of the end packets when everything before them was lost. Reporting at the start rather
//! than the end lets a script barge in at once, and a press is never missed for a lost end.
//! Packets of a press already reported, and stragglers from an earlier press arriving out
//! of order, are ignored.
//!
//! # Sending
//! [`DtmfSender`] yields the packets of one press, to be sent 20 ms apart: updates whose
//! duration grows by 160 samples, the first with the marker bit (§2.5.1.2), then the end
//! packet three times with the final duration (§2.5.1.4), all with one timestamp and
//! consecutive sequence numbers.

use super::packet::{RtpHeader, RtpSender};
use super::{FRAME_SAMPLES, RtpError};

/// Bytes in one event block (RFC 4733 §2.3).
const EVENT_BYTES: usize = 4;

/// Events 0–15 are the sixteen DTMF keys, in this order (RFC 4733 §3.2).
const KEYS: &[u8; 16] = b"0123456789*#ABCD";

/// Event 16 is a hook flash (RFC 4733 §3.2).
const FLASH_EVENT: u8 = 16;

/// The end packet is sent this many times in all (RFC 4733 §2.5.1.4), so one loss does
/// not leave the receiver waiting for an end.
const END_PACKETS: u32 = 3;

/// The tone length we send by default: 100 ms is what carriers' IVRs are tuned for and
/// well above the 40 ms a receiver must accept (ITU-T Q.24).
pub const DEFAULT_TONE_MS: u32 = 100;

/// Tone lengths we send. 40 ms is ITU-T Q.24's shortest recognisable tone; 8000 ms
/// (64 000 samples) still fits the 16-bit duration field at 8 kHz, so one event suffices.
const TONE_MS: std::ops::RangeInclusive<u32> = 40..=8_000;

/// The level we announce, in -dBm0: DTMF is sent at around -10 dBm0 per tone (ITU-T Q.23).
const VOLUME: u8 = 10;

/// How close to the 16-bit duration limit an unfinished event must be for a later
/// timestamp with the same key to count as its continuation (RFC 4733 §2.5.1.3 long
/// events) rather than a new press: within the last second (8000 samples) of the field.
const SEGMENT_TAIL: u16 = 8_000;

/// Milliseconds in one 20 ms packet interval.
const FRAME_MS: u32 = 20;

/// A DTMF key or hook flash: RFC 4733 events 0–16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfKey(u8);

impl DtmfKey {
    /// The hook flash (event 16).
    pub const FLASH: DtmfKey = DtmfKey(FLASH_EVENT);

    /// The key for an event code; `None` for codes that are not keys (tones, line events).
    pub const fn from_event(event: u8) -> Option<DtmfKey> {
        if event <= FLASH_EVENT {
            Some(DtmfKey(event))
        } else {
            None
        }
    }

    /// The key for `0`-`9`, `*`, `#` or `A`-`D` (lower case accepted).
    pub fn from_char(key: char) -> Result<DtmfKey, RtpError> {
        let upper = key.to_ascii_uppercase();
        KEYS.iter()
            .position(|&k| char::from(k) == upper)
            .and_then(|index| u8::try_from(index).ok())
            .map(DtmfKey)
            .ok_or(RtpError::NotAKey(key))
    }

    /// The RFC 4733 event code.
    pub const fn event(self) -> u8 {
        self.0
    }

    /// The key as the character scripts see (`0`-`9`, `*`, `#`, `A`-`D`); `None` for flash.
    pub fn digit(self) -> Option<char> {
        KEYS.get(usize::from(self.0)).map(|&k| char::from(k))
    }
}

/// One telephone-event block (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code (0–15 DTMF, 16 flash, others tones and line events).
    pub event: u8,
    /// The E bit: this is (a copy of) the event's last packet.
    pub end: bool,
    /// The tone's power in -dBm0 (0–63); ignored for events other than tones.
    pub volume: u8,
    /// How long the event has lasted so far, in RTP clock units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Reads the first event block of a payload.
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, RtpError> {
        let Some(block) = payload.first_chunk::<EVENT_BYTES>() else {
            return Err(RtpError::Truncated {
                what: "telephone-event payload",
                needed: EVENT_BYTES,
                available: payload.len(),
            });
        };
        Ok(TelephoneEvent {
            event: block[0],
            end: block[1] & 0x80 != 0,
            volume: block[1] & 0x3F,
            duration: u16::from_be_bytes([block[2], block[3]]),
        })
    }

    /// The 4-byte payload; the reserved bit is written as zero.
    pub fn to_bytes(&self) -> [u8; EVENT_BYTES] {
        let [high, low] = self.duration.to_be_bytes();
        let end = if self.end { 0x80 } else { 0 };
        [self.event, end | (self.volume & 0x3F), high, low]
    }
}

/// The press being received.
#[derive(Debug, Clone, Copy)]
struct Press {
    ssrc: u32,
    timestamp: u32,
    event: u8,
    ended: bool,
    duration: u16,
}

/// Turns a stream of telephone-event packets into key presses, each reported once; see
/// the module docs for when.
#[derive(Debug, Default, Clone)]
pub struct DtmfReceiver {
    current: Option<Press>,
}

impl DtmfReceiver {
    /// A receiver that has seen nothing yet.
    pub fn new() -> Self {
        DtmfReceiver::default()
    }

    /// Takes one packet of the telephone-event payload type; returns the key when the
    /// packet starts a press not reported before. Payloads too short to hold an event, and
    /// events that are not keys, are ignored.
    pub fn push(&mut self, header: &RtpHeader, payload: &[u8]) -> Option<DtmfKey> {
        let event = TelephoneEvent::parse(payload).ok()?;
        let key = DtmfKey::from_event(event.event)?;
        let press = Press {
            ssrc: header.ssrc,
            timestamp: header.timestamp,
            event: event.event,
            ended: event.end,
            duration: event.duration,
        };
        let Some(current) = self.current.as_mut().filter(|c| c.ssrc == header.ssrc) else {
            self.current = Some(press);
            return Some(key);
        };
        // The timestamp difference as a signed distance, so wrapping at 2^32 is harmless.
        let ahead = header.timestamp.wrapping_sub(current.timestamp) as i32;
        let same_key = current.event == event.event;
        if ahead == 0 && same_key {
            current.ended |= event.end;
            current.duration = current.duration.max(event.duration);
            return None;
        }
        if ahead < 0 {
            return None;
        }
        let continues_long_press = same_key
            && !current.ended
            && current.duration >= u16::MAX - SEGMENT_TAIL
            && i64::from(ahead) <= i64::from(current.duration) + i64::from(SEGMENT_TAIL);
        *current = press;
        (!continues_long_press).then_some(key)
    }
}

/// The packets of one key press; an iterator of headers and event payloads in sending
/// order, one every 20 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtmfSender {
    key: DtmfKey,
    payload_type: u8,
    ssrc: u32,
    first_sequence: u16,
    timestamp: u32,
    /// 20 ms steps the tone lasts: the final duration is `frames × 160`.
    frames: u32,
    sent: u32,
}

impl DtmfSender {
    /// The packets for `key` held `tone_ms` (rounded up to 20 ms) in the stream `ssrc`,
    /// starting at `first_sequence`, all stamped `timestamp`.
    pub fn new(
        key: DtmfKey,
        payload_type: u8,
        ssrc: u32,
        first_sequence: u16,
        timestamp: u32,
        tone_ms: u32,
    ) -> Result<DtmfSender, RtpError> {
        if !TONE_MS.contains(&tone_ms) {
            return Err(RtpError::ToneLength(tone_ms));
        }
        Ok(DtmfSender {
            key,
            payload_type: payload_type & 0x7F,
            ssrc,
            first_sequence,
            timestamp,
            frames: tone_ms.div_ceil(FRAME_MS),
            sent: 0,
        })
    }

    /// The packets of a 100 ms press of `key`, written out, taking their sequence numbers
    /// and time from `sender`'s stream (audio resumes after them as a new talkspurt).
    pub fn packets(
        key: char,
        payload_type: u8,
        sender: &mut RtpSender,
    ) -> Result<Vec<Vec<u8>>, RtpError> {
        let key = DtmfKey::from_char(key)?;
        let probe = DtmfSender::new(key, payload_type, sender.ssrc(), 0, 0, DEFAULT_TONE_MS)?;
        let count = probe.packet_count();
        // At most 402 packets for the longest tone, so the count fits a u16.
        let (first_sequence, timestamp) = sender.reserve(count as u16, count);
        let tone = DtmfSender {
            first_sequence,
            timestamp,
            ..probe
        };
        Ok(tone
            .map(|(header, event)| {
                let mut packet = Vec::with_capacity(16);
                // No CSRCs or extension, and a 7-bit payload type: the header fits.
                header.write_checked(&event.to_bytes(), &mut packet);
                packet
            })
            .collect())
    }

    /// Packets in all: the updates, then three end packets.
    pub fn packet_count(&self) -> u32 {
        self.frames - 1 + END_PACKETS
    }
}

impl Iterator for DtmfSender {
    type Item = (RtpHeader, TelephoneEvent);

    fn next(&mut self) -> Option<Self::Item> {
        if self.sent >= self.packet_count() {
            return None;
        }
        let index = self.sent;
        self.sent += 1;
        // Update n (from 0) covers n + 1 frames; the end and its copies cover them all.
        let frames = (index + 1).min(self.frames);
        let mut header = RtpHeader::new(
            self.payload_type,
            // The packet count is at most 402, far below the wrap of 65536.
            self.first_sequence.wrapping_add(index as u16),
            self.timestamp,
            self.ssrc,
        );
        header.marker = index == 0;
        let event = TelephoneEvent {
            event: self.key.event(),
            end: index + 1 >= self.frames,
            volume: VOLUME,
            // At most 400 × 160 = 64 000: inside the 16-bit field.
            duration: (frames * FRAME_SAMPLES) as u16,
        };
        Some((header, event))
    }
}

#[cfg(test)]
mod tests;
