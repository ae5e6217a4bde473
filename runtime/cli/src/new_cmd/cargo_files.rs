//! The two cargo files a new Rust project needs beyond its own manifest, derived from the
//! huashu workspace this binary was built from (embedded at build time):
//!
//! - the vendored SDK's `Cargo.toml`: the repository's `sdk/rust/Cargo.toml` with every
//!   `key.workspace = true` replaced by the workspace's value, since the project is not in
//!   that workspace;
//! - `Cargo.lock`: the workspace's lock entries for the crates the SDK depends on, so the
//!   project builds with the very versions the server was built and tested with, and cargo
//!   needs no registry index to resolve them (it adds the project's own two entries itself).

use anyhow::{Context, bail};

const ROOT_MANIFEST: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"));
const SDK_MANIFEST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../sdk/rust/Cargo.toml"
));
const WORKSPACE_LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"));

/// The vendored SDK's manifest, standing on its own.
pub fn sdk_manifest() -> anyhow::Result<String> {
    standalone_manifest(SDK_MANIFEST, ROOT_MANIFEST)
}

/// The project's `Cargo.lock`: what the SDK needs, pinned as in the workspace.
pub fn lockfile() -> anyhow::Result<String> {
    trimmed_lock(WORKSPACE_LOCK, "huashu-sdk")
}

/// `member` with each `key.workspace = true` line replaced by `key = value` from `root`'s
/// `[workspace.package]` (in `[package]`) or `[workspace.dependencies]` (in dependency
/// tables). Any other use of the workspace is refused rather than copied half-right.
fn standalone_manifest(member: &str, root: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut section = "";
    for line in member.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed;
        }
        if let Some(key) = trimmed.strip_suffix(".workspace = true") {
            let table = match section {
                "[package]" => "[workspace.package]",
                "[dependencies]" | "[dev-dependencies]" | "[build-dependencies]" => {
                    "[workspace.dependencies]"
                }
                other => bail!("cannot vendor `{key}.workspace = true` in {other}"),
            };
            out.push_str(
                &table_entry(root, table, key)
                    .with_context(|| format!("the workspace manifest has no `{key}` in {table}"))?,
            );
        } else if trimmed.starts_with("workspace") || trimmed.contains("workspace = true") {
            bail!("cannot vendor a manifest line that uses the workspace: {trimmed}");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The `key = value` entry of `table` in `manifest`, with every line of a value that spans
/// several (until its brackets and braces close).
fn table_entry(manifest: &str, table: &str, key: &str) -> Option<String> {
    let mut lines = manifest.lines().skip_while(|l| l.trim() != table).skip(1);
    let mut entry = String::new();
    let mut depth = 0i32;
    for line in lines.by_ref() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && entry.is_empty() {
            return None;
        }
        let starts = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if entry.is_empty() && !starts {
            continue;
        }
        entry.push_str(line);
        entry.push('\n');
        depth += line.matches(['[', '{']).count() as i32;
        depth -= line.matches([']', '}']).count() as i32;
        if depth <= 0 {
            return Some(entry);
        }
    }
    None
}

/// One `[[package]]` entry of a lockfile.
struct LockEntry<'a> {
    text: &'a str,
    name: &'a str,
    version: &'a str,
    from_registry: bool,
    dependencies: Vec<&'a str>,
}

impl<'a> LockEntry<'a> {
    fn parse(text: &'a str) -> Self {
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(" = \""))
                .map(|v| v.trim_end_matches('"'))
                .unwrap_or("")
        };
        let dependencies = text
            .split_once("dependencies = [")
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(list, _)| {
                list.lines()
                    .map(|l| l.trim().trim_end_matches(',').trim_matches('"'))
                    .filter(|d| !d.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        LockEntry {
            text,
            name: value("name"),
            version: value("version"),
            from_registry: text.lines().any(|l| l.starts_with("source = ")),
            dependencies,
        }
    }

    /// Whether a dependency line (`name`, `name version` or `name version (source)`) means
    /// this entry.
    fn is(&self, dependency: &str) -> bool {
        let mut parts = dependency.split(' ');
        parts.next() == Some(self.name) && parts.next().is_none_or(|v| v == self.version)
    }
}

