//! The Rust types and functions `wit-bindgen` generates from the script contract in `wit/`.
//!
//! Tenants never use this module directly: the crate root re-exports the contract's types,
//! [`crate::log`] and [`crate::kv`] wrap the imports, and [`crate::export_dialogue!`] wires
//! up the export.

wit_bindgen::generate!({
    world: "dialogue",
    path: "../../wit",
    // `export_dialogue!` expands in the tenant's crate, so the generated export macro must be
    // reachable from there and must find these bindings through the SDK's path.
    pub_export_macro: true,
    default_bindings_module: "::huashu_sdk::bindings",
    additional_derives: [PartialEq],
});
