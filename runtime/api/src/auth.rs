//! Who is calling: the operator (bearer operator token) or a tenant (bearer API key).
//! Secrets are compared by their SHA-256, the only form the store keeps.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use huashu_store::secrets::sha256_hex;
use huashu_store::{AuthError, Tenant, authenticate_key};

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer <key>` header"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <key>`"))
}

/// The platform operator.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if sha256_hex(token) == state.operator_sha256 {
            Ok(Operator)
        } else {
            Err(ApiError::unauthorized(
                "this endpoint needs the operator token",
            ))
        }
    }
}

/// A tenant, identified by one of its API keys.
pub struct TenantAuth {
    pub tenant: Tenant,
}

impl FromRequestParts<AppState> for TenantAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let TenantKey { tenant, .. } = TenantKey::from_request_parts(parts, state).await?;
        Ok(TenantAuth { tenant })
    }
}

/// A tenant and the id of the API key it presented: for actions the audit records under
/// the key that asked for them.
pub struct TenantKey {
    pub tenant: Tenant,
    pub key_id: String,
}

impl FromRequestParts<AppState> for TenantKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = bearer(parts)?;
        match authenticate_key(state.store.as_ref(), secret) {
            Ok((key, tenant)) => Ok(TenantKey {
                tenant,
                key_id: key.id,
            }),
            Err(AuthError::Store(error)) => Err(error.into()),
            Err(unknown) => Err(ApiError::unauthorized(unknown.to_string())),
        }
    }
}
