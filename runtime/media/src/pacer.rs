//! Outbound real-time pacing for one call: queued audio leaves as one 20 ms frame every
//! 20 ms, encoded for the call's transport, with marks between items and a `clear` that
//! stops within one frame.
//!
//! # Shape
//!
//! A [`Pacer`] is a plain state machine the transport owns inside its own task: no thread,
//! no task, no channel of its own. The transport's `select!` loop awaits
//! [`Pacer::next_event`] beside its socket and the session's outputs; or, without async,
//! calls [`Pacer::poll`] with the current instant and sleeps until [`Pacer::next_due`].
//! `next_event` is cancel-safe: state only changes in the synchronous `poll`, so losing a
//! `select!` race loses nothing, and it waits on one [`Alarm`] kept across calls, so a loop
//! that rebuilds it for every incoming message costs no new timer.
//!
//! # Timing
//!
//! Frames are scheduled from a fixed origin, frame *n* at `origin + n × 20 ms`, never by
//! sleeping 20 ms after the last send, so timer slop does not accumulate into drift. The
//! origin is set when audio starts after silence (the first frame leaves at once: no wait
//! for a grid slot on the turn-latency path); audio queued while the previous item is still
//! playing continues the same grid, back to back.
//!
//! When the task is late (the runtime was busy), every frame already due is sent at once,
//! up to [`PacerConfig::max_catch_up_frames`]; frames due before those are skipped, not
//! sent: the play position moves on as if they had played, so the far end hears a gap
//! instead of falling behind for the rest of the call, and the session's idea of how far an
//! item got (it times playback itself) stays true. [`PacerStats`] counts frames sent, late
//! (sent more than [`PacerConfig::late_after`] past their slot) and dropped, with lateness
//! figures.
//!
//! Items are played in whole frames: a canonical item's last frame is padded with silence,
//! as [`EncodedAudio`] items already are.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::time::Instant;

use crate::alarm::Alarm;

use super::pcm::{self, FRAME_MS, FRAME_SAMPLES};
use super::transport_codec::{CodecError, EncodedAudio, OutboundEncoder, TransportCodec};

/// One frame's slot.
const FRAME: Duration = Duration::from_millis(FRAME_MS as u64);

/// Frames sent back to back after a stall before the rest are skipped: 3 frames is a 60 ms
/// burst, about what a far-end jitter buffer absorbs without adding that delay to
/// everything after it.
pub const DEFAULT_MAX_CATCH_UP_FRAMES: u32 = 3;

/// A frame sent this long after its slot counts as late. tokio's timer fires within about
/// a millisecond on a healthy runtime; 5 ms late means the task waited for a busy worker,
/// and is a quarter of the 20 ms p99 budget (docs: DESIGN "Numbers").
pub const DEFAULT_LATE_AFTER: Duration = Duration::from_millis(5);

/// Upper bounds (ms) of the lateness histogram's buckets; the last bucket is everything
/// above 100 ms. Chosen around the 5 ms "late" line and the 20 ms p99 goal.
pub const LATENESS_BUCKETS_MS: [u64; 6] = [1, 5, 10, 20, 50, 100];

/// How the pacer treats a late task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacerConfig {
    /// Frames sent at once when several are due; older due frames are skipped.
    pub max_catch_up_frames: u32,
    /// Lateness from which a sent frame counts as late.
    pub late_after: Duration,
}

impl Default for PacerConfig {
    fn default() -> Self {
        Self {
            max_catch_up_frames: DEFAULT_MAX_CATCH_UP_FRAMES,
            late_after: DEFAULT_LATE_AFTER,
        }
    }
}

/// Audio to play: canonical samples (encoded frame by frame at the edge) or clips already
/// encoded for this call's codec (from the prompt cache).
#[derive(Debug, Clone)]
pub enum PacerAudio {
    /// Canonical 16 kHz mono samples, encoded for the call a frame at a time as they are
    /// sent; the last frame is padded with silence.
    Canonical(Arc<[i16]>),
    /// A clip already encoded for the call's codec, its frames sent without a copy; the
    /// codec must match the pacer's ([`PacerError::CodecMismatch`]).
    Encoded(Arc<EncodedAudio>),
}

impl PacerAudio {
    fn frame_count(&self) -> usize {
        match self {
            Self::Canonical(samples) => pcm::frames_for(samples.len()),
            Self::Encoded(audio) => audio.frame_count(),
        }
    }

