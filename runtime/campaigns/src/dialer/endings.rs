//! Waiting for a placed call to end. The call service announces every stored final
//! summary; one listener hands each to the attempt waiting for that call. An attempt also
//! reads the store: once when it starts waiting (the call may have ended already: a busy
//! line answers in milliseconds) and again whenever the listener fell behind the
//! announcements, or every [`RECHECK`] in any case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, oneshot};

use huashu_calls::CallService;
use huashu_store::{CallStatus, CallSummary, Store};

/// How often a waiting attempt reads its call's summary even when nothing was announced:
/// a safety net (an announcement lost to a bug would otherwise leave a contact dialling
/// forever), rare enough to cost nothing.
const RECHECK: Duration = Duration::from_secs(30);

/// The calls attempts are waiting on.
#[derive(Default)]
pub(crate) struct CallEndings {
    waiters: Mutex<HashMap<String, oneshot::Sender<CallSummary>>>,
    /// Told when the listener missed announcements: every waiter reads the store.
    recheck: Notify,
}

impl CallEndings {
    /// Hands announcements to waiters until the service goes away.
    pub(crate) fn listen(self: &Arc<Self>, calls: &CallService) {
        let mut ended = calls.subscribe_ended();
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                match ended.recv().await {
                    Ok(summary) => {
                        let waiter = this.lock().remove(&summary.call_id);
                        if let Some(waiter) = waiter {
                            let _ = waiter.send(summary);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "the dialler fell behind call endings; reading the store"
                        );
                        this.recheck.notify_waiters();
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// The final summary of `call_id` and its JSON record, once the call has ended.
    pub(crate) async fn wait(
        &self,
        store: &Arc<dyn Store>,
        tenant_id: &str,
        call_id: &str,
    ) -> (CallSummary, Vec<u8>) {
        let (tx, mut rx) = oneshot::channel();
        self.lock().insert(call_id.to_owned(), tx);
        loop {
            if let Some(ended) = read_ended(store, tenant_id, call_id).await {
                self.lock().remove(call_id);
                return ended;
            }
            tokio::select! {
                announced = &mut rx => {
                    if announced.is_ok()
                        && let Some(ended) = read_ended(store, tenant_id, call_id).await
                    {
                        return ended;
                    }
                    // Announced but not readable (the store failed): keep reading.
                    let (tx, again) = oneshot::channel();
                    self.lock().insert(call_id.to_owned(), tx);
                    rx = again;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                _ = self.recheck.notified() => {}
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<CallSummary>>> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The call's summary and record if it has ended.
async fn read_ended(
    store: &Arc<dyn Store>,
    tenant_id: &str,
    call_id: &str,
) -> Option<(CallSummary, Vec<u8>)> {
    let store = store.clone();
    let (tenant_id, call_id) = (tenant_id.to_owned(), call_id.to_owned());
    let read = tokio::task::spawn_blocking(move || store.call(&tenant_id, &call_id)).await;
    match read {
        Ok(Ok(Some((summary, record)))) if summary.status != CallStatus::Live => {
            Some((summary, record))
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "reading a campaign call's summary failed");
            None
        }
        _ => None,
    }
}
