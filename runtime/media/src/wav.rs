//! WAV (RIFF) files: validating an uploaded prompt's header and length, and decoding any
//! WAV the upload accepts (PCM 8/16/24/32-bit, float 32/64-bit, A-law, mu-law; mono or
//! stereo; 8–192 kHz) into canonical 16 kHz mono samples. Writing is only the minimal PCM
//! file tests and tools need.

use thiserror::Error;

use super::{pcm, resample};

/// What a prompt upload's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavInfo {
    /// 1 PCM, 3 IEEE float, 6 A-law, 7 mu-law.
    /// For `WAVE_FORMAT_EXTENSIBLE` files, the sub-format's code.
    pub format: u16,
    /// Interleaved channels: 1 (mono) or 2 (stereo).
    pub channels: u16,
    /// Sample rate, in Hz (8,000–192,000).
    pub sample_rate: u32,
    /// Bits per sample of one channel: 8, 16, 24 or 32 for PCM, 32 or 64 for float, 8 for
    /// A-law and mu-law.
    pub bits_per_sample: u16,
    /// Length of the `data` chunk, in bytes.
    pub data_bytes: u32,
}

impl WavInfo {
    /// Playing time of the `data` chunk, in ms, rounded down.
    pub fn duration_ms(&self) -> u32 {
        let bytes_per_second = u64::from(self.sample_rate)
            * u64::from(self.channels)
            * u64::from(self.bits_per_sample / 8).max(1);
        (u64::from(self.data_bytes) * 1000 / bytes_per_second.max(1)) as u32
    }
}

/// Why bytes are not a usable WAV file; shown to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WavError {
    /// The bytes do not start with a RIFF/WAVE header.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// A chunk the file needs (`fmt ` or `data`) is absent, or `data` comes before `fmt `;
    /// carries the chunk's id.
    #[error("the WAV file has no `{0}` chunk")]
    MissingChunk(&'static str),
    /// The file ends before a header field or the `data` chunk it announces.
    #[error("the WAV file is cut short")]
    Truncated,
    /// A format code, sample width, channel count or rate the upload does not accept;
    /// carries which.
    #[error("unsupported WAV encoding: {0}")]
    Unsupported(String),
    /// Resampling to canonical 16 kHz failed; carries why.
    #[error("could not convert the audio to 16 kHz: {0}")]
    Convert(String),
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, WavError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(WavError::Truncated)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, WavError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(WavError::Truncated)
}

/// Reads the header of a WAV file.
pub fn parse(bytes: &[u8]) -> Result<WavInfo, WavError> {
    parse_with_data(bytes).map(|(info, _)| info)
}

/// Decodes a WAV file the upload accepts into canonical audio: 16 kHz mono `i16`, stereo
/// averaged to mono, other rates resampled (delay-free, so the prompt's length is kept).
pub fn decode_to_canonical(bytes: &[u8]) -> Result<Vec<i16>, WavError> {
    let (info, samples) = decode_mono(bytes)?;
    resample::to_canonical(&samples, info.sample_rate).map_err(|e| WavError::Convert(e.to_string()))
}

