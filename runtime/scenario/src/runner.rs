//! Plays one scenario against a script in virtual time and checks every expectation.
//!
//! The runner is the customer and the telephone network: it drives a real [`Session`] with
//! an [`EstimatedPlayout`], jumping straight to the session's next deadline instead of
//! waiting, so a call with long timeouts runs in microseconds of wall time.

use std::time::Duration;

use super::file::{Interruption, OutcomeSpec, Scenario, Step, TransferBehaviour};
use huashu_contract::{CallScript, Millis, Party, Transcript, TransferResult};
use huashu_session::{
    CallEnd, CallRecord, CallerInput, EstimatedPlayout, Output, PlaySource, Session, SessionConfig,
    estimate_speech_ms,
};

/// Time between two key presses of a customer typing digits.
const KEY_INTERVAL_MS: Millis = 250;

/// Something the bot did that a `bot_*` step can match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotAct {
    /// Started saying this text with text-to-speech.
    Says(String),
    /// Started playing the recorded prompt of this name.
    Plays(String),
    /// Asked to transfer the call to this target.
    Transfers(String),
    /// The call ended, whoever ended it (`bot_hangs_up` matches only the script).
    HungUp {
        /// Who ended the call.
        by: Party,
        /// Why, e.g. `completed`, `transferred`, `max-call-length`.
        reason: String,
    },
}

impl std::fmt::Display for BotAct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BotAct::Says(text) => write!(f, "says \"{text}\""),
            BotAct::Plays(name) => write!(f, "plays prompt `{name}`"),
            BotAct::Transfers(target) => write!(f, "transfers to `{target}`"),
            BotAct::HungUp { by, reason } => write!(f, "call ended by {by:?} ({reason})"),
        }
    }
}

/// Why a scenario failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// A `bot_*` step found nothing that matched.
    Step {
        /// The step's number in the file, from 1.
        number: usize,
        /// The step, in words (e.g. `the bot says /生日快乐.*/`).
        expected: String,
        /// What the bot did in that turn, with times.
        turn: Vec<(Millis, BotAct)>,
    },
    /// A customer step could not happen because the call was over.
    CallEnded {
        /// The step's number in the file, from 1.
        number: usize,
        /// The step, in words.
        step: String,
    },
    /// The outcome lacked something the scenario requires.
    Outcome {
        /// Which part: `intent`, `disposition`, `tags` or `fields.KEY`.
        what: String,
        /// What the scenario requires.
        expected: String,
        /// What the outcome has (`(not set)` if nothing).
        actual: String,
    },
}

/// The result of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The scenario file's name.
    pub name: String,
    /// Why it failed, empty if it passed; the run stops at the first failed step.
    pub mismatches: Vec<Mismatch>,
    /// The record of the call the run made.
    pub record: CallRecord,
    /// Wall time the run took (virtual call time is in the record).
    pub wall: Duration,
}

impl ScenarioResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

