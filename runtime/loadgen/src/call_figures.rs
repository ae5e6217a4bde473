//! What a call shares with the run and what it brings back, whatever line it is placed
//! on (Twilio's WebSocket or SIP with RTP): the [`Plan`] every call follows, the
//! [`SharedFigures`] all calls record into, one call's [`CallResult`] and [`Failure`], and
//! [`BotFrames`], which splits the bot's frames into runs (one per utterance) and measures
//! them and the turn latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use thiserror::Error;
use tokio::time::Instant;

use super::customer_audio::CustomerAudio;
use super::stats::{self, Histogram};

/// One frame's slot.
pub const FRAME: Duration = Duration::from_millis(20);

/// A pause between server frames this long ends a run even without a mark: SIP has no
/// marks at all, and a Twilio server that sends none still has its utterances measured
/// apart. Half a second is far above any pacer stall that still counts as late (the bar
/// is 20 ms), and below the shortest pause between two replies.
pub const RUN_BREAK: Duration = Duration::from_millis(500);

/// Keypad digits the customer presses, one per turn, in turn.
pub const DIGITS: [char; 9] = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

/// What every call of a run shares, whatever line it is placed on.
pub struct Plan {
    /// How long each call is held from the moment it connects (or is answered).
    pub hold: Duration,
    /// How often the customer takes a turn (`None`: never).
    pub turn_every: Option<Duration>,
    pub audio: CustomerAudio,
    /// A per-run prefix for call identifiers (Twilio sids, SIP Call-IDs), so runs do not
    /// reuse them.
    pub run_id: u64,
    pub figures: Arc<SharedFigures>,
}

/// Distributions and live counters all calls record into.
#[derive(Default)]
pub struct SharedFigures {
    /// Lateness of each server frame within its run.
    pub frame_lateness: Histogram,
    /// Turn sent → first frame of the reply.
    pub turn_latency: Histogram,
    /// How late this generator's own frame timer fired: if this is high, the generator
    /// (not the server) was behind.
    pub send_lateness: Histogram,
    /// Calls whose connect (or INVITE) finished, either way.
    pub resolved: AtomicU64,
    pub connected: AtomicU64,
    pub live: AtomicU64,
    /// Set while every call is live (after the ramp, before the first `stop` or BYE): what
    /// is recorded then also goes into [`Self::steady`], so the report can tell the load of
    /// holding calls from the load of setting them up and tearing them down.
    pub in_steady_stretch: AtomicBool,
    pub steady: SteadyFigures,
}

/// The figures of the steady stretch. A run of bot frames counts here if it ended in it.
#[derive(Default)]
pub struct SteadyFigures {
    pub frame_lateness: Histogram,
    pub send_lateness: Histogram,
    pub frames: AtomicU64,
    pub frames_dropped: AtomicU64,
}

impl SharedFigures {
    pub fn steady(&self) -> Option<&SteadyFigures> {
        self.in_steady_stretch
            .load(Ordering::Relaxed)
            .then_some(&self.steady)
    }

    /// Records how late the generator's frame timer fired for one frame.
    pub fn timer_fired(&self, late: Duration) {
        self.send_lateness.record(late);
        if let Some(steady) = self.steady() {
            steady.send_lateness.record(late);
        }
    }
}

/// Why a call did not go as planned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Failure {
    #[error("could not create the call: {0}")]
    Create(String),
    #[error("connect failed: {0}")]
    Connect(String),
    /// A final answer other than 2xx to the INVITE (SIP).
    #[error("the server answered the INVITE with {code} {reason}")]
    Refused { code: u16, reason: String },
    #[error("closed by the server before the end ({code} {reason})")]
    ClosedEarly { code: u16, reason: String },
    /// The server sent BYE before the call's hold was over (SIP). A BYE does not say
    /// whether the script or the host ended the call; the `load-bot` guest never hangs up.
    #[error("the server hung up (BYE) before the end")]
    HungUpEarly,
    #[error("connection lost: {0}")]
    Lost(String),
}

impl Failure {
    /// The failure without its per-call details, for counting alike failures together.
    pub fn kind(&self) -> String {
        match self {
            Failure::ClosedEarly { code, reason } => format!("closed early: {code} {reason}"),
            Failure::Refused { code, reason } => format!("INVITE refused: {code} {reason}"),
            other => other.to_string(),
        }
    }
}

/// What one call saw.
#[derive(Debug, Clone, Default)]
pub struct CallResult {
    pub connected: bool,
    /// Connected, and the server kept the call until this client ended it.
    pub held: bool,
    pub failure: Option<Failure>,
    /// How the server answered the end of the call (Twilio: the close code and reason
    /// after `stop`; SIP: the answer to BYE), if it answered in time.
    pub close: Option<(u16, String)>,
    /// The server did not answer the end of the call in time.
    pub not_closed: bool,
    pub frames_sent: u64,
    pub frames_received: u64,
    /// Server frames whose payload was not 160 bytes of audio.
    pub bad_frames: u64,
    pub runs: u64,
    /// Client-side estimate of frames missing inside runs ([`stats::analyse_run`]).
    pub frames_dropped: u64,
    pub marks_received: u64,
    pub marks_echoed: u64,
    pub clears: u64,
    pub turns: u64,
    /// Turns the bot had not started answering by the next turn, or by the end of the call.
    pub turns_unanswered: u64,
    /// Server messages that were not understood: not JSON or not a known event (Twilio);
    /// RTP of a payload type that was not negotiated, or SIP that did not parse.
    pub unknown_messages: u64,
}

