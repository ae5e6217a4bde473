//! The customer's side of a SIP call's RTP (RFC 3550): our outgoing stream, one packet per
//! 20 ms slot (a G.711 frame, or one packet of a key press as an RFC 4733
//! telephone-event), and the few fields of the server's packets the generator reads.
//!
//! Written into fixed arrays: a call sends 50 packets a second for as long as it is held,
//! and none of them allocates.

use super::customer_audio::{FRAME_BYTES, RawFrame};

/// The fixed RTP header: no CSRCs, no extension.
pub const HEADER_BYTES: usize = 12;

/// RTP version 2 in the first byte's top bits; no padding, extension or CSRCs.
const VERSION_2: u8 = 0x80;

/// Samples in one 20 ms slot at 8 kHz: the timestamp step.
const FRAME_SAMPLES: u32 = 160;

/// A key press as RFC 4733 recommends sending it (§2.5.1): four updates 20 ms apart whose
/// duration grows by a slot, then the end packet three times so one loss does not leave
/// the receiver waiting. 100 ms in all, what carriers' IVRs are tuned for.
const KEY_UPDATES: usize = 4;
const KEY_ENDS: usize = 3;
pub const KEY_PACKETS: usize = KEY_UPDATES + KEY_ENDS;

/// The volume a key press announces, in -dBm0 (ITU-T Q.23 sends keys at about -10).
const KEY_VOLUME: u8 = 10;

/// Bytes in one telephone-event packet.
pub const KEY_PACKET_BYTES: usize = HEADER_BYTES + 4;

/// Our outgoing stream: one SSRC, a sequence number per packet, a timestamp per slot.
#[derive(Debug, Clone)]
pub struct RtpOut {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    /// The next audio packet starts a talkspurt (the first one, and the first after a key).
    marker: bool,
    packet: [u8; HEADER_BYTES + FRAME_BYTES],
}

/// The packets of one key press, sent one per slot in place of audio.
#[derive(Debug, Clone)]
pub struct KeyPress {
    packets: [[u8; KEY_PACKET_BYTES]; KEY_PACKETS],
    next: usize,
}

impl KeyPress {
    /// The next packet to send.
    pub fn next_packet(&mut self) -> Option<[u8; KEY_PACKET_BYTES]> {
        let packet = *self.packets.get(self.next)?;
        self.next += 1;
        Some(packet)
    }

    /// Every packet of the press has been sent.
    pub fn finished(&self) -> bool {
        self.next >= KEY_PACKETS
    }
}

impl RtpOut {
    pub fn new(ssrc: u32, first_sequence: u16, first_timestamp: u32) -> Self {
        Self {
            ssrc,
            sequence: first_sequence,
            timestamp: first_timestamp,
            marker: true,
            packet: [0; HEADER_BYTES + FRAME_BYTES],
        }
    }

