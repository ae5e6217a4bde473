//! Retention sweeps: every tenant's calls past its retention deleted, one bounded batch at
//! a time on the blocking pool ([`sweep_retention`]), from the server's background sweeper
//! or when the operator asks (`POST /v1/retention/sweep`).
//!
//! The rules (which calls, how long, the audit entry) are the store's
//! ([`huashu_store::retention`]); this module only drives them. Two sweeps at once are
//! harmless: a call already deleted is skipped, not counted twice.

use std::sync::Arc;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::auth::Operator;
use super::error::{ApiError, ApiResult};
use huashu_store::audit::OPERATOR_ACTOR;
use huashu_store::{PageRequest, Retention, Store, StoreError, TenantSweep};

/// Tenants read per listing while a sweep walks them all.
const TENANTS_PER_PAGE: usize = 100;

/// What one sweep deleted.
#[derive(Debug, Default, Serialize)]
pub struct SweepReport {
    /// The time the sweep ran at (ms since the Unix epoch).
    pub at_ms: u64,
    /// Calls deleted, in all.
    pub calls_deleted: u64,
    /// Recordings deleted with them.
    pub recordings_deleted: u64,
    /// The tenants whose calls were deleted, one audit entry each.
    pub tenants: Vec<TenantSwept>,
    /// Tenants whose sweep failed; the next sweep tries them again.
    pub failed: Vec<TenantFailed>,
}

/// One tenant's part of a sweep.
#[derive(Debug, Serialize)]
pub struct TenantSwept {
    /// The tenant.
    pub tenant_id: String,
    /// The audit entry that records it.
    pub audit_id: String,
    /// Calls that ended before this (ms since the Unix epoch) were deleted.
    pub cutoff_ms: u64,
    /// Calls deleted.
    pub calls_deleted: u64,
    /// Recordings deleted with them.
    pub recordings_deleted: u64,
}

/// A tenant whose sweep failed, and why.
#[derive(Debug, Serialize)]
pub struct TenantFailed {
    /// The tenant.
    pub tenant_id: String,
    /// Why its sweep failed.
    pub error: String,
}

/// Runs `work` on the blocking pool; a task that panicked is reported as a store failure.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend(format!("a retention batch failed: {e}")))?
}

/// Sweeps every tenant as of `retention`'s clock, deleting on behalf of `actor`. Each
/// batch runs on the blocking pool, so a sweep never holds up an async worker; a tenant
/// whose sweep fails is reported and the others go on. Logs each tenant it deleted from.
pub async fn sweep_retention(
    store: Arc<dyn Store>,
    retention: Retention,
    actor: &str,
) -> Result<SweepReport, StoreError> {
    let now_ms = retention.now_ms();
    let mut report = SweepReport {
        at_ms: now_ms,
        ..SweepReport::default()
    };
    let mut after = None;
    loop {
        let lister = store.clone();
        let request = PageRequest {
            after,
            limit: TENANTS_PER_PAGE,
        };
        let tenants = blocking(move || lister.list_tenants(&request)).await?;
        for tenant in &tenants.items {
            let Some(sweep) = TenantSweep::new(tenant, &retention, now_ms, actor)? else {
                continue;
            };
            match sweep_tenant(&store, sweep).await {
                Ok(sweep) => {
                    let audit = sweep.audit();
                    if audit.calls_deleted == 0 {
                        continue;
                    }
                    tracing::info!(
                        tenant = %tenant.id,
                        calls_deleted = audit.calls_deleted,
                        recordings_deleted = audit.recordings_deleted,
                        cutoff_ms = sweep.cutoff_ms(),
                        "retention sweep deleted calls"
                    );
                    report.calls_deleted += audit.calls_deleted;
                    report.recordings_deleted += audit.recordings_deleted;
                    report.tenants.push(TenantSwept {
                        tenant_id: tenant.id.clone(),
                        audit_id: audit.id.clone(),
                        cutoff_ms: sweep.cutoff_ms(),
                        calls_deleted: audit.calls_deleted,
                        recordings_deleted: audit.recordings_deleted,
                    });
                }
                Err(error) => {
                    tracing::error!(tenant = %tenant.id, %error, "retention sweep failed");
                    report.failed.push(TenantFailed {
                        tenant_id: tenant.id.clone(),
                        error: error.to_string(),
                    });
                }
            }
        }
        match tenants.next {
            Some(next) => after = Some(next),
            None => return Ok(report),
        }
    }
}

/// Runs one tenant's sweep to its end, each batch on the blocking pool.
async fn sweep_tenant(
    store: &Arc<dyn Store>,
    mut sweep: TenantSweep,
) -> Result<TenantSweep, StoreError> {
    loop {
        let store = store.clone();
        let (stepped, finished) = blocking(move || {
            let finished = sweep.step(store.as_ref())?;
            Ok((sweep, finished))
        })
        .await?;
        sweep = stepped;
        if finished {
            return Ok(sweep);
        }
    }
}

/// `POST /v1/retention/sweep`: sweeps every tenant now and answers what was deleted.
pub async fn sweep_now(
    _: Operator,
    State(state): State<AppState>,
) -> ApiResult<JsonResponse<SweepReport>> {
    // A task of its own: the sweep runs to its end even if the client goes away.
    let sweep = sweep_retention(state.store.clone(), state.retention, OPERATOR_ACTOR);
    let report = tokio::spawn(sweep).await.map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    })??;
    Ok(JsonResponse(report))
}
