//! Tenant endpoints that delete call data on request: one call (`DELETE /v1/calls/{id}`),
//! or everything the tenant keeps about one telephone number (`POST /v1/erasures`), as
//! privacy law (PIPL, GDPR) lets a customer ask. Each deletion is audited under the key that
//! asked for it.
//!
//! An erasure reads the tenant's records a batch at a time on the blocking pool, deletes
//! the matches of each batch with one flush, and answers once everything is on disk; it
//! runs to its end even if the client goes away. It
//! finds a number where the store keeps one: the parties of the call's record
//! (`call.caller`, `call.callee`) and, for telephone calls never answered, the summary's
//! call progress (`from`, `to`). Then, when the server runs campaigns and the number is
//! E.164, it erases the number from the tenant's campaigns
//! ([`CampaignStore::erase_number`]): the contact's number and details, its attempts'
//! numbers and the webhook reports that hold it; a pending contact is finished unreached.
//! The do-not-call lists and the platform's 24-hour dial log keep the number: the first is
//! the customer's objection honoured, the second is shared by all tenants and forgets it
//! within a day. What the tenant's scripts wrote to key-value is not searched: only the
//! tenant knows which keys hold a number.

use std::sync::Arc;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::TenantKey;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
use huashu_store::audit::tenant_key_actor;
use huashu_store::campaigns::CampaignStore;
use huashu_store::secrets::{now_ms, sha256_hex};
use huashu_store::{
    AuditAction, AuditEntry, CallDeletion, CallStatus, CallSummary, PageRequest, Store, StoreError,
    normalize_e164,
};

/// Records read per batch of an erasure. A record is a few KB to a few hundred (a long
/// call's timeline), so a batch reads at most some tens of MB and takes a fraction of a
/// second; between batches other writers get their turn.
const ERASURE_BATCH: usize = 200;

/// Longest number an erasure takes, in bytes: E.164 numbers are 16, SIP user parts a few
/// dozen.
const MAX_NUMBER_BYTES: usize = 128;

/// `DELETE /v1/calls/{id}`: the call with its record and recording. 409 while it is live:
/// its record is written when it ends.
pub async fn delete_call(
    TenantKey { tenant, key_id }: TenantKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut audit = AuditEntry::new(
        &tenant.id,
        &tenant_key_actor(&key_id),
        AuditAction::DeleteCall,
        id.clone(),
        now_ms(),
    )?;
    let store = state.store.clone();
    let call_id = id.clone();
    let deleted = off_worker(move || store.delete_calls(&mut audit, &[call_id])).await?;
    match deleted.first() {
        Some(CallDeletion::Deleted { .. }) => Ok(StatusCode::NO_CONTENT),
        Some(CallDeletion::Live) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "call_live",
            format!("call `{id}` is live; delete it once it has ended"),
        )),
        Some(CallDeletion::Missing) | None => Err(ApiError::not_found(format!("no call `{id}`"))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    number: String,
}

#[derive(Debug, Serialize)]
pub struct ErasureView {
    /// The audit entry's id.
    erasure_id: String,
    number_sha256: String,
    calls_deleted: u64,
    recordings_deleted: u64,
    /// The tenant's calls that were live during the erasure: their records are written
    /// when they end, so they could not be looked into. If one may be with this customer,
    /// erase again once it has ended.
    live_calls_skipped: u64,
    /// Campaign contacts with the number whose number and details were erased.
    contacts_erased: u64,
    /// Campaign contacts with the number that were being dialled: their call is live, so
    /// they were left as they are. Erase again once it has ended.
    contacts_skipped_dialing: u64,
    at_ms: u64,
}

