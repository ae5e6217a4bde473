//! A scenario's `http:` list: the answers its imagined servers give to the script's
//! outbound HTTP requests, and which entry answers a given request.
//!
//! A scenario run never reaches the network. Each entry matches `METHOD URL` (the URL may
//! end with `*` to match every URL that starts with it), answers with a response or an
//! error `after_ms` of call time later, and may be limited to `times` requests; the first
//! entry that matches and is not used up answers. This module only decides answers: the
//! runner feeds them to the session at the right call time, and reports requests that no
//! entry answers.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Deserializer};

use super::file::scalar_map;
use huashu_contract::{HTTP_METHODS, HttpError, HttpRequest, HttpResponse, Millis};

/// How long an answer takes when its entry does not say: about a quick in-house API on
/// the same network, and long enough that a prompt started with the request is already
/// playing when the answer comes, as it would be on a real call.
const DEFAULT_AFTER_MS: Millis = 100;

/// The reason a declared `failed`, `refused` or `limited` error carries when the entry
/// gives none.
const DEFAULT_REASON: &str = "declared by the scenario";

/// One entry of the `http:` list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpStub {
    /// `match:` which requests it answers.
    #[serde(rename = "match")]
    pub request: RequestMatch,
    /// `respond:` the answer.
    pub respond: StubAnswer,
    /// Call time from the request to the answer, in ms; 100 by default.
    #[serde(default = "default_after_ms")]
    pub after_ms: Millis,
    /// How many requests it answers, after which the next matching entry applies; `None`
    /// (the default) answers any number.
    #[serde(default, deserialize_with = "times")]
    pub times: Option<NonZeroU32>,
}

fn default_after_ms() -> Millis {
    DEFAULT_AFTER_MS
}

fn times<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NonZeroU32>, D::Error> {
    NonZeroU32::new(u32::deserialize(d)?).map(Some).ok_or_else(|| {
        serde::de::Error::custom(
            "`times: 0` would answer nothing: give 1 or more, or leave `times` out for any number",
        )
    })
}

/// `METHOD URL`, or `METHOD URL*` for every URL that starts with `URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMatch {
    /// One of [`HTTP_METHODS`], upper case; requests match in any case.
    pub method: String,
    /// The whole URL, or its beginning when `prefix` is set.
    pub url: String,
    /// Whether the URL was written with a trailing `*`.
    pub prefix: bool,
}

impl RequestMatch {
    /// Reads `METHOD URL` or `METHOD URL*`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shape = || {
            format!("`{text}` is not `METHOD URL`, e.g. `POST https://crm.example.com/v1/coupons`")
        };
        let (method, url) = text.trim().split_once(' ').ok_or_else(shape)?;
        let url = url.trim();
        let method = method.to_ascii_uppercase();
        if !HTTP_METHODS.contains(&method.as_str()) {
            return Err(format!(
                "`{method}` is not a method a script may use ({})",
                HTTP_METHODS.join(", ")
            ));
        }
        if url.contains(char::is_whitespace) {
            return Err(shape());
        }
        let (url, prefix) = match url.strip_suffix('*') {
            Some(start) => (start, true),
            None => (url, false),
        };
        if url.contains('*') {
            return Err(format!(
                "`{text}`: `*` may only end the URL (a prefix match), not stand inside it"
            ));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!(
                "`{url}` is not an absolute URL: it must start with https:// or http://"
            ));
        }
        Ok(Self {
            method,
            url: url.to_owned(),
            prefix,
        })
    }

    /// Whether `request` is one this entry answers.
    pub fn matches(&self, request: &HttpRequest) -> bool {
        request.method.eq_ignore_ascii_case(&self.method)
            && if self.prefix {
                request.url.starts_with(&self.url)
            } else {
                request.url == self.url
            }
    }
}

impl fmt::Display for RequestMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let star = if self.prefix { "*" } else { "" };
        write!(f, "{} {}{star}", self.method, self.url)
    }
}

impl<'de> Deserialize<'de> for RequestMatch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What an entry answers with: a response (all the headers it declares, names in lower
/// case) or an error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "AnswerSpec")]
pub struct StubAnswer(pub Result<HttpResponse, HttpError>);

/// `respond:` as written: `{status, json | body, headers}` or `{error, reason}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerSpec {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    json: Option<serde_json::Value>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default, deserialize_with = "scalar_map")]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    error: Option<ErrorKind>,
    #[serde(default)]
    reason: Option<String>,
}

