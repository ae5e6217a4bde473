//! Voice calls: a [`CallDriver`] with audio both ways, for transports that carry audio
//! (Twilio Media Streams, the browser's audio WebSocket).
//!
//! ```text
//! transport payload ─► InboundAudio (decode, VAD, turns, ASR) ─► CallDriver (session, script)
//!                                                                     │ outputs
//! transport ◄── VoiceEvent (frames, marks, clear, updates) ◄── Pacer ◄┘ (prepared audio)
//! ```
//!
//! A [`VoiceCall`] owns both directions of one call. Every audio transport runs it with the
//! same loop, [`run_voice_call`] (`wire`): send what [`VoiceCall::take_event`] hands over,
//! then wait for either the wire or [`VoiceCall::wait`] (cancel-safe), and hand what woke
//! it to the call. The transport only says how its wire reads and writes ([`VoiceWire`]).
//!
//! Customer input the wire hands over ([`VoiceCall::input`], [`VoiceCall::media`]) waits in
//! the call until the loop delivers it, so that the script only ever runs while the loop
//! still listens to the wire: a customer who hangs up while the script is busy ends the
//! call at once ([`VoiceCall::end_now`]).
//!
//! The audio of each `play` and `say` is prepared before the session times it
//! ([`playout::AudioPlayout`]); the pacer then sends the very clip the session timed, so
//! barge-in reports how far the caller really heard it.

mod inbound;
mod playout;
mod recorder;
mod services;
mod wire;

pub use services::VoiceServices;
pub use wire::{VoiceWire, WireClose, WireStep, run_voice_call};

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use self::inbound::InboundAudio;
use self::playout::{AudioPlayout, PreparedAudio};
use self::recorder::CallRecorder;
use super::driver::{CallDriver, DriverUpdate};
use super::service::{CallError, CallService, PendingCall};
use huashu_contract::{Action, Party};
use huashu_media::alarm::Alarm;
use huashu_media::pacer::{FramePayload, Pacer, PacerConfig, PacerEvent};
use huashu_media::transport_codec::{CodecError, TransportCodec};
use huashu_metrics::Metrics;
use huashu_session::{CallerInput, Output, PlaySource, TimelineEntry};

/// How long the bot's last words may take to go out once the call has ended.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What the transport sends next.
#[derive(Debug)]
pub enum VoiceEvent {
    /// One 20 ms frame of the bot's audio, encoded for the call; send it now.
    Frame(FramePayload),
    /// Everything before this has been sent: the end of an utterance (Twilio `mark`).
    Mark(String),
    /// The bot stopped talking mid-utterance (barge-in, `stop-playback`, hang-up): the far
    /// end must drop the audio it has buffered (Twilio `clear`).
    Clear,
    /// What happened in the call (events, actions, logs…), for transports that report it.
    Update(DriverUpdate),
}

/// What woke [`VoiceCall::wait`]; hand it to [`VoiceCall::handle`].
#[derive(Debug)]
pub enum Wake {
    /// The recogniser heard something (speech started, a partial or final transcript).
    Recognised(CallerInput),
    /// The pacer's next frame (or mark) is due.
    Pacer(PacerEvent),
    /// The session's next deadline (a timer, no-input, the call's length) has come.
    Deadline,
    /// One of the script's HTTP requests was answered.
    HttpAnswer(CallerInput),
    /// The server asked live calls to end.
    Shutdown,
}

/// One call with audio; see the module docs.
pub struct VoiceCall {
    driver: CallDriver,
    codec: TransportCodec,
    inbound: InboundAudio,
    pacer: Pacer,
    prepared: PreparedAudio,
    outbox: VecDeque<VoiceEvent>,
    /// When the customer's latest final input arrived, if its answer is audio not yet sent.
    turn_from: Option<Instant>,
    /// When the customer stopped speaking in the utterance being answered, if the turn
    /// detector ended it: the start of the end-of-speech → reply latency.
    speech_turn_from: Option<Instant>,
    frames_dropped: u64,
    /// Set for calls of tenants that record calls.
    recorder: Option<CallRecorder>,
    /// Set when the call ends: the latest the last audio may still go out.
    drain_until: Option<Instant>,
    metrics: Arc<Metrics>,
    /// The timer for the session's next deadline, kept across waits.
    deadline: Alarm,
    /// Answers when the server asks live calls to end; `None` once it has.
    shutdown: Option<oneshot::Receiver<()>>,
    /// Customer input waiting for the loop to deliver it, with when it arrived.
    inputs: VecDeque<(CallerInput, Instant, Option<Instant>)>,
}

