//! Host bindings generated from `wit/`. Only the sandbox sees these types; the rest of the
//! runtime speaks [`huashu_contract`].

wasmtime::component::bindgen!({
    world: "dialogue",
    path: "../../wit",
    // Host imports may trap the guest (a log or key-value flood ends the call). Key-value
    // calls are async: a write waits for the store to make it durable, and that wait must
    // suspend only this call, never block the tokio worker other calls' audio runs on.
    imports: {
        "huashu:dialogue/kv": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});
