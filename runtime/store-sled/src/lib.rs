//! The embedded backend: [`Store`] (with tenants' secrets, [`SecretStore`]) and
//! [`KeyValueStore`] on one sled database (one directory, `--data`).
//!
//! # Layout
//!
//! One sled tree per kind of record, so a scan of one kind never walks another:
//!
//! - [`keys`] — how keys are built (every per-tenant key starts with the tenant id and a
//!   0 byte), list cursors, and the JSON/error conversions every part shares.
//! - [`tenants`] — the operator token, tenants, API keys and their two indexes.
//! - [`modules`] — module versions: metadata, component bytes, precompiled artifacts, and
//!   each module's head (latest version number and pin).
//! - [`prompts`] — recorded prompts: metadata and WAV bytes.
//! - [`calls`] — call summaries and records, the newest-first index and the live index.
//! - [`recordings`] — calls' recorded audio (WAV bytes).
//! - [`call_deletion`] — deleting calls with their recordings, atomically with the audit
//!   entry that counts them; the scans that find calls past a retention cutoff and read
//!   records for an erasure.
//! - [`audit`] — the audit of deletions, newest first per tenant.
//! - [`telephony`] — SIP trunks (with their digest passwords) and routed numbers.
//! - [`kv`] — the tenants' key-value space and its per-tenant byte usage.
//! - [`secrets`] — tenants' write-only secrets for their scripts' outbound HTTP requests.
//! - [`campaigns`] — outbound campaigns: campaigns and their counts, contacts and their due
//!   index, attempts, the per-number dial log, do-not-call lists and the webhook outbox;
//!   its `CampaignStore` impl makes each write (one transaction) durable the way the
//!   `Store` methods below do.
//! - [`damage`] — a damaged directory is refused at open with an error that says what to
//!   do: sled's panics caught, writes lost to truncation detected.
//! - `durability_tests` — acknowledged writes survive a reopen and a process abort.
//!
//! This file does not own any layout: it opens the database, hands each part its trees, and
//! makes every write durable. Each part returns as soon as its (transactional) write is
//! applied; the trait methods below flush the whole database before they report success,
//! so a client that got a 2xx keeps its data through a `kill -9`. Concurrent writers share
//! flushes (`group_commit`). Writes block until durable: call them off the async workers.
//! Each durable write also counts up the store's generation (see [`damage`]).
//!
//! Not here: validation a client should hear about as a 400 (the API checks names, sizes
//! and pins first); the store's own checks only keep its key structure sound.

mod audit;
mod call_deletion;
mod calls;
mod campaigns;
mod damage;
mod disk_space;
mod group_commit;
mod keys;
mod kv;
mod modules;
mod prompts;
mod recordings;
mod secrets;
mod telephony;
mod tenants;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use audit::AuditTree;
use call_deletion::CallDeleter;
use calls::CallTrees;
use campaigns::CampaignTrees;
use huashu_store::{
    ApiKey, AuditEntry, CallDeletion, CallFilter, CallSummary, KeyValueStore, KvEntry, KvError,
    ModuleSummary, ModuleVersion, Page, PageRequest, PromptMeta, RoutedNumber, SecretError,
    SecretInfo, SecretStore, Store, StoreError, Tenant, Trunk,
};
use keys::backend;
use kv::KvTrees;
use modules::ModuleTrees;
use prompts::PromptTrees;
use recordings::RecordingTree;
use secrets::SecretTree;
use telephony::TelephonyTrees;
use tenants::TenantTrees;

/// The on-disk layout this code reads and writes, kept in the `meta` tree so a future
/// layout can refuse (or migrate) an older directory instead of misreading it.
const LAYOUT_VERSION: &[u8] = b"1";
const LAYOUT_KEY: &[u8] = b"layout";

/// Most memory sled's page cache may grow to. Its default is 1 GiB; here the hot data is
/// small (tenants, keys, heads, the newest call summaries), module bytes are read once per
/// process because the sandbox keeps compiled modules, and call records are written far
/// more than read. 256 MiB keeps reads of recent data cached and leaves memory to calls.
const CACHE_BYTES: u64 = 256 << 20;