impl CallService {
    /// Starts a claimed call whose transport carries audio in `codec`.
    pub async fn start_voice(
        self: &Arc<Self>,
        pending: PendingCall,
        codec: TransportCodec,
    ) -> Result<VoiceCall, CallError> {
        let record = pending.tenant.record_calls;
        let media = self
            .voice()
            .cloned()
            .ok_or(CallError::VoiceUnavailable)
            .and_then(|services| {
                let media_error = |e: &dyn std::fmt::Display| CallError::Media(e.to_string());
                let recognizers = services.recognizers().clone();
                let inbound = InboundAudio::new(codec, recognizers, &pending.language, record)
                    .map_err(|e| media_error(&e))?;
                let pacer =
                    Pacer::new(codec, PacerConfig::default()).map_err(|e| media_error(&e))?;
                Ok((services, inbound, pacer))
            });
        let (services, inbound, pacer) = match media {
            Ok(media) => media,
            Err(error) => {
                self.abandon(pending).await;
                return Err(error);
            }
        };
        let prepared = if record {
            PreparedAudio::keeping_canonical()
        } else {
            PreparedAudio::default()
        };
        let playout = AudioPlayout::new(
            services.clone(),
            pending.tenant.id.clone(),
            codec,
            prepared.clone(),
        );
        // The fallback's apology must be playable even if the script fails on its first
        // event; after the first call it is a cache hit.
        playout
            .prepare_sources(vec![self.fallback_source()].into_iter().flatten().collect())
            .await;
        let mut driver = self.start_session(pending, Box::new(playout)).await?;
        let recorder = record.then(|| CallRecorder::start(&mut driver, prepared.clone()));
        let shutdown = Some(shutdown_requested(driver.shutdown_signal()));
        Ok(VoiceCall {
            driver,
            codec,
            inbound,
            pacer,
            prepared,
            outbox: VecDeque::new(),
            turn_from: None,
            speech_turn_from: None,
            frames_dropped: 0,
            drain_until: None,
            recorder,
            metrics: self.metrics().clone(),
            deadline: Alarm::default(),
            shutdown,
            inputs: VecDeque::new(),
        })
    }

    fn fallback_source(&self) -> Option<PlaySource> {
        match &self.session_config().fallback {
            huashu_session::Fallback::Apologize { text, voice } => Some(PlaySource::Speech {
                text: text.clone(),
                voice: voice.clone(),
            }),
            huashu_session::Fallback::Transfer { .. } => None,
        }
    }
}

impl VoiceCall {
    /// The call's session driver (record, span, id).
    pub fn driver(&self) -> &CallDriver {
        &self.driver
    }

    /// Whether the call has ended (its last audio may still be going out).
    pub fn is_ended(&self) -> bool {
        self.driver.is_ended()
    }

    /// The codec the transport carries.
    pub fn codec(&self) -> TransportCodec {
        self.codec
    }

    /// Whether audio is still queued to go out.
    pub fn is_playing(&self) -> bool {
        !self.pacer.is_idle()
    }

    /// True once the call has ended and its last audio has gone out (or had
    /// [`DRAIN_LIMIT`] to do so): the transport may close the socket.
    pub fn is_over(&mut self) -> bool {
        if !self.driver.is_ended() {
            return false;
        }
        let until = *self
            .drain_until
            .get_or_insert_with(|| Instant::now() + DRAIN_LIMIT);
        self.pacer.is_idle() || Instant::now() >= until
    }

    /// Delivers `call-started`.
    pub async fn start(&mut self) {
        let update = self.driver.start().await;
        self.absorb(update, None).await;
    }

    /// One payload of the customer's audio, as the transport received it.
    pub async fn media(&mut self, payload: &[u8]) -> Result<(), CodecError> {
        let mut heard = Vec::new();
        let frames = self.inbound.push(payload, &mut heard)?;
        if let Some(recorder) = &self.recorder {
            recorder.caller(frames);
        }
        for input in heard {
            self.input(input).await;
        }
        Ok(())
    }

