//! The sandbox: runs one call's script as a fresh WebAssembly component instance with hard
//! limits, and nothing else.
//!
//! Lifecycle, from cold to hot:
//! 1. [`Sandbox::new`] — once per process: the engine, the instance pool, the linker with the
//!    host imports and an empty WASI, the epoch ticker.
//! 2. [`Sandbox::compile`] — once per uploaded module version: validate it against the
//!    `dialogue` world of the contract version it was built against ([`ContractVersion`]:
//!    `huashu:dialogue@0.2.0`, or `@0.1.0` for modules built before it), compile it, and
//!    hand back the precompiled artifact to store.
//!    [`Sandbox::load_precompiled`] turns a stored artifact back into a module in
//!    milliseconds. [`ArtifactCache`] does both for modules read from disk.
//! 3. [`Sandbox::instantiate`] — once per call: a fresh instance with the tenant's
//!    [`Limits`], never reused.
//! 4. [`ScriptInstance`] answers one event at a time ([`huashu_contract::CallScript`]).
//!    With [`CallSetup::turns`], the guest runs only while holding one of its tenant's turns
//!    (`turns`), so one tenant's busy calls never occupy every core.
//!
//! The sandbox owns the wasmtime types; other stages see [`huashu_contract`] types only.

mod artifact_cache;
mod bindings;
mod call_clock;
mod call_state;
mod convert;
mod cpu_budget;
mod engine;
mod host_imports;
mod instance;
mod limits;
mod module;
mod turns;

pub use artifact_cache::ArtifactCache;
pub use call_state::TenantKv;
pub use engine::SandboxConfig;
pub use instance::{CallSetup, ScriptInstance};
pub use limits::Limits;
pub use module::{ContractVersion, ModuleError, ScriptModule, content_digest};

use thiserror::Error;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use self::call_state::{CallState, HostState};
use self::engine::EpochTicker;

/// The sandbox could not be set up (a host problem, not a tenant's).
#[derive(Debug, Error)]
pub enum SandboxError {
    /// wasmtime refused the engine configuration.
    #[error("cannot configure the WebAssembly engine: {0}")]
    Engine(String),
    /// The host functions could not be linked.
    #[error("cannot set up the host functions: {0}")]
    Linker(String),
}

/// One per process. Cheap to share behind an `Arc`.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<CallState>,
    _ticker: EpochTicker,
}

/// A module compiled from uploaded bytes, with the artifact to store for next time.
pub struct Compiled {
    /// The module, ready to instantiate.
    pub module: ScriptModule,
    /// Precompiled machine code. Only ever give it back to [`Sandbox::load_precompiled`] of
    /// the same build.
    pub artifact: Vec<u8>,
}

impl Sandbox {
    /// The process's engine (with its instance pool and epoch ticker) and the host
    /// functions every script may import.
    pub fn new(config: &SandboxConfig) -> Result<Self, SandboxError> {
        let engine = engine::build_engine(config)?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| SandboxError::Linker(format!("{e:#}")))?;
        // Every contract version the server runs, side by side: their interfaces carry
        // their version in their names, so a module links against exactly its own.
        bindings::v0_1::Dialogue::add_to_linker::<CallState, HasSelf<HostState>>(
            &mut linker,
            |s| &mut s.host,
        )
        .map_err(|e| SandboxError::Linker(format!("{e:#}")))?;
        bindings::v0_2::Dialogue::add_to_linker::<CallState, HasSelf<HostState>>(
            &mut linker,
            |s| &mut s.host,
        )
        .map_err(|e| SandboxError::Linker(format!("{e:#}")))?;
        let ticker = EpochTicker::start(engine.clone())?;
        Ok(Self {
            engine,
            linker,
            _ticker: ticker,
        })
    }

    /// Validates and compiles a component. Slow (milliseconds for a Rust script, seconds
    /// for an interpreter-based one): do it once per module version, at upload.
    pub fn compile(&self, wasm: &[u8]) -> Result<Compiled, ModuleError> {
        module::check_header(wasm)?;
        let artifact = self
            .engine
            .precompile_component(wasm)
            .map_err(|e| ModuleError::Malformed(format!("{e:#}")))?;
        // SAFETY: `artifact` was produced just now by this engine's own compiler.
        let module = unsafe { self.load_precompiled(&artifact, content_digest(wasm)) }?;
        Ok(Compiled { module, artifact })
    }

    /// Loads a precompiled artifact.
    ///
    /// # Safety
    ///
    /// `artifact` must be bytes returned in [`Compiled::artifact`] by a sandbox of this same
    /// build, stored where nobody else can write them. Deserializing maps the bytes as
    /// executable code: anything else is arbitrary code execution. Never pass bytes that
    /// came from outside (an upload, a request).
    pub unsafe fn load_precompiled(
        &self,
        artifact: &[u8],
        digest: String,
    ) -> Result<ScriptModule, ModuleError> {
        // SAFETY: forwarded from this function's contract.
        let component = unsafe { Component::deserialize(&self.engine, artifact) }
            .map_err(|e| ModuleError::Incompatible(format!("{e:#}")))?;
        module::link(&self.linker, &component, digest)
    }

    /// A fingerprint of everything that makes artifacts compatible (wasmtime version,
    /// target, settings). Artifacts are stored under it.
    pub fn compatibility_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    /// A fresh instance for one call.
    pub async fn instantiate(
        &self,
        module: &ScriptModule,
        setup: CallSetup,
    ) -> Result<ScriptInstance, huashu_contract::ScriptFailure> {
        ScriptInstance::new(&self.engine, module, setup).await
    }
}
