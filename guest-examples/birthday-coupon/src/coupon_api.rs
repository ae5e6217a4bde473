//! The coupon service: the request that issues a member's birthday coupon, and what its
//! answer means for the call.
//!
//! `POST {coupon_api}/v1/coupons` with `{"phone": …, "campaign": "birthday"}` and the
//! tenant's secret `coupon-api-token` as the `authorization` header. A 2xx answer whose
//! JSON has a `code` means the coupon is in the member's account; anything else (an error
//! status, no `code`, a timeout, a refusal) means it was not issued on the call, and the
//! tenant's SMS job sends it later.

use huashu_sdk::prelude::*;

/// Where the service is when the call has no `coupon_api` variable. Campaigns set the
/// variable per environment (staging, production); the host reaches only URLs on the
/// tenant's allowlist.
pub const DEFAULT_COUPON_API: &str = "https://coupons.example.com";

/// The id of the coupon request, to recognise its answer.
pub const REQUEST_ID: &str = "coupon";

/// The tenant's secret the host puts in the `authorization` header.
pub const TOKEN_SECRET: &str = "coupon-api-token";

/// How long the service may take: the platform's default (2 s), stated so that the guard
/// timer below is sure to be longer. The member is listening to a "one moment" line
/// meanwhile.
pub const TIMEOUT_MS: u32 = 2000;

/// The host answers every request by its timeout; this timer only matters if no answer
/// comes at all, so that the member is never left in silence. Twice the request timeout.
pub const GUARD_MS: u32 = 2 * TIMEOUT_MS;

/// The request that issues the coupon for the member called at `phone`.
pub fn issue(base_url: &str, phone: &str) -> Http {
    let url = format!("{}/v1/coupons", base_url.trim().trim_end_matches('/'));
    Http::post(url)
        .json(&Json::object([
            ("phone", phone.into()),
            ("campaign", "birthday".into()),
        ]))
        .secret_header("authorization", TOKEN_SECRET)
        .read_header("x-request-id")
        .timeout_ms(TIMEOUT_MS)
        .id(REQUEST_ID)
}

/// A coupon the service issued.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    /// The coupon's code, e.g. `BDAY-50`.
    pub code: String,
    /// Its amount in yuan, when the service says.
    pub amount: Option<String>,
}

/// The coupon in the service's answer, or why there is none (in words, for the log).
pub fn issued(result: &HttpResult) -> Result<Issued, String> {
    let body = result.json().map_err(|failure| failure.to_string())?;
    let code = body["code"]
        .as_str()
        .filter(|code| !code.trim().is_empty())
        .ok_or_else(|| format!("the service answered {body} with no coupon code"))?;
    let amount = match &body["amount"] {
        Json::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        number => number.as_f64().map(|n| Json::Number(n).to_string()),
    };
    Ok(Issued {
        code: code.trim().to_owned(),
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_sdk::{HttpError, HttpResponse};

    fn answer(status: u16, body: &str) -> HttpResult {
        HttpResult {
            id: REQUEST_ID.into(),
            outcome: Ok(HttpResponse {
                status,
                headers: vec![],
                body: body.into(),
            }),
            elapsed_ms: 300,
        }
    }

    #[test]
    fn the_request_posts_the_phone_and_campaign_with_the_token_secret() {
        let request = issue("https://staging.coupons.example.com/ ", "13800138000").into_request();
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://staging.coupons.example.com/v1/coupons"
        );
        assert_eq!(
            request.body,
            r#"{"phone":"13800138000","campaign":"birthday"}"#
        );
        assert_eq!(
            request.secret_headers,
            [("authorization".to_owned(), "coupon-api-token".to_owned())]
        );
        assert_eq!(request.id, "coupon");
    }

    #[test]
    fn a_coupon_needs_a_2xx_answer_with_a_code() {
        assert_eq!(
            issued(&answer(201, r#"{"code": "BDAY-50", "amount": 50}"#)),
            Ok(Issued {
                code: "BDAY-50".into(),
                amount: Some("50".into())
            })
        );
        assert_eq!(
            issued(&answer(200, r#"{"code": "B-1", "amount": "80"}"#)).map(|i| i.amount),
            Ok(Some("80".into()))
        );
        assert_eq!(
            issued(&answer(200, r#"{"code": "B-1"}"#)).map(|i| i.amount),
            Ok(None)
        );
        assert_eq!(
            issued(&answer(200, r#"{"status": "queued"}"#)),
            Err(r#"the service answered {"status":"queued"} with no coupon code"#.into())
        );
        assert_eq!(
            issued(&answer(500, "database unavailable")),
            Err("the service answered 500: database unavailable".into())
        );
        let timed_out = HttpResult {
            outcome: Err(HttpError::Timeout),
            ..answer(200, "")
        };
        assert_eq!(issued(&timed_out), Err("no response in time".into()));
    }
}
