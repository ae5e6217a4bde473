//! Deleting calls, the scans that find what to delete, and the audit of deletions.
//!
//! A call is deleted in one transaction with the audit entry that counts it: its row is
//! locked (`FOR UPDATE`) and its status read there, so a live call is never deleted, then
//! the call, its recording and the updated entry are written together. A crash leaves a
//! call either whole and uncounted or gone and counted. The scans page with cursors that
//! are sort keys, so deleting what a page returned does not move the next page. Audit
//! entries (table `audit`) are listed newest first and never swept.

use huashu_store::{
    AuditEntry, CallDeletion, CallSummary, Page, PageRequest, StoreError, valid_name,
};

use crate::sql::{
    backend, big, decode_cursor, decode_time_cursor, empty_page, encode_cursor, encode_time_cursor,
    from_json, limit_plus_one, page_of, to_json,
};
use crate::tenants::refuse;
use crate::worker::Worker;

/// `entry` with one more call deleted, and its recording if `recording`.
fn counted(entry: &AuditEntry, recording: bool) -> AuditEntry {
    AuditEntry {
        calls_deleted: entry.calls_deleted + 1,
        recordings_deleted: entry.recordings_deleted + u64::from(recording),
        ..entry.clone()
    }
}

const PUT_AUDIT: &str = "INSERT INTO audit (id, tenant_id, at_ms, doc) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc";

fn check_entry(entry: &AuditEntry) -> Result<i64, StoreError> {
    if !valid_name(&entry.tenant_id) || !valid_name(&entry.id) {
        return Err(refuse(
            "audit entry",
            &format!("{}/{}", entry.tenant_id, entry.id),
        ));
    }
    big(entry.at_ms, "audit entry time")
}

/// Deletes each call of `audit.tenant_id`, each in its own transaction with the entry
/// counting it; `audit` is updated as each commits.
pub fn delete_calls(
    worker: &Worker,
    audit: &mut AuditEntry,
    call_ids: &[String],
) -> Result<Vec<CallDeletion>, StoreError> {
    let at_ms = check_entry(audit)?;
    let (entry, call_ids) = (audit.clone(), call_ids.to_vec());
    let (outcomes, entry) = worker.run(move |mut client| async move {
        let mut entry = entry;
        let mut outcomes = Vec::with_capacity(call_ids.len());
        for call_id in &call_ids {
            if !valid_name(call_id) {
                outcomes.push(CallDeletion::Missing);
                continue;
            }
            let tenant_id = &entry.tenant_id;
            let transaction = client.transaction().await.map_err(backend)?;
            let row = transaction
                .query_opt(
                    "SELECT status FROM calls WHERE tenant_id = $1 AND call_id = $2 FOR UPDATE",
                    &[tenant_id, call_id],
                )
                .await
                .map_err(backend)?;
            let outcome = match row.map(|row| row.get::<_, String>(0)) {
                None => CallDeletion::Missing,
                Some(status) if status == "live" => CallDeletion::Live,
                Some(_) => {
                    transaction
                        .execute(
                            "DELETE FROM calls WHERE tenant_id = $1 AND call_id = $2",
                            &[tenant_id, call_id],
                        )
                        .await
                        .map_err(backend)?;
                    let recording = transaction
                        .execute(
                            "DELETE FROM recordings WHERE tenant_id = $1 AND call_id = $2",
                            &[tenant_id, call_id],
                        )
                        .await
                        .map_err(backend)?
                        == 1;
                    let next = counted(&entry, recording);
                    transaction
                        .execute(
                            PUT_AUDIT,
                            &[&next.id, &next.tenant_id, &at_ms, &to_json(&next)?],
                        )
                        .await
                        .map_err(backend)?;
                    CallDeletion::Deleted { recording }
                }
            };
            transaction.commit().await.map_err(backend)?;
            if let CallDeletion::Deleted { recording } = outcome {
                entry = counted(&entry, recording);
            }
            outcomes.push(outcome);
        }
        Ok((outcomes, entry))
    })?;
    *audit = entry;
    Ok(outcomes)
}

