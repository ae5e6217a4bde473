//! Sample-rate conversion with rubato: streaming, one converter per direction per call
//! (8 kHz telephony ↔ 16 kHz canonical, 48 kHz Opus ↔ 16 kHz), and one-shot conversion of
//! whole clips (uploaded prompts, TTS output) from any rate.
//!
//! # Which resampler, and why
//!
//! Every streaming pair here has a fixed, integer-related ratio, so we use rubato's
//! synchronous FFT resampler ([`rubato::Fft`]) with both chunk sizes fixed
//! ([`FixedSync::Both`]) at one 20 ms frame. The alternatives lose on a call server:
//! - the asynchronous sinc resampler (`Async::new_sinc`) gives the same quality but costs
//!   several times the CPU per frame, and its point, a ratio that drifts with a sound
//!   card's clock, does not exist here: packets arrive with their own timestamps;
//! - polynomial interpolation (`Async::new_poly`) is cheap but has no anti-aliasing
//!   filter, and 16 → 8 kHz without one folds 4–8 kHz back into the telephone band.
//!
//! One FFT block per 20 ms frame keeps the arithmetic exact (160 samples in → 320 out,
//! every call, for ever) and the delay at half a frame: **10 ms of fixed latency per
//! direction**, the same for every pair listed above ([`StreamResampler::latency`]). Smaller
//! blocks would halve that but pull the anti-aliasing cutoff from ~3.66 kHz down to
//! ~3.3 kHz at 8 kHz, into the telephone band (300–3,400 Hz); we keep the band.
//!
//! Because input and output frames are locked to each other, frame counts never drift:
//! n × 20 ms in gives exactly n × 20 ms out, the signal delayed by [`StreamResampler::latency`].
//!
//! One-shot conversion ([`convert`], [`to_canonical`]) also uses the FFT resampler, which
//! trims its own delay so the output lines up with the input. Rates whose ratio to the
//! target reduces to a very large FFT block (a prompt recorded at 44,101 Hz) go through the
//! asynchronous sinc resampler instead: quality is the same, and the block size stays sane.

use std::time::Duration;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Resampler, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};
use thiserror::Error;

use super::pcm::{self, CANONICAL_RATE, FRAMES_PER_SECOND};

/// G.711's sample rate.
pub const TELEPHONY_RATE: u32 = 8_000;

/// Opus's native rate, and what browsers send.
pub const OPUS_RATE: u32 = 48_000;

/// The lowest and highest rates we convert from: what the prompt upload accepts.
pub const MIN_RATE: u32 = 8_000;
/// See [`MIN_RATE`].
pub const MAX_RATE: u32 = 192_000;

/// One-shot conversions whose reduced input block (input rate ÷ gcd of the two rates) is
/// larger than this use the sinc resampler: 4,800 samples is 100 ms at 48 kHz, already a big
/// FFT; beyond it the FFT size grows with odd rates (up to a second of audio for a prime
/// rate) for no gain in quality.
const MAX_FFT_BLOCK: usize = 4_800;

/// The FFT resampler's block target for one-shot conversions: about 64 ms at 16 kHz, big
/// enough that rubato's anti-aliasing cutoff sits within about 2 % of Nyquist, small enough
/// to stay in cache.
const ONE_SHOT_CHUNK: usize = 1_024;

/// Sinc length for odd-rate one-shot conversions: rubato's suggested starting point; with
/// the automatic cutoff the pass band reaches about 95 % of Nyquist (7.6 kHz at 16 kHz).
const ODD_RATE_SINC_LEN: usize = 256;

/// Oversampling of the tabulated sinc for odd rates: rubato's suggested value, small
/// enough to stay in cache.
const ODD_RATE_OVERSAMPLING: usize = 128;

/// Why audio could not be resampled.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ResampleError {
    /// The pair of rates cannot be converted (out of range, or not whole 20 ms frames for
    /// streaming).
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Unsupported {
        /// Input sample rate, in Hz.
        from: u32,
        /// Output sample rate, in Hz.
        to: u32,
        /// Which rule the pair breaks.
        reason: String,
    },
    /// rubato failed while converting; carries its message.
    #[error("the resampler failed: {0}")]
    Failed(String),
}

/// A streaming converter for one direction of one call: 20 ms frames at one rate in,
/// 20 ms frames at another out, with state carried across frames so there is no click at
/// frame boundaries. Input may arrive in any sizes: what is short of a frame waits for the
/// next call.
pub struct StreamResampler {
    inner: Fft<f32>,
    from: u32,
    to: u32,
    frame_in: usize,
    frame_out: usize,
    /// Input not yet processed, always shorter than a frame between calls.
    pending: Vec<f32>,
    /// One frame of output, reused.
    scratch_out: Vec<f32>,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("latency", &self.latency())
            .finish_non_exhaustive()
    }
}

