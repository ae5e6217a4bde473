//! The background retention sweeper: at start, then at a fixed interval, every tenant's
//! calls past its retention are deleted ([`huashu_api::sweep_retention`]: bounded batches
//! on the blocking pool, an audit entry per tenant, a log line per tenant it deleted
//! from). A sweep that fails is logged and the next one tries again.

use std::sync::Arc;
use std::time::Duration;

use huashu_store::audit::RETENTION_ACTOR;
use huashu_store::{Retention, Store};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Sweeps now and then every `every`, until the task is aborted or the runtime stops. A
/// sweep that outlasts the interval delays the next one rather than starting two.
pub fn spawn_retention_sweeper(
    store: Arc<dyn Store>,
    retention: Retention,
    every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match huashu_api::sweep_retention(store.clone(), retention, RETENTION_ACTOR).await {
                Ok(report) if report.calls_deleted > 0 => tracing::info!(
                    calls_deleted = report.calls_deleted,
                    recordings_deleted = report.recordings_deleted,
                    tenants = report.tenants.len(),
                    "retention sweep finished"
                ),
                Ok(_) => tracing::debug!("retention sweep found nothing to delete"),
                Err(error) => tracing::error!(%error, "retention sweep failed"),
            }
        }
    })
}
