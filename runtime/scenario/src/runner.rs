//! Plays one scenario against a script in virtual time and checks every expectation.
//!
//! The runner is the customer and the telephone network: it drives a real [`Session`] with
//! an [`EstimatedPlayout`], jumping straight to the session's next deadline instead of
//! waiting, so a call with long timeouts runs in microseconds of wall time.
//!
//! It is also every server the script calls: an [`Output::HttpRequest`] is answered from
//! the scenario's `http:` list at the request's time plus the entry's `after_ms`, delivered
//! like any other timed input (the runner never lets time pass beyond an answer that is
//! due without delivering it first). A request no entry answers is refused at once and
//! reported as a [`Mismatch::UndeclaredRequest`]. The runner has no HTTP client: nothing
//! leaves the process.

use super::file::{Interruption, Scenario, Step, TransferBehaviour};
use super::http_stubs::HttpStubs;
use super::outcome_check::check_outcome;
pub use super::scenario_result::{BotAct, Mismatch, ScenarioResult, shown_request};
use huashu_contract::{
    CallScript, HttpError, HttpRequest, HttpResult, Millis, Party, SpeechPart, Transcript,
    TransferResult,
};
use huashu_session::{
    CallEnd, CallerInput, EstimatedPlayout, Output, PlaySource, Session, SessionConfig,
    estimate_speech_ms,
};

/// Time between two key presses of a customer typing digits.
const KEY_INTERVAL_MS: Millis = 250;

struct Runner<S: CallScript> {
    session: Session<S, EstimatedPlayout>,
    transfer: TransferBehaviour,
    turn: Vec<(Millis, BotAct)>,
    http: HttpStubs,
    /// Answers to the script's requests not yet delivered, with when they are due, in the
    /// order the requests were made.
    answers: Vec<(Millis, HttpResult)>,
    /// Requests no `http:` entry answered.
    undeclared: Vec<Mismatch>,
}

/// Runs `scenario` against `script`, a fresh instance for this call.
pub async fn run_scenario<S: CallScript>(
    scenario: &Scenario,
    script: S,
    call_id: String,
) -> ScenarioResult {
    let started = std::time::Instant::now();
    let playout = EstimatedPlayout {
        prompts: scenario.prompts.clone().into_iter().collect(),
        ..EstimatedPlayout::default()
    };
    let session = Session::new(
        script,
        playout,
        scenario.call_started(call_id),
        SessionConfig::default(),
    );
    let mut runner = Runner {
        session,
        transfer: scenario.transfer,
        turn: Vec::new(),
        http: HttpStubs::new(&scenario.http),
        answers: Vec::new(),
        undeclared: Vec::new(),
    };
    let outputs = runner.session.start().await;
    runner.absorb(outputs).await;

    let mut failed_step = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Err(mismatch) = runner.step(i + 1, step).await {
            failed_step = Some(mismatch);
            break;
        }
    }
    runner.finish().await;
    // Undeclared requests first: they happened before the run stopped, and are often why.
    let mut mismatches = std::mem::take(&mut runner.undeclared);
    mismatches.extend(failed_step);
    let record = runner.session.into_record();
    if mismatches.is_empty()
        && let Some(spec) = &scenario.outcome
    {
        mismatches.extend(check_outcome(spec, &record));
    }
    ScenarioResult {
        name: scenario.name.clone(),
        mismatches,
        record,
        wall: started.elapsed(),
    }
}

