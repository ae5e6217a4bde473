//! The scenario file format (`docs/scenarios.md`): parsing, validation, and the call it
//! describes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use regex::Regex;
use serde::{Deserialize, Deserializer};
use thiserror::Error;

use super::http_stubs::HttpStub;
use super::request_step::RequestExpectation;
use super::timestamp::parse_utc_timestamp;
use huashu_contract::{CallStarted, Channel, Direction, IntentLevel};

/// A scenario file could not be used. Messages point at the file and, where the YAML parser
/// knows it, the line.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The file could not be read. The OS's reason is the error's source, so that a
    /// printed chain (`error: cannot read x: No such file…`) says it once.
    #[error("cannot read {path}")]
    Read {
        /// The file's path, as given.
        path: String,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// The file is not a valid scenario: bad YAML, an unknown key or step, a bad regex, a
    /// key that is not on a keypad…
    #[error("{path} is not a valid scenario:\n{message}")]
    Invalid {
        /// The file's path, as given.
        path: String,
        /// What is wrong, with the line where the YAML parser knows it.
        message: String,
    },
}

/// One imagined call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario is about, for the reader; the runner does not use it.
    #[serde(default)]
    pub description: String,
    /// Who is called, with which variables; every key is optional.
    #[serde(default)]
    pub call: CallSpec,
    /// Playing time of recorded prompts, in ms.
    #[serde(default)]
    pub prompts: BTreeMap<String, u32>,
    /// What a `transfer` action does in this run; `connected` by default.
    #[serde(default)]
    pub transfer: TransferBehaviour,
    /// How the script's outbound HTTP requests are answered; a request no entry answers is
    /// refused and fails the scenario.
    #[serde(default)]
    pub http: Vec<HttpStub>,
    /// What happens, or must happen, on the call, in order; at least one.
    pub steps: Vec<Step>,
    /// What the outcome must contain once the call has ended; `None` checks nothing.
    #[serde(default)]
    pub outcome: Option<OutcomeSpec>,
    /// The file's name, for reports.
    #[serde(skip)]
    pub name: String,
}

/// Who is called, with which variables.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// Which way the call is placed; outbound by default.
    #[serde(default)]
    pub direction: Direction,
    /// The calling party (for outbound calls, the campaign's number); empty by default.
    #[serde(default)]
    pub caller: String,
    /// The called party (for outbound calls, the customer's number); empty by default.
    #[serde(default)]
    pub callee: String,
    /// Campaign and contact variables; any YAML scalar (`50`, `true`) is passed as a string.
    #[serde(default, deserialize_with = "scalar_map")]
    pub variables: BTreeMap<String, String>,
    /// RFC 3339 UTC time, e.g. `2026-11-23T09:30:00Z`.
    #[serde(default)]
    pub started_at: Option<String>,
}

/// What a transfer does in this scenario.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferBehaviour {
    /// The call is bridged: the script gets `connected`, then the host hangs up
    /// (`transferred`).
    #[default]
    Connected,
    /// No agent answers: the script gets `failed` and is still talking to the customer.
    Failed,
}

/// One thing that happens, or must happen, on the call.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// `bot_says`: the bot says (TTS) something matching the regex in the current turn.
    BotSays(Pattern),
    /// `bot_plays`: the bot plays a recorded prompt whose name matches the regex.
    BotPlays(Pattern),
    /// `bot_transfers`: the bot transfers the call to a target matching the regex.
    BotTransfers(Pattern),
    /// `bot_requests`: the bot makes an HTTP request whose `METHOD URL` matches, and
    /// optionally whose body matches too.
    BotRequests(RequestExpectation),
    /// `bot_hangs_up`: the bot ends the call (a `hang-up` action, not the host's).
    BotHangsUp,
    /// `customer_says`: once the bot has finished talking, the customer says this text (a
    /// final transcript, confidence 1.0).
    CustomerSays(String),
    /// `customer_presses`: once the bot has finished talking, the customer presses these
    /// keypad keys (`0`-`9`, `*`, `#`, `A`-`D`), 250 ms apart.
    CustomerPresses(String),
    /// `customer_interrupts`: the customer speaks or presses keys after a delay, while the
    /// bot may still be talking; over a barge-in-able prompt this stops it.
    CustomerInterrupts(Interruption),
    /// `customer_silent_ms`: the customer stays silent for this many milliseconds after the
    /// bot has finished talking; timers (no-input, the script's own) fire meanwhile.
    CustomerSilentMs(u64),
    /// `customer_hangs_up`: the customer hangs up.
    CustomerHangsUp,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::BotSays(p) => write!(f, "the bot says /{p}/"),
            Step::BotPlays(p) => write!(f, "the bot plays a prompt /{p}/"),
            Step::BotTransfers(p) => write!(f, "the bot transfers to /{p}/"),
            Step::BotRequests(r) => write!(f, "the bot requests {r}"),
            Step::BotHangsUp => write!(f, "the bot hangs up"),
            Step::CustomerSays(text) => write!(f, "the customer says \"{text}\""),
            Step::CustomerPresses(keys) => write!(f, "the customer presses {keys}"),
            Step::CustomerInterrupts(i) => {
                write!(f, "after {} ms the customer interrupts", i.after_ms)
            }
            Step::CustomerSilentMs(ms) => write!(f, "the customer is silent for {ms} ms"),
            Step::CustomerHangsUp => write!(f, "the customer hangs up"),
        }
    }
}