/// `lock` cut down to the registry packages `root` (a path package in it) depends on,
/// directly or not, in their original order.
fn trimmed_lock(lock: &str, root: &str) -> anyhow::Result<String> {
    const SEPARATOR: &str = "\n[[package]]\n";
    let mut blocks = lock.split(SEPARATOR);
    let header = blocks.next().unwrap_or_default();
    let entries: Vec<LockEntry> = blocks.map(LockEntry::parse).collect();
    let start = entries
        .iter()
        .position(|e| e.name == root && !e.from_registry)
        .with_context(|| format!("the workspace's Cargo.lock has no `{root}`"))?;
    let mut keep = vec![false; entries.len()];
    let mut queue = vec![start];
    while let Some(i) = queue.pop() {
        for dependency in &entries[i].dependencies {
            let found = entries
                .iter()
                .position(|e| e.is(dependency))
                .with_context(|| format!("Cargo.lock names `{dependency}` but has no entry"))?;
            if !keep[found] {
                keep[found] = true;
                queue.push(found);
            }
        }
    }
    let mut out = header.trim_end().to_owned();
    out.push('\n');
    for (entry, _) in entries
        .iter()
        .zip(&keep)
        .filter(|(e, k)| **k && e.from_registry)
    {
        out.push_str(SEPARATOR);
        out.push_str(entry.text.trim_end());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_sdk_manifest_inherits_nothing_and_keeps_wit_bindgen() {
        let manifest = sdk_manifest().unwrap();
        assert!(!manifest.contains("workspace"), "{manifest}");
        assert!(manifest.contains("name = \"huashu-sdk\""), "{manifest}");
        assert!(manifest.contains("edition = \"2024\""), "{manifest}");
        assert!(manifest.contains("wit-bindgen = {"), "{manifest}");
    }

    #[test]
    fn a_multi_line_workspace_value_is_copied_whole() {
        let root = "[workspace.dependencies]\nwasmtime = { version = \"1\", features = [\n    \"a\",\n] }\nnext = \"2\"\n";
        let member = "[package]\nname = \"m\"\n\n[dependencies]\nwasmtime.workspace = true\n";
        let out = standalone_manifest(member, root).unwrap();
        assert!(
            out.ends_with("wasmtime = { version = \"1\", features = [\n    \"a\",\n] }\n"),
            "{out}"
        );
        assert!(standalone_manifest("[lints]\nworkspace = true\n", root).is_err());
        assert!(standalone_manifest("[dependencies]\nnone.workspace = true\n", root).is_err());
    }

    #[test]
    fn the_lockfile_pins_what_the_sdk_needs_and_nothing_else() {
        let lock = lockfile().unwrap();
        let names: Vec<&str> = lock
            .split("\n[[package]]\n")
            .skip(1)
            .map(|e| LockEntry::parse(e).name)
            .collect();
        assert!(names.contains(&"wit-bindgen"), "{names:?}");
        assert!(names.contains(&"wit-bindgen-rust-macro"), "{names:?}");
        for absent in ["huashu-sdk", "wasmtime", "tokio"] {
            assert!(!names.contains(&absent), "{absent} in {names:?}");
        }
        assert!(lock.contains("version = 4") || lock.contains("version = 3"));
    }

    #[test]
    fn a_versioned_dependency_picks_that_version() {
        let lock = "version = 4\n\n[[package]]\nname = \"root\"\nversion = \"0.1.0\"\ndependencies = [\n \"syn 2.0.1\",\n]\n\n[[package]]\nname = \"syn\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n\n[[package]]\nname = \"syn\"\nversion = \"2.0.1\"\nsource = \"registry+x\"\n";
        let out = trimmed_lock(lock, "root").unwrap();
        assert!(out.contains("version = \"2.0.1\""), "{out}");
        assert!(!out.contains("version = \"1.0.0\""), "{out}");
    }
}
