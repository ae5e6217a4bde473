//! The host functions a script may import: `huashu:dialogue/log` and `huashu:dialogue/kv`.
//! Nothing else is offered (WASI aside, which is locked down in [`super::call_clock`]).

use super::bindings::huashu::dialogue::{kv, log};
use super::call_state::{HostState, TenantKv};
use huashu_contract::{LogLevel, ScriptFailure};
use huashu_store::{KeyValueStore, KvError};

impl log::Host for HostState {
    fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.push_log(level, message)
    }
}

impl HostState {
    /// Counts one key-value operation against the call's budget.
    fn kv_op(&mut self) -> wasmtime::Result<()> {
        self.kv_ops += 1;
        if self.kv_ops > self.kv_limit {
            return Err(self.fail(ScriptFailure::KvFlood {
                limit: self.kv_limit,
            }));
        }
        Ok(())
    }
}

fn to_wit(error: KvError) -> kv::KvError {
    match error {
        KvError::InvalidKey => kv::KvError::InvalidKey,
        KvError::ValueTooLarge => kv::KvError::ValueTooLarge,
        KvError::QuotaExceeded => kv::KvError::QuotaExceeded,
        KvError::Unavailable(why) => kv::KvError::Unavailable(why),
    }
}

/// Runs one key-value operation off the async workers: a store may block (a write waits
/// for its flush), and blocking a tokio worker would stall every call scheduled on it.
async fn off_worker<T: Send + 'static>(
    kv: &TenantKv,
    op: impl FnOnce(&dyn KeyValueStore, &str) -> Result<T, KvError> + Send + 'static,
) -> Result<T, KvError> {
    let store = kv.store.clone();
    let tenant = kv.tenant.clone();
    tokio::task::spawn_blocking(move || op(store.as_ref(), &tenant))
        .await
        .unwrap_or_else(|e| {
            Err(KvError::Unavailable(format!(
                "the store's worker failed: {e}"
            )))
        })
}

impl kv::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, kv::KvError>> {
        self.kv_op()?;
        if let Err(error) = huashu_store::check_key(&key) {
            return Ok(Err(to_wit(error)));
        }
        Ok(
            off_worker(&self.kv, move |store, tenant| store.get(tenant, &key))
                .await
                .map_err(to_wit),
        )
    }

    async fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), kv::KvError>> {
        self.kv_op()?;
        if let Err(error) =
            huashu_store::check_key(&key).and_then(|()| huashu_store::check_value(&value))
        {
            return Ok(Err(to_wit(error)));
        }
        Ok(off_worker(&self.kv, move |store, tenant| {
            store.set(tenant, &key, &value)
        })
        .await
        .map_err(to_wit))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), kv::KvError>> {
        self.kv_op()?;
        if let Err(error) = huashu_store::check_key(&key) {
            return Ok(Err(to_wit(error)));
        }
        Ok(
            off_worker(&self.kv, move |store, tenant| store.delete(tenant, &key))
                .await
                .map_err(to_wit),
        )
    }
}

/// The `types` interface has no functions; its (empty) host trait still has to exist.
impl super::bindings::huashu::dialogue::types::Host for HostState {}