/// The customer speaking or pressing keys while the bot may still be talking.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interruption {
    /// How long after the previous step the customer cuts in, in milliseconds.
    pub after_ms: u64,
    /// What the customer says; exactly one of `says` and `presses` is given.
    #[serde(default)]
    pub says: Option<String>,
    /// Keypad keys the customer presses (`0`-`9`, `*`, `#`, `A`-`D`), 250 ms apart; exactly
    /// one of `says` and `presses` is given.
    #[serde(default)]
    pub presses: Option<String>,
}

/// What the call's outcome must contain.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    /// The intent level (A to F) the outcome must have; `None` does not check it.
    #[serde(default)]
    pub intent: Option<IntentLevel>,
    /// The disposition the outcome must have; `None` does not check it.
    #[serde(default)]
    pub disposition: Option<String>,
    /// Tags that must each be present (others may be too).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Fields that must each be present with this value; YAML scalars are compared as
    /// strings.
    #[serde(default, deserialize_with = "scalar_map")]
    pub fields: BTreeMap<String, String>,
    /// Whether the customer must (`true`) or must not (`false`) have opted out; `None`
    /// does not check it.
    #[serde(default)]
    pub opted_out: Option<bool>,
}

/// A regular expression from a scenario, compiled when the file is read.
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Regex::new(&text).map(Pattern).map_err(|e| {
            // The regex error draws a caret under the fault over several lines, which the
            // one-line YAML error cannot show: keep its last line, the reason.
            let full = e.to_string();
            let reason = full.lines().last().unwrap_or_default();
            let reason = reason.strip_prefix("error: ").unwrap_or(reason);
            serde::de::Error::custom(format!(
                "`{text}` is not a valid regex ({reason}); write `\\{{` for a literal brace"
            ))
        })
    }
}

/// A map whose values may be any YAML scalar (`50`, `true`, `王芳`), kept as strings.
pub(crate) fn scalar_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }
    let map = BTreeMap::<String, Scalar>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Scalar::Text(s) => s,
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Bool(b) => b.to_string(),
            };
            (k, v)
        })
        .collect())
}

/// When a scenario's call starts if it does not say: 2026-01-01T09:00:00Z.
const DEFAULT_START_MS: u64 = 1_767_258_000_000;

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut scenario = Self::parse(&text).map_err(|message| ScenarioError::Invalid {
            path: shown.clone(),
            message,
        })?;
        scenario.name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(shown);
        Ok(scenario)
    }

    /// Parses and validates scenario YAML.
    pub fn parse(text: &str) -> Result<Self, String> {
        let scenario: Scenario = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        scenario.validate()?;
        Ok(scenario)
    }

    fn validate(&self) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err("`steps` is empty: a scenario needs at least one step".into());
        }
        if let Some(at) = &self.call.started_at {
            parse_utc_timestamp(at)?;
        }
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            match step {
                Step::CustomerPresses(keys) if keys.is_empty() || !keys.chars().all(is_key) => {
                    return Err(format!(
                        "step {n}: `{keys}` are not keypad keys (0-9, *, #, A-D)"
                    ));
                }
                Step::CustomerInterrupts(i) => match (&i.says, &i.presses) {
                    (Some(_), None) => {}
                    (None, Some(keys)) if !keys.is_empty() && keys.chars().all(is_key) => {}
                    (None, Some(keys)) => {
                        return Err(format!("step {n}: `{keys}` are not keypad keys"));
                    }
                    _ => {
                        return Err(format!(
                            "step {n}: `customer_interrupts` needs exactly one of `says` or `presses`"
                        ));
                    }
                },
                _ => {}
            }
        }
        Ok(())
    }

    /// The `call-started` event this scenario's call begins with.
    pub fn call_started(&self, call_id: String) -> CallStarted {
        let started_at_ms = self
            .call
            .started_at
            .as_deref()
            .and_then(|t| parse_utc_timestamp(t).ok())
            .unwrap_or(DEFAULT_START_MS);
        CallStarted {
            call_id,
            direction: self.call.direction,
            caller: self.call.caller.clone(),
            callee: self.call.callee.clone(),
            channel: Channel::Text,
            variables: self
                .call
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            started_at_ms,
            random_seed: 42,
        }
    }
}

