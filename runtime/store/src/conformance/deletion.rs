//! Deleting calls with the audit, the retention and erasure scans, retention sweeps, and
//! the audit listing.

use super::calls::all_ids;
use super::{Backend, Case, call, page};
use crate::audit::{OPERATOR_ACTOR, RETENTION_ACTOR};
use crate::retention::SWEEP_BATCH;
use crate::{AuditAction, AuditEntry, CallDeletion, CallFilter, Quotas, Retention, TenantSweep};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "deleting_a_call_removes_it_and_its_recording_and_stores_the_audit_entry",
        deleting_a_call_removes_it_and_its_recording_and_stores_the_audit_entry,
    ),
    (
        "live_and_unknown_calls_are_left_alone_and_not_counted",
        live_and_unknown_calls_are_left_alone_and_not_counted,
    ),
    (
        "the_age_scan_finds_ended_calls_before_the_cutoff_oldest_first",
        the_age_scan_finds_ended_calls_before_the_cutoff_oldest_first,
    ),
    (
        "deleting_what_a_page_returned_does_not_move_the_next_page",
        deleting_what_a_page_returned_does_not_move_the_next_page,
    ),
    (
        "records_are_scanned_by_call_id_with_their_summaries",
        records_are_scanned_by_call_id_with_their_summaries,
    ),
    (
        "a_sweep_deletes_past_retention_in_batches_and_audits_only_when_it_deleted",
        a_sweep_deletes_past_retention_in_batches_and_audits_only_when_it_deleted,
    ),
    (
        "audit_entries_are_listed_newest_first_per_tenant_and_replaced_in_place",
        audit_entries_are_listed_newest_first_per_tenant_and_replaced_in_place,
    ),
];

fn audit(tenant: &str) -> AuditEntry {
    AuditEntry::new(
        tenant,
        OPERATOR_ACTOR,
        AuditAction::DeleteCall,
        "c".into(),
        7,
    )
    .expect("a fresh entry")
}

/// Every call id `calls_ended_before` gives, following cursors, with pages of `limit`.
fn ended_before(store: &dyn Backend, tenant: &str, cutoff: u64, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let found = store
            .calls_ended_before(tenant, cutoff, &page(after, limit))
            .expect("scanned");
        assert!(found.items.len() <= limit);
        ids.extend(found.items.into_iter().map(|c| c.call_id));
        match found.next {
            Some(next) => after = Some(next),
            None => return ids,
        }
    }
}

/// Summary, record and recording go; the entry counts them and is stored.
pub fn deleting_a_call_removes_it_and_its_recording_and_stores_the_audit_entry(
    store: &dyn Backend,
) {
    let mut kept = call("t_1", "c_kept", 1, Some(2));
    kept.has_recording = true;
    let mut gone = call("t_1", "c_gone", 3, Some(4));
    gone.has_recording = true;
    for c in [&kept, &gone] {
        store
            .put_recording("t_1", &c.call_id, b"RIFF")
            .expect("stored");
        store.put_call(c, b"{\"call\":{}}").expect("stored");
    }
    let mut entry = audit("t_1");
    let result = store
        .delete_calls(&mut entry, &["c_gone".to_string()])
        .expect("deleted");
    assert_eq!(result, [CallDeletion::Deleted { recording: true }]);
    assert_eq!((entry.calls_deleted, entry.recordings_deleted), (1, 1));
    assert_eq!(store.call("t_1", "c_gone").expect("read"), None);
    assert_eq!(store.recording("t_1", "c_gone").expect("read"), None);
    assert!(store.call("t_1", "c_kept").expect("read").is_some());
    assert!(store.recording("t_1", "c_kept").expect("read").is_some());
    let listed = store
        .list_calls("t_1", &CallFilter::default(), &page(None, 10))
        .expect("listed");
    assert_eq!(listed.items, vec![kept]);
    assert!(store.live_calls().expect("listed").is_empty());
    let stored = store.audit_entries("t_1", &page(None, 10)).expect("listed");
    assert_eq!(stored.items, vec![entry]);
}

