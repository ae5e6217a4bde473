//! Runs a call's session in real time for a transport: converts the wall clock to call
//! time, tells the transport when to come back, hands over what is new in the timeline,
//! and stores the record when the call ends (or is dropped mid-call).
//!
//! A recorded call's record waits for [`CallDriver::store_record`]: the call ends when the
//! session says so, but the bot's last words may still be going out, and the recording
//! (stored with the record) should have them.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

use super::metered_script::MeteredScript;
use super::service::CallService;
use crate::contract::Millis;
use crate::session::{CallRecord, CallerInput, Output, Playout, Session, TimelineEntry};
use crate::store::CallSummary;

/// Hands over what a call recorded (a WAV file) when its record is stored; `None` if there
/// is nothing to keep. Voice calls of tenants that record calls set one
/// ([`CallDriver::record_with`]).
pub(crate) type Recording = Box<dyn FnOnce() -> Option<Vec<u8>> + Send>;

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
    /// The end was logged (and, unless the record waits for a recording, stored).
    end_seen: bool,
    stored: bool,
    recording: Option<Recording>,
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
            end_seen: false,
            stored: false,
            recording: None,
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

    /// When the call started: call time 0, the clock `at_ms` in the record counts from.
    pub(crate) fn started_at(&self) -> Instant {
        self.started
    }

    /// Records the call: what `recording` hands over is stored with the record, and the
    /// record waits for [`Self::store_record`] once the call has ended (or for the driver
    /// to be dropped).
    pub(crate) fn record_with(&mut self, recording: Recording) {
        self.recording = Some(recording);
    }

    /// Stores the record of an ended call that waited for its recording (the transport has
    /// sent the last of the call's audio). Does nothing before the end, or once stored.
    pub(crate) fn store_record(&mut self) {
        if self.session.is_ended() && !self.stored {
            self.store(false);
        }
    }

    fn store(&mut self, interrupted: bool) {
        self.stored = true;
        let recording = self.recording.take().and_then(|finish| finish());
        self.service.finished(
            self.summary.clone(),
            self.session.record(),
            interrupted,
            recording,
        );
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
        if ended && !self.end_seen {
            self.end_seen = true;
            let span = self.span.clone();
            let _enter = span.enter();
            tracing::info!(reason = ?self.session.record().end, "call ended");
            if self.recording.is_none() {
                self.store(false);
            }
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
    /// record, marked interrupted, and frees the tenant's slot. An ended call whose record
    /// was waiting for its recording is stored as it ended.
    fn drop(&mut self) {
        if !self.stored {
            let span = self.span.clone();
            let _enter = span.enter();
            self.store(!self.session.is_ended());
        }
    }
}
