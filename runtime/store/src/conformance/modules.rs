//! Module versions, pins, languages and bytes.

use super::{Backend, Case};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "versions_are_numbered_from_one_and_the_latest_is_active_until_pinned",
        versions_are_numbered_from_one_and_the_latest_is_active_until_pinned,
    ),
    (
        "concurrent_uploads_get_distinct_version_numbers",
        concurrent_uploads_get_distinct_version_numbers,
    ),
    (
        "modules_are_listed_by_name_per_tenant",
        modules_are_listed_by_name_per_tenant,
    ),
    (
        "an_artifact_is_replaced_only_for_an_existing_version",
        an_artifact_is_replaced_only_for_an_existing_version,
    ),
    (
        "a_modules_language_is_set_and_cleared_only_for_an_existing_module",
        a_modules_language_is_set_and_cleared_only_for_an_existing_module,
    ),
];

fn active(store: &dyn Backend, tenant: &str, name: &str) -> Option<u32> {
    store
        .module(tenant, name)
        .expect("read")
        .and_then(|m| m.active().map(|v| v.version))
}

/// Numbers count up from 1; a pin holds across uploads until cleared.
pub fn versions_are_numbered_from_one_and_the_latest_is_active_until_pinned(store: &dyn Backend) {
    for i in 1..=3u8 {
        let v = store
            .add_module_version("t_01", "bot", &format!("d{i}"), i.into(), &[i; 4], &[i; 2])
            .expect("uploaded");
        assert_eq!((v.version, v.size_bytes), (u32::from(i), 4));
        assert_eq!((v.digest, v.created_at_ms), (format!("d{i}"), u64::from(i)));
    }
    let module = store.module("t_01", "bot").expect("read").expect("exists");
    let numbers: Vec<u32> = module.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(module.active().map(|v| v.digest.as_str()), Some("d3"));
    assert_eq!(module.pinned, None);

    store
        .pin_module_version("t_01", "bot", Some(2))
        .expect("pinned");
    assert_eq!(active(store, "t_01", "bot"), Some(2));
    store
        .add_module_version("t_01", "bot", "d4", 4, b"w", b"a")
        .expect("uploaded");
    assert_eq!(
        active(store, "t_01", "bot"),
        Some(2),
        "a new upload keeps the pin"
    );
    store
        .pin_module_version("t_01", "bot", None)
        .expect("unpinned");
    assert_eq!(active(store, "t_01", "bot"), Some(4));

    assert!(store.pin_module_version("t_01", "bot", Some(9)).is_err());
    assert!(store.pin_module_version("t_01", "nobody", None).is_err());
    assert_eq!(
        store.module_wasm("t_01", "bot", 2).expect("read"),
        Some(vec![2; 4])
    );
    assert_eq!(
        store.module_artifact("t_01", "bot", 3).expect("read"),
        Some(vec![3; 2])
    );
    assert_eq!(store.module_wasm("t_01", "bot", 9).expect("read"), None);
    assert_eq!(store.module_wasm("t_02", "bot", 1).expect("read"), None);
    assert_eq!(store.module("t_02", "bot").expect("read"), None);
}

/// Uploads racing from several threads never share a number nor skip one.
pub fn concurrent_uploads_get_distinct_version_numbers(store: &dyn Backend) {
    let mut numbers: Vec<u32> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..10)
                        .map(|_| {
                            store
                                .add_module_version("t_01", "bot", "d", 1, b"w", b"a")
                                .expect("uploaded")
                                .version
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("the uploading thread finished"))
            .collect()
    });
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    let module = store.module("t_01", "bot").expect("read").expect("exists");
    assert_eq!(module.versions.len(), 40);
}

/// Listings are by name, per tenant, and a name is never a prefix match.
pub fn modules_are_listed_by_name_per_tenant(store: &dyn Backend) {
    for (tenant, name) in [
        ("t_1", "zeta"),
        ("t_1", "alpha"),
        ("t_12", "other"),
        ("t_1", "alpha.v2"),
    ] {
        store
            .add_module_version(tenant, name, "d", 1, b"w", b"a")
            .expect("uploaded");
    }
    let names = |t: &str| {
        store
            .list_modules(t)
            .expect("listed")
            .into_iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names("t_1"), ["alpha", "alpha.v2", "zeta"]);
    assert_eq!(names("t_12"), ["other"]);
    assert!(names("t_2").is_empty());
    let alpha = store.module("t_1", "alpha").expect("read").expect("exists");
    assert_eq!(alpha.versions.len(), 1);
    assert_eq!(store.module("t_1", "other").expect("read"), None);
    assert!(
        store
            .add_module_version("t_1", "../x", "d", 1, b"w", b"a")
            .is_err()
    );
}

/// Replacing an artifact leaves the component bytes; a missing version is an error.
pub fn an_artifact_is_replaced_only_for_an_existing_version(store: &dyn Backend) {
    store
        .add_module_version("t_01", "bot", "d", 1, b"wasm", b"old")
        .expect("uploaded");
    store
        .replace_module_artifact("t_01", "bot", 1, b"new")
        .expect("replaced");
    assert_eq!(
        store.module_artifact("t_01", "bot", 1).expect("read"),
        Some(b"new".to_vec())
    );
    assert_eq!(
        store.module_wasm("t_01", "bot", 1).expect("read"),
        Some(b"wasm".to_vec())
    );
    assert!(
        store
            .replace_module_artifact("t_01", "bot", 2, b"x")
            .is_err()
    );
    assert_eq!(store.module_artifact("t_01", "bot", 2).expect("read"), None);
}

/// The language is kept in the module's summary, across uploads, until cleared.
pub fn a_modules_language_is_set_and_cleared_only_for_an_existing_module(store: &dyn Backend) {
    assert!(
        store
            .set_module_language("t_01", "bot", Some("zh-CN"))
            .is_err()
    );
    store
        .add_module_version("t_01", "bot", "d", 1, b"w", b"a")
        .expect("uploaded");
    store
        .set_module_language("t_01", "bot", Some("zh-CN"))
        .expect("set");
    store
        .add_module_version("t_01", "bot", "d", 2, b"w", b"a")
        .expect("uploaded");
    let module = store.module("t_01", "bot").expect("read").expect("exists");
    assert_eq!(module.language.as_deref(), Some("zh-CN"));
    store
        .set_module_language("t_01", "bot", None)
        .expect("cleared");
    let module = store.module("t_01", "bot").expect("read").expect("exists");
    assert_eq!(module.language, None);
}