/// Tenants, keys, modules, prompts, calls, the audit of their deletion, tenant key-value,
/// trunks, numbers and outbound campaigns in one sled database.
pub struct SledStore {
    db: sled::Db,
    /// Concurrent durable writes share flushes.
    commit: group_commit::GroupCommit,
    /// The last generation handed out (see [`damage`]).
    generation: AtomicU64,
    /// The data directory, where the mark file goes; `None` for a temporary database.
    dir: Option<PathBuf>,
    /// Free bytes kept on the data disk: writes are refused below it (see `disk_space`).
    disk_reserve: u64,
    tenants: TenantTrees,
    modules: ModuleTrees,
    prompts: PromptTrees,
    calls: CallTrees,
    recordings: RecordingTree,
    audit: AuditTree,
    kv: KvTrees,
    secrets: SecretTree,
    telephony: TelephonyTrees,
    campaigns: CampaignTrees,
}

impl SledStore {
    /// Opens (creating if needed) the database in `dir`. Fails if another process has it
    /// open: sled takes an exclusive lock on the directory.
    ///
    /// A damaged directory fails with [`StoreError::Corrupt`] naming it and saying what to
    /// do, also where sled itself panics or would silently drop acknowledged writes (see
    /// [`damage`]). A panic is caught, but the panic hook still runs: a program that wants
    /// only the error swaps the hook around this call.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Open(format!("{}: {e}", dir.display())))?;
        let config = sled::Config::new().path(dir).cache_capacity(CACHE_BYTES);
        damage::catching(dir, || {
            let db = config
                .open()
                .map_err(|e| damage::open_error(dir, &config, e))?;
            Self::with_db(db, Some(dir))
        })
        .map_err(|error| match error {
            // A record that cannot be decoded while opening: the directory is damaged.
            StoreError::Corrupt { what, detail } if what != damage::what(dir) => {
                damage::damaged(dir, format!("{what}: {detail}"))
            }
            StoreError::Backend(why) => StoreError::Open(format!("{}: {why}", dir.display())),
            other => other,
        })
    }

    /// Keeps `bytes` free on the data disk: writes are refused (reads go on) while less is
    /// free. The default is 256 MiB.
    pub fn with_disk_reserve(mut self, bytes: u64) -> Self {
        self.disk_reserve = bytes;
        self
    }

    /// A database in a temporary location, deleted when dropped. For tests.
    pub fn temporary() -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|e| StoreError::Open(format!("temporary database: {e}")))?;
        Self::with_db(db, None)
    }

    /// The store on `db`; `dir` is its directory, checked against its mark file first.
    fn with_db(db: sled::Db, dir: Option<&Path>) -> Result<Self, StoreError> {
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        let meta = tree("meta")?;
        let layout = meta.get(LAYOUT_KEY).map_err(backend)?;
        if let Some(found) = &layout
            && found.as_ref() != LAYOUT_VERSION
        {
            let place = dir.map_or_else(String::new, |dir| format!("{}: ", dir.display()));
            return Err(StoreError::Open(format!(
                "{place}the data directory has storage layout {}; this build reads layout {}",
                String::from_utf8_lossy(found),
                String::from_utf8_lossy(LAYOUT_VERSION)
            )));
        }
        let generation = damage::stored_generation(&meta)?;
        if let Some(dir) = dir {
            // Before anything is written, so a refused directory stays as it was found.
            damage::check_generation(dir, layout.is_some(), generation)?;
        }
        if layout.is_none() {
            meta.insert(LAYOUT_KEY, LAYOUT_VERSION).map_err(backend)?;
            db.flush().map_err(backend)?;
        }
        let generation = generation.unwrap_or(0);
        if let Some(dir) = dir {
            damage::write_mark(dir, generation).map_err(|e| {
                StoreError::Open(format!(
                    "{}: cannot write {}: {e}",
                    dir.display(),
                    damage::MARK_FILE
                ))
            })?;
        }
        let tenants_tree = tree("tenants")?;
        Ok(Self {
            tenants: TenantTrees {
                meta,
                tenants: tenants_tree.clone(),
                api_keys: tree("api_keys")?,
                api_keys_by_secret: tree("api_keys_by_secret")?,
                api_keys_by_tenant: tree("api_keys_by_tenant")?,
            },
            modules: ModuleTrees {
                heads: tree("module_heads")?,
                versions: tree("module_versions")?,
                wasm: tree("module_wasm")?,
                artifacts: tree("module_artifacts")?,
            },
            prompts: PromptTrees {
                meta: tree("prompts")?,
                wav: tree("prompt_wav")?,
            },
            calls: CallTrees {
                summaries: tree("calls")?,
                records: tree("call_records")?,
                newest_first: tree("calls_newest_first")?,
                live: tree("calls_live")?,
            },
            recordings: RecordingTree {
                wav: tree("call_recordings")?,
            },
            audit: AuditTree {
                entries: tree("audit")?,
            },
            kv: KvTrees {
                values: tree("kv")?,
                usage: tree("kv_usage")?,
                tenants: tenants_tree,
            },
            secrets: SecretTree {
                values: tree("secrets")?,
                put_turn: std::sync::Mutex::new(()),
            },
            telephony: TelephonyTrees {
                trunks: tree("trunks")?,
                numbers: tree("numbers")?,
            },
            campaigns: CampaignTrees::open(&db)?,
            db,
            commit: group_commit::GroupCommit::default(),
            generation: AtomicU64::new(generation),
            dir: dir.map(Path::to_path_buf),
            disk_reserve: disk_space::DEFAULT_RESERVE_BYTES,
        })
    }

    /// Makes `write` and passes its result on once everything written so far is on disk;
    /// refused first if the data disk is nearly full (see `disk_space`).
    fn durable<T>(&self, write: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.writable()?;
        let value = write()?;
        self.commit_write()?;
        Ok(value)
    }

    /// Counts one more acknowledged write (the generation, see [`damage`]) and returns
    /// once it and everything written before it are on disk.
    fn commit_write(&self) -> Result<(), StoreError> {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        damage::store_generation(&self.tenants.meta, generation)?;
        self.flush()
    }

    /// `bytes` of a module version, or an error if they are missing although the version
    /// is listed: sled keeps large values in files of their own (`blobs/`), and reads a
    /// deleted one as "no value" rather than as an error.
    fn present_if_listed(
        &self,
        bytes: Option<Vec<u8>>,
        tenant_id: &str,
        name: &str,
        version: u32,
        what: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if bytes.is_some() {
            return Ok(bytes);
        }
        let listed = self
            .modules
            .summary(tenant_id, name)?
            .is_some_and(|module| module.versions.iter().any(|v| v.version == version));
        if listed {
            return Err(keys::corrupt(
                format!("module {tenant_id}/{name} version {version}"),
                format!("its {what} is missing from the database"),
            ));
        }
        Ok(None)
    }
}

