//! Tenant endpoints for modules: upload (validated and compiled before it is stored; by
//! default the request answers at once with the upload `compiling` and the compile goes on
//! in the background, see [`crate::uploads`]), list versions, pin the active version.
//!
//! An upload may say which language the module's listens expect (`?language=zh-CN`); when
//! no speech recogniser on this server handles it, the upload still succeeds (text calls
//! and other servers may need it) but its answer carries a warning saying so.

use std::time::Duration;

use crate::blocking::off_worker;
use crate::uploads::{UploadError, UploadState, UploadStatus};
use axum::Json as JsonResponse;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::TenantAuth;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Json, Path, Query};
use huashu_contract::LanguageTag;
use huashu_sandbox::content_digest;
use huashu_store::secrets::{now_ms, random_id};
use huashu_store::{ModuleSummary, ModuleVersion, NAME_RULE, Tenant, valid_name};

fn check_name(name: &str) -> ApiResult<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{name}` is not a valid name: {NAME_RULE}"
        )))
    }
}

/// How long an upload request waits for its compile when it does not say: not at all. It
/// answers 202 with the upload `compiling` at once, so an upload never holds a request (or
/// a proxy's timeout) for the 15 s or more a Python or JavaScript component takes to
/// compile on a small server; a client that would rather block asks `?wait=`.
const DEFAULT_WAIT_SECS: u64 = 0;
/// The longest `?wait=` a request may ask for: several times the 8–18 s a Python or
/// JavaScript component takes to compile on two cores (docs/benchmarks.md), while still
/// bounding how long one upload can hold a connection.
const MAX_WAIT_SECS: u64 = 120;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Seconds to wait for the compile before answering 202 (0, the default: answer 202
    /// at once).
    wait: Option<u64>,
    /// The language the module's listens expect (BCP 47); empty clears it, absent keeps
    /// what an earlier upload set.
    language: Option<String>,
}

/// Why a module's voice calls may not work on this server, for the upload's answer.
fn language_warnings(state: &AppState, language: Option<&str>) -> Vec<String> {
    let Some(language) = language else {
        return Vec::new();
    };
    match state.calls.voice() {
        Some(voice) => match voice.recognizers().for_language(language) {
            Ok(_) => Vec::new(),
            Err(none) => vec![format!(
                "{none}. Until then, voice calls of this module hear every utterance in                  {language} as not understood (`no-recogniser`); text calls are unaffected."
            )],
        },
        None => vec![
            "this server runs without speech engines: voice calls are refused, text calls              work"
                .into(),
        ],
    }
}

/// What an upload answers: the stored version (201), or where to ask later (202).
pub enum Uploaded {
    Stored(StoredVersion),
    Compiling(UploadStatus),
}

/// A stored version and what the tenant should know about it.
#[derive(Debug, serde::Serialize)]
pub struct StoredVersion {
    #[serde(flatten)]
    version: ModuleVersion,
    /// Why its voice calls may not work on this server (a language without a
    /// recogniser); empty when nothing is amiss.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

impl IntoResponse for Uploaded {
    fn into_response(self) -> Response {
        match self {
            Uploaded::Stored(version) => {
                (StatusCode::CREATED, JsonResponse(version)).into_response()
            }
            Uploaded::Compiling(status) => {
                let location =
                    format!("/v1/modules/{}/uploads/{}", status.module, status.upload_id);
                let mut response = (StatusCode::ACCEPTED, JsonResponse(status)).into_response();
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
        }
    }
}

pub async fn upload(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<UploadQuery>,
    Body(body): Body,
) -> ApiResult<Uploaded> {
    check_name(&name)?;
    let language = match query.language.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(tag) => Some(Some(
            LanguageTag::parse(tag)
                .map_err(|why| ApiError::bad_request(format!("`language`: {why}")))?
                .to_string(),
        )),
    };
    let warnings = language_warnings(&state, language.clone().flatten().as_deref());
    let wait = query.wait.unwrap_or(DEFAULT_WAIT_SECS);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::bad_request(format!(
            "`wait` is at most {MAX_WAIT_SECS} seconds"
        )));
    }
    if body.len() as u64 > tenant.quotas.max_module_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "module_too_large",
            format!(
                "the module is {} bytes; this tenant may upload at most {}",
                body.len(),
                tenant.quotas.max_module_bytes
            ),
        ));
    }
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty: send the .wasm component bytes",
        ));
    }
    let upload_id = random_id("up_", 12)?;
    let status = UploadStatus {
        upload_id: upload_id.clone(),
        module: name.clone(),
        state: UploadState::Compiling,
        digest: content_digest(&body),
        size_bytes: body.len() as u64,
        started_at_ms: now_ms(),
        finished_at_ms: None,
        version: None,
        error: None,
        warnings: warnings.clone(),
    };
    if let Err(compiling) = state.uploads.start(&tenant.id, status.clone()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_uploads",
            format!(
                "{} uploads of this tenant are still compiling ({}); wait for one to finish \
                 (GET /v1/modules/{{name}}/uploads/{{id}})",
                compiling.len(),
                compiling.join(", ")
            ),
        ));
    }
    // The compile runs in a task of its own, so it goes on (and is recorded) when the
    // request stops waiting for it.
    let task = {
        let state = state.clone();
        let upload_id = upload_id.clone();
        tokio::spawn(async move {
            let outcome = compile_and_store(&state, &tenant, &name, body, language).await;
            let recorded = match &outcome {
                Ok(version) => Ok(version.clone()),
                Err(error) => Err(UploadError {
                    status: error.status.as_u16(),
                    code: error.code,
                    message: error.message.clone(),
                }),
            };
            state.uploads.finish(&upload_id, recorded, now_ms());
            outcome
        })
    };
    match tokio::time::timeout(Duration::from_secs(wait), task).await {
        Ok(joined) => {
            state.uploads.forget(&upload_id);
            let outcome = joined.map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            outcome.map(|version| Uploaded::Stored(StoredVersion { version, warnings }))
        }
        Err(_) => Ok(Uploaded::Compiling(status)),
    }
}

/// Compiles `body`, checks that it starts within the tenant's limits, and stores it as the
/// module's next version, with the module's language when the upload set one (`Some(None)`
/// clears it).
async fn compile_and_store(
    state: &AppState,
    tenant: &Tenant,
    name: &str,
    body: Bytes,
    language: Option<Option<String>>,
) -> ApiResult<ModuleVersion> {
    // Compiling takes milliseconds to seconds of CPU: keep it off the async workers, and
    // one at a time, so a burst of uploads cannot take every core from live calls.
    let _turn = state.compile_turn.acquire().await.map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is stopping",
        )
    })?;
    let sandbox = state.calls.sandbox().clone();
    let wasm = body.clone();
    let compiled = off_worker(move || sandbox.compile(&wasm)).await?;
    state.calls.check_starts(tenant, &compiled.module).await?;
    let digest = content_digest(&body);
    let store = state.store.clone();
    let (tenant_id, module) = (tenant.id.clone(), name.to_owned());
    let artifact = compiled.artifact;
    let version = off_worker(move || {
        let version =
            store.add_module_version(&tenant_id, &module, &digest, now_ms(), &body, &artifact)?;
        if let Some(language) = language {
            store.set_module_language(&tenant_id, &module, language.as_deref())?;
        }
        Ok::<_, huashu_store::StoreError>(version)
    })
    .await?;
    state
        .calls
        .module_uploaded(&tenant.id, name, version.version, compiled.module);
    tracing::info!(tenant = %tenant.id, module = %name, version = version.version, "module uploaded");
    Ok(version)
}

/// `GET /v1/modules/{name}/uploads/{id}`: how an upload that answered 202 went.
pub async fn upload_status(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<JsonResponse<UploadStatus>> {
    state
        .uploads
        .get(&tenant.id, &name, &id)
        .map(JsonResponse)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no upload `{id}` of module `{name}` (finished uploads are kept for an hour, and none survive a restart)"
            ))
        })
}

pub async fn list(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
) -> ApiResult<JsonResponse<Vec<ModuleSummary>>> {
    Ok(JsonResponse(state.store.list_modules(&tenant.id)?))
}

pub async fn get(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<JsonResponse<ModuleSummary>> {
    state
        .store
        .module(&tenant.id, &name)?
        .map(JsonResponse)
        .ok_or_else(|| ApiError::not_found(format!("no module named `{name}`")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// A version number, or null for "always the latest".
    version: Option<u32>,
}

pub async fn pin(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<Pin>,
) -> ApiResult<JsonResponse<ModuleSummary>> {
    let module = state
        .store
        .module(&tenant.id, &name)?
        .ok_or_else(|| ApiError::not_found(format!("no module named `{name}`")))?;
    if let Some(v) = body.version
        && !module.versions.iter().any(|m| m.version == v)
    {
        return Err(ApiError::not_found(format!(
            "module `{name}` has no version {v}"
        )));
    }
    state
        .store
        .pin_module_version(&tenant.id, &name, body.version)?;
    let module = state
        .store
        .module(&tenant.id, &name)?
        .ok_or_else(|| ApiError::not_found(format!("no module named `{name}`")))?;
    Ok(JsonResponse(module))
}
