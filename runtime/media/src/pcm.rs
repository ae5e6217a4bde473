//! The canonical audio every other stage sees: 16 kHz mono signed 16-bit PCM, cut into
//! 20 ms frames. Owns the constants, the `i16` ↔ `f32` conversions the resampler and the
//! codecs need, and mixing two streams into one (call recording). It does not own any
//! codec or rate conversion: those are [`super::g711`], [`super::opus_codec`] and
//! [`super::resample`].

/// Canonical sample rate: wideband speech. Covers what telephony (8 kHz) carries and what
/// speech recognisers are trained on (16 kHz), at a third of Opus's 48 kHz cost.
pub const CANONICAL_RATE: u32 = 16_000;

/// Frame length: 20 ms is what Twilio Media Streams, G.711 RTP and WebRTC Opus all use by
/// default, so one canonical frame maps to exactly one transport packet.
pub const FRAME_MS: u32 = 20;

/// Frames per second at [`FRAME_MS`].
pub const FRAMES_PER_SECOND: u32 = 1_000 / FRAME_MS;

/// Samples in one canonical frame: 16 kHz × 20 ms.
pub const FRAME_SAMPLES: usize = (CANONICAL_RATE / FRAMES_PER_SECOND) as usize;

/// One canonical 20 ms frame.
pub type Frame = [i16; FRAME_SAMPLES];

/// Samples in one 20 ms frame at `rate` Hz (rates that are not a multiple of 50 Hz round
/// down).
pub const fn frame_samples_at(rate: u32) -> usize {
    (rate / FRAMES_PER_SECOND) as usize
}

/// How many whole milliseconds `samples` canonical samples last.
pub fn canonical_ms(samples: usize) -> u32 {
    u32::try_from(samples as u64 * 1_000 / u64::from(CANONICAL_RATE)).unwrap_or(u32::MAX)
}

/// How many canonical frames hold `samples` samples, the last one padded.
pub fn frames_for(samples: usize) -> usize {
    samples.div_ceil(FRAME_SAMPLES)
}

/// The scale between `i16` and `f32` audio: full scale `i16` maps to ±1.0.
const I16_SCALE: f32 = 32_768.0;

/// One sample as float in [-1.0, 1.0).
pub fn i16_to_f32(sample: i16) -> f32 {
    f32::from(sample) / I16_SCALE
}

/// One float sample back to `i16`, rounded and clipped (resampler overshoot near full scale
/// must clip, not wrap).
pub fn f32_to_i16(sample: f32) -> i16 {
    // `as` saturates and maps NaN to 0, which is what we want for audio.
    (sample * I16_SCALE).round().clamp(-32_768.0, 32_767.0) as i16
}

/// Appends `input` as floats to `out`.
pub fn extend_f32(out: &mut Vec<f32>, input: &[i16]) {
    out.extend(input.iter().map(|&s| i16_to_f32(s)));
}

/// Appends `input` as `i16` samples to `out`.
pub fn extend_i16(out: &mut Vec<i16>, input: &[f32]) {
    out.extend(input.iter().map(|&s| f32_to_i16(s)));
}

/// Mixes `b` into `a` sample by sample, saturating. The shorter stream counts as silence
/// past its end, so `a` grows to the longer length.
///
/// A plain saturating sum, not an average: in a call the two sides rarely speak at full
/// level at once, and averaging would halve both voices in the recording all the time.
pub fn mix_into(a: &mut Vec<i16>, b: &[i16]) {
    mix_at(a, 0, b);
}

/// Mixes `b` into `a` starting at sample `at`, saturating, as [`mix_into`] does from the
/// start; `a` grows (with silence) to reach `b`'s end.
pub fn mix_at(a: &mut Vec<i16>, at: usize, b: &[i16]) {
    let end = at + b.len();
    if a.len() < end {
        a.resize(end, 0);
    }
    for (x, &y) in a[at..end].iter_mut().zip(b) {
        *x = x.saturating_add(y);
    }
}

/// The mono mix of two streams (caller and bot, for a call recording).
pub fn mix(a: &[i16], b: &[i16]) -> Vec<i16> {
    let mut out = a.to_vec();
    mix_into(&mut out, b);
    out
}