    /// Customer-side input that is not audio: keys, typed text, hang-up, a transfer's
    /// answer. It waits in the call, in order, until the loop delivers it
    /// ([`run_voice_call`]): a wire acting on a message never waits for the script.
    pub async fn input(&mut self, input: CallerInput) {
        self.inputs.push_back((input, Instant::now(), None));
    }

    /// A recognition result: like [`Self::input`], with when the customer stopped
    /// speaking if it is the final transcript of an utterance the turn detector ended.
    async fn recognised(&mut self, input: CallerInput) {
        let speech_end = match input {
            CallerInput::Final { .. } => self.inbound.take_speech_end().map(Instant::from_std),
            _ => None,
        };
        self.inputs.push_back((input, Instant::now(), speech_end));
    }

    /// Whether customer input waits to be delivered ([`Self::deliver_input`]).
    pub(crate) fn has_input(&self) -> bool {
        !self.inputs.is_empty()
    }

    /// Delivers the oldest waiting customer input to the session (the script may be busy
    /// with it for as long as its tenant allows an event).
    pub(crate) async fn deliver_input(&mut self) {
        let Some((input, arrived, speech_end)) = self.inputs.pop_front() else {
            return;
        };
        let turn = matches!(input, CallerInput::Final { .. } | CallerInput::Dtmf { .. })
            .then_some(arrived);
        let update = self.driver.input(input).await;
        self.absorb(update, turn).await;
        if turn.is_some() && self.turn_from == turn {
            // The reply's first frame is queued: time it from the end of speech too.
            self.speech_turn_from = speech_end;
        }
    }

    /// The host ends the call (the transport went away or broke the protocol).
    pub async fn hang_up(&mut self, reason: &str) {
        let update = self.driver.hang_up(reason).await;
        self.absorb(update, None).await;
    }

    /// Ends the call now, whatever its script is doing ([`CallDriver::end_now`]): for the
    /// loop, after it dropped the call's work because the far end went away meanwhile.
    /// Input still waiting is dropped: the call is over.
    pub(crate) async fn end_now(&mut self, by: Party, reason: &str) {
        self.inputs.clear();
        let update = self.driver.end_now(by, reason).await;
        self.absorb(update, None).await;
    }

    /// The next thing to send, if any.
    pub fn take_event(&mut self) -> Option<VoiceEvent> {
        self.outbox.pop_front()
    }

    /// Waits until something needs doing: a recognition result, a frame due, the session's
    /// next deadline, an HTTP request's answer, or the server shutting down. Cancel-safe.
    pub async fn wait(&mut self) -> Wake {
        let deadline = self.driver.deadline();
        let live = !self.driver.is_ended();
        tokio::select! {
            input = self.inbound.next_result(), if live => Wake::Recognised(input),
            event = self.pacer.next_event() => Wake::Pacer(event),
            () = self.deadline.until(deadline) => Wake::Deadline,
            answer = self.driver.http_answer(), if live => Wake::HttpAnswer(answer),
            () = fired(&mut self.shutdown), if live => Wake::Shutdown,
        }
    }

    /// Acts on what woke [`Self::wait`].
    pub async fn handle(&mut self, wake: Wake) {
        match wake {
            Wake::Recognised(input) => self.recognised(input).await,
            Wake::HttpAnswer(input) => self.input(input).await,
            Wake::Pacer(PacerEvent::Frame { due, payload }) => {
                let now = Instant::now();
                let lateness = now.saturating_duration_since(due);
                self.metrics
                    .frame_sent(lateness, lateness >= self.pacer.late_after());
                if let Some(from) = self.turn_from.take() {
                    self.metrics
                        .turn_answered(now.saturating_duration_since(from));
                }
                if let Some(from) = self.speech_turn_from.take() {
                    self.metrics
                        .speech_turn_answered(now.saturating_duration_since(from));
                }
                self.count_drops();
                if let Some(recorder) = &self.recorder {
                    recorder.bot(due, &payload);
                }
                self.outbox.push_back(VoiceEvent::Frame(payload));
            }
            Wake::Pacer(PacerEvent::Mark(name)) => {
                self.outbox.push_back(VoiceEvent::Mark(name));
            }
            Wake::Deadline => {
                let update = self.driver.tick().await;
                self.absorb(update, None).await;
            }
            Wake::Shutdown => self.hang_up("server-shutdown").await,
        }
        self.store_once_played().await;
    }

