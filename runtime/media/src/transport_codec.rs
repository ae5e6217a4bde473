//! Canonical audio to and from a transport's codec, at the edge of the media stage:
//! mu-law or A-law at 8 kHz (Twilio, SIP), Opus at 48 kHz (browser), or 16-bit PCM at
//! 16 kHz (the console's raw mode; tests).
//!
//! Three shapes, for three jobs:
//! - [`OutboundEncoder`]: one call's outbound stream, frame by frame, with that call's
//!   streaming resampler and codec state (what the pacer uses for live audio).
//! - [`LineDecoder`] and [`LineResampler`]: one call's inbound stream, payloads of any
//!   length to samples at the line's own rate, and those to canonical frames only where
//!   the audio is needed at 16 kHz.
//! - [`EncodedAudio`]: a whole clip (prompt, TTS result) encoded once, as ready-to-send
//!   20 ms frames, for the prompt cache to share across calls.

use std::time::Duration;

use thiserror::Error;

use super::g711::Law;
use super::opus_codec::{OpusDecoder, OpusEncoder, OpusError};
use super::pcm::{self, CANONICAL_RATE, FRAME_MS, FRAME_SAMPLES};
use super::resample::{self, OPUS_RATE, ResampleError, StreamResampler, TELEPHONY_RATE};

/// The codec and rate a transport carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportCodec {
    /// G.711 mu-law, 8 kHz (Twilio Media Streams' `audio/x-mulaw`).
    Mulaw8k,
    /// G.711 A-law, 8 kHz.
    Alaw8k,
    /// Opus, 48 kHz mono (browser).
    Opus48k,
    /// Little-endian 16-bit PCM at the canonical 16 kHz.
    Pcm16k,
}

impl TransportCodec {
    /// The codec's sample rate.
    pub fn rate(self) -> u32 {
        match self {
            Self::Mulaw8k | Self::Alaw8k => TELEPHONY_RATE,
            Self::Opus48k => OPUS_RATE,
            Self::Pcm16k => CANONICAL_RATE,
        }
    }

    fn law(self) -> Option<Law> {
        match self {
            Self::Mulaw8k => Some(Law::Mu),
            Self::Alaw8k => Some(Law::A),
            Self::Opus48k | Self::Pcm16k => None,
        }
    }

    /// Samples in one 20 ms frame at the codec's rate.
    pub fn frame_samples(self) -> usize {
        pcm::frame_samples_at(self.rate())
    }
}

/// Why audio could not be converted to or from a transport's codec.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CodecError {
    /// Converting between the canonical 16 kHz and the codec's rate failed.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// Opus could not be set up, or a packet could not be decoded.
    #[error(transparent)]
    Opus(#[from] OpusError),
    /// A frame passed in was not 20 ms long; carries the samples it had.
    #[error("a canonical frame is {FRAME_SAMPLES} samples, got {0}")]
    FrameLength(usize),
    /// An inbound 16-bit PCM payload had an odd length; carries its length in bytes.
    #[error("a 16-bit PCM payload must have an even number of bytes, got {0}")]
    OddPcmPayload(usize),
}

/// Encodes one call's outbound canonical frames to its transport's codec, keeping the
/// resampler's and encoder's state from frame to frame.
#[derive(Debug)]
pub struct OutboundEncoder {
    codec: TransportCodec,
    resampler: Option<StreamResampler>,
    opus: Option<OpusEncoder>,
    at_rate: Vec<i16>,
}

impl OutboundEncoder {
    /// An encoder for `codec`, with a streaming resampler when its rate is not 16 kHz.
    pub fn new(codec: TransportCodec) -> Result<Self, CodecError> {
        let resampler = match codec.rate() {
            CANONICAL_RATE => None,
            rate => Some(StreamResampler::new(CANONICAL_RATE, rate)?),
        };
        let opus = match codec {
            TransportCodec::Opus48k => Some(OpusEncoder::new()?),
            _ => None,
        };
        Ok(Self {
            codec,
            resampler,
            opus,
            at_rate: Vec::with_capacity(codec.frame_samples()),
        })
    }