    fn header(&mut self, payload_type: u8, marker: bool, timestamp: u32) -> [u8; HEADER_BYTES] {
        let mut header = [0; HEADER_BYTES];
        header[0] = VERSION_2;
        header[1] = (u8::from(marker) << 7) | (payload_type & 0x7F);
        header[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        header[4..8].copy_from_slice(&timestamp.to_be_bytes());
        header[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        self.sequence = self.sequence.wrapping_add(1);
        header
    }

    /// The packet carrying one 20 ms frame of audio.
    pub fn audio(&mut self, payload_type: u8, frame: &RawFrame) -> &[u8] {
        let marker = std::mem::take(&mut self.marker);
        let header = self.header(payload_type, marker, self.timestamp);
        self.timestamp = self.timestamp.wrapping_add(FRAME_SAMPLES);
        self.packet[..HEADER_BYTES].copy_from_slice(&header);
        self.packet[HEADER_BYTES..].copy_from_slice(frame);
        &self.packet
    }

    /// The packets of a press of `key` (`0`–`9`, `*`, `#`, `A`–`D`), starting in the
    /// current slot: all stamped with the press's start, the first with the marker, the
    /// sequence numbers consecutive. Audio resumes after them as a new talkspurt, its
    /// timestamp past the slots the press took. `None` for a key that is not one.
    pub fn key_press(&mut self, payload_type: u8, key: char) -> Option<KeyPress> {
        let event = event_code(key)?;
        let start = self.timestamp;
        let mut packets = [[0u8; KEY_PACKET_BYTES]; KEY_PACKETS];
        for (n, packet) in packets.iter_mut().enumerate() {
            let end = n >= KEY_UPDATES;
            let slots = if end { KEY_UPDATES + 1 } else { n + 1 };
            let duration = u16::try_from(slots as u32 * FRAME_SAMPLES).unwrap_or(u16::MAX);
            let header = self.header(payload_type, n == 0, start);
            packet[..HEADER_BYTES].copy_from_slice(&header);
            packet[HEADER_BYTES] = event;
            packet[HEADER_BYTES + 1] = (u8::from(end) << 7) | KEY_VOLUME;
            packet[HEADER_BYTES + 2..].copy_from_slice(&duration.to_be_bytes());
        }
        self.timestamp = start.wrapping_add(KEY_PACKETS as u32 * FRAME_SAMPLES);
        self.marker = true;
        Some(KeyPress { packets, next: 0 })
    }
}

/// The RFC 4733 event code of a keypad key.
fn event_code(key: char) -> Option<u8> {
    const KEYS: &[u8; 16] = b"0123456789*#ABCD";
    let upper = u8::try_from(key.to_ascii_uppercase()).ok()?;
    KEYS.iter()
        .position(|&k| k == upper)
        .and_then(|i| u8::try_from(i).ok())
}

/// An incoming packet's payload type and payload, past CSRCs and any header extension;
/// `None` for a datagram that is not RTP version 2.
pub fn payload_of(datagram: &[u8]) -> Option<(u8, &[u8])> {
    let header = datagram.get(..HEADER_BYTES)?;
    if header[0] >> 6 != 2 {
        return None;
    }
    let csrcs = usize::from(header[0] & 0x0F);
    let mut start = HEADER_BYTES + 4 * csrcs;
    if header[0] & 0x10 != 0 {
        let words = datagram.get(start + 2..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = datagram.len();
    if header[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*datagram.last()?))?;
    }
    Some((header[1] & 0x7F, datagram.get(start..end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field16(packet: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([packet[at], packet[at + 1]])
    }

    fn field32(packet: &[u8], at: usize) -> u32 {
        u32::from_be_bytes([packet[at], packet[at + 1], packet[at + 2], packet[at + 3]])
    }

    #[test]
    fn audio_packets_step_by_a_slot_and_mark_only_the_first() {
        let mut out = RtpOut::new(0xABCD_0001, 65_535, 1_000);
        let frame = [0xFF; FRAME_BYTES];
        let first = out.audio(0, &frame).to_vec();
        let second = out.audio(0, &frame).to_vec();
        assert_eq!(first.len(), HEADER_BYTES + FRAME_BYTES);
        assert_eq!((first[0], first[1]), (0x80, 0x80), "v2, marker, PCMU");
        assert_eq!(second[1], 0x00);
        assert_eq!((field16(&first, 2), field16(&second, 2)), (65_535, 0));
        assert_eq!((field32(&first, 4), field32(&second, 4)), (1_000, 1_160));
        assert_eq!(field32(&second, 8), 0xABCD_0001);
        assert_eq!(payload_of(&second), Some((0, &frame[..])));
    }

    #[test]
    fn a_key_press_is_four_updates_and_three_ends_on_one_timestamp() {
        let mut out = RtpOut::new(7, 100, 8_000);
        let frame = [0xD5; FRAME_BYTES];
        out.audio(8, &frame);
        let mut press = out.key_press(101, '#').expect("a key");
        let mut packets = Vec::new();
        while !press.finished() {
            packets.push(press.next_packet().expect("a packet until finished"));
        }
        assert_eq!(packets.len(), KEY_PACKETS);
        assert_eq!(press.next_packet(), None);
        let durations: Vec<u16> = packets.iter().map(|p| field16(p, 14)).collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        for (n, packet) in packets.iter().enumerate() {
            assert_eq!(packet[1], if n == 0 { 0x80 | 101 } else { 101 });
            assert_eq!(field16(packet, 2), 101 + n as u16);
            assert_eq!(field32(packet, 4), 8_160, "the press's start");
            assert_eq!(packet[12], 11, "# is event 11");
            assert_eq!(packet[13] & 0x80 != 0, n >= 4, "end bit");
        }
        // Audio resumes after the seven slots, as a new talkspurt.
        let after = out.audio(8, &frame).to_vec();
        assert_eq!(field16(&after, 2), 108);
        assert_eq!(field32(&after, 4), 8_160 + 7 * 160);
        assert_eq!(after[1], 0x80 | 8);
        assert!(out.key_press(101, 'x').is_none());
    }

    #[test]
    fn incoming_payloads_skip_csrcs_extensions_and_padding() {
        let mut packet = vec![0x80 | 0x20 | 0x10 | 1, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9];
        packet.extend_from_slice(&[1, 2, 3, 4]); // one CSRC
        packet.extend_from_slice(&[0xBE, 0xDE, 0, 1, 9, 9, 9, 9]); // a one-word extension
        packet.extend_from_slice(&[7; 160]);
        packet.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        assert_eq!(payload_of(&packet), Some((8, &[7u8; 160][..])));
        assert_eq!(payload_of(&[0x40; 20]), None, "version 1");
        assert_eq!(payload_of(&[0x80; 5]), None, "too short");
        assert_eq!(payload_of(b"SIP/2.0 200 OK\r\n"), None);
    }
}
