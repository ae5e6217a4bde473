//! The load generator's figures: a lock-free latency histogram every call records into,
//! and the analysis of one run of the server's outbound frames (lateness and gaps).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// One frame's slot.
pub const FRAME_US: u64 = 20_000;

/// A pause between two frames longer than this is a gap: frames are missing or late. The
/// 30 ms is one and a half slots, so ordinary jitter of a few milliseconds is not a gap.
pub const GAP_AFTER_US: u64 = 30_000;

/// A frame that follows the previous one by less than half a slot was sent in a burst: the
/// server catching up after a stall (its pacer sends up to three due frames at once). Each
/// such frame fills one slot a gap before it left empty.
pub const CATCH_UP_BELOW_US: u64 = 10_000;

/// Linear buckets below this many microseconds, then 32 per octave.
const LINEAR_US: u64 = 64;
const SUB_BUCKETS: u64 = 32;
/// Covers values up to 2^41 µs (25 days); longer ones land in the last bucket.
const BUCKETS: usize = 41 * SUB_BUCKETS as usize + 32;

/// Latencies in microseconds, bucketed log-linearly: exact below 64 µs, then within 1/32
/// (3 %) of the value. Recording is one relaxed atomic add, so thousands of call tasks
/// share one without a lock.
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    max_us: AtomicU64,
    sum_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }
}

fn bucket_of(us: u64) -> usize {
    if us < LINEAR_US {
        return us as usize;
    }
    // Keep the top six bits: the leading one and five below it.
    let shift = u64::from(63 - us.leading_zeros()) - 5;
    let index = shift * SUB_BUCKETS + (us >> shift);
    (index as usize).min(BUCKETS - 1)
}

/// The largest value that falls into `bucket`.
fn bucket_upper(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < LINEAR_US {
        return bucket;
    }
    let shift = bucket / SUB_BUCKETS - 1;
    let mantissa = bucket % SUB_BUCKETS + SUB_BUCKETS;
    ((mantissa + 1) << shift) - 1
}

