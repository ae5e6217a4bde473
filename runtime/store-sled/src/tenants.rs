//! The operator token, tenants and API keys.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `operator_token_sha256` (and `layout`) | JSON string |
//! | `tenants` | tenant id | JSON [`Tenant`] |
//! | `api_keys` | key id | JSON [`ApiKey`] |
//! | `api_keys_by_secret` | hex SHA-256 of the secret | key id |
//! | `api_keys_by_tenant` | tenant id `\0` key id | empty |
//!
//! A key and its two index entries are written in one transaction.

use sled::Transactional;

use super::keys::{
    abort, backend, corrupt, from_json, refuse, scan_page, tenant_prefix, to_json,
    transaction_error, valid_name,
};
use huashu_store::{ApiKey, Page, PageRequest, StoreError, Tenant};

const OPERATOR_TOKEN_KEY: &[u8] = b"operator_token_sha256";

pub struct TenantTrees {
    pub meta: sled::Tree,
    pub tenants: sled::Tree,
    pub api_keys: sled::Tree,
    pub api_keys_by_secret: sled::Tree,
    pub api_keys_by_tenant: sled::Tree,
}

impl TenantTrees {
    pub fn operator_token_sha256(&self) -> Result<Option<String>, StoreError> {
        self.meta
            .get(OPERATOR_TOKEN_KEY)
            .map_err(backend)?
            .map(|v| from_json(&v, || "operator token hash".into()))
            .transpose()
    }

    pub fn set_operator_token_sha256(&self, sha256: &str) -> Result<(), StoreError> {
        self.meta
            .insert(OPERATOR_TOKEN_KEY, to_json(&sha256)?)
            .map_err(backend)?;
        Ok(())
    }

    pub fn create(&self, tenant: &Tenant) -> Result<(), StoreError> {
        if !valid_name(&tenant.id) {
            return Err(refuse("tenant id", &tenant.id));
        }
        self.tenants
            .compare_and_swap(
                tenant.id.as_bytes(),
                None as Option<&[u8]>,
                Some(to_json(tenant)?),
            )
            .map_err(backend)?
            .map_err(|_| StoreError::Conflict(format!("tenant {}", tenant.id)))
    }

    pub fn get(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        if !valid_name(id) {
            return Ok(None);
        }
        self.tenants
            .get(id.as_bytes())
            .map_err(backend)?
            .map(|v| from_json(&v, || format!("tenant {id}")))
            .transpose()
    }

    /// Replaces the tenant's record (creating it if it was missing).
    pub fn update(&self, tenant: &Tenant) -> Result<(), StoreError> {
        if !valid_name(&tenant.id) {
            return Err(refuse("tenant id", &tenant.id));
        }
        self.tenants
            .insert(tenant.id.as_bytes(), to_json(tenant)?)
            .map_err(backend)?;
        Ok(())
    }

    pub fn list(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        scan_page(&self.tenants, b"", page, |key, value| {
            from_json(value, || format!("tenant {}", String::from_utf8_lossy(key)))
        })
    }