    /// The codec each frame is encoded to.
    pub fn codec(&self) -> TransportCodec {
        self.codec
    }

    /// The fixed delay the resampler adds (the codec's own look-ahead is not counted).
    pub fn latency(&self) -> Duration {
        self.resampler
            .as_ref()
            .map_or(Duration::ZERO, StreamResampler::latency)
    }

    /// Encodes one canonical 20 ms frame and appends exactly one 20 ms payload to `out`.
    pub fn encode_frame(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if frame.len() != FRAME_SAMPLES {
            return Err(CodecError::FrameLength(frame.len()));
        }
        let samples = match &mut self.resampler {
            Some(resampler) => {
                self.at_rate.clear();
                resampler.process(frame, &mut self.at_rate)?;
                &self.at_rate[..]
            }
            None => frame,
        };
        encode_payload(self.codec, self.opus.as_mut(), samples, out)
    }

    /// Forgets the audio in flight (after a `clear`): the next frame starts clean.
    pub fn reset(&mut self) -> Result<(), CodecError> {
        if let Some(resampler) = &mut self.resampler {
            resampler.reset();
        }
        if let Some(opus) = &mut self.opus {
            opus.reset()?;
        }
        Ok(())
    }
}

/// One 20 ms frame at the codec's rate to its payload.
fn encode_payload(
    codec: TransportCodec,
    opus: Option<&mut OpusEncoder>,
    samples: &[i16],
    out: &mut Vec<u8>,
) -> Result<(), CodecError> {
    match (codec.law(), opus) {
        (Some(law), _) => law.encode(samples, out),
        (None, Some(opus)) => {
            opus.encode(samples, out)?;
        }
        (None, None) => out.extend(samples.iter().flat_map(|s| s.to_le_bytes())),
    }
    Ok(())
}

/// Decodes one call's inbound payloads to samples at the codec's own rate, the line rate
/// (8 kHz for G.711, 48 kHz for Opus, 16 kHz for PCM): what the voice activity detector
/// judges. [`LineResampler`] takes them on to 16 kHz where that is needed (recognition,
/// recording), so a line nobody is speaking on is never resampled.
#[derive(Debug)]
pub struct LineDecoder {
    codec: TransportCodec,
    opus: Option<OpusDecoder>,
}

impl LineDecoder {
    /// A decoder for one call's inbound payloads in `codec`.
    pub fn new(codec: TransportCodec) -> Result<Self, CodecError> {
        let opus = match codec {
            TransportCodec::Opus48k => Some(OpusDecoder::new()?),
            _ => None,
        };
        Ok(Self { codec, opus })
    }

    /// The codec the payloads are in; its rate is the line rate of the output.
    pub fn codec(&self) -> TransportCodec {
        self.codec
    }

    /// Decodes one payload (G.711 or PCM of any length, or one Opus packet) and appends its
    /// samples, at the line rate, to `out`. Returns how many were appended. A bad payload
    /// is an error, appends nothing and leaves the stream usable.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let before = out.len();
        match (self.codec.law(), &mut self.opus) {
            (Some(law), _) => law.decode(payload, out),
            (None, Some(opus)) => {
                opus.decode(payload, out)?;
            }
            (None, None) => {
                if !payload.len().is_multiple_of(2) {
                    return Err(CodecError::OddPcmPayload(payload.len()));
                }
                out.extend(
                    payload
                        .chunks_exact(2)
                        .map(|b| i16::from_le_bytes([b[0], b[1]])),
                );
            }
        }
        Ok(out.len() - before)
    }

    /// For Opus, a lost packet: 20 ms of concealment, appended at the line rate. Other
    /// codecs have nothing to conceal with and append 20 ms of silence.
    pub fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        match &mut self.opus {
            Some(opus) => Ok(opus.conceal(out)?),
            None => {
                out.resize(out.len() + self.codec.frame_samples(), 0);
                Ok(self.codec.frame_samples())
            }
        }
    }
}

/// Line-rate 20 ms frames to 20 ms frames at another rate (canonical 16 kHz for the
/// recogniser and recordings, or what a script subscribed to), one for one, the
/// resampler's state carried from frame to frame (nothing to do at the same rate).
#[derive(Debug)]
pub struct LineResampler {
    line_frame: usize,
    resampler: Option<StreamResampler>,
    frame: Vec<i16>,
}

