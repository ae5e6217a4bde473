//! One call, from `call-started` to `hang-up`: the host side of the telephony rules.
//!
//! A [`Session`] delivers events to its script one at a time, in order, and carries out the
//! actions it answers with: the playback queue, listening with no-input timers, DTMF
//! collection, script timers, barge-in, transfer and hang-up, the maximum call length, and
//! the tenant's fallback when the script fails. It writes the [`CallRecord`] as it goes.
//!
//! The session does no I/O and reads no clock. Its driver passes the time with every call
//! (`now`, milliseconds since the call started) and asks [`Session::next_deadline`] when to
//! come back: the server drives it in real time, the scenario runner in virtual time. What
//! the session wants done outside comes back as [`Output`]s.
//!
//! It does not own audio: media reports how long things take through [`Playout`] and plays
//! what [`Output::Play`] says.

mod actions;
mod customer_input;
mod cut_off;
mod dtmf_collector;
mod fallback;
mod http_requests;
mod io;
mod playback_queue;
mod playout;
mod record;

pub use fallback::Fallback;
pub use http_requests::HttpLimits;
pub use io::{CallerInput, Output};
pub use playback_queue::{PlayItem, PlaySource};
pub use playout::test_playouts;
pub use playout::{EstimatedPlayout, InstantPlayout, Playout, Prepared, estimate_speech_ms};
pub use record::{CallEnd, CallRecord, ScriptTimings, Speaker, TimelineEntry, TranscriptLine};

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use self::cut_off::InFlight;
use self::dtmf_collector::DtmfCollector;
use self::http_requests::HttpRequests;
use self::playback_queue::PlaybackQueue;
use huashu_contract::{
    CallScript, CallStarted, Event, HangUp, Listen, Millis, NoInput, Party, ScriptFailure, Transfer,
};

/// Host-side rules for a call, per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionConfig {
    /// The host hangs up after this long, whatever the script does.
    pub max_call_ms: Millis,
    /// What the host does once the script has failed (it is never called again).
    pub fallback: Fallback,
    /// Limits on the script's outbound HTTP requests.
    pub http: HttpLimits,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            // Outbound campaign calls last a minute or two; half an hour means a stuck call.
            max_call_ms: 30 * 60 * 1000,
            fallback: Fallback::default(),
            http: HttpLimits::default(),
        }
    }
}

/// What happens once everything queued has played.
#[derive(Debug, Clone)]
enum AfterPlayback {
    Transfer(Transfer),
    HangUp { by: Party, reason: String },
}

/// One call's host side.
pub struct Session<S: CallScript, P: Playout> {
    script: Option<S>,
    playout: P,
    config: SessionConfig,
    now: Millis,
    playback: PlaybackQueue,
    listening: Option<Listen>,
    /// Whether the current listen was announced ([`Output::Listen`]): that happens once
    /// everything queued before it has played, when listening really starts.
    listen_announced: bool,
    no_input_at: Option<Millis>,
    no_input_count: u32,
    dtmf: DtmfCollector,
    timers: BTreeMap<String, Millis>,
    audio_rate: Option<u32>,
    after_playback: Option<AfterPlayback>,
    awaiting_transfer: bool,
    http: HttpRequests,
    ended: bool,
    record: CallRecord,
    pending: VecDeque<Event>,
    /// The event being dispatched; still set after a dispatch means its future was
    /// dropped mid-event (see `cut_off`).
    in_flight: Option<InFlight>,
    outputs: Vec<Output>,
}

impl<S: CallScript, P: Playout> Session<S, P> {
    /// A session for `call`, answered by `script`; nothing happens before [`Session::start`].
    pub fn new(script: S, playout: P, call: CallStarted, config: SessionConfig) -> Self {
        Self::with_script(Some(script), playout, call, config)
    }

    /// A session whose script could not even be instantiated: it records the failure and
    /// runs the fallback from the start.
    pub fn failed_at_start(
        playout: P,
        call: CallStarted,
        config: SessionConfig,
        failure: ScriptFailure,
    ) -> Self {
        let mut session = Self::with_script(None, playout, call, config);
        session.fail(failure);
        session
    }

    fn with_script(
        script: Option<S>,
        playout: P,
        call: CallStarted,
        config: SessionConfig,
    ) -> Self {
        Self {
            http: HttpRequests::new(config.http),
            script,
            playout,
            config,
            now: 0,
            playback: PlaybackQueue::default(),
            listening: None,
            listen_announced: false,
            no_input_at: None,
            no_input_count: 0,
            dtmf: DtmfCollector::default(),
            timers: BTreeMap::new(),
            audio_rate: None,
            after_playback: None,
            awaiting_transfer: false,
            ended: false,
            record: CallRecord::new(call),
            pending: VecDeque::new(),
            in_flight: None,
            outputs: Vec::new(),
        }
    }

