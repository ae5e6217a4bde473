//! Operator endpoints: tenants, their quotas and settings (call retention among them), and
//! their API keys.

use crate::blocking::off_worker;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, OptionalJson, Path, Query};
use super::pagination::PageQuery;
use huashu_store::retention::MAX_RETENTION_DAYS;
use huashu_store::secrets::{now_ms, random_id, sha256_hex};
use huashu_store::{ApiKey, Page, Quotas, Tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    name: String,
    #[serde(default)]
    quotas: Option<Quotas>,
    #[serde(default)]
    record_calls: bool,
}

/// A tenant as the operator sees it.
#[derive(Debug, Serialize)]
pub struct TenantView {
    #[serde(flatten)]
    tenant: Tenant,
    live_calls: u32,
    /// Days its calls are kept: its own `retention_days`, or the server's default; 0 for
    /// ever.
    effective_retention_days: u32,
}

#[derive(Debug, Serialize)]
pub struct CreatedTenant {
    #[serde(flatten)]
    tenant: Tenant,
    key_id: String,
    /// Shown once; only its hash is stored.
    api_key: String,
}

#[derive(Debug, Serialize)]
pub struct CreatedKey {
    key_id: String,
    api_key: String,
}

fn view(state: &AppState, tenant: Tenant) -> TenantView {
    TenantView {
        live_calls: state.calls.live_calls(&tenant.id),
        effective_retention_days: state.retention.days(&tenant),
        tenant,
    }
}

fn load(state: &AppState, id: &str) -> ApiResult<Tenant> {
    state
        .store
        .tenant(id)?
        .ok_or_else(|| ApiError::not_found(format!("no tenant `{id}`")))
}

/// A tenant's display name: 1 to 200 characters after trimming.
fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request("`name` must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// Makes a key for `tenant_id` and stores its hash. Returns (id, secret).
async fn issue_key(
    state: &AppState,
    tenant_id: &str,
    label: String,
) -> ApiResult<(String, String)> {
    let id = random_id("k_", 6)?;
    let secret = random_id("hs_", 24)?;
    let key = ApiKey {
        id: id.clone(),
        tenant_id: tenant_id.into(),
        secret_sha256: sha256_hex(&secret),
        label,
        created_at_ms: now_ms(),
        revoked: false,
    };
    let store = state.store.clone();
    off_worker(move || store.put_api_key(&key)).await?;
    Ok((id, secret))
}

pub async fn create(
    _: Operator,
    State(state): State<AppState>,
    Json(body): Json<NewTenant>,
) -> ApiResult<(StatusCode, JsonResponse<CreatedTenant>)> {
    let name = check_name(&body.name)?;
    let quotas = body.quotas.unwrap_or_default();
    check_quotas(&quotas)?;
    let tenant = Tenant {
        id: random_id("t_", 8)?,
        name,
        created_at_ms: now_ms(),
        disabled: false,
        quotas,
        record_calls: body.record_calls,
    };
    let (store, created) = (state.store.clone(), tenant.clone());
    off_worker(move || store.create_tenant(&created)).await?;
    let (key_id, api_key) = issue_key(&state, &tenant.id, "initial".into()).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(CreatedTenant {
            tenant,
            key_id,
            api_key,
        }),
    ))
}

