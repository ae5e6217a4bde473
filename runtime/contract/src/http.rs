//! Outbound HTTP as the script sees it (contract 0.2.0): the `http-request` action, and the
//! `http-response` event that answers it later, while the call goes on.
//!
//! A request is an action and its answer an event, rather than a blocking host call, so
//! that a script never waits inside a handler: prompts keep playing and timers keep running
//! while a request is in flight, and the answer is recorded in the call's timeline like any
//! other input, which is what lets `huashu replay` and `huashu test` feed it back exactly.

use serde::{Deserialize, Serialize};

/// Methods a script may use. `CONNECT`, `TRACE` and extension methods are refused.
pub const HTTP_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// Call one of the tenant's own systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Reported back in the answer; empty lets the host number it (`h1`, `h2`…).
    pub id: String,
    /// One of [`HTTP_METHODS`] (any case).
    pub method: String,
    /// An absolute `https://` or `http://` URL.
    pub url: String,
    /// Request headers (name, value), in order.
    #[serde(default, with = "crate::pairs", skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Headers whose value is one of the tenant's secrets: header name → secret name. The
    /// host puts the value in; it is never in the script's memory or the call record.
    #[serde(default, with = "crate::pairs", skip_serializing_if = "Vec::is_empty")]
    pub secret_headers: Vec<(String, String)>,
    /// The request body; empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// Response headers to hand back (any case); `content-type` always is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_headers: Vec<String>,
    /// Give up after this many milliseconds; 0 for the tenant's default.
    #[serde(default)]
    pub timeout_ms: u32,
}

/// A response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The HTTP status, e.g. 200.
    pub status: u16,
    /// The headers the request asked for (names in lower case), plus `content-type`.
    #[serde(default, with = "crate::pairs")]
    pub headers: Vec<(String, String)>,
    /// The body as text.
    #[serde(default)]
    pub body: String,
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "error", content = "reason")]
pub enum HttpError {
    /// Refused before any connection was made (not allowlisted, a private address, a
    /// malformed URL or header, an unknown secret).
    #[error("refused: {0}")]
    Refused(String),
    /// A limit was reached (requests per call, per event, concurrent requests).
    #[error("limited: {0}")]
    Limited(String),
    /// No complete response within the timeout.
    #[error("timed out")]
    Timeout,
    /// The response body was larger than the tenant's cap.
    #[error("the response is larger than the tenant's cap")]
    TooLarge,
    /// The connection or the exchange failed.
    #[error("failed: {0}")]
    Failed(String),
}

/// How a request ended: the `http-response` event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResult {
    /// The request's id (given or assigned).
    pub id: String,
    /// The response, or why there is none. In JSON: `{"response": {…}}` or
    /// `{"error": {"error": "timeout"}}`.
    #[serde(with = "outcome_json")]
    pub outcome: Result<HttpResponse, HttpError>,
    /// Time from the request action to the answer, in milliseconds.
    pub elapsed_ms: u32,
}

/// Serde for the outcome as `{"response": …}` or `{"error": …}`: clearer in a call record
/// than serde's `Ok`/`Err`.
mod outcome_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{HttpError, HttpResponse};

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Borrowed<'a> {
        Response(&'a HttpResponse),
        Error(&'a HttpError),
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Owned {
        Response(HttpResponse),
        Error(HttpError),
    }

    pub fn serialize<S: Serializer>(
        outcome: &Result<HttpResponse, HttpError>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match outcome {
            Ok(response) => Borrowed::Response(response),
            Err(error) => Borrowed::Error(error),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<HttpResponse, HttpError>, D::Error> {
        Ok(match Owned::deserialize(d)? {
            Owned::Response(response) => Ok(response),
            Owned::Error(error) => Err(error),
        })
    }
}

impl HttpRequest {
    /// Every string the request carries, for the sandbox's per-string size limit.
    pub fn strings(&self) -> Vec<&str> {
        let mut all = vec![self.id.as_str(), &self.method, &self.url, &self.body];
        for (name, value) in self.headers.iter().chain(&self.secret_headers) {
            all.push(name);
            all.push(value);
        }
        all.extend(self.read_headers.iter().map(String::as_str));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_reads_as_plain_json_in_the_call_record() {
        let ok = HttpResult {
            id: "h1".into(),
            outcome: Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: "{\"coupon\":\"BDAY-50\"}".into(),
            }),
            elapsed_ms: 12,
        };
        let json = serde_json::to_value(&ok).expect("serialises");
        assert_eq!(json["outcome"]["response"]["status"], 200);
        assert_eq!(
            json["outcome"]["response"]["headers"]["content-type"],
            "application/json"
        );
        let refused = HttpResult {
            outcome: Err(HttpError::Timeout),
            ..ok.clone()
        };
        let json = serde_json::to_value(&refused).expect("serialises");
        assert_eq!(json["outcome"]["error"]["error"], "timeout");
        for result in [ok, refused] {
            let back: HttpResult =
                serde_json::from_value(serde_json::to_value(&result).expect("serialises"))
                    .expect("reads back");
            assert_eq!(back, result);
        }
    }

    #[test]
    fn a_request_omits_empty_parts() {
        let request = HttpRequest {
            id: String::new(),
            method: "GET".into(),
            url: "https://crm.example/balance".into(),
            headers: vec![],
            secret_headers: vec![("authorization".into(), "crm-token".into())],
            body: String::new(),
            read_headers: vec![],
            timeout_ms: 0,
        };
        let json = serde_json::to_value(&request).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "", "method": "GET", "url": "https://crm.example/balance",
                "secret_headers": {"authorization": "crm-token"}, "timeout_ms": 0
            })
        );
    }
}