/// Decodes a WAV file to mono float samples in [-1, 1] at its own rate. Samples that are not
/// finite (a corrupt float file) become silence, so they cannot poison the resampler.
pub fn decode_mono(bytes: &[u8]) -> Result<(WavInfo, Vec<f32>), WavError> {
    let (info, data) = parse_with_data(bytes)?;
    let width = usize::from(info.bits_per_sample / 8);
    let channels = usize::from(info.channels);
    let block = width * channels;
    let sample = |b: &[u8]| -> f32 {
        let value = match (info.format, width) {
            (FORMAT_PCM, 1) => (f32::from(b[0]) - 128.0) / 128.0,
            (FORMAT_PCM, 2) => pcm::i16_to_f32(i16::from_le_bytes([b[0], b[1]])),
            // Sign-extend by placing the 24 bits at the top of an i32.
            (FORMAT_PCM, 3) => i32::from_le_bytes([0, b[0], b[1], b[2]]) as f32 / 2_147_483_648.0,
            (FORMAT_PCM, 4) => {
                i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
            }
            (FORMAT_FLOAT, 4) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            (FORMAT_FLOAT, 8) => {
                f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            }
            (FORMAT_ALAW, 1) => pcm::i16_to_f32(super::g711::alaw_decode(b[0])),
            (FORMAT_MULAW, 1) => pcm::i16_to_f32(super::g711::ulaw_decode(b[0])),
            // `check` admits nothing else.
            _ => 0.0,
        };
        if value.is_finite() {
            value.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    };
    // A trailing partial frame (a cut-off upload) is dropped, not misread.
    let samples = data
        .chunks_exact(block)
        .map(|frame| {
            let sum: f32 = frame.chunks_exact(width).map(sample).sum();
            sum / channels as f32
        })
        .collect();
    Ok((info, samples))
}

/// WAV format codes (the `fmt ` chunk's first field): integer PCM, IEEE float, A-law,
/// mu-law.
const FORMAT_PCM: u16 = 1;
const FORMAT_FLOAT: u16 = 3;
const FORMAT_ALAW: u16 = 6;
const FORMAT_MULAW: u16 = 7;

/// The header and the `data` chunk's bytes.
fn parse_with_data(bytes: &[u8]) -> Result<(WavInfo, &[u8]), WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut at = 12;
    let mut fmt = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(bytes, at + 4)? as usize;
        let body = at + 8;
        match id {
            b"fmt " => {
                let mut format = u16_at(bytes, body)?;
                if format == 0xFFFE {
                    // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's start.
                    format = u16_at(bytes, body + 24)?;
                }
                fmt = Some((
                    format,
                    u16_at(bytes, body + 2)?,
                    u32_at(bytes, body + 4)?,
                    u16_at(bytes, body + 14)?,
                ));
            }
            b"data" => {
                let (format, channels, sample_rate, bits_per_sample) =
                    fmt.ok_or(WavError::MissingChunk("fmt "))?;
                if bytes.len() < body + size {
                    return Err(WavError::Truncated);
                }
                let info = WavInfo {
                    format,
                    channels,
                    sample_rate,
                    bits_per_sample,
                    data_bytes: size as u32,
                };
                check(&info)?;
                return Ok((info, &bytes[body..body + size]));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at = body.saturating_add(size).saturating_add(size & 1);
    }
    Err(WavError::MissingChunk("data"))
}

fn check(info: &WavInfo) -> Result<(), WavError> {
    let ok_bits = match info.format {
        FORMAT_PCM => matches!(info.bits_per_sample, 8 | 16 | 24 | 32),
        FORMAT_FLOAT => matches!(info.bits_per_sample, 32 | 64),
        FORMAT_ALAW | FORMAT_MULAW => info.bits_per_sample == 8,
        other => return Err(WavError::Unsupported(format!("format code {other}"))),
    };
    if !ok_bits {
        return Err(WavError::Unsupported(format!(
            "{} bits per sample",
            info.bits_per_sample
        )));
    }
    if !(1..=2).contains(&info.channels) {
        return Err(WavError::Unsupported(format!(
            "{} channels (mono or stereo only)",
            info.channels
        )));
    }
    if !(8_000..=192_000).contains(&info.sample_rate) {
        return Err(WavError::Unsupported(format!(
            "sample rate {} Hz",
            info.sample_rate
        )));
    }
    Ok(())
}

/// A minimal PCM WAV file, for tests and tools.
pub fn encode_pcm16(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let data_bytes = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::Law;

    #[test]
    fn reads_a_pcm_file_and_its_length() {
        let wav = encode_pcm16(&vec![0i16; 16_000], 16_000);
        let info = parse(&wav).expect("valid");
        assert_eq!(
            (info.format, info.channels, info.sample_rate),
            (1, 1, 16_000)
        );
        assert_eq!(info.duration_ms(), 1000);
    }

    #[test]
    fn rejects_what_is_not_a_usable_wav() {
        assert_eq!(parse(b"ID3 an mp3 file"), Err(WavError::NotWav));
        let wav = encode_pcm16(&[0; 100], 16_000);
        assert_eq!(parse(&wav[..60]), Err(WavError::Truncated));
        let mut odd = wav.clone();
        odd[22] = 6; // six channels
        assert!(matches!(parse(&odd), Err(WavError::Unsupported(_))));
    }

    /// A WAV file with any header fields, for formats `encode_pcm16` does not write.
    fn wav_file(format: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let block = channels * bits / 8;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&format.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    /// Checks that `wav` decodes to a canonical 1 kHz tone of `seconds` at `amplitude`.
    fn assert_canonical_tone(wav: &[u8], seconds: f64, amplitude: f64, what: &str) {
        use crate::pcm::test_signals::zero_crossing_freq;
        let out = decode_to_canonical(wav).unwrap_or_else(|e| panic!("{what}: {e}"));
        let want = (seconds * 16_000.0) as usize;
        assert!(
            out.len().abs_diff(want) <= 1,
            "{what}: {} samples",
            out.len()
        );
        let body = &out[800..out.len() - 800];
        let freq = zero_crossing_freq(body, 16_000);
        assert!((freq - 1_000.0).abs() < 5.0, "{what}: {freq:.1} Hz");
        let rms = pcm::rms(body);
        let want_rms = amplitude / std::f64::consts::SQRT_2;
        assert!((rms / want_rms - 1.0).abs() < 0.05, "{what}: rms {rms:.3}");
    }

    fn tone(rate: u32, samples: usize) -> Vec<f64> {
        (0..samples)
            .map(|n| {
                0.5 * (2.0 * std::f64::consts::PI * 1_000.0 * n as f64 / f64::from(rate)).sin()
            })
            .collect()
    }

    #[test]
    fn every_accepted_encoding_decodes_to_canonical_audio() {
        let rate = 44_100;
        let t = tone(rate, 22_050);
        let pcm16: Vec<u8> = t
            .iter()
            .flat_map(|&x| ((x * 32_767.0) as i16).to_le_bytes())
            .collect();
        assert_canonical_tone(&wav_file(1, 1, rate, 16, &pcm16), 0.5, 0.5, "pcm16");
        let pcm8: Vec<u8> = t
            .iter()
            .map(|&x| (x * 127.0 + 128.0).round() as u8)
            .collect();
        assert_canonical_tone(&wav_file(1, 1, rate, 8, &pcm8), 0.5, 0.5, "pcm8");
        let pcm24: Vec<u8> = t
            .iter()
            .flat_map(|&x| {
                let v = (x * 8_388_607.0) as i32;
                let b = v.to_le_bytes();
                [b[0], b[1], b[2]]
            })
            .collect();
        assert_canonical_tone(&wav_file(1, 1, rate, 24, &pcm24), 0.5, 0.5, "pcm24");
        let pcm32: Vec<u8> = t
            .iter()
            .flat_map(|&x| ((x * 2_147_483_647.0) as i32).to_le_bytes())
            .collect();
        assert_canonical_tone(&wav_file(1, 1, rate, 32, &pcm32), 0.5, 0.5, "pcm32");
        let f32s: Vec<u8> = t.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect();
        assert_canonical_tone(&wav_file(3, 1, rate, 32, &f32s), 0.5, 0.5, "float32");
        let f64s: Vec<u8> = t.iter().flat_map(|&x| x.to_le_bytes()).collect();
        assert_canonical_tone(&wav_file(3, 1, rate, 64, &f64s), 0.5, 0.5, "float64");

        let narrow = tone(8_000, 4_000);
        let linear: Vec<i16> = narrow.iter().map(|&x| (x * 32_767.0) as i16).collect();
        for (format, law) in [(6, Law::A), (7, Law::Mu)] {
            let mut codes = Vec::new();
            law.encode(&linear, &mut codes);
            assert_canonical_tone(&wav_file(format, 1, 8_000, 8, &codes), 0.5, 0.5, "g711");
        }

        // Stereo: the channels are averaged (here one side silent: half the level).
        let stereo: Vec<u8> = t
            .iter()
            .flat_map(|&x| {
                let mut b = ((x * 32_767.0) as i16).to_le_bytes().to_vec();
                b.extend_from_slice(&0i16.to_le_bytes());
                b
            })
            .collect();
        assert_canonical_tone(&wav_file(1, 2, rate, 16, &stereo), 0.5, 0.25, "stereo");

        // The top of the accepted range, and a canonical file passing straight through.
        let high: Vec<u8> = tone(192_000, 96_000)
            .iter()
            .flat_map(|&x| ((x * 32_767.0) as i16).to_le_bytes())
            .collect();
        assert_canonical_tone(&wav_file(1, 1, 192_000, 16, &high), 0.5, 0.5, "192k");
        let canonical = encode_pcm16(&[1, -2, 3], 16_000);
        assert_eq!(decode_to_canonical(&canonical), Ok(vec![1, -2, 3]));
    }

    #[test]
    fn corrupt_sample_data_decodes_without_panicking() {
        // Float NaN and infinity become silence; a cut-off last frame is dropped.
        let mut data: Vec<u8> = [f32::NAN, f32::INFINITY, -0.5, 0.25]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        data.push(0x7F);
        let wav = wav_file(3, 1, 16_000, 32, &data);
        let out = decode_to_canonical(&wav).expect("decodes");
        assert_eq!(out, vec![0, 0, -16_384, 8_192]);
        let empty = wav_file(1, 1, 8_000, 16, &[]);
        assert_eq!(decode_to_canonical(&empty), Ok(vec![]));
    }
}
