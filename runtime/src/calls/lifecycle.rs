//! The rest of a call's life on the server: its slot against the tenant's quota, expiry of
//! calls that never connect, the record (and recording) stored when it ends, calls cut off
//! by a crash, and draining on shutdown.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::service::{CallError, CallService, PendingCall};
use crate::secrets::now_ms;
use crate::session::CallRecord;
use crate::store::{CallStatus, CallSummary, StoreError, Tenant};

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
    /// there to download. Both writes are synchronous like every store write here; a
    /// 20-minute recording (38 MB) takes the worker a moment, once per recorded call.
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
        let failed = matches!(summary.status, CallStatus::Failed);
        match serde_json::to_vec(record) {
            Ok(json) => {
                if let Err(error) = self.store.put_call(&summary, &json) {
                    tracing::error!(call_id = %summary.call_id, %error, "cannot store the call record");
                }
            }
            Err(error) => {
                tracing::error!(call_id = %summary.call_id, %error, "cannot encode the call record")
            }
        }
        self.metrics.call_ended(&summary.tenant_id, failed);
        self.release(&summary.tenant_id);
    }

    /// Calls created but never connected in time are dropped and recorded as interrupted.
    pub(super) fn expire_pending(&self) {
        let now = Instant::now();
        let expired: Vec<PendingCall> = match self.pending.lock() {
            Ok(mut waiting) => {
                let ids: Vec<String> = waiting
                    .iter()
                    .filter(|(_, p)| p.expires <= now)
                    .map(|(id, _)| id.clone())
                    .collect();
                ids.iter().filter_map(|id| waiting.remove(id)).collect()
            }
            Err(_) => Vec::new(),
        };
        for pending in expired {
            let summary = CallSummary {
                call_id: pending.call_id.clone(),
                tenant_id: pending.tenant.id.clone(),
                module: pending.module.clone(),
                module_version: pending.version,
                status: CallStatus::Interrupted,
                created_at_ms: pending.created_at_ms,
                ended_at_ms: Some(now_ms()),
                intent: None,
                disposition: None,
                has_recording: false,
            };
            if let Err(error) = self.store.put_call(&summary, b"null") {
                tracing::error!(call_id = %pending.call_id, %error, "cannot record an expired call");
            }
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
    pub async fn drain(&self, grace: Duration) {
        self.accepting.store(false, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + grace;
        while self.total_live() > 0 && tokio::time::Instant::now() < deadline {
            self.expire_pending_all_on_shutdown();
            let _ = tokio::time::timeout_at(deadline, self.idle.notified()).await;
        }
        if self.total_live() > 0 {
            let _ = self.shutdown.send(true);
            let stop = tokio::time::Instant::now() + Duration::from_secs(5);
            while self.total_live() > 0 && tokio::time::Instant::now() < stop {
                let _ = tokio::time::timeout_at(stop, self.idle.notified()).await;
            }
        }
    }

    /// Waiting calls will never connect once the server stops accepting.
    fn expire_pending_all_on_shutdown(&self) {
        if let Ok(mut waiting) = self.pending.lock() {
            for pending in waiting.values_mut() {
                pending.expires = Instant::now();
            }
        }
        self.expire_pending();
    }
}