    fn clip_ms(&self) -> u32 {
        match self {
            Self::Canonical(samples) => pcm::canonical_ms(samples.len()),
            Self::Encoded(audio) => audio.clip_ms(),
        }
    }
}

/// One frame's bytes, ready for the transport.
#[derive(Debug, Clone)]
pub enum FramePayload {
    /// Encoded for this call.
    Owned(Vec<u8>),
    /// A frame of a shared clip: no copy.
    Shared {
        /// The clip the frame belongs to.
        audio: Arc<EncodedAudio>,
        /// The frame's position in the clip, from 0.
        index: usize,
    },
}

impl FramePayload {
    /// The encoded frame as the transport sends it (empty if a shared clip has no frame
    /// `index`).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Owned(bytes) => bytes,
            Self::Shared { audio, index } => audio.frame(*index).unwrap_or_default(),
        }
    }
}

/// What the transport should do next.
#[derive(Debug, Clone)]
pub enum PacerEvent {
    /// Send this frame now; `due` is its slot.
    Frame {
        /// The frame's slot on the 20 ms grid (it may be sent a little after it).
        due: Instant,
        /// The encoded frame.
        payload: FramePayload,
    },
    /// Everything queued before this mark has been sent (Twilio: send a `mark`).
    Mark(String),
}

/// The item a `clear` interrupted and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// The id the item was pushed with.
    pub id: String,
    /// Time of the item already sent (or skipped): whole frames, capped at its length.
    pub played_ms: u32,
    /// The item's own length in ms, before padding to whole frames.
    pub total_ms: u32,
}

/// What a `clear` dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClearReport {
    /// The item that was playing (or next to play), if any.
    pub current: Option<Interrupted>,
    /// Queued items that never started.
    pub dropped: Vec<String>,
    /// Marks that will not be reached.
    pub marks: Vec<String>,
}

/// Counters for one call's outbound audio.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacerStats {
    /// Frames handed to the transport, late or not.
    pub frames_sent: u64,
    /// Sent at least [`PacerConfig::late_after`] past their slot.
    pub frames_late: u64,
    /// Skipped after a stall, or lost to an encoding failure.
    pub frames_dropped: u64,
    /// Of the dropped frames, those the encoder failed on.
    pub encode_failures: u64,
    /// The worst lateness of a sent frame past its slot.
    pub max_lateness: Duration,
    /// Lateness of all sent frames added up (see [`Self::mean_lateness`]).
    pub total_lateness: Duration,
    /// Sent frames by lateness, bucketed by [`LATENESS_BUCKETS_MS`] plus one overflow
    /// bucket.
    pub lateness_histogram: [u64; LATENESS_BUCKETS_MS.len() + 1],
}

impl PacerStats {
    /// Average lateness of a sent frame past its slot; zero before any frame is sent.
    pub fn mean_lateness(&self) -> Duration {
        match u32::try_from(self.frames_sent) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.total_lateness / n,
            Err(_) => Duration::ZERO,
        }
    }

    fn record_sent(&mut self, lateness: Duration, late_after: Duration) {
        self.frames_sent += 1;
        if lateness >= late_after {
            self.frames_late += 1;
        }
        self.max_lateness = self.max_lateness.max(lateness);
        self.total_lateness += lateness;
        let ms = lateness.as_millis();
        let bucket = LATENESS_BUCKETS_MS
            .iter()
            .position(|&bound| ms < u128::from(bound))
            .unwrap_or(LATENESS_BUCKETS_MS.len());
        self.lateness_histogram[bucket] += 1;
    }
}

/// Why audio could not be queued.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PacerError {
    /// An [`PacerAudio::Encoded`] clip was encoded for another codec than the call's.
    #[error("audio encoded for {audio:?} cannot play on a {call:?} call")]
    CodecMismatch {
        /// The codec the clip was encoded for.
        audio: TransportCodec,
        /// The call's codec.
        call: TransportCodec,
    },
    /// The call's outbound encoder could not be set up.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

#[derive(Debug)]
struct Item {
    id: String,
    audio: PacerAudio,
    /// Frames already sent or skipped.
    position: usize,
}

#[derive(Debug)]
enum Entry {
    Audio(Item),
    Mark(String),
}

