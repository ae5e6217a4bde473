//! Ending a call whose script was cut off in the middle of an event: the customer hung up
//! (or the server is stopping) while the script was still busy, and its driver would not
//! wait. This module owns what the session knows about an event left unfinished and how
//! such a call ends; the driver decides when to give up on the script.
//!
//! # Cancel safety: what is true when a session future is dropped
//!
//! The session's async methods ([`Session::start`], [`Session::input`],
//! [`Session::advance`], [`Session::hang_up`]) wait in one place only: `dispatch`, while the
//! script handles an event and then while its reply's audio is prepared. Everything else
//! runs between two waits, so a driver that drops the future (the wasmtime call with it)
//! leaves the session in this state:
//!
//! - the event was taken off the queue and its `event` entry is in the timeline, but
//!   nothing of the reply was carried out: its actions and logs are lost with the future
//!   (dropped while the audio was being prepared, the reply's CPU time was counted);
//! - everything else (playback queue, timers, listening, the outputs gathered so far) is as
//!   the last completed step left it, consistent;
//! - the script instance stopped at an await point inside the guest, half-way through its
//!   event. It must never be called again: that would run a guest whose memory is in the
//!   middle of an event that will never finish.
//!
//! Nothing in that state tells a finished event from an abandoned one, so the session
//! marks each event as in flight while it is dispatched ([`InFlight`]). A marker still set
//! means the future was dropped: [`Session::cut_off`] then drops the script, notes which
//! event it was cut off in, and ends the call without delivering `hang-up`; and should a
//! driver go on without cutting off, the session drops the script before delivering
//! anything else.

use super::{CallerInput, Output, Playout, Session, TimelineEntry};
use huashu_contract::{CallScript, Event, Millis, Party};

/// The event being dispatched: set before the script is called, cleared once its reply
/// has been carried out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlight {
    /// When it was delivered, in ms since the call started.
    at_ms: Millis,
    /// Its name as the record spells it (`final_transcript`).
    event: &'static str,
}

impl InFlight {
    pub(crate) fn of(event: &Event, at_ms: Millis) -> Self {
        Self {
            at_ms,
            event: event_name(event),
        }
    }
}