impl StreamResampler {
    /// A converter from `from` Hz to `to` Hz. Both rates must hold a whole number of samples
    /// in 20 ms (multiples of 50 Hz), within [`MIN_RATE`]..=[`MAX_RATE`].
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let unsupported = |reason: &str| ResampleError::Unsupported {
            from,
            to,
            reason: reason.to_string(),
        };
        for rate in [from, to] {
            if !(MIN_RATE..=MAX_RATE).contains(&rate) {
                return Err(unsupported("rates must be within 8–192 kHz"));
            }
            if !rate.is_multiple_of(FRAMES_PER_SECOND) {
                return Err(unsupported("20 ms must be a whole number of samples"));
            }
        }
        let frame_in = pcm::frame_samples_at(from);
        let frame_out = pcm::frame_samples_at(to);
        let inner = Fft::<f32>::new(from as usize, to as usize, frame_in, 1, FixedSync::Both)
            .map_err(|e| unsupported(&e.to_string()))?;
        // `Both` rounds the chunk to whole FFT blocks; only exact 20 ms frames keep the
        // frame counts locked.
        if inner.input_frames_next() != frame_in || inner.output_frames_next() != frame_out {
            return Err(unsupported(
                "the ratio does not fit one FFT block per 20 ms",
            ));
        }
        Ok(Self {
            inner,
            from,
            to,
            frame_in,
            frame_out,
            pending: Vec::with_capacity(frame_in * 2),
            scratch_out: vec![0.0; frame_out],
        })
    }

    /// Sample rate of the input, in Hz.
    pub fn input_rate(&self) -> u32 {
        self.from
    }

    /// Sample rate of the output, in Hz.
    pub fn output_rate(&self) -> u32 {
        self.to
    }

    /// Samples in one input frame (20 ms).
    pub fn input_frame_len(&self) -> usize {
        self.frame_in
    }

    /// Samples in one output frame (20 ms).
    pub fn output_frame_len(&self) -> usize {
        self.frame_out
    }

    /// The fixed delay between a sample going in and its counterpart coming out, in output
    /// samples.
    pub fn latency_samples(&self) -> usize {
        self.inner.output_delay()
    }

    /// [`Self::latency_samples`] as time: 10 ms for every pair with one block per frame.
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_samples() as u64 * 1_000_000 / u64::from(self.to))
    }

    /// Feeds `input` and appends every whole output frame it completes to `out`. Returns how
    /// many samples were appended (a multiple of [`Self::output_frame_len`]).
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) -> Result<usize, ResampleError> {
        pcm::extend_f32(&mut self.pending, input);
        self.drain_frames(|frame| pcm::extend_i16(out, frame))
    }

    /// Same as [`Self::process`] for float samples in [-1, 1].
    pub fn process_f32(
        &mut self,
        input: &[f32],
        out: &mut Vec<f32>,
    ) -> Result<usize, ResampleError> {
        self.pending.extend_from_slice(input);
        self.drain_frames(|frame| out.extend_from_slice(frame))
    }

    /// Resamples every whole frame waiting in `pending`, handing each output frame to
    /// `emit`; keeps the remainder for next time.
    fn drain_frames(&mut self, mut emit: impl FnMut(&[f32])) -> Result<usize, ResampleError> {
        let failed = |e: &dyn std::fmt::Display| ResampleError::Failed(e.to_string());
        let mut at = 0;
        let mut result = Ok(());
        while self.pending.len() - at >= self.frame_in {
            let frame = &self.pending[at..at + self.frame_in];
            let step = InterleavedSlice::new(frame, 1, self.frame_in)
                .map_err(|e| failed(&e))
                .and_then(|input| {
                    let mut output =
                        InterleavedSlice::new_mut(&mut self.scratch_out, 1, self.frame_out)
                            .map_err(|e| failed(&e))?;
                    self.inner
                        .process_into_buffer(&input, &mut output, None)
                        .map_err(|e| failed(&e))
                });
            if let Err(e) = step {
                at += self.frame_in;
                result = Err(e);
                break;
            }
            emit(&self.scratch_out);
            at += self.frame_in;
        }
        // Consumed input goes even on failure, so one bad frame cannot wedge the stream.
        self.pending.drain(..at);
        result.map(|()| at / self.frame_in * self.frame_out)
    }

    /// Forgets all state (after a barge-in `clear`, so the dropped audio's tail does not
    /// leak into what plays next).
    pub fn reset(&mut self) {
        self.inner.reset();
        self.pending.clear();
    }
}