/// Live calls, unknown ids and other tenants' calls are untouched and uncounted.
pub fn live_and_unknown_calls_are_left_alone_and_not_counted(store: &dyn Backend) {
    store
        .put_call(&call("t_1", "c_live", 1, None), b"null")
        .expect("stored");
    store
        .put_call(&call("t_1", "c_done", 2, Some(3)), b"{}")
        .expect("stored");
    let mut entry = audit("t_1");
    let ids = ["c_live", "c_none", "c_done", "bad/id"].map(String::from);
    let result = store.delete_calls(&mut entry, &ids).expect("deleted");
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
    assert!(store.call("t_1", "c_live").expect("read").is_some());
    assert_eq!(store.live_calls().expect("listed").len(), 1);
    let mut other = audit("t_2");
    let result = store
        .delete_calls(&mut other, &["c_live".to_string()])
        .expect("asked");
    assert_eq!(result, [CallDeletion::Missing]);
    assert!(
        store
            .audit_entries("t_2", &page(None, 10))
            .expect("listed")
            .items
            .is_empty()
    );
}

/// Not live, ended (or created, if never ended) before the cutoff; oldest first.
pub fn the_age_scan_finds_ended_calls_before_the_cutoff_oldest_first(store: &dyn Backend) {
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
            .expect("stored");
    }
    store
        .put_call(&call("t_12", "c_x", 1, Some(2)), b"{}")
        .expect("stored");
    for limit in [1, 2, 10] {
        assert_eq!(
            ended_before(store, "t_1", 1_000, limit),
            ["c_a", "c_b", "c_c"],
            "pages of {limit}"
        );
    }
    assert_eq!(ended_before(store, "t_1", 250, 10), ["c_a"]);
    assert_eq!(ended_before(store, "t_1", 251, 10), ["c_a", "c_b"]);
    assert!(ended_before(store, "t_1", 0, 10).is_empty());
    assert!(ended_before(store, "t_1", 150, 10).is_empty());
    assert_eq!(ended_before(store, "t_12", u64::MAX, 10), ["c_x"]);
    let bad_cursor = page(Some("zz".into()), 10);
    let found = store
        .calls_ended_before("t_1", 1_000, &bad_cursor)
        .expect("scanned");
    assert!(found.items.is_empty());
}

/// A retention pass that deletes each page before asking for the next sees every call.
pub fn deleting_what_a_page_returned_does_not_move_the_next_page(store: &dyn Backend) {
    for i in 0..7u64 {
        let c = call("t_1", &format!("c_{i}"), i * 10, Some(i * 10 + 1));
        store.put_call(&c, b"{}").expect("stored");
    }
    let mut entry = audit("t_1");
    let mut after = None;
    let mut deleted = Vec::new();
    loop {
        let found = store
            .calls_ended_before("t_1", 45, &page(after, 2))
            .expect("scanned");
        let ids: Vec<String> = found.items.into_iter().map(|c| c.call_id).collect();
        store.delete_calls(&mut entry, &ids).expect("deleted");
        deleted.extend(ids);
        match found.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(deleted, ["c_0", "c_1", "c_2", "c_3", "c_4"]);
    assert_eq!(entry.calls_deleted, 5);
    assert_eq!(
        all_ids(store, "t_1", &CallFilter::default(), 10),
        ["c_6", "c_5"]
    );
}

/// The erasure scan: records with summaries by call id, undisturbed by deletions.
pub fn records_are_scanned_by_call_id_with_their_summaries(store: &dyn Backend) {
    store
        .put_call(&call("t_1", "c_b", 2, Some(3)), b"{\"b\":1}")
        .expect("stored");
    store
        .put_call(&call("t_1", "c_a", 1, Some(3)), b"{\"a\":1}")
        .expect("stored");
    store
        .put_call(&call("t_12", "c_c", 1, Some(3)), b"{}")
        .expect("stored");
    let first = store.call_records("t_1", &page(None, 1)).expect("scanned");
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].0.call_id, "c_a");
    assert_eq!(first.items[0].1, b"{\"a\":1}");
    let mut entry = audit("t_1");
    store
        .delete_calls(&mut entry, &["c_a".to_string()])
        .expect("deleted");
    let second = store
        .call_records("t_1", &page(first.next, 1))
        .expect("scanned");
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].0.call_id, "c_b");
    assert_eq!(second.next, None);
}

