//! The call record: everything that happened on a call, in order, with times — what the
//! tenant sees afterwards, what `replay` re-runs, and what the scenario runner checks.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::io::CallerInput;
use huashu_contract::{Action, CallStarted, Event, LogLine, Millis, Outcome, Party, ScriptFailure};

/// One entry of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum TimelineEntry {
    /// Input from the customer's side, as it arrived: what a replay feeds to another
    /// module version.
    Input {
        /// When it arrived, in ms since the call started.
        at_ms: Millis,
        /// The input as it arrived.
        input: CallerInput,
    },
    /// An event delivered to the script.
    Event {
        /// When it was delivered, in ms since the call started.
        at_ms: Millis,
        /// The event as the script got it.
        event: Event,
    },
    /// An action the script returned.
    Action {
        /// When it was carried out (after any wait for the reply's audio), in ms since the
        /// call started.
        at_ms: Millis,
        /// The action as the script returned it.
        action: Action,
    },
    /// A line the script logged.
    Log {
        /// When the reply it came with was carried out (or the script failed), in ms since
        /// the call started.
        at_ms: Millis,
        /// Its level and text.
        line: LogLine,
    },
    /// Customer input the host did not pass on, and why (e.g. speech over a prompt that
    /// cannot be interrupted).
    Ignored {
        /// When it arrived, in ms since the call started.
        at_ms: Millis,
        /// What was dropped, e.g. `speech`, `key press`, `transfer result`.
        what: String,
        /// Why, e.g. `the prompt playing cannot be interrupted`.
        why: String,
    },
    /// The script failed; the fallback ran.
    Failure {
        /// When it failed, in ms since the call started.
        at_ms: Millis,
        /// Why it failed.
        failure: ScriptFailure,
    },
}

/// Who spoke in the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The bot: what it said or played.
    Bot,
    /// The customer: a final transcript or a key press.
    Customer,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    /// When it was said (for the bot, when it started playing), in ms since the call
    /// started.
    pub at_ms: Millis,
    /// Who said it.
    pub speaker: Speaker,
    /// What was said; a prompt shows as `[录音 name]`, a key press as `[按键 digit]`.
    pub text: String,
}

/// How the call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEnd {
    /// When the call ended, in ms since the call started.
    pub at_ms: Millis,
    /// Who ended it.
    pub by: Party,
    /// Why, e.g. `completed`, `customer-hung-up`, `max-call-length`, `transferred`.
    pub reason: String,
}

/// Where the script's time went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptTimings {
    /// How many events the script answered (a failed one is not counted).
    pub events: u32,
    /// CPU time across all of them, in microseconds.
    pub total_cpu_us: u64,
    /// CPU time of the slowest one, in microseconds.
    pub max_event_cpu_us: u64,
}

impl ScriptTimings {
    pub(crate) fn add(&mut self, cpu: Duration) {
        let us = cpu.as_micros() as u64;
        self.events += 1;
        self.total_cpu_us += us;
        self.max_event_cpu_us = self.max_event_cpu_us.max(us);
    }
}

/// Everything about one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The `call-started` event the call began with: parties, variables, clock and seed.
    pub call: CallStarted,
    /// Everything that happened, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The conversation as text, bot and customer, in order.
    pub transcript: Vec<TranscriptLine>,
    /// The call's outcome, merged from every `set-outcome`.
    pub outcome: Outcome,
    /// The script's failure, if it failed.
    pub error: Option<ScriptFailure>,
    /// How the call ended; `None` while it is still up.
    pub end: Option<CallEnd>,
    /// Where the script's CPU time went.
    pub timings: ScriptTimings,
    /// How long each thing the bot played took (by [`super::PlaySource::playout_key`]):
    /// on a voice call, the real audio's length, which a replay needs to time playback the
    /// way the call did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub playout_ms: BTreeMap<String, u32>,
    /// How long getting a reply's audio ready took (text-to-speech on a cache miss), by the
    /// call time the reply began at: the call's clock moved on by it before the audio
    /// started, and a replay moves its clock on the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prepare_ms: BTreeMap<Millis, u32>,
}

impl CallRecord {
    pub(crate) fn new(call: CallStarted) -> Self {
        Self {
            call,
            timeline: Vec::new(),
            transcript: Vec::new(),
            outcome: Outcome::default(),
            error: None,
            end: None,
            timings: ScriptTimings::default(),
            playout_ms: BTreeMap::new(),
            prepare_ms: BTreeMap::new(),
        }
    }

    /// The customer-side inputs, in order, with their times.
    pub fn inputs(&self) -> impl Iterator<Item = (Millis, &CallerInput)> {
        self.timeline.iter().filter_map(|entry| match entry {
            TimelineEntry::Input { at_ms, input } => Some((*at_ms, input)),
            _ => None,
        })
    }

    /// The events delivered to the script, in order.
    pub fn events(&self) -> impl Iterator<Item = (Millis, &Event)> {
        self.timeline.iter().filter_map(|entry| match entry {
            TimelineEntry::Event { at_ms, event } => Some((*at_ms, event)),
            _ => None,
        })
    }

    /// The actions the script returned, in order.
    pub fn actions(&self) -> impl Iterator<Item = (Millis, &Action)> {
        self.timeline.iter().filter_map(|entry| match entry {
            TimelineEntry::Action { at_ms, action } => Some((*at_ms, action)),
            _ => None,
        })
    }
}