/// Converts a whole clip of float samples from `from` Hz to `to` Hz, delay trimmed: the
/// output lines up with the input and lasts as long (rounded up to a sample).
pub fn convert(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    let unsupported = |reason: String| ResampleError::Unsupported { from, to, reason };
    for rate in [from, to] {
        if !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return Err(unsupported("rates must be within 8–192 kHz".into()));
        }
    }
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let input = InterleavedSlice::new(samples, 1, samples.len())
        .map_err(|e| ResampleError::Failed(e.to_string()))?;
    let reduced_block = (from / gcd(from, to)) as usize;
    let mut resampler: Box<dyn Resampler<f32>> = if reduced_block <= MAX_FFT_BLOCK {
        Box::new(
            Fft::<f32>::new(
                from as usize,
                to as usize,
                ONE_SHOT_CHUNK,
                1,
                FixedSync::Both,
            )
            .map_err(|e| unsupported(e.to_string()))?,
        )
    } else {
        let parameters = SincInterpolationParameters {
            sinc_len: ODD_RATE_SINC_LEN,
            f_cutoff: None,
            oversampling_factor: ODD_RATE_OVERSAMPLING,
            interpolation: SincInterpolationType::Cubic,
            window: WindowFunction::BlackmanHarris2,
        };
        Box::new(
            Async::<f32>::new_sinc(
                f64::from(to) / f64::from(from),
                1.0,
                &parameters,
                ONE_SHOT_CHUNK,
                1,
                FixedAsync::Input,
            )
            .map_err(|e| unsupported(e.to_string()))?,
        )
    };
    let output = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| ResampleError::Failed(e.to_string()))?;
    Ok(output.take_data())
}

/// Converts a whole clip at `rate` Hz to canonical 16 kHz `i16` samples.
pub fn to_canonical(samples: &[f32], rate: u32) -> Result<Vec<i16>, ResampleError> {
    let converted = convert(samples, rate, CANONICAL_RATE)?;
    let mut out = Vec::with_capacity(converted.len());
    pcm::extend_i16(&mut out, &converted);
    Ok(out)
}