/// `POST /v1/erasures`: deletes every call of the tenant with this number, and erases it
/// from the tenant's campaigns.
pub async fn erase_number(
    TenantKey { tenant, key_id }: TenantKey,
    State(state): State<AppState>,
    Json(body): Json<ErasureRequest>,
) -> ApiResult<JsonResponse<ErasureView>> {
    let number = NumberMatch::new(&body.number)?;
    let audit = AuditEntry::new(
        &tenant.id,
        &tenant_key_actor(&key_id),
        AuditAction::EraseNumber,
        number.sha256(),
        now_ms(),
    )?;
    let campaigns = state.campaigns.as_ref().map(|c| c.store().clone());
    // A task of its own: an erasure runs to its end even if the client goes away.
    let erased = tokio::spawn(erase(state.store.clone(), campaigns, audit, number))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })??;
    let audit = erased.audit;
    Ok(JsonResponse(ErasureView {
        erasure_id: audit.id,
        number_sha256: audit.subject,
        calls_deleted: audit.calls_deleted,
        recordings_deleted: audit.recordings_deleted,
        live_calls_skipped: erased.live_calls_skipped,
        contacts_erased: audit.contacts_erased,
        contacts_skipped_dialing: erased.contacts_skipped_dialing,
        at_ms: audit.at_ms,
    }))
}

/// What an erasure came to: its audit entry (as stored), and what it had to pass over.
struct Erased {
    audit: AuditEntry,
    live_calls_skipped: u64,
    contacts_skipped_dialing: u64,
}