impl Drop for SledStore {
    /// A clean stop records the generation in the mark file, so the next open can tell a
    /// database that lost acknowledged writes (see [`damage`]). Skipped while unwinding:
    /// after a panic nothing more is asked of sled.
    fn drop(&mut self) {
        let Some(dir) = &self.dir else { return };
        if std::thread::panicking() || self.db.flush().is_err() {
            return;
        }
        if let Ok(Some(generation)) = damage::stored_generation(&self.tenants.meta) {
            // Best effort: an old mark is still a valid (lower) bound.
            let _ = damage::write_mark(dir, generation);
        }
    }
}

impl Store for SledStore {
    fn operator_token_sha256(&self) -> Result<Option<String>, StoreError> {
        self.tenants.operator_token_sha256()
    }

    fn set_operator_token_sha256(&self, sha256: &str) -> Result<(), StoreError> {
        self.durable(|| self.tenants.set_operator_token_sha256(sha256))
    }

    fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.durable(|| self.tenants.create(tenant))
    }

    fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        self.tenants.get(id)
    }

    fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.durable(|| self.tenants.update(tenant))
    }

    fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        self.tenants.list(page)
    }

    fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.durable(|| self.tenants.put_api_key(key))
    }

    fn api_key_by_secret_sha256(&self, sha256: &str) -> Result<Option<ApiKey>, StoreError> {
        self.tenants.api_key_by_secret_sha256(sha256)
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        self.tenants.api_key(id)
    }

    fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>, StoreError> {
        self.tenants.list_api_keys(tenant_id)
    }

    fn add_module_version(
        &self,
        tenant_id: &str,
        name: &str,
        digest: &str,
        created_at_ms: u64,
        wasm: &[u8],
        artifact: &[u8],
    ) -> Result<ModuleVersion, StoreError> {
        self.durable(|| {
            self.modules
                .add_version(tenant_id, name, digest, created_at_ms, wasm, artifact)
        })
    }

    fn module(&self, tenant_id: &str, name: &str) -> Result<Option<ModuleSummary>, StoreError> {
        self.modules.summary(tenant_id, name)
    }

    fn list_modules(&self, tenant_id: &str) -> Result<Vec<ModuleSummary>, StoreError> {
        self.modules.list(tenant_id)
    }

    fn pin_module_version(
        &self,
        tenant_id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(), StoreError> {
        self.durable(|| self.modules.pin(tenant_id, name, version))
    }

    fn set_module_language(
        &self,
        tenant_id: &str,
        name: &str,
        language: Option<&str>,
    ) -> Result<(), StoreError> {
        self.durable(|| self.modules.set_language(tenant_id, name, language))
    }

    fn module_wasm(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let wasm = self.modules.wasm(tenant_id, name, version)?;
        self.present_if_listed(wasm, tenant_id, name, version, "component")
    }

    fn module_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let artifact = self.modules.artifact(tenant_id, name, version)?;
        self.present_if_listed(artifact, tenant_id, name, version, "precompiled artifact")
    }

    fn replace_module_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
        artifact: &[u8],
    ) -> Result<(), StoreError> {
        self.durable(|| {
            self.modules
                .replace_artifact(tenant_id, name, version, artifact)
        })
    }

    fn put_prompt(&self, meta: &PromptMeta, wav: &[u8]) -> Result<(), StoreError> {
        self.durable(|| self.prompts.put(meta, wav))
    }

    fn prompt(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<(PromptMeta, Vec<u8>)>, StoreError> {
        self.prompts.get(tenant_id, name)
    }

    fn list_prompts(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PromptMeta>, StoreError> {
        self.prompts.list(tenant_id, page)
    }

    fn delete_prompt(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        self.durable(|| self.prompts.delete(tenant_id, name))
    }

    fn put_call(&self, summary: &CallSummary, record_json: &[u8]) -> Result<(), StoreError> {
        self.durable(|| self.calls.put(summary, record_json))
    }

    fn call(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Option<(CallSummary, Vec<u8>)>, StoreError> {
        self.calls.get(tenant_id, call_id)
    }

    fn list_calls(
        &self,
        tenant_id: &str,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError> {
        self.calls.list(tenant_id, filter, page)
    }

    fn live_calls(&self) -> Result<Vec<CallSummary>, StoreError> {
        self.calls.live()
    }

    fn delete_calls(
        &self,
        audit: &mut AuditEntry,
        call_ids: &[String],
    ) -> Result<Vec<CallDeletion>, StoreError> {
        let deleter = CallDeleter {
            calls: &self.calls,
            recordings: &self.recordings,
            audit: &self.audit,
        };
        // One flush for the whole batch; each call's deletion is its own transaction.
        self.durable(|| {
            call_ids
                .iter()
                .map(|call_id| deleter.delete(audit, call_id))
                .collect()
        })
    }

    fn calls_ended_before(
        &self,
        tenant_id: &str,
        cutoff_ms: u64,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError> {
        self.calls.ended_before(tenant_id, cutoff_ms, page)
    }

    fn call_records(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<(CallSummary, Vec<u8>)>, StoreError> {
        self.calls.with_records(tenant_id, page)
    }

    fn put_audit_entry(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.durable(|| self.audit.put(entry))
    }

    fn audit_entries(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        self.audit.list(tenant_id, page)
    }

    fn put_recording(&self, tenant_id: &str, call_id: &str, wav: &[u8]) -> Result<(), StoreError> {
        self.durable(|| self.recordings.put(tenant_id, call_id, wav))
    }

    fn recording(&self, tenant_id: &str, call_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.recordings.get(tenant_id, call_id)
    }

    fn put_trunk(&self, trunk: &Trunk) -> Result<(), StoreError> {
        self.durable(|| self.telephony.put_trunk(trunk))
    }

    fn trunk(&self, name: &str) -> Result<Option<Trunk>, StoreError> {
        self.telephony.trunk(name)
    }

    fn list_trunks(&self) -> Result<Vec<Trunk>, StoreError> {
        self.telephony.list_trunks()
    }

    fn delete_trunk(&self, name: &str) -> Result<bool, StoreError> {
        self.durable(|| self.telephony.delete_trunk(name))
    }

    fn put_number(&self, number: &RoutedNumber) -> Result<(), StoreError> {
        self.durable(|| self.telephony.put_number(number))
    }

    fn number(&self, number: &str) -> Result<Option<RoutedNumber>, StoreError> {
        self.telephony.number(number)
    }

    fn list_numbers(&self) -> Result<Vec<RoutedNumber>, StoreError> {
        self.telephony.list_numbers()
    }

    fn delete_number(&self, number: &str) -> Result<bool, StoreError> {
        self.durable(|| self.telephony.delete_number(number))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.commit
            .commit(|| self.db.flush().map(drop))
            .map_err(backend)
    }

    fn writable(&self) -> Result<(), StoreError> {
        match &self.dir {
            Some(dir) => disk_space::room_for_writes(dir, self.disk_reserve),
            None => Ok(()),
        }
    }
}

impl SecretStore for SledStore {
    fn put_secret(&self, tenant_id: &str, name: &str, value: &str) -> Result<bool, SecretError> {
        self.writable()?;
        let created = self.secrets.put(tenant_id, name, value)?;
        self.commit_write()?;
        Ok(created)
    }

    fn delete_secret(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        self.durable(|| self.secrets.delete(tenant_id, name))
    }

    fn list_secrets(&self, tenant_id: &str) -> Result<Vec<SecretInfo>, StoreError> {
        self.secrets.list(tenant_id)
    }

    fn secret_value(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
        self.secrets.value(tenant_id, name)
    }
}

impl KeyValueStore for SledStore {
    fn get(&self, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.kv.get(tenant, key)
    }

    fn set(&self, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.writable()
            .map_err(|e| KvError::Unavailable(e.to_string()))?;
        self.kv.set(tenant, key, value)?;
        self.commit_write()
            .map_err(|e| KvError::Unavailable(e.to_string()))
    }

    fn delete(&self, tenant: &str, key: &str) -> Result<(), KvError> {
        self.writable()
            .map_err(|e| KvError::Unavailable(e.to_string()))?;
        self.kv.delete(tenant, key)?;
        self.commit_write()
            .map_err(|e| KvError::Unavailable(e.to_string()))
    }

    fn list(
        &self,
        tenant: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<KvEntry>, KvError> {
        self.kv.list(tenant, prefix, page)
    }

    fn used_bytes(&self, tenant: &str) -> Result<u64, KvError> {
        self.kv.used_bytes(tenant)
    }
}

#[cfg(test)]
mod corruption_tests;
#[cfg(test)]
mod durability_tests;
