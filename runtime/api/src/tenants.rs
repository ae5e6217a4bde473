//! Operator endpoints: tenants, their quotas and settings (call retention and the outbound
//! HTTP allowlist among them), and their API keys.

use crate::blocking::off_worker;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, OptionalJson, Path, Query};
use super::http_allowlist::{AllowEntryInput, parse_operator_entries};
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
    #[serde(default)]
    http_allowlist: Vec<AllowEntryInput>,
    #[serde(default)]
    language: Option<String>,
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
    let http_allowlist = parse_operator_entries(body.http_allowlist)?;
    let tenant = Tenant {
        id: random_id("t_", 8)?,
        name,
        created_at_ms: now_ms(),
        disabled: false,
        quotas,
        record_calls: body.record_calls,
        http_allowlist,
        http_origins: None,
        language: check_language(body.language.as_deref())?,
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
    /// Replaces the operator's list whole; the tenant's narrowing is kept.
    http_allowlist: Option<Vec<AllowEntryInput>>,
    /// Absent: unchanged; `null`: the server's default again; a tag: that language.
    #[serde(default, deserialize_with = "present")]
    language: Option<Option<String>>,
}

/// A tenant's default language as given: a BCP 47 tag, stored in canonical case.
fn check_language(language: Option<&str>) -> ApiResult<Option<String>> {
    language
        .map(|tag| {
            huashu_contract::LanguageTag::parse(tag)
                .map(|tag| tag.to_string())
                .map_err(|why| ApiError::bad_request(format!("`language`: {why}")))
        })
        .transpose()
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
    http_requests_per_call: Option<u32>,
    http_requests_per_event: Option<u32>,
    http_concurrent_requests: Option<u32>,
    http_timeout_ms: Option<u64>,
    http_response_bytes: Option<u64>,
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
    check_http_quotas(q)
}

/// Bounds of the outbound HTTP quotas (422 `invalid_quota`): past them a tenant's
/// requests would hold the server's connections or memory longer than any call needs.
fn check_http_quotas(q: &Quotas) -> ApiResult<()> {
    // (field, value, least, most)
    let bounds: [(&str, u64, u64, u64); 5] = [
        // 1000 in one call is a request every few seconds of an hour-long call.
        (
            "http_requests_per_call",
            q.http_requests_per_call.into(),
            0,
            1_000,
        ),
        // 50 from one event is already a fan-out no turn needs.
        (
            "http_requests_per_event",
            q.http_requests_per_event.into(),
            0,
            50,
        ),
        // 1000 open at once is as many as the server's calls could use together.
        (
            "http_concurrent_requests",
            q.http_concurrent_requests.into(),
            0,
            1_000,
        ),
        // Under 100 ms even a nearby backend times out; past 30 s the caller has hung up.
        ("http_timeout_ms", q.http_timeout_ms, 100, 30_000),
        // 1 KiB is the smallest useful answer; 16 MiB the most one request may hold in
        // memory.
        (
            "http_response_bytes",
            q.http_response_bytes,
            1 << 10,
            16 << 20,
        ),
    ];
    for (field, value, least, most) in bounds {
        if !(least..=most).contains(&value) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_quota",
                format!("`quotas.{field}` must be {least} to {most}, not {value}"),
            ));
        }
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
        t.http_requests_per_call = q.http_requests_per_call.unwrap_or(t.http_requests_per_call);
        t.http_requests_per_event = q
            .http_requests_per_event
            .unwrap_or(t.http_requests_per_event);
        t.http_concurrent_requests = q
            .http_concurrent_requests
            .unwrap_or(t.http_concurrent_requests);
        t.http_timeout_ms = q.http_timeout_ms.unwrap_or(t.http_timeout_ms);
        t.http_response_bytes = q.http_response_bytes.unwrap_or(t.http_response_bytes);
    }
    if let Some(entries) = body.http_allowlist {
        tenant.http_allowlist = parse_operator_entries(entries)?;
    }
    if let Some(language) = body.language {
        tenant.language = check_language(language.as_deref())?;
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
