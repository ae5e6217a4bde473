//! Runs a call's session in real time for a transport: converts the wall clock to call
//! time, tells the transport when to come back, hands over what is new in the timeline,
//! and stores the record when the call ends (or is dropped mid-call).
//!
//! A recorded call's record waits for [`CallDriver::store_record`]: the call ends when the
//! session says so, but the bot's last words may still be going out, and the recording
//! (stored with the record) should have them.
//!
//! The record is written on tokio's blocking pool: each store write waits for sled to
//! flush it, which on an async worker would hold up the audio frames of every other call
//! scheduled there. The async paths wait for the write, so a call's record is stored (and
//! its slot freed) before its transport closes the socket.
//!
//! A call ends on time whatever its script is doing. A transport that hears the customer
//! hang up while a driver future is still waiting for the script (a tenant may allow 10 s
//! per event) drops that future and calls [`CallDriver::end_now`]: the script is cut off
//! mid-event (see the session's `cut_off` module for what that leaves behind) and never
//! hears `hang-up`. The driver itself gives the script [`CallDriver::ENDING_GRACE`] for the
//! events that end a call, and for an event under way when the server stops.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::http_calls::HttpCalls;
use super::metered_script::MeteredScript;
use super::service::CallService;
use huashu_contract::{Millis, Party};
use huashu_session::{CallRecord, CallerInput, Output, Playout, Session, TimelineEntry};
use huashu_store::CallSummary;

/// Hands over what a call recorded (a WAV file) when its record is stored; `None` if there
/// is nothing to keep. Voice calls of tenants that record calls set one
/// ([`CallDriver::record_with`]).
pub(crate) type Recording = Box<dyn FnOnce() -> Option<Vec<u8>> + Send>;

/// What happened since the last update: for the transport to send on.
#[derive(Debug, Default)]
pub struct DriverUpdate {
    /// What the session asks the transport to do (say, play, stop, transfer, hang up…).
    pub outputs: Vec<Output>,
    /// New timeline entries (events, actions, logs, failures), in order.
    pub timeline: Vec<TimelineEntry>,
    /// The call has ended (its record is being stored).
    pub ended: bool,
}

/// The reason a call ends with when the server stops.
const SERVER_SHUTDOWN: &str = "server-shutdown";

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
    /// The script's HTTP requests in flight.
    http: HttpCalls,
    span: tracing::Span,
}

impl CallDriver {
    /// How long a script may take over what ends its call (`hang-up`, and anything falling
    /// due before it), and how long an event already under way may still take once the
    /// server stops. 500 ms is the default wall-clock limit per event: a script within the
    /// default limits is never cut off, while one whose tenant allows 10 s per event cannot
    /// hold a call that is over (its record, its slot in the tenant's quota) that long.
    pub const ENDING_GRACE: Duration = Duration::from_millis(500);

