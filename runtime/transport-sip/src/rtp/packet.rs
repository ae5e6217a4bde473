//! The RTP fixed header (RFC 3550 §5.1) read from and written to datagrams, and
//! [`RtpSender`], which owns our stream's SSRC, sequence numbers and timestamps.
//!
//! Reading accepts everything RFC 3550 allows (CSRC lists, a header extension, padding)
//! and hands back the payload alone; it checks every length against the datagram first, so
//! a short or lying packet is an [`RtpError`], never a panic. What a payload means is the
//! caller's business: the payload type says whether it is audio or a telephone-event.

use super::{FRAME_SAMPLES, RtpError};

/// Bytes in the fixed header.
pub const HEADER_BYTES: usize = 12;

/// The only RTP version in use (RFC 3550 §5.1).
const VERSION: u8 = 2;

/// The CSRC count is 4 bits.
const MAX_CSRCS: usize = 15;

/// Payload types are 7 bits.
const PAYLOAD_TYPE_MASK: u8 = 0x7F;

/// A header extension (RFC 3550 §5.3.1), kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpExtension {
    /// The profile-defined 16 bits (`0xBEDE` for RFC 8285 one-byte extensions).
    pub profile: u16,
    /// The extension body; a whole number of 32-bit words.
    pub data: Vec<u8>,
}

/// An RTP header. The version is always 2; the CSRC count and the extension bit follow
/// from [`RtpHeader::csrcs`] and [`RtpHeader::extension`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtpHeader {
    /// Marks a significant point: for audio, the first packet of a talkspurt (RFC 3551 §4.1);
    /// for a telephone-event, its first packet (RFC 4733 §2.5.1.2).
    pub marker: bool,
    /// The payload format, as negotiated in SDP (0–127).
    pub payload_type: u8,
    /// Counts packets, wrapping at 65535, so the receiver can order them and see losses.
    pub sequence: u16,
    /// The sampling instant of the payload's first sample, in RTP clock units.
    pub timestamp: u32,
    /// Identifies the stream's source.
    pub ssrc: u32,
    /// Contributing sources, set only by mixers (at most 15).
    pub csrcs: Vec<u32>,
    /// A header extension, if present.
    pub extension: Option<RtpExtension>,
    /// Padding bytes after the payload, the count byte included; 0 for none.
    pub padding: u8,
}

impl RtpHeader {
    /// A plain header: no CSRC, extension, padding or marker.
    pub fn new(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32) -> RtpHeader {
        RtpHeader {
            payload_type,
            sequence,
            timestamp,
            ssrc,
            ..RtpHeader::default()
        }
    }

    /// Reads a datagram into its header and payload (padding removed).
    pub fn parse(datagram: &[u8]) -> Result<(RtpHeader, &[u8]), RtpError> {
        let available = datagram.len();
        let truncated = |what, needed| RtpError::Truncated {
            what,
            needed,
            available,
        };
        let Some(fixed) = datagram.first_chunk::<HEADER_BYTES>() else {
            return Err(truncated("RTP header", HEADER_BYTES));
        };
        let version = fixed[0] >> 6;
        if version != VERSION {
            return Err(RtpError::Version(version));
        }
        let has_padding = fixed[0] & 0x20 != 0;
        let has_extension = fixed[0] & 0x10 != 0;
        let csrc_count = usize::from(fixed[0] & 0x0F);
        let mut header = RtpHeader {
            marker: fixed[1] & 0x80 != 0,
            payload_type: fixed[1] & PAYLOAD_TYPE_MASK,
            sequence: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            ..RtpHeader::default()
        };

        let csrc_end = HEADER_BYTES + 4 * csrc_count;
        let csrc_bytes = datagram
            .get(HEADER_BYTES..csrc_end)
            .ok_or_else(|| truncated("CSRC list", csrc_end))?;
        header.csrcs = csrc_bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();

        let mut offset = csrc_end;
        if has_extension {
            let head = datagram
                .get(offset..offset + 4)
                .ok_or_else(|| truncated("header extension", offset + 4))?;
            let profile = u16::from_be_bytes([head[0], head[1]]);
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let end = offset + 4 + 4 * words;
            let data = datagram
                .get(offset + 4..end)
                .ok_or_else(|| truncated("header extension", end))?;
            header.extension = Some(RtpExtension {
                profile,
                data: data.to_vec(),
            });
            offset = end;
        }

        let mut payload = &datagram[offset..];
        if has_padding {
            let padding = payload.last().copied().unwrap_or(0);
            let bad = RtpError::Padding {
                padding: usize::from(padding),
                available: payload.len(),
            };
            if padding == 0 {
                return Err(bad);
            }
            let end = payload.len().checked_sub(usize::from(padding)).ok_or(bad)?;
            payload = &payload[..end];
            header.padding = padding;
        }
        Ok((header, payload))
    }

