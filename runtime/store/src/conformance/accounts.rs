//! The operator token, tenants and API keys.

use super::{Backend, Case, key, page, tenant};
use crate::secrets::sha256_hex;
use crate::{AuthError, StoreError, authenticate};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "the_operator_token_hash_is_absent_until_set_and_then_replaced",
        the_operator_token_hash_is_absent_until_set_and_then_replaced,
    ),
    (
        "tenants_are_created_once_read_and_updated",
        tenants_are_created_once_read_and_updated,
    ),
    (
        "tenants_are_listed_by_id_across_pages",
        tenants_are_listed_by_id_across_pages,
    ),
    (
        "api_keys_are_found_by_secret_hash_and_revocation_is_stored",
        api_keys_are_found_by_secret_hash_and_revocation_is_stored,
    ),
    (
        "a_rotated_secret_no_longer_finds_the_key_and_secrets_are_unique",
        a_rotated_secret_no_longer_finds_the_key_and_secrets_are_unique,
    ),
    (
        "a_live_key_authenticates_as_its_tenant_and_a_revoked_or_unknown_one_does_not",
        a_live_key_authenticates_as_its_tenant_and_a_revoked_or_unknown_one_does_not,
    ),
];

/// The token is unset on a fresh store; setting it again replaces it.
pub fn the_operator_token_hash_is_absent_until_set_and_then_replaced(store: &dyn Backend) {
    assert_eq!(store.operator_token_sha256().expect("read"), None);
    store.set_operator_token_sha256("aa").expect("set");
    store.set_operator_token_sha256("bb").expect("replaced");
    assert_eq!(
        store.operator_token_sha256().expect("read"),
        Some("bb".into())
    );
}

/// A second create of the same id conflicts; updates replace the whole tenant.
pub fn tenants_are_created_once_read_and_updated(store: &dyn Backend) {
    let mut t = tenant("t_01");
    store.create_tenant(&t).expect("created");
    assert!(matches!(
        store.create_tenant(&t),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.tenant("t_01").expect("read"), Some(t.clone()));
    assert_eq!(store.tenant("t_02").expect("read"), None);
    t.disabled = true;
    t.quotas.kv_bytes = 7;
    t.record_calls = true;
    t.language = Some("zh-CN".into());
    store.update_tenant(&t).expect("updated");
    assert_eq!(store.tenant("t_01").expect("read"), Some(t));
    assert!(store.create_tenant(&tenant("t_0\0")).is_err());
    assert_eq!(
        store
            .tenant("t_0\0")
            .expect("an impossible id reads as none"),
        None
    );
}

/// Pages follow the id order; a cursor the store did not make gives an empty page.
pub fn tenants_are_listed_by_id_across_pages(store: &dyn Backend) {
    for i in [3, 1, 4, 0, 2] {
        store
            .create_tenant(&tenant(&format!("t_{i:02}")))
            .expect("created");
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let listed = store.list_tenants(&page(after, 2)).expect("listed");
        assert!(listed.items.len() <= 2);
        seen.extend(listed.items.into_iter().map(|t| t.id));
        match listed.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["t_00", "t_01", "t_02", "t_03", "t_04"]);
    let bad_cursor = page(Some("not hex".into()), 2);
    assert!(
        store
            .list_tenants(&bad_cursor)
            .expect("listed")
            .items
            .is_empty()
    );
}

/// Keys are found by id and by secret hash, revoked or not, and listed per tenant by id.
pub fn api_keys_are_found_by_secret_hash_and_revocation_is_stored(store: &dyn Backend) {
    let mut k = key("k_01", "t_01", "aa");
    store.put_api_key(&k).expect("stored");
    store
        .put_api_key(&key("k_02", "t_01", "bb"))
        .expect("stored");
    store
        .put_api_key(&key("k_03", "t_02", "cc"))
        .expect("stored");
    assert_eq!(
        store.api_key_by_secret_sha256("aa").expect("read"),
        Some(k.clone())
    );
    assert_eq!(store.api_key_by_secret_sha256("zz").expect("read"), None);
    assert_eq!(store.api_key_by_secret_sha256("").expect("read"), None);
    assert_eq!(
        store.api_key("k_03").expect("read").map(|k| k.tenant_id),
        Some("t_02".into())
    );
    k.revoked = true;
    store.put_api_key(&k).expect("revoked");
    let found = store.api_key_by_secret_sha256("aa").expect("read");
    assert!(found.is_some_and(|k| k.revoked));
    let ids = |t: &str| {
        store
            .list_api_keys(t)
            .expect("listed")
            .into_iter()
            .map(|k| k.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("t_01"), ["k_01", "k_02"]);
    assert_eq!(ids("t_02"), ["k_03"]);
    assert!(ids("t_0").is_empty());
}

/// Replacing a key's secret frees the old hash; another key cannot take a used one.
pub fn a_rotated_secret_no_longer_finds_the_key_and_secrets_are_unique(store: &dyn Backend) {
    store
        .put_api_key(&key("k_01", "t_01", "aa"))
        .expect("stored");
    store
        .put_api_key(&key("k_01", "t_01", "a2"))
        .expect("rotated");
    assert_eq!(store.api_key_by_secret_sha256("aa").expect("read"), None);
    assert!(
        store
            .api_key_by_secret_sha256("a2")
            .expect("read")
            .is_some()
    );
    assert!(matches!(
        store.put_api_key(&key("k_02", "t_01", "a2")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.list_api_keys("t_01").expect("listed").len(), 1);
    // The old hash is free for another key now.
    store
        .put_api_key(&key("k_02", "t_01", "aa"))
        .expect("stored");
}

/// [`authenticate`] on top of the store: live keys name their tenant.
pub fn a_live_key_authenticates_as_its_tenant_and_a_revoked_or_unknown_one_does_not(
    store: &dyn Backend,
) {
    store.create_tenant(&tenant("t_01")).expect("created");
    let mut live = key("k_01", "t_01", &sha256_hex("hs_live"));
    store.put_api_key(&live).expect("stored");
    let found = authenticate(store.store(), "hs_live").expect("authenticates");
    assert_eq!(found.id, "t_01");
    assert!(matches!(
        authenticate(store.store(), "hs_other"),
        Err(AuthError::UnknownKey)
    ));
    live.revoked = true;
    store.put_api_key(&live).expect("revoked");
    assert!(matches!(
        authenticate(store.store(), "hs_live"),
        Err(AuthError::UnknownKey)
    ));
}
