//! Tenants' secrets.

use super::{Backend, Case};
use crate::tenant_secrets::MAX_SECRETS_PER_TENANT;
use crate::{SecretError, StoreError};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "a_secret_is_created_replaced_listed_without_its_value_and_deleted",
        a_secret_is_created_replaced_listed_without_its_value_and_deleted,
    ),
    (
        "one_tenant_never_sees_or_deletes_anothers_secrets",
        one_tenant_never_sees_or_deletes_anothers_secrets,
    ),
    (
        "a_tenant_at_its_limit_may_replace_a_secret_but_not_add_one",
        a_tenant_at_its_limit_may_replace_a_secret_but_not_add_one,
    ),
    (
        "racing_puts_never_take_a_tenant_past_its_limit",
        racing_puts_never_take_a_tenant_past_its_limit,
    ),
    (
        "names_and_values_a_header_cannot_carry_are_refused_before_anything_is_stored",
        names_and_values_a_header_cannot_carry_are_refused_before_anything_is_stored,
    ),
];

/// Puts say whether they created; listings carry names and sizes, never values.
pub fn a_secret_is_created_replaced_listed_without_its_value_and_deleted(store: &dyn Backend) {
    assert!(
        store
            .put_secret("t_1", "crm-token", "first")
            .expect("stored")
    );
    assert!(
        !store
            .put_secret("t_1", "crm-token", "second value")
            .expect("replaced")
    );
    assert!(store.put_secret("t_1", "a.key", "x").expect("stored"));
    let listed = store.list_secrets("t_1").expect("listed");
    let names: Vec<_> = listed.iter().map(|s| (s.name.as_str(), s.bytes)).collect();
    assert_eq!(names, [("a.key", 1), ("crm-token", 12)]);
    assert!(listed.iter().all(|s| s.updated_at_ms > 0));
    assert!(!format!("{listed:?}").contains("second value"));
    assert_eq!(
        store
            .secret_value("t_1", "crm-token")
            .expect("read")
            .as_deref(),
        Some("second value")
    );
    assert!(store.delete_secret("t_1", "crm-token").expect("deleted"));
    assert!(
        !store
            .delete_secret("t_1", "crm-token")
            .expect("already gone")
    );
    assert_eq!(store.secret_value("t_1", "crm-token").expect("read"), None);
}

/// Ids that share a prefix share nothing else.
pub fn one_tenant_never_sees_or_deletes_anothers_secrets(store: &dyn Backend) {
    store.put_secret("t_1", "token", "one").expect("stored");
    store.put_secret("t_12", "token", "twelve").expect("stored");
    assert_eq!(store.list_secrets("t_1").expect("listed").len(), 1);
    assert_eq!(store.list_secrets("t_2").expect("listed"), []);
    assert_eq!(store.secret_value("t_2", "token").expect("read"), None);
    assert!(
        !store
            .delete_secret("t_2", "token")
            .expect("nothing to delete")
    );
    assert_eq!(
        store
            .secret_value("t_12", "token")
            .expect("read")
            .as_deref(),
        Some("twelve")
    );
    assert_eq!(store.list_secrets("t_1\0").expect("listed"), []);
}

/// The limit counts distinct names; deleting one makes room.
pub fn a_tenant_at_its_limit_may_replace_a_secret_but_not_add_one(store: &dyn Backend) {
    for i in 0..MAX_SECRETS_PER_TENANT {
        store
            .put_secret("t_1", &format!("s{i}"), "v")
            .expect("under the limit");
    }
    assert!(matches!(
        store.put_secret("t_1", "one-more", "v"),
        Err(SecretError::TooMany)
    ));
    assert!(!store.put_secret("t_1", "s0", "w").expect("a replacement"));
    assert!(
        store
            .put_secret("t_2", "s0", "v")
            .expect("another tenant's own")
    );
    store.delete_secret("t_1", "s1").expect("deleted");
    assert!(
        store
            .put_secret("t_1", "one-more", "v")
            .expect("room again")
    );
}

/// Several writers after the last free place: exactly one gets it.
pub fn racing_puts_never_take_a_tenant_past_its_limit(store: &dyn Backend) {
    for i in 0..MAX_SECRETS_PER_TENANT - 1 {
        store
            .put_secret("t_1", &format!("s{i}"), "v")
            .expect("under the limit");
    }
    let outcomes: Vec<Result<bool, SecretError>> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..4)
            .map(|i| scope.spawn(move || store.put_secret("t_1", &format!("last{i}"), "v")))
            .collect();
        racers
            .into_iter()
            .map(|racer| racer.join().expect("the racing thread finished"))
            .collect()
    });
    let created = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(SecretError::TooMany)))
        .count();
    assert_eq!((created, refused), (1, 3), "{outcomes:?}");
    assert_eq!(
        store.list_secrets("t_1").expect("listed").len(),
        MAX_SECRETS_PER_TENANT
    );
}

/// Bad names and values are refused with the rule they break, and nothing is stored.
pub fn names_and_values_a_header_cannot_carry_are_refused_before_anything_is_stored(
    store: &dyn Backend,
) {
    for (name, value) in [("..", "v"), ("A", "v"), ("ok", ""), ("ok", "a\nb")] {
        assert!(
            matches!(
                store.put_secret("t_1", name, value),
                Err(SecretError::InvalidName(_) | SecretError::InvalidValue(_))
            ),
            "{name:?} {value:?}"
        );
    }
    assert!(matches!(
        store.put_secret("bad/tenant", "ok", "v"),
        Err(SecretError::Store(StoreError::Backend(_)))
    ));
    assert_eq!(store.list_secrets("t_1").expect("listed"), []);
}
