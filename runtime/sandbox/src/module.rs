//! Turning uploaded bytes into a [`ScriptModule`] ready to instantiate: check that they are a
//! component for our world, compile them once, and load precompiled artifacts.

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::{Component, Linker};

use super::bindings::DialoguePre;
use super::call_state::CallState;

/// The interfaces of ours a component may import, and the one it must export.
const PACKAGE: &str = "huashu:dialogue";
const VERSION: &str = "0.1.0";
const EXPORT: &str = "huashu:dialogue/script@0.1.0";

/// Why uploaded bytes cannot be used as a call script. Messages are shown to the tenant as
/// they are, so they say what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModuleError {
    /// The bytes are not WebAssembly at all.
    #[error("this is not a WebAssembly file (it does not start with `\\0asm`)")]
    NotWasm,
    /// A core module where a component is needed.
    #[error(
        "this is a core WebAssembly module, not a component: build for the `wasm32-wasip2` \
         target (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule,
    /// wasmtime could not parse or validate the component.
    #[error("the component is malformed: {0}")]
    Malformed(String),
    /// The component imports something the sandbox does not offer.
    #[error(
        "the component imports `{name}`, which huashu does not provide (scripts may import \
         huashu:dialogue/log, huashu:dialogue/kv and WASI 0.2 interfaces)"
    )]
    UnknownImport {
        /// The import's name.
        name: String,
    },
    /// The component was built against another version of the contract.
    #[error(
        "the component was built against huashu:dialogue@{found} (`{name}`); this server \
         speaks huashu:dialogue@{VERSION}"
    )]
    WrongVersion {
        /// The import or export that carries the version.
        name: String,
        /// The version it names.
        found: String,
    },
    /// The component does not export the script interface.
    #[error(
        "the component does not export `{EXPORT}` (it exports: {exports}); is it built from the `dialogue` world?"
    )]
    MissingExport {
        /// What it exports instead, comma-separated.
        exports: String,
    },
    /// The exports exist but their types do not match the contract.
    #[error("the component does not fit the `dialogue` world: {0}")]
    Mismatch(String),
    /// The component compiles but cannot start within the tenant's limits (its initial
    /// memory is over the cap, or its start-up traps), so every call of it would fail.
    #[error("the component cannot start within your limits: {0}")]
    DoesNotStart(String),
    /// A stored artifact from another build; the module must be compiled again.
    #[error("this precompiled artifact was made by another huashu or wasmtime version: {0}")]
    Incompatible(String),
}

/// A script compiled and linked, ready to be instantiated once per call.
#[derive(Clone)]
pub struct ScriptModule {
    pub(crate) pre: DialoguePre<CallState>,
    digest: String,
}

impl ScriptModule {
    /// SHA-256 of the component bytes, hex: the module's identity.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// SHA-256 of `bytes`, hex.
pub fn content_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the header: a component, not a core module or something else.
pub(crate) fn check_header(bytes: &[u8]) -> Result<(), ModuleError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(ModuleError::NotWasm);
    }
    // Bytes 4..8 are the version and layer: 0x0001_0000 for core modules, 0x000d_0001 (and
    // later) for components.
    match bytes[6..8] {
        [0, 0] => Err(ModuleError::CoreModule),
        _ => Ok(()),
    }
}

/// Checks the component's imports and exports against the world, then links it.
pub(crate) fn link(
    linker: &Linker<CallState>,
    component: &Component,
    digest: String,
) -> Result<ScriptModule, ModuleError> {
    let engine = linker.engine();
    let ty = component.component_type();
    for (name, _) in ty.imports(engine) {
        check_import(name)?;
    }
    if !ty.exports(engine).any(|(name, _)| name == EXPORT) {
        let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
        return Err(ModuleError::MissingExport {
            exports: if exports.is_empty() {
                "nothing".into()
            } else {
                exports.join(", ")
            },
        });
    }
    let pre = linker
        .instantiate_pre(component)
        .map_err(|e| link_error(&e))?;
    let pre = DialoguePre::new(pre).map_err(|e| ModuleError::Mismatch(format!("{e:#}")))?;
    Ok(ScriptModule { pre, digest })
}

fn check_import(name: &str) -> Result<(), ModuleError> {
    if name.starts_with("wasi:") {
        // Linking reports a WASI interface we do not implement (e.g. wasi:http).
        return Ok(());
    }
    let Some(rest) = name.strip_prefix(PACKAGE).and_then(|r| r.strip_prefix('/')) else {
        return Err(ModuleError::UnknownImport { name: name.into() });
    };
    let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
    if !matches!(interface, "log" | "kv" | "types") {
        return Err(ModuleError::UnknownImport { name: name.into() });
    }
    if version != VERSION {
        return Err(ModuleError::WrongVersion {
            name: name.into(),
            found: version.into(),
        });
    }
    Ok(())
}

/// Turns wasmtime's link error into ours, naming the import when it is one.
fn link_error(error: &wasmtime::Error) -> ModuleError {
    let message = format!("{error:#}");
    // wasmtime says: component imports instance `wasi:http/types@0.2.0`, but a matching
    // implementation was not found in the linker
    if message.contains("matching implementation was not found")
        && let Some(name) = message.split('`').nth(1)
    {
        return ModuleError::UnknownImport { name: name.into() };
    }
    ModuleError::Mismatch(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_check_tells_core_modules_from_components() {
        assert_eq!(check_header(b"hello world"), Err(ModuleError::NotWasm));
        assert_eq!(
            check_header(b"\0asm\x01\0\0\0"),
            Err(ModuleError::CoreModule)
        );
        assert_eq!(check_header(b"\0asm\x0d\0\x01\0"), Ok(()));
    }

    #[test]
    fn imports_outside_the_world_are_named() {
        assert!(check_import("huashu:dialogue/log@0.1.0").is_ok());
        assert!(check_import("wasi:cli/stdout@0.2.6").is_ok());
        assert_eq!(
            check_import("acme:evil/sockets@1.0.0"),
            Err(ModuleError::UnknownImport {
                name: "acme:evil/sockets@1.0.0".into()
            })
        );
        assert!(matches!(
            check_import("huashu:dialogue/kv@0.2.0"),
            Err(ModuleError::WrongVersion { .. })
        ));
    }
}
