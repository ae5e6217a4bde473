//! Tenant endpoints to inspect the key-value space their scripts share: list keys (by
//! prefix, paged), read a value, delete a key. Scripts write it; tenants read it to see
//! what their calls remembered, and delete entries to reset a contact's state.

use crate::blocking::off_worker;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::TenantAuth;
use super::error::{ApiError, ApiResult};
use super::extract::{Path, Query};
use super::pagination::PageQuery;
use huashu_store::{KvEntry, KvError, check_key};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    prefix: String,
    // Not `#[serde(flatten)]` of a `PageQuery`: flattened query fields lose their numbers.
    after: Option<String>,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct KvListing {
    items: Vec<KvEntry>,
    next: Option<String>,
    /// Bytes used by all the tenant's keys and values, against `quota_bytes`.
    used_bytes: u64,
    quota_bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct KvValue {
    key: String,
    size_bytes: usize,
    /// The value as text when it is UTF-8 (what most scripts store), else null.
    text: Option<String>,
    /// The value's bytes, always.
    base64: String,
}

fn kv_error(error: KvError) -> ApiError {
    match error {
        KvError::InvalidKey | KvError::ValueTooLarge => ApiError::bad_request(error.to_string()),
        KvError::QuotaExceeded | KvError::Unavailable(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            error.to_string(),
        ),
    }
}

fn no_key(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no key `{key}` in your key-value space"),
    )
}

pub async fn list(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<JsonResponse<KvListing>> {
    let kv = state.calls.kv();
    let request = PageQuery {
        after: query.after,
        limit: query.limit,
    }
    .request()?;
    let page = kv
        .list(&tenant.id, &query.prefix, &request)
        .map_err(kv_error)?;
    Ok(JsonResponse(KvListing {
        items: page.items,
        next: page.next,
        used_bytes: kv.used_bytes(&tenant.id).map_err(kv_error)?,
        quota_bytes: tenant.quotas.kv_bytes,
    }))
}

pub async fn get(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<JsonResponse<KvValue>> {
    check_key(&key).map_err(kv_error)?;
    let value = state
        .calls
        .kv()
        .get(&tenant.id, &key)
        .map_err(kv_error)?
        .ok_or_else(|| no_key(&key))?;
    Ok(JsonResponse(KvValue {
        size_bytes: value.len(),
        base64: BASE64.encode(&value),
        text: String::from_utf8(value).ok(),
        key,
    }))
}

pub async fn delete(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    check_key(&key).map_err(kv_error)?;
    let kv = state.calls.kv().clone();
    if kv.get(&tenant.id, &key).map_err(kv_error)?.is_none() {
        return Err(no_key(&key));
    }
    let tenant_id = tenant.id.clone();
    off_worker(move || kv.delete(&tenant_id, &key).map_err(kv_error)).await?;
    Ok(StatusCode::NO_CONTENT)
}
