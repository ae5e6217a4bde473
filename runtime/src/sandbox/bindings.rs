//! Host bindings generated from `wit/`. Only the sandbox sees these types; the rest of the
//! runtime speaks [`crate::contract`].

wasmtime::component::bindgen!({
    world: "dialogue",
    path: "../wit",
    // Host imports may trap the guest (a log or key-value flood ends the call).
    imports: { default: trappable },
    exports: { default: async },
});
