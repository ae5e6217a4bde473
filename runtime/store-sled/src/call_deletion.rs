//! Deleting calls, and the scans that find what to delete.
//!
//! A call is deleted in one transaction over six trees: its summary, record and entries in
//! the newest-first and live indexes ([`calls`](super::calls)), its recording
//! ([`recordings`](super::recordings)), and the audit entry that counts it
//! ([`audit`](super::audit)). So a crash leaves a call either whole and uncounted or gone
//! and counted: never a summary without its record, nor a deletion the audit does not
//! show. Whether the call is live is read inside the same transaction, so a call is never
//! deleted while live. (A call that ended is never written again, so nothing brings a
//! deleted call back.)
//!
//! The scans page with cursors that are keys, so deleting what a page returned does not
//! move the next page.

use std::ops::Bound;

use sled::Transactional;

use super::audit::{AuditTree, entry_key};
use super::calls::{CallTrees, MAX_SCANNED_PER_PAGE, time_prefix};
use super::keys::{
    abort, backend, corrupt, decode_cursor, empty_page, encode_cursor, from_json, prefix_end,
    scan_page, tenant_name_key, tenant_prefix, to_json, transaction_error,
};
use super::recordings::RecordingTree;
use huashu_store::{
    AuditEntry, CallDeletion, CallStatus, CallSummary, Page, PageRequest, StoreError,
};

/// The trees a deletion touches.
pub struct CallDeleter<'a> {
    pub calls: &'a CallTrees,
    pub recordings: &'a RecordingTree,
    pub audit: &'a AuditTree,
}

/// `entry` with one more call deleted, and its recording if `recording`.
fn counted(entry: &AuditEntry, recording: bool) -> AuditEntry {
    AuditEntry {
        calls_deleted: entry.calls_deleted + 1,
        recordings_deleted: entry.recordings_deleted + u64::from(recording),
        ..entry.clone()
    }
}

impl CallDeleter<'_> {
    /// Deletes the call `call_id` of `entry.tenant_id` and stores `entry` counting it, in
    /// one transaction; `entry` is updated once that is applied.
    pub fn delete(
        &self,
        entry: &mut AuditEntry,
        call_id: &str,
    ) -> Result<CallDeletion, StoreError> {
        let tenant_id = entry.tenant_id.clone();
        let (Some(prefix), Some(key)) = (
            tenant_prefix(&tenant_id),
            tenant_name_key(&tenant_id, call_id),
        ) else {
            return Ok(CallDeletion::Missing);
        };
        let audit_key = entry_key(entry)?;
        let before = entry.clone();
        let what = || format!("call {tenant_id}/{call_id}");
        let trees = (
            &self.calls.summaries,
            &self.calls.records,
            &self.calls.newest_first,
            &self.calls.live,
            &self.recordings.wav,
            &self.audit.entries,
        );
        let deletion = trees
            .transaction(|(summaries, records, newest_first, live, wavs, entries)| {
                let Some(stored) = summaries.get(key.as_slice())? else {
                    return Ok(CallDeletion::Missing);
                };
                let summary: CallSummary = from_json(&stored, what).map_err(abort)?;
                if summary.status == CallStatus::Live {
                    return Ok(CallDeletion::Live);
                }
                summaries.remove(key.as_slice())?;
                records.remove(key.as_slice())?;
                let index_key = [
                    time_prefix(&prefix, summary.created_at_ms),
                    call_id.as_bytes().to_vec(),
                ]
                .concat();
                newest_first.remove(index_key)?;
                live.remove(key.as_slice())?;
                let recording = wavs.remove(key.as_slice())?.is_some();
                let json = to_json(&counted(&before, recording)).map_err(abort)?;
                entries.insert(audit_key.as_slice(), json)?;
                Ok(CallDeletion::Deleted { recording })
            })
            .map_err(transaction_error)?;
        if let CallDeletion::Deleted { recording } = deletion {
            *entry = counted(&before, recording);
        }
        Ok(deletion)
    }
}

