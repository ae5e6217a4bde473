//! The host functions a script may import: `huashu:dialogue/log` and `huashu:dialogue/kv`.
//! Nothing else is offered (WASI aside, which is locked down in [`super::call_clock`]).

use super::bindings::huashu::dialogue::{kv, log};
use super::call_state::HostState;
use crate::contract::{LogLevel, ScriptFailure};
use crate::store::{self, KvError};

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

impl kv::Host for HostState {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, kv::KvError>> {
        self.kv_op()?;
        Ok(store::check_key(&key)
            .and_then(|()| self.kv.store.get(&self.kv.tenant, &key))
            .map_err(to_wit))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), kv::KvError>> {
        self.kv_op()?;
        Ok(store::check_key(&key)
            .and_then(|()| store::check_value(&value))
            .and_then(|()| self.kv.store.set(&self.kv.tenant, &key, &value))
            .map_err(to_wit))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), kv::KvError>> {
        self.kv_op()?;
        Ok(store::check_key(&key)
            .and_then(|()| self.kv.store.delete(&self.kv.tenant, &key))
            .map_err(to_wit))
    }
}

/// The `types` interface has no functions; its (empty) host trait still has to exist.
impl super::bindings::huashu::dialogue::types::Host for HostState {}