    pub(crate) fn new(
        session: Session<MeteredScript, Box<dyn Playout>>,
        summary: CallSummary,
        service: Arc<CallService>,
        shutdown: watch::Receiver<bool>,
        http: HttpCalls,
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
            http,
            span,
        }
    }

    /// The call's id.
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
    pub(crate) async fn store_record(&mut self) {
        if self.session.is_ended() && !self.stored {
            self.store(false).await;
        }
    }

    /// Stores the record on the blocking pool and waits until it is stored. If this is
    /// cancelled, the write still completes.
    async fn store(&mut self, interrupted: bool) {
        let write = self.record_write(interrupted);
        if let Err(error) = tokio::task::spawn_blocking(move || write.run()).await {
            tracing::error!(parent: &self.span, %error, "storing the call record failed");
        }
    }

    /// The write of the call's record, to run on a blocking thread; from now on the
    /// driver counts the record as stored.
    fn record_write(&mut self, interrupted: bool) -> RecordWrite {
        self.stored = true;
        let service = self.service.clone();
        let summary = self.summary.clone();
        let record = self.session.record().clone();
        let recording = self.recording.take();
        let span = self.span.clone();
        RecordWrite(Some(Box::new(move || {
            span.in_scope(|| {
                // Mixing the recording is work for this thread too.
                let wav = recording.and_then(|finish| finish());
                service.finished(summary, &record, interrupted, wav);
            })
        })))
    }

    fn now(&self) -> Millis {
        call_time(self.started)
    }

    /// Delivers `call-started`.
    pub async fn start(&mut self) -> DriverUpdate {
        tracing::info!(parent: &self.span, "call started");
        self.turn(Turn::Start).await
    }

    /// Hands the session something the customer did (speech, a key, a hang-up…). A hang-up
    /// ends the call within [`Self::ENDING_GRACE`] ([`Self::end_now`]).
    pub async fn input(&mut self, input: CallerInput) -> DriverUpdate {
        if let CallerInput::HangUp { reason } = &input {
            let reason = reason.clone();
            return self.end_now(Party::Customer, &reason).await;
        }
        self.turn(Turn::Input(input)).await
    }

    /// Lets the session catch up with the clock (call at [`Self::deadline`]).
    pub async fn tick(&mut self) -> DriverUpdate {
        self.turn(Turn::Tick).await
    }

    /// Runs one turn of the session, then whatever is already due (zero-length playback in
    /// text calls, timers that expired meanwhile), so one turn's outputs go out together.
    /// If the server stops meanwhile, the turn has [`Self::ENDING_GRACE`] more to finish;
    /// then the script is cut off and the call ends by the host.
    async fn turn(&mut self, turn: Turn) -> DriverUpdate {
        let started = self.started;
        let session = &mut self.session;
        let work = async move {
            let mut outputs = match turn {
                Turn::Start => session.start().await,
                Turn::Input(input) => session.input(call_time(started), input).await,
                Turn::Tick => session.advance(call_time(started)).await,
            };
            loop {
                let now = call_time(started);
                match session.next_deadline() {
                    Some(due) if due <= now => outputs.extend(session.advance(now).await),
                    _ => break,
                }
            }
            outputs
        };
        match unless_stopping(self.shutdown.clone(), work).await {
            Some(outputs) => self.update(outputs).await,
            None => {
                tracing::warn!(parent: &self.span, "the server is stopping: the script is cut off mid-event");
                self.end_now(Party::Host, SERVER_SHUTDOWN).await
            }
        }
    }

    /// The host ends the call (the transport went away, or the server is stopping), within
    /// [`Self::ENDING_GRACE`] ([`Self::end_now`]).
    pub async fn hang_up(&mut self, reason: &str) -> DriverUpdate {
        self.end_now(Party::Host, reason).await
    }

    /// Ends the call now, by `by` (the customer, or else the host) for `reason`, whatever
    /// the script is doing, and stores its record.
    ///
    /// A transport that dropped a future of this driver because the customer hung up (or
    /// the connection went) while the script was busy calls this next: the script, left
    /// mid-event, is cut off. It is never called again, does not hear `hang-up`, and the
    /// record notes which event it was cut off in. A script that is not mid-event hears
    /// `hang-up` as usual, but gets [`Self::ENDING_GRACE`] for it (and for anything due
    /// before it) before it is cut off the same way.
    pub async fn end_now(&mut self, by: Party, reason: &str) -> DriverUpdate {
        if self.session.is_mid_event() {
            return self.cut_off(by, reason).await;
        }
        let now = self.now();
        let ended = if by == Party::Customer {
            let input = CallerInput::HangUp {
                reason: reason.into(),
            };
            tokio::time::timeout(Self::ENDING_GRACE, self.session.input(now, input)).await
        } else {
            tokio::time::timeout(Self::ENDING_GRACE, self.session.hang_up(now, reason)).await
        };
        match ended {
            Ok(outputs) => self.update(outputs).await,
            Err(_) => self.cut_off(by, reason).await,
        }
    }

    /// Ends the call without calling the script again; see [`Session::cut_off`].
    async fn cut_off(&mut self, by: Party, reason: &str) -> DriverUpdate {
        if self.session.is_mid_event() {
            tracing::info!(parent: &self.span, reason, "the call ended while the script was mid-event: it is cut off");
        }
        let now = self.now();
        let outputs = self.session.cut_off(now, by, reason);
        self.update(outputs).await
    }

    /// When [`Self::tick`] has something to do.
    pub fn deadline(&self) -> Option<tokio::time::Instant> {
        self.session
            .next_deadline()
            .map(|ms| tokio::time::Instant::from_std(self.started + Duration::from_millis(ms)))
    }

    /// The answer to one of the script's HTTP requests, once one is in: hand it to
    /// [`Self::input`]. Pending for ever while none is in flight; cancel-safe, so a
    /// transport waits on it beside its socket and timers.
    pub async fn http_answer(&mut self) -> CallerInput {
        self.http.next_answer().await
    }

    /// Changes to `true` when the server asks live calls to end.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// Whether the call has ended.
    pub fn is_ended(&self) -> bool {
        self.session.is_ended()
    }

    /// The call's record so far (final once the call has ended).
    pub fn record(&self) -> &CallRecord {
        self.session.record()
    }

    async fn update(&mut self, mut outputs: Vec<Output>) -> DriverUpdate {
        self.http.send_requests(&mut outputs);
        let timeline = &self.session.record().timeline;
        let new = timeline[self.sent.min(timeline.len())..].to_vec();
        self.sent = timeline.len();
        let ended = self.session.is_ended();
        if ended && !self.end_seen {
            self.end_seen = true;
            self.http.abort_all();
            tracing::info!(parent: &self.span, reason = ?self.session.record().end, "call ended");
            if self.recording.is_none() {
                self.store(false).await;
            }
        }
        DriverUpdate {
            outputs,
            timeline: new,
            ended,
        }
    }
}

