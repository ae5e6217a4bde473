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
