//! Tenant endpoints for calls: create one (returns where and how to connect), list them,
//! read a call's full record, download its recording.

use crate::blocking::off_worker;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::auth::TenantAuth;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::pagination::PageQuery;
use huashu_calls::{CallError, DialRequest, NewCall};
use huashu_contract::{Channel, Direction};
use huashu_store::{CallFilter, CallStatus, CallSummary, Page};

/// Variables a call may carry, and their sizes: a contact's data, not a database.
const MAX_VARIABLES: usize = 64;
const MAX_VARIABLE_BYTES: usize = 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCall {
    module: String,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    variables: serde_json::Map<String, Value>,
    #[serde(default = "default_channel")]
    channel: Channel,
    #[serde(default)]
    direction: Direction,
    #[serde(default)]
    caller: String,
    #[serde(default)]
    callee: String,
    /// SIP calls: the number to dial (E.164).
    #[serde(default)]
    to: Option<String>,
    /// SIP calls: the trunk to dial through.
    #[serde(default)]
    trunk: Option<String>,
    /// SIP calls: the calling number, from the trunk's caller-ID pool.
    #[serde(default)]
    from: Option<String>,
    /// SIP calls: how long the far end may ring.
    #[serde(default)]
    ring_timeout_secs: Option<u32>,
}

/// How long a placed call rings when the request does not say: about six rings.
const DEFAULT_RING_TIMEOUT_SECS: u32 = 30;
/// The longest ring a request may ask for: carriers give up near two minutes anyway.
const MAX_RING_TIMEOUT_SECS: u32 = 120;

fn default_channel() -> Channel {
    Channel::Text
}

#[derive(Debug, Serialize)]
pub struct CallCreated {
    call_id: String,
    module_version: u32,
    /// Where the transport connects; includes the token. None for SIP calls, which the
    /// server places itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    ws_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// The call is dropped if nobody connects by then.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at_ms: Option<u64>,
}

/// Scalars become strings; anything else is refused.
fn variables(map: serde_json::Map<String, Value>) -> ApiResult<Vec<(String, String)>> {
    if map.len() > MAX_VARIABLES {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_VARIABLES} variables"
        )));
    }
    map.into_iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "variable `{k}` must be a string, number or boolean"
                    )));
                }
            };
            if k.is_empty() || k.len() + value.len() > MAX_VARIABLE_BYTES {
                return Err(ApiError::bad_request(format!(
                    "variable `{k}` is empty or longer than {MAX_VARIABLE_BYTES} bytes"
                )));
            }
            Ok((k, value))
        })
        .collect()
}

fn ws_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if secure { "wss" } else { "ws" })
}

pub async fn create(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<CreateCall>,
) -> ApiResult<(StatusCode, JsonResponse<CallCreated>)> {
    let channel = body.channel;
    if channel == Channel::Sip {
        return place(tenant, state, body).await;
    }
    if body.to.is_some() || body.trunk.is_some() || body.from.is_some() {
        return Err(ApiError::bad_request(
            "`to`, `trunk` and `from` are for `\"channel\": \"sip\"` calls",
        ));
    }
    let request = NewCall {
        module: body.module,
        version: body.version,
        variables: variables(body.variables)?,
        channel: body.channel,
        direction: body.direction,
        caller: body.caller,
        callee: body.callee,
        campaign_id: None,
    };
    let module = request.module.clone();
    let created = match state.calls.create_call(&tenant, request).await {
        Err(CallError::ModuleNotFound(_))
            if state.uploads.compiling(&tenant.id, &module).is_some() =>
        {
            return Err(still_compiling(&state, &tenant.id, &module));
        }
        other => other?,
    };
    // Twilio stream URLs carry no query string: the token goes in the stream's
    // `huashu_key` custom parameter instead.
    let ws_url = match channel {
        Channel::Twilio => format!("{}/v1/calls/twilio", ws_base(&headers)),
        Channel::Text | Channel::Browser | Channel::Sip => format!(
            "{}/v1/calls/{}/ws?token={}",
            ws_base(&headers),
            created.call_id,
            created.token
        ),
    };
    Ok((
        StatusCode::CREATED,
        JsonResponse(CallCreated {
            call_id: created.call_id,
            module_version: created.module_version,
            ws_url: Some(ws_url),
            token: Some(created.token),
            expires_at_ms: Some(created.expires_at_ms),
        }),
    ))
}

