//! Call summaries, records, listings and filters, live calls, recordings.

use super::{Backend, Case, call, page};
use crate::{CallFilter, CallStatus, Page};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "calls_are_listed_newest_first_across_pages",
        calls_are_listed_newest_first_across_pages,
    ),
    (
        "filters_select_module_intent_status_and_time_range",
        filters_select_module_intent_status_and_time_range,
    ),
    (
        "filters_select_callee_campaign_and_tag",
        filters_select_callee_campaign_and_tag,
    ),
    (
        "live_calls_are_exactly_those_marked_live_and_a_replaced_call_is_listed_once",
        live_calls_are_exactly_those_marked_live_and_a_replaced_call_is_listed_once,
    ),
    (
        "a_call_whose_creation_time_changes_moves_in_the_listing",
        a_call_whose_creation_time_changes_moves_in_the_listing,
    ),
    (
        "recordings_are_stored_replaced_and_read_per_call",
        recordings_are_stored_replaced_and_read_per_call,
    ),
];

/// Every call id `filter` lists for `tenant`, following cursors, with pages of `limit`.
pub fn all_ids(
    store: &dyn Backend,
    tenant: &str,
    filter: &CallFilter,
    limit: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let listed = store
            .list_calls(tenant, filter, &page(after, limit))
            .expect("listed");
        assert!(listed.items.len() <= limit);
        ids.extend(listed.items.into_iter().map(|c| c.call_id));
        match listed.next {
            Some(next) => after = Some(next),
            None => return ids,
        }
    }
}

fn completed(tenant: &str, id: &str, created: u64) -> crate::CallSummary {
    call(tenant, id, created, Some(created + 5))
}

/// Newest first; calls created in the same millisecond are ordered by id.
pub fn calls_are_listed_newest_first_across_pages(store: &dyn Backend) {
    for i in [3u64, 1, 5, 2, 4] {
        store
            .put_call(&completed("t_1", &format!("c_{i}"), i * 1000), b"{}")
            .expect("stored");
    }
    store
        .put_call(&completed("t_1", "c_5b", 5000), b"{}")
        .expect("stored");
    store
        .put_call(&completed("t_12", "c_x", 9000), b"{}")
        .expect("stored");
    let ids = all_ids(store, "t_1", &CallFilter::default(), 2);
    assert_eq!(ids, ["c_5", "c_5b", "c_4", "c_3", "c_2", "c_1"]);
    assert_eq!(all_ids(store, "t_12", &CallFilter::default(), 10), ["c_x"]);
    assert!(all_ids(store, "t_", &CallFilter::default(), 10).is_empty());
    let bad_cursor = page(Some("zz".into()), 2);
    let listed = store
        .list_calls("t_1", &CallFilter::default(), &bad_cursor)
        .expect("listed");
    assert!(listed.items.is_empty());
}

/// Module, intent (any case), status and a [since, until) creation range.
pub fn filters_select_module_intent_status_and_time_range(store: &dyn Backend) {
    for i in 0..20u64 {
        let mut c = completed("t_1", &format!("c_{i:02}"), 1000 + i);
        c.module = if i % 2 == 0 { "even" } else { "odd" }.into();
        c.intent = (i % 5 == 0).then(|| "A".to_string());
        if i == 7 {
            c.status = CallStatus::Failed;
        }
        store.put_call(&c, b"{}").expect("stored");
    }
    let ids = |filter: CallFilter| all_ids(store, "t_1", &filter, 3);
    let module = CallFilter {
        module: Some("odd".into()),
        ..CallFilter::default()
    };
    assert_eq!(ids(module).len(), 10);
    let intent = CallFilter {
        intent: Some("a".into()),
        ..CallFilter::default()
    };
    assert_eq!(ids(intent), ["c_15", "c_10", "c_05", "c_00"]);
    let status = CallFilter {
        status: Some(CallStatus::Failed),
        ..CallFilter::default()
    };
    assert_eq!(ids(status), ["c_07"]);
    let range = CallFilter {
        since_ms: Some(1003),
        until_ms: Some(1006),
        ..CallFilter::default()
    };
    assert_eq!(ids(range), ["c_05", "c_04", "c_03"]);
    let combined = CallFilter {
        module: Some("even".into()),
        since_ms: Some(1010),
        ..CallFilter::default()
    };
    assert_eq!(ids(combined), ["c_18", "c_16", "c_14", "c_12", "c_10"]);
    let empty_range = CallFilter {
        since_ms: Some(1006),
        until_ms: Some(1006),
        ..CallFilter::default()
    };
    assert!(ids(empty_range).is_empty());
    // A cursor already past the time range ends the listing.
    let past = store
        .list_calls("t_1", &CallFilter::default(), &page(None, 19))
        .expect("listed")
        .next;
    let recent = CallFilter {
        since_ms: Some(1015),
        ..CallFilter::default()
    };
    assert_eq!(
        store
            .list_calls("t_1", &recent, &page(past, 3))
            .expect("listed"),
        Page {
            items: vec![],
            next: None
        }
    );
}