    /// Creates or replaces a key. Replacing moves its index entries if the secret hash or
    /// tenant changed; a secret hash already used by another key is a conflict.
    pub fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let Some(mut tenant_key) = tenant_prefix(&key.tenant_id) else {
            return Err(refuse("tenant id", &key.tenant_id));
        };
        if !valid_name(&key.id) {
            return Err(refuse("API key id", &key.id));
        }
        if key.secret_sha256.is_empty() {
            return Err(refuse("API key secret hash", ""));
        }
        tenant_key.extend_from_slice(key.id.as_bytes());
        let json = to_json(key)?;
        (
            &self.api_keys,
            &self.api_keys_by_secret,
            &self.api_keys_by_tenant,
        )
            .transaction(|(keys, by_secret, by_tenant)| {
                if let Some(owner) = by_secret.get(key.secret_sha256.as_bytes())?
                    && owner.as_ref() != key.id.as_bytes()
                {
                    return Err(abort(StoreError::Conflict(
                        "an API key with this secret".into(),
                    )));
                }
                if let Some(old) = keys.get(key.id.as_bytes())? {
                    let old: ApiKey =
                        from_json(&old, || format!("API key {}", key.id)).map_err(abort)?;
                    if old.secret_sha256 != key.secret_sha256 {
                        by_secret.remove(old.secret_sha256.as_bytes())?;
                    }
                    if old.tenant_id != key.tenant_id
                        && let Some(mut old_tenant_key) = tenant_prefix(&old.tenant_id)
                    {
                        old_tenant_key.extend_from_slice(key.id.as_bytes());
                        by_tenant.remove(old_tenant_key)?;
                    }
                }
                keys.insert(key.id.as_bytes(), json.as_slice())?;
                by_secret.insert(key.secret_sha256.as_bytes(), key.id.as_bytes())?;
                by_tenant.insert(tenant_key.as_slice(), &[][..])?;
                Ok(())
            })
            .map_err(transaction_error)
    }

    /// The key whose secret hashes to `sha256`, revoked or not (the caller decides).
    pub fn api_key_by_secret_sha256(&self, sha256: &str) -> Result<Option<ApiKey>, StoreError> {
        if sha256.is_empty() {
            return Ok(None);
        }
        let Some(id) = self
            .api_keys_by_secret
            .get(sha256.as_bytes())
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let id = String::from_utf8_lossy(&id);
        let key = self.api_key(&id)?.ok_or_else(|| {
            corrupt(
                "API key secret index",
                format!("key {id} is indexed but missing"),
            )
        })?;
        if key.secret_sha256 != sha256 {
            return Err(corrupt(
                "API key secret index",
                format!("key {id} is indexed under another secret"),
            ));
        }
        Ok(Some(key))
    }

    pub fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        if !valid_name(id) {
            return Ok(None);
        }
        self.api_keys
            .get(id.as_bytes())
            .map_err(backend)?
            .map(|v| from_json(&v, || format!("API key {id}")))
            .transpose()
    }

    /// The tenant's keys, ordered by id, revoked ones included.
    pub fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(Vec::new());
        };
        let mut keys = Vec::new();
        for entry in self.api_keys_by_tenant.scan_prefix(&prefix) {
            let (index_key, _) = entry.map_err(backend)?;
            let id = String::from_utf8_lossy(&index_key[prefix.len()..]);
            let key = self.api_key(&id)?.ok_or_else(|| {
                corrupt(
                    "API key tenant index",
                    format!("key {id} is indexed but missing"),
                )
            })?;
            keys.push(key);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::{PageRequest, Quotas, Store, StoreError};

    #[test]
    fn a_tenant_stored_before_call_recording_existed_loads_with_recording_off() {
        let store = SledStore::temporary().unwrap();
        let old = serde_json::json!({
            "id": "t_01", "name": "Acme", "created_at_ms": 1, "disabled": false,
            "quotas": Quotas::default(),
        });
        store
            .tenants
            .tenants
            .insert("t_01", serde_json::to_vec(&old).unwrap())
            .unwrap();
        let loaded = store.tenant("t_01").unwrap().unwrap();
        assert!(!loaded.record_calls);
        assert_eq!(loaded.name, "Acme");
    }

    #[test]
    fn a_corrupt_tenant_record_is_reported_not_panicked_on() {
        let store = SledStore::temporary().unwrap();
        store
            .tenants
            .tenants
            .insert("t_01", &b"{not json"[..])
            .unwrap();
        match store.tenant("t_01") {
            Err(StoreError::Corrupt { what, .. }) => assert_eq!(what, "tenant t_01"),
            other => panic!("expected corrupt, got {other:?}"),
        }
        assert!(matches!(
            store.list_tenants(&PageRequest {
                after: None,
                limit: 5
            }),
            Err(StoreError::Corrupt { .. })
        ));
        store
            .tenants
            .meta
            .insert("operator_token_sha256", &b"7"[..])
            .unwrap();
        assert!(matches!(
            store.operator_token_sha256(),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