/// [`TenantSweep`] on top of the store: batches, recordings counted, one entry.
pub fn a_sweep_deletes_past_retention_in_batches_and_audits_only_when_it_deleted(
    store: &dyn Backend,
) {
    const DAY: u64 = 86_400_000;
    let now = 100 * DAY;
    let total = SWEEP_BATCH as u64 + 10;
    for i in 0..total {
        let created = 10 * DAY + i;
        let mut c = call("t_1", &format!("c_old{i:04}"), created, Some(created + 5));
        if i == 0 {
            c.has_recording = true;
            store
                .put_recording("t_1", &c.call_id, b"RIFF")
                .expect("stored");
        }
        store.put_call(&c, b"{}").expect("stored");
    }
    let recent = call("t_1", "c_recent", now - DAY, Some(now - DAY + 5));
    store.put_call(&recent, b"{}").expect("stored");
    store
        .put_call(&call("t_1", "c_live", 5 * DAY, None), b"null")
        .expect("stored");
    let mut tenant = super::tenant("t_1");
    tenant.quotas = Quotas {
        retention_days: Some(30),
        ..Quotas::default()
    };
    let retention = Retention::default();
    let mut sweep = TenantSweep::new(&tenant, &retention, now, RETENTION_ACTOR)
        .expect("a sweep")
        .expect("the tenant has a retention");
    assert!(
        !sweep.step(store.store()).expect("swept"),
        "one batch is not all"
    );
    assert_eq!(sweep.audit().calls_deleted, SWEEP_BATCH as u64);
    let entry = sweep.run(store.store()).expect("swept");
    assert_eq!((entry.calls_deleted, entry.recordings_deleted), (total, 1));
    assert_eq!(
        all_ids(store, "t_1", &CallFilter::default(), 10),
        ["c_recent", "c_live"]
    );
    let entries = store.audit_entries("t_1", &page(None, 10)).expect("listed");
    assert_eq!(entries.items, vec![entry]);
    let again = TenantSweep::new(&tenant, &retention, now, RETENTION_ACTOR)
        .expect("a sweep")
        .expect("the tenant has a retention")
        .run(store.store())
        .expect("swept");
    assert_eq!(again.calls_deleted, 0);
    let entries = store.audit_entries("t_1", &page(None, 10)).expect("listed");
    assert_eq!(
        entries.items.len(),
        1,
        "a sweep that deleted nothing stores nothing"
    );
}

/// Newest first within the tenant; a put with the same id replaces the entry.
pub fn audit_entries_are_listed_newest_first_per_tenant_and_replaced_in_place(store: &dyn Backend) {
    let entry = |tenant: &str, at_ms: u64| {
        AuditEntry::new(
            tenant,
            OPERATOR_ACTOR,
            AuditAction::DeleteCall,
            format!("c_{at_ms}"),
            at_ms,
        )
        .expect("a fresh entry")
    };
    let mut first = entry("t_1", 10);
    store.put_audit_entry(&first).expect("stored");
    store.put_audit_entry(&entry("t_1", 30)).expect("stored");
    store.put_audit_entry(&entry("t_1", 20)).expect("stored");
    store.put_audit_entry(&entry("t_12", 40)).expect("stored");
    first.calls_deleted = 3;
    store.put_audit_entry(&first).expect("replaced");
    let mut subjects = Vec::new();
    let mut after = None;
    loop {
        let listed = store.audit_entries("t_1", &page(after, 2)).expect("listed");
        subjects.extend(listed.items.iter().map(|e| e.subject.clone()));
        match listed.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(subjects, ["c_30", "c_20", "c_10"]);
    let all = store.audit_entries("t_1", &page(None, 10)).expect("listed");
    assert_eq!(all.items.last(), Some(&first));
    assert!(
        store
            .audit_entries("t_", &page(None, 10))
            .expect("listed")
            .items
            .is_empty()
    );
    let mut bad = entry("t_1", 1);
    bad.id = "a/../b".into();
    assert!(store.put_audit_entry(&bad).is_err());
}