impl<S: CallScript, P: Playout> Session<S, P> {
    /// Whether the script was left in the middle of an event: a future of this session was
    /// dropped while the script handled it (or while its reply's audio was prepared). Only
    /// [`Session::cut_off`] should follow; the script is never called again.
    pub fn is_mid_event(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Ends the call at `now`, by `by`, for `reason`, without calling the script again: for
    /// a driver that could not wait for it (it dropped this session's future mid-event, see
    /// the module docs, or the script took too long over the events that end the call).
    ///
    /// An event left unfinished is noted in the timeline (an `ignored` entry naming it) and
    /// the script is dropped. A call still up ends now (a customer's hang-up is recorded as
    /// their input, as [`Session::input`] would); a call already over keeps its end.
    /// Nothing queued is delivered, `hang-up` included: a script cut off mid-event never
    /// hears the end. Returns what media and the transport must do (stop the audio, close
    /// the line).
    pub fn cut_off(&mut self, now: Millis, by: Party, reason: &str) -> Vec<Output> {
        self.now = self.now.max(now);
        self.forget_abandoned_script(&format!(
            "the call ended ({reason}) while the script was still handling it"
        ));
        if !self.ended {
            if by == Party::Customer {
                self.record.timeline.push(TimelineEntry::Input {
                    at_ms: self.now,
                    input: CallerInput::HangUp {
                        reason: reason.into(),
                    },
                });
            }
            self.end_call(by, reason.into());
        }
        self.pending.clear();
        std::mem::take(&mut self.outputs)
    }

    /// If an event was left unfinished, drops the script (it is never called again) and
    /// notes in the timeline which event it was cut off in, and `why`.
    pub(crate) fn forget_abandoned_script(&mut self, why: &str) {
        let Some(InFlight { at_ms, event }) = self.in_flight.take() else {
            return;
        };
        self.script = None;
        self.record.timeline.push(TimelineEntry::Ignored {
            at_ms: self.now,
            what: format!("the rest of the script's `{event}` event (delivered at {at_ms} ms)"),
            why: format!("{why}: the script was cut off mid-event and is never called again"),
        });
    }
}

/// An event's name as the record's `event` tag spells it.
fn event_name(event: &Event) -> &'static str {
    match event {
        Event::CallStarted(_) => "call_started",
        Event::SpeechStarted => "speech_started",
        Event::PartialTranscript(_) => "partial_transcript",
        Event::FinalTranscript(_) => "final_transcript",
        Event::NoInput(_) => "no_input",
        Event::Dtmf(_) => "dtmf",
        Event::PlaybackFinished(_) => "playback_finished",
        Event::TimerFired { .. } => "timer_fired",
        Event::AudioFrame(_) => "audio_frame",
        Event::TransferResult(_) => "transfer_result",
        Event::HangUp(_) => "hang_up",
        Event::HttpResponse(_) => "http_response",
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::{CallRecord, InstantPlayout, SessionConfig};
    use huashu_contract::{
        CallStarted, Channel, Direction, ScriptFailure, ScriptReply, Transcript,
    };

    /// A script that never finishes the event named `sleeps_on` (as a guest asleep in a
    /// host call) and answers every other event with nothing; it notes what it was given.
    struct SleepyScript {
        sleeps_on: &'static str,
        seen: Arc<Mutex<Vec<&'static str>>>,
    }

    impl CallScript for SleepyScript {
        async fn handle(
            &mut self,
            event: &Event,
            _elapsed: Millis,
        ) -> Result<ScriptReply, ScriptFailure> {
            let name = event_name(event);
            self.seen.lock().expect("not poisoned").push(name);
            if name == self.sleeps_on {
                std::future::pending::<()>().await;
            }
            Ok(ScriptReply::default())
        }
    }

    type Sleepy = Session<SleepyScript, InstantPlayout>;

    fn session(sleeps_on: &'static str) -> (Sleepy, Arc<Mutex<Vec<&'static str>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = SleepyScript {
            sleeps_on,
            seen: seen.clone(),
        };
        let call = CallStarted {
            call_id: "c1".into(),
            direction: Direction::Inbound,
            caller: String::new(),
            callee: String::new(),
            channel: Channel::Text,
            variables: Vec::new(),
            started_at_ms: 0,
            random_seed: 1,
        };
        let session = Session::new(script, InstantPlayout, call, SessionConfig::default());
        (session, seen)
    }

    /// Polls `future` once and drops it, as a driver racing it against a hang-up does.
    fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
        let mut future = pin!(future);
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    fn answer() -> CallerInput {
        CallerInput::Final {
            transcript: Transcript::typed("好的"),
        }
    }

    fn notes(record: &CallRecord) -> Vec<(&str, &str)> {
        record
            .timeline
            .iter()
            .filter_map(|entry| match entry {
                TimelineEntry::Ignored { what, why, .. } => Some((what.as_str(), why.as_str())),
                _ => None,
            })
            .collect()
    }

    fn hang_up_inputs(record: &CallRecord) -> usize {
        record
            .inputs()
            .filter(|(_, input)| matches!(input, CallerInput::HangUp { .. }))
            .count()
    }

    #[test]
    fn a_customer_who_hangs_up_mid_event_ends_the_call_and_the_script_never_hears_of_it() {
        let (mut session, seen) = session("final_transcript");
        assert!(poll_once(session.start()).is_ready());
        assert!(poll_once(session.input(100, answer())).is_pending());
        assert!(session.is_mid_event());

        let outputs = session.cut_off(250, Party::Customer, "customer-hung-up");

        assert!(!session.is_mid_event());
        assert!(session.is_ended());
        let end = session.record().end.clone().expect("the call ended");
        assert_eq!(
            (end.at_ms, end.by, end.reason.as_str()),
            (250, Party::Customer, "customer-hung-up")
        );
        assert!(
            outputs
                .iter()
                .any(|output| matches!(output, Output::Ended { .. }))
        );
        let notes = notes(session.record());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].0.contains("`final_transcript`"), "{notes:?}");
        assert!(notes[0].0.contains("delivered at 100 ms"), "{notes:?}");
        assert!(notes[0].1.contains("customer-hung-up"), "{notes:?}");
        assert!(notes[0].1.contains("cut off"), "{notes:?}");
        assert_eq!(
            hang_up_inputs(session.record()),
            1,
            "replay sees the hang-up"
        );
        assert!(poll_once(session.input(300, CallerInput::SpeechStarted)).is_ready());
        assert_eq!(
            *seen.lock().expect("not poisoned"),
            ["call_started", "final_transcript"],
            "no `hang-up`, nothing after the cut"
        );
        assert!(
            session
                .record()
                .events()
                .all(|(_, e)| !matches!(e, Event::HangUp(_)))
        );
    }

    #[test]
    fn a_script_cut_off_in_its_hang_up_handler_leaves_the_end_it_was_told_of() {
        let (mut session, seen) = session("hang_up");
        assert!(poll_once(session.start()).is_ready());
        let hang_up = CallerInput::HangUp {
            reason: "customer-hung-up".into(),
        };
        assert!(poll_once(session.input(100, hang_up)).is_pending());
        assert!(session.is_mid_event());

        session.cut_off(700, Party::Customer, "customer-hung-up");

        let end = session.record().end.clone().expect("the call ended");
        assert_eq!((end.at_ms, end.by), (100, Party::Customer));
        assert_eq!(hang_up_inputs(session.record()), 1, "recorded once");
        let notes = notes(session.record());
        assert!(
            notes.len() == 1 && notes[0].0.contains("`hang_up`"),
            "{notes:?}"
        );
        assert_eq!(
            *seen.lock().expect("not poisoned"),
            ["call_started", "hang_up"]
        );
    }

    #[test]
    fn a_call_cut_off_while_its_script_is_idle_ends_without_a_note_or_a_hang_up() {
        let (mut session, seen) = session("none");
        assert!(poll_once(session.start()).is_ready());
        assert!(!session.is_mid_event());

        session.cut_off(50, Party::Host, "server-shutdown");

        let end = session.record().end.clone().expect("the call ended");
        assert_eq!(
            (end.by, end.reason.as_str()),
            (Party::Host, "server-shutdown")
        );
        assert!(notes(session.record()).is_empty());
        assert_eq!(
            hang_up_inputs(session.record()),
            0,
            "the host's end is no input"
        );
        assert_eq!(*seen.lock().expect("not poisoned"), ["call_started"]);
    }

    #[test]
    fn a_session_driven_on_after_an_abandoned_event_never_calls_that_script_again() {
        let (mut session, seen) = session("final_transcript");
        assert!(poll_once(session.start()).is_ready());
        assert!(poll_once(session.input(100, answer())).is_pending());

        // A driver that forgets to cut off: the next delivery drops the script instead.
        assert!(poll_once(session.input(200, CallerInput::SpeechStarted)).is_ready());

        assert!(!session.is_mid_event());
        assert_eq!(
            *seen.lock().expect("not poisoned"),
            ["call_started", "final_transcript"]
        );
        let notes = notes(session.record());
        assert!(
            notes.len() == 1 && notes[0].0.contains("`final_transcript`"),
            "{notes:?}"
        );
    }
}
