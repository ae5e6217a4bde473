//! The tenants' key-value space, reached by scripts through the `kv` import.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `kv` | tenant `\0` key | the value bytes |
//! | `kv_usage` | tenant id | JSON number: bytes used (keys plus values) |
//!
//! A value and its tenant's usage change in one transaction, which also reads the tenant's
//! quota (`quotas.kv_bytes`; [`Quotas::default`] for a tenant the store does not know, as
//! in tests). Script keys may hold any bytes, a 0 byte included: they come after the
//! tenant prefix, which a tenant id cannot extend.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use std::ops::Bound;

use super::keys::{from_json, tenant_prefix, to_json};
use huashu_store::{KvEntry, KvError, Page, PageRequest, Quotas, StoreError, Tenant};

pub struct KvTrees {
    pub values: sled::Tree,
    pub usage: sled::Tree,
    /// Read only, for the quota.
    pub tenants: sled::Tree,
}

fn unavailable(error: impl ToString) -> KvError {
    KvError::Unavailable(error.to_string())
}

fn store_key(tenant: &str, key: &str) -> Result<Vec<u8>, KvError> {
    let mut full = tenant_prefix(tenant)
        .ok_or_else(|| unavailable(format!("{tenant:?} is not a tenant id")))?;
    full.extend_from_slice(key.as_bytes());
    Ok(full)
}

fn kv_error(error: TransactionError<KvError>) -> KvError {
    match error {
        TransactionError::Abort(error) => error,
        TransactionError::Storage(error) => unavailable(error),
    }
}

/// Aborts a transaction with a stored-data problem, as the script sees it.
fn abort(error: StoreError) -> ConflictableTransactionError<KvError> {
    ConflictableTransactionError::Abort(unavailable(error))
}

fn decode_usage(bytes: Option<sled::IVec>, tenant: &str) -> Result<u64, StoreError> {
    bytes.map_or(Ok(0), |b| {
        from_json(&b, || format!("key-value usage of {tenant}"))
    })
}

impl KvTrees {
    pub fn get(&self, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let key = store_key(tenant, key)?;
        Ok(self
            .values
            .get(key)
            .map_err(unavailable)?
            .map(|v| v.to_vec()))
    }

    /// Stores the value if the tenant's usage stays within its quota. Replacing a value
    /// counts only the difference; a write that shrinks usage is allowed even over quota
    /// (after the operator lowered it), so a script can always make room.
    pub fn set(&self, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        let full_key = store_key(tenant, key)?;
        let new_size = (key.len() + value.len()) as u64;
        (&self.values, &self.usage, &self.tenants)
            .transaction(|(values, usage, tenants)| {
                let quota = match tenants.get(tenant.as_bytes())? {
                    Some(t) => {
                        from_json::<Tenant>(&t, || format!("tenant {tenant}"))
                            .map_err(abort)?
                            .quotas
                            .kv_bytes
                    }
                    None => Quotas::default().kv_bytes,
                };
                let used = decode_usage(usage.get(tenant.as_bytes())?, tenant).map_err(abort)?;
                let old_size = values
                    .get(full_key.as_slice())?
                    .map_or(0, |v| (key.len() + v.len()) as u64);
                let now = used.saturating_sub(old_size).saturating_add(new_size);
                if now > quota && now > used {
                    return Err(ConflictableTransactionError::Abort(KvError::QuotaExceeded));
                }
                values.insert(full_key.as_slice(), value)?;
                usage.insert(tenant.as_bytes(), to_json(&now).map_err(abort)?)?;
                Ok(())
            })
            .map_err(kv_error)
    }