    /// Delivers `call-started`. Call once, first.
    pub async fn start(&mut self) -> Vec<Output> {
        let call = self.record.call.clone();
        self.pending.push_back(Event::CallStarted(call));
        self.run().await;
        std::mem::take(&mut self.outputs)
    }

    /// Handles customer-side input at `now` (after anything due before it).
    pub async fn input(&mut self, now: Millis, input: CallerInput) -> Vec<Output> {
        self.advance_to(now).await;
        if !self.ended {
            self.record.timeline.push(TimelineEntry::Input {
                at_ms: self.now,
                input: input.clone(),
            });
            self.on_input(input);
            self.run().await;
        }
        std::mem::take(&mut self.outputs)
    }

    /// Lets time pass until `now`: playback ends, timers fire.
    pub async fn advance(&mut self, now: Millis) -> Vec<Output> {
        self.advance_to(now).await;
        std::mem::take(&mut self.outputs)
    }

    /// The host ends the call at `now` (server shutdown, a transport that went away
    /// without hanging up): the script still gets `hang-up`, by `host`.
    pub async fn hang_up(&mut self, now: Millis, reason: &str) -> Vec<Output> {
        self.advance_to(now).await;
        self.end_call(Party::Host, reason.into());
        self.run().await;
        std::mem::take(&mut self.outputs)
    }

