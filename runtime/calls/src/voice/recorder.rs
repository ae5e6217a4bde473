//! Call recording: the caller's audio and the bot's, mixed into one 16 kHz mono 16-bit
//! track on the call's clock (time since the call started, the clock of the record's
//! `at_ms`), handed over as a WAV file when the call ends.
//!
//! The recorder owns both tracks and where each lands on the clock:
//! - the caller's canonical frames, as [`super::inbound::InboundAudio`] decoded them, are
//!   kept back to back, as the recogniser heard them, in runs without a break in the
//!   stream; each run goes where none of its frames would have been spoken after it
//!   arrived ([`CallerRun`]), which is found only as frames keep arriving, so the caller's
//!   track is laid out when the recording is handed over;
//! - the bot's frames go at the slot the pacer sent them for, as the canonical samples of
//!   the clip being played (kept beside the encoded clip in [`PreparedAudio`]), held as
//!   references into those shared clips until then. Only frames actually sent count: what
//!   a `clear` dropped, or the pacer skipped after a stall, was never heard and is not in
//!   the recording either.
//!
//! It does not decide which calls record (the tenant's `record_calls`, read when a voice
//! call starts) and stores nothing: the call's driver takes the WAV file when the call's
//! record is stored, once the bot's last words have gone out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::playout::{Clip, PreparedAudio};
use crate::driver::CallDriver;
use huashu_media::pacer::FramePayload;
use huashu_media::pcm::{self, CANONICAL_RATE, FRAME_SAMPLES};
use huashu_media::transport_codec::EncodedAudio;
use huashu_media::wav;

/// The longest recording. The caller's audio is held in memory until the call ends, and
/// the mix is made in the same buffer, at 32 KB per second: a recorded call holds at most
/// ~38 MB (and as much again for a moment while the WAV file is written). Outbound
/// campaign calls last minutes; a call that runs longer keeps its first 20 minutes.
pub const MAX_RECORDING: Duration = Duration::from_secs(20 * 60);

const MAX_SAMPLES: usize = MAX_RECORDING.as_secs() as usize * CANONICAL_RATE as usize;

/// A caller frame that arrives this much later than the run it would continue places it
/// starts a new run: a quarter of a second, past the jitter of a healthy stream. The
/// stream paused or lost audio, and what follows goes where it arrives. (If instead the
/// server or the network stalled and the frames come in a burst, the new run's start is
/// found again from the frames after the burst, and it lies right after the previous one.)
const CALLER_GAP: usize = CANONICAL_RATE as usize / 4;

/// Canonical samples from `origin` to `at` (0 if `at` is earlier).
fn samples_since(origin: Instant, at: Instant) -> usize {
    let nanos = at.saturating_duration_since(origin).as_nanos() * u128::from(CANONICAL_RATE);
    usize::try_from(nanos / 1_000_000_000).unwrap_or(usize::MAX)
}

/// One call's recorder, shared by the call (which feeds it) and the call's driver (which
/// takes the recording when it stores the call's record).
#[derive(Clone)]
pub struct CallRecorder(Arc<Mutex<Tracks>>);

impl CallRecorder {
    /// Records the call `driver` runs, on its clock; `clips` are the call's prepared clips,
    /// which must keep their canonical samples ([`PreparedAudio::keeping_canonical`]).
    pub fn start(driver: &mut CallDriver, clips: PreparedAudio) -> Self {
        let origin = Instant::from_std(driver.started_at());
        let recorder = Self(Arc::new(Mutex::new(Tracks::new(origin, clips))));
        let tracks = recorder.clone();
        driver.record_with(Box::new(move || Some(tracks.lock().finish(Instant::now()))));
        recorder
    }

    fn lock(&self) -> MutexGuard<'_, Tracks> {
        // Plain samples and positions: a panic mid-update leaves at worst one frame half
        // copied.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller's canonical frames, decoded just now.
    pub fn caller(&self, frames: &[i16]) {
        self.lock().caller(Instant::now(), frames);
    }

    /// A frame of the bot's audio the pacer sent for slot `due`.
    pub fn bot(&self, due: Instant, payload: &FramePayload) {
        self.lock().bot(due, payload);
    }
}

