//! Erasing a customer's number from a tenant's campaigns.

use super::test_support::{add, attempt_for, campaign, dnc_entry, new_contact, page, webhook};
use crate::SledStore;
use huashu_store::campaigns::{
    AttemptOutcome, CampaignStore, Contact, ContactErasure, ContactResult, ContactState, DncScope,
    ERASED_NUMBER, ERASED_WEBHOOK_BODY, ERASED_WEBHOOK_ERROR, StatsDelta, WebhookDelivery,
    WebhookState,
};

const NUMBER: &str = "+8613800138000";
const OTHER: &str = "+8613900139000";

/// Stores a draft campaign `id` of `tenant_id`.
fn campaign_of(store: &SledStore, tenant_id: &str, id: &str) {
    store.put_campaign(&campaign(tenant_id, id, 1)).unwrap();
}

/// A delivery of `t_1`'s campaign whose body reports on `number`.
fn report(id: &str, campaign_id: &str, number: &str, state: WebhookState) -> WebhookDelivery {
    WebhookDelivery {
        body: format!(r#"{{"event":"contact.finished","contact":{{"number":"{number}"}}}}"#),
        state,
        ..webhook(id, "t_1", campaign_id, 5, 50)
    }
}

/// Dials `contact` (its attempt begins); answers the contact as stored, dialling.
fn dial(store: &SledStore, contact: &Contact) -> Contact {
    let attempt = attempt_for(contact, 10);
    let begun = StatsDelta {
        pending: -1,
        dialing: 1,
        attempts: 1,
        ..StatsDelta::default()
    };
    assert!(store.begin_attempt(contact, &attempt, &begun).unwrap());
    store
        .contact(&contact.campaign_id, contact.seq)
        .unwrap()
        .unwrap()
}

/// Dials `contact` and finishes it busy, with `webhooks` queued.
fn dial_busy(store: &SledStore, contact: &Contact, webhooks: &[WebhookDelivery]) {
    let mut attempt = attempt_for(contact, 10);
    let dialing = dial(store, contact);
    attempt.outcome = Some(AttemptOutcome::Busy);
    attempt.ended_at_ms = Some(20);
    attempt.error = Some(format!("{NUMBER} was busy"));
    let mut done = dialing;
    done.state = ContactState::Done;
    done.result = Some(ContactResult::Busy);
    done.last_outcome = Some(AttemptOutcome::Busy);
    done.disposition = Some("callback".into());
    done.tags = vec!["vip".into()];
    done.fields = vec![("city".into(), "Shanghai".into())];
    let finished = StatsDelta {
        dialing: -1,
        done: 1,
        outcome: Some(AttemptOutcome::Busy),
        result: Some(ContactResult::Busy),
        ..StatsDelta::default()
    };
    store
        .finish_attempt(&attempt, &done, &finished, webhooks)
        .unwrap();
}

fn deliveries(store: &SledStore, campaign_id: &str) -> Vec<WebhookDelivery> {
    store
        .campaign_webhooks("t_1", campaign_id, &page(None, 100))
        .unwrap()
        .items
}

/// Asserts `contact` keeps nothing about its customer.
fn assert_erased(contact: &Contact) {
    assert_eq!(contact.number, ERASED_NUMBER);
    assert_eq!(contact.reference, None);
    assert!(contact.variables.is_empty() && contact.tags.is_empty() && contact.fields.is_empty());
    assert_eq!((&contact.time_zone, &contact.disposition), (&None, &None));
}

#[test]
fn an_erased_pending_contact_is_finished_not_called_and_never_dialled() {
    let store = SledStore::temporary().unwrap();
    campaign_of(&store, "t_1", "cp_a");
    let mut with_zone = new_contact(NUMBER);
    with_zone.time_zone = Some("Asia/Shanghai".into());
    store.add_contacts("cp_a", &[with_zone], 0).unwrap();
    add(&store, "cp_a", OTHER);

    let erasure = store.erase_number("t_1", NUMBER).unwrap();
    assert_eq!(
        erasure,
        ContactErasure {
            contacts_erased: 1,
            contacts_skipped_dialing: 0
        }
    );
    let erased = store.contact("cp_a", 1).unwrap().unwrap();
    assert_erased(&erased);
    assert_eq!(
        (erased.state, erased.result),
        (ContactState::Done, Some(ContactResult::NotCalled))
    );
    let due: Vec<_> = store.due_contacts("cp_a", u64::MAX, 10).unwrap();
    assert_eq!(due.iter().map(|c| c.seq).collect::<Vec<_>>(), [2]);
    assert_eq!(store.next_due_at("cp_a").unwrap(), Some(0));
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!(
        (stats.contacts, stats.pending, stats.done),
        (2, 1, 1),
        "{stats:?}"
    );
    assert_eq!(stats.results.get("not-called"), Some(&1));

    // The campaign forgot the number: importing it again adds a new contact.
    let again = store
        .add_contacts("cp_a", &[new_contact(NUMBER)], 0)
        .unwrap();
    assert_eq!(again, [Some(3)]);
    // Erasing again finds only that one; the erased contact is not counted twice.
    assert_eq!(
        store.erase_number("t_1", NUMBER).unwrap().contacts_erased,
        1
    );
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!((stats.contacts, stats.pending, stats.done), (3, 1, 2));
}

#[test]
fn a_called_contacts_attempts_and_reports_lose_the_number_and_its_result_stays() {
    let store = SledStore::temporary().unwrap();
    campaign_of(&store, "t_1", "cp_b");
    let contact = add(&store, "cp_b", NUMBER);
    let other = add(&store, "cp_b", OTHER);
    dial_busy(
        &store,
        &contact,
        &[report("wh_pending", "cp_b", NUMBER, WebhookState::Pending)],
    );
    store
        .enqueue_webhook(&report("wh_sent", "cp_b", NUMBER, WebhookState::Delivered))
        .unwrap();
    store
        .enqueue_webhook(&report("wh_other", "cp_b", OTHER, WebhookState::Pending))
        .unwrap();
    let before = store.campaign_stats("cp_b").unwrap();

    assert_eq!(
        store.erase_number("t_1", NUMBER).unwrap().contacts_erased,
        1
    );
    let erased = store.contact("cp_b", contact.seq).unwrap().unwrap();
    assert_erased(&erased);
    assert_eq!(
        (erased.state, erased.result, erased.attempts),
        (ContactState::Done, Some(ContactResult::Busy), 1)
    );
    assert_eq!(store.campaign_stats("cp_b").unwrap(), before);
    for attempt in store.attempts("cp_b", contact.seq).unwrap() {
        assert_eq!(attempt.to, ERASED_NUMBER);
        assert_eq!(attempt.error.as_deref(), Some("erased was busy"));
    }

    let listed = deliveries(&store, "cp_b");
    let by_id = |id: &str| listed.iter().find(|d| d.id == id).expect("still listed");
    assert!(
        listed.iter().all(|d| !d.body.contains(NUMBER)),
        "{listed:?}"
    );
    let pending = by_id("wh_pending");
    assert_eq!(pending.body, ERASED_WEBHOOK_BODY);
    assert_eq!(
        (pending.state, pending.last_error.as_deref()),
        (WebhookState::Failed, Some(ERASED_WEBHOOK_ERROR))
    );
    let sent = by_id("wh_sent");
    assert_eq!(
        (sent.state, sent.body.as_str()),
        (WebhookState::Delivered, ERASED_WEBHOOK_BODY)
    );
    assert!(by_id("wh_other").body.contains(OTHER));
    let due: Vec<_> = store.due_webhooks(u64::MAX, 10).unwrap();
    assert_eq!(
        due.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["wh_other"]
    );
    // The other contact is as it was.
    assert_eq!(store.contact("cp_b", other.seq).unwrap(), Some(other));
}

#[test]
fn a_contact_being_dialled_is_passed_over_and_counted() {
    let store = SledStore::temporary().unwrap();
    campaign_of(&store, "t_1", "cp_c");
    let dialing = dial(&store, &add(&store, "cp_c", NUMBER));

    let erasure = store.erase_number("t_1", NUMBER).unwrap();
    assert_eq!(
        (erasure.contacts_erased, erasure.contacts_skipped_dialing),
        (0, 1)
    );
    assert_eq!(store.contact("cp_c", dialing.seq).unwrap(), Some(dialing));
    assert_eq!(store.attempts("cp_c", 1).unwrap()[0].to, NUMBER);
}

#[test]
fn another_tenants_campaigns_the_do_not_call_lists_and_the_dial_log_keep_the_number() {
    let store = SledStore::temporary().unwrap();
    campaign_of(&store, "t_1", "cp_a");
    campaign_of(&store, "t_2", "cp_x");
    let ours = add(&store, "cp_a", NUMBER);
    let theirs = add(&store, "cp_x", NUMBER);
    dial_busy(&store, &ours, &[]);
    let tenant_list = DncScope::Tenant("t_1".into());
    store.put_dnc(&dnc_entry(&tenant_list, NUMBER)).unwrap();
    store
        .put_dnc(&dnc_entry(&DncScope::Platform, NUMBER))
        .unwrap();

    assert_eq!(
        store.erase_number("t_1", NUMBER).unwrap().contacts_erased,
        1
    );
    assert_eq!(store.contact("cp_x", theirs.seq).unwrap(), Some(theirs));
    let again = store
        .add_contacts("cp_x", &[new_contact(NUMBER)], 0)
        .unwrap();
    assert_eq!(again, [None], "t_2's campaign still has the number");
    assert!(store.dnc(&tenant_list, NUMBER).unwrap().is_some());
    assert!(store.dnc(&DncScope::Platform, NUMBER).unwrap().is_some());
    assert_eq!(store.dials_since(NUMBER, 0).unwrap(), 1);
    // A tenant with no campaigns, or a number no campaign has, erases nothing.
    assert_eq!(
        store.erase_number("t_3", NUMBER).unwrap(),
        ContactErasure::default()
    );
    assert_eq!(
        store.erase_number("t_1", "+14155550100").unwrap(),
        ContactErasure::default()
    );
}

#[test]
fn a_delivery_try_that_ends_after_the_erasure_leaves_the_body_erased() {
    let store = SledStore::temporary().unwrap();
    campaign_of(&store, "t_1", "cp_b");
    let contact = add(&store, "cp_b", NUMBER);
    let queued = report("wh_1", "cp_b", NUMBER, WebhookState::Pending);
    dial_busy(&store, &contact, std::slice::from_ref(&queued));
    // The deliverer read it before the erasure...
    let mut in_flight = queued.clone();
    store.erase_number("t_1", NUMBER).unwrap();

    // ...and writes its try's result after it: a retry is given up on,
    in_flight.tries = 1;
    in_flight.next_try_at_ms = 99;
    in_flight.last_status = Some(503);
    store.update_webhook(&in_flight).unwrap();
    let stored = deliveries(&store, "cp_b").remove(0);
    assert_eq!(
        (stored.body.as_str(), stored.state, stored.tries),
        (ERASED_WEBHOOK_BODY, WebhookState::Failed, 1)
    );
    assert!(store.due_webhooks(u64::MAX, 10).unwrap().is_empty());
    // ...and a delivery it made is noted, with the body still erased.
    in_flight.state = WebhookState::Delivered;
    in_flight.delivered_at_ms = Some(100);
    store.update_webhook(&in_flight).unwrap();
    let stored = deliveries(&store, "cp_b").remove(0);
    assert_eq!(
        (stored.body.as_str(), stored.state),
        (ERASED_WEBHOOK_BODY, WebhookState::Delivered)
    );
}
