//! Recorded prompts.

use super::{Backend, Case, page};
use crate::PromptMeta;

/// The cases of this part.
pub const CASES: &[Case] = &[(
    "prompts_are_replaced_listed_by_name_and_deleted_with_their_bytes",
    prompts_are_replaced_listed_by_name_and_deleted_with_their_bytes,
)];

fn meta(tenant_id: &str, name: &str, size_bytes: u64) -> PromptMeta {
    PromptMeta {
        tenant_id: tenant_id.into(),
        name: name.into(),
        size_bytes,
        duration_ms: 1_000,
        sample_rate: 8_000,
        channels: 1,
        created_at_ms: 5,
    }
}

/// A put replaces metadata and bytes together; listings page by name per tenant.
pub fn prompts_are_replaced_listed_by_name_and_deleted_with_their_bytes(store: &dyn Backend) {
    for name in ["welcome", "bye", "hold"] {
        store
            .put_prompt(&meta("t_1", name, 4), b"RIFF")
            .expect("stored");
    }
    store
        .put_prompt(&meta("t_12", "other", 1), b"R")
        .expect("stored");
    let replaced = meta("t_1", "bye", 6);
    store.put_prompt(&replaced, b"RIFF22").expect("replaced");
    assert_eq!(
        store.prompt("t_1", "bye").expect("read"),
        Some((replaced, b"RIFF22".to_vec()))
    );
    assert_eq!(store.prompt("t_2", "bye").expect("read"), None);

    let first = store.list_prompts("t_1", &page(None, 2)).expect("listed");
    let names: Vec<&str> = first.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["bye", "hold"]);
    let second = store
        .list_prompts("t_1", &page(first.next, 2))
        .expect("listed");
    let names: Vec<&str> = second.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!((names, second.next), (vec!["welcome"], None));

    assert!(store.delete_prompt("t_1", "hold").expect("deleted"));
    assert!(!store.delete_prompt("t_1", "hold").expect("already gone"));
    assert_eq!(store.prompt("t_1", "hold").expect("read"), None);
    assert_eq!(
        store
            .list_prompts("t_1", &page(None, 10))
            .expect("listed")
            .items
            .len(),
        2
    );
}