/// Not live, and ended (or created, if it never ended) before `cutoff_ms`: oldest first.
pub fn calls_ended_before(
    worker: &Worker,
    tenant_id: &str,
    cutoff_ms: u64,
    page: &PageRequest,
) -> Result<Page<CallSummary>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(empty_page());
    }
    let (after_ms, after_id) = match &page.after {
        Some(cursor) => match decode_time_cursor(cursor) {
            Some((ms, id)) => (Some(ms), Some(id)),
            None => return Ok(empty_page()),
        },
        None => (None, None),
    };
    let cutoff = i64::try_from(cutoff_ms).unwrap_or(i64::MAX);
    let (tenant_id, limit) = (tenant_id.to_owned(), page.limit.max(1));
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT summary, created_at_ms, call_id FROM calls
                 WHERE tenant_id = $1 AND status <> 'live'
                   AND created_at_ms < $2 AND COALESCE(ended_at_ms, created_at_ms) < $2
                   AND ($3::bigint IS NULL OR created_at_ms > $3
                        OR (created_at_ms = $3 AND call_id < $4::text))
                 ORDER BY created_at_ms, call_id DESC
                 LIMIT $5",
                &[
                    &tenant_id,
                    &cutoff,
                    &after_ms,
                    &after_id,
                    &limit_plus_one(limit),
                ],
            )
            .await
            .map_err(backend)?;
        let calls = rows
            .iter()
            .map(|row| {
                let summary = from_json(row.get(0), || format!("a call of {tenant_id}"))?;
                Ok((summary, row.get::<_, i64>(1)))
            })
            .collect::<Result<Vec<(CallSummary, i64)>, StoreError>>()?;
        let page = page_of(calls, limit, |(call, ms)| {
            encode_time_cursor(*ms, &call.call_id)
        });
        Ok(Page {
            items: page.items.into_iter().map(|(call, _)| call).collect(),
            next: page.next,
        })
    })
}

/// Summaries with their records, in call id order.
pub fn call_records(
    worker: &Worker,
    tenant_id: &str,
    page: &PageRequest,
) -> Result<Page<(CallSummary, Vec<u8>)>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(empty_page());
    }
    let after = match &page.after {
        Some(cursor) => match decode_cursor(cursor) {
            Some(after) => after,
            None => return Ok(empty_page()),
        },
        None => String::new(),
    };
    let (tenant_id, limit) = (tenant_id.to_owned(), page.limit.max(1));
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT summary, record FROM calls WHERE tenant_id = $1 AND call_id > $2
                 ORDER BY call_id LIMIT $3",
                &[&tenant_id, &after, &limit_plus_one(limit)],
            )
            .await
            .map_err(backend)?;
        let calls = rows
            .iter()
            .map(|row| {
                let summary = from_json(row.get(0), || format!("a call of {tenant_id}"))?;
                Ok((summary, row.get(1)))
            })
            .collect::<Result<Vec<(CallSummary, Vec<u8>)>, StoreError>>()?;
        Ok(page_of(calls, limit, |(call, _)| {
            encode_cursor(&call.call_id)
        }))
    })
}

/// Creates or replaces `entry`.
pub fn put_audit_entry(worker: &Worker, entry: &AuditEntry) -> Result<(), StoreError> {
    let at_ms = check_entry(entry)?;
    let (doc, entry) = (to_json(entry)?, entry.clone());
    worker.run(move |client| async move {
        client
            .execute(PUT_AUDIT, &[&entry.id, &entry.tenant_id, &at_ms, &doc])
            .await
            .map_err(backend)?;
        Ok(())
    })
}

/// Newest first (ties by id).
pub fn audit_entries(
    worker: &Worker,
    tenant_id: &str,
    page: &PageRequest,
) -> Result<Page<AuditEntry>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(empty_page());
    }
    let (after_ms, after_id) = match &page.after {
        Some(cursor) => match decode_time_cursor(cursor) {
            Some((ms, id)) => (Some(ms), Some(id)),
            None => return Ok(empty_page()),
        },
        None => (None, None),
    };
    let (tenant_id, limit) = (tenant_id.to_owned(), page.limit.max(1));
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT doc, at_ms FROM audit WHERE tenant_id = $1
                   AND ($2::bigint IS NULL OR at_ms < $2 OR (at_ms = $2 AND id > $3::text))
                 ORDER BY at_ms DESC, id LIMIT $4",
                &[&tenant_id, &after_ms, &after_id, &limit_plus_one(limit)],
            )
            .await
            .map_err(backend)?;
        let entries = rows
            .iter()
            .map(|row| {
                let entry = from_json(row.get(0), || format!("audit entry of {tenant_id}"))?;
                Ok((entry, row.get::<_, i64>(1)))
            })
            .collect::<Result<Vec<(AuditEntry, i64)>, StoreError>>()?;
        let page = page_of(entries, limit, |(entry, ms)| {
            encode_time_cursor(*ms, &entry.id)
        });
        Ok(Page {
            items: page.items.into_iter().map(|(entry, _)| entry).collect(),
            next: page.next,
        })
    })
}