/// A stretch of the caller's audio with no break in the stream.
#[derive(Debug, Clone, Copy)]
struct CallerRun {
    /// Where it starts in [`Tracks::caller`].
    from: usize,
    /// Where it starts on the call's clock, in samples: the latest start that has none of
    /// its frames spoken after it arrived. Frames that queued up (while the call started,
    /// or in a stall) arrive late and leave it alone; the first frames to arrive on time
    /// settle it. Below 0 when the stream began before the call did (a gateway streams
    /// while the call is set up): that part is not in the recording.
    at: i64,
}

/// Frames of one clip the bot sent back to back.
#[derive(Debug, Clone)]
struct BotRun {
    /// Where it starts on the call's clock.
    at: usize,
    clip: Arc<[i16]>,
    /// The samples of `clip` it played.
    from: usize,
    len: usize,
}

/// Both sides of the call; see the module docs.
struct Tracks {
    origin: Instant,
    clips: PreparedAudio,
    /// The clip the bot is playing and its canonical samples: looked up once per clip, not
    /// once per frame.
    playing: Option<Clip>,
    /// Everything the caller's stream carried, back to back; the mix is made in it.
    caller: Vec<i16>,
    caller_runs: Vec<CallerRun>,
    bot_runs: Vec<BotRun>,
    /// The cap was reached, or the recording was handed over: nothing more is kept.
    stopped: bool,
}

impl Tracks {
    fn new(origin: Instant, clips: PreparedAudio) -> Self {
        Self {
            origin,
            clips,
            playing: None,
            caller: Vec::new(),
            caller_runs: Vec::new(),
            bot_runs: Vec::new(),
            stopped: false,
        }
    }

    /// Whether the recording goes on at `at` on the call's clock.
    fn recording_at(&mut self, at: usize) -> bool {
        if !self.stopped && at >= MAX_SAMPLES {
            self.stopped = true;
            tracing::warn!(
                limit_minutes = MAX_RECORDING.as_secs() / 60,
                "the call is longer than a recording may be; its recording stops here"
            );
        }
        !self.stopped
    }

    fn caller(&mut self, arrived: Instant, frames: &[i16]) {
        let arrived = samples_since(self.origin, arrived);
        if frames.is_empty() || !self.recording_at(arrived.saturating_sub(frames.len())) {
            return;
        }
        // Spoken by the time they arrived, so starting at `latest` or before. Sample counts
        // of at most 20 minutes (and a frame) fit an i64 many times over.
        let latest = arrived as i64 - frames.len() as i64;
        let offset = |run: &CallerRun| (self.caller.len() - run.from) as i64;
        match self.caller_runs.last().copied() {
            Some(run) if latest <= run.at + offset(&run) + CALLER_GAP as i64 => {
                let at = run.at.min(latest - offset(&run));
                if let Some(last) = self.caller_runs.last_mut() {
                    last.at = at;
                }
            }
            _ => self.caller_runs.push(CallerRun {
                from: self.caller.len(),
                at: latest,
            }),
        }
        // A caller sample lands at its index or later, so past the cap's length it is past
        // the cap.
        let room = MAX_SAMPLES - self.caller.len();
        let frames = &frames[..frames.len().min(room)];
        let len = self.caller.len() + frames.len();
        reserve_within_cap(&mut self.caller, len);
        self.caller.extend_from_slice(frames);
    }

    fn bot(&mut self, due: Instant, payload: &FramePayload) {
        let at = samples_since(self.origin, due);
        if !self.recording_at(at) {
            return;
        }
        // Voice calls queue only clips encoded ahead, whose frames go out shared; an owned
        // frame has no clip to take the canonical samples from.
        let FramePayload::Shared { audio, index } = payload else {
            return;
        };
        let Some(clip) = self.canonical_of(audio) else {
            return;
        };
        let from = index.saturating_mul(FRAME_SAMPLES).min(clip.len());
        let len = (clip.len() - from).min(FRAME_SAMPLES);
        if let Some(run) = self.bot_runs.last_mut()
            && Arc::ptr_eq(&run.clip, &clip)
            && run.from + run.len == from
            && run.at + run.len == at
        {
            run.len += len;
            return;
        }
        self.bot_runs.push(BotRun {
            at,
            clip,
            from,
            len,
        });
    }

