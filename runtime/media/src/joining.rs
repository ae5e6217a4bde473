//! Joining canonical clips into one (`say-parts`: a recorded prompt, a name in
//! text-to-speech, another prompt) without a click at the seams. Owns the seam: each pair
//! of neighbouring clips overlaps by a short equal-power crossfade. It does not own where
//! the clips come from (the calls stage loads and synthesises them) or caching the result
//! (the [`super::prompt_cache`]).
//!
//! A click is a jump between one sample and the next: a recording that ends mid-waveform
//! followed by speech that starts at another level. Crossfading over a few milliseconds
//! turns the jump into a ramp. Equal-power (cosine/sine) gains keep the loudness steady
//! through the seam for the unrelated signals that meet there (a human voice and a
//! synthetic one), where a linear crossfade would dip by 3 dB in the middle.

use super::pcm::CANONICAL_RATE;

/// Length of each crossfade: 5 ms. A fade much shorter than this (1–2 ms) is itself heard
/// as a click, its ramp too steep; much longer and it blurs the end of one word into the
/// start of the next and, 15 seams at most in one action, shortens the clip noticeably.
/// 5 ms is a fraction of one phoneme (50–100 ms), so nothing said is smeared.
pub const SEAM_FADE_MS: u32 = 5;

/// [`SEAM_FADE_MS`] in canonical samples (80 at 16 kHz).
pub const SEAM_FADE_SAMPLES: usize = (CANONICAL_RATE * SEAM_FADE_MS / 1_000) as usize;

/// How many samples the seam between clips `before` and `after` samples long overlaps:
/// [`SEAM_FADE_SAMPLES`], less for clips too short to give it (at most half of either, so
/// no clip is swallowed by its two seams).
pub fn seam_overlap(before: usize, after: usize) -> usize {
    SEAM_FADE_SAMPLES.min(before / 2).min(after / 2)
}

/// Length of the clip [`join`] makes from clips of these lengths: their sum less each
/// seam's [`seam_overlap`]. Empty clips are skipped, as `join` skips them.
pub fn joined_len(lengths: &[usize]) -> usize {
    let mut total = 0;
    let mut previous: Option<usize> = None;
    for &len in lengths.iter().filter(|&&len| len > 0) {
        total += len;
        if let Some(before) = previous {
            total -= seam_overlap(before, len);
        }
        previous = Some(len);
    }
    total
}

/// The clips played one after the other as one clip, each seam crossfaded over
/// [`seam_overlap`] samples. Empty clips are skipped.
pub fn join<C: AsRef<[i16]>>(clips: &[C]) -> Vec<i16> {
    let lengths: Vec<usize> = clips.iter().map(|c| c.as_ref().len()).collect();
    let mut out: Vec<i16> = Vec::with_capacity(joined_len(&lengths));
    let mut previous_len: Option<usize> = None;
    for clip in clips.iter().map(AsRef::as_ref).filter(|c| !c.is_empty()) {
        let overlap = previous_len.map_or(0, |before| seam_overlap(before, clip.len()));
        let start = out.len() - overlap;
        for (i, (&incoming, outgoing)) in clip[..overlap]
            .iter()
            .zip(out[start..].iter_mut())
            .enumerate()
        {
            *outgoing = crossfade(*outgoing, incoming, i, overlap);
        }
        out.extend_from_slice(&clip[overlap..]);
        previous_len = Some(clip.len());
    }
    out
}

/// Sample `i` of an `overlap`-sample equal-power crossfade from `outgoing` to `incoming`.
/// The angle is taken at the middle of each sample, so neither end is a hard edge.
fn crossfade(outgoing: i16, incoming: i16, i: usize, overlap: usize) -> i16 {
    let angle = std::f32::consts::FRAC_PI_2 * (i as f32 + 0.5) / overlap as f32;
    let mixed = f32::from(outgoing) * angle.cos() + f32::from(incoming) * angle.sin();
    // Two loud, in-phase signals can sum above full scale: clip, never wrap.
    mixed
        .round()
        .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::test_signals::sine;

    /// The largest jump from one sample to the next.
    fn largest_step(samples: &[i16]) -> i32 {
        samples
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_seam_between_two_levels_is_a_ramp_not_a_jump() {
        let high = vec![8_000i16; 1_600];
        let low = vec![-8_000i16; 1_600];
        let naive = [high.clone(), low.clone()].concat();
        assert_eq!(largest_step(&naive), 16_000);
        let joined = join(&[high, low]);
        // 16 000 spread over 80 samples is 200 a sample; the cosine ramp's steepest part
        // is π/2 steeper than the average.
        assert!(
            largest_step(&joined) <= 400,
            "largest step {}",
            largest_step(&joined)
        );
    }

    #[test]
    fn a_seam_between_sines_out_of_phase_is_no_steeper_than_the_sines_themselves() {
        let a = sine(440.0, CANONICAL_RATE, 0.5, 1_613);
        let b: Vec<i16> = sine(440.0, CANONICAL_RATE, 0.5, 1_600)
            .iter()
            .map(|s| -s)
            .collect();
        let natural = largest_step(&a).max(largest_step(&b));
        let naive = [a.clone(), b.clone()].concat();
        assert!(largest_step(&naive) > 3 * natural, "the naive seam clicks");
        let joined = join(&[a, b]);
        assert!(
            largest_step(&joined) <= natural * 3 / 2,
            "largest step {} against the sines' own {natural}",
            largest_step(&joined)
        );
    }

    #[test]
    fn lengths_add_up_less_one_fade_per_seam() {
        let clips = [vec![1i16; 4_000], vec![2; 3_000], vec![], vec![3; 5_000]];
        let joined = join(&clips);
        assert_eq!(joined.len(), 4_000 + 3_000 + 5_000 - 2 * SEAM_FADE_SAMPLES);
        assert_eq!(joined_len(&[4_000, 3_000, 0, 5_000]), joined.len());
        assert_eq!(SEAM_FADE_SAMPLES, 80);
    }

    #[test]
    fn clips_shorter_than_a_fade_overlap_by_half_their_length_at_most() {
        assert_eq!(seam_overlap(40, 10_000), 20);
        let joined = join(&[vec![100i16; 40], vec![100; 10_000]]);
        assert_eq!(joined.len(), 40 + 10_000 - 20);
        assert_eq!(joined_len(&[40, 10_000]), joined.len());
    }

    #[test]
    fn the_clips_are_untouched_away_from_the_seams() {
        let a = sine(300.0, CANONICAL_RATE, 0.3, 2_000);
        let b = sine(500.0, CANONICAL_RATE, 0.3, 2_000);
        let joined = join(&[a.clone(), b.clone()]);
        let seam = a.len() - SEAM_FADE_SAMPLES;
        assert_eq!(joined[..seam], a[..seam]);
        assert_eq!(joined[a.len()..], b[SEAM_FADE_SAMPLES..]);
    }

    #[test]
    fn one_clip_or_none_is_returned_as_it_is() {
        assert!(join::<Vec<i16>>(&[]).is_empty());
        assert_eq!(join(&[vec![5i16, 6, 7]]), vec![5, 6, 7]);
    }
}
