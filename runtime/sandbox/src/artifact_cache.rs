//! Precompiled artifacts on local disk, for modules loaded from files (the offline runner,
//! `replay`). The server keeps its artifacts in its store instead.
//!
//! An artifact is stored under the SHA-256 of the component and the engine's compatibility
//! key, so a changed module or a new huashu build compiles afresh; a cached one loads in
//! milliseconds instead of being compiled again (seconds, for Python and JavaScript guests).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Sandbox;
use super::module::{ModuleError, ScriptModule, content_digest};

/// A directory of artifacts this huashu build produced.
pub struct ArtifactCache {
    dir: PathBuf,
}

impl ArtifactCache {
    /// Uses `dir` (created if missing). Only this program may write there: whatever is found
    /// is executed as machine code.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The per-user default: `$XDG_CACHE_HOME/huashu/artifacts` or `~/.cache/huashu/artifacts`.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
        Some(base.join("huashu").join("artifacts"))
    }

    /// Loads the module for `wasm` from the cache, or compiles it and caches the artifact.
    /// A cache that cannot be read or written is skipped, never fatal.
    pub fn load(&self, sandbox: &Sandbox, wasm: &[u8]) -> Result<ScriptModule, ModuleError> {
        let digest = content_digest(wasm);
        let path = self
            .dir
            .join(format!("{digest}-{}.cwasm", sandbox.compatibility_key()));
        if let Ok(artifact) = fs::read(&path) {
            // SAFETY: files in this directory are written only by `store` below, with
            // artifacts this build's engine produced, under a key that includes the
            // engine's compatibility hash.
            match unsafe { sandbox.load_precompiled(&artifact, digest.clone()) } {
                Ok(module) => return Ok(module),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "ignoring a cached artifact");
                }
            }
        }
        let compiled = sandbox.compile(wasm)?;
        if let Err(error) = self.store(&path, &compiled.artifact) {
            tracing::warn!(dir = %self.dir.display(), %error, "cannot cache the compiled module");
        }
        Ok(compiled.module)
    }

    /// Writes atomically (temporary file, then rename) so a crash never leaves half an
    /// artifact under the final name.
    fn store(&self, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = fs::File::create(&tmp)?;
        file.write_all(artifact)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    }
}
