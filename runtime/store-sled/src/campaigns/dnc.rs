//! Do-not-call lists: the platform's and each tenant's, in one tree.
//!
//! A key is the list's scope, a 0 byte, then the number. The platform's scope is the empty
//! string and a tenant's is its id: a tenant id is never empty (see [`valid_name`]) and
//! never contains a 0 byte, so the platform's list (`\0…`) and every tenant's (`t_1\0…`)
//! are separate ranges, whatever the tenant is called.

use super::CampaignTrees;
use super::layout::{number_part, refuse_number};
use crate::keys::{backend, empty_page, from_json, refuse, scan_page, to_json, valid_name};
use huashu_store::campaigns::{DncEntry, DncScope};
use huashu_store::{Page, PageRequest, StoreError};

/// `scope\0`: where a list's keys start; `None` for a tenant id that cannot be a key part
/// (that tenant's list is empty).
fn list_prefix(scope: &DncScope) -> Option<Vec<u8>> {
    match scope {
        DncScope::Platform => Some(vec![0]),
        DncScope::Tenant(tenant) => crate::keys::tenant_prefix(tenant),
    }
}

/// The entry's key; refused if its scope or number cannot be a key part.
fn entry_key(entry: &DncEntry) -> Result<Vec<u8>, StoreError> {
    if let DncScope::Tenant(tenant) = &entry.scope
        && !valid_name(tenant)
    {
        return Err(refuse("tenant id", tenant));
    }
    if !number_part(&entry.number) {
        return Err(refuse_number(&entry.number));
    }
    let prefix = list_prefix(&entry.scope).ok_or_else(|| refuse("do-not-call scope", ""))?;
    Ok([prefix.as_slice(), entry.number.as_bytes()].concat())
}

/// The key of `number` on `scope`'s list, if both can be key parts.
fn lookup_key(scope: &DncScope, number: &str) -> Option<Vec<u8>> {
    let prefix = list_prefix(scope)?;
    number_part(number).then(|| [prefix.as_slice(), number.as_bytes()].concat())
}

impl CampaignTrees {
    /// Adds or replaces entries, all in one atomic batch.
    pub fn put_dnc(&self, entries: &[DncEntry]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for entry in entries {
            batch.insert(entry_key(entry)?, to_json(entry)?);
        }
        self.dnc.apply_batch(batch).map_err(backend)
    }

    pub fn dnc(&self, scope: &DncScope, number: &str) -> Result<Option<DncEntry>, StoreError> {
        let Some(key) = lookup_key(scope, number) else {
            return Ok(None);
        };
        self.dnc
            .get(key)
            .map_err(backend)?
            .map(|json| from_json(&json, || format!("do-not-call entry {number}")))
            .transpose()
    }

    pub fn delete_dnc(&self, scope: &DncScope, number: &str) -> Result<bool, StoreError> {
        let Some(key) = lookup_key(scope, number) else {
            return Ok(false);
        };
        Ok(self.dnc.remove(key).map_err(backend)?.is_some())
    }

    /// Ordered by number; the cursor is the hex of the last number.
    pub fn list_dnc(
        &self,
        scope: &DncScope,
        page: &PageRequest,
    ) -> Result<Page<DncEntry>, StoreError> {
        let Some(prefix) = list_prefix(scope) else {
            return Ok(empty_page());
        };
        scan_page(&self.dnc, &prefix, page, |key, json| {
            from_json(json, || {
                format!(
                    "do-not-call entry {}",
                    String::from_utf8_lossy(&key[prefix.len()..])
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{dnc_entry, page};
    use crate::SledStore;
    use huashu_store::campaigns::{CampaignStore, DncScope};

    fn numbers(store: &SledStore, scope: &DncScope) -> Vec<String> {
        let listed = store.list_dnc(scope, &page(None, 100)).unwrap();
        listed.items.into_iter().map(|e| e.number).collect()
    }

    #[test]
    fn the_platform_list_and_each_tenants_list_are_separate() {
        let store = SledStore::temporary().unwrap();
        let platform = DncScope::Platform;
        let t1 = DncScope::Tenant("t_1".into());
        let t12 = DncScope::Tenant("t_12".into());
        // A tenant may even be called "platform".
        let named_platform = DncScope::Tenant("platform".into());
        store.put_dnc(&dnc_entry(&platform, "+861")).unwrap();
        store.put_dnc(&dnc_entry(&t1, "+862")).unwrap();
        store.put_dnc(&dnc_entry(&t12, "+863")).unwrap();
        store.put_dnc(&dnc_entry(&named_platform, "+864")).unwrap();

        assert_eq!(numbers(&store, &platform), ["+861"]);
        assert_eq!(numbers(&store, &t1), ["+862"]);
        assert_eq!(numbers(&store, &t12), ["+863"]);
        assert_eq!(numbers(&store, &named_platform), ["+864"]);
        assert!(store.dnc(&platform, "+862").unwrap().is_none());
        assert!(store.dnc(&t1, "+861").unwrap().is_none());
        assert!(store.dnc(&t12, "+862").unwrap().is_none());
        assert_eq!(
            store.dnc(&t1, "+862").unwrap(),
            Some(dnc_entry(&t1, "+862"))
        );
    }

    #[test]
    fn a_number_is_removed_from_one_list_only() {
        let store = SledStore::temporary().unwrap();
        let t1 = DncScope::Tenant("t_1".into());
        store
            .put_dnc(&dnc_entry(&DncScope::Platform, "+861"))
            .unwrap();
        store.put_dnc(&dnc_entry(&t1, "+861")).unwrap();
        assert!(store.delete_dnc(&t1, "+861").unwrap());
        assert!(!store.delete_dnc(&t1, "+861").unwrap());
        assert!(store.dnc(&DncScope::Platform, "+861").unwrap().is_some());
    }

    #[test]
    fn a_bulk_upload_is_listed_by_number_across_pages() {
        let store = SledStore::temporary().unwrap();
        let t1 = DncScope::Tenant("t_1".into());
        let batch: Vec<_> = ["+865", "+861", "+863", "+862", "+864"]
            .iter()
            .map(|n| dnc_entry(&t1, n))
            .collect();
        store.put_dnc_batch(&batch).unwrap();
        let first = store.list_dnc(&t1, &page(None, 2)).unwrap();
        let second = store.list_dnc(&t1, &page(first.next, 2)).unwrap();
        let third = store.list_dnc(&t1, &page(second.next, 2)).unwrap();
        let listed: Vec<_> = [first.items, second.items, third.items]
            .concat()
            .into_iter()
            .map(|e| e.number)
            .collect();
        assert_eq!(listed, ["+861", "+862", "+863", "+864", "+865"]);
        assert_eq!(third.next, None);
    }

    #[test]
    fn an_entry_that_cannot_be_a_key_is_refused_and_nothing_of_its_batch_is_stored() {
        let store = SledStore::temporary().unwrap();
        let t1 = DncScope::Tenant("t_1".into());
        let batch = [dnc_entry(&t1, "+861"), dnc_entry(&t1, "")];
        assert!(store.put_dnc_batch(&batch).is_err());
        assert!(store.dnc(&t1, "+861").unwrap().is_none());
        let bad_tenant = DncScope::Tenant("t\0_1".into());
        assert!(store.put_dnc(&dnc_entry(&bad_tenant, "+861")).is_err());
    }
}
