//! Storage. For now: the tenant key-value store scripts reach through the `kv` import.
//!
//! [`KeyValueStore`] is the interface; [`MemoryKeyValue`] keeps everything in process
//! memory (the offline test runner). The embedded sled backend of the server implements
//! the same trait.

mod memory_kv;

pub use memory_kv::MemoryKeyValue;

use thiserror::Error;

/// Longest key a script may use, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value a script may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 << 10;

/// Why a key-value operation failed; mirrors `kv-error` in `wit/world.wit`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KvError {
    #[error("keys must be 1 to {MAX_KEY_BYTES} bytes")]
    InvalidKey,
    #[error("values must be at most {MAX_VALUE_BYTES} bytes")]
    ValueTooLarge,
    #[error("the tenant's key-value quota is used up")]
    QuotaExceeded,
    #[error("the key-value store is unavailable: {0}")]
    Unavailable(String),
}

/// A key-value store partitioned by tenant. Implementations enforce the per-tenant quota;
/// callers have already checked key and value sizes with [`check_key`] and [`check_value`].
pub trait KeyValueStore: Send + Sync {
    fn get(&self, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, tenant: &str, key: &str) -> Result<(), KvError>;
}

/// Rejects keys a script must not use.
pub fn check_key(key: &str) -> Result<(), KvError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(KvError::InvalidKey);
    }
    Ok(())
}

/// Rejects values over the size limit.
pub fn check_value(value: &[u8]) -> Result<(), KvError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::ValueTooLarge);
    }
    Ok(())
}
