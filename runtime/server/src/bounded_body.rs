//! Request bodies that cannot hold a connection: a `Content-Length` over the largest body
//! any endpoint takes is answered 413 at once (without waiting for a body that may never
//! come), and a body that stops arriving for [`BODY_IDLE_LIMIT`] is answered 408. Every
//! body the API takes is read whole by its handler anyway, so reading it here first costs
//! nothing extra, except the uploads handlers stream ([`is_streamed`]: contact lists and
//! do-not-call lists, up to a gigabyte): those pass through unread, and a pause of
//! [`BODY_IDLE_LIMIT`] between two of their chunks breaks the stream their handler reads,
//! which answers with how far it got.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use huashu_api::{ApiError, MAX_BODY_BYTES};

/// The longest a request body may pause between two chunks. A slow upload keeps sending;
/// a peer that stops for this long is holding the connection, not uploading.
pub const BODY_IDLE_LIMIT: Duration = Duration::from_secs(10);

/// The middleware; see the module docs.
pub async fn bounded_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if is_streamed(request.method(), request.uri().path()) {
        let (parts, body) = request.into_parts();
        let chunks = body.into_data_stream();
        // A pause past the limit ends the stream with an error (and nothing after it).
        let idle_bounded = futures_util::stream::unfold(Some(chunks), |chunks| async move {
            let mut chunks = chunks?;
            match tokio::time::timeout(BODY_IDLE_LIMIT, chunks.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(chunks))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(axum::Error::new(format!(
                        "the request body stopped arriving for {} s",
                        BODY_IDLE_LIMIT.as_secs()
                    ))),
                    None,
                )),
            }
        });
        return next
            .run(Request::from_parts(parts, Body::from_stream(idle_bounded)))
            .await;
    }
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return too_large().into_response();
    }
    let has_body = declared.is_some_and(|length| length > 0)
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let mut chunks = body.into_data_stream();
    let mut bytes = Vec::with_capacity(declared.map_or(0, |l| l as usize));
    loop {
        match tokio::time::timeout(BODY_IDLE_LIMIT, chunks.next()).await {
            Err(_) => {
                return ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    format!(
                        "the request body stopped arriving for {} s",
                        BODY_IDLE_LIMIT.as_secs()
                    ),
                )
                .into_response();
            }
            Ok(None) => break,
            Ok(Some(Ok(chunk))) => {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return too_large().into_response();
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(Some(Err(error))) => {
                return ApiError::bad_request(format!("cannot read the request body: {error}"))
                    .into_response();
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(Bytes::from(bytes))))
        .await
}

/// The uploads whose handlers read the body as a stream, in bounded memory, and enforce
/// their own (larger) size limit: `POST /v1/campaigns/{id}/contacts`, `POST /v1/dnc` and
/// `POST /v1/platform/dnc`.
fn is_streamed(method: &axum::http::Method, path: &str) -> bool {
    if method != axum::http::Method::POST {
        return false;
    }
    let contacts = path
        .strip_prefix("/v1/campaigns/")
        .and_then(|rest| rest.strip_suffix("/contacts"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    contacts || path == "/v1/dnc" || path == "/v1/platform/dnc"
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("request bodies may be at most {MAX_BODY_BYTES} bytes"),
    )
}