impl CallTrees {
    /// Not live, and ended (or created, if it never ended) before `cutoff_ms`: oldest
    /// first, from the oldest end of the newest-first index. A call that ended before
    /// the cutoff was created before it, so the scan starts there and never reads newer
    /// calls; it examines at most [`MAX_SCANNED_PER_PAGE`] entries per page.
    pub fn ended_before(
        &self,
        tenant_id: &str,
        cutoff_ms: u64,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError> {
        let limit = page.limit.max(1);
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(empty_page());
        };
        if cutoff_ms == 0 {
            return Ok(empty_page());
        }
        // Created at or before cutoff-1; the index holds newer calls at smaller keys.
        let newest = Bound::Included(time_prefix(&prefix, cutoff_ms - 1));
        let oldest = match &page.after {
            None => prefix_end(&prefix).map_or(Bound::Unbounded, Bound::Excluded),
            Some(cursor) => match decode_cursor(cursor) {
                Some(after) => Bound::Excluded([prefix.as_slice(), &after].concat()),
                None => return Ok(empty_page()),
            },
        };
        let cursor = |key: &[u8]| Some(encode_cursor(&key[prefix.len()..]));
        let mut items = Vec::new();
        for (scanned, entry) in self.newest_first.range((newest, oldest)).rev().enumerate() {
            let (key, value) = entry.map_err(backend)?;
            let call: CallSummary = from_json(&value, || format!("call index of {tenant_id}"))?;
            if call.status != CallStatus::Live
                && call.ended_at_ms.unwrap_or(call.created_at_ms) < cutoff_ms
            {
                items.push(call);
            }
            if items.len() == limit || scanned + 1 == MAX_SCANNED_PER_PAGE {
                return Ok(Page {
                    items,
                    next: cursor(&key),
                });
            }
        }
        Ok(Page { items, next: None })
    }

