//! The audit of deletions.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `audit` | tenant `\0` (`u64::MAX` − at ms, big-endian) entry id | JSON [`AuditEntry`] |
//!
//! Newest first within a tenant, like the calls index. An entry is rewritten in place as a
//! deletion goes on (its key depends only on its tenant, time and id), inside the
//! transaction of each call it counts: see [`call_deletion`](super::call_deletion).

use super::keys::{
    backend, empty_page, from_json, refuse, scan_page, tenant_prefix, to_json, valid_name,
};
use huashu_store::{AuditEntry, Page, PageRequest, StoreError};

pub struct AuditTree {
    pub entries: sled::Tree,
}

/// Where `entry` is stored; refused if its tenant or id cannot be a key part.
pub fn entry_key(entry: &AuditEntry) -> Result<Vec<u8>, StoreError> {
    match tenant_prefix(&entry.tenant_id) {
        Some(prefix) if valid_name(&entry.id) => Ok([
            prefix.as_slice(),
            &(u64::MAX - entry.at_ms).to_be_bytes(),
            entry.id.as_bytes(),
        ]
        .concat()),
        _ => Err(refuse(
            "audit entry",
            &format!("{}/{}", entry.tenant_id, entry.id),
        )),
    }
}

impl AuditTree {
    /// Creates or replaces `entry`.
    pub fn put(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.entries
            .insert(entry_key(entry)?, to_json(entry)?)
            .map_err(backend)?;
        Ok(())
    }

    /// Newest first; the cursor is the last key returned (hex).
    pub fn list(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(empty_page());
        };
        scan_page(&self.entries, &prefix, page, |_, value| {
            from_json(value, || format!("audit entry of {tenant_id}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::audit::OPERATOR_ACTOR;
    use huashu_store::{AuditAction, AuditEntry, PageRequest, Store};

    fn entry(tenant: &str, at_ms: u64) -> AuditEntry {
        AuditEntry::new(
            tenant,
            OPERATOR_ACTOR,
            AuditAction::DeleteCall,
            format!("c_{at_ms}"),
            at_ms,
        )
        .unwrap()
    }

    #[test]
    fn entries_are_listed_newest_first_per_tenant_and_replaced_in_place() {
        let store = SledStore::temporary().unwrap();
        let mut first = entry("t_1", 10);
        store.put_audit_entry(&first).unwrap();
        store.put_audit_entry(&entry("t_1", 30)).unwrap();
        store.put_audit_entry(&entry("t_1", 20)).unwrap();
        store.put_audit_entry(&entry("t_12", 40)).unwrap();
        first.calls_deleted = 3;
        store.put_audit_entry(&first).unwrap();

        let mut subjects = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .audit_entries("t_1", &PageRequest { after, limit: 2 })
                .unwrap();
            subjects.extend(page.items.iter().map(|e| e.subject.clone()));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(subjects, ["c_30", "c_20", "c_10"]);
        let all = store
            .audit_entries(
                "t_1",
                &PageRequest {
                    after: None,
                    limit: 10,
                },
            )
            .unwrap();
        assert_eq!(all.items.last(), Some(&first));
        assert!(
            store
                .audit_entries(
                    "t_",
                    &PageRequest {
                        after: None,
                        limit: 10
                    }
                )
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[test]
    fn an_entry_whose_ids_cannot_be_key_parts_is_refused() {
        let store = SledStore::temporary().unwrap();
        let mut bad = entry("t_1", 1);
        bad.id = "a/../b".into();
        assert!(store.put_audit_entry(&bad).is_err());
    }
}
