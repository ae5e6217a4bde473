//! axum's extractors, with their rejections turned into the API's JSON errors: a broken JSON
//! body, an unknown field or a bad query parameter gets `{"error": {…}}` like every other
//! failure, not axum's plain text. Each rejection has its own status and code, as the
//! OpenAPI document lists them: a body sent without `Content-Type: application/json` is
//! 415 `unsupported_media_type`; JSON that does not parse is 400 `bad_body`; JSON that does
//! not fit the schema is 422 `bad_body`; a bad query string is 400 `bad_query`; a path
//! segment that is not UTF-8 is 400 `bad_path`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

fn rejected(status: StatusCode, code: &'static str, message: String) -> ApiError {
    ApiError::new(status, code, message)
}

/// Whether the request says its body is JSON: `application/json`, or any
/// `application/…+json`, with or without parameters.
fn says_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

fn not_json() -> ApiError {
    rejected(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON, with `Content-Type: application/json`".to_owned(),
    )
}

fn body_rejected(e: BytesRejection) -> ApiError {
    let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "body_too_large"
    } else {
        "bad_body"
    };
    rejected(e.status(), code, e.body_text())
}

fn json_rejected(e: JsonRejection) -> ApiError {
    let status = match e {
        JsonRejection::JsonSyntaxError(_) => StatusCode::BAD_REQUEST,
        JsonRejection::MissingJsonContentType(_) => return not_json(),
        _ => e.status(),
    };
    rejected(status, "bad_body", e.body_text())
}

/// Rewrites numbers written with a zero fraction (`30.0`) as integers, everywhere in
/// `value`; says whether it changed any. JSON has one number type, and JSON Schema counts
/// `30.0` as an integer: a client whose language writes every number as a float must not
/// be refused where the document asks for an integer.
fn integral_floats_as_integers(value: &mut Value) -> bool {
    /// 2^64: the first integral float past `u64::MAX`.
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    match value {
        Value::Number(number) => {
            let Some(float) = number.as_f64().filter(|_| number.is_f64()) else {
                return false;
            };
            if float.fract() != 0.0 || !float.is_finite() {
                return false;
            }
            let integer = if (0.0..TWO_POW_64).contains(&float) {
                serde_json::Number::from(float as u64)
            } else if float >= i64::MIN as f64 && float < 0.0 {
                serde_json::Number::from(float as i64)
            } else {
                return false;
            };
            *number = integer;
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            integral_floats_as_integers(item) | changed
        }),
        Value::Object(fields) => fields.values_mut().fold(false, |changed, field| {
            integral_floats_as_integers(field) | changed
        }),
        _ => false,
    }
}

/// `bytes` read as JSON into `T`, taking `30.0` where `T` wants an integer.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match axum::Json::<T>::from_bytes(bytes) {
        Ok(axum::Json(value)) => Ok(value),
        Err(refused @ JsonRejection::JsonDataError(_)) => {
            let rewritten = serde_json::from_slice::<Value>(bytes)
                .ok()
                .and_then(|mut value| integral_floats_as_integers(&mut value).then_some(value))
                .and_then(|value| serde_json::to_vec(&value).ok());
            match rewritten.map(|bytes| axum::Json::<T>::from_bytes(&bytes)) {
                Some(Ok(axum::Json(value))) => Ok(value),
                _ => Err(json_rejected(refused)),
            }
        }
        Err(other) => Err(json_rejected(other)),
    }
}

/// A JSON body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !says_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejected)?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body that may be left out: no body at all (or only whitespace) is `None`; a body
/// that is there must be JSON, labelled as such, and fit `T`.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let labelled = says_json(req.headers());
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejected)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !labelled {
            return Err(not_json());
        }
        parse_json(&bytes).map(|value| OptionalJson(Some(value)))
    }
}

/// Query parameters.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|e: QueryRejection| rejected(e.status(), "bad_query", e.body_text()))
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|e: PathRejection| rejected(e.status(), "bad_path", e.body_text()))
    }
}

/// A raw body (uploads), with the size limit reported as JSON.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(body_rejected)
    }
}

/// Unknown paths and methods answer in JSON too.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /v1/openapi.json")
}

/// A known path asked with a method it does not take: 405, in JSON.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /v1/openapi.json",
    )
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ring {
        ring_timeout_secs: u32,
        nested: Option<Vec<i64>>,
    }

    #[test]
    fn a_number_with_a_zero_fraction_is_read_where_an_integer_is_asked() {
        let ring: Ring = parse_json(br#"{"ring_timeout_secs": 30.0, "nested": [-2.0, 5]}"#)
            .expect("30.0 and -2.0 are integers");
        assert_eq!(ring.ring_timeout_secs, 30);
        assert_eq!(ring.nested, Some(vec![-2, 5]));
    }

    #[test]
    fn a_number_with_a_fraction_is_still_refused_as_422() {
        let refused = parse_json::<Ring>(br#"{"ring_timeout_secs": 30.5}"#)
            .expect_err("30.5 is not an integer");
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.code, "bad_body");
    }

    #[test]
    fn json_that_does_not_parse_is_400_and_an_unknown_field_422() {
        let broken = parse_json::<Ring>(b"{").expect_err("not JSON");
        assert_eq!(broken.status, StatusCode::BAD_REQUEST);
        let unknown =
            parse_json::<Ring>(br#"{"ring_timeout_secs": 1, "x": 1}"#).expect_err("unknown field");
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn json_with_parameters_or_a_json_suffix_counts_as_json() {
        let typed = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(value),
            );
            says_json(&headers)
        };
        assert!(typed("application/json; charset=utf-8"));
        assert!(typed("application/merge-patch+json"));
        assert!(!typed("text/plain"));
        assert!(!says_json(&HeaderMap::new()));
    }
}
