//! The rest of a call's life on the server: its slot against the tenant's quota, expiry of
//! calls that never connect, the record (and recording) stored when it ends, calls cut off
//! by a crash, and draining on shutdown.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::service::{CallError, CallService, PendingCall};
use huashu_session::CallRecord;
use huashu_store::secrets::now_ms;
use huashu_store::{CallStatus, CallSummary, StoreError, Tenant};

impl CallService {
    pub(super) fn reserve(&self, tenant: &Tenant) -> Result<(), CallError> {
        let mut live = self
            .live
            .lock()
            .map_err(|_| StoreError::Backend("call table poisoned".into()))?;
        let count = live.entry(tenant.id.clone()).or_insert(0);
        if *count >= tenant.quotas.max_concurrent_calls {
            return Err(CallError::QuotaExceeded {
                limit: tenant.quotas.max_concurrent_calls,
            });
        }
        *count += 1;
        self.metrics.call_reserved(&tenant.id);
        Ok(())
    }

    pub(crate) fn release(&self, tenant: &str) {
        if let Ok(mut live) = self.live.lock()
            && let Some(count) = live.get_mut(tenant)
        {
            *count = count.saturating_sub(1);
        }
        self.metrics.call_released(tenant);
        self.idle.notify_waiters();
    }

    /// Stores a finished call's record (and its recording, a WAV file, if it made one)
    /// and frees its slot.
    ///
    /// The recording is stored first: the summary says `has_recording` only once it is
    /// there to download. Both writes block until sled has flushed them (a 20-minute
    /// recording is 38 MB), so this runs on tokio's blocking pool, never on an async
    /// worker: [`CallDriver`](super::CallDriver) hands it there. The slot is freed last,
    /// so [`Self::drain`] sees the call live until its record is stored.
    pub(crate) fn finished(
        &self,
        mut summary: CallSummary,
        record: &CallRecord,
        interrupted: bool,
        recording: Option<Vec<u8>>,
    ) {
        if let Some(wav) = recording {
            match self
                .store
                .put_recording(&summary.tenant_id, &summary.call_id, &wav)
            {
                Ok(()) => summary.has_recording = true,
                Err(error) => tracing::error!(
                    call_id = %summary.call_id, %error, "cannot store the call's recording"
                ),
            }
        }
        summary.status = if interrupted {
            CallStatus::Interrupted
        } else if record.error.is_some() {
            CallStatus::Failed
        } else {
            CallStatus::Completed
        };
        summary.ended_at_ms = Some(now_ms());
        summary.intent = record.outcome.intent.map(|i| i.to_string());
        summary.disposition = record.outcome.disposition.clone();
        summary.opted_out = record.outcome.opted_out;
        summary.tags = record.outcome.tags.clone();
        let failed = matches!(summary.status, CallStatus::Failed);
        match serde_json::to_vec(record) {
            Ok(json) => {
                if let Err(error) = self.store.put_call(&summary, &json) {
                    tracing::error!(call_id = %summary.call_id, %error, "cannot store the call record");
                }
                // Nobody listening is normal (no campaign running).
                let _ = self.ended.send(summary.clone());
            }
            Err(error) => {
                tracing::error!(call_id = %summary.call_id, %error, "cannot encode the call record")
            }
        }
        self.metrics.call_ended(&summary.tenant_id, failed);
        self.release(&summary.tenant_id);
    }

    /// Calls created but never connected in time are dropped and recorded as interrupted.
    pub(super) async fn expire_pending(self: &Arc<Self>) {
        let expired = self.take_expired();
        if expired.is_empty() {
            return;
        }
        let this = self.clone();
        // Each record write waits for sled's flush: off the async workers, where it would
        // hold up other calls' audio frames. Once spawned it runs to the end (slots freed)
        // even if the caller goes away.
        if let Err(error) = tokio::task::spawn_blocking(move || {
            this.record_unstarted(expired, CallStatus::Interrupted)
        })
        .await
        {
            tracing::error!(%error, "recording expired calls failed");
        }
    }

