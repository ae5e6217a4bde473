//! The HTTP API (`/v1`, JSON): operator endpoints for tenants, keys and quotas, and for SIP
//! trunks and the numbers routed to tenants' scripts ([`telephony`]); tenant endpoints for
//! modules, prompts, calls and their recordings, the key-value space their scripts
//! keep, and what their scripts' outbound HTTP requests may reach ([`http_allowlist`]) and
//! send (write-only [`secrets`]); outbound campaigns ([`campaigns`], their contacts and results) and the
//! do-not-call lists ([`dnc`]); deleting call data ([`erasure`], [`retention`]) and the
//! audit of every deletion ([`audit`]); health, metrics and the OpenAPI document.
//!
//! Contact lists, do-not-call uploads and results exports can be far larger than any other
//! body, so they are never held whole: [`streamed_body`] and [`streamed_response`] carry
//! them chunk by chunk between the connection and the blocking code that reads or writes
//! them.
//!
//! The call WebSockets (`huashu-transport`) and the console page are other routers; the
//! server crate mounts all of them on one listener, with [`not_found`] and
//! [`method_not_allowed`] as the fallbacks every path shares.

mod audit;
mod auth;
mod blocking;
mod calls;
mod campaign_contacts;
mod campaign_results;
mod campaigns;
mod dnc;
mod erasure;
mod error;
mod extract;
mod http_allowlist;
mod kv;
mod modules;
mod pagination;
mod prompts;
pub mod retention;
mod secrets;
mod service;
mod streamed_body;
mod streamed_response;
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
use axum::handler::Handler;
use axum::routing::{MethodRouter, delete, get, post, put};

use huashu_calls::CallService;
use huashu_campaigns::Campaigns;
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
    /// Outbound campaigns and do-not-call lists; `None` on a server that runs none, whose
    /// campaign endpoints answer 503 `campaigns_unavailable`.
    pub campaigns: Option<Arc<Campaigns>>,
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
            campaigns: None,
        }
    }

    /// The same state, with the server's retention setting.
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The same state, with the server's campaigns.
    pub fn with_campaigns(mut self, campaigns: Arc<Campaigns>) -> Self {
        self.campaigns = Some(campaigns);
        self
    }
}

/// A POST route whose body is streamed, not collected ([`streamed_body`]). The router's
/// `DefaultBodyLimit` would not limit it anyway (it bounds the extractors that collect a
/// body, not a raw one), and it is lifted here so that no later change to the handler's
/// extractors quietly caps a 1 GiB contact list at 64 MiB. What bounds these bodies is
/// their reader's byte cap and the idle limit between chunks.
fn streamed<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    post(handler.layer(DefaultBodyLimit::disable()))
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
        .route(
            "/v1/http/allowlist",
            get(http_allowlist::get).put(http_allowlist::put),
        )
        .route("/v1/secrets", get(secrets::list))
        .route(
            "/v1/secrets/{name}",
            put(secrets::put).delete(secrets::delete),
        )
        .route(
            "/v1/campaigns",
            post(campaigns::create).get(campaigns::list),
        )
        .route(
            "/v1/campaigns/{id}",
            get(campaigns::get).patch(campaigns::update),
        )
        .route("/v1/campaigns/{id}/start", post(campaigns::start))
        .route("/v1/campaigns/{id}/pause", post(campaigns::pause))
        .route("/v1/campaigns/{id}/resume", post(campaigns::resume))
        .route("/v1/campaigns/{id}/cancel", post(campaigns::cancel))
        .route(
            "/v1/campaigns/{id}/contacts",
            streamed(campaign_contacts::import),
        )
        .route("/v1/campaigns/{id}/results", get(campaign_results::results))
        .route("/v1/campaigns/{id}/webhooks", get(campaigns::webhooks))
        .route("/v1/dnc", streamed(dnc::upload_own).get(dnc::list_own))
        .route(
            "/v1/dnc/{number}",
            put(dnc::put_own).get(dnc::get_own).delete(dnc::delete_own),
        )
        .route(
            "/v1/platform/dnc",
            streamed(dnc::upload_platform).get(dnc::list_platform),
        )
        .route(
            "/v1/platform/dnc/{number}",
            put(dnc::put_platform)
                .get(dnc::get_platform)
                .delete(dnc::delete_platform),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
