//! Work that may block a thread runs here, on tokio's blocking pool, never on an async
//! worker: store writes (each waits until it is on disk), scans, large reads, compiling a
//! module. A worker blocked for a flush would stall every call scheduled on it.

use axum::http::StatusCode;

use crate::error::{ApiError, ApiResult};

/// Runs `work` on the blocking pool and passes its result on.
pub async fn off_worker<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> ApiResult<T>
where
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(ApiError::from)
}
