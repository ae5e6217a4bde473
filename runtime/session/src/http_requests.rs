//! The script's outbound HTTP requests as the session sees them: ids, the per-call and
//! per-event limits, which requests are in flight, and matching answers to them.
//!
//! The session does not make requests. It hands each one to its driver as
//! [`Output::HttpRequest`](super::Output::HttpRequest) and delivers the answer, which comes
//! back as [`CallerInput::HttpResponse`](super::CallerInput::HttpResponse), to the script as
//! an `http-response` event. Answers are inputs, so they are in the call's timeline and a
//! replay feeds them back at the same moments without calling out. Refusals the session
//! decides itself (a limit reached, an id already in flight) are answered at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use huashu_contract::{HttpError, HttpRequest, HttpResult, Millis};

/// A tenant's limits on a call's outbound HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpLimits {
    /// Requests one call may make in all.
    pub per_call: u32,
    /// Requests one event's answer may make.
    pub per_event: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            // A call looks up a customer, an order, a balance and records a result or two:
            // twenty leaves room for retries without letting a looping script hammer the
            // tenant's systems.
            per_call: 20,
            // One answer rarely needs more than a lookup and a write.
            per_event: 4,
        }
    }
}

/// What the session knows of its requests.
#[derive(Debug, Default)]
pub(super) struct HttpRequests {
    limits: HttpLimits,
    /// Requests sent and not yet answered: id → when sent.
    in_flight: BTreeMap<String, Millis>,
    made: u32,
    made_this_event: u32,
    last_id: u32,
}

/// What to do with a request the script asked for.
pub(super) enum Verdict {
    /// Send it (its id filled in).
    Send(HttpRequest),
    /// Answer it at once with this.
    Answer(HttpResult),
}

impl HttpRequests {
    pub(super) fn new(limits: HttpLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// A new event is being handled: its answer may make `per_event` requests again.
    pub(super) fn next_event(&mut self) {
        self.made_this_event = 0;
    }

    /// The script asked for `request` at `now`.
    pub(super) fn ask(&mut self, mut request: HttpRequest, now: Millis) -> Verdict {
        if request.id.is_empty() {
            self.last_id += 1;
            request.id = format!("h{}", self.last_id);
        }
        let refuse = |error| {
            Verdict::Answer(HttpResult {
                id: request.id.clone(),
                outcome: Err(error),
                elapsed_ms: 0,
            })
        };
        if self.in_flight.contains_key(&request.id) {
            return refuse(HttpError::Refused(format!(
                "a request with id `{}` is already in flight",
                request.id
            )));
        }
        if self.made >= self.limits.per_call {
            return refuse(HttpError::Limited(format!(
                "a call may make {} requests",
                self.limits.per_call
            )));
        }
        if self.made_this_event >= self.limits.per_event {
            return refuse(HttpError::Limited(format!(
                "one event's answer may make {} requests",
                self.limits.per_event
            )));
        }
        self.made += 1;
        self.made_this_event += 1;
        self.in_flight.insert(request.id.clone(), now);
        Verdict::Send(request)
    }

    /// The answer to a request, with its elapsed time measured in call time (so a replay
    /// reads the same); `None` if no request with its id is in flight.
    pub(super) fn answered(&mut self, mut result: HttpResult, now: Millis) -> Option<HttpResult> {
        let sent = self.in_flight.remove(&result.id)?;
        result.elapsed_ms = u32::try_from(now.saturating_sub(sent)).unwrap_or(u32::MAX);
        Some(result)
    }

    /// The call ended: answers still on their way are of no use.
    pub(super) fn forget_in_flight(&mut self) {
        self.in_flight.clear();
    }
}
