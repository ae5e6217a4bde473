//! Runs a call's session in real time for a transport: converts the wall clock to call
//! time, tells the transport when to come back, hands over what is new in the timeline,
//! and stores the record when the call ends (or is dropped mid-call).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use super::metered_script::MeteredScript;
use super::service::CallService;
use crate::contract::Millis;
use crate::session::{CallRecord, CallerInput, Output, Playout, Session, TimelineEntry};
use crate::store::CallSummary;

/// What happened since the last update: for the transport to send on.
#[derive(Debug, Default)]
pub struct DriverUpdate {
    pub outputs: Vec<Output>,
    /// New timeline entries (events, actions, logs, failures), in order.
    pub timeline: Vec<TimelineEntry>,
    pub ended: bool,
}

/// One live call.
pub struct CallDriver {
    session: Session<MeteredScript, Box<dyn Playout>>,
    summary: CallSummary,
    service: Arc<CallService>,
    started: Instant,
    sent: usize,
    stored: bool,
    shutdown: watch::Receiver<bool>,
    span: tracing::Span,
}

impl CallDriver {
    pub(crate) fn new(
        session: Session<MeteredScript, Box<dyn Playout>>,
        summary: CallSummary,
        service: Arc<CallService>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let span = tracing::info_span!(
            "call",
            call_id = %summary.call_id,
            tenant = %summary.tenant_id,
            module = %summary.module,
            version = summary.module_version,
        );
        Self {
            session,
            summary,
            service,
            started: Instant::now(),
            sent: 0,
            stored: false,
            shutdown,
            span,
        }
    }

    pub fn call_id(&self) -> &str {
        &self.summary.call_id
    }

    /// The span every log line of this call belongs to.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    fn now(&self) -> Millis {
        self.started.elapsed().as_millis() as Millis
    }

    /// Delivers `call-started`.
    pub async fn start(&mut self) -> DriverUpdate {
        tracing::info!(parent: &self.span, "call started");
        let outputs = self.session.start().await;
        self.settled(outputs).await
    }

    pub async fn input(&mut self, input: CallerInput) -> DriverUpdate {
        let now = self.now();
        let outputs = self.session.input(now, input).await;
        self.settled(outputs).await
    }

    /// Lets the session catch up with the clock (call at [`Self::deadline`]).
    pub async fn tick(&mut self) -> DriverUpdate {
        let now = self.now();
        let outputs = self.session.advance(now).await;
        self.settled(outputs).await
    }

    /// Also runs whatever is already due (zero-length playback in text calls, timers that
    /// expired meanwhile), so one turn's outputs go out together.
    async fn settled(&mut self, mut outputs: Vec<Output>) -> DriverUpdate {
        loop {
            let now = self.now();
            match self.session.next_deadline() {
                Some(due) if due <= now => outputs.extend(self.session.advance(now).await),
                _ => break,
            }
        }
        self.update(outputs)
    }

    /// The host ends the call (the transport went away, or the server is stopping).
    pub async fn hang_up(&mut self, reason: &str) -> DriverUpdate {
        let now = self.now();
        let outputs = self.session.hang_up(now, reason).await;
        self.update(outputs)
    }

    /// When [`Self::tick`] has something to do.
    pub fn deadline(&self) -> Option<tokio::time::Instant> {
        self.session.next_deadline().map(|ms| {
            tokio::time::Instant::from_std(self.started + std::time::Duration::from_millis(ms))
        })
    }

    /// Changes to `true` when the server asks live calls to end.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    pub fn is_ended(&self) -> bool {
        self.session.is_ended()
    }

    pub fn record(&self) -> &CallRecord {
        self.session.record()
    }

    fn update(&mut self, outputs: Vec<Output>) -> DriverUpdate {
        let timeline = &self.session.record().timeline;
        let new = timeline[self.sent.min(timeline.len())..].to_vec();
        self.sent = timeline.len();
        let ended = self.session.is_ended();
        if ended && !self.stored {
            self.stored = true;
            let _enter = self.span.enter();
            tracing::info!(reason = ?self.session.record().end, "call ended");
            self.service
                .finished(self.summary.clone(), self.session.record(), false);
        }
        DriverUpdate {
            outputs,
            timeline: new,
            ended,
        }
    }
}

impl Drop for CallDriver {
    /// A driver dropped before its call ended (a panic, a cancelled task) still leaves a
    /// record, marked interrupted, and frees the tenant's slot.
    fn drop(&mut self) {
        if !self.stored {
            self.stored = true;
            self.service
                .finished(self.summary.clone(), self.session.record(), true);
        }
    }
}
