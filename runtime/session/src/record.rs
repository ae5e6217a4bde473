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
    Input { at_ms: Millis, input: CallerInput },
    /// An event delivered to the script.
    Event { at_ms: Millis, event: Event },
    /// An action the script returned.
    Action { at_ms: Millis, action: Action },
    /// A line the script logged.
    Log { at_ms: Millis, line: LogLine },
    /// Customer input the host did not pass on, and why (e.g. speech over a prompt that
    /// cannot be interrupted).
    Ignored {
        at_ms: Millis,
        what: String,
        why: String,
    },
    /// The script failed; the fallback ran.
    Failure {
        at_ms: Millis,
        failure: ScriptFailure,
    },
}

/// Who spoke in the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Bot,
    Customer,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub at_ms: Millis,
    pub speaker: Speaker,
    pub text: String,
}

/// How the call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEnd {
    pub at_ms: Millis,
    pub by: Party,
    pub reason: String,
}

/// Where the script's time went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptTimings {
    pub events: u32,
    pub total_cpu_us: u64,
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
    pub call: CallStarted,
    pub timeline: Vec<TimelineEntry>,
    pub transcript: Vec<TranscriptLine>,
    pub outcome: Outcome,
    /// The script's failure, if it failed.
    pub error: Option<ScriptFailure>,
    pub end: Option<CallEnd>,
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