impl<S: CallScript> Runner<S> {
    async fn step(&mut self, number: usize, step: &Step) -> Result<(), Mismatch> {
        let pattern = match step {
            Step::BotSays(p) | Step::BotPlays(p) | Step::BotTransfers(p) => Some(&p.0),
            _ => None,
        };
        let matches = |act: &BotAct| {
            match (step, act) {
            (Step::BotSays(_), BotAct::Says(text)) => pattern.is_some_and(|p| p.is_match(text)),
            (Step::BotPlays(_), BotAct::Plays(name)) => pattern.is_some_and(|p| p.is_match(name)),
            (Step::BotSays(_), BotAct::SaysParts { text, .. }) => {
                pattern.is_some_and(|p| p.is_match(text))
            }
            (Step::BotPlays(_), BotAct::SaysParts { parts, .. }) => parts.iter().any(|part| {
                matches!(part, SpeechPart::Prompt(name) if pattern.is_some_and(|p| p.is_match(name)))
            }),
            (Step::BotTransfers(_), BotAct::Transfers(t)) => pattern.is_some_and(|p| p.is_match(t)),
            (Step::BotRequests(expected), BotAct::Requests(request)) => expected.matches(request),
            (Step::BotHangsUp, BotAct::HungUp { by, .. }) => *by == Party::Script,
            _ => false,
        }
        };
        match step {
            Step::BotSays(_)
            | Step::BotPlays(_)
            | Step::BotTransfers(_)
            | Step::BotRequests(_)
            | Step::BotHangsUp => loop {
                if let Some(pos) = self.turn.iter().position(|(_, act)| matches(act)) {
                    self.turn.drain(..=pos);
                    return Ok(());
                }
                if !self.play_one().await {
                    return Err(Mismatch::Step {
                        number,
                        expected: step.to_string(),
                        turn: std::mem::take(&mut self.turn),
                    });
                }
            },
            Step::CustomerSays(text) => {
                self.finish_talking(number, step).await?;
                self.say(text).await;
            }
            Step::CustomerPresses(keys) => {
                self.finish_talking(number, step).await?;
                self.press(keys).await;
            }
            Step::CustomerInterrupts(Interruption {
                after_ms,
                says,
                presses,
            }) => {
                self.turn.clear();
                let at = self.session.now() + after_ms;
                self.advance_to(at).await;
                self.ensure_live(number, step)?;
                if let Some(text) = says {
                    self.say(text).await;
                } else if let Some(keys) = presses {
                    self.press(keys).await;
                }
            }
            Step::CustomerSilentMs(ms) => {
                self.finish_talking(number, step).await?;
                let at = self.session.now() + ms;
                self.advance_to(at).await;
            }
            Step::CustomerHangsUp => {
                self.ensure_live(number, step)?;
                self.turn.clear();
                self.input(CallerInput::HangUp {
                    reason: "customer-hung-up".into(),
                })
                .await;
            }
        }
        Ok(())
    }

    /// Lets the bot finish what it is playing and get the answers to its requests: the
    /// customer waits politely.
    async fn finish_talking(&mut self, number: usize, step: &Step) -> Result<(), Mismatch> {
        while self.play_one().await {}
        self.ensure_live(number, step)?;
        self.turn.clear();
        Ok(())
    }

    /// Advances to the next thing the bot is waiting for: the end of the current playback
    /// item or the answer to one of its requests (or a deadline before either). False if
    /// it waits for nothing.
    async fn play_one(&mut self) -> bool {
        if self.session.is_ended() {
            return false;
        }
        let waits_for_playback = self.session.is_playing();
        let Some(answer_due) = self.next_answer().map(|i| self.answers[i].0) else {
            if !waits_for_playback {
                return false;
            }
            let Some(next) = self.session.next_deadline() else {
                return false;
            };
            self.advance_to(next).await;
            return true;
        };
        let next = self
            .session
            .next_deadline()
            .map_or(answer_due, |deadline| deadline.min(answer_due));
        self.advance_to(next).await;
        true
    }

    /// The answer due first (the earliest request among equals), if any.
    fn next_answer(&self) -> Option<usize> {
        self.answers
            .iter()
            .enumerate()
            .min_by_key(|(i, (due, _))| (*due, *i))
            .map(|(i, _)| i)
    }

    /// Lets time pass until `at`, delivering the answers due meanwhile at their times.
    async fn advance_to(&mut self, at: Millis) {
        while let Some(i) = self.next_answer().filter(|&i| self.answers[i].0 <= at) {
            let due = self.answers[i].0;
            // What happens before the answer (a timer, the end of a prompt) comes first,
            // and may itself make a request answered sooner: look again after it.
            if let Some(deadline) = self.session.next_deadline().filter(|&d| d < due) {
                let outputs = self.session.advance(deadline).await;
                self.absorb(outputs).await;
                continue;
            }
            let (_, result) = self.answers.remove(i);
            let outputs = self
                .session
                .input(due, CallerInput::HttpResponse { result })
                .await;
            self.absorb(outputs).await;
        }
        let outputs = self.session.advance(at).await;
        self.absorb(outputs).await;
    }

    fn ensure_live(&self, number: usize, step: &Step) -> Result<(), Mismatch> {
        if self.session.is_ended() {
            return Err(Mismatch::CallEnded {
                number,
                step: step.to_string(),
            });
        }
        Ok(())
    }

