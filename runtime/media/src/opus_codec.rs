//! Opus at 48 kHz mono, 20 ms frames: the browser console's codec. Wraps the `opus` crate
//! on the system libopus (Debian's `libopus-dev`, found through pkg-config).
//!
//! Owns one encoder or decoder per call direction and the checks that keep bad input away
//! from libopus: a packet from the network that is empty, oversized or corrupt is a typed
//! [`OpusError`], never a panic. Rates are not its business: callers resample to and from
//! 48 kHz ([`super::resample`]).

use thiserror::Error;

use super::pcm::frame_samples_at;
use super::resample::OPUS_RATE;

/// Samples in one 20 ms frame at 48 kHz: the only frame size we encode.
pub const OPUS_FRAME_SAMPLES: usize = frame_samples_at(OPUS_RATE);

/// Encoder bitrate: 24 kbit/s is where Opus's wideband speech stops improving audibly and
/// is what WebRTC voice typically settles at; it fits any browser's uplink.
pub const OPUS_BITRATE: i32 = 24_000;

/// The most bytes one encoded 20 ms frame can take (RFC 6716 §3.2.1: 1,275 per frame).
const MAX_FRAME_BYTES: usize = 1_275;

/// The largest packet we hand to libopus: six maximal frames (120 ms, the longest packet
/// RFC 6716 allows) plus framing. Anything bigger is corrupt or hostile; refusing it early
/// also caps the decoder's work per packet.
pub const MAX_PACKET_BYTES: usize = 6 * MAX_FRAME_BYTES + 16;

/// Samples in the longest packet Opus can carry (120 ms at 48 kHz): the decoder's output
/// buffer.
const MAX_PACKET_SAMPLES: usize = 120 * OPUS_RATE as usize / 1_000;

/// What went wrong with Opus audio.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpusError {
    /// The packet from the far end cannot be decoded; drop it (or conceal the gap).
    #[error("undecodable Opus packet: {0}")]
    BadPacket(String),
    /// Our own caller passed a frame of the wrong length.
    #[error("an Opus frame is {expected} samples at 48 kHz, got {got}")]
    FrameLength {
        /// Samples a frame must have: [`OPUS_FRAME_SAMPLES`] (20 ms at 48 kHz).
        expected: usize,
        /// Samples the caller passed.
        got: usize,
    },
    /// libopus refused to set up or run a codec.
    #[error("the Opus codec failed: {0}")]
    Codec(String),
}

fn codec_error(e: opus::Error) -> OpusError {
    OpusError::Codec(e.to_string())
}

/// Encodes 20 ms frames of 48 kHz mono audio, one call direction.
pub struct OpusEncoder {
    inner: opus::Encoder,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// A VoIP-tuned encoder at [`OPUS_BITRATE`].
    pub fn new() -> Result<Self, OpusError> {
        let mut inner =
            opus::Encoder::new(OPUS_RATE, opus::Channels::Mono, opus::Application::Voip)
                .map_err(codec_error)?;
        inner
            .set_bitrate(opus::Bitrate::Bits(OPUS_BITRATE))
            .map_err(codec_error)?;
        Ok(Self {
            inner,
            scratch: vec![0; MAX_FRAME_BYTES],
        })
    }

    /// Encodes one 20 ms frame ([`OPUS_FRAME_SAMPLES`] samples) and appends the packet to
    /// `out`. Returns the packet's length.
    pub fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<usize, OpusError> {
        if frame.len() != OPUS_FRAME_SAMPLES {
            return Err(OpusError::FrameLength {
                expected: OPUS_FRAME_SAMPLES,
                got: frame.len(),
            });
        }
        let len = self
            .inner
            .encode(frame, &mut self.scratch)
            .map_err(codec_error)?;
        out.extend_from_slice(&self.scratch[..len]);
        Ok(len)
    }

    /// Samples of look-ahead the encoder adds (its algorithmic delay at 48 kHz).
    pub fn lookahead(&mut self) -> Result<usize, OpusError> {
        let samples = self.inner.get_lookahead().map_err(codec_error)?;
        Ok(usize::try_from(samples).unwrap_or(0))
    }

    /// Starts afresh (a new stream after a `clear`).
    pub fn reset(&mut self) -> Result<(), OpusError> {
        self.inner.reset_state().map_err(codec_error)
    }
}

/// Decodes Opus packets from one call's far end to 48 kHz mono samples.
pub struct OpusDecoder {
    inner: opus::Decoder,
    scratch: Vec<i16>,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A mono decoder at 48 kHz, with room for the longest packet Opus allows (120 ms).
    pub fn new() -> Result<Self, OpusError> {
        Ok(Self {
            inner: opus::Decoder::new(OPUS_RATE, opus::Channels::Mono).map_err(codec_error)?,
            scratch: vec![0; MAX_PACKET_SAMPLES],
        })
    }