    fn canonical_of(&mut self, audio: &Arc<EncodedAudio>) -> Option<Arc<[i16]>> {
        if let Some(clip) = &self.playing
            && Arc::ptr_eq(&clip.encoded, audio)
        {
            return clip.canonical.clone();
        }
        let canonical = self.clips.canonical_of(audio);
        if canonical.is_none() {
            tracing::debug!("no canonical samples for a clip: the recording misses it");
        }
        self.playing = Some(Clip {
            encoded: audio.clone(),
            canonical: canonical.clone(),
        });
        canonical
    }

    /// The recording as a WAV file, as long as the call (up to the cap), and stops.
    ///
    /// The caller's runs move within their buffer to where they go (what was spoken before
    /// the call started is dropped, and a run never starts before the previous one ends:
    /// the stream carried them in that order), the gaps between them become silence, and
    /// the bot's runs are mixed in.
    fn finish(&mut self, ended: Instant) -> Vec<u8> {
        self.stopped = true;
        let mut mix = std::mem::take(&mut self.caller);
        let spans = place_runs(&std::mem::take(&mut self.caller_runs), mix.len());
        let caller_end = spans.last().map_or(0, |span| span.at + span.len);
        let length = samples_since(self.origin, ended)
            .max(caller_end)
            .min(MAX_SAMPLES);
        let buffer = length.max(mix.len());
        reserve_within_cap(&mut mix, buffer);
        mix.resize(buffer, 0);
        // Runs moving left go first, front to back, then runs moving right, back to front:
        // no run lands on the samples of one that has not moved yet.
        let kept = |span: &Span| span.len.min(length.saturating_sub(span.at));
        for span in spans.iter().filter(|span| span.at < span.from) {
            mix.copy_within(span.from..span.from + kept(span), span.at);
        }
        for span in spans.iter().rev().filter(|span| span.at > span.from) {
            mix.copy_within(span.from..span.from + kept(span), span.at.min(length));
        }
        let mut silent_from = 0;
        for span in &spans {
            let at = span.at.min(length);
            mix[silent_from.min(at)..at].fill(0);
            silent_from = (span.at + span.len).min(length);
        }
        mix[silent_from..length].fill(0);
        mix.truncate(length);
        for run in std::mem::take(&mut self.bot_runs) {
            let kept = run.len.min(length.saturating_sub(run.at));
            if kept > 0 {
                pcm::mix_at(&mut mix, run.at, &run.clip[run.from..run.from + kept]);
            }
        }
        wav::encode_pcm16(&mix, CANONICAL_RATE)
    }
}

/// Samples `from..from + len` of the caller's buffer go to `at` on the call's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    from: usize,
    at: usize,
    len: usize,
}

/// Where the caller's runs go, in order; `total` is the length of the caller's buffer.
fn place_runs(runs: &[CallerRun], total: usize) -> Vec<Span> {
    let mut placed_end = 0;
    let mut spans = Vec::with_capacity(runs.len());
    for (n, run) in runs.iter().enumerate() {
        let end = runs.get(n + 1).map_or(total, |next| next.from);
        // Spoken before the call started: not recorded.
        let early = usize::try_from(-run.at).unwrap_or(0).min(end - run.from);
        let from = run.from + early;
        let at = usize::try_from(run.at).unwrap_or(0).max(placed_end);
        spans.push(Span {
            from,
            at,
            len: end - from,
        });
        placed_end = at + end - from;
    }
    spans
}

