//! The JSON bodies a campaign's webhook receives, and the outbox entry that carries one.
//!
//! A body is built once, when the event happens, and stored as the exact bytes that are
//! signed and sent on every try: a retry three days later reports the same thing. Fields
//! keep the order below, names are snake_case, absent values are `null`, times are
//! RFC 3339 in UTC with milliseconds.
//!
//! ```text
//! {
//!   "id": "wh_…",                       the delivery id (also the Huashu-Webhook-Id header)
//!   "event": "contact.finished",        or "call.ended"
//!   "created_at": "2026-03-01T09:30:12.345Z",
//!   "campaign": { "id": "cp_…", "name": "Birthday coupons" },
//!   "contact": {
//!     "seq": 17,                        import order, unique in the campaign
//!     "number": "+8613800138000",
//!     "reference": "crm-4411",          the tenant's own id, or null
//!     "variables": { "name": "Li" },    as imported (names in sorted order)
//!     "result": "answered",             null while not finished (call.ended on a retry)
//!     "attempts": 2,                    attempts counted so far
//!     "intent": "A", "disposition": "interested",   set by the script, or null
//!     "tags": ["vip"], "fields": { "coupon": "C-99" },
//!     "last_call_id": "call_…"
//!   },
//!   "attempts": [ attempt, … ]          contact.finished only: every attempt, first to last
//!   "attempt": attempt                  call.ended only: the attempt that ended
//! }
//! attempt = { "number": 1, "call_id": "call_…" | null, "outcome": "no-answer" | null,
//!             "sip_code": 480 | null, "started_at": "…", "ended_at": "…" | null,
//!             "talk_secs": 42 | null }
//! ```
//!
//! Results and outcomes use the API's names (`answered`, `busy`, `no-answer`, `rejected`,
//! `invalid-number`, `unavailable`, `failed`, `do-not-call`, `not-called`, `interrupted`).

use std::collections::BTreeMap;

use huashu_store::StoreError;
use huashu_store::campaigns::{
    Attempt, Campaign, Contact, WebhookDelivery, WebhookEvent, WebhookState,
};
use serde::Serialize;

/// Hex digits of randomness in a delivery id (`wh_` + 16 hex): unique enough for a
/// receiver to deduplicate on, short enough to read in a log.
const DELIVERY_ID_BYTES: usize = 8;

/// A fresh delivery id, `wh_` and 16 hex digits.
pub fn new_delivery_id() -> Result<String, StoreError> {
    huashu_store::secrets::random_id("wh_", DELIVERY_ID_BYTES)
}

/// The `contact.finished` body: the contact's final result and every attempt made.
pub fn contact_finished(
    campaign: &Campaign,
    contact: &Contact,
    attempts: &[Attempt],
    delivery_id: &str,
    now_ms: u64,
) -> String {
    to_json(&Body {
        id: delivery_id,
        event: WebhookEvent::ContactFinished.as_str(),
        created_at: rfc3339(now_ms),
        campaign: CampaignJson::of(campaign),
        contact: ContactJson::of(contact),
        attempts: Some(attempts.iter().map(AttemptJson::of).collect()),
        attempt: None,
    })
}

/// The `call.ended` body: one attempt that ended, and where its contact stands after it.
pub fn call_ended(
    campaign: &Campaign,
    contact: &Contact,
    attempt: &Attempt,
    delivery_id: &str,
    now_ms: u64,
) -> String {
    to_json(&Body {
        id: delivery_id,
        event: WebhookEvent::CallEnded.as_str(),
        created_at: rfc3339(now_ms),
        campaign: CampaignJson::of(campaign),
        contact: ContactJson::of(contact),
        attempts: None,
        attempt: Some(AttemptJson::of(attempt)),
    })
}

/// The outbox entry for `body` (built with the same `id`): pending, never tried, due now,
/// addressed to the campaign's webhook URL. The caller queues it only for a campaign that
/// has a webhook; without one the URL is empty and the outbox fails the delivery, saying
/// the webhook was removed.
pub fn new_delivery(
    campaign: &Campaign,
    event: WebhookEvent,
    body: String,
    id: String,
    now_ms: u64,
) -> WebhookDelivery {
    WebhookDelivery {
        id,
        tenant_id: campaign.tenant_id.clone(),
        campaign_id: campaign.id.clone(),
        event,
        url: campaign
            .webhook
            .as_ref()
            .map(|webhook| webhook.url.clone())
            .unwrap_or_default(),
        body,
        created_at_ms: now_ms,
        state: WebhookState::Pending,
        tries: 0,
        next_try_at_ms: now_ms,
        last_status: None,
        last_error: None,
        delivered_at_ms: None,
    }
}