impl LineResampler {
    /// A converter from a line at `line_rate` Hz to canonical 16 kHz.
    pub fn to_canonical(line_rate: u32) -> Result<Self, CodecError> {
        Self::new(line_rate, CANONICAL_RATE)
    }

    /// A converter from a line at `line_rate` Hz to `rate` Hz.
    pub fn new(line_rate: u32, rate: u32) -> Result<Self, CodecError> {
        let resampler = if rate == line_rate {
            None
        } else {
            Some(StreamResampler::new(line_rate, rate)?)
        };
        Ok(Self {
            line_frame: pcm::frame_samples_at(line_rate),
            resampler,
            frame: Vec::with_capacity(pcm::frame_samples_at(rate)),
        })
    }

    /// The fixed delay the conversion adds: the first 20 ms after a reset begin with it.
    pub fn latency(&self) -> Duration {
        self.resampler
            .as_ref()
            .map_or(Duration::ZERO, StreamResampler::latency)
    }

    /// Converts one line frame into one 20 ms frame at the target rate.
    pub fn convert<'a>(&'a mut self, line_frame: &'a [i16]) -> Result<&'a [i16], CodecError> {
        if line_frame.len() != self.line_frame {
            return Err(CodecError::FrameLength(line_frame.len()));
        }
        match &mut self.resampler {
            None => Ok(line_frame),
            Some(resampler) => {
                self.frame.clear();
                resampler.process(line_frame, &mut self.frame)?;
                Ok(&self.frame)
            }
        }
    }

    /// Forgets the audio converted so far: the next frame starts a new stretch (the first
    /// words of an utterance, after the silence before it was never converted).
    pub fn reset(&mut self) {
        if let Some(resampler) = &mut self.resampler {
            resampler.reset();
        }
    }
}

/// A whole clip encoded for one codec as ready-to-send 20 ms frames, shared across calls
/// (`Arc`) by the prompt cache.
///
/// The clip is padded with silence to whole frames, so its playing time is a whole number
/// of frames ([`Self::duration_ms`]): that is the length the session should time playback
/// by. It is resampled in one pass (no streaming delay: the first frame holds the first
/// 20 ms of the clip) and, for Opus, encoded by an encoder of its own, so any call can play
/// it from the start.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedAudio {
    codec: TransportCodec,
    bytes: Vec<u8>,
    /// Where each frame ends in `bytes`.
    ends: Vec<usize>,
    /// The clip's length before padding, in canonical samples.
    samples: usize,
}

