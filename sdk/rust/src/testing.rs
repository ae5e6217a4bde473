//! [`Conversation`]: drive a script natively in unit tests, event by event, the way the
//! host would, and look at what it said and the outcome it recorded.
//!
//! This is for quick checks of a script's logic with `cargo test`; scenario files run with
//! `huashu test` remain the end-to-end check (timing, barge-in, playback).

use crate::actions::Actions;
use crate::dialogue::Dialogue;
use crate::{
    Action, Alternative, CallStarted, Channel, Direction, Dtmf, DtmfEnd, Event, HangUp, HttpError,
    HttpRequest, HttpResponse, HttpResult, NoInput, NotUnderstood, Outcome, Party,
    PlaybackFinished, Transcript, TransferResult,
};

/// One simulated call to a script of type `D`.
///
/// ```
/// use huashu_sdk::prelude::*;
/// use huashu_sdk::testing::{Conversation, said};
///
/// #[derive(Default)]
/// struct Echo;
/// impl Dialogue for Echo {
///     fn on_final_transcript(&mut self, t: &Transcript, out: &mut Actions) {
///         out.say(format!("您说：{}", t.text));
///         out.intent(IntentLevel::C).hang_up("done");
///     }
/// }
///
/// let mut call = Conversation::<Echo>::new().var("name", "王芳");
/// call.start();
/// let out = call.customer_says("你好");
/// assert_eq!(said(&out), ["您说：你好"]);
/// assert!(call.hung_up());
/// assert_eq!(call.outcome().intent, Some(IntentLevel::C));
/// ```
pub struct Conversation<D> {
    script: D,
    call: CallStarted,
    elapsed_ms: u64,
    no_inputs: u32,
    history: Vec<Action>,
}

impl<D: Dialogue + Default> Conversation<D> {
    /// A call with no variables, started at 2026-11-23T02:00:00Z (10:00 in Beijing).
    pub fn new() -> Self {
        Conversation {
            script: D::default(),
            call: CallStarted {
                call_id: "test-call".into(),
                direction: Direction::Outbound,
                caller: "4008001234".into(),
                callee: "13800138000".into(),
                channel: Channel::Text,
                variables: Vec::new(),
                started_at_ms: 1_795_399_200_000,
                random_seed: 0,
            },
            elapsed_ms: 0,
            no_inputs: 0,
            history: Vec::new(),
        }
    }