/// Deletes the calls of `audit.tenant_id` with `number`, a batch at a time on the blocking
/// pool, counting them into `audit`; erases the number from the tenant's campaigns, if the
/// server runs any and the number is E.164 (what campaigns store); and stores the entry.
async fn erase(
    store: Arc<dyn Store>,
    campaigns: Option<Arc<dyn CampaignStore>>,
    mut audit: AuditEntry,
    number: NumberMatch,
) -> ApiResult<Erased> {
    let mut after = None;
    let mut live_calls_skipped = 0;
    loop {
        let (store, number) = (store.clone(), number.clone());
        let batch = move || -> Result<_, StoreError> {
            let page = PageRequest {
                after,
                limit: ERASURE_BATCH,
            };
            let page = store.call_records(&audit.tenant_id, &page)?;
            let (live, ended): (Vec<_>, Vec<_>) = page
                .items
                .iter()
                .partition(|(summary, _)| summary.status == CallStatus::Live);
            let ids: Vec<String> = ended
                .into_iter()
                .filter(|(summary, record)| number.matches_call(summary, record))
                .map(|(summary, _)| summary.call_id.clone())
                .collect();
            if !ids.is_empty() {
                // An ended call is never live again: each is deleted, unless another
                // request deleted it first.
                store.delete_calls(&mut audit, &ids)?;
            }
            Ok((audit, page.next, live.len() as u64))
        };
        let (entry, next, live) = off_worker(batch).await?;
        audit = entry;
        live_calls_skipped += live;
        match next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    let mut contacts_skipped_dialing = 0;
    if let (Some(campaigns), Some(e164)) = (campaigns, number.e164.clone()) {
        let tenant_id = audit.tenant_id.clone();
        let contacts = off_worker(move || campaigns.erase_number(&tenant_id, &e164)).await?;
        audit.contacts_erased = contacts.contacts_erased;
        contacts_skipped_dialing = contacts.contacts_skipped_dialing;
    }
    // Stored even when nothing matched: the request itself is on the record.
    let entry = audit.clone();
    off_worker(move || store.put_audit_entry(&entry)).await?;
    Ok(Erased {
        audit,
        live_calls_skipped,
        contacts_skipped_dialing,
    })
}

/// A number to erase: as given (trimmed), and in E.164 when it is one, so
/// `+86 138 0013 8000` finds a call stored with `008613800138000`.
#[derive(Debug, Clone)]
struct NumberMatch {
    raw: String,
    e164: Option<String>,
}

impl NumberMatch {
    fn new(number: &str) -> ApiResult<Self> {
        let raw = number.trim();
        if raw.is_empty() || raw.len() > MAX_NUMBER_BYTES {
            return Err(ApiError::bad_request(format!(
                "`number` must be 1 to {MAX_NUMBER_BYTES} bytes, e.g. \"+8613800138000\""
            )));
        }
        Ok(Self {
            raw: raw.to_owned(),
            e164: normalize_e164(raw),
        })
    }

    /// Hex SHA-256 of the number in E.164, or as given if it is not one: what the audit
    /// keeps instead of the number.
    fn sha256(&self) -> String {
        sha256_hex(self.e164.as_deref().unwrap_or(&self.raw))
    }

    fn matches(&self, stored: &str) -> bool {
        let stored = stored.trim();
        !stored.is_empty()
            && (stored == self.raw
                || self
                    .e164
                    .as_ref()
                    .is_some_and(|e164| normalize_e164(stored).as_ref() == Some(e164)))
    }

    /// Whether the call's record or its call progress names the number as a party.
    fn matches_call(&self, summary: &CallSummary, record: &[u8]) -> bool {
        let in_progress = summary
            .progress
            .as_ref()
            .is_some_and(|p| self.matches(&p.from) || self.matches(&p.to));
        // A record that is `null` (a call that never started) or not a call record names
        // no party.
        in_progress
            || serde_json::from_slice::<RecordParties>(record)
                .is_ok_and(|r| self.matches(&r.call.caller) || self.matches(&r.call.callee))
    }
}

/// The part of a call record (`huashu_session::CallRecord`) an erasure reads.
#[derive(Debug, Deserialize)]
struct RecordParties {
    call: Parties,
}

#[derive(Debug, Deserialize)]
struct Parties {
    #[serde(default)]
    caller: String,
    #[serde(default)]
    callee: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_store::{CallProgress, CallStatus, ProgressState};

    fn summary(progress: Option<(&str, &str)>) -> CallSummary {
        CallSummary {
            call_id: "c_1".into(),
            tenant_id: "t_1".into(),
            module: "bot".into(),
            module_version: 1,
            status: CallStatus::Unanswered,
            created_at_ms: 1,
            ended_at_ms: Some(2),
            intent: None,
            disposition: None,
            has_recording: false,
            progress: progress.map(|(from, to)| CallProgress {
                state: ProgressState::Busy,
                sip_code: Some(486),
                trunk: None,
                from: from.into(),
                to: to.into(),
                dialed_at_ms: 1,
                ringing_at_ms: None,
                answered_at_ms: None,
            }),
            opted_out: false,
            callee: None,
            campaign_id: None,
            tags: Vec::new(),
        }
    }

    fn record(caller: &str, callee: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "call": { "call_id": "c_1", "caller": caller, "callee": callee },
            "timeline": [], "transcript": [],
        }))
        .unwrap()
    }

    #[test]
    fn a_number_matches_the_parties_in_any_e164_spelling_or_exactly_as_stored() {
        let number = NumberMatch::new(" +86 138 0013 8000 ").unwrap();
        let none = summary(None);
        assert!(number.matches_call(&none, &record("+8613800138000", "")));
        assert!(number.matches_call(&none, &record("+1415", "008613800138000")));
        assert!(!number.matches_call(&none, &record("+8613800138001", "")));
        assert!(!number.matches_call(&none, &record("", "")));
        assert!(!number.matches_call(&none, b"null"));
        // A number that is not E.164 matches only as written.
        let national = NumberMatch::new("13800138000").unwrap();
        assert!(national.matches_call(&none, &record("13800138000", "")));
        assert!(!national.matches_call(&none, &record("+8613800138000", "")));
        // A telephone call never answered has only its progress.
        assert!(number.matches_call(&summary(Some(("+1415", "+8613800138000"))), b"null"));
        assert!(!number.matches_call(&summary(Some(("+1415", "+1416"))), b"null"));
    }

    #[test]
    fn the_audit_keeps_the_hash_of_the_e164_form_never_the_number() {
        let a = NumberMatch::new("+86 138-0013-8000").unwrap();
        let b = NumberMatch::new("008613800138000").unwrap();
        assert_eq!(a.sha256(), b.sha256());
        assert_eq!(a.sha256(), sha256_hex("+8613800138000"));
        assert!(!a.sha256().contains("13800138000"));
        assert!(NumberMatch::new("  ").is_err());
        assert!(NumberMatch::new(&"1".repeat(MAX_NUMBER_BYTES + 1)).is_err());
    }
}