impl std::fmt::Debug for EncodedAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedAudio")
            .field("codec", &self.codec)
            .field("frames", &self.frame_count())
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl EncodedAudio {
    /// Encodes a canonical clip.
    pub fn encode(codec: TransportCodec, canonical: &[i16]) -> Result<Self, CodecError> {
        let frames = pcm::frames_for(canonical.len());
        let mut padded = Vec::with_capacity(frames * FRAME_SAMPLES);
        padded.extend_from_slice(canonical);
        padded.resize(frames * FRAME_SAMPLES, 0);
        let mut at_rate = resample::convert_i16(&padded, CANONICAL_RATE, codec.rate())?;
        let frame_len = codec.frame_samples();
        // One-shot conversion rounds its length up; the frame count is the truth.
        at_rate.resize(frames * frame_len, 0);
        let mut opus = match codec {
            TransportCodec::Opus48k => Some(OpusEncoder::new()?),
            _ => None,
        };
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(frames);
        for frame in at_rate.chunks_exact(frame_len) {
            encode_payload(codec, opus.as_mut(), frame, &mut bytes)?;
            ends.push(bytes.len());
        }
        bytes.shrink_to_fit();
        Ok(Self {
            codec,
            bytes,
            ends,
            samples: canonical.len(),
        })
    }

    /// The codec the clip is encoded for.
    pub fn codec(&self) -> TransportCodec {
        self.codec
    }

    /// How many 20 ms frames the clip holds, padding included.
    pub fn frame_count(&self) -> usize {
        self.ends.len()
    }

    /// Frame `index`'s payload.
    pub fn frame(&self, index: usize) -> Option<&[u8]> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.ends[index - 1],
        };
        self.bytes.get(start..end)
    }

    /// Playing time: whole frames.
    pub fn duration_ms(&self) -> u32 {
        u32::try_from(self.frame_count())
            .unwrap_or(u32::MAX)
            .saturating_mul(FRAME_MS)
    }

    /// The clip's own length before padding to frames.
    pub fn clip_ms(&self) -> u32 {
        pcm::canonical_ms(self.samples)
    }

    /// Memory held, for the cache's byte budget.
    pub fn size_bytes(&self) -> usize {
        size_of::<Self>() + self.bytes.capacity() + self.ends.capacity() * size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::rms;
    use crate::pcm::test_signals::{best_correlation, sine, speech_like};

    /// What a voice call does with each payload: decode at the line rate, then convert
    /// every whole line frame to a canonical one.
    struct CanonicalDecoder {
        line: LineDecoder,
        canonical: LineResampler,
        pending: Vec<i16>,
    }

    impl CanonicalDecoder {
        fn new(codec: TransportCodec) -> Self {
            Self {
                line: LineDecoder::new(codec).expect("decoder"),
                canonical: LineResampler::to_canonical(codec.rate()).expect("converter"),
                pending: Vec::new(),
            }
        }

        fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
            self.line.decode(payload, &mut self.pending)?;
            let n = self.line.codec().frame_samples();
            let whole = self.pending.len() / n * n;
            for frame in self.pending[..whole].chunks_exact(n) {
                out.extend_from_slice(self.canonical.convert(frame)?);
            }
            self.pending.drain(..whole);
            Ok(whole / n * FRAME_SAMPLES)
        }
    }

    const ALL: [TransportCodec; 4] = [
        TransportCodec::Mulaw8k,
        TransportCodec::Alaw8k,
        TransportCodec::Opus48k,
        TransportCodec::Pcm16k,
    ];

    #[test]
    fn streaming_each_codec_out_and_back_gives_20ms_for_20ms() {
        let input = speech_like(CANONICAL_RATE, 16_000);
        for codec in ALL {
            let mut encoder = OutboundEncoder::new(codec).expect("encoder");
            let mut decoder = CanonicalDecoder::new(codec);
            let mut output = Vec::new();
            for frame in input.chunks_exact(FRAME_SAMPLES) {
                let mut payload = Vec::new();
                encoder.encode_frame(frame, &mut payload).expect("encodes");
                if codec != TransportCodec::Opus48k {
                    let per_sample = if codec == TransportCodec::Pcm16k {
                        2
                    } else {
                        1
                    };
                    assert_eq!(payload.len(), codec.frame_samples() * per_sample);
                }
                assert_eq!(
                    decoder.decode(&payload, &mut output).expect("decodes"),
                    FRAME_SAMPLES,
                    "{codec:?}"
                );
            }
            assert_eq!(output.len(), input.len(), "{codec:?}");
            let (corr, lag) = best_correlation(&input[..12_000], &output, 1_200);
            assert!(corr > 0.85, "{codec:?}: correlation {corr:.3} at lag {lag}");
            let expected =
                (encoder.latency() + decoder.canonical.latency()).as_millis() as usize * 16;
            // Opus adds its own look-ahead (6.5 ms) on top of the resamplers.
            let slack = if codec == TransportCodec::Opus48k {
                110
            } else {
                2
            };
            assert!(
                lag >= expected && lag <= expected + slack,
                "{codec:?}: lag {lag}"
            );
        }
    }

    #[test]
    fn a_clip_is_encoded_once_into_whole_frames() {
        let clip = sine(440.0, CANONICAL_RATE, 0.5, 16_000 + 100);
        for codec in ALL {
            let encoded = EncodedAudio::encode(codec, &clip).expect("encodes");
            assert_eq!(encoded.frame_count(), 51, "{codec:?}");
            assert_eq!(encoded.duration_ms(), 1_020);
            assert_eq!(encoded.clip_ms(), 1_006);
            assert!(encoded.frame(51).is_none());
            let mut decoder = CanonicalDecoder::new(codec);
            let mut output = Vec::new();
            for i in 0..encoded.frame_count() {
                let frame = encoded.frame(i).expect("frame");
                decoder.decode(frame, &mut output).expect("decodes");
            }
            assert_eq!(output.len(), 51 * FRAME_SAMPLES);
            let level = rms(&output[4_000..12_000]) / rms(&clip[4_000..12_000]);
            assert!((level - 1.0).abs() < 0.1, "{codec:?}: level ×{level:.3}");
        }
        let mu = EncodedAudio::encode(TransportCodec::Mulaw8k, &clip).expect("encodes");
        assert_eq!(mu.frame(0).map(<[u8]>::len), Some(160));
        assert!(mu.size_bytes() >= 51 * 160);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut pcm = LineDecoder::new(TransportCodec::Pcm16k).expect("decoder");
        let mut decoded = vec![7];
        assert_eq!(
            pcm.decode(&[1, 2, 3], &mut decoded),
            Err(CodecError::OddPcmPayload(3))
        );
        assert_eq!(decoded, [7], "a refused payload appends nothing");
        let mut opus = LineDecoder::new(TransportCodec::Opus48k).expect("decoder");
        assert!(matches!(
            opus.decode(&[0x03, 0x00], &mut Vec::new()),
            Err(CodecError::Opus(OpusError::BadPacket(_)))
        ));
        let mut concealed = Vec::new();
        opus.conceal(&mut concealed).expect("conceals");
        opus.conceal(&mut concealed).expect("conceals");
        assert_eq!(concealed.len(), 2 * 960);
        let mut mulaw = LineDecoder::new(TransportCodec::Mulaw8k).expect("decoder");
        assert_eq!(mulaw.conceal(&mut concealed), Ok(160));
        let mut to_canonical = LineResampler::to_canonical(8_000).expect("converter");
        assert_eq!(
            to_canonical.convert(&[0; 320]),
            Err(CodecError::FrameLength(320))
        );
        let mut encoder = OutboundEncoder::new(TransportCodec::Mulaw8k).expect("encoder");
        assert_eq!(
            encoder.encode_frame(&[0; 100], &mut Vec::new()),
            Err(CodecError::FrameLength(100))
        );
    }

    #[test]
    fn canonical_conversion_is_frame_for_frame_and_starts_clean_after_a_reset() {
        let line = sine(440.0, 8_000, 0.5, 8_000);
        let mut to_canonical = LineResampler::to_canonical(8_000).expect("converter");
        let mut first = Vec::new();
        for frame in line.chunks_exact(160) {
            let canonical = to_canonical.convert(frame).expect("converts");
            assert_eq!(canonical.len(), FRAME_SAMPLES);
            first.extend_from_slice(canonical);
        }
        to_canonical.reset();
        let mut again = Vec::new();
        for frame in line.chunks_exact(160) {
            again.extend_from_slice(to_canonical.convert(frame).expect("converts"));
        }
        assert_eq!(first, again, "a reset converter repeats itself exactly");
        let tone = &first[4_000..12_000];
        assert!((rms(tone) / rms(&line[2_000..6_000]) - 1.0).abs() < 0.05);
        let mut passthrough = LineResampler::to_canonical(CANONICAL_RATE).expect("converter");
        let frame = sine(440.0, CANONICAL_RATE, 0.5, FRAME_SAMPLES);
        assert_eq!(passthrough.convert(&frame), Ok(&frame[..]));
        assert_eq!(passthrough.latency(), Duration::ZERO);
    }

    /// Every line a call can have converts to every rate a script can subscribe with.
    #[test]
    fn every_line_converts_to_every_subscription_rate() {
        for codec in ALL {
            for rate in [8_000, 16_000] {
                let mut converter = LineResampler::new(codec.rate(), rate).expect("converter");
                let line = sine(440.0, codec.rate(), 0.5, codec.frame_samples());
                let frame = converter.convert(&line).expect("converts");
                assert_eq!(frame.len(), rate as usize / 50, "{codec:?} to {rate}");
            }
        }
    }
}
