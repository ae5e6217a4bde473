//! The `bot_requests` step: what an HTTP request the bot makes must look like.
//!
//! Written short, `bot_requests: POST https://coupons.example.com/v1/coupons`, or with a
//! body to check, `bot_requests: {request: POST https://…, with_body: '"amount":50'}`. The
//! request is `METHOD URL` with the method in upper case; it matches when it equals the
//! text exactly (so a URL with `?` or `+` can be written as it is) or the text, read as a
//! regex, finds a match in it. Answers are declared in the `http:` list, not here.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::file::Pattern;
use huashu_contract::HttpRequest;

/// A `bot_requests` step's expectation.
#[derive(Debug, Clone)]
pub struct RequestExpectation {
    /// Matched against `METHOD URL`: equal to it, or a regex found in it.
    pub request: Pattern,
    /// A regex the body must contain a match for; `None` does not check the body.
    pub with_body: Option<Pattern>,
}

impl RequestExpectation {
    /// Whether `request` is the expected one.
    pub fn matches(&self, request: &HttpRequest) -> bool {
        let line = format!("{} {}", request.method.to_ascii_uppercase(), request.url);
        let pattern = &self.request.0;
        (line == pattern.as_str() || pattern.is_match(&line))
            && self
                .with_body
                .as_ref()
                .is_none_or(|body| body.0.is_match(&request.body))
    }
}

impl fmt::Display for RequestExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.request)?;
        if let Some(body) = &self.with_body {
            write!(f, " with a body matching /{body}/")?;
        }
        Ok(())
    }
}

/// The long form, `{request: …, with_body: …}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LongForm {
    request: Pattern,
    #[serde(default)]
    with_body: Option<Pattern>,
}

impl<'de> Deserialize<'de> for RequestExpectation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Form;

        impl<'de> Visitor<'de> for Form {
            type Value = RequestExpectation;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`METHOD URL`, or `{request: METHOD URL, with_body: REGEX}`")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                let request = Pattern::deserialize(serde::de::value::StrDeserializer::new(text))?;
                Ok(RequestExpectation {
                    request,
                    with_body: None,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let long = LongForm::deserialize(MapAccessDeserializer::new(map))?;
                Ok(RequestExpectation {
                    request: long.request,
                    with_body: long.with_body,
                })
            }
        }

        d.deserialize_any(Form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, body: &str) -> HttpRequest {
        HttpRequest {
            id: "h1".into(),
            method: "post".into(),
            url: url.into(),
            headers: vec![],
            secret_headers: vec![],
            body: body.into(),
            read_headers: vec![],
            timeout_ms: 0,
        }
    }

    fn expectation(yaml: &str) -> Result<RequestExpectation, String> {
        serde_saphyr::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn the_short_form_matches_the_exact_text_or_as_a_regex() {
        let exact = expectation("POST https://crm.example.com/find?phone=1+2").expect("valid");
        assert!(exact.matches(&post("https://crm.example.com/find?phone=1+2", "")));
        let regex = expectation("POST https://coupons\\.example\\.com/v1/.*").expect("valid");
        assert!(regex.matches(&post("https://coupons.example.com/v1/coupons", "")));
        assert!(!regex.matches(&HttpRequest {
            method: "GET".into(),
            ..post("https://coupons.example.com/v1/coupons", "")
        }));
        assert_eq!(
            regex.to_string(),
            "/POST https://coupons\\.example\\.com/v1/.*/"
        );
    }

    #[test]
    fn the_long_form_also_checks_the_body() {
        let step = expectation(
            "{request: POST https://coupons.example.com/v1/coupons, with_body: '\"amount\":50'}",
        )
        .expect("valid");
        let url = "https://coupons.example.com/v1/coupons";
        assert!(step.matches(&post(url, r#"{"amount":50}"#)));
        assert!(!step.matches(&post(url, r#"{"amount":20}"#)));
        assert_eq!(
            step.to_string(),
            "/POST https://coupons.example.com/v1/coupons/ with a body matching /\"amount\":50/"
        );
    }

    #[test]
    fn a_malformed_expectation_says_what_is_wrong() {
        let unknown = expectation("{request: GET https://a.example, body: x}").expect_err("body");
        assert!(unknown.contains("body"), "{unknown}");
        let regex = expectation("{request: GET https://a.example, with_body: \"(\"}")
            .expect_err("bad regex");
        assert!(regex.contains("not a valid regex"), "{regex}");
        let missing = expectation("{with_body: x}").expect_err("no request");
        assert!(missing.contains("request"), "{missing}");
    }
}