/// The called party, the campaign and one of the script's tags.
pub fn filters_select_callee_campaign_and_tag(store: &dyn Backend) {
    for i in 0..6u64 {
        let mut c = completed("t_1", &format!("c_{i}"), 100 + i);
        c.callee = Some(format!("+861380013800{}", i % 2));
        c.campaign_id = (i < 3).then(|| "cmp_1".to_string());
        c.tags = if i % 3 == 0 {
            vec!["vip".into(), "paid".into()]
        } else {
            vec!["paid".into()]
        };
        store.put_call(&c, b"{}").expect("stored");
    }
    let ids = |filter: CallFilter| all_ids(store, "t_1", &filter, 2);
    let callee = CallFilter {
        callee: Some("+8613800138001".into()),
        ..CallFilter::default()
    };
    assert_eq!(ids(callee), ["c_5", "c_3", "c_1"]);
    let campaign = CallFilter {
        campaign: Some("cmp_1".into()),
        ..CallFilter::default()
    };
    assert_eq!(ids(campaign), ["c_2", "c_1", "c_0"]);
    let tag = CallFilter {
        tag: Some("vip".into()),
        ..CallFilter::default()
    };
    assert_eq!(ids(tag), ["c_3", "c_0"]);
    let no_such_tag = CallFilter {
        tag: Some("vi".into()),
        ..CallFilter::default()
    };
    assert!(ids(no_such_tag).is_empty());
}

/// The live calls of every tenant, and nothing else; a put replaces summary and record.
pub fn live_calls_are_exactly_those_marked_live_and_a_replaced_call_is_listed_once(
    store: &dyn Backend,
) {
    let mut a = call("t_1", "c_a", 1, None);
    let b = call("t_2", "c_b", 2, None);
    store.put_call(&a, b"null").expect("stored");
    store.put_call(&b, b"null").expect("stored");
    store
        .put_call(&completed("t_1", "c_c", 3), b"{}")
        .expect("stored");
    let mut live: Vec<_> = store
        .live_calls()
        .expect("listed")
        .into_iter()
        .map(|c| c.call_id)
        .collect();
    live.sort();
    assert_eq!(live, ["c_a", "c_b"]);

    a.status = CallStatus::Completed;
    a.ended_at_ms = Some(9);
    store.put_call(&a, b"{\"done\":true}").expect("replaced");
    assert_eq!(store.live_calls().expect("listed"), vec![b.clone()]);
    assert_eq!(
        store.call("t_1", "c_a").expect("read"),
        Some((a, b"{\"done\":true}".to_vec()))
    );
    assert_eq!(store.call("t_2", "c_a").expect("read"), None);
    assert_eq!(
        all_ids(store, "t_1", &CallFilter::default(), 10),
        ["c_c", "c_a"]
    );
}

/// The listing follows a call's stored creation time.
pub fn a_call_whose_creation_time_changes_moves_in_the_listing(store: &dyn Backend) {
    store
        .put_call(&completed("t_1", "c_a", 1), b"{}")
        .expect("stored");
    store
        .put_call(&completed("t_1", "c_b", 2), b"{}")
        .expect("stored");
    store
        .put_call(&completed("t_1", "c_a", 3), b"{}")
        .expect("moved");
    assert_eq!(
        all_ids(store, "t_1", &CallFilter::default(), 10),
        ["c_a", "c_b"]
    );
}

/// One recording per call, replaced in place, never another tenant's.
pub fn recordings_are_stored_replaced_and_read_per_call(store: &dyn Backend) {
    assert_eq!(store.recording("t_1", "c_a").expect("read"), None);
    store.put_recording("t_1", "c_a", b"RIFF1").expect("stored");
    store
        .put_recording("t_1", "c_a", b"RIFF22")
        .expect("replaced");
    assert_eq!(
        store.recording("t_1", "c_a").expect("read"),
        Some(b"RIFF22".to_vec())
    );
    assert_eq!(store.recording("t_2", "c_a").expect("read"), None);
}