    /// When something will happen next without input, if anything will.
    pub fn next_deadline(&self) -> Option<Millis> {
        if self.ended {
            return None;
        }
        [
            self.playback.current_end(),
            self.dtmf.deadline(),
            self.no_input_at,
            self.timers.values().min().copied(),
            Some(self.config.max_call_ms),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether the call is over; from then on input is ignored and there are no deadlines.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Whether the bot is playing something (or has something queued).
    pub fn is_playing(&self) -> bool {
        !self.playback.is_idle()
    }

    /// The current time of the session.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// The call record so far.
    pub fn record(&self) -> &CallRecord {
        &self.record
    }

    /// The call record, ending the session (normally once the call is over).
    pub fn into_record(self) -> CallRecord {
        self.record
    }

    async fn advance_to(&mut self, now: Millis) {
        while let Some(due) = self.next_deadline().filter(|&t| t <= now) {
            self.now = self.now.max(due);
            self.fire(due);
            self.run().await;
        }
        self.now = self.now.max(now);
    }

    /// Handles the one deadline that is due at `due`.
    fn fire(&mut self, due: Millis) {
        if self.playback.current_end() == Some(due) {
            if let Some((finished, started)) = self.playback.finish_due(due) {
                if let Some(item) = started.cloned() {
                    self.started_playing(item);
                }
                self.pending.push_back(Event::PlaybackFinished(finished));
                if self.playback.is_idle() {
                    self.arm_no_input();
                }
            }
        } else if self.dtmf.deadline() == Some(due) {
            if let Some(dtmf) = self.dtmf.expire(due) {
                self.listening = None;
                self.pending.push_back(Event::Dtmf(dtmf));
            }
        } else if self.no_input_at == Some(due) {
            self.no_input_at = None;
            self.listening = None;
            self.no_input_count += 1;
            self.pending.push_back(Event::NoInput(NoInput {
                count: self.no_input_count,
            }));
        } else if let Some(id) = self
            .timers
            .iter()
            .find(|(_, at)| **at == due)
            .map(|(id, _)| id.clone())
        {
            self.timers.remove(&id);
            self.pending.push_back(Event::TimerFired { id });
        } else if due >= self.config.max_call_ms {
            self.end_call(Party::Host, "max-call-length".into());
        }
    }

    /// Delivers pending events until none are left, carrying out what follows from them.
    async fn run(&mut self) {
        self.forget_abandoned_script("the call went on before the script had finished it");
        loop {
            self.settle_after_playback();
            let Some(event) = self.pending.pop_front() else {
                break;
            };
            self.in_flight = Some(InFlight::of(&event, self.now));
            self.dispatch(event).await;
            self.in_flight = None;
        }
    }

    async fn dispatch(&mut self, event: Event) {
        let hang_up = matches!(event, Event::HangUp(_));
        if event.is_customer_input() {
            self.no_input_count = 0;
        }
        self.record.timeline.push(TimelineEntry::Event {
            at_ms: self.now,
            event: event.clone(),
        });
        let Some(script) = self.script.as_mut() else {
            return;
        };
        self.http.next_event();
        let reply = match script.handle(&event, self.now).await {
            Ok(reply) => reply,
            Err(failure) => {
                let at_ms = self.now;
                let logs = script.take_logs();
                self.record.timeline.extend(
                    logs.into_iter()
                        .map(|line| TimelineEntry::Log { at_ms, line }),
                );
                self.fail(failure);
                return;
            }
        };
        self.record.timings.add(reply.cpu);
        if !hang_up && !self.ended {
            let spent = self.playout.prepare(self.now, &reply.actions).await;
            if spent > 0 {
                // The reply's audio was not ready (text-to-speech on a cache miss): it
                // starts now, so its playback, and what follows it, is timed from here.
                *self.record.prepare_ms.entry(self.now).or_default() += spent;
                self.now += Millis::from(spent);
            }
        }
        let at_ms = self.now;
        self.record.timeline.extend(
            reply
                .logs
                .into_iter()
                .map(|line| TimelineEntry::Log { at_ms, line }),
        );
        for action in reply.actions {
            self.record.timeline.push(TimelineEntry::Action {
                at_ms,
                action: action.clone(),
            });
            if hang_up || self.ended {
                // The call is over: only the outcome can still change. An opt-out counts
                // too: a customer who says "don't call again" and hangs up at once must
                // still be honoured.
                match action {
                    huashu_contract::Action::SetOutcome(outcome) => {
                        self.record.outcome.merge(outcome)
                    }
                    huashu_contract::Action::OptOut { reason } => {
                        self.record.outcome.opt_out(reason)
                    }
                    _ => {}
                }
                continue;
            }
            if let Err(why) = self.apply(action) {
                self.fail(ScriptFailure::InvalidAction(why));
                return;
            }
        }
    }

    fn ignore(&mut self, what: String, why: &str) {
        self.record.timeline.push(TimelineEntry::Ignored {
            at_ms: self.now,
            what,
            why: why.into(),
        });
    }

    /// Stops playback; the script hears about every item that did not finish.
    fn stop_playback(&mut self) {
        let reports = self.playback.stop_all(self.now);
        if !reports.is_empty() {
            self.outputs.push(Output::StopPlayback { at_ms: self.now });
            if self.script.is_some() {
                self.pending
                    .extend(reports.into_iter().map(Event::PlaybackFinished));
            }
        }
        self.arm_no_input();
    }

    /// Once nothing is playing, a pending listen starts: it is announced to media (hints for
    /// the recogniser) and its no-input timer runs.
    fn arm_no_input(&mut self) {
        let Some(listen) = &self.listening else {
            return;
        };
        if !self.playback.is_idle() {
            return;
        }
        if !self.listen_announced {
            self.listen_announced = true;
            self.outputs.push(Output::Listen {
                at_ms: self.now,
                listen: listen.clone(),
            });
        }
        if self.no_input_at.is_none() && listen.no_input_ms > 0 {
            self.no_input_at = Some(self.now + Millis::from(listen.no_input_ms));
        }
    }

    fn started_playing(&mut self, item: PlayItem) {
        let text = match &item.source {
            PlaySource::Speech { text, .. } => text.clone(),
            PlaySource::Prompt { name } => format!("[录音 {name}]"),
            PlaySource::Parts { .. } => item.source.readable(),
        };
        self.record.transcript.push(TranscriptLine {
            at_ms: self.now,
            speaker: Speaker::Bot,
            text,
        });
        self.outputs.push(Output::Play {
            at_ms: self.now,
            item,
        });
    }

    /// Carries out a pending transfer or hang-up once everything queued has played.
    fn settle_after_playback(&mut self) {
        if self.ended || !self.playback.is_idle() {
            return;
        }
        match self.after_playback.take() {
            Some(AfterPlayback::HangUp { by, reason }) => self.end_call(by, reason),
            Some(AfterPlayback::Transfer(transfer)) => {
                self.awaiting_transfer = true;
                self.outputs.push(Output::Transfer {
                    at_ms: self.now,
                    transfer,
                });
            }
            None => {}
        }
    }

    /// Ends the call now: playback stops, timers are dropped, the script gets `hang-up`.
    fn end_call(&mut self, by: Party, reason: String) {
        if self.ended {
            return;
        }
        if !self.playback.stop_all(self.now).is_empty() {
            self.outputs.push(Output::StopPlayback { at_ms: self.now });
        }
        self.ended = true;
        self.timers.clear();
        self.http.forget_in_flight();
        self.no_input_at = None;
        self.listening = None;
        self.after_playback = None;
        let end = CallEnd {
            at_ms: self.now,
            by,
            reason: reason.clone(),
        };
        self.record.end = Some(end.clone());
        // Events still queued lose their meaning now (e.g. playback reports), except the
        // answer to a transfer, which the script hears before `hang-up`.
        self.pending
            .retain(|event| matches!(event, Event::TransferResult(_)));
        self.pending.push_back(Event::HangUp(HangUp { by, reason }));
        self.outputs.push(Output::Ended { end });
    }

    fn enqueue(&mut self, item: PlayItem) {
        self.record
            .playout_ms
            .insert(item.source.playout_key(), item.total_ms);
        if let Some(started) = self.playback.push(item, self.now).cloned() {
            self.no_input_at = None;
            self.started_playing(started);
        }
    }
}

#[cfg(test)]
mod tests;
