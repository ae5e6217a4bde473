//! SIP trunks and routed numbers.

use super::{Backend, Case};
use crate::{RoutedNumber, Trunk};

/// The cases of this part.
pub const CASES: &[Case] = &[
    (
        "trunks_are_replaced_listed_by_name_with_passwords_and_deleted",
        trunks_are_replaced_listed_by_name_with_passwords_and_deleted,
    ),
    (
        "number_routes_are_replaced_listed_by_number_and_deleted",
        number_routes_are_replaced_listed_by_number_and_deleted,
    ),
];

/// A trunk reads back whole, password included.
pub fn trunks_are_replaced_listed_by_name_with_passwords_and_deleted(store: &dyn Backend) {
    let mut carrier = Trunk::new("carrier", "sip.example.com");
    carrier.password = Some("s3cret".into());
    carrier.tenants = vec!["t_1".into()];
    store.put_trunk(&carrier).expect("stored");
    store
        .put_trunk(&Trunk::new("backup", "10.0.0.5"))
        .expect("stored");
    carrier.max_channels = 60;
    store.put_trunk(&carrier).expect("replaced");
    assert_eq!(store.trunk("carrier").expect("read"), Some(carrier));
    let names: Vec<String> = store
        .list_trunks()
        .expect("listed")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["backup", "carrier"]);
    assert!(store.delete_trunk("backup").expect("deleted"));
    assert!(!store.delete_trunk("backup").expect("already gone"));
    assert_eq!(store.trunk("backup").expect("read"), None);
}

/// A route per E.164 number, replaced in place.
pub fn number_routes_are_replaced_listed_by_number_and_deleted(store: &dyn Backend) {
    let route = |number: &str, module: &str| RoutedNumber {
        number: number.into(),
        tenant_id: "t_1".into(),
        module: module.into(),
        updated_at_ms: 3,
    };
    store
        .put_number(&route("+8613800138001", "a"))
        .expect("stored");
    store
        .put_number(&route("+14155550100", "b"))
        .expect("stored");
    store
        .put_number(&route("+8613800138001", "c"))
        .expect("replaced");
    assert_eq!(
        store.number("+8613800138001").expect("read"),
        Some(route("+8613800138001", "c"))
    );
    let numbers: Vec<String> = store
        .list_numbers()
        .expect("listed")
        .into_iter()
        .map(|n| n.number)
        .collect();
    assert_eq!(numbers, ["+14155550100", "+8613800138001"]);
    assert!(store.delete_number("+14155550100").expect("deleted"));
    assert!(!store.delete_number("+14155550100").expect("already gone"));
    assert_eq!(store.number("+14155550100").expect("read"), None);
}
