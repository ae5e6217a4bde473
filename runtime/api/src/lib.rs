//! The HTTP API (`/v1`, JSON): operator endpoints for tenants, keys and quotas, and for SIP
//! trunks and the numbers routed to tenants' scripts ([`telephony`]); tenant endpoints for
//! modules, prompts, calls and their recordings, and the key-value space their scripts
//! keep; deleting call data ([`erasure`], [`retention`]) and the audit of every deletion
//! ([`audit`]); health, metrics and the OpenAPI document.
//!
//! The call WebSockets (`huashu-transport`) and the console page are other routers; the
//! server crate mounts all of them on one listener, with [`not_found`] and
//! [`method_not_allowed`] as the fallbacks every path shares.

mod audit;
mod auth;
mod blocking;
mod calls;
mod erasure;
mod error;
mod extract;
mod kv;
mod modules;
mod pagination;
mod prompts;
pub mod retention;
mod service;
mod telephony;
mod tenants;
mod uploads;

pub use error::{ApiError, ApiResult};
pub use extract::{method_not_allowed, not_found};
pub use retention::sweep_retention;
pub use service::OPENAPI;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

use huashu_calls::CallService;
use huashu_store::{Retention, Store};

/// Largest request body accepted at all (a module upload); tenants' own limits are lower
/// and checked per request.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// Tenants, keys, modules, prompts and call records.
    pub store: Arc<dyn Store>,
    /// Creating, listing and inspecting calls, and the sandbox that compiles uploads.
    pub calls: Arc<CallService>,
    /// Hex SHA-256 of the operator token.
    pub operator_sha256: String,
    /// Uploads still compiling after their request answered 202, and how they ended.
    pub uploads: Arc<uploads::Uploads>,
    /// One module compile at a time: cranelift already spreads one compile over every
    /// core.
    pub compile_turn: Arc<tokio::sync::Semaphore>,
    /// How long tenants' calls are kept, for tenants that set no retention of their own.
    pub retention: Retention,
}

impl AppState {
    /// The API's state over `store` and `calls`, with the operator token's hash.
    pub fn new(store: Arc<dyn Store>, calls: Arc<CallService>, operator_sha256: String) -> Self {
        Self {
            store,
            calls,
            operator_sha256,
            uploads: Arc::default(),
            compile_turn: Arc::new(tokio::sync::Semaphore::new(1)),
            retention: Retention::default(),
        }
    }

    /// The same state, with the server's retention setting.
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }
}

/// The API's routes, with their state. No fallback: the server sets one for every router
/// it mounts.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(service::healthz))
        .route("/readyz", get(service::readyz))
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
        .route("/v1/tenants/{id}/audit", get(audit::list_for_tenant))
        .route("/v1/retention/sweep", post(retention::sweep_now))
        .route("/v1/trunks", get(telephony::list_trunks))
        .route(
            "/v1/trunks/{name}",
            put(telephony::put_trunk)
                .get(telephony::get_trunk)
                .delete(telephony::delete_trunk),
        )
        .route("/v1/numbers", get(telephony::list_numbers))
        .route(
            "/v1/numbers/{number}",
            put(telephony::put_number)
                .get(telephony::get_number)
                .delete(telephony::delete_number),
        )
        .route("/v1/modules", get(modules::list))
        .route("/v1/modules/{name}", put(modules::upload).get(modules::get))
        .route("/v1/modules/{name}/active", put(modules::pin))
        .route(
            "/v1/modules/{name}/uploads/{upload_id}",
            get(modules::upload_status),
        )
        .route("/v1/prompts", get(prompts::list))
        .route(
            "/v1/prompts/{name}",
            put(prompts::upload)
                .get(prompts::download)
                .delete(prompts::remove),
        )
        .route("/v1/calls", post(calls::create).get(calls::list))
        .route(
            "/v1/calls/{id}",
            get(calls::get).delete(erasure::delete_call),
        )
        .route("/v1/calls/{id}/recording", get(calls::recording))
        .route("/v1/erasures", post(erasure::erase_number))
        .route("/v1/audit", get(audit::list_own))
        .route("/v1/kv", get(kv::list))
        .route("/v1/kv/{*key}", get(kv::get).delete(kv::delete))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