    /// The customer speaks: speech starts now, the final transcript arrives when they have
    /// finished saying it.
    async fn say(&mut self, text: &str) {
        let now = self.session.now();
        self.input_at(now, CallerInput::SpeechStarted).await;
        let done = now + Millis::from(estimate_speech_ms(text));
        self.input_at(
            done,
            CallerInput::Final {
                transcript: Transcript::typed(text),
            },
        )
        .await;
    }

    async fn press(&mut self, keys: &str) {
        for (i, digit) in keys.chars().enumerate() {
            let at = self.session.now() + if i == 0 { 0 } else { KEY_INTERVAL_MS };
            self.input_at(at, CallerInput::Dtmf { digit }).await;
        }
    }

    async fn input(&mut self, input: CallerInput) {
        let now = self.session.now();
        self.input_at(now, input).await;
    }

    async fn input_at(&mut self, at: Millis, input: CallerInput) {
        self.advance_to(at).await;
        let outputs = self.session.input(at, input).await;
        self.absorb(outputs).await;
    }

    /// A request the script made at `at_ms`: its answer is queued for when it is due; one
    /// no entry declares is refused at once and reported.
    fn request(&mut self, at_ms: Millis, request: HttpRequest) {
        let (due, outcome) = match self.http.answer(&request) {
            Ok((after_ms, outcome)) => (at_ms.saturating_add(after_ms), outcome),
            Err(undeclared) => {
                self.undeclared.push(Mismatch::UndeclaredRequest {
                    at_ms,
                    request: shown_request(&request),
                });
                (at_ms, Err(HttpError::Refused(undeclared.reason)))
            }
        };
        self.answers.push((
            due,
            HttpResult {
                id: request.id.clone(),
                outcome,
                elapsed_ms: 0,
            },
        ));
        self.turn.push((at_ms, BotAct::Requests(request)));
    }

    /// Notes what the bot did, answers transfers as the scenario says, and delivers answers
    /// to requests that are due now (a refusal is due at once).
    async fn absorb(&mut self, mut outputs: Vec<Output>) {
        loop {
            let mut transfer_asked = false;
            for output in outputs.drain(..) {
                match output {
                    Output::Play { at_ms, item } => self.turn.push((at_ms, bot_act(item.source))),
                    Output::Transfer { at_ms, transfer } => {
                        self.turn.push((at_ms, BotAct::Transfers(transfer.target)));
                        transfer_asked = true;
                    }
                    Output::HttpRequest { at_ms, request } => self.request(at_ms, request),
                    Output::Ended {
                        end: CallEnd { at_ms, by, reason },
                    } => {
                        // Answers still on their way are of no use to an ended call.
                        self.answers.clear();
                        self.turn.push((at_ms, BotAct::HungUp { by, reason }));
                    }
                    Output::StopPlayback { .. }
                    | Output::Listen { .. }
                    | Output::SendDtmf { .. }
                    | Output::AudioSubscription { .. } => {}
                }
            }
            let now = self.session.now();
            if !transfer_asked {
                let Some(i) = self.next_answer().filter(|&i| self.answers[i].0 <= now) else {
                    return;
                };
                let (_, result) = self.answers.remove(i);
                outputs = self
                    .session
                    .input(now, CallerInput::HttpResponse { result })
                    .await;
                continue;
            }
            let result = match self.transfer {
                TransferBehaviour::Connected => TransferResult::Connected,
                TransferBehaviour::Failed => TransferResult::Failed("no agent answered".into()),
            };
            outputs = self
                .session
                .input(now, CallerInput::TransferResult { result })
                .await;
        }
    }

    /// After the last step: the bot finishes talking and gets its answers; if the call is
    /// still up, the customer hangs up.
    async fn finish(&mut self) {
        while self.play_one().await {}
        if !self.session.is_ended() {
            self.input(CallerInput::HangUp {
                reason: "end-of-scenario".into(),
            })
            .await;
        }
    }
}

/// What the bot playing `source` looks like to a `bot_*` step.
fn bot_act(source: PlaySource) -> BotAct {
    let text = source.readable();
    match source {
        PlaySource::Speech { text, .. } => BotAct::Says(text),
        PlaySource::Prompt { name } => BotAct::Plays(name),
        PlaySource::Parts { parts, .. } => BotAct::SaysParts { parts, text },
    }
}

#[cfg(test)]
mod tests;
