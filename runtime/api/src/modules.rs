//! Tenant endpoints for modules: upload (validated and compiled before it is accepted),
//! list versions, pin the active version.

use crate::blocking::off_worker;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::AppState;
use super::auth::TenantAuth;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Json, Path};
use huashu_sandbox::content_digest;
use huashu_store::secrets::now_ms;
use huashu_store::{ModuleSummary, ModuleVersion, NAME_RULE, valid_name};

fn check_name(name: &str) -> ApiResult<()> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{name}` is not a valid name: {NAME_RULE}"
        )))
    }
}

pub async fn upload(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body,
) -> ApiResult<(StatusCode, JsonResponse<ModuleVersion>)> {
    check_name(&name)?;
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
    // Compiling takes milliseconds to seconds of CPU: keep it off the async workers.
    let sandbox = state.calls.sandbox().clone();
    let wasm = body.clone();
    let compiled = off_worker(move || sandbox.compile(&wasm)).await?;
    state.calls.check_starts(&tenant, &compiled.module).await?;
    let digest = content_digest(&body);
    let store = state.store.clone();
    let (tenant_id, module) = (tenant.id.clone(), name.clone());
    let artifact = compiled.artifact;
    let version = off_worker(move || {
        store.add_module_version(&tenant_id, &module, &digest, now_ms(), &body, &artifact)
    })
    .await?;
    state
        .calls
        .module_uploaded(&tenant.id, &name, version.version, compiled.module);
    tracing::info!(tenant = %tenant.id, module = %name, version = version.version, "module uploaded");
    Ok((StatusCode::CREATED, JsonResponse(version)))
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
