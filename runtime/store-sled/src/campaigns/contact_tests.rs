//! Contacts: importing, reading, the due index, deferring and closing.

use std::time::Instant;

use super::test_support::{add, attempt_for, new_contact, page, webhook};
use crate::SledStore;
use huashu_store::campaigns::{CampaignStore, ContactResult, ContactState, NewContact, StatsDelta};

fn numbers(batch: &[&str]) -> Vec<NewContact> {
    batch.iter().map(|n| new_contact(n)).collect()
}

fn due_seqs(store: &SledStore, campaign: &str, now_ms: u64) -> Vec<u64> {
    let due = store.due_contacts(campaign, now_ms, 100).unwrap();
    due.into_iter().map(|c| c.seq).collect()
}

#[test]
fn imported_contacts_get_sequence_numbers_in_order_and_are_counted() {
    let store = SledStore::temporary().unwrap();
    let seqs = store
        .add_contacts("cp_a", &numbers(&["+861", "+862", "+863"]), 100)
        .unwrap();
    assert_eq!(seqs, [Some(1), Some(2), Some(3)]);
    let second = store.contact("cp_a", 2).unwrap().unwrap();
    assert_eq!(
        (
            second.number.as_str(),
            second.state,
            second.due_at_ms,
            second.attempts
        ),
        ("+862", ContactState::Pending, 100, 0)
    );
    assert_eq!(second.reference.as_deref(), Some("crm-+862"));
    assert_eq!(store.contact("cp_a", 4).unwrap(), None);
    assert_eq!(store.contact("cp_b", 1).unwrap(), None);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!((stats.contacts, stats.pending), (3, 3));
}

#[test]
fn a_number_the_campaign_has_is_skipped_across_batches_and_within_one() {
    let store = SledStore::temporary().unwrap();
    store
        .add_contacts("cp_a", &numbers(&["+861", "+862"]), 0)
        .unwrap();
    let seqs = store
        .add_contacts(
            "cp_a",
            &numbers(&["+862", "+863", "+863", "+864", "+861"]),
            0,
        )
        .unwrap();
    assert_eq!(seqs, [None, Some(3), None, Some(4), None]);
    // Another campaign has its own numbers.
    let other = store.add_contacts("cp_b", &numbers(&["+861"]), 0).unwrap();
    assert_eq!(other, [Some(1)]);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!((stats.contacts, stats.pending), (4, 4));
    // A batch of only duplicates changes nothing.
    assert_eq!(
        store.add_contacts("cp_a", &numbers(&["+861"]), 0).unwrap(),
        [None]
    );
    assert_eq!(store.campaign_stats("cp_a").unwrap().contacts, 4);
}

#[test]
fn contacts_are_listed_in_sequence_order_across_pages() {
    let store = SledStore::temporary().unwrap();
    let batch: Vec<_> = (0..7).map(|i| new_contact(&format!("+86{i}"))).collect();
    store.add_contacts("cp_a", &batch, 0).unwrap();
    store.add_contacts("cp_ab", &numbers(&["+869"]), 0).unwrap();
    let mut seqs = Vec::new();
    let mut after = None;
    loop {
        let listed = store.contacts("cp_a", &page(after, 3)).unwrap();
        assert!(listed.items.len() <= 3);
        seqs.extend(listed.items.iter().map(|c| c.seq));
        match listed.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7]);
    let one = store.contacts("cp_a", &page(Some("2".into()), 0)).unwrap();
    assert_eq!(one.items.len(), 1, "a limit of 0 reads as 1");
    assert_eq!((one.items[0].seq, one.next.as_deref()), (3, Some("3")));
    let bad = store.contacts("cp_a", &page(Some("x".into()), 5)).unwrap();
    assert!(bad.items.is_empty());
}

#[test]
fn due_contacts_come_by_due_time_then_sequence_and_only_once_due() {
    let store = SledStore::temporary().unwrap();
    store
        .add_contacts("cp_a", &numbers(&["+861", "+862"]), 200)
        .unwrap();
    store
        .add_contacts("cp_a", &numbers(&["+863", "+864"]), 100)
        .unwrap();
    store.add_contacts("cp_ab", &numbers(&["+865"]), 0).unwrap();
    assert_eq!(due_seqs(&store, "cp_a", 99), Vec::<u64>::new());
    assert_eq!(due_seqs(&store, "cp_a", 100), [3, 4]);
    assert_eq!(due_seqs(&store, "cp_a", u64::MAX), [3, 4, 1, 2]);
    assert_eq!(store.due_contacts("cp_a", 1000, 3).unwrap().len(), 3);
    assert_eq!(store.next_due_at("cp_a").unwrap(), Some(100));
    assert_eq!(store.next_due_at("cp_none").unwrap(), None);
}