    /// Set a campaign variable before [`start`](Self::start).
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.call.variables.retain(|(k, _)| k != name);
        self.call.variables.push((name.into(), value.into()));
        self
    }

    /// Set the call's start time (milliseconds since the Unix epoch) before `start`.
    pub fn started_at_ms(mut self, unix_ms: u64) -> Self {
        self.call.started_at_ms = unix_ms;
        self
    }

    /// Deliver `call-started`.
    pub fn start(&mut self) -> Vec<Action> {
        self.send(Event::CallStarted(self.call.clone()))
    }

    /// Deliver any event; one simulated second passes before it.
    pub fn send(&mut self, event: Event) -> Vec<Action> {
        self.elapsed_ms += 1000;
        if matches!(event, Event::FinalTranscript(_) | Event::Dtmf(_)) {
            self.no_inputs = 0;
        }
        let mut out = Actions::new(self.elapsed_ms);
        self.script.on_event(&event, &mut out);
        let actions = out.into_vec();
        self.history.extend(actions.iter().cloned());
        actions
    }

    /// The customer says `text` (a final transcript, confidence 1.0).
    pub fn customer_says(&mut self, text: &str) -> Vec<Action> {
        self.send(Event::FinalTranscript(Transcript {
            text: text.into(),
            confidence: 1.0,
            alternatives: Vec::<Alternative>::new(),
            not_understood: None,
        }))
    }

    /// The recogniser heard `text` with only `confidence` (0.0 to 1.0): below the intent
    /// matchers' minimum (0.5 unless set), the script should treat it as not understood.
    pub fn customer_says_unsure(&mut self, text: &str, confidence: f32) -> Vec<Action> {
        self.send(Event::FinalTranscript(Transcript {
            text: text.into(),
            confidence,
            alternatives: Vec::<Alternative>::new(),
            not_understood: None,
        }))
    }

    /// The customer spoke but nothing was understood, for the reason `why` (empty text,
    /// confidence 0), e.g. `NotUnderstood::NoRecogniser("en-US".into())`.
    pub fn customer_not_understood(&mut self, why: NotUnderstood) -> Vec<Action> {
        self.send(Event::FinalTranscript(Transcript {
            text: String::new(),
            confidence: 0.0,
            alternatives: Vec::<Alternative>::new(),
            not_understood: Some(why),
        }))
    }

    /// The customer presses `digits`, delivered as one collection ended by `max-digits`.
    pub fn customer_presses(&mut self, digits: &str) -> Vec<Action> {
        self.send(Event::Dtmf(Dtmf {
            digits: digits.into(),
            ended_by: DtmfEnd::MaxDigits,
        }))
    }

    /// The customer stays silent past the no-input timeout.
    pub fn no_input(&mut self) -> Vec<Action> {
        self.no_inputs += 1;
        self.send(Event::NoInput(NoInput {
            count: self.no_inputs,
        }))
    }

    /// The playback `id` finished (`interrupted`: the customer barged in).
    pub fn playback_finished(&mut self, id: &str, interrupted: bool) -> Vec<Action> {
        self.send(Event::PlaybackFinished(PlaybackFinished {
            id: id.into(),
            interrupted,
            played_ms: 1000,
            total_ms: if interrupted { 5000 } else { 1000 },
        }))
    }

    /// The answer to a transfer.
    pub fn transfer_result(&mut self, result: TransferResult) -> Vec<Action> {
        self.send(Event::TransferResult(result))
    }

    /// The request `id` is answered with `status` and the JSON text `body` (the response
    /// carries `content-type: application/json`), 300 simulated milliseconds after the
    /// request.
    pub fn http_json(&mut self, id: &str, status: u16, body: &str) -> Vec<Action> {
        self.http_response(
            id,
            Ok(HttpResponse {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.into(),
            }),
        )
    }

    /// The request `id` gets no response: `error` (e.g. `HttpError::Timeout`).
    pub fn http_fails(&mut self, id: &str, error: HttpError) -> Vec<Action> {
        self.http_response(id, Err(error))
    }

    /// Deliver `http-response` for the request `id` with any outcome.
    pub fn http_response(
        &mut self,
        id: &str,
        outcome: Result<HttpResponse, HttpError>,
    ) -> Vec<Action> {
        self.send(Event::HttpResponse(HttpResult {
            id: id.into(),
            outcome,
            elapsed_ms: 300,
        }))
    }

    /// The call ends: `hang-up` by `by`.
    pub fn hang_up(&mut self, by: Party, reason: &str) -> Vec<Action> {
        self.send(Event::HangUp(HangUp {
            by,
            reason: reason.into(),
        }))
    }

    /// True once the script asked to hang up.
    pub fn hung_up(&self) -> bool {
        self.history.iter().any(|a| matches!(a, Action::HangUp(_)))
    }

    /// The reason of the script's last `opt-out`, if it opted the customer out (the host
    /// then puts the number on the tenant's do-not-call list).
    pub fn opted_out(&self) -> Option<&str> {
        self.history.iter().rev().find_map(|a| match a {
            Action::OptOut(reason) => Some(reason.as_str()),
            _ => None,
        })
    }

    /// The HTTP requests the script made, in order.
    pub fn http_requests(&self) -> Vec<&HttpRequest> {
        self.history
            .iter()
            .filter_map(|a| match a {
                Action::HttpRequest(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// The transfer targets the script asked for, in order.
    pub fn transfers(&self) -> Vec<&str> {
        self.history
            .iter()
            .filter_map(|a| match a {
                Action::Transfer(t) => Some(t.target.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The outcome so far, merged the way the host merges `set-outcome` actions.
    pub fn outcome(&self) -> Outcome {
        let mut merged = Outcome::new();
        for action in &self.history {
            if let Action::SetOutcome(o) = action {
                merged.intent = o.intent.or(merged.intent);
                merged.disposition = o.disposition.clone().or(merged.disposition);
                for tag in &o.tags {
                    merged = merged.tag(tag.as_str());
                }
                for (key, value) in &o.fields {
                    merged = merged.field(key.as_str(), value.as_str());
                }
            }
        }
        merged
    }

    /// The outcome field `key`, if set.
    pub fn field(&self, key: &str) -> Option<String> {
        let outcome = self.outcome();
        outcome
            .fields
            .into_iter()
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    /// The script itself, to inspect its state.
    pub fn script(&self) -> &D {
        &self.script
    }
}

impl<D: Dialogue + Default> Default for Conversation<D> {
    fn default() -> Self {
        Conversation::new()
    }
}

/// The texts of the `say` actions in `actions`, in order.
pub fn said(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(say) => Some(say.text.as_str()),
            _ => None,
        })
        .collect()
}
