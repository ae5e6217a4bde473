//! Loaded modules by (tenant, name, version), so a call starts from an `InstancePre` in
//! memory instead of deserializing its artifact every time.

use std::collections::HashMap;
use std::sync::Mutex;

use huashu_sandbox::{ModuleError, Sandbox, ScriptModule};
use huashu_store::{Store, StoreError};

/// Modules kept loaded. A loaded module costs its compiled code (tens of KiB for Rust, a few
/// MiB for interpreters); 512 covers every active version of a large platform.
const CAPACITY: usize = 512;

type Key = (String, String, u32);

#[derive(Default)]
pub(crate) struct ModuleCache {
    loaded: Mutex<HashMap<Key, ScriptModule>>,
}

/// Why a stored module version could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error("module version not found")]
    Missing,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Module(#[from] ModuleError),
}

impl ModuleCache {
    pub(crate) fn insert(&self, tenant: &str, name: &str, version: u32, module: ScriptModule) {
        if let Ok(mut loaded) = self.loaded.lock() {
            if loaded.len() >= CAPACITY
                && let Some(evict) = loaded.keys().next().cloned()
            {
                loaded.remove(&evict);
            }
            loaded.insert((tenant.into(), name.into(), version), module);
        }
    }

    /// The loaded module, loading it from the stored artifact (or recompiling the stored
    /// component if the artifact is from an older build) when needed.
    pub(crate) fn get(
        &self,
        sandbox: &Sandbox,
        store: &dyn Store,
        tenant: &str,
        name: &str,
        version: u32,
        digest: &str,
    ) -> Result<ScriptModule, LoadError> {
        let key = (tenant.to_owned(), name.to_owned(), version);
        if let Some(module) = self.loaded.lock().ok().and_then(|l| l.get(&key).cloned()) {
            return Ok(module);
        }
        let artifact = store
            .module_artifact(tenant, name, version)?
            .ok_or(LoadError::Missing)?;
        // SAFETY: artifacts in the store are only ever written by this server, from
        // `Sandbox::compile` output (module upload, or the recompile below).
        let module = match unsafe { sandbox.load_precompiled(&artifact, digest.to_owned()) } {
            Ok(module) => module,
            Err(ModuleError::Incompatible(why)) => {
                tracing::info!(tenant, name, version, %why, "recompiling a module after an upgrade");
                let wasm = store
                    .module_wasm(tenant, name, version)?
                    .ok_or(LoadError::Missing)?;
                let compiled = sandbox.compile(&wasm)?;
                store.replace_module_artifact(tenant, name, version, &compiled.artifact)?;
                compiled.module
            }
            Err(other) => return Err(other.into()),
        };
        self.insert(tenant, name, version, module.clone());
        Ok(module)
    }
}
