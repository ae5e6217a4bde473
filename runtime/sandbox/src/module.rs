//! Turning uploaded bytes into a [`ScriptModule`] ready to instantiate: check that they are a
//! component for our world, tell which version of the contract it was built against,
//! compile it once, and load precompiled artifacts.
//!
//! The version is read from the component's own import and export names
//! (`huashu:dialogue/script@0.2.0`…), which a precompiled artifact keeps: a module loaded
//! from a stored artifact after a restart is recognised exactly as it was at upload, with
//! nothing else to store beside it.

use std::fmt;

use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::{Component, Linker};

use super::bindings::{v0_1, v0_2};
use super::call_state::CallState;

/// The package every interface of ours belongs to.
const PACKAGE: &str = "huashu:dialogue";
/// What the error messages list as supported, newest first.
const SUPPORTED: &str = "huashu:dialogue@0.2.0 and huashu:dialogue@0.1.0";

/// A version of the script contract (`huashu:dialogue`) the server runs modules of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContractVersion {
    /// `huashu:dialogue@0.1.0`, the first: no `sip` channel, no `opt-out` action.
    V0_1,
    /// `huashu:dialogue@0.2.0`, the current one (`wit/`): adds `opt-out` and `sip`.
    V0_2,
}

impl ContractVersion {
    /// Every version the server runs, newest first.
    pub const SUPPORTED: [ContractVersion; 2] = [ContractVersion::V0_2, ContractVersion::V0_1];

    /// The version number, e.g. `0.2.0`.
    pub fn number(self) -> &'static str {
        match self {
            ContractVersion::V0_1 => "0.1.0",
            ContractVersion::V0_2 => "0.2.0",
        }
    }

    fn from_number(number: &str) -> Option<Self> {
        Self::SUPPORTED.into_iter().find(|v| v.number() == number)
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PACKAGE}@{}", self.number())
    }
}

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
    /// The component was built against a version of the contract this server does not run.
    #[error(
        "the component was built against huashu:dialogue@{found} (`{name}`); this server \
         runs {SUPPORTED}: rebuild it with the SDK or `wit/` of one of those"
    )]
    WrongVersion {
        /// The import or export that carries the version.
        name: String,
        /// The version it names.
        found: String,
    },
    /// The component mixes interfaces of two contract versions.
    #[error(
        "the component exports `{export}` but imports `{import}`: every huashu:dialogue \
         interface it uses must come from the same version ({SUPPORTED} are supported); \
         rebuild it against one `wit/`"
    )]
    MixedVersions {
        /// The script export, which names the version the module is taken to be.
        export: String,
        /// The import of another version.
        import: String,
    },
    /// The component does not export the script interface.
    #[error(
        "the component does not export `huashu:dialogue/script@0.2.0` or \
         `huashu:dialogue/script@0.1.0` (it exports: {exports}); is it built from the \
         `dialogue` world?"
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
    pub(crate) pre: ScriptPre,
    digest: String,
}

/// A module linked with the bindings of the contract version it was built against.
#[derive(Clone)]
pub(crate) enum ScriptPre {
    V0_1(v0_1::DialoguePre<CallState>),
    V0_2(v0_2::DialoguePre<CallState>),
}