    /// A claimed call that could not start (its module would not load, its media could not
    /// be set up): stored as failed, its slot freed. Waits for the write, like
    /// [`Self::expire_pending`].
    pub(super) async fn abandon(self: &Arc<Self>, pending: PendingCall) {
        let this = self.clone();
        if let Err(error) = tokio::task::spawn_blocking(move || {
            this.record_unstarted(vec![pending], CallStatus::Failed)
        })
        .await
        {
            tracing::error!(%error, "recording a call that could not start failed");
        }
    }

    /// Takes the calls whose connect timeout has passed out of the waiting table.
    pub(super) fn take_expired(&self) -> Vec<PendingCall> {
        let now = Instant::now();
        match self.pending.lock() {
            Ok(mut waiting) => {
                let ids: Vec<String> = waiting
                    .iter()
                    .filter(|(_, p)| p.expires <= now)
                    .map(|(id, _)| id.clone())
                    .collect();
                ids.iter().filter_map(|id| waiting.remove(id)).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// Stores the records of calls that never started, as `status`, and frees their
    /// slots. Blocking: see [`Self::expire_pending`].
    pub(super) fn record_unstarted(&self, calls: Vec<PendingCall>, status: CallStatus) {
        for pending in calls {
            let summary = CallSummary {
                call_id: pending.call_id.clone(),
                tenant_id: pending.tenant.id.clone(),
                module: pending.module.clone(),
                module_version: pending.version,
                status,
                created_at_ms: pending.created_at_ms,
                ended_at_ms: Some(now_ms()),
                intent: None,
                disposition: None,
                has_recording: false,
                progress: pending.progress.clone(),
                opted_out: false,
                callee: Some(pending.call.callee.clone()).filter(|c| !c.is_empty()),
                campaign_id: pending.campaign_id.clone(),
                tags: Vec::new(),
            };
            if let Err(error) = self.store.put_call(&summary, b"null") {
                tracing::error!(call_id = %pending.call_id, %error, "cannot record a call that never started");
            }
            let _ = self.ended.send(summary);
            self.release(&pending.tenant.id);
        }
    }

    /// After a restart: calls the store still has as live were cut off by the crash.
    pub fn mark_interrupted_calls(&self) -> Result<usize, StoreError> {
        let live = self.store.live_calls()?;
        for mut summary in live.iter().cloned() {
            let record = self
                .store
                .call(&summary.tenant_id, &summary.call_id)?
                .map(|(_, r)| r)
                .unwrap_or_else(|| b"null".to_vec());
            summary.status = CallStatus::Interrupted;
            summary.ended_at_ms = Some(now_ms());
            self.store.put_call(&summary, &record)?;
        }
        Ok(live.len())
    }

    /// Graceful shutdown: refuse new calls, let live ones finish for up to `grace`, then
    /// hang up the rest and wait for their records to be stored.
    pub async fn drain(self: &Arc<Self>, grace: Duration) {
        self.accepting.store(false, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            // Created before the count is read, so a slot freed in between still wakes it.
            let idle = self.idle.notified();
            if self.total_live() == 0 || tokio::time::Instant::now() >= deadline {
                break;
            }
            self.expire_pending_all_on_shutdown().await;
            let _ = tokio::time::timeout_at(deadline, idle).await;
        }
        if self.total_live() > 0 {
            let _ = self.shutdown.send(true);
            let stop = tokio::time::Instant::now() + Duration::from_secs(5);
            loop {
                let idle = self.idle.notified();
                if self.total_live() == 0 || tokio::time::Instant::now() >= stop {
                    break;
                }
                let _ = tokio::time::timeout_at(stop, idle).await;
            }
        }
    }

    /// Waiting calls will never connect once the server stops accepting.
    async fn expire_pending_all_on_shutdown(self: &Arc<Self>) {
        if let Ok(mut waiting) = self.pending.lock() {
            for pending in waiting.values_mut() {
                pending.expires = Instant::now();
            }
        }
        self.expire_pending().await;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::service::{NewCall, ServiceConfig};
    use huashu_contract::{Channel, Direction};
    use huashu_metrics::Metrics;
    use huashu_sandbox::{Sandbox, SandboxConfig};
    use huashu_store::{MemoryKeyValue, Quotas, Store};
    use huashu_store_sled::SledStore;

    /// A service on a temporary store, and a tenant with one module, `bot` (its bytes are
    /// no component: calls can be created and claimed, not started).
    pub(crate) fn service_with_a_module(config: ServiceConfig) -> (Arc<CallService>, Tenant) {
        let store = SledStore::temporary().expect("a temporary store");
        let tenant = Tenant {
            id: "t_0000000000000001".into(),
            name: "test".into(),
            created_at_ms: 0,
            disabled: false,
            quotas: Quotas::default(),
            record_calls: false,
            http_allowlist: Vec::new(),
            http_origins: None,
            language: None,
        };
        store
            .add_module_version(&tenant.id, "bot", "digest", 0, b"wasm", b"artifact")
            .expect("the module is stored");
        let sandbox = Sandbox::new(&SandboxConfig::single_call()).expect("a sandbox");
        let service = CallService::new(
            Arc::new(store),
            Arc::new(MemoryKeyValue::default()),
            Arc::new(sandbox),
            Arc::new(Metrics::default()),
            config,
        );
        (Arc::new(service), tenant)
    }

    fn call_to_bot() -> NewCall {
        NewCall {
            module: "bot".into(),
            version: None,
            variables: Vec::new(),
            channel: Channel::Text,
            direction: Direction::Outbound,
            caller: String::new(),
            callee: String::new(),
            campaign_id: None,
        }
    }

    fn status(service: &CallService, tenant: &Tenant, call_id: &str) -> CallStatus {
        let (summary, _) = service
            .store()
            .call(&tenant.id, call_id)
            .expect("the store answers")
            .expect("the call is stored");
        summary.status
    }

    #[tokio::test]
    async fn a_created_call_is_stored_as_live_and_holds_a_slot_when_create_call_returns() {
        let (service, tenant) = service_with_a_module(ServiceConfig::default());
        let created = service
            .create_call(&tenant, call_to_bot())
            .await
            .expect("the call is created");
        assert_eq!(
            status(&service, &tenant, &created.call_id),
            CallStatus::Live
        );
        assert_eq!(service.live_calls(&tenant.id), 1);
    }

    #[tokio::test]
    async fn a_call_not_claimed_in_time_is_stored_as_interrupted_and_frees_its_slot_by_the_claim() {
        let (service, tenant) = service_with_a_module(ServiceConfig {
            connect_timeout: Duration::ZERO,
            ..ServiceConfig::default()
        });
        let created = service
            .create_call(&tenant, call_to_bot())
            .await
            .expect("the call is created");
        let claimed = service
            .claim(&created.call_id, &created.token, &[Channel::Text])
            .await;
        assert!(matches!(claimed, Err(CallError::NotWaiting(_))));
        assert_eq!(
            status(&service, &tenant, &created.call_id),
            CallStatus::Interrupted
        );
        assert_eq!(service.live_calls(&tenant.id), 0);
    }

    #[tokio::test]
    async fn a_call_whose_module_will_not_load_is_stored_as_failed_and_frees_its_slot() {
        let (service, tenant) = service_with_a_module(ServiceConfig::default());
        let created = service
            .create_call(&tenant, call_to_bot())
            .await
            .expect("the call is created");
        let pending = service
            .claim(&created.call_id, &created.token, &[Channel::Text])
            .await
            .expect("the call is claimed");
        let started = service.start(pending).await;
        assert!(
            matches!(started, Err(CallError::Load(_))),
            "{:?}",
            started.err()
        );
        assert_eq!(
            status(&service, &tenant, &created.call_id),
            CallStatus::Failed
        );
        assert_eq!(service.live_calls(&tenant.id), 0);
    }
}
