//! The two HTTP requests `huashu call` makes with the tenant's key: create the call
//! (`POST /v1/calls`) and, when the socket did not carry the outcome, read the call's record
//! (`GET /v1/calls/{id}`). Refusals become errors in the server's own words.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use huashu_contract::Outcome;

/// Longest a request may take: creating a call loads the module, reading a record reads the
/// store; both answer in well under a second unless something is wrong.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Api {
    base: String,
    key: String,
    agent: ureq::Agent,
}

/// `POST /v1/calls`' answer (the fields used here).
#[derive(Debug, Deserialize)]
pub struct CreatedCall {
    pub call_id: String,
    pub module_version: u32,
    pub ws_url: String,
}

impl Api {
    pub fn new(base: &str, key: &str) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/');
        if base.starts_with("https://") {
            bail!("{base}: this huashu speaks plain http only; use the server's http:// address");
        }
        if !base.starts_with("http://") {
            bail!("{base} is not a server address: use http://HOST:PORT");
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .into();
        Ok(Self {
            base: base.to_owned(),
            key: key.to_owned(),
            agent,
        })
    }

    /// Creates a text call of `module`.
    pub fn create_call(
        &self,
        module: &str,
        version: Option<u32>,
        variables: &[(String, String)],
    ) -> anyhow::Result<CreatedCall> {
        let variables: serde_json::Map<String, Value> = variables
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let mut body = json!({ "module": module, "variables": variables, "channel": "text" });
        if let Some(version) = version {
            body["version"] = json!(version);
        }
        let url = format!("{}/v1/calls", self.base);
        let response = self
            .agent
            .post(&url)
            .header("Authorization", format!("Bearer {}", self.key))
            .send_json(body);
        let created = self.answer(response, &format!("cannot create a call of `{module}`"))?;
        serde_json::from_value(created)
            .context("the server's answer to POST /v1/calls is not in the expected format")
    }

    /// The outcome in the call's stored record; `None` if it has no record yet.
    pub fn outcome(&self, call_id: &str) -> anyhow::Result<Option<Outcome>> {
        let url = format!("{}/v1/calls/{call_id}", self.base);
        let response = self
            .agent
            .get(&url)
            .header("Authorization", format!("Bearer {}", self.key))
            .call();
        let call = self.answer(response, &format!("cannot read call {call_id}"))?;
        match call.get("record").and_then(|r| r.get("outcome")) {
            Some(outcome) => serde_json::from_value(outcome.clone())
                .map(Some)
                .context("the call record's outcome is not in the expected format"),
            None => Ok(None),
        }
    }

    /// The JSON body of a 2xx answer; otherwise an error saying what the server refused.
    fn answer(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        doing: &str,
    ) -> anyhow::Result<Value> {
        let mut response = response.map_err(|error| {
            anyhow!(
                "cannot reach the huashu server at {} ({error}); is it running? \
                 --server or HUASHU_SERVER say where it listens",
                self.base
            )
        })?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let message = body["error"]["message"]
            .as_str()
            .map_or_else(|| text.trim().to_owned(), str::to_owned);
        match status {
            401 => bail!("{doing}: the server refused the API key in HUASHU_KEY ({message})"),
            _ => bail!("{doing}: {message} (HTTP {status})"),
        }
    }
}
