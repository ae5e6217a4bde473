//! Tenant endpoints for secrets: the values (tokens for the tenant's own backends) its
//! scripts' outbound HTTP requests put into headers by name. Write-only: a tenant sets,
//! replaces, lists and deletes them, and no answer ever carries a value, nor does the audit,
//! which records each change under the API key that made it, by the secret's name.
//!
//! The store checks names, values and the per-tenant count again
//! ([`huashu_store::tenant_secrets`]); checking here first answers 422 before anything
//! blocks.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::AppState;
use super::auth::{TenantAuth, TenantKey};
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
use huashu_store::audit::tenant_key_actor;
use huashu_store::secrets::now_ms;
use huashu_store::tenant_secrets::{check_secret_name, check_secret_value};
use huashu_store::{AuditAction, AuditEntry, SecretError, SecretInfo};

/// The body of `PUT /v1/secrets/{name}`. No `Debug`: it holds the value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    value: String,
}

impl From<SecretError> for ApiError {
    fn from(error: SecretError) -> Self {
        match error {
            SecretError::InvalidName(_) | SecretError::InvalidValue(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_secret",
                error.to_string(),
            ),
            SecretError::TooMany => {
                Self::new(StatusCode::CONFLICT, "too_many_secrets", error.to_string())
            }
            SecretError::Store(store) => store.into(),
        }
    }
}

/// Records a change to the secret `name` in the tenant's audit.
async fn audit(
    state: &AppState,
    tenant_id: &str,
    key_id: &str,
    action: AuditAction,
    name: String,
) -> ApiResult<()> {
    let entry = AuditEntry::new(tenant_id, &tenant_key_actor(key_id), action, name, now_ms())?;
    let store = state.store.clone();
    off_worker(move || store.put_audit_entry(&entry)).await
}

/// 201 when created, 204 when replaced.
pub async fn put(
    TenantKey { tenant, key_id }: TenantKey,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<SecretInput>,
) -> ApiResult<StatusCode> {
    check_secret_name(&name)?;
    check_secret_value(&body.value)?;
    let (store, tenant_id, secret) = (state.store.clone(), tenant.id.clone(), name.clone());
    let created = off_worker(move || store.put_secret(&tenant_id, &secret, &body.value)).await?;
    audit(&state, &tenant.id, &key_id, AuditAction::PutSecret, name).await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    })
}

pub async fn list(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
) -> ApiResult<JsonResponse<Vec<SecretInfo>>> {
    Ok(JsonResponse(state.store.list_secrets(&tenant.id)?))
}

pub async fn delete(
    TenantKey { tenant, key_id }: TenantKey,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let (store, tenant_id, secret) = (state.store.clone(), tenant.id.clone(), name.clone());
    if !off_worker(move || store.delete_secret(&tenant_id, &secret)).await? {
        return Err(ApiError::not_found(format!(
            "you have no secret named `{name}`"
        )));
    }
    audit(&state, &tenant.id, &key_id, AuditAction::DeleteSecret, name).await?;
    Ok(StatusCode::NO_CONTENT)
}