    /// Decodes one packet and appends its samples (any packet length Opus allows, 2.5 to
    /// 120 ms) to `out`. Returns how many were appended. On error nothing is appended and
    /// the decoder stays usable.
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<i16>) -> Result<usize, OpusError> {
        if packet.is_empty() {
            return Err(OpusError::BadPacket("empty packet".into()));
        }
        if packet.len() > MAX_PACKET_BYTES {
            return Err(OpusError::BadPacket(format!(
                "{} bytes (at most {MAX_PACKET_BYTES})",
                packet.len()
            )));
        }
        let samples = self
            .inner
            .decode(packet, &mut self.scratch, false)
            .map_err(|e| OpusError::BadPacket(e.to_string()))?;
        let decoded = self
            .scratch
            .get(..samples)
            .ok_or_else(|| OpusError::BadPacket("decoder reported too many samples".into()))?;
        out.extend_from_slice(decoded);
        Ok(samples)
    }

    /// Fills a lost 20 ms packet with libopus's concealment (a plausible continuation of the
    /// last audio, fading to silence) and appends it to `out`.
    pub fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, OpusError> {
        let frame = &mut self.scratch[..OPUS_FRAME_SAMPLES];
        let samples = self.inner.decode(&[], frame, false).map_err(codec_error)?;
        out.extend_from_slice(&frame[..samples.min(OPUS_FRAME_SAMPLES)]);
        Ok(samples)
    }

    /// Forgets the decoder's state, so the next packet is decoded as the start of a new
    /// stream and concealment has no past audio to continue.
    pub fn reset(&mut self) -> Result<(), OpusError> {
        self.inner.reset_state().map_err(codec_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::test_signals::{best_correlation, speech_like};

    #[test]
    fn speech_like_audio_survives_encode_and_decode() {
        let input = speech_like(OPUS_RATE, OPUS_RATE as usize);
        let mut encoder = OpusEncoder::new().expect("encoder");
        let mut decoder = OpusDecoder::new().expect("decoder");
        let mut output = Vec::new();
        let mut bytes = 0;
        for frame in input.chunks_exact(OPUS_FRAME_SAMPLES) {
            let mut packet = Vec::new();
            bytes += encoder.encode(frame, &mut packet).expect("encodes");
            assert_eq!(
                decoder.decode(&packet, &mut output).expect("decodes"),
                OPUS_FRAME_SAMPLES
            );
        }
        assert_eq!(output.len(), input.len());
        // About the configured bitrate (VBR wanders).
        let bitrate = bytes * 8;
        assert!((12_000..=40_000).contains(&bitrate), "{bitrate} bit/s");
        // The codec delays by about its look-ahead (the best-matching lag of a harmonic
        // signal lands within a third of a millisecond of it); then the waveform matches.
        let lookahead = encoder.lookahead().expect("lookahead");
        let (corr, lag) = best_correlation(&input[..40_000], &output, 2 * lookahead);
        assert!(
            lag.abs_diff(lookahead) <= 16,
            "lag {lag}, look-ahead {lookahead}"
        );
        // SILK, the speech layer Opus picks for VoIP, codes the spectrum rather than the
        // exact waveform: sample-level correlation stays high but not near 1 (about 0.79
        // here at 24 or 32 kbit/s alike), while the loudness contour, what a listener and
        // a recogniser follow, tracks the input closely.
        assert!(corr > 0.7, "waveform correlation {corr:.3}");
        let envelope = |s: &[i16]| -> Vec<i16> {
            s.chunks_exact(480)
                .map(|c| (crate::pcm::rms(c) * 32_767.0) as i16)
                .collect()
        };
        let (env_corr, _) =
            best_correlation(&envelope(&input[..40_000]), &envelope(&output[lag..]), 1);
        assert!(
            env_corr > 0.98,
            "loudness contour correlation {env_corr:.3}"
        );
    }

    #[test]
    fn bad_packets_are_errors_and_the_decoder_carries_on() {
        let mut decoder = OpusDecoder::new().expect("decoder");
        let mut out = Vec::new();
        assert!(matches!(
            decoder.decode(&[], &mut out),
            Err(OpusError::BadPacket(_))
        ));
        assert!(matches!(
            decoder.decode(&vec![0u8; MAX_PACKET_BYTES + 1], &mut out),
            Err(OpusError::BadPacket(_))
        ));
        // TOC byte for code 3 (arbitrary frame count) with a frame count of zero: invalid.
        assert!(matches!(
            decoder.decode(&[0x03, 0x00], &mut out),
            Err(OpusError::BadPacket(_))
        ));
        // Code 1 (two equal frames) with an odd payload length: invalid.
        assert!(matches!(
            decoder.decode(&[0x01, 0xAA], &mut out),
            Err(OpusError::BadPacket(_))
        ));
        assert!(out.is_empty());
        // Random bytes never panic, whatever libopus makes of them.
        let mut state = 0x2545_F491_u32;
        for _ in 0..2_000 {
            let len = 1 + (state % 200) as usize;
            let packet: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            let _ = decoder.decode(&packet, &mut out);
        }
        // And it still decodes a good packet afterwards.
        let mut encoder = OpusEncoder::new().expect("encoder");
        let mut packet = Vec::new();
        encoder
            .encode(&[0; OPUS_FRAME_SAMPLES], &mut packet)
            .expect("encodes");
        let mut good = Vec::new();
        assert_eq!(decoder.decode(&packet, &mut good), Ok(OPUS_FRAME_SAMPLES));
        assert_eq!(decoder.conceal(&mut good), Ok(OPUS_FRAME_SAMPLES));
    }

    #[test]
    fn frames_of_the_wrong_length_are_refused() {
        let mut encoder = OpusEncoder::new().expect("encoder");
        assert_eq!(
            encoder.encode(&[0; 320], &mut Vec::new()),
            Err(OpusError::FrameLength {
                expected: 960,
                got: 320
            })
        );
    }
}