/// One turn of the session: what [`CallDriver::turn`] runs.
enum Turn {
    Start,
    Input(CallerInput),
    Tick,
}

/// Call time: ms since the call started.
fn call_time(started: Instant) -> Millis {
    started.elapsed().as_millis() as Millis
}

/// Waits for `work` unless the server stops meanwhile: then `work` has
/// [`CallDriver::ENDING_GRACE`] more, and if it is still not done it is dropped (`None`).
/// Most turns finish on their first poll, so the shutdown signal is only looked at while
/// the script is really busy.
async fn unless_stopping<T>(
    mut shutdown: watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    let mut work = pin!(work);
    let stopping = tokio::select! {
        biased;
        done = &mut work => return Some(done),
        // `false`: the signal can no longer be given.
        stopping = async { shutdown.wait_for(|&stop| stop).await.is_ok() } => stopping,
    };
    if !stopping {
        return Some(work.await);
    }
    tokio::time::timeout(CallDriver::ENDING_GRACE, work)
        .await
        .ok()
}

impl Drop for CallDriver {
    /// A driver dropped before its call ended (a panic, a cancelled task) still leaves a
    /// record, marked interrupted, and frees the tenant's slot. An ended call whose record
    /// was waiting for its recording is stored as it ended.
    ///
    /// Inside a runtime the write goes to its blocking pool, unawaited (a drop cannot
    /// wait); [`CallService::drain`] still waits for it, as the slot is freed after it.
    fn drop(&mut self) {
        if !self.stored {
            let write = self.record_write(!self.session.is_ended());
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || write.run())),
                Err(_) => write.run(),
            }
        }
    }
}

/// A call's record waiting to be written. If it is dropped unwritten (a runtime shutting
/// down drops blocking tasks it has not started), it writes on the dropping thread: the
/// record is never lost.
struct RecordWrite(Option<Box<dyn FnOnce() + Send>>);

impl RecordWrite {
    /// Writes the record on this thread.
    fn run(mut self) {
        self.write_once();
    }

    fn write_once(&mut self) {
        if let Some(write) = self.0.take() {
            write();
        }
    }
}

