//! Health, metrics and the API description.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Operator;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Operator only: the metrics name every tenant.
pub async fn metrics(_: Operator, State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.calls.metrics().render(),
    )
}

/// The OpenAPI 3.1 document, maintained beside the routes (a test checks they match).
pub const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::OPENAPI;

    /// The routes `api/mod.rs` mounts, read from its source: `.route("PATH", …)`. A
    /// catch-all segment (`{*key}`, which may hold slashes) is written `{key}` in OpenAPI.
    fn router_paths() -> BTreeSet<String> {
        let route = regex::Regex::new(r#"\.route\(\s*"([^"]+)""#).expect("the pattern is valid");
        route
            .captures_iter(include_str!("mod.rs"))
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
        assert!(!routes.is_empty(), "no `.route(\"…\"` found in api/mod.rs");
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