    /// Summaries with their records, in call id order.
    pub fn with_records(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<(CallSummary, Vec<u8>)>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(empty_page());
        };
        scan_page(&self.summaries, &prefix, page, |key, value| {
            let what = || format!("call {}", String::from_utf8_lossy(key).replace('\0', "/"));
            let summary = from_json(value, what)?;
            let record = self
                .records
                .get(key)
                .map_err(backend)?
                .ok_or_else(|| corrupt(what(), "the record is missing"))?;
            Ok((summary, record.to_vec()))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::audit::RETENTION_ACTOR;
    use huashu_store::{
        AuditAction, AuditEntry, CallDeletion, CallFilter, CallStatus, CallSummary, PageRequest,
        Store,
    };

    fn call(
        tenant_id: &str,
        id: &str,
        created_at_ms: u64,
        ended_at_ms: Option<u64>,
    ) -> CallSummary {
        CallSummary {
            call_id: id.into(),
            tenant_id: tenant_id.into(),
            module: "bot".into(),
            module_version: 1,
            status: if ended_at_ms.is_some() {
                CallStatus::Completed
            } else {
                CallStatus::Live
            },
            created_at_ms,
            ended_at_ms,
            intent: None,
            disposition: None,
            has_recording: false,
            progress: None,
            opted_out: false,
            callee: None,
            campaign_id: None,
            tags: Vec::new(),
        }
    }

    fn audit(tenant_id: &str) -> AuditEntry {
        AuditEntry::new(
            tenant_id,
            RETENTION_ACTOR,
            AuditAction::Retention,
            "test".into(),
            1,
        )
        .unwrap()
    }

    fn page(after: Option<String>, limit: usize) -> PageRequest {
        PageRequest { after, limit }
    }

    /// Every call id `calls_ended_before` gives, following cursors, with pages of `limit`.
    fn ended_before(store: &SledStore, tenant: &str, cutoff: u64, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let found = store
                .calls_ended_before(tenant, cutoff, &page(after, limit))
                .unwrap();
            assert!(found.items.len() <= limit);
            ids.extend(found.items.into_iter().map(|c| c.call_id));
            match found.next {
                Some(next) => after = Some(next),
                None => return ids,
            }
        }
    }

    #[test]
    fn deleting_a_call_removes_it_from_all_four_call_trees_and_its_recording() {
        let store = SledStore::temporary().unwrap();
        let mut kept = call("t_1", "c_kept", 1, Some(2));
        kept.has_recording = true;
        let mut gone = call("t_1", "c_gone", 3, Some(4));
        gone.has_recording = true;
        for c in [&kept, &gone] {
            store.put_recording("t_1", &c.call_id, b"RIFF").unwrap();
            store.put_call(c, b"{\"call\":{}}").unwrap();
        }
        let mut entry = audit("t_1");
        let result = store
            .delete_calls(&mut entry, &["c_gone".to_string()])
            .unwrap();
        assert_eq!(result, [CallDeletion::Deleted { recording: true }]);
        assert_eq!((entry.calls_deleted, entry.recordings_deleted), (1, 1));

        let key = b"t_1\0c_gone".as_slice();
        assert!(!store.calls.summaries.contains_key(key).unwrap());
        assert!(!store.calls.records.contains_key(key).unwrap());
        assert!(!store.calls.live.contains_key(key).unwrap());
        assert!(!store.recordings.wav.contains_key(key).unwrap());
        assert_eq!(store.calls.newest_first.len(), 1, "only c_kept is indexed");
        assert_eq!(store.call("t_1", "c_gone").unwrap(), None);
        assert_eq!(store.recording("t_1", "c_gone").unwrap(), None);
        // The other call is untouched, and listing shows only it.
        assert!(store.call("t_1", "c_kept").unwrap().is_some());
        assert!(store.recording("t_1", "c_kept").unwrap().is_some());
        let listed = store
            .list_calls("t_1", &CallFilter::default(), &page(None, 10))
            .unwrap();
        assert_eq!(listed.items, vec![kept]);
        // The audit entry was stored with the deletion, counts and all.
        let stored = store.audit_entries("t_1", &page(None, 10)).unwrap();
        assert_eq!(stored.items, vec![entry]);
    }

    #[test]
    fn live_and_unknown_calls_are_left_alone_and_not_counted() {
        let store = SledStore::temporary().unwrap();
        store
            .put_call(&call("t_1", "c_live", 1, None), b"null")
            .unwrap();
        store
            .put_call(&call("t_1", "c_done", 2, Some(3)), b"{}")
            .unwrap();
        let mut entry = audit("t_1");
        let ids = ["c_live", "c_none", "c_done", "bad/id"].map(String::from);
        let result = store.delete_calls(&mut entry, &ids).unwrap();
        assert_eq!(
            result,
            [
                CallDeletion::Live,
                CallDeletion::Missing,
                CallDeletion::Deleted { recording: false },
                CallDeletion::Missing,
            ]
        );
        assert_eq!((entry.calls_deleted, entry.recordings_deleted), (1, 0));
        assert!(store.call("t_1", "c_live").unwrap().is_some());
        assert_eq!(store.live_calls().unwrap().len(), 1);
        // Another tenant's audit entry cannot delete this tenant's calls.
        let mut other = audit("t_2");
        let result = store
            .delete_calls(&mut other, &["c_live".to_string()])
            .unwrap();
        assert_eq!(result, [CallDeletion::Missing]);
        assert!(
            store
                .audit_entries("t_2", &page(None, 10))
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[test]
    fn the_age_scan_finds_ended_calls_before_the_cutoff_oldest_first() {
        let store = SledStore::temporary().unwrap();
        // (id, created, ended)
        let calls = [
            ("c_a", 100, Some(150)),
            ("c_b", 200, Some(250)),
            ("c_long", 300, Some(2_000)), // created before the cutoff, ended after
            ("c_live", 400, None),
            ("c_c", 500, Some(999)),
            ("c_new", 1_000, Some(1_001)),
        ];
        for (id, created, ended) in calls {
            store
                .put_call(&call("t_1", id, created, ended), b"{}")
                .unwrap();
        }
        store
            .put_call(&call("t_12", "c_x", 1, Some(2)), b"{}")
            .unwrap();
        for limit in [1, 2, 10] {
            assert_eq!(
                ended_before(&store, "t_1", 1_000, limit),
                ["c_a", "c_b", "c_c"],
                "pages of {limit}"
            );
        }
        assert_eq!(ended_before(&store, "t_1", 250, 10), ["c_a"]);
        assert_eq!(ended_before(&store, "t_1", 251, 10), ["c_a", "c_b"]);
        assert!(ended_before(&store, "t_1", 0, 10).is_empty());
        assert!(ended_before(&store, "t_1", 150, 10).is_empty());
        assert_eq!(ended_before(&store, "t_12", u64::MAX, 10), ["c_x"]);
        assert!(
            store
                .calls_ended_before("t_1", 1_000, &page(Some("zz".into()), 10))
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[test]
    fn deleting_what_a_page_returned_does_not_move_the_next_page() {
        let store = SledStore::temporary().unwrap();
        for i in 0..7u64 {
            store
                .put_call(
                    &call("t_1", &format!("c_{i}"), i * 10, Some(i * 10 + 1)),
                    b"{}",
                )
                .unwrap();
        }
        let mut entry = audit("t_1");
        let mut after = None;
        let mut deleted = Vec::new();
        loop {
            let found = store
                .calls_ended_before("t_1", 45, &page(after, 2))
                .unwrap();
            let ids: Vec<String> = found.items.into_iter().map(|c| c.call_id).collect();
            store.delete_calls(&mut entry, &ids).unwrap();
            deleted.extend(ids);
            match found.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(deleted, ["c_0", "c_1", "c_2", "c_3", "c_4"]);
        assert_eq!(entry.calls_deleted, 5);
        let left = store
            .list_calls("t_1", &CallFilter::default(), &page(None, 10))
            .unwrap();
        let left: Vec<_> = left.items.into_iter().map(|c| c.call_id).collect();
        assert_eq!(left, ["c_6", "c_5"]);
    }

    #[test]
    fn records_are_scanned_by_call_id_with_their_summaries() {
        let store = SledStore::temporary().unwrap();
        store
            .put_call(&call("t_1", "c_b", 2, Some(3)), b"{\"b\":1}")
            .unwrap();
        store
            .put_call(&call("t_1", "c_a", 1, Some(3)), b"{\"a\":1}")
            .unwrap();
        store
            .put_call(&call("t_12", "c_c", 1, Some(3)), b"{}")
            .unwrap();
        let first = store.call_records("t_1", &page(None, 1)).unwrap();
        assert_eq!(first.items[0].0.call_id, "c_a");
        assert_eq!(first.items[0].1, b"{\"a\":1}");
        let mut entry = audit("t_1");
        store
            .delete_calls(&mut entry, &["c_a".to_string()])
            .unwrap();
        let second = store.call_records("t_1", &page(first.next, 1)).unwrap();
        assert_eq!(second.items[0].0.call_id, "c_b");
        assert_eq!(second.next, None);
    }

    #[test]
    fn a_sweep_deletes_past_retention_in_batches_and_audits_only_when_it_deleted() {
        use huashu_store::{Quotas, Retention, Tenant, TenantSweep};
        let store = SledStore::temporary().unwrap();
        const DAY: u64 = 86_400_000;
        let now = 100 * DAY;
        let total = huashu_store::retention::SWEEP_BATCH as u64 + 10;
        for i in 0..total {
            let created = 10 * DAY + i;
            let mut c = call("t_1", &format!("c_old{i:04}"), created, Some(created + 5));
            if i == 0 {
                c.has_recording = true;
                store.put_recording("t_1", &c.call_id, b"RIFF").unwrap();
            }
            store.calls.put(&c, b"{}").unwrap();
        }
        store
            .put_call(
                &call("t_1", "c_recent", now - DAY, Some(now - DAY + 5)),
                b"{}",
            )
            .unwrap();
        store
            .put_call(&call("t_1", "c_live", 5 * DAY, None), b"null")
            .unwrap();
        let tenant = Tenant {
            id: "t_1".into(),
            name: "Acme".into(),
            created_at_ms: 0,
            disabled: false,
            quotas: Quotas {
                retention_days: Some(30),
                ..Quotas::default()
            },
            record_calls: true,
            http_allowlist: Vec::new(),
            http_origins: None,
            language: None,
        };
        let retention = Retention::default();
        let mut sweep = TenantSweep::new(&tenant, &retention, now, RETENTION_ACTOR)
            .unwrap()
            .unwrap();
        assert!(
            !sweep.step(&store).unwrap(),
            "one batch is not the whole sweep"
        );
        assert_eq!(
            sweep.audit().calls_deleted,
            huashu_store::retention::SWEEP_BATCH as u64
        );
        let entry = sweep.run(&store).unwrap();
        assert_eq!((entry.calls_deleted, entry.recordings_deleted), (total, 1));
        let left: Vec<_> = store
            .list_calls("t_1", &CallFilter::default(), &page(None, 10))
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.call_id)
            .collect();
        assert_eq!(left, ["c_recent", "c_live"]);
        assert_eq!(
            store.audit_entries("t_1", &page(None, 10)).unwrap().items,
            vec![entry]
        );
        // Nothing more to delete: a second sweep stores no entry.
        let again = TenantSweep::new(&tenant, &retention, now, RETENTION_ACTOR)
            .unwrap()
            .unwrap()
            .run(&store)
            .unwrap();
        assert_eq!(again.calls_deleted, 0);
        assert_eq!(
            store
                .audit_entries("t_1", &page(None, 10))
                .unwrap()
                .items
                .len(),
            1
        );
    }
}