/// One call's outbound pacing; see the module docs.
#[derive(Debug)]
pub struct Pacer {
    config: PacerConfig,
    encoder: OutboundEncoder,
    queue: VecDeque<Entry>,
    /// Events due now, ahead of any frame (marks reached).
    ready: VecDeque<PacerEvent>,
    /// Slot 0 of the current run of audio; `None` until audio first plays, and after a
    /// `clear`.
    origin: Option<Instant>,
    next_frame: u64,
    /// Audio has been queued without a break since `origin`.
    running: bool,
    stats: PacerStats,
    frame: Vec<i16>,
    /// The timer [`Self::next_event`] waits on, kept across calls.
    alarm: Alarm,
}

impl Pacer {
    /// An idle pacer for a call on `codec`, with its own outbound encoder; fails if the
    /// encoder (resampler or Opus) cannot be set up.
    pub fn new(codec: TransportCodec, config: PacerConfig) -> Result<Self, PacerError> {
        Ok(Self {
            config,
            encoder: OutboundEncoder::new(codec)?,
            queue: VecDeque::new(),
            ready: VecDeque::new(),
            origin: None,
            next_frame: 0,
            running: false,
            stats: PacerStats::default(),
            frame: Vec::with_capacity(FRAME_SAMPLES),
            alarm: Alarm::default(),
        })
    }

    /// The call's codec: what every frame is encoded as.
    pub fn codec(&self) -> TransportCodec {
        self.encoder.codec()
    }

    /// How late past its slot a frame counts as late.
    pub fn late_after(&self) -> Duration {
        self.config.late_after
    }

    /// Counters for the call's outbound audio so far.
    pub fn stats(&self) -> &PacerStats {
        &self.stats
    }

    /// Queues an item after everything already queued.
    pub fn push(&mut self, id: impl Into<String>, audio: PacerAudio) -> Result<(), PacerError> {
        if let PacerAudio::Encoded(encoded) = &audio
            && encoded.codec() != self.codec()
        {
            return Err(PacerError::CodecMismatch {
                audio: encoded.codec(),
                call: self.codec(),
            });
        }
        if audio.frame_count() > 0 {
            self.queue.push_back(Entry::Audio(Item {
                id: id.into(),
                audio,
                position: 0,
            }));
        }
        Ok(())
    }

    /// Queues a mark: it is reported once everything queued before it has been sent (at
    /// once if nothing is).
    pub fn mark(&mut self, name: impl Into<String>) {
        self.queue.push_back(Entry::Mark(name.into()));
        self.settle_marks();
    }

