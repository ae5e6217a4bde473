//! The server's whole HTTP surface on one router: the API (`huashu-api`), the call
//! WebSockets (`huashu-transport`) and the browser console ([`console`]), with one JSON
//! fallback for every path none of them mounts; and the connections it is served on.
//!
//! - [`router`] — how the three are put together; each router keeps its own state, so the
//!   API and the transports never import each other.
//! - [`bounded_body`] — request bodies that cannot hold a connection.
//! - [`listener`] — accepting connections: caps in all and per source, header deadlines,
//!   draining at shutdown.
//! - [`retention_sweeper`] — the background task that deletes calls past their tenant's
//!   retention.

pub mod bounded_body;
pub mod console;
pub mod listener;
pub mod retention_sweeper;

pub use listener::{ConnectionLimits, serve};
pub use retention_sweeper::spawn_retention_sweeper;

use std::sync::Arc;

use axum::Router;
use huashu_calls::CallService;
use huashu_campaigns::Campaigns;
use huashu_store::{Retention, Store};

/// Everything `huashu serve` answers on its listener; `retention` is the server's default
/// retention, which the operator's sweep endpoint applies.
pub fn router(
    store: Arc<dyn Store>,
    calls: Arc<CallService>,
    campaigns: Arc<Campaigns>,
    operator_sha256: String,
    retention: Retention,
) -> Router {
    let api = huashu_api::AppState::new(store, calls.clone(), operator_sha256)
        .with_retention(retention)
        .with_campaigns(campaigns);
    Router::new()
        .merge(huashu_api::router(api))
        .merge(huashu_transport::router(calls))
        .merge(console::router())
        .fallback(huashu_api::not_found)
        .method_not_allowed_fallback(huashu_api::method_not_allowed)
        .layer(axum::middleware::from_fn(bounded_body::bounded_body))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use huashu_api::OPENAPI;

    /// The routes the API and the transports mount, read from their routers' sources:
    /// `.route("PATH", …)`. A catch-all segment (`{*key}`, which may hold slashes) is
    /// written `{key}` in OpenAPI. (The console's page is not part of the API.)
    fn router_paths() -> BTreeSet<String> {
        let route = regex::Regex::new(r#"\.route\(\s*"([^"]+)""#).expect("the pattern is valid");
        [
            include_str!("../../api/src/lib.rs"),
            include_str!("../../transport/src/lib.rs"),
        ]
        .into_iter()
        .flat_map(|source| route.captures_iter(source))
        .map(|c| c[1].replace("{*", "{"))
        .collect()
    }

    #[test]
    fn the_openapi_document_describes_exactly_the_routes_the_router_mounts() {
        let document: serde_json::Value =
            serde_json::from_str(OPENAPI).expect("openapi.json is valid JSON");
        assert_eq!(document["openapi"], "3.1.0");
        let documented: BTreeSet<String> = document["paths"]
            .as_object()
            .expect("openapi.json has a `paths` object")
            .keys()
            .cloned()
            .collect();
        let routes = router_paths();
        assert!(!routes.is_empty(), "no `.route(\"…\"` found in the routers");
        let undocumented: Vec<_> = routes.difference(&documented).collect();
        assert!(
            undocumented.is_empty(),
            "routes missing from openapi.json: {undocumented:?}"
        );
        let stale: Vec<_> = documented.difference(&routes).collect();
        assert!(
            stale.is_empty(),
            "openapi.json describes paths the router does not mount: {stale:?}"
        );
    }
}