struct Runner<S: CallScript> {
    session: Session<S, EstimatedPlayout>,
    transfer: TransferBehaviour,
    turn: Vec<(Millis, BotAct)>,
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
    };
    let outputs = runner.session.start().await;
    runner.absorb(outputs).await;

    let mut mismatches = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Err(mismatch) = runner.step(i + 1, step).await {
            mismatches.push(mismatch);
            break;
        }
    }
    runner.finish().await;
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
        let matches = |act: &BotAct| match (step, act) {
            (Step::BotSays(_), BotAct::Says(text)) => pattern.is_some_and(|p| p.is_match(text)),
            (Step::BotPlays(_), BotAct::Plays(name)) => pattern.is_some_and(|p| p.is_match(name)),
            (Step::BotTransfers(_), BotAct::Transfers(t)) => pattern.is_some_and(|p| p.is_match(t)),
            (Step::BotHangsUp, BotAct::HungUp { by, .. }) => *by == Party::Script,
            _ => false,
        };
        match step {
            Step::BotSays(_) | Step::BotPlays(_) | Step::BotTransfers(_) | Step::BotHangsUp => {
                loop {
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
                }
            }
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
                let outputs = self.session.advance(at).await;
                self.absorb(outputs).await;
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
                let outputs = self.session.advance(at).await;
                self.absorb(outputs).await;
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

    /// Lets the bot finish what it is playing: the customer waits politely.
    async fn finish_talking(&mut self, number: usize, step: &Step) -> Result<(), Mismatch> {
        while self.play_one().await {}
        self.ensure_live(number, step)?;
        self.turn.clear();
        Ok(())
    }

    /// Advances to the end of the current playback item. False if nothing is playing.
    async fn play_one(&mut self) -> bool {
        if self.session.is_ended() || !self.session.is_playing() {
            return false;
        }
        let Some(next) = self.session.next_deadline() else {
            return false;
        };
        let outputs = self.session.advance(next).await;
        self.absorb(outputs).await;
        true
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
        let outputs = self.session.input(at, input).await;
        self.absorb(outputs).await;
    }

    /// Notes what the bot did and answers transfers as the scenario says.
    async fn absorb(&mut self, mut outputs: Vec<Output>) {
        loop {
            let mut transfer_asked = false;
            for output in outputs.drain(..) {
                match output {
                    Output::Play { at_ms, item } => self.turn.push((
                        at_ms,
                        match item.source {
                            PlaySource::Speech { text, .. } => BotAct::Says(text),
                            PlaySource::Prompt { name } => BotAct::Plays(name),
                        },
                    )),
                    Output::Transfer { at_ms, transfer } => {
                        self.turn.push((at_ms, BotAct::Transfers(transfer.target)));
                        transfer_asked = true;
                    }
                    Output::Ended {
                        end: CallEnd { at_ms, by, reason },
                    } => self.turn.push((at_ms, BotAct::HungUp { by, reason })),
                    Output::StopPlayback { .. }
                    | Output::Listen { .. }
                    | Output::SendDtmf { .. }
                    | Output::AudioSubscription { .. } => {}
                }
            }
            if !transfer_asked {
                return;
            }
            let result = match self.transfer {
                TransferBehaviour::Connected => TransferResult::Connected,
                TransferBehaviour::Failed => TransferResult::Failed("no agent answered".into()),
            };
            let now = self.session.now();
            outputs = self
                .session
                .input(now, CallerInput::TransferResult { result })
                .await;
        }
    }

    /// After the last step: the bot finishes talking; if the call is still up, the customer
    /// hangs up.
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

fn check_outcome(spec: &OutcomeSpec, record: &CallRecord) -> Vec<Mismatch> {
    let outcome = &record.outcome;
    let mut mismatches = Vec::new();
    let show = |v: Option<String>| v.unwrap_or_else(|| "(not set)".into());
    if let Some(intent) = spec.intent
        && outcome.intent != Some(intent)
    {
        mismatches.push(Mismatch::Outcome {
            what: "intent".into(),
            expected: intent.to_string(),
            actual: show(outcome.intent.map(|i| i.to_string())),
        });
    }
    if let Some(disposition) = &spec.disposition
        && outcome.disposition.as_ref() != Some(disposition)
    {
        mismatches.push(Mismatch::Outcome {
            what: "disposition".into(),
            expected: disposition.clone(),
            actual: show(outcome.disposition.clone()),
        });
    }
    for tag in &spec.tags {
        if !outcome.tags.contains(tag) {
            mismatches.push(Mismatch::Outcome {
                what: "tags".into(),
                expected: format!("includes `{tag}`"),
                actual: format!("[{}]", outcome.tags.join(", ")),
            });
        }
    }
    if let Some(opted_out) = spec.opted_out
        && outcome.opted_out != opted_out
    {
        mismatches.push(Mismatch::Outcome {
            what: "opted_out".into(),
            expected: opted_out.to_string(),
            actual: outcome.opted_out.to_string(),
        });
    }
    for (key, value) in &spec.fields {
        if outcome.field(key) != Some(value.as_str()) {
            mismatches.push(Mismatch::Outcome {
                what: format!("fields.{key}"),
                expected: value.clone(),
                actual: show(outcome.field(key).map(str::to_owned)),
            });
        }
    }
    mismatches
}