    /// Whether there is nothing left to send.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.ready.is_empty()
    }

    /// Audio still to send, in ms.
    pub fn queued_ms(&self) -> u64 {
        self.queue
            .iter()
            .map(|entry| match entry {
                Entry::Audio(item) => (item.audio.frame_count() - item.position) as u64,
                Entry::Mark(_) => 0,
            })
            .sum::<u64>()
            * u64::from(FRAME_MS)
    }

    /// Stops at once and drops everything queued. The frame last returned by `poll` is the
    /// last one sent, so playback stops within one frame. The encoder's state is dropped
    /// too, so nothing of the cleared audio leaks into what plays next.
    pub fn clear(&mut self) -> ClearReport {
        let mut report = ClearReport::default();
        for entry in self.queue.drain(..) {
            match entry {
                Entry::Mark(name) => report.marks.push(name),
                Entry::Audio(item) if report.current.is_none() => {
                    let total_ms = item.audio.clip_ms();
                    let played = u32::try_from(item.position)
                        .unwrap_or(u32::MAX)
                        .saturating_mul(FRAME_MS);
                    report.current = Some(Interrupted {
                        id: item.id,
                        played_ms: played.min(total_ms),
                        total_ms,
                    });
                }
                Entry::Audio(item) => report.dropped.push(item.id),
            }
        }
        // Marks already reached are still reported.
        self.origin = None;
        self.running = false;
        // An encoder that cannot reset keeps its state: a click at worst, not a failure.
        let _ = self.encoder.reset();
        report
    }

    /// When [`Self::poll`] next has something: `None` when idle (wait for a `push`).
    pub fn next_due(&self) -> Option<Instant> {
        if !self.ready.is_empty() {
            return Some(Instant::now());
        }
        if !self.has_audio() {
            return None;
        }
        // After silence a slot in the past means "now" (see `poll`).
        match self.origin {
            Some(origin) => Some(self.slot(origin, self.next_frame)),
            None => Some(Instant::now()),
        }
    }

    /// The next event due at `now`, if any. Call until it returns `None`, then wait for
    /// [`Self::next_due`].
    pub fn poll(&mut self, now: Instant) -> Option<PacerEvent> {
        if let Some(event) = self.ready.pop_front() {
            return Some(event);
        }
        if !self.has_audio() {
            return None;
        }
        if !self.running {
            // Audio after silence starts now. Audio queued right behind the last item (by
            // the grid's next slot, give or take the timer's slop) continues the grid.
            let continues = self.origin.is_some_and(|origin| {
                now < self.slot(origin, self.next_frame) + self.config.late_after
            });
            if !continues {
                self.origin = Some(now);
                self.next_frame = 0;
            }
            self.running = true;
        }
        let origin = self.origin.unwrap_or(now);
        let due = self.slot(origin, self.next_frame);
        if due > now {
            return None;
        }
        let behind = (now - due).as_nanos() / FRAME.as_nanos() + 1;
        let keep = u128::from(self.config.max_catch_up_frames.max(1));
        if behind > keep {
            self.skip(u64::try_from(behind - keep).unwrap_or(u64::MAX));
        }
        if let Some(event) = self.ready.pop_front() {
            return Some(event);
        }
        if !self.has_audio() {
            return None;
        }
        let due = self.slot(origin, self.next_frame);
        let payload = self.current_payload();
        self.advance();
        match payload {
            Some(payload) => {
                self.stats
                    .record_sent(now.saturating_duration_since(due), self.config.late_after);
                Some(PacerEvent::Frame { due, payload })
            }
            None => {
                self.stats.frames_dropped += 1;
                self.stats.encode_failures += 1;
                self.poll(now)
            }
        }
    }

    /// Waits for the next event and returns it; pends for ever while idle. Cancel-safe.
    pub async fn next_event(&mut self) -> PacerEvent {
        loop {
            if let Some(event) = self.poll(Instant::now()) {
                return event;
            }
            let due = self.next_due();
            self.alarm.until(due).await;
        }
    }

    fn slot(&self, origin: Instant, frame: u64) -> Instant {
        origin + Duration::from_millis(frame.saturating_mul(u64::from(FRAME_MS)))
    }

    fn has_audio(&self) -> bool {
        matches!(self.queue.front(), Some(Entry::Audio(_)))
    }

    /// The payload of the head item's current frame; `None` if encoding failed.
    fn current_payload(&mut self) -> Option<FramePayload> {
        let Some(Entry::Audio(item)) = self.queue.front() else {
            return None;
        };
        match &item.audio {
            PacerAudio::Encoded(audio) => Some(FramePayload::Shared {
                audio: Arc::clone(audio),
                index: item.position,
            }),
            PacerAudio::Canonical(samples) => {
                let start = item.position * FRAME_SAMPLES;
                let end = (start + FRAME_SAMPLES).min(samples.len());
                self.frame.clear();
                self.frame
                    .extend_from_slice(samples.get(start..end).unwrap_or_default());
                self.frame.resize(FRAME_SAMPLES, 0);
                let mut bytes = Vec::new();
                self.encoder.encode_frame(&self.frame, &mut bytes).ok()?;
                Some(FramePayload::Owned(bytes))
            }
        }
    }

    /// Skips `frames` frames as if they had played: whole stretches of an item at a time,
    /// so a long stall costs no more than a short one.
    fn skip(&mut self, mut frames: u64) {
        while frames > 0 {
            let Some(Entry::Audio(item)) = self.queue.front_mut() else {
                break;
            };
            let left = (item.audio.frame_count() - item.position) as u64;
            let step = frames.min(left);
            // `step` ≤ `left`, which came from a `usize`.
            item.position += step as usize;
            self.next_frame += step;
            self.stats.frames_dropped += step;
            frames -= step;
            if item.position >= item.audio.frame_count() {
                self.queue.pop_front();
            }
            self.settle_marks();
        }
        if !self.has_audio() {
            self.running = false;
        }
    }

    /// Moves past the current frame: the next slot, the next item, marks reached.
    fn advance(&mut self) {
        self.next_frame += 1;
        if let Some(Entry::Audio(item)) = self.queue.front_mut() {
            item.position += 1;
            if item.position >= item.audio.frame_count() {
                self.queue.pop_front();
            }
        }
        self.settle_marks();
        if !self.has_audio() {
            self.running = false;
        }
    }

    /// Marks at the head of the queue are reached: report them.
    fn settle_marks(&mut self) {
        while let Some(Entry::Mark(_)) = self.queue.front() {
            if let Some(Entry::Mark(name)) = self.queue.pop_front() {
                self.ready.push_back(PacerEvent::Mark(name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::test_signals::sine;

    fn canonical(ms: usize) -> PacerAudio {
        PacerAudio::Canonical(sine(440.0, 16_000, 0.3, ms * 16).into())
    }

    fn pacer(codec: TransportCodec) -> Pacer {
        Pacer::new(codec, PacerConfig::default()).expect("pacer")
    }

    #[tokio::test(start_paused = true)]
    async fn frames_leave_exactly_20ms_apart_in_virtual_time() {
        let mut pacer = pacer(TransportCodec::Mulaw8k);
        pacer.push("a", canonical(1_000)).expect("queued");
        let start = Instant::now();
        let mut sent = Vec::new();
        while sent.len() < 50 {
            if let PacerEvent::Frame { due, payload } = pacer.next_event().await {
                assert_eq!(payload.bytes().len(), 160);
                sent.push((Instant::now(), due));
            }
        }
        for (n, (at, due)) in sent.iter().enumerate() {
            assert_eq!(*due, start + FRAME * n as u32, "frame {n}'s slot");
            assert_eq!(at, due, "frame {n} left on time");
        }
        assert!(pacer.is_idle());
        let stats = pacer.stats();
        assert_eq!(
            (stats.frames_sent, stats.frames_late, stats.frames_dropped),
            (50, 0, 0)
        );
        assert_eq!(stats.lateness_histogram[0], 50);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_sends_do_not_drift_the_schedule() {
        // Each send takes 7 ms of (virtual) time: the next frame still leaves on its slot.
        let mut pacer = pacer(TransportCodec::Pcm16k);
        pacer.push("a", canonical(200)).expect("queued");
        let start = Instant::now();
        for n in 0..10u32 {
            let PacerEvent::Frame { due, .. } = pacer.next_event().await else {
                panic!("a frame");
            };
            assert_eq!(Instant::now(), start + FRAME * n);
            assert_eq!(due, start + FRAME * n);
            tokio::time::advance(Duration::from_millis(7)).await;
        }
        assert_eq!(pacer.stats().frames_late, 0);
    }

    #[test]
    fn after_a_stall_a_bounded_burst_is_sent_and_the_rest_skipped() {
        let mut pacer = pacer(TransportCodec::Pcm16k);
        pacer.push("a", canonical(1_000)).expect("queued");
        let t0 = Instant::now();
        assert!(matches!(pacer.poll(t0), Some(PacerEvent::Frame { .. })));
        assert!(pacer.poll(t0).is_none());
        // 200 ms late: frames 1..=10 are due; 3 go out, 7 are skipped.
        let now = t0 + Duration::from_millis(200);
        let mut burst = Vec::new();
        while let Some(PacerEvent::Frame { due, .. }) = pacer.poll(now) {
            burst.push(due);
        }
        assert_eq!(
            burst,
            (8..=10).map(|n| t0 + FRAME * n).collect::<Vec<_>>(),
            "the newest frames, on their own slots"
        );
        let stats = pacer.stats().clone();
        assert_eq!(
            (stats.frames_sent, stats.frames_dropped, stats.frames_late),
            (4, 7, 2)
        );
        assert_eq!(stats.max_lateness, Duration::from_millis(40));
        // Back on the grid afterwards.
        assert_eq!(pacer.next_due(), Some(t0 + FRAME * 11));
        // 11 frames gone: 220 ms of the item has played.
        let report = pacer.clear();
        assert_eq!(report.current.map(|c| c.played_ms), Some(220));
    }

    #[test]
    fn a_long_stall_skips_past_items_and_still_reports_their_marks() {
        let mut pacer = pacer(TransportCodec::Mulaw8k);
        pacer.push("a", canonical(60_000)).expect("queued");
        pacer.mark("after-a");
        let silence: Arc<[i16]> = vec![0; 20 * 60 * 16_000].into();
        pacer
            .push("b", PacerAudio::Canonical(silence))
            .expect("queued");
        let t0 = Instant::now();
        assert!(pacer.poll(t0).is_some());
        // Ten minutes without a poll: "a" is long gone, "b" is 9 minutes in.
        let now = t0 + Duration::from_secs(600);
        assert!(matches!(pacer.poll(now), Some(PacerEvent::Mark(m)) if m == "after-a"));
        let mut sent = 0;
        while let Some(PacerEvent::Frame { .. }) = pacer.poll(now) {
            sent += 1;
        }
        assert_eq!(sent, 3);
        assert_eq!(pacer.stats().frames_dropped, 30_000 - 3);
        let report = pacer.clear();
        assert_eq!(
            report.current.map(|c| (c.id, c.played_ms)),
            Some(("b".into(), 540_020))
        );
    }

    #[test]
    fn clear_mid_item_reports_how_far_it_got() {
        let mut pacer = pacer(TransportCodec::Mulaw8k);
        pacer.push("a", canonical(1_000)).expect("queued");
        pacer.mark("after-a");
        pacer.push("b", canonical(500)).expect("queued");
        let t0 = Instant::now();
        for n in 0..15u32 {
            assert!(matches!(
                pacer.poll(t0 + FRAME * n),
                Some(PacerEvent::Frame { .. })
            ));
        }
        let report = pacer.clear();
        assert_eq!(
            report,
            ClearReport {
                current: Some(Interrupted {
                    id: "a".into(),
                    played_ms: 300,
                    total_ms: 1_000
                }),
                dropped: vec!["b".into()],
                marks: vec!["after-a".into()],
            }
        );
        assert!(pacer.is_idle());
        assert!(pacer.poll(t0 + FRAME * 15).is_none());
        // The next item starts at once, not on the old grid.
        let later = t0 + Duration::from_millis(307);
        pacer.push("c", canonical(100)).expect("queued");
        let Some(PacerEvent::Frame { due, .. }) = pacer.poll(later) else {
            panic!("a frame");
        };
        assert_eq!(due, later);
    }

    #[test]
    fn marks_follow_the_audio_queued_before_them() {
        let mut pacer = pacer(TransportCodec::Opus48k);
        pacer.mark("first");
        pacer.push("a", canonical(60)).expect("queued");
        pacer.mark("m1");
        pacer.push("b", canonical(30)).expect("queued");
        pacer.mark("m2");
        let t0 = Instant::now();
        let mut log = Vec::new();
        for n in 0..8u32 {
            while let Some(event) = pacer.poll(t0 + FRAME * n) {
                log.push(match event {
                    PacerEvent::Frame { .. } => format!("F{n}"),
                    PacerEvent::Mark(name) => name,
                });
            }
        }
        assert_eq!(log, ["first", "F0", "F1", "F2", "m1", "F3", "F4", "m2"]);
        assert!(pacer.is_idle());
    }

    #[test]
    fn items_back_to_back_share_the_grid_and_silence_restarts_it() {
        let mut pacer = pacer(TransportCodec::Pcm16k);
        let t0 = Instant::now();
        pacer.push("a", canonical(40)).expect("queued");
        assert!(pacer.poll(t0).is_some());
        assert!(pacer.poll(t0 + FRAME).is_some());
        // Queued 5 ms later, before the next slot: it continues the grid.
        pacer.push("b", canonical(20)).expect("queued");
        assert_eq!(pacer.next_due(), Some(t0 + FRAME * 2));
        let Some(PacerEvent::Frame { due, .. }) = pacer.poll(t0 + FRAME * 2) else {
            panic!("a frame");
        };
        assert_eq!(due, t0 + FRAME * 2);
        // After a second of silence, new audio starts when it arrives, not late.
        let later = t0 + Duration::from_millis(1_234);
        pacer.push("c", canonical(20)).expect("queued");
        let Some(PacerEvent::Frame { due, .. }) = pacer.poll(later) else {
            panic!("a frame");
        };
        assert_eq!(due, later);
        assert_eq!(pacer.stats().frames_late, 0);
    }

    #[test]
    fn cached_clips_play_without_copying_and_must_match_the_codec() {
        let clip = sine(440.0, 16_000, 0.3, 1_000);
        let encoded =
            Arc::new(EncodedAudio::encode(TransportCodec::Mulaw8k, &clip).expect("encodes"));
        let mut opus = pacer(TransportCodec::Opus48k);
        assert!(matches!(
            opus.push("x", PacerAudio::Encoded(Arc::clone(&encoded))),
            Err(PacerError::CodecMismatch { .. })
        ));
        let mut mu = pacer(TransportCodec::Mulaw8k);
        mu.push("x", PacerAudio::Encoded(Arc::clone(&encoded)))
            .expect("queued");
        assert_eq!(mu.queued_ms(), 80);
        let t0 = Instant::now();
        for n in 0..4u32 {
            let Some(PacerEvent::Frame { payload, .. }) = mu.poll(t0 + FRAME * n) else {
                panic!("a frame");
            };
            assert!(matches!(payload, FramePayload::Shared { .. }));
            assert_eq!(Some(payload.bytes()), encoded.frame(n as usize));
        }
        assert!(mu.is_idle());
    }
}
