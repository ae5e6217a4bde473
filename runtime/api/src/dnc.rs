//! Do-not-call lists: each tenant keeps its own (`/v1/dnc`, tenant key), the operator keeps
//! the platform's, binding on every tenant (`/v1/platform/dnc`, operator token). Both take
//! the same five requests: list, bulk upload (streamed like a contact list), and put, read
//! or remove one number.
//!
//! Numbers in paths and uploads are normalised by the campaigns stage, so `138 0013 8000`
//! and `+8613800138000` name the same entry. A number that cannot be read as one is 422
//! `invalid_number`; one that is not on the list is 404.

use axum::Json as JsonResponse;
use axum::body::Body as StreamedBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use huashu_campaigns::{CampaignError, DncUploadReport};
use huashu_store::Page;
use huashu_store::campaigns::{DncEntry, DncScope};
use serde::Deserialize;

use super::AppState;
use super::auth::{Operator, TenantAuth};
use super::blocking::off_worker;
use super::campaign_contacts::{media_type, unsupported};
use super::campaigns::service;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Path, Query};
use super::pagination::PageQuery;
use super::streamed_body::{BodyReader, feeding, refuse_declared_over};

/// The largest bulk upload: 256 MiB, some twenty million numbers of one per line. A
/// national do-not-call register is about that size; larger ones are split.
pub const MAX_DNC_UPLOAD_BYTES: u64 = 256 << 20;

/// The media types a bulk upload may be sent as, for the 415 message.
const DNC_TYPES: &str = "`text/csv` or `text/plain` (one number per line)";

/// The optional body of a PUT.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DncInput {
    #[serde(default)]
    reason: String,
}

/// The campaigns stage's refusals, in do-not-call words: a field that breaks a rule here is
/// the number (a bulk upload that broke off is the body's fault, not a number's).
fn dnc_error(error: CampaignError) -> ApiError {
    match error {
        CampaignError::Invalid(field) if field.field == "body" => {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_body", field.problem)
        }
        CampaignError::Invalid(field) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_number",
            field.to_string(),
        ),
        other => other.into(),
    }
}

fn not_listed(scope: &DncScope, number: &str) -> ApiError {
    let list = match scope {
        DncScope::Platform => "the platform's do-not-call list",
        DncScope::Tenant(_) => "your do-not-call list",
    };
    ApiError::not_found(format!("{number} is not on {list}"))
}

/// A JSON body, or none at all: `{"reason": "…"}` is optional.
fn reason(body: &[u8]) -> ApiResult<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    serde_json::from_slice::<DncInput>(body)
        .map(|input| input.reason)
        .map_err(|e| {
            let status = if e.is_data() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_REQUEST
            };
            ApiError::new(
                status,
                "bad_body",
                format!("the body must be empty or `{{\"reason\": \"…\"}}`: {e}"),
            )
        })
}

async fn list_in(
    state: AppState,
    scope: DncScope,
    page: PageQuery,
) -> ApiResult<JsonResponse<Page<DncEntry>>> {
    let campaigns = service(&state)?;
    let page = page.request()?;
    let listed = off_worker(move || campaigns.list_dnc(&scope, &page).map_err(dnc_error)).await?;
    Ok(JsonResponse(listed))
}

async fn upload_to(
    state: AppState,
    scope: DncScope,
    headers: &HeaderMap,
    body: StreamedBody,
) -> ApiResult<JsonResponse<DncUploadReport>> {
    let campaigns = service(&state)?;
    let sent = media_type(headers);
    if !matches!(sent.as_str(), "text/csv" | "text/plain") {
        return Err(unsupported(&sent, DNC_TYPES));
    }
    refuse_declared_over(headers, MAX_DNC_UPLOAD_BYTES)?;
    let (reader, feed) = BodyReader::new(body, MAX_DNC_UPLOAD_BYTES);
    let work = off_worker(move || campaigns.upload_dnc(&scope, reader).map_err(dnc_error));
    let report = feeding(feed, work).await?;
    Ok(JsonResponse(report))
}

async fn put_in(
    state: AppState,
    scope: DncScope,
    number: String,
    body: &[u8],
) -> ApiResult<JsonResponse<DncEntry>> {
    let campaigns = service(&state)?;
    let reason = reason(body)?;
    let entry =
        off_worker(move || campaigns.add_dnc(scope, &number, reason).map_err(dnc_error)).await?;
    Ok(JsonResponse(entry))
}

async fn get_in(
    state: AppState,
    scope: DncScope,
    number: String,
) -> ApiResult<JsonResponse<DncEntry>> {
    let campaigns = service(&state)?;
    let (asked, listed) = (scope.clone(), number.clone());
    let entry = off_worker(move || campaigns.dnc_entry(&asked, &listed).map_err(dnc_error)).await?;
    entry
        .map(JsonResponse)
        .ok_or_else(|| not_listed(&scope, &number))
}

async fn delete_in(state: AppState, scope: DncScope, number: String) -> ApiResult<StatusCode> {
    let campaigns = service(&state)?;
    let (asked, listed) = (scope.clone(), number.clone());
    let removed =
        off_worker(move || campaigns.remove_dnc(&asked, &listed).map_err(dnc_error)).await?;
    if !removed {
        return Err(not_listed(&scope, &number));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn own(tenant: &huashu_store::Tenant) -> DncScope {
    DncScope::Tenant(tenant.id.clone())
}

pub async fn list_own(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<DncEntry>>> {
    list_in(state, own(&tenant), page).await
}

pub async fn upload_own(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: StreamedBody,
) -> ApiResult<JsonResponse<DncUploadReport>> {
    upload_to(state, own(&tenant), &headers, body).await
}

pub async fn put_own(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(number): Path<String>,
    Body(body): Body,
) -> ApiResult<JsonResponse<DncEntry>> {
    put_in(state, own(&tenant), number, &body).await
}

pub async fn get_own(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<JsonResponse<DncEntry>> {
    get_in(state, own(&tenant), number).await
}

pub async fn delete_own(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    delete_in(state, own(&tenant), number).await
}

pub async fn list_platform(
    _: Operator,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<DncEntry>>> {
    list_in(state, DncScope::Platform, page).await
}

pub async fn upload_platform(
    _: Operator,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: StreamedBody,
) -> ApiResult<JsonResponse<DncUploadReport>> {
    upload_to(state, DncScope::Platform, &headers, body).await
}

pub async fn put_platform(
    _: Operator,
    State(state): State<AppState>,
    Path(number): Path<String>,
    Body(body): Body,
) -> ApiResult<JsonResponse<DncEntry>> {
    put_in(state, DncScope::Platform, number, &body).await
}

pub async fn get_platform(
    _: Operator,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<JsonResponse<DncEntry>> {
    get_in(state, DncScope::Platform, number).await
}

pub async fn delete_platform(
    _: Operator,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    delete_in(state, DncScope::Platform, number).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_put_takes_no_body_or_a_reason_and_nothing_else() {
        assert_eq!(reason(b"").expect("empty"), "");
        assert_eq!(reason(b" \n").expect("blank"), "");
        assert_eq!(
            reason(br#"{"reason": "asked on the phone"}"#).expect("a reason"),
            "asked on the phone"
        );
        let unknown = reason(br#"{"why": "x"}"#).expect_err("unknown field");
        assert_eq!(
            (unknown.status, unknown.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "bad_body")
        );
        assert_eq!(
            reason(b"{").expect_err("broken").status,
            StatusCode::BAD_REQUEST
        );
    }
}
