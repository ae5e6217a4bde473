//! Storage: everything that must outlive a call or a restart.
//!
//! [`Store`] is the interface the server uses (tenants, keys, quotas, module versions with
//! their precompiled artifacts, prompts, call records and recordings, SIP trunks and routed
//! numbers); [`KeyValueStore`] is the tenant key-value space scripts reach through the `kv`
//! import; [`SecretStore`] holds tenants' write-only secrets, which their scripts' outbound
//! HTTP requests name ([`tenant_secrets`]), and every `Store` keeps them. [`SledStore`]
//! implements them all on one embedded sled database (one directory);
//! [`MemoryKeyValue`] is the in-process key-value store of the offline test runner. A
//! distributed backend implements the same traits. [`telephony`] holds the trunk and
//! number types and the rules they keep.
//!
//! Every write the server acknowledges to a client is durable first: methods that create or
//! change data flush before they return.
//!
//! Calls are deleted one by one, by number, or when they pass their tenant's retention
//! ([`retention`]); every deletion is accounted for in the [`audit`].

pub mod audit;
mod auth;
pub mod campaigns;
#[cfg(feature = "conformance")]
pub mod conformance;
mod memory_kv;
mod model;
pub mod retention;

pub use audit::{AuditAction, AuditEntry};
pub use auth::{AuthError, authenticate, authenticate_key};
pub use memory_kv::MemoryKeyValue;
pub use model::{
    ApiKey, CallDeletion, CallFilter, CallProgress, CallStatus, CallSummary, HttpAllowEntry,
    ModuleSummary, ModuleVersion, Page, PageRequest, ProgressState, PromptMeta, Quotas, Tenant,
};
pub use retention::{Retention, TenantSweep};
pub mod secrets;
pub mod telephony;
pub mod tenant_secrets;
pub use telephony::{
    InvalidField, RoutedNumber, SipTransport, Trunk, TrunkCodec, normalize_e164, parse_host_port,
};
pub use tenant_secrets::{SecretError, SecretInfo, SecretStore};

use thiserror::Error;

/// Longest key a script may use, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value a script may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 << 10;

/// Why a key-value operation failed; mirrors `kv-error` in `wit/world.wit`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KvError {
    /// The key is empty or longer than [`MAX_KEY_BYTES`].
    #[error("keys must be 1 to {MAX_KEY_BYTES} bytes")]
    InvalidKey,
    /// The value is longer than [`MAX_VALUE_BYTES`].
    #[error("values must be at most {MAX_VALUE_BYTES} bytes")]
    ValueTooLarge,
    /// The write would take the tenant's keys plus values past its `kv_bytes` quota.
    #[error("the tenant's key-value quota is used up")]
    QuotaExceeded,
    /// The store failed; the script may try again later. Carries why.
    #[error("the key-value store is unavailable: {0}")]
    Unavailable(String),
}

/// A key-value store partitioned by tenant. Implementations enforce the per-tenant quota;
/// callers have already checked key and value sizes with [`check_key`] and [`check_value`].
pub trait KeyValueStore: Send + Sync {
    /// The value stored under `key` for `tenant`, if any.
    fn get(&self, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Stores `value` under `key`, replacing what was there, within the tenant's quota.
    fn set(&self, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Removes `key`; removing a key that is not there is not an error.
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
    /// The key, as the script set it.
    pub key: String,
    /// Length of the value, in bytes (the key not counted).
    pub size_bytes: usize,
}

/// Whether `name` may be used as a module or prompt name, or as an id inside a storage key: 1 to
/// 64 of `A–Z a–z 0–9 . _ -`, and not only dots (`.` and `..` read as paths to anyone who
/// puts a name in a URL or a file name). Nothing else reaches a key, so a backend may use any
/// other byte as a separator.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        && !name.bytes().all(|c| c == b'.')
}

/// [`valid_name`]'s rule in words, for error messages.
pub const NAME_RULE: &str = "use 1 to 64 letters, digits, `.`, `_` or `-`, not only dots";

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
    /// The store could not be opened (directory unusable, locked by another process, or
    /// written by an incompatible build); carries why.
    #[error("the data directory cannot be used: {0}")]
    Open(String),
    /// A read or write failed, or was refused as invalid; carries why.
    #[error("storage failed: {0}")]
    Backend(String),
    /// Stored data cannot be decoded, or an index points at something missing.
    #[error("stored data is corrupt ({what}): {detail}")]
    Corrupt {
        /// Which data, e.g. "tenant t_…" or "database files".
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Creating something that must be unique found it already there; carries what.
    #[error("{0} already exists")]
    Conflict(String),
    /// The disk the data lives on is (nearly) full: writes are refused until space is
    /// freed, reads go on; carries where and how much is left.
    #[error("the data disk is full: {0}")]
    NoSpace(String),
}

/// Everything the server persists. All methods are synchronous and fast (an embedded
/// database); callers on the async executor use them directly for small items and move
/// large scans to a blocking thread. Every store keeps tenants' secrets too
/// ([`SecretStore`]), so whoever holds the store can reach them.
pub trait Store: SecretStore + Send + Sync {
    // ── operator ──
    /// Hex SHA-256 of the operator token, once one was set.
    fn operator_token_sha256(&self) -> Result<Option<String>, StoreError>;
    /// Sets or replaces the operator token's hex SHA-256.
    fn set_operator_token_sha256(&self, sha256: &str) -> Result<(), StoreError>;

    // ── tenants ──
    /// Fails with `Conflict` if the id exists.
    fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// The tenant with this id, if any (disabled ones included).
    fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError>;
    /// Replaces the stored tenant that has `tenant.id`.
    fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// Ordered by id.
    fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;