impl Histogram {
    pub fn record(&self, value: Duration) {
        self.record_us(u64::try_from(value.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn record_us(&self, us: u64) {
        self.buckets[bucket_of(us)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The value at quantile `q` (0 to 1): the upper end of the bucket it falls in, so the
    /// figure is never below the truth by more than 3 %, nor above the maximum.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        // The rank of the q-th value, 1-based: p99 of 100 values is the 99th.
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0;
        for (bucket, n) in self.buckets.iter().enumerate() {
            seen += n.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(bucket_upper(bucket).min(self.max_us.load(Ordering::Relaxed)));
            }
        }
        Some(self.max_us.load(Ordering::Relaxed))
    }

    /// Count, p50, p99, max and mean in milliseconds, for the report.
    pub fn summary(&self) -> LatencySummary {
        let count = self.count();
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            count,
            p50_ms: self.quantile_us(0.50).map(ms),
            p99_ms: self.quantile_us(0.99).map(ms),
            max_ms: (count > 0).then(|| ms(self.max_us.load(Ordering::Relaxed))),
            mean_ms: (count > 0).then(|| ms(self.sum_us.load(Ordering::Relaxed)) / count as f64),
        }
    }
}

/// A latency distribution as the report shows it; `None` when nothing was measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// What one run of consecutive server frames (one utterance, or the part of it before a
/// `clear`) showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub frames: u64,
    /// Slots inside the run that no frame filled: pauses longer than [`GAP_AFTER_US`],
    /// less the frames the server sent in a catch-up burst right after them.
    pub dropped: u64,
    pub max_lateness_us: u64,
}

/// Lateness and gaps of one run, from each frame's arrival in microseconds after the run's
/// first frame (non-decreasing). `on_lateness` gets every frame's lateness.
///
/// Frame *k* is due at `k × 20 ms`; its lateness is how much later it arrived (never
/// negative). A pause of more than 30 ms during which two or more slots came due after the
/// previous frame's slot is a gap: the frame that ends it fills one of those slots. A pacer
/// that stalls and then catches up sends the due frames at once, and those fill the others:
/// each frame that arrives less than 10 ms after the one before it, right after the gap,
/// fills one. Slots nothing filled were skipped: they count as dropped, and the frames after
/// them are due in later slots, so one skip does not make the rest of the utterance late.
///
/// Judging the gap from the previous frame's slot rather than its arrival keeps a frame
/// that was late, and then caught up, from looking like a drop.
pub fn analyse_run(arrivals_us: &[u64], mut on_lateness: impl FnMut(u64)) -> RunSummary {
    let mut summary = RunSummary::default();
    let mut slot: u64 = 0;
    for (i, &at) in arrivals_us.iter().enumerate() {
        if i > 0 {
            let pause = at.saturating_sub(arrivals_us[i - 1]);
            let slots_due = at.saturating_sub(slot * FRAME_US) / FRAME_US;
            slot += 1;
            if pause > GAP_AFTER_US && slots_due >= 2 {
                let burst = arrivals_us[i + 1..]
                    .iter()
                    .zip(&arrivals_us[i..])
                    .take_while(|(next, previous)| {
                        next.saturating_sub(**previous) < CATCH_UP_BELOW_US
                    })
                    .count() as u64;
                let skipped = (slots_due - 1).saturating_sub(burst);
                summary.dropped += skipped;
                slot += skipped;
            }
        }
        let lateness = at.saturating_sub(slot * FRAME_US);
        summary.max_lateness_us = summary.max_lateness_us.max(lateness);
        on_lateness(lateness);
        summary.frames += 1;
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<u64> {
        values.iter().map(|v| v * 1000).collect()
    }

    fn lateness_ms(arrivals: &[u64]) -> (Vec<u64>, RunSummary) {
        let mut late = Vec::new();
        let summary = analyse_run(&ms(arrivals), |us| late.push(us / 1000));
        (late, summary)
    }

    #[test]
    fn frames_on_their_slots_are_not_late() {
        let (late, summary) = lateness_ms(&[0, 20, 40, 60, 80]);
        assert_eq!(late, [0, 0, 0, 0, 0]);
        assert_eq!((summary.frames, summary.dropped), (5, 0));
    }

    #[test]
    fn jitter_is_lateness_not_a_gap() {
        let (late, summary) = lateness_ms(&[0, 23, 40, 67, 80]);
        assert_eq!(late, [0, 3, 0, 7, 0]);
        assert_eq!(summary.dropped, 0);
        assert_eq!(summary.max_lateness_us, 7000);
    }

    #[test]
    fn a_stall_caught_up_in_a_burst_is_late_but_drops_nothing() {
        // Frame 3 (due 60) waits until 100, then 3, 4 and 5 leave together.
        let (late, summary) = lateness_ms(&[0, 20, 40, 100, 100, 100, 120]);
        assert_eq!(late, [0, 0, 0, 40, 20, 0, 0]);
        assert_eq!(summary.dropped, 0);
    }

    #[test]
    fn frames_skipped_after_a_stall_count_as_dropped_and_do_not_make_the_rest_late() {
        // The pacer wakes at 160 with slots 3..=8 due: it sends 6, 7, 8 and skips 3, 4, 5.
        let (late, summary) = lateness_ms(&[0, 20, 40, 160, 160, 160, 180, 200]);
        assert_eq!(summary.dropped, 3);
        assert_eq!(late, [0, 0, 0, 40, 20, 0, 0, 0]);
    }

    #[test]
    fn a_late_frame_caught_up_at_once_drops_nothing() {
        // Slot 2 (due 40) leaves at 75 with slot 3 (due 60); slot 4 is on time.
        let (late, summary) = lateness_ms(&[0, 20, 75, 75, 80, 100]);
        assert_eq!(summary.dropped, 0);
        assert_eq!(late, [0, 0, 35, 15, 0, 0]);
    }

    #[test]
    fn a_silent_gap_with_no_burst_is_all_dropped() {
        let (late, summary) = lateness_ms(&[0, 20, 100, 120]);
        assert_eq!(summary.dropped, 3);
        assert_eq!(late, [0, 0, 0, 0]);
    }

    #[test]
    fn a_run_that_stays_behind_is_late_throughout() {
        let (late, summary) = lateness_ms(&[0, 25, 45, 65, 85]);
        assert_eq!(late, [0, 5, 5, 5, 5]);
        assert_eq!(summary.dropped, 0);
    }

    #[test]
    fn histogram_buckets_are_contiguous_and_tight() {
        let mut previous_upper = None;
        for bucket in 0..BUCKETS - 1 {
            let upper = bucket_upper(bucket);
            if let Some(p) = previous_upper {
                assert_eq!(bucket_of(p + 1), bucket, "bucket {bucket}");
            }
            assert_eq!(bucket_of(upper), bucket);
            previous_upper = Some(upper);
        }
        for us in [64, 100, 1_000, 19_999, 20_000, 1_000_000, 123_456_789] {
            let upper = bucket_upper(bucket_of(us));
            assert!(
                upper >= us && (upper - us) as f64 <= us as f64 / 32.0,
                "{us} -> {upper}"
            );
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let h = Histogram::default();
        assert_eq!(h.quantile_us(0.5), None);
        for us in 1..=1000 {
            h.record_us(us * 10);
        }
        let p50 = h.quantile_us(0.5).unwrap_or_default();
        let p99 = h.quantile_us(0.99).unwrap_or_default();
        assert!((5000..=5000 + 5000 / 32).contains(&p50), "{p50}");
        assert!((9900..=10_000).contains(&p99), "{p99}");
        assert_eq!(h.quantile_us(1.0), Some(10_000));
        let summary = h.summary();
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.max_ms, Some(10.0));
        assert!((summary.mean_ms.unwrap_or_default() - 5.005).abs() < 1e-9);
    }
}