impl Drop for RecordWrite {
    fn drop(&mut self) {
        self.write_once();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::lifecycle::tests::service_with_a_module;
    use crate::service::ServiceConfig;
    use huashu_contract::{CallStarted, Channel, Direction, ScriptFailure};
    use huashu_session::{InstantPlayout, SessionConfig};
    use huashu_store::{CallStatus, Tenant};

    /// A live call holding one of the tenant's slots. Its script failed to start, so it
    /// needs no guest: the fallback's apology is playing.
    fn live_call(service: &Arc<CallService>, tenant: &Tenant, call_id: &str) -> CallDriver {
        service.reserve(tenant).expect("a free slot");
        let call = CallStarted {
            call_id: call_id.into(),
            direction: Direction::Outbound,
            caller: String::new(),
            callee: String::new(),
            channel: Channel::Text,
            variables: Vec::new(),
            started_at_ms: 0,
            random_seed: 0,
        };
        let session = Session::failed_at_start(
            Box::new(InstantPlayout) as Box<dyn Playout>,
            call,
            SessionConfig::default(),
            ScriptFailure::CpuPerEvent { limit_ms: 1 },
        );
        let summary = CallSummary {
            call_id: call_id.into(),
            tenant_id: tenant.id.clone(),
            module: "bot".into(),
            module_version: 1,
            status: CallStatus::Live,
            created_at_ms: 0,
            ended_at_ms: None,
            intent: None,
            disposition: None,
            has_recording: false,
            progress: None,
            opted_out: false,
            callee: None,
            campaign_id: None,
            tags: Vec::new(),
        };
        let driver = CallDriver::new(
            session,
            summary,
            service.clone(),
            service.shutdown.subscribe(),
            service.http_calls(tenant),
        );
        assert!(!driver.is_ended());
        driver
    }

    fn stored(service: &CallService, tenant: &Tenant, call_id: &str) -> Option<CallSummary> {
        service
            .store()
            .call(&tenant.id, call_id)
            .expect("the store answers")
            .map(|(summary, _)| summary)
    }

    #[tokio::test]
    async fn a_call_hung_up_has_its_record_stored_and_its_slot_freed_when_hang_up_returns() {
        let (service, tenant) = service_with_a_module(ServiceConfig::default());
        let mut driver = live_call(&service, &tenant, "c_hung_up");
        let update = driver.hang_up("test").await;
        assert!(update.ended);
        let summary = stored(&service, &tenant, "c_hung_up").expect("the record is stored");
        assert_eq!(summary.status, CallStatus::Failed, "the script had failed");
        assert!(summary.ended_at_ms.is_some());
        assert_eq!(service.live_calls(&tenant.id), 0);
    }

    #[tokio::test]
    async fn a_recorded_call_is_stored_with_its_recording_when_store_record_returns() {
        let (service, tenant) = service_with_a_module(ServiceConfig::default());
        let mut driver = live_call(&service, &tenant, "c_recorded");
        driver.record_with(Box::new(|| Some(b"RIFF".to_vec())));
        driver.hang_up("test").await;
        assert!(
            stored(&service, &tenant, "c_recorded").is_none(),
            "the record waits for the recording"
        );
        assert_eq!(service.live_calls(&tenant.id), 1);
        driver.store_record().await;
        let summary = stored(&service, &tenant, "c_recorded").expect("the record is stored");
        assert!(summary.has_recording);
        let wav = service.store().recording(&tenant.id, "c_recorded");
        assert_eq!(wav.expect("the store answers"), Some(b"RIFF".to_vec()));
        assert_eq!(service.live_calls(&tenant.id), 0);
    }

    #[tokio::test]
    async fn a_driver_dropped_mid_call_in_a_runtime_is_stored_as_interrupted_before_drain_returns()
    {
        let (service, tenant) = service_with_a_module(ServiceConfig::default());
        drop(live_call(&service, &tenant, "c_dropped"));
        // The write went to the blocking pool; draining waits for the slot it frees.
        tokio::time::timeout(
            Duration::from_secs(10),
            service.drain(Duration::from_secs(5)),
        )
        .await
        .expect("drain returns");
        let summary = stored(&service, &tenant, "c_dropped").expect("the record is stored");
        assert_eq!(summary.status, CallStatus::Interrupted);
        assert_eq!(service.live_calls(&tenant.id), 0);
    }

    #[test]
    fn a_driver_dropped_outside_a_runtime_is_stored_as_interrupted_before_drop_returns() {
        let (service, tenant) = service_with_a_module(ServiceConfig::default());
        drop(live_call(&service, &tenant, "c_no_runtime"));
        let summary = stored(&service, &tenant, "c_no_runtime").expect("the record is stored");
        assert_eq!(summary.status, CallStatus::Interrupted);
        assert_eq!(service.live_calls(&tenant.id), 0);
    }
}