#[test]
fn a_deferred_contact_moves_in_the_due_order_once_and_only_as_seen() {
    let store = SledStore::temporary().unwrap();
    store
        .add_contacts("cp_a", &numbers(&["+861", "+862"]), 100)
        .unwrap();
    let first = store.contact("cp_a", 1).unwrap().unwrap();
    assert!(store.defer_contact(&first, 500).unwrap());
    assert_eq!(due_seqs(&store, "cp_a", 1000), [2, 1]);
    assert_eq!(store.contact("cp_a", 1).unwrap().unwrap().due_at_ms, 500);
    assert_eq!(store.next_due_at("cp_a").unwrap(), Some(100));

    // Deferring after an attempt began is refused.
    let second = store.contact("cp_a", 2).unwrap().unwrap();
    let attempt = attempt_for(&second, 150);
    assert!(
        store
            .begin_attempt(&second, &attempt, &StatsDelta::default())
            .unwrap()
    );
    assert!(!store.defer_contact(&second, 900).unwrap());
    assert_eq!(due_seqs(&store, "cp_a", 1000), [1]);
}

#[test]
fn closing_a_contact_finishes_it_counts_it_and_queues_its_webhook_once() {
    let store = SledStore::temporary().unwrap();
    let contact = add(&store, "cp_a", "+861");
    let delta = StatsDelta {
        pending: -1,
        done: 1,
        result: Some(ContactResult::DoNotCall),
        ..StatsDelta::default()
    };
    let hook = webhook("wh_1", "t_1", "cp_a", 10, 10);
    assert!(
        store
            .close_contact(
                &contact,
                ContactResult::DoNotCall,
                &delta,
                std::slice::from_ref(&hook)
            )
            .unwrap()
    );
    assert!(
        !store
            .close_contact(
                &contact,
                ContactResult::DoNotCall,
                &delta,
                std::slice::from_ref(&hook)
            )
            .unwrap(),
        "a contact closed once is not closed again"
    );
    let closed = store.contact("cp_a", contact.seq).unwrap().unwrap();
    assert_eq!(
        (closed.state, closed.result),
        (ContactState::Done, Some(ContactResult::DoNotCall))
    );
    assert!(store.due_contacts("cp_a", u64::MAX, 10).unwrap().is_empty());
    assert_eq!(store.next_due_at("cp_a").unwrap(), None);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!((stats.contacts, stats.pending, stats.done), (1, 0, 1));
    assert_eq!(stats.results.get("do-not-call"), Some(&1));
    assert_eq!(store.due_webhooks(10, 10).unwrap(), vec![hook]);
}

#[test]
fn an_import_of_a_thousand_contacts_is_one_quick_durable_batch() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SledStore::open(dir.path()).unwrap();
    let batch: Vec<_> = (0..1_000u64)
        .map(|i| new_contact(&format!("+86138{i:08}")))
        .collect();
    let mut timings = Vec::new();
    for round in 0..3u64 {
        let numbers: Vec<_> = batch
            .iter()
            .map(|c| NewContact {
                number: format!("{}{round}", c.number),
                ..c.clone()
            })
            .collect();
        let started = Instant::now();
        let seqs = store.add_contacts("cp_a", &numbers, 0).unwrap();
        timings.push(started.elapsed());
        assert_eq!(seqs.iter().flatten().count(), 1_000);
    }
    eprintln!("add_contacts, 1,000 new contacts per durable batch: {timings:?}");
    let started = Instant::now();
    let seqs = store.add_contacts("cp_a", &batch, 0).unwrap();
    eprintln!(
        "add_contacts, 1,000 new contacts after 3,000: {:?}",
        started.elapsed()
    );
    assert_eq!(seqs.last(), Some(&Some(4_000)));
    // The same batch without the flush: what the transaction itself costs.
    let numbers: Vec<_> = batch
        .iter()
        .map(|c| NewContact {
            number: format!("{}x", c.number),
            ..c.clone()
        })
        .collect();
    let started = Instant::now();
    store.campaigns.add_contacts("cp_a", &numbers, 0).unwrap();
    eprintln!(
        "add_contacts, 1,000 new contacts, transaction alone: {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    store.add_contacts("cp_a", &numbers, 0).unwrap();
    eprintln!("add_contacts, 1,000 duplicates: {:?}", started.elapsed());
    assert_eq!(store.campaign_stats("cp_a").unwrap().contacts, 5_000);
}
