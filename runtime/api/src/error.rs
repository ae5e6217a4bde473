//! API errors: every failure is an HTTP status and a JSON body
//! `{"error": {"code": "…", "message": "…"}}` whose message a person can act on.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use huashu_calls::{CallError, DialError};
use huashu_campaigns::CampaignError;
use huashu_sandbox::ModuleError;
use huashu_store::StoreError;

/// A failed request, answered as `{"error": {"code": …, "message": …}}` with its status.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// A stable machine-readable code (`not_found`, `quota_exceeded`, …), as documented in
    /// the OpenAPI document.
    pub code: &'static str,
    /// What went wrong, in words a tenant or operator can act on.
    pub message: String,
}

impl ApiError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request is malformed or breaks a rule the message names.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: `what` does not exist (or belongs to another tenant).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// 401: no valid credentials for this endpoint.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": { "code": self.code, "message": self.message } }));
        (self.status, body).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::Conflict(_) => {}
            // The operator's problem, reported by /readyz and the store_writable metric.
            StoreError::NoSpace(_) => tracing::warn!(%error, "write refused"),
            _ => tracing::error!(%error, "storage error"),
        }
        match error {
            StoreError::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            full @ StoreError::NoSpace(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_full",
                full.to_string(),
            ),
            other => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                other.to_string(),
            ),
        }
    }
}

impl From<ModuleError> for ApiError {
    fn from(error: ModuleError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_module",
            error.to_string(),
        )
    }
}

impl From<CallError> for ApiError {
    fn from(error: CallError) -> Self {
        let (status, code) = match &error {
            CallError::ModuleNotFound(_)
            | CallError::VersionNotFound { .. }
            | CallError::NotWaiting(_)
            | CallError::WrongChannel(_) => (StatusCode::NOT_FOUND, "not_found"),
            CallError::TenantDisabled => (StatusCode::FORBIDDEN, "tenant_disabled"),
            CallError::QuotaExceeded { .. } => (StatusCode::TOO_MANY_REQUESTS, "quota_exceeded"),
            CallError::BadToken => (StatusCode::UNAUTHORIZED, "bad_token"),
            CallError::ShuttingDown => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
            CallError::Load(_) => (StatusCode::INTERNAL_SERVER_ERROR, "module_load_failed"),
            CallError::VoiceUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "voice_unavailable"),
            CallError::Media(_) => (StatusCode::INTERNAL_SERVER_ERROR, "media_failed"),
            CallError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            CallError::Dial(dial) => match dial {
                DialError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "sip_unavailable"),
                DialError::NoSuchTrunk(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_trunk"),
                DialError::CallerIdNotInPool { .. } | DialError::NoCallerId(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "caller_id_not_in_pool")
                }
                DialError::InvalidNumber(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_number"),
                DialError::TrunkBusy { .. } => (StatusCode::TOO_MANY_REQUESTS, "trunk_busy"),
                DialError::TrunkRateLimited { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "trunk_rate_limited")
                }
            },
        };
        Self::new(status, code, error.to_string())
    }
}

impl From<CampaignError> for ApiError {
    fn from(error: CampaignError) -> Self {
        match error {
            CampaignError::NotFound(_) => Self::not_found(error.to_string()),
            CampaignError::Invalid(field) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_campaign",
                field.to_string(),
            ),
            CampaignError::WrongState(why) => {
                Self::new(StatusCode::CONFLICT, "campaign_state", why)
            }
            // The upload as a whole was unusable or broke off; the message says how many
            // contacts were imported before it did.
            CampaignError::Import(why) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_contacts", why.to_string())
            }
            CampaignError::Store(store) => store.into(),
        }
    }
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