/// Room for `len` samples: doubling as a `Vec` does, but never past the cap, so the cap
/// bounds the memory held and not only the length.
fn reserve_within_cap(samples: &mut Vec<i16>, len: usize) {
    if len <= samples.capacity() {
        return;
    }
    let target = len.max(samples.capacity() * 2).min(MAX_SAMPLES).max(len);
    samples.reserve_exact(target - samples.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_media::transport_codec::TransportCodec;
    use huashu_session::PlaySource;

    const MS: usize = CANONICAL_RATE as usize / 1000;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The samples of a WAV file the recorder wrote, checked to be 16 kHz mono 16-bit.
    fn samples_of(wav_bytes: &[u8]) -> Vec<i16> {
        let info = wav::parse(wav_bytes).expect("a WAV file");
        assert_eq!(
            (info.sample_rate, info.channels, info.bits_per_sample),
            (16_000, 1, 16)
        );
        wav_bytes[44..]
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }

    /// A call's prepared clips holding one clip of `samples`; the clip as the pacer has it.
    fn one_clip(samples: Vec<i16>) -> (PreparedAudio, Arc<EncodedAudio>) {
        let clips = PreparedAudio::keeping_canonical();
        let encoded =
            Arc::new(EncodedAudio::encode(TransportCodec::Mulaw8k, &samples).expect("encode"));
        clips.insert(
            PlaySource::Prompt {
                name: "greeting".into(),
            },
            Ok(Clip {
                encoded: encoded.clone(),
                canonical: Some(samples.into()),
            }),
        );
        (clips, encoded)
    }

    fn frame_of(audio: &Arc<EncodedAudio>, index: usize) -> FramePayload {
        FramePayload::Shared {
            audio: audio.clone(),
            index,
        }
    }

    /// Frame `n` of a caller's stream: a level of its own, so each frame can be found.
    fn caller_frame(n: usize) -> [i16; FRAME_SAMPLES] {
        [10 * (n as i16 + 1); FRAME_SAMPLES]
    }

    /// Asserts frame `n` of the stream lies at `at_ms` in the recording.
    fn assert_frame_at(samples: &[i16], n: usize, at_ms: usize) {
        let at = at_ms * MS;
        assert_eq!(
            samples[at..at + FRAME_SAMPLES],
            caller_frame(n),
            "frame {n} at {at_ms} ms"
        );
    }

    #[test]
    fn the_callers_frames_go_where_they_were_spoken_through_a_backlog_jitter_and_a_stall() {
        let start = Instant::now();
        let mut tracks = Tracks::new(start, PreparedAudio::default());
        // The stream starts with the call; frame n is spoken from 20n ms. Frames 0–14 queue
        // up while the call starts and arrive at 300 ms; 15–29 arrive as they end, up to
        // 3 ms late; 30–44 are held up by a stall until 900 ms; 45–49 are on time again.
        let arrival = |n: usize| -> usize {
            match n {
                0..15 => 300,
                30..45 => 900,
                _ => 20 * (n + 1) + (n % 4),
            }
        };
        for n in 0..50 {
            tracks.caller(start + ms(arrival(n) as u64), &caller_frame(n));
        }
        let samples = samples_of(&tracks.finish(start + ms(1_200)));
        assert_eq!(samples.len(), 1_200 * MS, "as long as the call");
        for n in 0..50 {
            assert_frame_at(&samples, n, 20 * n);
        }
        assert!(samples[1_000 * MS..].iter().all(|&s| s == 0));
    }

    #[test]
    fn what_the_caller_sent_before_the_call_started_is_left_out() {
        let start = Instant::now();
        let mut tracks = Tracks::new(start, PreparedAudio::default());
        // The gateway streamed from 300 ms before the call started: frame n is spoken from
        // 20n − 300 ms. Frames 0–39 queued up until 500 ms; the rest arrive on time.
        for n in 0..60 {
            let arrival = if n < 40 {
                500
            } else {
                20 * (n as u64 + 1) - 300
            };
            tracks.caller(start + ms(arrival), &caller_frame(n));
        }
        let samples = samples_of(&tracks.finish(start + ms(1_000)));
        for n in 15..60 {
            assert_frame_at(&samples, n, 20 * n - 300);
        }
        assert!(samples[900 * MS..].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_caller_stream_that_starts_late_or_pauses_goes_where_it_arrives() {
        let start = Instant::now();
        let mut tracks = Tracks::new(start, PreparedAudio::default());
        // A browser that waited a second for its microphone, sent 5 frames, then paused for
        // two seconds (frames 5–9 are spoken from 3 s on).
        for n in 0..10 {
            let spoken = if n < 5 {
                1_000 + 20 * n
            } else {
                3_000 + 20 * (n - 5)
            };
            tracks.caller(start + ms(spoken as u64 + 20), &caller_frame(n));
        }
        let samples = samples_of(&tracks.finish(start + ms(4_000)));
        assert!(samples[..1_000 * MS].iter().all(|&s| s == 0));
        for n in 0..5 {
            assert_frame_at(&samples, n, 1_000 + 20 * n);
        }
        assert!(samples[1_100 * MS..3_000 * MS].iter().all(|&s| s == 0));
        for n in 5..10 {
            assert_frame_at(&samples, n, 3_000 + 20 * (n - 5));
        }
    }

    #[test]
    fn the_bots_frames_go_at_their_slots_mixed_with_the_caller_and_stop_at_a_clear() {
        let start = Instant::now();
        // Three frames of a rising ramp, so each frame's samples are its own.
        let clip: Vec<i16> = (0..3 * FRAME_SAMPLES as i16).map(|i| i * 10).collect();
        let (clips, audio) = one_clip(clip.clone());
        let mut tracks = Tracks::new(start, clips);
        // A prompt starts 1.5 s into the call; the caller talks over its second frame,
        // loudly: the sum saturates. Then the session clears the prompt.
        tracks.bot(start + ms(1_500), &frame_of(&audio, 0));
        tracks.bot(start + ms(1_520), &frame_of(&audio, 1));
        tracks.caller(start + ms(1_540), &[30_000; FRAME_SAMPLES]);
        let samples = samples_of(&tracks.finish(start + ms(2_000)));
        let at = 1_500 * MS;
        assert_eq!(&samples[at..at + FRAME_SAMPLES], &clip[..FRAME_SAMPLES]);
        let second = &samples[at + FRAME_SAMPLES..at + 2 * FRAME_SAMPLES];
        let expected: Vec<i16> = clip[FRAME_SAMPLES..2 * FRAME_SAMPLES]
            .iter()
            .map(|&s| s.saturating_add(30_000))
            .collect();
        assert_eq!(second, expected.as_slice());
        assert!(second.contains(&i16::MAX), "the mix saturates");
        // The third frame was never sent: silence.
        assert!(samples[at + 2 * FRAME_SAMPLES..].iter().all(|&s| s == 0));
        assert!(samples[..at].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_bot_frame_of_a_clip_without_canonical_samples_is_left_out() {
        let start = Instant::now();
        let (_, audio) = one_clip(vec![1_000; FRAME_SAMPLES]);
        let mut tracks = Tracks::new(start, PreparedAudio::default());
        tracks.bot(start + ms(20), &frame_of(&audio, 0));
        tracks.bot(start + ms(40), &FramePayload::Owned(vec![0xFF; 160]));
        let samples = samples_of(&tracks.finish(start + ms(100)));
        assert!(samples.iter().all(|&s| s == 0));
    }

    #[test]
    fn a_recording_stops_at_twenty_minutes_and_never_holds_more() {
        let start = Instant::now();
        let mut tracks = Tracks::new(start, PreparedAudio::default());
        // A caller who talks the whole time and then some.
        for n in 0..MAX_SAMPLES / FRAME_SAMPLES + 50 {
            tracks.caller(start + ms(20 * (n as u64 + 1)), &[5; FRAME_SAMPLES]);
        }
        assert!(tracks.stopped);
        assert!(
            tracks.caller.capacity() <= MAX_SAMPLES,
            "{}",
            tracks.caller.capacity()
        );
        let samples = samples_of(&tracks.finish(start + MAX_RECORDING + ms(60_000)));
        assert_eq!(samples.len(), MAX_SAMPLES);
        assert!(samples.iter().all(|&s| s == 5));
    }

    #[test]
    fn the_bots_last_frame_before_the_cap_is_cut_at_it() {
        let start = Instant::now();
        let (clips, audio) = one_clip(vec![7; 2 * FRAME_SAMPLES]);
        let mut tracks = Tracks::new(start, clips);
        tracks.bot(start + MAX_RECORDING - ms(10), &frame_of(&audio, 0));
        tracks.bot(start + MAX_RECORDING + ms(10), &frame_of(&audio, 1));
        assert!(tracks.stopped);
        let samples = samples_of(&tracks.finish(start + MAX_RECORDING + ms(60_000)));
        assert_eq!(samples.len(), MAX_SAMPLES);
        let cut = MAX_SAMPLES - 10 * MS;
        assert!(samples[cut..].iter().all(|&s| s == 7));
        assert!(samples[..cut].iter().all(|&s| s == 0));
    }
}