/// Two mono streams as one interleaved stereo stream (left `a`, right `b`), the shorter
/// padded with silence: a recording that keeps the two sides apart for review.
pub fn interleave_stereo(a: &[i16], b: &[i16]) -> Vec<i16> {
    let len = a.len().max(b.len());
    let mut out = Vec::with_capacity(len * 2);
    for i in 0..len {
        out.push(a.get(i).copied().unwrap_or(0));
        out.push(b.get(i).copied().unwrap_or(0));
    }
    out
}

/// The root-mean-square level of `samples` relative to full scale (0.0 for silence).
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples
        .iter()
        .map(|&s| {
            let x = f64::from(s) / f64::from(I16_SCALE);
            x * x
        })
        .sum();
    (sum / samples.len() as f64).sqrt()
}

pub mod test_signals {
    //! Synthetic signals for the tests and benchmarks of this stage and of the stages
    //! after it.

    /// A sine of `freq` Hz at `amplitude` (0..1 of full scale), `samples` long.
    pub fn sine(freq: f64, rate: u32, amplitude: f64, samples: usize) -> Vec<i16> {
        (0..samples)
            .map(|n| {
                let t = n as f64 / f64::from(rate);
                (amplitude * 32_767.0 * (2.0 * std::f64::consts::PI * freq * t).sin()) as i16
            })
            .collect()
    }

    /// Something like voiced speech: a 140 Hz fundamental with falling harmonics, its
    /// loudness swinging at a syllable rate of 4 Hz.
    pub fn speech_like(rate: u32, samples: usize) -> Vec<i16> {
        (0..samples)
            .map(|n| {
                let t = n as f64 / f64::from(rate);
                let f0 = 140.0 + 20.0 * (2.0 * std::f64::consts::PI * 0.7 * t).sin();
                let voice: f64 = (1..=12)
                    .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
                    .sum();
                let envelope = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 4.0 * t).sin();
                (voice * envelope * 0.25 * 32_767.0).clamp(-32_768.0, 32_767.0) as i16
            })
            .collect()
    }

    /// The dominant frequency of `samples` (Hz), from zero crossings: plenty for a pure
    /// sine.
    pub fn zero_crossing_freq(samples: &[i16], rate: u32) -> f64 {
        let crossings = samples
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        crossings as f64 / 2.0 / (samples.len() as f64 / f64::from(rate))
    }

    /// The best normalised cross-correlation of `a` and `b` over lags `0..max_lag` (b
    /// delayed against a).
    pub fn best_correlation(a: &[i16], b: &[i16], max_lag: usize) -> (f64, usize) {
        let mut best = (f64::MIN, 0);
        for lag in 0..max_lag {
            let n = a.len().min(b.len().saturating_sub(lag));
            if n == 0 {
                break;
            }
            let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let x = f64::from(a[i]);
                let y = f64::from(b[i + lag]);
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            let c = ab / (aa.sqrt() * bb.sqrt()).max(1.0);
            if c > best.0 {
                best = (c, lag);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_320_samples_of_20_ms() {
        assert_eq!(FRAME_SAMPLES, 320);
        assert_eq!(frame_samples_at(8_000), 160);
        assert_eq!(frame_samples_at(48_000), 960);
        assert_eq!(canonical_ms(FRAME_SAMPLES), 20);
        assert_eq!(frames_for(321), 2);
    }

    #[test]
    fn float_conversion_round_trips_and_clips() {
        for s in [i16::MIN, -1, 0, 1, 12_345, i16::MAX] {
            assert_eq!(f32_to_i16(i16_to_f32(s)), s);
        }
        assert_eq!(f32_to_i16(1.5), i16::MAX);
        assert_eq!(f32_to_i16(-1.5), i16::MIN);
        assert_eq!(f32_to_i16(f32::NAN), 0);
    }

    #[test]
    fn mixing_sums_saturates_and_pads_the_shorter_stream() {
        assert_eq!(
            mix(&[1, 2, 30_000], &[10, 20, 30_000, 5]),
            vec![11, 22, i16::MAX, 5]
        );
        assert_eq!(interleave_stereo(&[1, 2], &[3]), vec![1, 3, 2, 0]);
    }

    #[test]
    fn mixing_at_an_offset_pads_the_gap_with_silence() {
        let mut a = vec![1, 2];
        mix_at(&mut a, 4, &[5, 6]);
        assert_eq!(a, [1, 2, 0, 0, 5, 6]);
        mix_at(&mut a, 1, &[-30_000, i16::MIN]);
        assert_eq!(a, [1, -29_998, i16::MIN, 0, 5, 6]);
    }
}
