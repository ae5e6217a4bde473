//! An in-memory [`KeyValueStore`] with a per-tenant quota, for offline runs and tests.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{KeyValueStore, KvEntry, KvError, Page, PageRequest};

/// Keys and values in a map per tenant, limited to `quota_bytes` (keys plus values) each.
pub struct MemoryKeyValue {
    quota_bytes: usize,
    tenants: Mutex<HashMap<String, TenantSpace>>,
}

#[derive(Default)]
struct TenantSpace {
    entries: HashMap<String, Vec<u8>>,
    bytes: usize,
}

impl MemoryKeyValue {
    /// An empty store allowing each tenant `quota_bytes` of keys plus values.
    pub fn new(quota_bytes: usize) -> Self {
        Self {
            quota_bytes,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn with_tenant<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut TenantSpace) -> R,
    ) -> Result<R, KvError> {
        let mut tenants = self
            .tenants
            .lock()
            .map_err(|_| KvError::Unavailable("a previous operation panicked".into()))?;
        Ok(f(tenants.entry(tenant.to_owned()).or_default()))
    }
}

impl Default for MemoryKeyValue {
    /// One MiB per tenant: plenty for call-back notes and counters.
    fn default() -> Self {
        Self::new(1 << 20)
    }
}

impl KeyValueStore for MemoryKeyValue {
    fn get(&self, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with_tenant(tenant, |space| space.entries.get(key).cloned())
    }

    fn set(&self, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        let quota = self.quota_bytes;
        self.with_tenant(tenant, |space| {
            let old = space.entries.get(key).map_or(0, |v| key.len() + v.len());
            let bytes = space.bytes - old + key.len() + value.len();
            if bytes > quota {
                return Err(KvError::QuotaExceeded);
            }
            space.entries.insert(key.to_owned(), value.to_vec());
            space.bytes = bytes;
            Ok(())
        })?
    }

    fn delete(&self, tenant: &str, key: &str) -> Result<(), KvError> {
        self.with_tenant(tenant, |space| {
            if let Some(value) = space.entries.remove(key) {
                space.bytes -= key.len() + value.len();
            }
        })
    }

    fn list(
        &self,
        tenant: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<KvEntry>, KvError> {
        self.with_tenant(tenant, |space| {
            let mut keys: Vec<&String> = space
                .entries
                .keys()
                .filter(|k| k.starts_with(prefix))
                .filter(|k| {
                    page.after
                        .as_ref()
                        .is_none_or(|after| k.as_str() > after.as_str())
                })
                .collect();
            keys.sort();
            let limit = page.limit.max(1);
            let more = keys.len() > limit;
            let items: Vec<KvEntry> = keys
                .into_iter()
                .take(limit)
                .map(|k| KvEntry {
                    key: k.clone(),
                    size_bytes: space.entries.get(k).map_or(0, Vec::len),
                })
                .collect();
            let next = more.then(|| items.last().map(|e| e.key.clone())).flatten();
            Page { items, next }
        })
    }

    fn used_bytes(&self, tenant: &str) -> Result<u64, KvError> {
        self.with_tenant(tenant, |space| space.bytes as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_do_not_see_each_others_keys() {
        let kv = MemoryKeyValue::default();
        kv.set("acme", "k", b"v").unwrap();
        assert_eq!(kv.get("acme", "k").unwrap(), Some(b"v".to_vec()));
        assert_eq!(kv.get("globex", "k").unwrap(), None);
    }

    #[test]
    fn quota_counts_keys_and_values_and_frees_on_delete() {
        let kv = MemoryKeyValue::new(10);
        kv.set("t", "abc", b"12345").unwrap();
        assert_eq!(kv.set("t", "xyz", b"123"), Err(KvError::QuotaExceeded));
        // Replacing a value only counts the difference.
        kv.set("t", "abc", b"1234567").unwrap();
        kv.delete("t", "abc").unwrap();
        kv.set("t", "xyz", b"1234567").unwrap();
    }
}
