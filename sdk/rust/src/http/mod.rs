//! Outbound HTTP: [`Http`] builds the `http-request` action that calls one of the tenant's
//! own systems (a CRM, a coupon service…); `response` adds readers to the `http-response`
//! event that answers it later ([`HttpResult`](crate::HttpResult)).
//!
//! A request is an action and its answer an event, not a call that blocks: the handler
//! returns at once, so prompts keep playing and timers keep running while the request is in
//! flight, and the answer is recorded in the call's timeline like any other input (which is
//! what lets `huashu replay` and `huashu test` feed it back exactly). Only URLs on the
//! tenant's allowlist are reached; secrets (API tokens) are named, never seen.
//!
//! ```
//! use huashu_sdk::prelude::*;
//!
//! let mut out = Actions::new(0);
//! out.say("请稍等，我帮您查一下。");
//! out.http(
//!     Http::post("https://crm.example.com/v1/lookups")
//!         .json(&Json::object([("phone", "13800138000".into())]))
//!         .secret_header("authorization", "crm-token")
//!         .read_header("x-request-id")
//!         .timeout_ms(1500)
//!         .id("lookup"),
//! );
//! assert_eq!(out.len(), 2);
//! ```

mod response;

pub use response::HttpFailure;

use crate::json::Json;
use crate::{Action, HttpRequest};

/// An `http-request` being built: start with [`Http::get`], [`Http::post`]… and chain the
/// parts you need; hand it to [`Actions::http`](crate::Actions::http) (or turn it into an
/// [`Action`] with `.into()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Http {
    request: HttpRequest,
}

impl Http {
    /// A request with `method` (`GET`, `HEAD`, `POST`, `PUT`, `PATCH` or `DELETE`) to `url`
    /// (absolute, `https://` or `http://`).
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Http {
            request: HttpRequest {
                id: String::new(),
                method: method.into(),
                url: url.into(),
                headers: Vec::new(),
                secret_headers: Vec::new(),
                body: String::new(),
                read_headers: Vec::new(),
                timeout_ms: 0,
            },
        }
    }

    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Http::new("GET", url)
    }

    /// A `POST` to `url`.
    pub fn post(url: impl Into<String>) -> Self {
        Http::new("POST", url)
    }

    /// A `PUT` to `url`.
    pub fn put(url: impl Into<String>) -> Self {
        Http::new("PUT", url)
    }

    /// A `PATCH` of `url`.
    pub fn patch(url: impl Into<String>) -> Self {
        Http::new("PATCH", url)
    }

    /// A `DELETE` of `url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Http::new("DELETE", url)
    }

    /// Name the request, so that its `http-response` can be told from others' (empty lets
    /// the host number it `h1`, `h2`…).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.request.id = id.into();
        self
    }

    /// Add a request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.headers.push((name.into(), value.into()));
        self
    }

    /// Add a header whose value is the tenant's secret `secret` (stored with
    /// `PUT /v1/secrets/{name}`): `.secret_header("authorization", "crm-token")`. The host
    /// puts the value in; the script never sees it and the call record never holds it.
    pub fn secret_header(mut self, name: impl Into<String>, secret: impl Into<String>) -> Self {
        self.request
            .secret_headers
            .push((name.into(), secret.into()));
        self
    }

    /// Send `value` as the body, with `content-type: application/json` (replacing any
    /// content type set before).
    pub fn json(self, value: &Json) -> Self {
        self.without_header("content-type")
            .header("content-type", "application/json")
            .body(value.to_string())
    }

    /// Send `text` as the body (set a `content-type` header to say what it is).
    pub fn body(mut self, text: impl Into<String>) -> Self {
        self.request.body = text.into();
        self
    }

    /// Hand back the response header `name` too (`content-type` always is).
    pub fn read_header(mut self, name: impl Into<String>) -> Self {
        self.request.read_headers.push(name.into());
        self
    }

    /// Give up after `ms` milliseconds (the answer is then the error `timeout`). 0, the
    /// default, takes the tenant's default (2 s); more than the operator's cap is cut to it.
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.request.timeout_ms = ms;
        self
    }

    /// The contract's record, as the host receives it.
    pub fn into_request(self) -> HttpRequest {
        self.request
    }

    fn without_header(mut self, name: &str) -> Self {
        self.request
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
}

impl From<Http> for HttpRequest {
    fn from(http: Http) -> HttpRequest {
        http.request
    }
}

impl From<Http> for Action {
    fn from(http: Http) -> Action {
        Action::HttpRequest(http.request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_post_carries_its_body_content_type_secrets_and_options() {
        let request = Http::post("https://coupons.example.com/v1/coupons")
            .header("content-type", "text/plain")
            .header("x-campaign", "birthday")
            .json(&Json::object([
                ("phone", "13800138000".into()),
                ("campaign", "birthday".into()),
            ]))
            .secret_header("authorization", "coupon-api-token")
            .read_header("x-request-id")
            .timeout_ms(1500)
            .id("coupon")
            .into_request();
        assert_eq!(
            request,
            HttpRequest {
                id: "coupon".into(),
                method: "POST".into(),
                url: "https://coupons.example.com/v1/coupons".into(),
                headers: vec![
                    ("x-campaign".into(), "birthday".into()),
                    ("content-type".into(), "application/json".into()),
                ],
                secret_headers: vec![("authorization".into(), "coupon-api-token".into())],
                body: r#"{"phone":"13800138000","campaign":"birthday"}"#.into(),
                read_headers: vec!["x-request-id".into()],
                timeout_ms: 1500,
            }
        );
    }

    #[test]
    fn a_get_has_no_body_and_leaves_id_and_timeout_to_the_host() {
        let Action::HttpRequest(request) = Action::from(Http::get("https://crm.example.com/a"))
        else {
            panic!("an http-request action");
        };
        assert_eq!(request.method, "GET");
        assert_eq!((request.id.as_str(), request.body.as_str()), ("", ""));
        assert_eq!(request.timeout_ms, 0);
        for (http, method) in [
            (Http::put("u"), "PUT"),
            (Http::patch("u"), "PATCH"),
            (Http::delete("u"), "DELETE"),
            (Http::new("HEAD", "u"), "HEAD"),
        ] {
            assert_eq!(http.into_request().method, method);
        }
    }
}
