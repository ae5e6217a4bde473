//! Building a script crate into a component for the `wasm32-wasip2` target, so
//! `huashu test my-script/` works on a source directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Runs `cargo build --release --target wasm32-wasip2` in `dir` and returns the `.wasm` it
/// produced. Cargo's own output goes to stderr so the tenant sees compile errors.
pub fn build_rust_guest(dir: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(dir)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run cargo in {}", dir.display()))?;
    if !output.status.success() {
        bail!(
            "building {} failed (is the target installed? `rustup target add wasm32-wasip2`)",
            dir.display()
        );
    }
    let mut found = None;
    for line in output.stdout.split(|&b| b == b'\n') {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(files) = message["filenames"].as_array() else {
            continue;
        };
        for file in files.iter().filter_map(|f| f.as_str()) {
            if file.ends_with(".wasm") {
                found = Some(PathBuf::from(file));
            }
        }
    }
    found.with_context(|| {
        format!(
            "cargo built {} but produced no .wasm: is it a `cdylib` crate?",
            dir.display()
        )
    })
}
