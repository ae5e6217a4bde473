//! Health, metrics and the API description.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Operator;

/// Liveness: the process answers. Says nothing about the store (see [`readyz`]).
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: 200 while the server can take new work, 503 with the reason while it cannot
/// (the store refuses writes because its disk is full). A load balancer sends new calls
/// elsewhere meanwhile; live calls and reads go on.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let writable = state.store.writable();
    state.calls.metrics().store_writable(writable.is_ok());
    match writable {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "reason": why.to_string() })),
        ),
    }
}

/// Operator only: the metrics name every tenant.
pub async fn metrics(_: Operator, State(state): State<AppState>) -> impl IntoResponse {
    state
        .calls
        .metrics()
        .store_writable(state.store.writable().is_ok());
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