#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    event: &'static str,
    created_at: String,
    campaign: CampaignJson<'a>,
    contact: ContactJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<Vec<AttemptJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<AttemptJson<'a>>,
}

#[derive(Serialize)]
struct CampaignJson<'a> {
    id: &'a str,
    name: &'a str,
}

impl<'a> CampaignJson<'a> {
    fn of(campaign: &'a Campaign) -> Self {
        Self {
            id: &campaign.id,
            name: &campaign.name,
        }
    }
}

#[derive(Serialize)]
struct ContactJson<'a> {
    seq: u64,
    number: &'a str,
    reference: Option<&'a str>,
    variables: BTreeMap<&'a str, &'a str>,
    result: Option<&'static str>,
    attempts: u32,
    intent: Option<&'a str>,
    disposition: Option<&'a str>,
    tags: &'a [String],
    fields: BTreeMap<&'a str, &'a str>,
    last_call_id: Option<&'a str>,
}

impl<'a> ContactJson<'a> {
    fn of(contact: &'a Contact) -> Self {
        Self {
            seq: contact.seq,
            number: &contact.number,
            reference: contact.reference.as_deref(),
            variables: object(&contact.variables),
            result: contact.result.map(|result| result.as_str()),
            attempts: contact.attempts,
            intent: contact.intent.as_deref(),
            disposition: contact.disposition.as_deref(),
            tags: &contact.tags,
            fields: object(&contact.fields),
            last_call_id: contact.last_call_id.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct AttemptJson<'a> {
    number: u32,
    call_id: Option<&'a str>,
    outcome: Option<&'static str>,
    sip_code: Option<u16>,
    started_at: String,
    ended_at: Option<String>,
    talk_secs: Option<u64>,
}

impl<'a> AttemptJson<'a> {
    fn of(attempt: &'a Attempt) -> Self {
        Self {
            number: attempt.number,
            call_id: attempt.call_id.as_deref(),
            outcome: attempt.outcome.map(|outcome| outcome.as_str()),
            sip_code: attempt.sip_code,
            started_at: rfc3339(attempt.started_at_ms),
            ended_at: attempt.ended_at_ms.map(rfc3339),
            talk_secs: attempt.talk_secs,
        }
    }
}

/// Name/value pairs as a JSON object; a repeated name keeps its last value.
fn object(pairs: &[(String, String)]) -> BTreeMap<&str, &str> {
    pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

/// `ms` since the Unix epoch as RFC 3339 in UTC with milliseconds; a time past the year
/// 9999 (no real clock gives one) prints as the latest time RFC 3339 can hold.
fn rfc3339(ms: u64) -> String {
    let at = i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or(jiff::Timestamp::MAX);
    format!("{at:.3}")
}

fn to_json(body: &Body<'_>) -> String {
    // Only strings, numbers and string-keyed maps: serialising cannot fail.
    serde_json::to_string(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use huashu_store::campaigns::{
        AttemptOutcome, CampaignState, CampaignWebhook, ContactResult, ContactState, NewContact,
    };
    use serde_json::{Value, json};

    use super::*;

    /// 2026-03-01T09:30:12.345Z
    const NOW_MS: u64 = 1_772_357_412_345;

    fn campaign() -> Campaign {
        Campaign {
            webhook: Some(CampaignWebhook {
                url: "https://crm.example/hooks/huashu".into(),
                secret: "whsec_0123456789abcdef".into(),
                per_call: true,
            }),
            state: CampaignState::Running,
            ..Campaign::draft(
                "cp_0123456789abcdef",
                "t_1",
                "Birthday coupons",
                "birthday",
                "carrier",
                0,
            )
        }
    }

    fn finished_contact() -> Contact {
        let new = NewContact {
            number: "+8613800138000".into(),
            reference: Some("crm-4411".into()),
            variables: vec![("name".into(), "Li".into()), ("coupon".into(), "20".into())],
            time_zone: None,
        };
        let mut contact = Contact::new("cp_0123456789abcdef", 17, &new, 0);
        contact.state = ContactState::Done;
        contact.result = Some(ContactResult::Answered);
        contact.attempts = 2;
        contact.last_call_id = Some("call_2".into());
        contact.last_outcome = Some(AttemptOutcome::Answered);
        contact.intent = Some("A".into());
        contact.disposition = Some("interested".into());
        contact.tags = vec!["vip".into()];
        contact.fields = vec![("coupon_code".into(), "C-99".into())];
        contact
    }

    fn attempt(number: u32, outcome: AttemptOutcome, sip_code: u16) -> Attempt {
        Attempt {
            campaign_id: "cp_0123456789abcdef".into(),
            tenant_id: "t_1".into(),
            contact_seq: 17,
            number,
            to: "+8613800138000".into(),
            from: "+8610012345678".into(),
            call_id: Some(format!("call_{number}")),
            started_at_ms: NOW_MS - 60_000,
            ended_at_ms: Some(NOW_MS - 18_000),
            outcome: Some(outcome),
            sip_code: Some(sip_code),
            error: None,
            talk_secs: (outcome == AttemptOutcome::Answered).then_some(42),
        }
    }

    fn parse(body: &str) -> Value {
        serde_json::from_str(body).expect("the body is JSON")
    }

    #[test]
    fn contact_finished_reports_the_result_and_every_attempt() {
        let attempts = [
            attempt(1, AttemptOutcome::NoAnswer, 480),
            attempt(2, AttemptOutcome::Answered, 200),
        ];
        let body = contact_finished(
            &campaign(),
            &finished_contact(),
            &attempts,
            "wh_00112233aabbccdd",
            NOW_MS,
        );
        assert_eq!(
            parse(&body),
            json!({
                "id": "wh_00112233aabbccdd",
                "event": "contact.finished",
                "created_at": "2026-03-01T09:30:12.345Z",
                "campaign": { "id": "cp_0123456789abcdef", "name": "Birthday coupons" },
                "contact": {
                    "seq": 17,
                    "number": "+8613800138000",
                    "reference": "crm-4411",
                    "variables": { "coupon": "20", "name": "Li" },
                    "result": "answered",
                    "attempts": 2,
                    "intent": "A",
                    "disposition": "interested",
                    "tags": ["vip"],
                    "fields": { "coupon_code": "C-99" },
                    "last_call_id": "call_2"
                },
                "attempts": [
                    {
                        "number": 1, "call_id": "call_1", "outcome": "no-answer",
                        "sip_code": 480, "started_at": "2026-03-01T09:29:12.345Z",
                        "ended_at": "2026-03-01T09:29:54.345Z", "talk_secs": null
                    },
                    {
                        "number": 2, "call_id": "call_2", "outcome": "answered",
                        "sip_code": 200, "started_at": "2026-03-01T09:29:12.345Z",
                        "ended_at": "2026-03-01T09:29:54.345Z", "talk_secs": 42
                    }
                ]
            })
        );
    }

    #[test]
    fn call_ended_reports_one_attempt_and_no_list() {
        let mut contact = finished_contact();
        contact.state = ContactState::Pending;
        contact.result = None;
        let body = call_ended(
            &campaign(),
            &contact,
            &attempt(1, AttemptOutcome::Busy, 486),
            "wh_00112233aabbccdd",
            NOW_MS,
        );
        let value = parse(&body);
        assert_eq!(value["event"], "call.ended");
        assert_eq!(value["contact"]["result"], Value::Null);
        assert_eq!(value["attempt"]["outcome"], "busy");
        assert_eq!(value["attempt"]["sip_code"], 486);
        assert!(value.get("attempts").is_none(), "{body}");
    }

    #[test]
    fn fields_keep_their_documented_order() {
        let body = call_ended(
            &campaign(),
            &finished_contact(),
            &attempt(1, AttemptOutcome::Answered, 200),
            "wh_1",
            NOW_MS,
        );
        let keys = [
            "\"id\"",
            "\"event\"",
            "\"created_at\"",
            "\"campaign\"",
            "\"contact\"",
            "\"attempt\"",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|key| body.find(key).expect("every field is there"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
    }

    #[test]
    fn a_new_delivery_is_pending_untried_and_due_now() {
        let id = new_delivery_id().expect("randomness");
        assert!(id.starts_with("wh_") && id.len() == 3 + 16, "{id}");
        let delivery = new_delivery(
            &campaign(),
            WebhookEvent::ContactFinished,
            "{}".into(),
            id.clone(),
            NOW_MS,
        );
        assert_eq!(delivery.id, id);
        assert_eq!(delivery.url, "https://crm.example/hooks/huashu");
        assert_eq!(
            (delivery.tenant_id.as_str(), delivery.campaign_id.as_str()),
            ("t_1", "cp_0123456789abcdef")
        );
        assert_eq!(delivery.state, WebhookState::Pending);
        assert_eq!((delivery.tries, delivery.next_try_at_ms), (0, NOW_MS));
    }
}