pub async fn list(
    _: Operator,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<TenantView>>> {
    let page = state.store.list_tenants(&page.request()?)?;
    Ok(JsonResponse(Page {
        items: page.items.into_iter().map(|t| view(&state, t)).collect(),
        next: page.next,
    }))
}

pub async fn get(
    _: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<TenantView>> {
    let tenant = load(&state, &id)?;
    Ok(JsonResponse(view(&state, tenant)))
}

/// A partial update: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdate {
    name: Option<String>,
    disabled: Option<bool>,
    quotas: Option<QuotaUpdate>,
    record_calls: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaUpdate {
    max_concurrent_calls: Option<u32>,
    memory_bytes: Option<u64>,
    cpu_per_event_ms: Option<u64>,
    cpu_per_call_ms: Option<u64>,
    wall_per_event_ms: Option<u64>,
    max_module_bytes: Option<u64>,
    kv_bytes: Option<u64>,
    /// Absent: unchanged; `null`: follow the server's default again; a number: days.
    #[serde(default, deserialize_with = "present")]
    retention_days: Option<Option<u32>>,
}

/// A field that may be given as `null`: `Some(None)` then, where a missing field is `None`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Bounds an operator cannot set past: the sandbox's pool slots and sanity.
fn check_quotas(q: &Quotas) -> ApiResult<()> {
    if q.memory_bytes < (1 << 20) || q.memory_bytes > (256 << 20) {
        return Err(ApiError::bad_request(
            "`memory_bytes` must be 1 MiB to 256 MiB",
        ));
    }
    if q.cpu_per_event_ms == 0 || q.cpu_per_event_ms > 10_000 {
        return Err(ApiError::bad_request(
            "`cpu_per_event_ms` must be 1 to 10000",
        ));
    }
    if q.cpu_per_call_ms < q.cpu_per_event_ms {
        return Err(ApiError::bad_request(
            "`cpu_per_call_ms` must be at least `cpu_per_event_ms`",
        ));
    }
    if q.wall_per_event_ms < q.cpu_per_event_ms || q.wall_per_event_ms > 10_000 {
        return Err(ApiError::bad_request(
            "`wall_per_event_ms` must be at least `cpu_per_event_ms` and at most 10000",
        ));
    }
    if q.max_module_bytes > super::MAX_BODY_BYTES as u64 {
        return Err(ApiError::bad_request(format!(
            "`max_module_bytes` can be at most {}",
            super::MAX_BODY_BYTES
        )));
    }
    if q.retention_days
        .is_some_and(|days| days > MAX_RETENTION_DAYS)
    {
        return Err(ApiError::bad_request(format!(
            "`retention_days` must be 1 to {MAX_RETENTION_DAYS}, 0 to keep calls forever, \
             or null for the server's default"
        )));
    }
    Ok(())
}

pub async fn update(
    _: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<TenantUpdate>,
) -> ApiResult<JsonResponse<TenantView>> {
    let mut tenant = load(&state, &id)?;
    if let Some(name) = body.name {
        tenant.name = check_name(&name)?;
    }
    if let Some(disabled) = body.disabled {
        tenant.disabled = disabled;
    }
    if let Some(record_calls) = body.record_calls {
        tenant.record_calls = record_calls;
    }
    if let Some(q) = body.quotas {
        let t = &mut tenant.quotas;
        t.max_concurrent_calls = q.max_concurrent_calls.unwrap_or(t.max_concurrent_calls);
        t.memory_bytes = q.memory_bytes.unwrap_or(t.memory_bytes);
        t.cpu_per_event_ms = q.cpu_per_event_ms.unwrap_or(t.cpu_per_event_ms);
        t.cpu_per_call_ms = q.cpu_per_call_ms.unwrap_or(t.cpu_per_call_ms);
        t.wall_per_event_ms = q.wall_per_event_ms.unwrap_or(t.wall_per_event_ms);
        t.max_module_bytes = q.max_module_bytes.unwrap_or(t.max_module_bytes);
        t.kv_bytes = q.kv_bytes.unwrap_or(t.kv_bytes);
        t.retention_days = q.retention_days.unwrap_or(t.retention_days);
    }
    check_quotas(&tenant.quotas)?;
    let (store, updated) = (state.store.clone(), tenant.clone());
    off_worker(move || store.update_tenant(&updated)).await?;
    Ok(JsonResponse(view(&state, tenant)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    #[serde(default)]
    label: String,
}

pub async fn create_key(
    _: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<NewKey>,
) -> ApiResult<(StatusCode, JsonResponse<CreatedKey>)> {
    load(&state, &id)?;
    let label = body.map(|b| b.label).unwrap_or_default();
    if label.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "`label` must be at most 100 characters",
        ));
    }
    let (key_id, api_key) = issue_key(&state, &id, label).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(CreatedKey { key_id, api_key }),
    ))
}

/// A key without its secret.
#[derive(Debug, Serialize)]
pub struct KeyView {
    key_id: String,
    label: String,
    created_at_ms: u64,
    revoked: bool,
}

pub async fn list_keys(
    _: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<Vec<KeyView>>> {
    load(&state, &id)?;
    let keys = state.store.list_api_keys(&id)?;
    Ok(JsonResponse(
        keys.into_iter()
            .map(|k| KeyView {
                key_id: k.id,
                label: k.label,
                created_at_ms: k.created_at_ms,
                revoked: k.revoked,
            })
            .collect(),
    ))
}

pub async fn revoke_key(
    _: Operator,
    State(state): State<AppState>,
    Path((id, key_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut key = state
        .store
        .api_key(&key_id)?
        .filter(|k| k.tenant_id == id)
        .ok_or_else(|| ApiError::not_found(format!("tenant `{id}` has no key `{key_id}`")))?;
    key.revoked = true;
    let store = state.store.clone();
    off_worker(move || store.put_api_key(&key)).await?;
    Ok(StatusCode::NO_CONTENT)
}
