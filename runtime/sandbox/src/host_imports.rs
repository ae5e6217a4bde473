//! The host functions a script may import: `huashu:dialogue/log` and `huashu:dialogue/kv`.
//! Nothing else is offered (WASI aside, which is locked down in [`super::call_clock`]).
//!
//! Both contract versions the server runs import the same two interfaces with the same
//! shapes; only the generated types differ. The work is done once, on [`HostState`], and
//! `host_imports!` writes the thin trait implementations for each version's bindings.

use super::call_state::{HostState, TenantKv};
use huashu_contract::ScriptFailure;
use huashu_store::{KeyValueStore, KvError};

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

    /// `kv.get`, counted and checked, as the store answered.
    async fn kv_get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, KvError>> {
        self.kv_op()?;
        if let Err(error) = huashu_store::check_key(&key) {
            return Ok(Err(error));
        }
        Ok(off_worker(&self.kv, move |store, tenant| store.get(tenant, &key)).await)
    }

    /// `kv.set`, counted and checked, as the store answered.
    async fn kv_set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), KvError>> {
        self.kv_op()?;
        if let Err(error) =
            huashu_store::check_key(&key).and_then(|()| huashu_store::check_value(&value))
        {
            return Ok(Err(error));
        }
        Ok(off_worker(&self.kv, move |store, tenant| {
            store.set(tenant, &key, &value)
        })
        .await)
    }

    /// `kv.delete`, counted and checked, as the store answered.
    async fn kv_delete(&mut self, key: String) -> wasmtime::Result<Result<(), KvError>> {
        self.kv_op()?;
        if let Err(error) = huashu_store::check_key(&key) {
            return Ok(Err(error));
        }
        Ok(off_worker(&self.kv, move |store, tenant| store.delete(tenant, &key)).await)
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

/// The `log`, `kv` and (function-less) `types` host traits of one version's bindings, each
/// a conversion around the shared work above.
macro_rules! host_imports {
    ($version:ident) => {
        mod $version {
            use super::HostState;
            use crate::bindings::$version::huashu::dialogue::{kv, log, types};
            use huashu_contract::LogLevel;
            use huashu_store::KvError;

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

            fn to_wit(error: KvError) -> kv::KvError {
                match error {
                    KvError::InvalidKey => kv::KvError::InvalidKey,
                    KvError::ValueTooLarge => kv::KvError::ValueTooLarge,
                    KvError::QuotaExceeded => kv::KvError::QuotaExceeded,
                    KvError::Unavailable(why) => kv::KvError::Unavailable(why),
                }
            }

            impl kv::Host for HostState {
                async fn get(
                    &mut self,
                    key: String,
                ) -> wasmtime::Result<Result<Option<Vec<u8>>, kv::KvError>> {
                    Ok(self.kv_get(key).await?.map_err(to_wit))
                }

                async fn set(
                    &mut self,
                    key: String,
                    value: Vec<u8>,
                ) -> wasmtime::Result<Result<(), kv::KvError>> {
                    Ok(self.kv_set(key, value).await?.map_err(to_wit))
                }

                async fn delete(
                    &mut self,
                    key: String,
                ) -> wasmtime::Result<Result<(), kv::KvError>> {
                    Ok(self.kv_delete(key).await?.map_err(to_wit))
                }
            }

            /// The `types` interface has no functions; its (empty) host trait still has to
            /// exist.
            impl types::Host for HostState {}
        }
    };
}

host_imports!(v0_1);
host_imports!(v0_2);