    /// Carries out what the session wants of media, then queues the update.
    async fn absorb(&mut self, update: DriverUpdate, turn: Option<Instant>) {
        // The recogniser takes a listen's hints as soon as the script asks, not when the
        // session announces the listen after the prompts before it: a customer who barges
        // in is answering that listen.
        for entry in &update.timeline {
            if let TimelineEntry::Action {
                action: Action::Listen(listen),
                ..
            } = entry
            {
                self.inbound.listen(listen);
            }
        }
        for output in &update.outputs {
            match output {
                Output::Play { item, .. } => match self.prepared.get(&item.source) {
                    Some(audio) => {
                        if let Err(error) = self.pacer.push(
                            item.id.clone(),
                            huashu_media::pacer::PacerAudio::Encoded(audio),
                        ) {
                            tracing::error!(%error, id = %item.id, "cannot play audio");
                        }
                        self.pacer.mark(item.id.clone());
                        if turn.is_some() && self.turn_from.is_none() {
                            self.turn_from = turn;
                        }
                    }
                    None => tracing::warn!(id = %item.id, "no audio was prepared for this item"),
                },
                Output::StopPlayback { .. } => {
                    self.pacer.clear();
                    self.turn_from = None;
                    self.speech_turn_from = None;
                    self.outbox.push_back(VoiceEvent::Clear);
                }
                Output::Listen { listen, .. } => self.inbound.listen(listen),
                Output::AudioSubscription { sample_rate, .. } => {
                    // The session checked the rate (8 or 16 kHz); every line converts to it.
                    if let Err(error) = self.inbound.subscribe(*sample_rate) {
                        tracing::warn!(%error, "the script's audio subscription cannot be served");
                    }
                }
                Output::Transfer { .. }
                | Output::SendDtmf { .. }
                | Output::HttpRequest { .. }
                | Output::Ended { .. } => {}
            }
        }
        self.outbox.push_back(VoiceEvent::Update(update));
        self.store_once_played().await;
    }

    /// A recorded call's record (with its recording) is stored once the call has ended and
    /// its last audio has gone out; other calls' records are stored as they end.
    async fn store_once_played(&mut self) {
        if self.recorder.is_some() && self.driver.is_ended() && self.pacer.is_idle() {
            self.driver.store_record().await;
        }
    }

    fn count_drops(&mut self) {
        let dropped = self.pacer.stats().frames_dropped;
        if dropped > self.frames_dropped {
            self.metrics.frames_dropped(dropped - self.frames_dropped);
            self.frames_dropped = dropped;
        }
    }
}

impl Drop for VoiceCall {
    fn drop(&mut self) {
        self.count_drops();
    }
}

/// A per-call answer to the server's shutdown signal. The signal's waiter list is shared by
/// every call, and waiting on it takes its lock each time the waiter is polled: a call
/// polls its waits 50 times a second or more, so one small task per call waits on the
/// signal instead and answers on a channel of the call's own. The task ends with the call.
fn shutdown_requested(mut signal: watch::Receiver<bool>) -> oneshot::Receiver<()> {
    let (answer, requested) = oneshot::channel();
    tokio::spawn(async move {
        let mut answer = answer;
        tokio::select! {
            stopping = signal.wait_for(|&stop| stop) => {
                if stopping.is_ok() {
                    let _ = answer.send(());
                }
            }
            () = answer.closed() => {}
        }
    });
    requested
}

/// Completes when the shutdown is asked for; never if it cannot be any more. The receiver
/// is spent once it has answered either way.
async fn fired(signal: &mut Option<oneshot::Receiver<()>>) {
    let answer = match signal {
        Some(requested) => requested.await,
        None => return std::future::pending().await,
    };
    *signal = None;
    if answer.is_err() {
        std::future::pending::<()>().await;
    }
}