fn is_key(c: char) -> bool {
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
description: accepts
call:
  variables:
    name: 王芳
    coupon_amount: 50
  started_at: "2026-11-23T09:30:00Z"
steps:
  - bot_says: "生日快乐.*"
  - customer_says: 好的
  - customer_interrupts: { after_ms: 300, presses: "1#" }
  - customer_silent_ms: 6000
  - bot_hangs_up
outcome:
  intent: A
  tags: [coupon-accepted]
  fields: { coupon_amount: 50 }
"#;

    #[test]
    fn parses_the_documented_format() {
        let s = Scenario::parse(EXAMPLE).expect("valid");
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.call.variables["coupon_amount"], "50");
        assert!(matches!(s.steps[4], Step::BotHangsUp));
        let outcome = s.outcome.clone().expect("outcome");
        assert_eq!(outcome.intent, Some(IntentLevel::A));
        assert_eq!(outcome.fields["coupon_amount"], "50");
        assert_eq!(s.call_started("c".into()).started_at_ms, 1_795_426_200_000);
    }

    #[test]
    fn rejects_unknown_steps_bad_regexes_and_bad_keys_with_a_reason() {
        let unknown = Scenario::parse("steps:\n  - bot_sings: la\n").unwrap_err();
        assert!(unknown.contains("bot_sings"), "{unknown}");
        let regex = Scenario::parse("steps:\n  - bot_says: \"(\"\n").unwrap_err();
        assert!(regex.contains("not a valid regex"), "{regex}");
        let keys = Scenario::parse("steps:\n  - customer_presses: \"12x\"\n").unwrap_err();
        assert!(keys.contains("step 1"), "{keys}");
        let empty = Scenario::parse("steps: []\n").unwrap_err();
        assert!(empty.contains("at least one step"), "{empty}");
    }

    #[test]
    fn a_scenario_declares_http_answers_and_expects_requests() {
        let s = Scenario::parse(
            r#"
http:
  - match: POST https://coupons.example.com/v1/coupons
    respond: {status: 201, json: {code: "BDAY-50"}}
  - match: GET https://crm.example.com/balance*
    respond: {error: timeout}
steps:
  - bot_requests: POST https://coupons.example.com/v1/coupons
  - bot_requests: {request: GET https://crm.example.com/balance.*, with_body: "^$"}
"#,
        )
        .expect("valid");
        assert_eq!(s.http.len(), 2);
        let shown: Vec<String> = s.steps.iter().map(Step::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "the bot requests /POST https://coupons.example.com/v1/coupons/",
                "the bot requests /GET https://crm.example.com/balance.*/ with a body matching /^$/",
            ]
        );
        let none = Scenario::parse("steps:\n  - bot_hangs_up\n").expect("valid");
        assert!(none.http.is_empty(), "`http:` is optional");
    }

    #[test]
    fn a_bad_http_entry_is_reported_at_its_line_in_the_file() {
        let error = Scenario::parse(
            "steps:\n  - bot_hangs_up\nhttp:\n  - match: POST https://a.example/x\n    respond: {status: 201, error: failed}\n",
        )
        .unwrap_err();
        assert!(error.contains("line 5"), "{error}");
        assert!(error.contains("not both"), "{error}");
        let unknown = Scenario::parse("steps:\n  - bot_hangs_up\nhttps: []\n").unwrap_err();
        assert!(unknown.contains("unknown field `https`"), "{unknown}");
    }
}
