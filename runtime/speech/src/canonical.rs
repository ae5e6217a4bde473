//! Engine output to canonical audio: reads the PCM samples of a WAV file as TTS engines
//! produce it, and converts them to 16 kHz mono with `media::resample`.
//!
//! Unlike `media::wav` (which validates uploads and rejects a file cut short), this must
//! accept what a streaming writer emits: eSpeak NG on a pipe cannot seek back, so its
//! header claims a data length of about 2 GiB and the real length is whatever arrives.

use thiserror::Error;

use huashu_media::pcm::CANONICAL_RATE;
use huashu_media::resample;

/// Why a speech engine's audio could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AudioError {
    /// The bytes do not start with a RIFF/WAVE header.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// A chunk the file needs (`fmt ` or `data`) is absent or cut short; carries its id.
    #[error("the WAV file has no `{0}` chunk")]
    MissingChunk(&'static str),
    /// Not 16-bit PCM, or not mono or stereo at 8–48 kHz; carries what the header said.
    #[error("unsupported WAV audio: {0} (16-bit PCM, mono or stereo, 8–48 kHz only)")]
    Unsupported(String),
    /// Resampling to canonical 16 kHz failed; carries why.
    #[error("cannot convert the audio to 16 kHz: {0}")]
    Resample(String),
}

/// Rates a speech engine may reasonably produce; anything else is a broken header.
const RATES: std::ops::RangeInclusive<u32> = 8_000..=48_000;

/// Decodes a 16-bit PCM WAV file to canonical 16 kHz mono samples.
pub(crate) fn wav_to_canonical(bytes: &[u8]) -> Result<Vec<i16>, AudioError> {
    let (rate, channels, data) = pcm16_data(bytes)?;
    let frame_bytes = 2 * usize::from(channels);
    let mono: Vec<i16> = data
        .chunks_exact(frame_bytes)
        .map(|frame| {
            let sum: i32 = frame
                .chunks_exact(2)
                .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
                .sum();
            (sum / i32::from(channels)) as i16
        })
        .collect();
    resample::convert_i16(&mono, rate, CANONICAL_RATE)
        .map_err(|e| AudioError::Resample(e.to_string()))
}

/// The sample rate, channel count and sample bytes of a 16-bit PCM WAV file.
fn pcm16_data(bytes: &[u8]) -> Result<(u32, u16, &[u8]), AudioError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(AudioError::NotWav);
    }
    let le16 = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let le32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut format = None;
    let mut at = 12usize;
    while let (Some(id), Some(size)) = (bytes.get(at..at + 4), le32(at + 4)) {
        let body = at + 8;
        match id {
            b"fmt " => {
                let field = |off: usize| le16(body + off).ok_or(AudioError::MissingChunk("fmt "));
                let mut code = field(0)?;
                if code == 0xFFFE {
                    // WAVE_FORMAT_EXTENSIBLE: the real format starts the sub-format GUID.
                    code = field(24)?;
                }
                let channels = field(2)?;
                let rate = le32(body + 4).ok_or(AudioError::MissingChunk("fmt "))?;
                let bits = field(14)?;
                if code != 1 || bits != 16 {
                    return Err(AudioError::Unsupported(format!(
                        "format code {code}, {bits} bits per sample"
                    )));
                }
                if !(1..=2).contains(&channels) || !RATES.contains(&rate) {
                    return Err(AudioError::Unsupported(format!(
                        "{channels} channels at {rate} Hz"
                    )));
                }
                format = Some((rate, channels));
            }
            b"data" => {
                let (rate, channels) = format.ok_or(AudioError::MissingChunk("fmt "))?;
                // A streamed file's size field is a placeholder: take what is there.
                let end = body.saturating_add(size as usize).min(bytes.len());
                return Ok((rate, channels, bytes.get(body..end).unwrap_or_default()));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at = body
            .saturating_add(size as usize)
            .saturating_add(size as usize & 1);
    }
    Err(AudioError::MissingChunk("data"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_media::wav::encode_pcm16;

    fn tone(freq: f64, rate: u32, ms: u32) -> Vec<i16> {
        (0..rate * ms / 1000)
            .map(|i| {
                (8_000.0 * (std::f64::consts::TAU * freq * f64::from(i) / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    #[test]
    fn reads_a_streamed_wav_whose_length_field_is_a_placeholder() {
        let mut wav = encode_pcm16(&tone(440.0, 16_000, 100), 16_000);
        wav[40..44].copy_from_slice(&0x7FFF_F000u32.to_le_bytes());
        assert_eq!(wav_to_canonical(&wav).map(|s| s.len()), Ok(1_600));
    }

    #[test]
    fn converts_espeaks_rate_to_canonical_keeping_the_length() {
        let wav = encode_pcm16(&tone(440.0, 22_050, 1_000), 22_050);
        let samples = wav_to_canonical(&wav).expect("converted");
        assert!(
            (15_990..=16_010).contains(&samples.len()),
            "{}",
            samples.len()
        );
    }

    #[test]
    fn rejects_audio_it_cannot_convert() {
        assert_eq!(wav_to_canonical(b"ID3 not a wav"), Err(AudioError::NotWav));
        let mut wav = encode_pcm16(&[0; 10], 16_000);
        wav[34] = 8; // 8 bits per sample
        assert!(matches!(
            wav_to_canonical(&wav),
            Err(AudioError::Unsupported(_))
        ));
        let wav = encode_pcm16(&[0; 10], 16_000);
        assert_eq!(
            wav_to_canonical(&wav[..36]),
            Err(AudioError::MissingChunk("data"))
        );
    }
}
