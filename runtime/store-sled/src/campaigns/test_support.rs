//! Records the campaign tests build on.

use crate::SledStore;
use huashu_store::PageRequest;
use huashu_store::campaigns::{
    Attempt, Campaign, CampaignStore, Contact, DncEntry, DncScope, DncSource, NewContact,
    WebhookDelivery, WebhookEvent, WebhookState,
};

pub fn page(after: Option<String>, limit: usize) -> PageRequest {
    PageRequest { after, limit }
}

/// A draft campaign of `tenant_id` created at `created_at_ms`.
pub fn campaign(tenant_id: &str, id: &str, created_at_ms: u64) -> Campaign {
    Campaign {
        caller_ids: vec!["+8610012345678".into()],
        max_concurrent_calls: 50,
        max_calls_per_second: 5,
        ..Campaign::draft(
            id,
            tenant_id,
            "Birthday coupons",
            "birthday",
            "carrier",
            created_at_ms,
        )
    }
}

pub fn new_contact(number: &str) -> NewContact {
    NewContact {
        number: number.into(),
        reference: Some(format!("crm-{number}")),
        variables: vec![("name".into(), "Li Lei".into())],
        time_zone: None,
    }
}

/// Adds one contact of `number`, due at 0, and answers it as stored.
pub fn add(store: &SledStore, campaign_id: &str, number: &str) -> Contact {
    let seqs = store
        .add_contacts(campaign_id, &[new_contact(number)], 0)
        .unwrap();
    let seq = seqs[0].expect("a number new to the campaign");
    store.contact(campaign_id, seq).unwrap().unwrap()
}

/// The next attempt at `contact`, counted at `at_ms`, still open.
pub fn attempt_for(contact: &Contact, at_ms: u64) -> Attempt {
    Attempt {
        campaign_id: contact.campaign_id.clone(),
        tenant_id: "t_1".into(),
        contact_seq: contact.seq,
        number: contact.attempts + 1,
        to: contact.number.clone(),
        from: "+8610012345678".into(),
        call_id: None,
        started_at_ms: at_ms,
        ended_at_ms: None,
        outcome: None,
        sip_code: None,
        error: None,
        talk_secs: None,
    }
}

pub fn dnc_entry(scope: &DncScope, number: &str) -> DncEntry {
    DncEntry {
        scope: scope.clone(),
        number: number.into(),
        reason: "asked".into(),
        source: DncSource::Api,
        call_id: None,
        added_at_ms: 1,
    }
}

/// A pending delivery queued at `created_at_ms`, first tried at `next_try_at_ms`.
pub fn webhook(
    id: &str,
    tenant_id: &str,
    campaign_id: &str,
    created_at_ms: u64,
    next_try_at_ms: u64,
) -> WebhookDelivery {
    WebhookDelivery {
        id: id.into(),
        tenant_id: tenant_id.into(),
        campaign_id: campaign_id.into(),
        event: WebhookEvent::ContactFinished,
        url: "https://crm.example/hook".into(),
        body: "{}".into(),
        created_at_ms,
        state: WebhookState::Pending,
        tries: 0,
        next_try_at_ms,
        last_status: None,
        last_error: None,
        delivered_at_ms: None,
    }
}
