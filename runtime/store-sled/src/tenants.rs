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
    use huashu_store::{ApiKey, PageRequest, Quotas, Store, StoreError, Tenant};

    fn tenant(id: &str) -> Tenant {
        Tenant {
            id: id.into(),
            name: format!("tenant {id}"),
            created_at_ms: 1,
            disabled: false,
            quotas: Quotas::default(),
            record_calls: false,
            http_allowlist: Vec::new(),
            http_origins: None,
            language: None,
        }
    }

    fn key(id: &str, tenant_id: &str, secret: &str) -> ApiKey {
        ApiKey {
            id: id.into(),
            tenant_id: tenant_id.into(),
            secret_sha256: secret.into(),
            label: "test".into(),
            created_at_ms: 2,
            revoked: false,
        }
    }

    #[test]
    fn a_live_key_authenticates_as_its_tenant_and_a_revoked_or_unknown_one_does_not() {
        use huashu_store::secrets::sha256_hex;
        use huashu_store::{AuthError, authenticate};
        let store = SledStore::temporary().unwrap();
        store.create_tenant(&tenant("t_01")).unwrap();
        let mut live = key("k_01", "t_01", &sha256_hex("hs_live"));
        store.put_api_key(&live).unwrap();
        assert_eq!(authenticate(&store, "hs_live").unwrap().id, "t_01");
        assert!(matches!(
            authenticate(&store, "hs_other"),
            Err(AuthError::UnknownKey)
        ));
        live.revoked = true;
        store.put_api_key(&live).unwrap();
        assert!(matches!(
            authenticate(&store, "hs_live"),
            Err(AuthError::UnknownKey)
        ));
    }

    #[test]
    fn tenants_are_created_once_read_and_updated() {
        let store = SledStore::temporary().unwrap();
        let mut t = tenant("t_01");
        store.create_tenant(&t).unwrap();
        assert!(matches!(
            store.create_tenant(&t),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.tenant("t_01").unwrap(), Some(t.clone()));
        assert_eq!(store.tenant("t_02").unwrap(), None);
        t.disabled = true;
        t.quotas.kv_bytes = 7;
        t.record_calls = true;
        store.update_tenant(&t).unwrap();
        assert_eq!(store.tenant("t_01").unwrap(), Some(t));
        assert!(store.create_tenant(&tenant("t_0\0")).is_err());
    }

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
    fn tenants_are_listed_by_id_across_pages() {
        let store = SledStore::temporary().unwrap();
        for i in [3, 1, 4, 0, 2] {
            store.create_tenant(&tenant(&format!("t_{i:02}"))).unwrap();
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_tenants(&PageRequest { after, limit: 2 })
                .unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items.into_iter().map(|t| t.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["t_00", "t_01", "t_02", "t_03", "t_04"]);
        let bad_cursor = PageRequest {
            after: Some("not hex".into()),
            limit: 2,
        };
        assert!(store.list_tenants(&bad_cursor).unwrap().items.is_empty());
    }

    #[test]
    fn api_keys_are_found_by_secret_hash_and_revocation_is_stored() {
        let store = SledStore::temporary().unwrap();
        let mut k = key("k_01", "t_01", "aa");
        store.put_api_key(&k).unwrap();
        store.put_api_key(&key("k_02", "t_01", "bb")).unwrap();
        store.put_api_key(&key("k_03", "t_02", "cc")).unwrap();
        assert_eq!(
            store.api_key_by_secret_sha256("aa").unwrap(),
            Some(k.clone())
        );
        assert_eq!(store.api_key_by_secret_sha256("zz").unwrap(), None);
        assert_eq!(
            store.api_key("k_03").unwrap().map(|k| k.tenant_id),
            Some("t_02".into())
        );

        k.revoked = true;
        store.put_api_key(&k).unwrap();
        assert!(
            store
                .api_key_by_secret_sha256("aa")
                .unwrap()
                .unwrap()
                .revoked
        );

        let ids = |t: &str| {
            store
                .list_api_keys(t)
                .unwrap()
                .into_iter()
                .map(|k| k.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("t_01"), ["k_01", "k_02"]);
        assert_eq!(ids("t_02"), ["k_03"]);
        assert!(ids("t_0").is_empty());
    }

    #[test]
    fn a_rotated_secret_no_longer_finds_the_key_and_secrets_are_unique() {
        let store = SledStore::temporary().unwrap();
        store.put_api_key(&key("k_01", "t_01", "aa")).unwrap();
        store.put_api_key(&key("k_01", "t_01", "a2")).unwrap();
        assert_eq!(store.api_key_by_secret_sha256("aa").unwrap(), None);
        assert!(store.api_key_by_secret_sha256("a2").unwrap().is_some());
        assert!(matches!(
            store.put_api_key(&key("k_02", "t_01", "a2")),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.list_api_keys("t_01").unwrap().len(), 1);
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
