//! Attempts: counted before the dial, finished with the contact's next step, found open
//! after a restart.

use super::test_support::{add, attempt_for, webhook};
use crate::SledStore;
use huashu_store::campaigns::{
    Attempt, AttemptOutcome, CampaignStore, Contact, ContactResult, ContactState, StatsDelta,
};

/// What the dialler adds when an attempt begins.
fn begun() -> StatsDelta {
    StatsDelta {
        pending: -1,
        dialing: 1,
        attempts: 1,
        ..StatsDelta::default()
    }
}

/// Begins the next attempt at `contact` at `at_ms`; answers it and the contact as stored.
fn begin(store: &SledStore, contact: &Contact, at_ms: u64) -> (Attempt, Contact) {
    let attempt = attempt_for(contact, at_ms);
    assert!(store.begin_attempt(contact, &attempt, &begun()).unwrap());
    let stored = store.contact(&contact.campaign_id, contact.seq).unwrap();
    (attempt, stored.unwrap())
}

/// `attempt` ended busy at `at_ms`, and `contact` is pending again, due at `retry_at_ms`.
fn busy_retry(
    attempt: &Attempt,
    contact: &Contact,
    at_ms: u64,
    retry_at_ms: u64,
) -> (Attempt, Contact) {
    let mut ended = attempt.clone();
    ended.ended_at_ms = Some(at_ms);
    ended.outcome = Some(AttemptOutcome::Busy);
    ended.sip_code = Some(486);
    let mut next = contact.clone();
    next.state = ContactState::Pending;
    next.due_at_ms = retry_at_ms;
    next.last_outcome = Some(AttemptOutcome::Busy);
    next.updated_at_ms = at_ms;
    (ended, next)
}

#[test]
fn an_attempt_counts_once_for_the_contact_the_dialler_saw() {
    let store = SledStore::temporary().unwrap();
    let contact = add(&store, "cp_a", "+861");
    let attempt = attempt_for(&contact, 100);
    assert!(store.begin_attempt(&contact, &attempt, &begun()).unwrap());
    assert!(
        !store.begin_attempt(&contact, &attempt, &begun()).unwrap(),
        "the same expected contact cannot begin twice"
    );
    let dialing = store.contact("cp_a", contact.seq).unwrap().unwrap();
    assert_eq!(
        (dialing.state, dialing.attempts, dialing.updated_at_ms),
        (ContactState::Dialing, 1, 100)
    );
    assert!(store.due_contacts("cp_a", u64::MAX, 10).unwrap().is_empty());
    assert_eq!(
        store.attempts("cp_a", contact.seq).unwrap(),
        vec![attempt.clone()]
    );
    assert_eq!(store.open_attempts().unwrap(), vec![attempt]);
    assert_eq!(store.dials_since("+861", 0).unwrap(), 1);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!((stats.pending, stats.dialing, stats.attempts), (0, 1, 1));
}

#[test]
fn an_attempt_that_is_not_the_contacts_next_is_refused() {
    let store = SledStore::temporary().unwrap();
    let contact = add(&store, "cp_a", "+861");
    let mut attempt = attempt_for(&contact, 100);
    attempt.number = 2;
    assert!(store.begin_attempt(&contact, &attempt, &begun()).is_err());
    assert!(store.open_attempts().unwrap().is_empty());
    assert_eq!(store.contact("cp_a", 1).unwrap(), Some(contact));
}

#[test]
fn a_busy_contact_is_due_again_at_its_retry_time_and_its_next_attempt_follows() {
    let store = SledStore::temporary().unwrap();
    let contact = add(&store, "cp_a", "+861");
    let (attempt, dialing) = begin(&store, &contact, 100);
    let (ended, retry) = busy_retry(&attempt, &dialing, 130, 2_000);
    let finished = StatsDelta {
        pending: 1,
        dialing: -1,
        outcome: Some(AttemptOutcome::Busy),
        ..StatsDelta::default()
    };
    store
        .finish_attempt(&ended, &retry, &finished, &[])
        .unwrap();
    assert!(store.open_attempts().unwrap().is_empty());
    assert!(store.due_contacts("cp_a", 1_999, 10).unwrap().is_empty());
    assert_eq!(
        store.due_contacts("cp_a", 2_000, 10).unwrap(),
        vec![retry.clone()]
    );

    // The stale contact from before the first attempt can no longer begin one.
    assert!(
        !store
            .begin_attempt(&contact, &attempt_for(&contact, 2_000), &begun())
            .unwrap()
    );
    let (second, _) = begin(&store, &retry, 2_000);
    assert_eq!(second.number, 2);
    let all = store.attempts("cp_a", contact.seq).unwrap();
    assert_eq!(all, vec![ended, second]);
    assert_eq!(store.dials_since("+861", 0).unwrap(), 2);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!(
        (stats.contacts, stats.pending, stats.dialing, stats.attempts),
        (1, 0, 1, 2)
    );
    assert_eq!(stats.outcomes.get("busy"), Some(&1));
}