/// Converts a whole clip of `i16` samples from `from` Hz to `to` Hz, like [`convert`]
/// (canonical prompts to a transport's rate; engine output to canonical).
pub fn convert_i16(samples: &[i16], from: u32, to: u32) -> Result<Vec<i16>, ResampleError> {
    if from == to {
        return Ok(samples.to_vec());
    }
    let mut floats = Vec::with_capacity(samples.len());
    pcm::extend_f32(&mut floats, samples);
    let converted = convert(&floats, from, to)?;
    let mut out = Vec::with_capacity(converted.len());
    pcm::extend_i16(&mut out, &converted);
    Ok(out)
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::test_signals::{best_correlation, sine, speech_like, zero_crossing_freq};
    use crate::pcm::{FRAME_SAMPLES, rms};

    fn stream(resampler: &mut StreamResampler, input: &[i16], piece: usize) -> Vec<i16> {
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            resampler.process(chunk, &mut out).expect("resamples");
        }
        out
    }

    #[test]
    fn a_1khz_sine_through_16k_8k_16k_keeps_its_frequency_and_level() {
        let input = sine(1_000.0, CANONICAL_RATE, 0.5, CANONICAL_RATE as usize);
        let mut down = StreamResampler::new(CANONICAL_RATE, TELEPHONY_RATE).expect("16k→8k");
        let mut up = StreamResampler::new(TELEPHONY_RATE, CANONICAL_RATE).expect("8k→16k");
        let narrow = stream(&mut down, &input, FRAME_SAMPLES);
        assert_eq!(narrow.len(), input.len() / 2, "20 ms in, 20 ms out");
        let output = stream(&mut up, &narrow, 160);
        assert_eq!(output.len(), input.len());

        // Skip the start-up delay (10 ms each way) before measuring.
        let steady = &output[1_600..];
        let freq = zero_crossing_freq(steady, CANONICAL_RATE);
        assert!((freq - 1_000.0).abs() < 5.0, "frequency {freq:.1} Hz");
        let level_db = 20.0 * (rms(steady) / rms(&input)).log10();
        assert!(level_db.abs() < 0.5, "level changed by {level_db:.2} dB");

        // The delay is the documented latency, and the signal is otherwise intact.
        let total = down.latency() + up.latency();
        assert_eq!(total, Duration::from_millis(20));
        // A pure tone cannot show its delay (every period looks alike): speech-like sound
        // can.
        let voice = speech_like(CANONICAL_RATE, 16_000);
        let mut down = StreamResampler::new(CANONICAL_RATE, TELEPHONY_RATE).expect("16k→8k");
        let mut up = StreamResampler::new(TELEPHONY_RATE, CANONICAL_RATE).expect("8k→16k");
        let narrow = stream(&mut down, &voice, FRAME_SAMPLES);
        let output = stream(&mut up, &narrow, 160);
        let (corr, lag) = best_correlation(&voice[..12_000], &output, 400);
        assert_eq!(lag, 320, "delay in samples at 16 kHz");
        assert!(corr > 0.99, "correlation {corr:.4}");
    }

    #[test]
    fn frame_boundaries_do_not_click() {
        // Upsampling an in-band tone must give the same tone, delayed, with no glitch at
        // any 20 ms boundary.
        let input = sine(440.0, TELEPHONY_RATE, 0.8, 8_000);
        let mut up = StreamResampler::new(TELEPHONY_RATE, CANONICAL_RATE).expect("8k→16k");
        let output = stream(&mut up, &input, 160);
        let delay = up.latency_samples();
        let ideal = sine(440.0, CANONICAL_RATE, 0.8, output.len());
        let worst = output[delay + 320..]
            .iter()
            .zip(&ideal[320..])
            .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
            .max()
            .unwrap_or(0);
        // Under 1 % of full scale anywhere.
        assert!(worst < 330, "worst deviation {worst}");
    }

    #[test]
    fn input_in_odd_pieces_gives_the_same_frames_as_whole_frames() {
        let input = sine(300.0, OPUS_RATE, 0.3, 9_600);
        let mut a = StreamResampler::new(OPUS_RATE, CANONICAL_RATE).expect("48k→16k");
        let mut b = StreamResampler::new(OPUS_RATE, CANONICAL_RATE).expect("48k→16k");
        let whole = stream(&mut a, &input, 960);
        let pieces = stream(&mut b, &input, 333);
        assert_eq!(whole.len(), 3_200);
        assert_eq!(whole, pieces);
        let mut back = StreamResampler::new(CANONICAL_RATE, OPUS_RATE).expect("16k→48k");
        assert_eq!(stream(&mut back, &whole, 320).len(), 9_600);
    }

    #[test]
    fn every_streaming_pair_has_10ms_latency() {
        for (from, to) in [
            (8_000, 16_000),
            (16_000, 8_000),
            (48_000, 16_000),
            (16_000, 48_000),
        ] {
            let r = StreamResampler::new(from, to).expect("supported");
            assert_eq!(r.latency(), Duration::from_millis(10), "{from}→{to}");
        }
    }

    #[test]
    fn rates_that_cannot_stream_in_20ms_frames_are_refused() {
        assert!(matches!(
            StreamResampler::new(11_025, 16_000),
            Err(ResampleError::Unsupported { .. })
        ));
        assert!(StreamResampler::new(4_000, 16_000).is_err());
        assert!(convert(&[0.0; 10], 7_999, 16_000).is_err());
    }

    #[test]
    fn one_shot_conversion_lines_up_with_the_input() {
        // A low tone, so that the sub-sample offsets the FFT blocks leave (under one output
        // sample, inaudible) do not count against the alignment.
        for rate in [8_000, 22_050, 44_100, 44_101, 96_000] {
            let input = sine(250.0, rate, 0.5, rate as usize / 2);
            let mut floats = Vec::new();
            pcm::extend_f32(&mut floats, &input);
            let output = to_canonical(&floats, rate).expect("converts");
            assert!(
                output.len().abs_diff(8_000) <= 1,
                "{rate}: {} samples",
                output.len()
            );
            let ideal = sine(250.0, CANONICAL_RATE, 0.5, output.len());
            let (corr, lag) = best_correlation(&ideal[..4_000], &output, 8);
            assert!(lag <= 1, "{rate}: {lag} samples of delay left");
            assert!(corr > 0.998, "{rate}: correlation {corr:.4}");
            let level_db = 20.0 * (rms(&output) / rms(&ideal)).log10();
            assert!(
                level_db.abs() < 0.2,
                "{rate}: level changed by {level_db:.2} dB"
            );
        }
        let back = convert_i16(
            &sine(1_000.0, 16_000, 0.5, 1_600),
            CANONICAL_RATE,
            TELEPHONY_RATE,
        )
        .expect("to 8k");
        assert_eq!(back.len(), 800);
    }
}