    /// Appends the header, `payload` and any padding to `out`.
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), RtpError> {
        if self.payload_type > PAYLOAD_TYPE_MASK {
            return Err(RtpError::Unwritable("payload type above 127"));
        }
        if self.csrcs.len() > MAX_CSRCS {
            return Err(RtpError::Unwritable("more than 15 CSRCs"));
        }
        if let Some(extension) = &self.extension
            && (extension.data.len() % 4 != 0 || extension.data.len() / 4 > usize::from(u16::MAX))
        {
            return Err(RtpError::Unwritable(
                "extension data must be whole 32-bit words, at most 65535 of them",
            ));
        }
        self.write_checked(payload, out);
        Ok(())
    }

    /// [`RtpHeader::write`] for a header known to fit: at most 15 CSRCs and an extension
    /// of whole words (the payload type is masked to 7 bits).
    pub(super) fn write_checked(&self, payload: &[u8], out: &mut Vec<u8>) {
        let padding_bit = if self.padding > 0 { 0x20 } else { 0 };
        let extension_bit = if self.extension.is_some() { 0x10 } else { 0 };
        // Both casts are bounded by the checks in `write`.
        let csrc_count = self.csrcs.len() as u8 & 0x0F;
        out.push((VERSION << 6) | padding_bit | extension_bit | csrc_count);
        out.push((u8::from(self.marker) << 7) | (self.payload_type & PAYLOAD_TYPE_MASK));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for csrc in &self.csrcs {
            out.extend_from_slice(&csrc.to_be_bytes());
        }
        if let Some(extension) = &self.extension {
            let words = (extension.data.len() / 4) as u16;
            out.extend_from_slice(&extension.profile.to_be_bytes());
            out.extend_from_slice(&words.to_be_bytes());
            out.extend_from_slice(&extension.data);
        }
        out.extend_from_slice(payload);
        if self.padding > 0 {
            out.extend(std::iter::repeat_n(0, usize::from(self.padding) - 1));
            out.push(self.padding);
        }
    }
}

/// Our outgoing stream: one SSRC, consecutive sequence numbers, timestamps that advance
/// with the audio, and the marker on the first packet of each talkspurt.
///
/// The starting sequence number and timestamp should be random (RFC 3550 §5.1, against
/// known-plaintext attacks on encrypted streams); they are passed in to keep this pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpSender {
    ssrc: u32,
    payload_type: u8,
    next_sequence: u16,
    next_timestamp: u32,
    talkspurt_start: bool,
}

impl RtpSender {
    /// A stream that starts with a talkspurt (the first packet carries the marker).
    pub fn new(ssrc: u32, payload_type: u8, first_sequence: u16, first_timestamp: u32) -> Self {
        RtpSender {
            ssrc,
            payload_type: payload_type & PAYLOAD_TYPE_MASK,
            next_sequence: first_sequence,
            next_timestamp: first_timestamp,
            talkspurt_start: true,
        }
    }

    /// Appends the next audio packet for a G.711 `payload` (one byte per sample, 160 for
    /// 20 ms) to `out`, and returns its header.
    pub fn audio(&mut self, payload: &[u8], out: &mut Vec<u8>) -> RtpHeader {
        let mut header = RtpHeader::new(
            self.payload_type,
            self.next_sequence,
            self.next_timestamp,
            self.ssrc,
        );
        header.marker = std::mem::take(&mut self.talkspurt_start);
        header.write_checked(payload, out);
        self.next_sequence = self.next_sequence.wrapping_add(1);
        // G.711 at 8 kHz: one byte is one sample. A payload longer than u32::MAX is not a
        // datagram, so the cast is exact for anything we send.
        self.next_timestamp = self.next_timestamp.wrapping_add(payload.len() as u32);
        header
    }

    /// Time passes without sending (silence, hold, a key's tone in another stream): the
    /// timestamp moves on by `samples` and the next packet starts a talkspurt.
    pub fn skip(&mut self, samples: u32) {
        self.next_timestamp = self.next_timestamp.wrapping_add(samples);
        self.talkspurt_start = true;
    }

    /// The next packet starts a talkspurt (after playback was cleared, for instance).
    pub fn mark_talkspurt(&mut self) {
        self.talkspurt_start = true;
    }

    /// Takes `packets` sequence numbers and `frames` frames of time for packets built
    /// elsewhere in the same stream (telephone-events), returning the first sequence
    /// number and the timestamp they start at. Audio resumes after them as a new talkspurt.
    pub fn reserve(&mut self, packets: u16, frames: u32) -> (u16, u32) {
        let start = (self.next_sequence, self.next_timestamp);
        self.next_sequence = self.next_sequence.wrapping_add(packets);
        self.next_timestamp = self
            .next_timestamp
            .wrapping_add(frames.wrapping_mul(FRAME_SAMPLES));
        self.talkspurt_start = true;
        start
    }

    /// The stream's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The audio payload type.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// The sequence number the next packet will carry.
    pub fn next_sequence(&self) -> u16 {
        self.next_sequence
    }

    /// The timestamp the next packet will carry.
    pub fn next_timestamp(&self) -> u32 {
        self.next_timestamp
    }
}

#[cfg(test)]
mod tests;