/// The bot's frames on one call as they arrive: grouped into runs, each analysed by
/// [`stats::analyse_run`] when it ends, and the time from each turn to its reply.
pub struct BotFrames {
    /// Arrival of the current run's frames, in µs after its first frame.
    run: Vec<u64>,
    run_started: Option<Instant>,
    last_frame: Option<Instant>,
    /// When the customer's last turn ended, until the reply's first frame arrives.
    awaiting_reply: Option<Instant>,
}

impl Default for BotFrames {
    fn default() -> Self {
        Self {
            // A run is an utterance of a few seconds: 256 slots before it grows.
            run: Vec::with_capacity(256),
            run_started: None,
            last_frame: None,
            awaiting_reply: None,
        }
    }
}

impl BotFrames {
    /// A bot frame arrived at `now`.
    pub fn arrived(&mut self, now: Instant, figures: &SharedFigures, result: &mut CallResult) {
        result.frames_received += 1;
        if self.last_frame.is_some_and(|last| now - last >= RUN_BREAK) {
            self.end_run(figures, result);
        }
        let started = *self.run_started.get_or_insert(now);
        if self.run.is_empty()
            && let Some(turn_ended) = self.awaiting_reply.take()
        {
            figures
                .turn_latency
                .record(now.saturating_duration_since(turn_ended));
        }
        let offset = now.saturating_duration_since(started);
        self.run
            .push(u64::try_from(offset.as_micros()).unwrap_or(u64::MAX));
        self.last_frame = Some(now);
    }

    /// The bot is mid-utterance: a run is open and its last frame is recent.
    pub fn bot_speaking(&self, now: Instant) -> bool {
        self.last_frame
            .is_some_and(|last| self.run_started.is_some() && now - last < RUN_BREAK)
    }

    /// Ends the open run if the bot has been quiet for [`RUN_BREAK`], so a run is counted
    /// in the stretch it ended in even when no mark closes it.
    pub fn end_if_quiet(&mut self, now: Instant, figures: &SharedFigures, result: &mut CallResult) {
        if !self.run.is_empty() && self.last_frame.is_some_and(|last| now - last >= RUN_BREAK) {
            self.end_run(figures, result);
        }
    }

    /// A turn begins; a reply to the previous one that never came counts as unanswered.
    pub fn turn_started(&mut self, result: &mut CallResult) {
        if self.awaiting_reply.take().is_some() {
            result.turns_unanswered += 1;
        }
        result.turns += 1;
    }

    /// The customer finished its turn at `at`: the reply is awaited from then.
    pub fn await_reply(&mut self, at: Instant) {
        self.awaiting_reply = Some(at);
    }

    /// Analyses the open run (a mark, a clear, a pause, or the end of the call closed it).
    pub fn end_run(&mut self, figures: &SharedFigures, result: &mut CallResult) {
        if self.run.is_empty() {
            self.run_started = None;
            return;
        }
        let steady = figures.steady();
        let summary = stats::analyse_run(&self.run, |us| {
            figures.frame_lateness.record_us(us);
            if let Some(steady) = steady {
                steady.frame_lateness.record_us(us);
            }
        });
        if let Some(steady) = steady {
            steady.frames.fetch_add(summary.frames, Ordering::Relaxed);
            steady
                .frames_dropped
                .fetch_add(summary.dropped, Ordering::Relaxed);
        }
        result.runs += 1;
        result.frames_dropped += summary.dropped;
        self.run.clear();
        self.run_started = None;
    }

    /// The call is over: the open run is analysed, a reply still awaited is unanswered.
    pub fn finish(&mut self, figures: &SharedFigures, result: &mut CallResult) {
        self.end_run(figures, result);
        if self.awaiting_reply.take().is_some() {
            result.turns_unanswered += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_of_half_a_second_splits_the_bots_frames_into_two_runs() {
        let figures = SharedFigures::default();
        let mut result = CallResult::default();
        let mut bot = BotFrames::default();
        let origin = Instant::now();
        bot.turn_started(&mut result);
        bot.await_reply(origin);
        for n in 0..5u32 {
            bot.arrived(origin + FRAME * (10 + n), &figures, &mut result);
        }
        assert!(bot.bot_speaking(origin + FRAME * 15));
        bot.end_if_quiet(origin + FRAME * 15, &figures, &mut result);
        assert_eq!(result.runs, 0, "a short pause keeps the run open");
        for n in 0..3u32 {
            bot.arrived(origin + FRAME * (60 + n), &figures, &mut result);
        }
        assert_eq!(
            result.runs, 1,
            "the pause before frame 60 ended the first run"
        );
        bot.end_if_quiet(origin + FRAME * 100, &figures, &mut result);
        assert!(!bot.bot_speaking(origin + FRAME * 100));
        assert_eq!((result.runs, result.frames_received), (2, 8));
        assert_eq!(result.frames_dropped, 0);
        assert_eq!(figures.frame_lateness.count(), 8);
        assert_eq!(figures.turn_latency.count(), 1);
        assert_eq!(figures.turn_latency.quantile_us(0.5), Some(200_000));
    }

    #[test]
    fn a_turn_without_a_reply_is_counted_unanswered() {
        let figures = SharedFigures::default();
        let mut result = CallResult::default();
        let mut bot = BotFrames::default();
        bot.turn_started(&mut result);
        bot.await_reply(Instant::now());
        bot.turn_started(&mut result);
        bot.await_reply(Instant::now());
        bot.finish(&figures, &mut result);
        assert_eq!((result.turns, result.turns_unanswered), (2, 2));
    }
}
