//! The HTTP API (`/v1`, JSON): operator endpoints for tenants, keys and quotas; tenant
//! endpoints for modules, prompts, calls and their recordings, and the key-value space
//! their scripts keep; health, metrics and the OpenAPI document.
//! WebSocket call transports are mounted here too but live in [`crate::transport`]; so is
//! the browser console's page (`/`, `/console/…`), which lives in [`crate::console`].

mod auth;
mod calls;
mod error;
mod extract;
mod kv;
mod modules;
mod pagination;
mod prompts;
mod service;
mod tenants;

pub use error::{ApiError, ApiResult};

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

use crate::calls::CallService;
use crate::store::Store;

/// Largest request body accepted at all (a module upload); tenants' own limits are lower
/// and checked per request.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub calls: Arc<CallService>,
    /// Hex SHA-256 of the operator token.
    pub operator_sha256: String,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(service::healthz))
        .route("/metrics", get(service::metrics))
        .route("/v1/openapi.json", get(service::openapi))
        .route("/v1/tenants", post(tenants::create).get(tenants::list))
        .route("/v1/tenants/{id}", get(tenants::get).patch(tenants::update))
        .route(
            "/v1/tenants/{id}/keys",
            post(tenants::create_key).get(tenants::list_keys),
        )
        .route(
            "/v1/tenants/{id}/keys/{key_id}",
            delete(tenants::revoke_key),
        )
        .route("/v1/modules", get(modules::list))
        .route("/v1/modules/{name}", put(modules::upload).get(modules::get))
        .route("/v1/modules/{name}/active", put(modules::pin))
        .route("/v1/prompts", get(prompts::list))
        .route(
            "/v1/prompts/{name}",
            put(prompts::upload)
                .get(prompts::download)
                .delete(prompts::remove),
        )
        .route("/v1/calls", post(calls::create).get(calls::list))
        .route("/v1/calls/{id}", get(calls::get))
        .route("/v1/calls/{id}/recording", get(calls::recording))
        .route("/v1/calls/{id}/ws", get(crate::transport::text_ws::connect))
        .route("/v1/calls/twilio", get(crate::transport::twilio::connect))
        .route("/v1/kv", get(kv::list))
        .route("/v1/kv/{*key}", get(kv::get).delete(kv::delete))
        // The browser console: `/` and `/console/…`, static files embedded in the binary.
        .merge(crate::console::router())
        .fallback(extract::not_found)
        .method_not_allowed_fallback(extract::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
