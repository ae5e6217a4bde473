//! `POST /v1/campaigns/{id}/contacts`: a contact list, CSV or JSON Lines, streamed into the
//! campaign. The body is never held whole: it flows through a [`BodyReader`] into the
//! importer on the blocking pool, which writes the contacts in batches as they come, so an
//! export of ten million rows costs the server a few chunks of memory.
//!
//! What bounds the body: [`MAX_CONTACTS_UPLOAD_BYTES`], counted by the reader; the pause
//! between two chunks ([`BODY_IDLE_LIMIT`](super::streamed_body::BODY_IDLE_LIMIT)); and
//! the store's own limits on each contact. The router's `DefaultBodyLimit` does not apply:
//! it limits the extractors that collect a body (bytes, text, JSON), not a raw `Body`.

use axum::Json as JsonResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use huashu_campaigns::import::{ImportFormat, ImportReport};

use super::AppState;
use super::auth::TenantAuth;
use super::blocking::off_worker;
use super::campaigns::service;
use super::error::{ApiError, ApiResult};
use super::extract::Path;
use super::streamed_body::{BodyReader, feeding, refuse_declared_over};

/// The largest contact upload: 1 GiB, about ten million rows of a typical CRM export
/// (a number, a name and a few variables). A larger list is split into several uploads.
pub const MAX_CONTACTS_UPLOAD_BYTES: u64 = 1 << 30;

/// The media types a contact list may be sent as, for the 415 message.
const CONTACT_TYPES: &str = "`text/csv`, `application/x-ndjson` or `application/jsonl`";

/// The request's media type without its parameters (`text/csv; charset=utf-8` is
/// `text/csv`), lower-cased; empty when there is none.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// 415, naming what was sent and what is taken.
pub fn unsupported(sent: &str, accepted: &str) -> ApiError {
    let sent = if sent.is_empty() {
        "no Content-Type".to_owned()
    } else {
        format!("`{sent}`")
    };
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("send the body as {accepted}, not {sent}"),
    )
}

pub async fn import(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<JsonResponse<ImportReport>> {
    let campaigns = service(&state)?;
    let sent = media_type(&headers);
    let format =
        ImportFormat::from_content_type(&sent).ok_or_else(|| unsupported(&sent, CONTACT_TYPES))?;
    refuse_declared_over(&headers, MAX_CONTACTS_UPLOAD_BYTES)?;
    let (reader, feed) = BodyReader::new(body, MAX_CONTACTS_UPLOAD_BYTES);
    let work = off_worker(move || campaigns.import(&tenant.id, &id, format, reader));
    let report = feeding(feed, work).await?;
    Ok(JsonResponse(report))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn typed(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_media_type_is_read_without_its_parameters_or_case() {
        assert_eq!(media_type(&typed("Text/CSV; charset=utf-8")), "text/csv");
        assert_eq!(
            media_type(&typed("application/x-ndjson")),
            "application/x-ndjson"
        );
        assert_eq!(media_type(&HeaderMap::new()), "");
    }

    #[test]
    fn a_refused_media_type_is_named_beside_the_accepted_ones() {
        let refused = unsupported("application/json", CONTACT_TYPES);
        assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            refused.message.contains("`application/json`"),
            "{}",
            refused.message
        );
        assert!(
            refused.message.contains("`text/csv`"),
            "{}",
            refused.message
        );
        assert!(
            unsupported("", CONTACT_TYPES)
                .message
                .contains("no Content-Type")
        );
    }
}