/// The errors a scenario can declare, as the contract names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ErrorKind {
    Timeout,
    TooLarge,
    Failed,
    Refused,
    Limited,
}

impl TryFrom<AnswerSpec> for StubAnswer {
    type Error = String;

    fn try_from(spec: AnswerSpec) -> Result<Self, String> {
        if let Some(kind) = spec.error {
            if spec.status.is_some()
                || spec.json.is_some()
                || spec.body.is_some()
                || !spec.headers.is_empty()
            {
                return Err(
                    "`respond` is either a response (`status`, `json` or `body`, \
                     `headers`) or an `error`, not both"
                        .into(),
                );
            }
            let reason = || spec.reason.clone().unwrap_or_else(|| DEFAULT_REASON.into());
            let error = match kind {
                ErrorKind::Timeout | ErrorKind::TooLarge if spec.reason.is_some() => {
                    return Err(
                        "`reason` goes with `error: failed`, `refused` or `limited` only".into(),
                    );
                }
                ErrorKind::Timeout => HttpError::Timeout,
                ErrorKind::TooLarge => HttpError::TooLarge,
                ErrorKind::Failed => HttpError::Failed(reason()),
                ErrorKind::Refused => HttpError::Refused(reason()),
                ErrorKind::Limited => HttpError::Limited(reason()),
            };
            return Ok(Self(Err(error)));
        }
        if spec.reason.is_some() {
            return Err("`reason` goes with `error`, not with a response".into());
        }
        let status = spec.status.unwrap_or(200);
        if !(100..=599).contains(&status) {
            return Err(format!(
                "`status: {status}` is not an HTTP status (100-599)"
            ));
        }
        let mut headers: Vec<(String, String)> = spec
            .headers
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect();
        let body = match (spec.json, spec.body) {
            (Some(_), Some(_)) => return Err("`respond` takes `json` or `body`, not both".into()),
            (Some(json), None) => {
                if !headers.iter().any(|(name, _)| name == "content-type") {
                    headers.insert(0, ("content-type".into(), "application/json".into()));
                }
                serde_json::to_string(&json)
                    .map_err(|e| format!("`json` cannot be written as JSON: {e}"))?
            }
            (None, body) => body.unwrap_or_default(),
        };
        Ok(Self(Ok(HttpResponse {
            status,
            headers,
            body,
        })))
    }
}

/// A request no entry answers: the script gets `refused` with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Undeclared {
    /// Why, e.g. `the scenario declares no response for POST https://…`.
    pub(crate) reason: String,
}

/// The `http:` list during one run: which entries have answered how often.
#[derive(Debug, Clone)]
pub(crate) struct HttpStubs {
    entries: Vec<(HttpStub, u32)>,
}

impl HttpStubs {
    pub(crate) fn new(stubs: &[HttpStub]) -> Self {
        Self {
            entries: stubs.iter().map(|s| (s.clone(), 0)).collect(),
        }
    }

    /// The answer to `request` and how long it takes, using up one of its entry's `times`.
    pub(crate) fn answer(
        &mut self,
        request: &HttpRequest,
    ) -> Result<(Millis, Result<HttpResponse, HttpError>), Undeclared> {
        let mut used_up = false;
        for (stub, used) in &mut self.entries {
            if !stub.request.matches(request) {
                continue;
            }
            if stub.times.is_some_and(|times| *used >= times.get()) {
                used_up = true;
                continue;
            }
            *used += 1;
            let outcome = match &stub.respond.0 {
                Ok(response) => Ok(as_read(response, &request.read_headers)),
                Err(error) => Err(error.clone()),
            };
            return Ok((stub.after_ms, outcome));
        }
        let mut reason = format!(
            "the scenario declares no response for {} {}",
            request.method.to_ascii_uppercase(),
            request.url
        );
        if used_up {
            reason.push_str(" (the entries that match it have answered their `times`)");
        }
        Err(Undeclared { reason })
    }
}

/// `response` as the script gets it: the headers it asked to read, and `content-type`.
fn as_read(response: &HttpResponse, read_headers: &[String]) -> HttpResponse {
    let wanted = |name: &str| {
        name == "content-type" || read_headers.iter().any(|r| r.eq_ignore_ascii_case(name))
    };
    HttpResponse {
        status: response.status,
        headers: response
            .headers
            .iter()
            .filter(|(name, _)| wanted(name))
            .cloned()
            .collect(),
        body: response.body.clone(),
    }
}

#[cfg(test)]
mod tests;
