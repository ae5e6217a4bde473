//! Host bindings generated from the script contract, one module per version the server
//! runs. Only the sandbox sees these types; the rest of the runtime speaks
//! [`huashu_contract`].
//!
//! - [`v0_2`]: `huashu:dialogue@0.2.0`, the current contract in `wit/` at the repository
//!   root, which the SDKs and new modules build against.
//! - [`v0_1`]: `huashu:dialogue@0.1.0`, kept word for word in `wit-0.1.0/` beside this
//!   crate so that modules built before 0.2.0 keep running unchanged.
//!
//! Both are linked into the same linker (their interfaces carry different versions, so they
//! never clash); a module is instantiated with the bindings of the version it was built
//! against (`module.rs` tells which).

/// `huashu:dialogue@0.1.0`: no `sip` channel, no `opt-out` action.
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        world: "dialogue",
        path: "wit-0.1.0",
        // Host imports may trap the guest (a log or key-value flood ends the call). Key-value
        // calls are async: a write waits for the store to make it durable, and that wait must
        // suspend only this call, never block the tokio worker other calls' audio runs on.
        imports: {
            "huashu:dialogue/kv": async | trappable,
            default: trappable,
        },
        exports: { default: async },
    });
}

/// `huashu:dialogue@0.2.0`, the current contract.
pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        world: "dialogue",
        path: "../../wit",
        // The same import and export settings as 0.1.0, for the same reasons.
        imports: {
            "huashu:dialogue/kv": async | trappable,
            default: trappable,
        },
        exports: { default: async },
    });
}
