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
}
