//! What a scenario run found: the bot's acts a step can match, the mismatches that fail a
//! scenario, and the result the report is written from.

use std::time::Duration;

use huashu_contract::{HttpRequest, Millis, Party, SpeechPart};
use huashu_session::CallRecord;

/// Request bodies longer than this are cut in reports: enough to recognise a JSON payload,
/// short enough to keep one request on one line.
const SHOWN_BODY_CHARS: usize = 120;

/// Something the bot did that a `bot_*` step can match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotAct {
    /// Started saying this text with text-to-speech.
    Says(String),
    /// Started playing the recorded prompt of this name.
    Plays(String),
    /// Started a `say-parts`: recorded prompts with spoken text between them, as one
    /// item. `bot_says` matches its readable form, `bot_plays` any of its prompts.
    SaysParts {
        /// The prompts and texts in playing order.
        parts: Vec<SpeechPart>,
        /// How it reads: `[greeting-a] 张三 [greeting-b]`.
        text: String,
    },
    /// Asked to transfer the call to this target.
    Transfers(String),
    /// Made this HTTP request (its secret headers name secrets, never hold their values).
    Requests(HttpRequest),
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
            BotAct::SaysParts { text, .. } => write!(f, "says in parts \"{text}\""),
            BotAct::Transfers(target) => write!(f, "transfers to `{target}`"),
            BotAct::Requests(request) => write!(f, "requests {}", shown_request(request)),
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
    /// The bot made a request that no `http:` entry answers; the script got `refused`.
    UndeclaredRequest {
        /// When the request was made.
        at_ms: Millis,
        /// The request, as [`shown_request`] shows it.
        request: String,
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

/// `METHOD URL`, then the body (cut) and any secret headers by secret name, for reports.
pub fn shown_request(request: &HttpRequest) -> String {
    let mut shown = format!("{} {}", request.method.to_ascii_uppercase(), request.url);
    if !request.body.is_empty() {
        let mut body: String = request.body.chars().take(SHOWN_BODY_CHARS).collect();
        if body.len() < request.body.len() {
            body.push('…');
        }
        shown.push_str(&format!(" with body {body}"));
    }
    for (header, secret) in &request.secret_headers {
        shown.push_str(&format!(" [{header}: secret `{secret}`]"));
    }
    shown
}
