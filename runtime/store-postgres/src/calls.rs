//! Call summaries, records and recordings.
//!
//! One row of `calls` per call: the summary's JSON with the columns listings filter and
//! sort on, and the record's JSON bytes as given. Listings read newest first through the
//! `(tenant, created desc, call id)` index, filters applied by the database; the calls
//! still live are found through a partial index that holds only them. Recordings are rows
//! of `recordings`. Deleting calls is in [`deletion`](crate::deletion).

use huashu_store::{
    CallFilter, CallStatus, CallSummary, Page, PageRequest, StoreError, valid_name,
};

use crate::sql::{
    backend, big, decode_time_cursor, empty_page, encode_time_cursor, from_json, limit_plus_one,
    page_of, to_json,
};
use crate::tenants::refuse;
use crate::worker::Worker;

/// How a status is kept in the `status` column (as it reads in JSON).
pub fn status_text(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Live => "live",
        CallStatus::Completed => "completed",
        CallStatus::Failed => "failed",
        CallStatus::Interrupted => "interrupted",
        CallStatus::Unanswered => "unanswered",
    }
}

/// A bound from a filter, clamped into bigint (no real time is past it).
fn bound(ms: Option<u64>) -> Option<i64> {
    ms.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX))
}

pub fn put(worker: &Worker, call: &CallSummary, record_json: &[u8]) -> Result<(), StoreError> {
    if !valid_name(&call.tenant_id) || !valid_name(&call.call_id) {
        return Err(refuse(
            "call",
            &format!("{}/{}", call.tenant_id, call.call_id),
        ));
    }
    let created = big(call.created_at_ms, "call creation time")?;
    let ended = call
        .ended_at_ms
        .map(|ms| big(ms, "call end time"))
        .transpose()?;
    let (summary, record, call) = (to_json(call)?, record_json.to_vec(), call.clone());
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO calls (tenant_id, call_id, created_at_ms, ended_at_ms, status,
                     module, intent, callee, campaign_id, tags, summary, record)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (tenant_id, call_id) DO UPDATE SET
                     created_at_ms = EXCLUDED.created_at_ms, ended_at_ms = EXCLUDED.ended_at_ms,
                     status = EXCLUDED.status, module = EXCLUDED.module,
                     intent = EXCLUDED.intent, callee = EXCLUDED.callee,
                     campaign_id = EXCLUDED.campaign_id, tags = EXCLUDED.tags,
                     summary = EXCLUDED.summary, record = EXCLUDED.record",
                &[
                    &call.tenant_id,
                    &call.call_id,
                    &created,
                    &ended,
                    &status_text(call.status),
                    &call.module,
                    &call.intent,
                    &call.callee,
                    &call.campaign_id,
                    &call.tags,
                    &summary,
                    &record,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    })
}

pub fn get(
    worker: &Worker,
    tenant_id: &str,
    call_id: &str,
) -> Result<Option<(CallSummary, Vec<u8>)>, StoreError> {
    if !valid_name(tenant_id) || !valid_name(call_id) {
        return Ok(None);
    }
    let (tenant_id, call_id) = (tenant_id.to_owned(), call_id.to_owned());
    worker.run(move |client| async move {
        let row = client
            .query_opt(
                "SELECT summary, record FROM calls WHERE tenant_id = $1 AND call_id = $2",
                &[&tenant_id, &call_id],
            )
            .await
            .map_err(backend)?;
        row.map(|row| {
            let summary = from_json(row.get(0), || format!("call {tenant_id}/{call_id}"))?;
            Ok((summary, row.get(1)))
        })
        .transpose()
    })
}

/// Newest first (ties by call id), filtered by the database.
pub fn list(
    worker: &Worker,
    tenant_id: &str,
    filter: &CallFilter,
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
    let (tenant_id, filter, limit) = (tenant_id.to_owned(), filter.clone(), page.limit.max(1));
    worker.run(move |client| async move {
        let status = filter.status.map(status_text);
        let rows = client
            .query(
                "SELECT summary, created_at_ms, call_id FROM calls
                 WHERE tenant_id = $1
                   AND ($2::text IS NULL OR module = $2)
                   AND ($3::text IS NULL OR lower(intent) = lower($3))
                   AND ($4::text IS NULL OR status = $4)
                   AND ($5::bigint IS NULL OR created_at_ms >= $5)
                   AND ($6::bigint IS NULL OR created_at_ms < $6)
                   AND ($7::text IS NULL OR callee = $7)
                   AND ($8::text IS NULL OR campaign_id = $8)
                   AND ($9::text IS NULL OR $9 = ANY(tags))
                   AND ($10::bigint IS NULL OR created_at_ms < $10
                        OR (created_at_ms = $10 AND call_id > $11::text))
                 ORDER BY created_at_ms DESC, call_id
                 LIMIT $12",
                &[
                    &tenant_id,
                    &filter.module,
                    &filter.intent,
                    &status,
                    &bound(filter.since_ms),
                    &bound(filter.until_ms),
                    &filter.callee,
                    &filter.campaign,
                    &filter.tag,
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

/// Every call still marked live, across tenants.
pub fn live(worker: &Worker) -> Result<Vec<CallSummary>, StoreError> {
    worker.run(|client| async move {
        let rows = client
            .query(
                "SELECT tenant_id, call_id, summary FROM calls WHERE status = 'live'",
                &[],
            )
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                from_json(row.get(2), || {
                    format!(
                        "live call {}/{}",
                        row.get::<_, &str>(0),
                        row.get::<_, &str>(1)
                    )
                })
            })
            .collect()
    })
}

pub fn put_recording(
    worker: &Worker,
    tenant_id: &str,
    call_id: &str,
    wav: &[u8],
) -> Result<(), StoreError> {
    if !valid_name(tenant_id) || !valid_name(call_id) {
        return Err(refuse("recording", &format!("{tenant_id}/{call_id}")));
    }
    let (tenant_id, call_id, wav) = (tenant_id.to_owned(), call_id.to_owned(), wav.to_vec());
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO recordings (tenant_id, call_id, wav) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant_id, call_id) DO UPDATE SET wav = EXCLUDED.wav",
                &[&tenant_id, &call_id, &wav],
            )
            .await
            .map_err(backend)?;
        Ok(())
    })
}

pub fn recording(
    worker: &Worker,
    tenant_id: &str,
    call_id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    if !valid_name(tenant_id) || !valid_name(call_id) {
        return Ok(None);
    }
    let (tenant_id, call_id) = (tenant_id.to_owned(), call_id.to_owned());
    worker.run(move |client| async move {
        let row = client
            .query_opt(
                "SELECT wav FROM recordings WHERE tenant_id = $1 AND call_id = $2",
                &[&tenant_id, &call_id],
            )
            .await
            .map_err(backend)?;
        Ok(row.map(|row| row.get(0)))
    })
}
