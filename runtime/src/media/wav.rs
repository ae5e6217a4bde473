//! WAV (RIFF) headers: enough to validate an uploaded prompt and know its format and length.

use thiserror::Error;

/// What a prompt upload's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavInfo {
    /// 1 PCM, 3 IEEE float, 6 A-law, 7 mu-law.
    pub format: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
    pub data_bytes: u32,
}

impl WavInfo {
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
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    #[error("the WAV file has no `{0}` chunk")]
    MissingChunk(&'static str),
    #[error("the WAV file is cut short")]
    Truncated,
    #[error("unsupported WAV encoding: {0}")]
    Unsupported(String),
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
                return Ok(info);
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
        1 => matches!(info.bits_per_sample, 8 | 16 | 24 | 32),
        3 => matches!(info.bits_per_sample, 32 | 64),
        6 | 7 => info.bits_per_sample == 8,
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
}
