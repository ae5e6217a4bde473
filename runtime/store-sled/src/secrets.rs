//! Tenants' secrets.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `secrets` | tenant `\0` name | JSON `{"value", "updated_at_ms"}` |
//!
//! A tenant keeps at most [`MAX_SECRETS_PER_TENANT`]: a put counts the tenant's keys and
//! inserts under one lock, so two puts at once cannot both take the last place (the
//! database belongs to this process alone: sled locks its directory). Values are stored as
//! they were given; the record's `Debug` never shows one.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::keys::{
    backend, from_json, prefix_end, refuse, tenant_name_key, tenant_prefix, to_json,
};
use huashu_store::secrets::now_ms;
use huashu_store::tenant_secrets::{MAX_SECRETS_PER_TENANT, check_secret_name, check_secret_value};
use huashu_store::{SecretError, SecretInfo, StoreError};

pub struct SecretTree {
    pub values: sled::Tree,
    /// Held from counting a tenant's secrets to inserting a new one.
    pub put_turn: Mutex<()>,
}

/// A secret as stored.
#[derive(Serialize, Deserialize)]
struct Stored {
    value: String,
    updated_at_ms: u64,
}

impl fmt::Debug for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stored")
            .field("value", &format_args!("<{} bytes>", self.value.len()))
            .field("updated_at_ms", &self.updated_at_ms)
            .finish()
    }
}

impl SecretTree {
    /// Creates or replaces; whether it was created.
    pub fn put(&self, tenant_id: &str, name: &str, value: &str) -> Result<bool, SecretError> {
        check_secret_name(name)?;
        check_secret_value(value)?;
        let (Some(key), Some(prefix)) =
            (tenant_name_key(tenant_id, name), tenant_prefix(tenant_id))
        else {
            return Err(refuse("tenant id", tenant_id).into());
        };
        let record = to_json(&Stored {
            value: value.to_owned(),
            updated_at_ms: now_ms(),
        })?;
        // The lock only orders puts; what it guards is in sled, so a poisoned one is fine.
        let _turn = self.put_turn.lock().unwrap_or_else(PoisonError::into_inner);
        let exists = self.values.contains_key(&key).map_err(backend)?;
        if !exists && self.count(&prefix)? >= MAX_SECRETS_PER_TENANT {
            return Err(SecretError::TooMany);
        }
        self.values.insert(key, record).map_err(backend)?;
        Ok(!exists)
    }

    /// Whether there was such a secret.
    pub fn delete(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        let Some(key) = tenant_name_key(tenant_id, name) else {
            return Ok(false);
        };
        Ok(self.values.remove(key).map_err(backend)?.is_some())
    }

    /// Ordered by name.
    pub fn list(&self, tenant_id: &str) -> Result<Vec<SecretInfo>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(Vec::new());
        };
        self.values
            .scan_prefix(&prefix)
            .map(|entry| {
                let (key, value) = entry.map_err(backend)?;
                let name = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
                let stored: Stored = from_json(&value, || format!("secret {tenant_id}/{name}"))?;
                Ok(SecretInfo {
                    bytes: stored.value.len(),
                    updated_at_ms: stored.updated_at_ms,
                    name,
                })
            })
            .collect()
    }

    pub fn value(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
        let Some(key) = tenant_name_key(tenant_id, name) else {
            return Ok(None);
        };
        let Some(bytes) = self.values.get(key).map_err(backend)? else {
            return Ok(None);
        };
        let stored: Stored = from_json(&bytes, || format!("secret {tenant_id}/{name}"))?;
        Ok(Some(stored.value))
    }

    /// How many secrets the tenant with this key prefix keeps.
    fn count(&self, prefix: &[u8]) -> Result<usize, StoreError> {
        let end = prefix_end(prefix).unwrap_or_default();
        let mut count = 0;
        for key in self.values.range(prefix.to_vec()..end).keys() {
            key.map_err(backend)?;
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::{SecretError, SecretStore, StoreError};

    /// Set in the child process of the abort test: the directory to write into.
    const CHILD_DIR_VAR: &str = "HUASHU_SLED_SECRETS_ABORT_CHILD_DIR";

    #[test]
    fn an_acknowledged_secret_change_survives_a_process_abort() {
        if let Some(dir) = std::env::var_os(CHILD_DIR_VAR) {
            let store = SledStore::open(std::path::Path::new(&dir)).expect("opens");
            store.put_secret("t_01", "kept", "value").expect("stored");
            store.put_secret("t_01", "gone", "value").expect("stored");
            store.delete_secret("t_01", "gone").expect("deleted");
            // Like `kill -9` right after the 2xx: no drop, no exit handlers.
            std::process::abort();
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let name = "secrets::tests::an_acknowledged_secret_change_survives_a_process_abort";
        let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", name])
            .env(CHILD_DIR_VAR, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the child runs");
        assert!(!status.success(), "the child should have aborted");
        let store = SledStore::open(dir.path()).expect("reopens");
        assert_eq!(
            store.secret_value("t_01", "kept").expect("read").as_deref(),
            Some("value")
        );
        assert_eq!(store.secret_value("t_01", "gone").expect("read"), None);
    }

    #[test]
    fn a_nearly_full_disk_refuses_secret_changes_and_still_lists_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("opens");
        store.put_secret("t_1", "token", "v").expect("stored");
        let store = store.with_disk_reserve(u64::MAX);
        assert!(matches!(
            store.put_secret("t_1", "other", "v"),
            Err(SecretError::Store(StoreError::NoSpace(_)))
        ));
        assert!(matches!(
            store.delete_secret("t_1", "token"),
            Err(StoreError::NoSpace(_))
        ));
        assert_eq!(store.list_secrets("t_1").expect("listed").len(), 1);
    }
}
