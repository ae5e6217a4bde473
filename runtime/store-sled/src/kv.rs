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
    use huashu_store::{KeyValueStore, KvError};

    #[test]
    fn corrupt_usage_makes_the_store_unavailable_not_panic() {
        let store = SledStore::temporary().unwrap();
        store.kv.usage.insert("t_1", &b"-"[..]).unwrap();
        assert!(matches!(
            store.set("t_1", "k", b"v"),
            Err(KvError::Unavailable(_))
        ));
    }
}
