//! Storage: everything that must outlive a call or a restart.
//!
//! [`Store`] is the interface the server uses (tenants, keys, quotas, module versions with
//! their precompiled artifacts, prompts, call records and recordings); [`KeyValueStore`]
//! is the tenant key-value space scripts reach through the `kv` import. [`SledStore`]
//! implements both on one embedded sled database (one directory); [`MemoryKeyValue`] is
//! the in-process key-value store of the offline test runner. A distributed backend
//! implements the same traits.
//!
//! Every write the server acknowledges to a client is durable first: methods that create or
//! change data flush before they return.

mod auth;
mod memory_kv;
mod model;

pub use auth::{AuthError, authenticate};
pub use memory_kv::MemoryKeyValue;
pub use model::{
    ApiKey, CallFilter, CallStatus, CallSummary, ModuleSummary, ModuleVersion, Page, PageRequest,
    PromptMeta, Quotas, Tenant,
};
pub mod secrets;

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
    /// The tenant's keys that start with `prefix`, in byte order, one page at a time (the
    /// cursor is the last key of the previous page): what the tenant inspects over the API.
    fn list(
        &self,
        tenant: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<KvEntry>, KvError>;
    /// Bytes the tenant uses, keys plus values: what its quota counts.
    fn used_bytes(&self, tenant: &str) -> Result<u64, KvError>;
}

/// One key in a listing, with the size of its value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KvEntry {
    pub key: String,
    pub size_bytes: usize,
}

/// Whether `name` may be used as a module or prompt name, or as an id inside a storage key: 1 to
/// 64 of `A–Z a–z 0–9 . _ -`. Nothing else reaches a key, so a backend may use any other byte as
/// a separator.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
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

/// The store failed. Not the client's fault: the API answers 500/503 with this message.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the data directory cannot be used: {0}")]
    Open(String),
    #[error("storage failed: {0}")]
    Backend(String),
    #[error("stored data is corrupt ({what}): {detail}")]
    Corrupt { what: String, detail: String },
    #[error("{0} already exists")]
    Conflict(String),
}

/// Everything the server persists. All methods are synchronous and fast (an embedded
/// database); callers on the async executor use them directly for small items and move
/// large scans to a blocking thread.
pub trait Store: Send + Sync {
    // ── operator ──
    /// Hex SHA-256 of the operator token, once one was set.
    fn operator_token_sha256(&self) -> Result<Option<String>, StoreError>;
    fn set_operator_token_sha256(&self, sha256: &str) -> Result<(), StoreError>;

    // ── tenants ──
    /// Fails with `Conflict` if the id exists.
    fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError>;
    fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Ordered by id.
    fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;

    // ── API keys ──
    fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError>;
    fn api_key_by_secret_sha256(&self, sha256: &str) -> Result<Option<ApiKey>, StoreError>;
    fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError>;
    fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>, StoreError>;

    // ── modules ──
    /// Stores a new version (number = latest + 1) with its component bytes and
    /// precompiled artifact, atomically.
    fn add_module_version(
        &self,
        tenant_id: &str,
        name: &str,
        digest: &str,
        created_at_ms: u64,
        wasm: &[u8],
        artifact: &[u8],
    ) -> Result<ModuleVersion, StoreError>;
    fn module(&self, tenant_id: &str, name: &str) -> Result<Option<ModuleSummary>, StoreError>;
    /// Ordered by name.
    fn list_modules(&self, tenant_id: &str) -> Result<Vec<ModuleSummary>, StoreError>;
    /// `None` unpins (the latest version is active).
    fn pin_module_version(
        &self,
        tenant_id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(), StoreError>;
    fn module_wasm(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    fn module_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Replaces a version's artifact (after an upgrade made the old one incompatible).
    fn replace_module_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
        artifact: &[u8],
    ) -> Result<(), StoreError>;

    // ── prompts ──
    fn put_prompt(&self, meta: &PromptMeta, wav: &[u8]) -> Result<(), StoreError>;
    fn prompt(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<(PromptMeta, Vec<u8>)>, StoreError>;
    /// Ordered by name.
    fn list_prompts(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PromptMeta>, StoreError>;
    fn delete_prompt(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError>;

    // ── calls ──
    /// Creates or replaces a call's summary and (JSON) record.
    fn put_call(&self, summary: &CallSummary, record_json: &[u8]) -> Result<(), StoreError>;
    fn call(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Option<(CallSummary, Vec<u8>)>, StoreError>;
    /// Newest first.
    fn list_calls(
        &self,
        tenant_id: &str,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError>;
    /// Every call still marked live, across tenants (after a crash: to mark interrupted).
    fn live_calls(&self) -> Result<Vec<CallSummary>, StoreError>;

    // ── call recordings ──
    /// Creates or replaces a call's recording (a WAV file). Stored before the call's final
    /// summary, so a summary with `has_recording` always has one to read.
    fn put_recording(&self, tenant_id: &str, call_id: &str, wav: &[u8]) -> Result<(), StoreError>;
    fn recording(&self, tenant_id: &str, call_id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;
}
