//! The tenants' key-value space and its quota.

use super::{Backend, Case, page, tenant};
use crate::{KvError, Quotas};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "a_tenant_reads_only_its_own_keys_even_when_ids_share_a_prefix",
        a_tenant_reads_only_its_own_keys_even_when_ids_share_a_prefix,
    ),
    (
        "the_quota_counts_keys_and_values_replacements_by_difference_and_deletes_free",
        the_quota_counts_keys_and_values_replacements_by_difference_and_deletes_free,
    ),
    (
        "a_lowered_quota_still_lets_a_script_shrink_its_data",
        a_lowered_quota_still_lets_a_script_shrink_its_data,
    ),
    (
        "an_unknown_tenant_gets_the_default_quota",
        an_unknown_tenant_gets_the_default_quota,
    ),
    (
        "racing_writers_never_take_a_tenant_past_its_quota",
        racing_writers_never_take_a_tenant_past_its_quota,
    ),
    (
        "listings_page_by_key_within_a_prefix_and_one_tenant",
        listings_page_by_key_within_a_prefix_and_one_tenant,
    ),
];

fn tenant_with_quota(store: &dyn Backend, id: &str, kv_bytes: u64) {
    let mut t = tenant(id);
    t.quotas.kv_bytes = kv_bytes;
    store.create_tenant(&t).expect("created");
}

/// Keys may hold a 0 byte without reaching into another tenant's space.
pub fn a_tenant_reads_only_its_own_keys_even_when_ids_share_a_prefix(store: &dyn Backend) {
    store.set("t_1", "2\0secret", b"mine").expect("stored");
    store.set("t_1", "k", b"one").expect("stored");
    assert_eq!(store.get("t_1", "k").expect("read"), Some(b"one".to_vec()));
    assert_eq!(
        store.get("t_1", "2\0secret").expect("read"),
        Some(b"mine".to_vec())
    );
    assert_eq!(store.get("t_2", "k").expect("read"), None);
    assert_eq!(store.get("t_12", "secret").expect("read"), None);
    store.set("t_12", "k", b"twelve").expect("stored");
    assert_eq!(store.get("t_1", "k").expect("read"), Some(b"one".to_vec()));
    store.delete("t_12", "k").expect("deleted");
    assert_eq!(store.get("t_1", "k").expect("read"), Some(b"one".to_vec()));
    assert!(matches!(
        store.get("t_1\0", "k"),
        Err(KvError::Unavailable(_))
    ));
}

/// Keys plus values count; a replacement counts its difference; a delete frees.
pub fn the_quota_counts_keys_and_values_replacements_by_difference_and_deletes_free(
    store: &dyn Backend,
) {
    tenant_with_quota(store, "t_1", 10);
    store.set("t_1", "abc", b"12345").expect("stored");
    assert_eq!(store.set("t_1", "xyz", b"123"), Err(KvError::QuotaExceeded));
    store
        .set("t_1", "abc", b"1234567")
        .expect("replaced within the quota");
    assert_eq!(store.used_bytes("t_1").expect("read"), 10);
    assert_eq!(store.get("t_1", "xyz").expect("read"), None);
    store.delete("t_1", "abc").expect("deleted");
    store
        .delete("t_1", "abc")
        .expect("deleting nothing is fine");
    assert_eq!(store.used_bytes("t_1").expect("read"), 0);
    store.set("t_1", "xyz", b"1234567").expect("stored");
    store
        .set("t_2", "big", &[0; 1000])
        .expect("another tenant's own quota");
}

/// Over a lowered quota, a write that grows is refused and one that shrinks is not.
pub fn a_lowered_quota_still_lets_a_script_shrink_its_data(store: &dyn Backend) {
    tenant_with_quota(store, "t_1", 100);
    store.set("t_1", "k", &[1; 50]).expect("stored");
    let mut t = store.tenant("t_1").expect("read").expect("exists");
    t.quotas.kv_bytes = 10;
    store.update_tenant(&t).expect("updated");
    assert_eq!(store.set("t_1", "k", &[1; 60]), Err(KvError::QuotaExceeded));
    store.set("t_1", "k", &[1; 20]).expect("shrunk");
    assert_eq!(store.get("t_1", "k").expect("read"), Some(vec![1; 20]));
}

/// A tenant the store does not know has the default quota.
pub fn an_unknown_tenant_gets_the_default_quota(store: &dyn Backend) {
    let limit = usize::try_from(Quotas::default().kv_bytes).expect("a small quota");
    store.set("t_9", "a", &vec![0; limit - 1]).expect("stored");
    assert_eq!(store.set("t_9", "b", b"1"), Err(KvError::QuotaExceeded));
}

/// Writers racing for the last bytes: the quota holds, and usage is what is stored.
pub fn racing_writers_never_take_a_tenant_past_its_quota(store: &dyn Backend) {
    tenant_with_quota(store, "t_1", 100);
    std::thread::scope(|scope| {
        for writer in 0..4 {
            scope.spawn(move || {
                for i in 0..10 {
                    match store.set("t_1", &format!("w{writer}-{i}"), &[7; 8]) {
                        Ok(()) | Err(KvError::QuotaExceeded) => {}
                        Err(other) => panic!("unexpected: {other}"),
                    }
                }
            });
        }
    });
    let listed = store.list("t_1", "", &page(None, 100)).expect("listed");
    let stored: usize = listed
        .items
        .iter()
        .map(|e| e.key.len() + e.size_bytes)
        .sum();
    assert!(stored <= 100, "{stored} bytes stored over a quota of 100");
    assert_eq!(store.used_bytes("t_1").expect("read"), stored as u64);
}

/// Pages by key order within the prefix; the cursor is the last key.
pub fn listings_page_by_key_within_a_prefix_and_one_tenant(store: &dyn Backend) {
    for key in ["b:2", "a:1", "b:1", "b:3", "c"] {
        store.set("t_1", key, b"xy").expect("stored");
    }
    store.set("t_12", "b:0", b"z").expect("stored");
    let list = |prefix: &str, after: Option<&str>| {
        store
            .list("t_1", prefix, &page(after.map(str::to_owned), 2))
            .expect("listed")
    };
    let first = list("b:", None);
    let keys: Vec<&str> = first.items.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["b:1", "b:2"]);
    assert_eq!(first.items[0].size_bytes, 2);
    assert_eq!(first.next.as_deref(), Some("b:2"));
    let second = list("b:", first.next.as_deref());
    let keys: Vec<&str> = second.items.iter().map(|e| e.key.as_str()).collect();
    assert_eq!((keys, second.next), (vec!["b:3"], None));
    assert_eq!(list("", None).items[0].key, "a:1");
    assert_eq!(
        store.used_bytes("t_1").expect("read"),
        5 * 2 + 3 + 3 + 3 + 3 + 1
    );
    assert_eq!(store.used_bytes("t_9").expect("read"), 0);
}