    // ── API keys ──
    /// Creates or replaces the key with `key.id`; fails with `Conflict` if another key has
    /// the same secret hash.
    fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError>;
    /// The key whose secret hashes to `sha256` (hex), revoked or not: the caller decides.
    fn api_key_by_secret_sha256(&self, sha256: &str) -> Result<Option<ApiKey>, StoreError>;
    /// The key with this id, revoked or not.
    fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError>;
    /// The tenant's keys, ordered by id, revoked ones included.
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
    /// The module's versions and pin; `None` if it was never uploaded.
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
    /// Sets the language the module's listens expect, as a canonical BCP 47 tag (`None`:
    /// the tenant's). Errors if there is no such module.
    fn set_module_language(
        &self,
        tenant_id: &str,
        name: &str,
        language: Option<&str>,
    ) -> Result<(), StoreError>;
    /// One version's component bytes, as uploaded; `None` if there is no such version.
    fn module_wasm(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// One version's precompiled artifact; `None` if there is no such version.
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
    /// Creates or replaces the prompt named in `meta`, with its WAV file's bytes.
    fn put_prompt(&self, meta: &PromptMeta, wav: &[u8]) -> Result<(), StoreError>;
    /// A prompt's metadata and WAV bytes; `None` if the tenant has none by that name.
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
    /// Deletes a prompt and its WAV bytes; returns whether it existed.
    fn delete_prompt(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError>;

    // ── calls ──
    /// Creates or replaces a call's summary and (JSON) record.
    fn put_call(&self, summary: &CallSummary, record_json: &[u8]) -> Result<(), StoreError>;
    /// A call's summary and JSON record; `None` if the tenant has no such call.
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

    // ── deleting calls, and the audit of deletions ──
    /// Deletes the calls `call_ids` of the tenant `audit.tenant_id`, each with everything
    /// stored for it (summary, record, index entries, recording), and accounts for them
    /// in `audit`: every call deleted adds to its counts, and the entry is stored under its
    /// id together with that call's deletion, atomically, so the audit never misses a
    /// deletion. A live call, or one the tenant does not have, is left alone and does not
    /// touch the entry. Answers what became of each call, in order. Durable before it
    /// returns.
    fn delete_calls(
        &self,
        audit: &mut AuditEntry,
        call_ids: &[String],
    ) -> Result<Vec<CallDeletion>, StoreError>;
    /// The tenant's calls that are not live and ended (or, never ended, were created)
    /// before `cutoff_ms`, oldest first: what a retention sweep deletes. A page examines a
    /// bounded number of calls, so it may hold fewer than `limit` (even none) with a
    /// cursor to go on from; calls deleted in between do not disturb the cursor.
    fn calls_ended_before(
        &self,
        tenant_id: &str,
        cutoff_ms: u64,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError>;
    /// The tenant's calls with their JSON records, in call id order, one page at a time:
    /// for scans that look inside records (an erasure by telephone number). Calls deleted
    /// in between do not disturb the cursor.
    fn call_records(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<(CallSummary, Vec<u8>)>, StoreError>;
    /// Creates or replaces the audit entry with `entry.id` (its tenant and time must be
    /// the ones it was first stored with). Durable before it returns.
    fn put_audit_entry(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The tenant's audit entries, newest first. Never swept.
    fn audit_entries(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError>;

    // ── call recordings ──
    /// Creates or replaces a call's recording (a WAV file). Stored before the call's final
    /// summary, so a summary with `has_recording` always has one to read.
    fn put_recording(&self, tenant_id: &str, call_id: &str, wav: &[u8]) -> Result<(), StoreError>;
    /// A call's recording (WAV bytes); `None` if none was stored.
    fn recording(&self, tenant_id: &str, call_id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    // ── telephony ──
    /// Creates or replaces the trunk named `trunk.name`, password included. The caller has
    /// validated it ([`Trunk::validate`]).
    fn put_trunk(&self, trunk: &Trunk) -> Result<(), StoreError>;
    /// The trunk with this name, password included; `None` if there is none.
    fn trunk(&self, name: &str) -> Result<Option<Trunk>, StoreError>;
    /// Every trunk, ordered by name.
    fn list_trunks(&self) -> Result<Vec<Trunk>, StoreError>;
    /// Deletes a trunk; returns whether it existed.
    fn delete_trunk(&self, name: &str) -> Result<bool, StoreError>;
    /// Creates or replaces the route of `number.number` (E.164). The caller has validated
    /// it ([`RoutedNumber::validate`]).
    fn put_number(&self, number: &RoutedNumber) -> Result<(), StoreError>;
    /// The route of this E.164 number; `None` if it has none.
    fn number(&self, number: &str) -> Result<Option<RoutedNumber>, StoreError>;
    /// Every routed number, ordered by number.
    fn list_numbers(&self) -> Result<Vec<RoutedNumber>, StoreError>;
    /// Deletes a number's route; returns whether it existed.
    fn delete_number(&self, number: &str) -> Result<bool, StoreError>;

    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;

    /// Whether writes would be accepted now (for readiness); the error says why not. A
    /// backend that cannot tell answers `Ok`.
    fn writable(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names_are_short_plain_and_not_only_dots() {
        assert!(valid_name("greeting.v2_final-1"));
        assert!(valid_name(".hidden"));
        assert!(valid_name(&"a".repeat(64)));
        assert!(!valid_name(""));
        assert!(!valid_name(&"a".repeat(65)));
        for bad in ["a/b", "a b", "a\0b", "ä", "..\\x", ".", "..", "..."] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