/// A call asked of a module whose first version is still compiling: 409, naming the upload.
fn still_compiling(state: &AppState, tenant: &str, module: &str) -> ApiError {
    let upload = state.uploads.compiling(tenant, module).unwrap_or_default();
    ApiError::new(
        StatusCode::CONFLICT,
        "module_compiling",
        format!(
            "module `{module}` has no version yet: upload {upload} is still compiling; \
             call again when GET /v1/modules/{module}/uploads/{upload} says ready"
        ),
    )
}

/// `POST /v1/calls` with `"channel": "sip"`: the server dials the number itself.
async fn place(
    tenant: huashu_store::Tenant,
    state: AppState,
    body: CreateCall,
) -> ApiResult<(StatusCode, JsonResponse<CallCreated>)> {
    let to = body
        .to
        .ok_or_else(|| ApiError::bad_request("a SIP call needs `to`, the number to dial"))?;
    let trunk = body.trunk.ok_or_else(|| {
        ApiError::bad_request("a SIP call needs `trunk`, the trunk to dial through")
    })?;
    let ring = body.ring_timeout_secs.unwrap_or(DEFAULT_RING_TIMEOUT_SECS);
    if ring == 0 || ring > MAX_RING_TIMEOUT_SECS {
        return Err(ApiError::bad_request(format!(
            "`ring_timeout_secs` must be 1 to {MAX_RING_TIMEOUT_SECS}"
        )));
    }
    let request = NewCall {
        module: body.module,
        version: body.version,
        variables: variables(body.variables)?,
        channel: Channel::Sip,
        direction: Direction::Outbound,
        caller: body.from.clone().unwrap_or_default(),
        callee: to.clone(),
        campaign_id: None,
    };
    let dial = DialRequest {
        to,
        trunk,
        from: body.from,
        ring_timeout: std::time::Duration::from_secs(u64::from(ring)),
    };
    let module = request.module.clone();
    let created = match state.calls.place_call(&tenant, request, dial).await {
        Err(CallError::ModuleNotFound(_))
            if state.uploads.compiling(&tenant.id, &module).is_some() =>
        {
            return Err(still_compiling(&state, &tenant.id, &module));
        }
        other => other?,
    };
    Ok((
        StatusCode::CREATED,
        JsonResponse(CallCreated {
            call_id: created.call_id,
            module_version: created.module_version,
            ws_url: None,
            token: None,
            expires_at_ms: None,
        }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    module: Option<String>,
    intent: Option<String>,
    status: Option<CallStatus>,
    since_ms: Option<u64>,
    until_ms: Option<u64>,
    callee: Option<String>,
    campaign: Option<String>,
    tag: Option<String>,
    // Not `#[serde(flatten)]` of `PageQuery`: flattening makes serde read query values as
    // strings only, so `limit=10` would fail to parse as a number.
    after: Option<String>,
    limit: Option<usize>,
}

pub async fn list(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<JsonResponse<Page<CallSummary>>> {
    let filter = CallFilter {
        module: query.module,
        intent: query.intent.map(|i| i.to_ascii_uppercase()),
        status: query.status,
        since_ms: query.since_ms,
        until_ms: query.until_ms,
        // A number as the tenant types it (`138 0013 8000`) finds the E.164 one stored.
        callee: query
            .callee
            .map(|c| huashu_store::normalize_e164(&c).unwrap_or(c)),
        campaign: query.campaign,
        tag: query.tag,
    };
    let store = state.store.clone();
    let page = PageQuery {
        after: query.after,
        limit: query.limit,
    }
    .request()?;
    let tenant_id = tenant.id.clone();
    // A filtered listing may scan; keep it off the async workers.
    let page = off_worker(move || store.list_calls(&tenant_id, &filter, &page)).await?;
    Ok(JsonResponse(page))
}

#[derive(Debug, Serialize)]
pub struct CallView {
    #[serde(flatten)]
    summary: CallSummary,
    /// The full record (timeline, transcript, outcome, error, timings); null while live.
    record: Value,
}

pub async fn get(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<CallView>> {
    let (summary, record) = state
        .store
        .call(&tenant.id, &id)?
        .ok_or_else(|| ApiError::not_found(format!("no call `{id}`")))?;
    let record = serde_json::from_slice(&record).unwrap_or(Value::Null);
    Ok(JsonResponse(CallView { summary, record }))
}

/// The call's recording (WAV), if the call was recorded. Another tenant's call is a 404
/// like a call without a recording: the store's keys are the tenant's own.
pub async fn recording(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let store = state.store.clone();
    let tenant_id = tenant.id.clone();
    let call_id = id.clone();
    // Up to 38 MB read from disk: off the async workers.
    let wav = off_worker(move || store.recording(&tenant_id, &call_id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no recording of call `{id}`")))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], wav))
}