#[test]
fn an_answered_attempt_finishes_its_contact_with_counts_and_a_webhook() {
    let store = SledStore::temporary().unwrap();
    let contact = add(&store, "cp_a", "+861");
    add(&store, "cp_a", "+862");
    let (attempt, dialing) = begin(&store, &contact, 100);

    let mut placed = attempt.clone();
    placed.call_id = Some("c_01".into());
    store.update_attempt(&placed).unwrap();
    assert_eq!(store.open_attempts().unwrap(), vec![placed.clone()]);

    let mut ended = placed;
    ended.ended_at_ms = Some(190);
    ended.outcome = Some(AttemptOutcome::Answered);
    ended.talk_secs = Some(42);
    let mut done = dialing;
    done.state = ContactState::Done;
    done.result = Some(ContactResult::Answered);
    done.last_call_id = Some("c_01".into());
    done.intent = Some("A".into());
    let delta = StatsDelta {
        dialing: -1,
        done: 1,
        answered: 1,
        outcome: Some(AttemptOutcome::Answered),
        result: Some(ContactResult::Answered),
        intent: Some("A".into()),
        talk_secs: 42,
        ..StatsDelta::default()
    };
    let hook = webhook("wh_1", "t_1", "cp_a", 190, 190);
    store
        .finish_attempt(&ended, &done, &delta, std::slice::from_ref(&hook))
        .unwrap();

    assert!(store.open_attempts().unwrap().is_empty());
    assert_eq!(store.contact("cp_a", contact.seq).unwrap(), Some(done));
    assert_eq!(store.attempts("cp_a", contact.seq).unwrap(), vec![ended]);
    assert_eq!(store.due_contacts("cp_a", u64::MAX, 10).unwrap().len(), 1);
    assert_eq!(store.due_webhooks(190, 10).unwrap(), vec![hook]);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!(
        (stats.contacts, stats.pending, stats.dialing, stats.done),
        (2, 1, 0, 1)
    );
    assert_eq!(
        (stats.attempts, stats.answered, stats.talk_secs),
        (1, 1, 42)
    );
    assert_eq!(stats.intents.get("A"), Some(&1));
    assert!((stats.answer_rate() - 1.0).abs() < f64::EPSILON);
}

#[test]
fn attempts_left_open_are_found_after_the_directory_is_reopened() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (open, closed) = {
        let store = SledStore::open(dir.path()).unwrap();
        let first = add(&store, "cp_a", "+861");
        let second = add(&store, "cp_b", "+862");
        let (open, _) = begin(&store, &first, 100);
        let (attempt, dialing) = begin(&store, &second, 110);
        let (closed, retry) = busy_retry(&attempt, &dialing, 120, 500);
        store
            .finish_attempt(&closed, &retry, &StatsDelta::default(), &[])
            .unwrap();
        (open, closed)
    };
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.open_attempts().unwrap(), vec![open]);
    assert_eq!(store.attempts("cp_b", 1).unwrap(), vec![closed]);
    assert_eq!(store.due_contacts("cp_b", 500, 10).unwrap().len(), 1);
    assert_eq!(store.dials_since("+861", 0).unwrap(), 1);
    assert_eq!(store.campaign_stats("cp_a").unwrap().attempts, 1);
}

/// Set in the child process of the abort test: the directory to write into before the
/// child aborts.
const CHILD_DIR_VAR: &str = "HUASHU_SLED_CAMPAIGN_ABORT_CHILD_DIR";

#[test]
fn a_begun_attempt_survives_a_process_abort_open_with_its_contact_dialing() {
    const NAME: &str = "campaigns::attempt_tests::a_begun_attempt_survives_a_process_abort_open_with_its_contact_dialing";
    if let Some(dir) = std::env::var_os(CHILD_DIR_VAR) {
        let store = SledStore::open(std::path::Path::new(&dir)).unwrap();
        let contact = add(&store, "cp_a", "+861");
        begin(&store, &contact, 100);
        // Like `kill -9` right after the dialler was told the attempt counts.
        std::process::abort();
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let status = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", NAME])
        .env(CHILD_DIR_VAR, dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the child test runs");
    assert!(!status.success(), "the child should have aborted");

    let store = SledStore::open(dir.path()).unwrap();
    let open = store.open_attempts().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].contact_seq, open[0].number), (1, 1));
    let contact = store.contact("cp_a", 1).unwrap().unwrap();
    assert_eq!(
        (contact.state, contact.attempts),
        (ContactState::Dialing, 1)
    );
    assert_eq!(store.dials_since("+861", 0).unwrap(), 1);
    let stats = store.campaign_stats("cp_a").unwrap();
    assert_eq!((stats.contacts, stats.dialing, stats.attempts), (1, 1, 1));
}