impl ScriptModule {
    /// SHA-256 of the component bytes, hex: the module's identity.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The version of the script contract the module was built against.
    pub fn contract_version(&self) -> ContractVersion {
        match self.pre {
            ScriptPre::V0_1(_) => ContractVersion::V0_1,
            ScriptPre::V0_2(_) => ContractVersion::V0_2,
        }
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

/// Checks the component's imports and exports against the world, tells its contract
/// version, then links it with that version's bindings.
pub(crate) fn link(
    linker: &Linker<CallState>,
    component: &Component,
    digest: String,
) -> Result<ScriptModule, ModuleError> {
    let engine = linker.engine();
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let imports: Vec<&str> = ty.imports(engine).map(|(name, _)| name).collect();
    let version = contract_version(&exports, &imports)?;
    let pre = linker
        .instantiate_pre(component)
        .map_err(|e| link_error(&e))?;
    let mismatch = |e: wasmtime::Error| ModuleError::Mismatch(format!("{e:#}"));
    let pre = match version {
        ContractVersion::V0_1 => ScriptPre::V0_1(v0_1::DialoguePre::new(pre).map_err(mismatch)?),
        ContractVersion::V0_2 => ScriptPre::V0_2(v0_2::DialoguePre::new(pre).map_err(mismatch)?),
    };
    Ok(ScriptModule { pre, digest })
}

/// The contract version a component was built against: the one its script export names,
/// provided every interface of ours it imports names the same one.
fn contract_version(exports: &[&str], imports: &[&str]) -> Result<ContractVersion, ModuleError> {
    let mut ours = Vec::new();
    for name in imports {
        if let Some(version) = check_import(name)? {
            ours.push((*name, version));
        }
    }
    let script = format!("{PACKAGE}/script@");
    let Some((export, number)) = exports
        .iter()
        .find_map(|name| Some((*name, name.strip_prefix(&script)?)))
    else {
        return Err(ModuleError::MissingExport {
            exports: if exports.is_empty() {
                "nothing".into()
            } else {
                exports.join(", ")
            },
        });
    };
    let version =
        ContractVersion::from_number(number).ok_or_else(|| ModuleError::WrongVersion {
            name: export.into(),
            found: number.into(),
        })?;
    if let Some((import, _)) = ours.iter().find(|(_, v)| *v != version) {
        return Err(ModuleError::MixedVersions {
            export: export.into(),
            import: (*import).into(),
        });
    }
    Ok(version)
}

/// Checks one import: WASI, or an interface of ours in a supported version (returned).
fn check_import(name: &str) -> Result<Option<ContractVersion>, ModuleError> {
    if name.starts_with("wasi:") {
        // Linking reports a WASI interface we do not implement (e.g. wasi:http).
        return Ok(None);
    }
    let Some(rest) = name.strip_prefix(PACKAGE).and_then(|r| r.strip_prefix('/')) else {
        return Err(ModuleError::UnknownImport { name: name.into() });
    };
    let (interface, number) = rest.split_once('@').unwrap_or((rest, ""));
    if !matches!(interface, "log" | "kv" | "types") {
        return Err(ModuleError::UnknownImport { name: name.into() });
    }
    match ContractVersion::from_number(number) {
        Some(version) => Ok(Some(version)),
        None => Err(ModuleError::WrongVersion {
            name: name.into(),
            found: number.into(),
        }),
    }
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
        assert_eq!(
            check_import("huashu:dialogue/log@0.1.0"),
            Ok(Some(ContractVersion::V0_1))
        );
        assert_eq!(
            check_import("huashu:dialogue/kv@0.2.0"),
            Ok(Some(ContractVersion::V0_2))
        );
        assert_eq!(check_import("wasi:cli/stdout@0.2.6"), Ok(None));
        assert_eq!(
            check_import("acme:evil/sockets@1.0.0"),
            Err(ModuleError::UnknownImport {
                name: "acme:evil/sockets@1.0.0".into()
            })
        );
        assert!(matches!(
            check_import("huashu:dialogue/kv@0.3.0"),
            Err(ModuleError::WrongVersion { .. })
        ));
    }

    #[test]
    fn the_version_is_the_one_the_script_export_names() {
        let wasi = "wasi:cli/environment@0.2.6";
        assert_eq!(
            contract_version(
                &["huashu:dialogue/script@0.1.0"],
                &[
                    wasi,
                    "huashu:dialogue/log@0.1.0",
                    "huashu:dialogue/types@0.1.0"
                ]
            ),
            Ok(ContractVersion::V0_1)
        );
        assert_eq!(
            contract_version(
                &["huashu:dialogue/script@0.2.0"],
                &["huashu:dialogue/kv@0.2.0"]
            ),
            Ok(ContractVersion::V0_2)
        );
        assert_eq!(
            contract_version(&["huashu:dialogue/script@0.2.0"], &[]),
            Ok(ContractVersion::V0_2)
        );
    }

    #[test]
    fn a_wrong_version_names_both_supported_ones() {
        let error = contract_version(&["huashu:dialogue/script@0.9.0"], &[])
            .expect_err("0.9.0 is not supported");
        assert_eq!(
            error,
            ModuleError::WrongVersion {
                name: "huashu:dialogue/script@0.9.0".into(),
                found: "0.9.0".into()
            }
        );
        let message = error.to_string();
        assert!(
            message.contains("huashu:dialogue@0.2.0") && message.contains("huashu:dialogue@0.1.0"),
            "{message}"
        );
        let missing = contract_version(&["run"], &[]).expect_err("no script export");
        let message = missing.to_string();
        assert!(
            message.contains("huashu:dialogue/script@0.2.0")
                && message.contains("huashu:dialogue/script@0.1.0")
                && message.contains("run"),
            "{message}"
        );
    }

    #[test]
    fn the_messages_list_every_supported_version() {
        for version in ContractVersion::SUPPORTED {
            assert!(SUPPORTED.contains(&version.to_string()), "{version}");
            let missing = ModuleError::MissingExport {
                exports: "run".into(),
            };
            let export = format!("{PACKAGE}/script@{}", version.number());
            assert!(missing.to_string().contains(&export), "{missing}");
        }
    }

    #[test]
    fn a_component_mixing_two_versions_is_refused() {
        assert_eq!(
            contract_version(
                &["huashu:dialogue/script@0.2.0"],
                &["huashu:dialogue/log@0.1.0"]
            ),
            Err(ModuleError::MixedVersions {
                export: "huashu:dialogue/script@0.2.0".into(),
                import: "huashu:dialogue/log@0.1.0".into()
            })
        );
    }
}
