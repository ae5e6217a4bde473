//! Reading the `http-response` event: the status, headers and JSON body of
//! [`HttpResponse`], the shortcuts on [`HttpResult`], and [`HttpFailure`], one readable
//! reason for every way a request can fail to give a script the JSON it wanted.

use std::fmt;

use crate::json::{Json, JsonError};
use crate::{HttpError, HttpResponse, HttpResult};

impl HttpResponse {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The response header `name` (any case), if the request asked for it with
    /// [`read_header`](crate::Http::read_header) (or it is `content-type`) and it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body read as JSON, whatever the status.
    pub fn json(&self) -> Result<Json, JsonError> {
        Json::parse(&self.body)
    }
}

impl HttpResult {
    /// The response, whatever its status; `None` when there is none (see [`error`](Self::error)).
    pub fn response(&self) -> Option<&HttpResponse> {
        self.outcome.as_ref().ok()
    }

    /// Why there is no response, if there is none.
    pub fn error(&self) -> Option<&HttpError> {
        self.outcome.as_ref().err()
    }

    /// The response's status, if there is a response.
    pub fn status(&self) -> Option<u16> {
        self.response().map(|r| r.status)
    }

    /// True for a response with a 2xx status.
    pub fn is_success(&self) -> bool {
        self.response().is_some_and(HttpResponse::is_success)
    }

    /// The body of a 2xx response read as JSON; otherwise why not, readable enough to log
    /// as it is.
    ///
    /// ```
    /// # use huashu_sdk::{HttpError, HttpResponse, HttpResult};
    /// let answer = HttpResult {
    ///     id: "coupon".into(),
    ///     outcome: Ok(HttpResponse { status: 201, headers: vec![], body: r#"{"code":"B-1"}"#.into() }),
    ///     elapsed_ms: 300,
    /// };
    /// assert_eq!(answer.json().expect("a 2xx JSON body")["code"].as_str(), Some("B-1"));
    /// let timed_out = HttpResult { outcome: Err(HttpError::Timeout), ..answer };
    /// assert_eq!(timed_out.json().unwrap_err().to_string(), "no response in time");
    /// ```
    pub fn json(&self) -> Result<Json, HttpFailure> {
        let response = self
            .outcome
            .as_ref()
            .map_err(|e| HttpFailure::NoResponse(e.clone()))?;
        if !response.is_success() {
            return Err(HttpFailure::Status {
                status: response.status,
                body: response.body.clone(),
            });
        }
        response.json().map_err(|error| HttpFailure::NotJson {
            status: response.status,
            error,
        })
    }
}

impl HttpError {
    /// What went wrong, in words (the contract's text included where there is one).
    pub fn message(&self) -> String {
        match self {
            HttpError::Refused(why) => format!("refused before connecting: {why}"),
            HttpError::Limited(why) => format!("not sent, a limit was reached: {why}"),
            HttpError::Timeout => "no response in time".to_owned(),
            HttpError::TooLarge => "the response was larger than the tenant's cap".to_owned(),
            HttpError::Failed(why) => format!("the exchange failed: {why}"),
        }
    }
}

/// Why [`HttpResult::json`] has no JSON: no response, a status other than 2xx, or a body
/// that is not JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpFailure {
    /// There is no response; the host says why.
    NoResponse(HttpError),
    /// The service answered with a status other than 2xx.
    Status {
        /// The status, e.g. 500.
        status: u16,
        /// The response body, often the service's own explanation.
        body: String,
    },
    /// A 2xx response whose body is not JSON.
    NotJson {
        /// The status, e.g. 200.
        status: u16,
        /// Where and why the body is not JSON.
        error: JsonError,
    },
}

/// How much of an error body a message quotes: enough for a service's explanation, short
/// enough for one line of the call log.
const QUOTED_BODY_CHARS: usize = 200;

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpFailure::NoResponse(error) => f.write_str(&error.message()),
            HttpFailure::Status { status, body } if body.trim().is_empty() => {
                write!(f, "the service answered {status}")
            }
            HttpFailure::Status { status, body } => {
                let quoted: String = body.trim().chars().take(QUOTED_BODY_CHARS).collect();
                write!(f, "the service answered {status}: {quoted}")
            }
            HttpFailure::NotJson { status, error } => {
                write!(
                    f,
                    "the service answered {status} with a body that is {error}"
                )
            }
        }
    }
}

impl std::error::Error for HttpFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, body: &str) -> HttpResult {
        HttpResult {
            id: "coupon".into(),
            outcome: Ok(HttpResponse {
                status,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-request-id".into(), "r-42".into()),
                ],
                body: body.into(),
            }),
            elapsed_ms: 300,
        }
    }

    fn failed(error: HttpError) -> HttpResult {
        HttpResult {
            id: "coupon".into(),
            outcome: Err(error),
            elapsed_ms: 2000,
        }
    }

    #[test]
    fn a_2xx_json_answer_gives_its_fields_status_and_headers() {
        let result = answered(201, r#"{"code": "BDAY-50", "amount": 50}"#);
        assert!(result.is_success());
        assert_eq!(result.status(), Some(201));
        let body = result.json().expect("2xx JSON");
        assert_eq!(body["code"].as_str(), Some("BDAY-50"));
        assert_eq!(body["amount"].as_i64(), Some(50));
        let response = result.response().expect("a response");
        assert_eq!(response.header("X-Request-ID"), Some("r-42"));
        assert_eq!(response.header("etag"), None);
        assert_eq!(result.error(), None);
    }

    #[test]
    fn a_non_2xx_answer_is_a_failure_that_quotes_the_service() {
        let result = answered(503, "  coupon service is down for maintenance\n");
        assert!(!result.is_success());
        assert_eq!(result.status(), Some(503));
        let failure = result.json().expect_err("not 2xx");
        assert_eq!(
            failure.to_string(),
            "the service answered 503: coupon service is down for maintenance"
        );
        assert_eq!(
            answered(404, "").json().expect_err("404").to_string(),
            "the service answered 404"
        );
        let long = answered(500, &"错".repeat(500)).json().expect_err("500");
        assert_eq!(
            long.to_string().chars().count(),
            "the service answered 500: ".len() + 200
        );
    }

    #[test]
    fn a_2xx_answer_that_is_not_json_says_so() {
        let failure = answered(200, "<html>").json().expect_err("not JSON");
        assert_eq!(
            failure.to_string(),
            "the service answered 200 with a body that is not JSON at byte 0: expected a value"
        );
    }

    #[test]
    fn every_host_error_reads_as_a_sentence() {
        for (error, message) in [
            (
                HttpError::Refused("https://evil.example is not on the allowlist".into()),
                "refused before connecting: https://evil.example is not on the allowlist",
            ),
            (
                HttpError::Limited("20 requests per call".into()),
                "not sent, a limit was reached: 20 requests per call",
            ),
            (HttpError::Timeout, "no response in time"),
            (
                HttpError::TooLarge,
                "the response was larger than the tenant's cap",
            ),
            (
                HttpError::Failed("connection reset".into()),
                "the exchange failed: connection reset",
            ),
        ] {
            let result = failed(error.clone());
            assert!(!result.is_success());
            assert_eq!(result.status(), None);
            assert_eq!(result.error(), Some(&error));
            assert_eq!(result.json().expect_err("no response").to_string(), message);
        }
    }
}