    /// A page of the tenant's keys starting with `prefix`, after the cursor key.
    pub fn list(
        &self,
        tenant: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<KvEntry>, KvError> {
        let scope = store_key(tenant, prefix)?;
        let tenant_len = scope.len() - prefix.len();
        let start = match &page.after {
            // Strictly after the cursor: the cursor key with a 0 byte appended is the
            // smallest key greater than it.
            Some(after) => {
                let mut start = store_key(tenant, after)?;
                start.push(0);
                Bound::Included(start.max(scope.clone()))
            }
            None => Bound::Included(scope.clone()),
        };
        let limit = page.limit.max(1);
        let mut items = Vec::with_capacity(limit.min(64));
        let mut more = false;
        for entry in self.values.range((start, Bound::Unbounded)) {
            let (key, value) = entry.map_err(unavailable)?;
            if !key.starts_with(&scope) {
                break;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(KvEntry {
                key: String::from_utf8_lossy(&key[tenant_len..]).into_owned(),
                size_bytes: value.len(),
            });
        }
        let next = more.then(|| items.last().map(|e| e.key.clone())).flatten();
        Ok(Page { items, next })
    }

    pub fn used_bytes(&self, tenant: &str) -> Result<u64, KvError> {
        let usage = self.usage.get(tenant.as_bytes()).map_err(unavailable)?;
        decode_usage(usage, tenant).map_err(unavailable)
    }

    /// Deletes the key (if present) and frees its bytes.
    pub fn delete(&self, tenant: &str, key: &str) -> Result<(), KvError> {
        let full_key = store_key(tenant, key)?;
        (&self.values, &self.usage)
            .transaction(|(values, usage)| {
                let Some(old) = values.remove(full_key.as_slice())? else {
                    return Ok(());
                };
                let used = decode_usage(usage.get(tenant.as_bytes())?, tenant).map_err(abort)?;
                let now = used.saturating_sub((key.len() + old.len()) as u64);
                if now == 0 {
                    usage.remove(tenant.as_bytes())?;
                } else {
                    usage.insert(tenant.as_bytes(), to_json(&now).map_err(abort)?)?;
                }
                Ok(())
            })
            .map_err(kv_error)
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::{KeyValueStore, KvError, Quotas, Store, Tenant};

    fn tenant_with_quota(store: &SledStore, id: &str, kv_bytes: u64) {
        let tenant = Tenant {
            id: id.into(),
            name: id.into(),
            created_at_ms: 0,
            disabled: false,
            quotas: Quotas {
                kv_bytes,
                ..Quotas::default()
            },
            record_calls: false,
            http_allowlist: Vec::new(),
            http_origins: None,
            language: None,
        };
        store.create_tenant(&tenant).unwrap();
    }

    #[test]
    fn a_tenant_reads_only_its_own_keys_even_when_ids_share_a_prefix() {
        let store = SledStore::temporary().unwrap();
        store.set("t_1", "2\0secret", b"mine").unwrap();
        store.set("t_1", "k", b"one").unwrap();
        assert_eq!(store.get("t_1", "k").unwrap(), Some(b"one".to_vec()));
        assert_eq!(store.get("t_2", "k").unwrap(), None);
        // `t_1` + key "2\0secret" must not be `t_12`'s key "secret".
        assert_eq!(store.get("t_12", "secret").unwrap(), None);
        store.set("t_12", "k", b"twelve").unwrap();
        assert_eq!(store.get("t_1", "k").unwrap(), Some(b"one".to_vec()));
        store.delete("t_12", "k").unwrap();
        assert_eq!(store.get("t_1", "k").unwrap(), Some(b"one".to_vec()));
        assert!(matches!(
            store.get("t_1\0", "k"),
            Err(KvError::Unavailable(_))
        ));
    }

    #[test]
    fn the_quota_counts_keys_and_values_replacements_by_difference_and_deletes_free() {
        let store = SledStore::temporary().unwrap();
        tenant_with_quota(&store, "t_1", 10);
        store.set("t_1", "abc", b"12345").unwrap();
        assert_eq!(store.set("t_1", "xyz", b"123"), Err(KvError::QuotaExceeded));
        store.set("t_1", "abc", b"1234567").unwrap();
        assert_eq!(store.get("t_1", "xyz").unwrap(), None);
        store.delete("t_1", "abc").unwrap();
        store.delete("t_1", "abc").unwrap();
        store.set("t_1", "xyz", b"1234567").unwrap();
        // Another tenant has its own (default) quota.
        store.set("t_2", "big", &[0; 1000]).unwrap();
    }

    #[test]
    fn a_lowered_quota_still_lets_a_script_shrink_its_data() {
        let store = SledStore::temporary().unwrap();
        tenant_with_quota(&store, "t_1", 100);
        store.set("t_1", "k", &[1; 50]).unwrap();
        let mut tenant = store.tenant("t_1").unwrap().unwrap();
        tenant.quotas.kv_bytes = 10;
        store.update_tenant(&tenant).unwrap();
        assert_eq!(store.set("t_1", "k", &[1; 60]), Err(KvError::QuotaExceeded));
        store.set("t_1", "k", &[1; 20]).unwrap();
        assert_eq!(store.get("t_1", "k").unwrap(), Some(vec![1; 20]));
    }

    #[test]
    fn an_unknown_tenant_gets_the_default_quota() {
        let store = SledStore::temporary().unwrap();
        let limit = Quotas::default().kv_bytes as usize;
        store.set("t_9", "a", &vec![0; limit - 1]).unwrap();
        assert_eq!(store.set("t_9", "b", b"1"), Err(KvError::QuotaExceeded));
    }

    #[test]
    fn corrupt_usage_makes_the_store_unavailable_not_panic() {
        let store = SledStore::temporary().unwrap();
        store.kv.usage.insert("t_1", &b"-"[..]).unwrap();
        assert!(matches!(
            store.set("t_1", "k", b"v"),
            Err(KvError::Unavailable(_))
        ));
    }

    #[test]
    fn listings_page_by_key_within_a_prefix_and_one_tenant() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        for key in ["b:2", "a:1", "b:1", "b:3", "c"] {
            store.set("t_1", key, b"xy").unwrap();
        }
        // A tenant whose id extends `t_1` must not show up in its listings.
        store.set("t_12", "b:0", b"z").unwrap();
        let page = |prefix: &str, after: Option<&str>| {
            let request = huashu_store::PageRequest {
                after: after.map(str::to_owned),
                limit: 2,
            };
            store.list("t_1", prefix, &request).unwrap()
        };
        let first = page("b:", None);
        let keys: Vec<&str> = first.items.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["b:1", "b:2"]);
        assert_eq!(first.items[0].size_bytes, 2);
        assert_eq!(first.next.as_deref(), Some("b:2"));
        let second = page("b:", first.next.as_deref());
        let keys: Vec<&str> = second.items.iter().map(|e| e.key.as_str()).collect();
        assert_eq!((keys, second.next), (vec!["b:3"], None));
        assert_eq!(page("", None).items[0].key, "a:1");
        assert_eq!(store.used_bytes("t_1").unwrap(), 5 * 2 + 3 + 3 + 3 + 3 + 1);
        assert_eq!(store.used_bytes("t_9").unwrap(), 0);
    }
}
