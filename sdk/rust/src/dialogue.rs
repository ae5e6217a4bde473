//! The [`Dialogue`] trait a script implements: one method per event of the call.
//!
//! This module only routes events to methods; what a method can answer with lives in
//! [`crate::actions`], and how the script is exported in [`crate::export_dialogue!`].

use crate::actions::Actions;
use crate::{
    AudioFrame, CallStarted, Dtmf, Event, HangUp, HttpResult, NoInput, PlaybackFinished,
    TimerFired, Transcript, TransferResult,
};

/// A call script. Implement the handlers for the events you care about; every handler has a
/// default that does nothing.
///
/// The host delivers the events of one call, in order, to one value of your type (created
/// with `Default` just before `call-started`). Keep whatever you need to remember between
/// events (the dialogue state, retry counters, the customer's name…) in its fields.
///
/// Each handler answers through `out`: what you add there is carried out, in order, when the
/// handler returns. Nothing happens while the handler runs, so there is no point waiting in
/// it: ask for a [`Listen`](crate::Listen) or a timer and return.
pub trait Dialogue {
    /// The call is connected. The first event, exactly once: greet and listen here.
    fn on_call_started(&mut self, call: &CallStarted, out: &mut Actions) {
        let _ = (call, out);
    }

    /// The customer started speaking. Barge-in is handled by the host; this is for scripts
    /// that want to react earlier than the transcript (e.g. cancel a timer).
    fn on_speech_started(&mut self, out: &mut Actions) {
        let _ = out;
    }

    /// A running guess of what the customer is saying. It may change; decide on
    /// [`on_final_transcript`](Self::on_final_transcript).
    fn on_partial_transcript(&mut self, transcript: &Transcript, out: &mut Actions) {
        let _ = (transcript, out);
    }

    /// What the customer said, final. This is where most of a script's decisions are made.
    ///
    /// Classify it with an [`IntentMatcher`](crate::IntentMatcher): readings below its
    /// minimum confidence are guesses and classify as nothing, like speech that was not
    /// understood at all. When nothing was understood, `transcript.not_understood` says why,
    /// and the reasons call for different answers:
    ///
    /// ```
    /// use huashu_sdk::prelude::*;
    ///
    /// fn unclear(t: &Transcript, out: &mut Actions) {
    ///     match &t.not_understood {
    ///         // The server cannot hear this language at all: asking again will not help.
    ///         Some(NotUnderstood::NoRecogniser(_)) => {
    ///             out.say("请按1确认，按2取消。");
    ///             out.listen(Listen::new().no_input_ms(6000).dtmf(1, "", 3000));
    ///         }
    ///         // Out of the hints, a failed recogniser, or a low-confidence guess.
    ///         _ => {
    ///             out.say("不好意思，我没听清楚，请再说一遍。").barge_in();
    ///             out.listen(Listen::new().no_input_ms(6000));
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// `NotUnderstood` displays as one sentence for the log (`no recogniser for en-US`).
    fn on_final_transcript(&mut self, transcript: &Transcript, out: &mut Actions) {
        let _ = (transcript, out);
    }

    /// The customer said nothing within the listen's `no_input_ms`. `no_input.count` says how
    /// many times in a row.
    fn on_no_input(&mut self, no_input: &NoInput, out: &mut Actions) {
        let _ = (no_input, out);
    }

    /// The customer pressed keys.
    fn on_dtmf(&mut self, dtmf: &Dtmf, out: &mut Actions) {
        let _ = (dtmf, out);
    }

    /// A `say` or `play` finished or was stopped. `interrupted` is true when the customer
    /// barged in.
    fn on_playback_finished(&mut self, playback: &PlaybackFinished, out: &mut Actions) {
        let _ = (playback, out);
    }

    /// A timer started with [`Actions::start_timer`] fired.
    fn on_timer_fired(&mut self, timer: &TimerFired, out: &mut Actions) {
        let _ = (timer, out);
    }

    /// A block of the customer's audio (only after [`Actions::subscribe_audio`]).
    fn on_audio_frame(&mut self, frame: &AudioFrame, out: &mut Actions) {
        let _ = (frame, out);
    }

    /// The answer to [`Actions::transfer`]. On `Failed` you are still talking to the customer.
    fn on_transfer_result(&mut self, result: &TransferResult, out: &mut Actions) {
        let _ = (result, out);
    }

    /// The answer to an [`Actions::http`] request: a response (whatever its status) or why
    /// there is none. `result.id` says which request; [`HttpResult::json`] reads a 2xx JSON
    /// body or says what went wrong. Requests still in flight when the call ends get no
    /// answer.
    fn on_http_response(&mut self, result: &HttpResult, out: &mut Actions) {
        let _ = (result, out);
    }

    /// The call is over; always the last event. Only outcome changes and logging still have
    /// an effect here.
    fn on_hang_up(&mut self, hang_up: &HangUp, out: &mut Actions) {
        let _ = (hang_up, out);
    }

    /// Every event goes through here first. The default calls the matching `on_…` handler;
    /// override it to do something for every event, and call [`dispatch`] to keep the routing.
    fn on_event(&mut self, event: &Event, out: &mut Actions) {
        dispatch(self, event, out);
    }
}

/// Calls the handler of `script` that matches `event`.
pub fn dispatch<D: Dialogue + ?Sized>(script: &mut D, event: &Event, out: &mut Actions) {
    match event {
        Event::CallStarted(call) => script.on_call_started(call, out),
        Event::SpeechStarted => script.on_speech_started(out),
        Event::PartialTranscript(t) => script.on_partial_transcript(t, out),
        Event::FinalTranscript(t) => script.on_final_transcript(t, out),
        Event::NoInput(n) => script.on_no_input(n, out),
        Event::Dtmf(d) => script.on_dtmf(d, out),
        Event::PlaybackFinished(p) => script.on_playback_finished(p, out),
        Event::TimerFired(t) => script.on_timer_fired(t, out),
        Event::AudioFrame(f) => script.on_audio_frame(f, out),
        Event::TransferResult(r) => script.on_transfer_result(r, out),
        Event::HangUp(h) => script.on_hang_up(h, out),
        Event::HttpResponse(r) => script.on_http_response(r, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Alternative};

    #[derive(Default)]
    struct Echo {
        heard: Vec<String>,
    }

    impl Dialogue for Echo {
        fn on_final_transcript(&mut self, t: &Transcript, out: &mut Actions) {
            self.heard.push(t.text.clone());
            out.say(format!("您说的是{}", t.text));
        }
    }

    fn transcript(text: &str) -> Event {
        Event::FinalTranscript(Transcript {
            text: text.into(),
            confidence: 1.0,
            alternatives: Vec::<Alternative>::new(),
            not_understood: None,
        })
    }

    #[test]
    fn dispatch_routes_final_transcripts_to_their_handler() {
        let mut script = Echo::default();
        let mut out = Actions::new(1200);
        dispatch(&mut script, &transcript("好的"), &mut out);
        assert_eq!(script.heard, ["好的"]);
        assert!(matches!(&out.as_slice()[0], Action::Say(s) if s.text == "您说的是好的"));
    }

    #[test]
    fn unhandled_events_produce_no_actions() {
        let mut script = Echo::default();
        let mut out = Actions::new(0);
        script.on_event(&Event::SpeechStarted, &mut out);
        assert!(out.is_empty());
    }
}
