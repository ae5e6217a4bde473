//! The SDK a new project carries in `vendor/huashu/`: this server's `wit/` and one language's
//! `sdk/<lang>/`, embedded into the binary when it is built and written out under the same
//! paths they have in the huashu repository. Keeping the repository's layout is what lets
//! the SDK's files work unchanged: the Rust SDK generates its bindings from `../../wit`, and
//! the Python, JavaScript and C build scripts find `wit/` two levels above themselves.
//!
//! The lists are written out by hand (`include_bytes!` needs literal paths); a test walks the
//! repository and fails when an SDK file is missing from them. Left out on purpose: the SDKs'
//! own tests and READMEs (they point into the repository) and the Rust SDK's `Cargo.toml`,
//! which inherits from the repository's workspace and is rewritten by
//! [`super::cargo_files`].

use super::Lang;

/// A file of the huashu repository: its path there and its bytes.
pub type RepoFile = (&'static str, &'static [u8]);

/// `(path, bytes)` for each repository-relative path.
macro_rules! repo_files {
    ($($path:literal),* $(,)?) => {
        &[$((
            $path,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../", $path)) as &[u8],
        )),*]
    };
}

/// The script contract.
pub const WIT: &[RepoFile] = repo_files!["wit/types.wit", "wit/world.wit"];

const RUST: &[RepoFile] = repo_files![
    "sdk/rust/src/actions.rs",
    "sdk/rust/src/bindings.rs",
    "sdk/rust/src/call.rs",
    "sdk/rust/src/date/calendar.rs",
    "sdk/rust/src/date/chinese.rs",
    "sdk/rust/src/date/cursor.rs",
    "sdk/rust/src/date/english.rs",
    "sdk/rust/src/date/mod.rs",
    "sdk/rust/src/date/phrase.rs",
    "sdk/rust/src/date/phrase_tests.rs",
    "sdk/rust/src/dialogue.rs",
    "sdk/rust/src/export.rs",
    "sdk/rust/src/http/mod.rs",
    "sdk/rust/src/http/response.rs",
    "sdk/rust/src/intent.rs",
    "sdk/rust/src/intent/confidence_tests.rs",
    "sdk/rust/src/json/mod.rs",
    "sdk/rust/src/json/parse.rs",
    "sdk/rust/src/kv.rs",
    "sdk/rust/src/lib.rs",
    "sdk/rust/src/listen.rs",
    "sdk/rust/src/log.rs",
    "sdk/rust/src/number.rs",
    "sdk/rust/src/outcome.rs",
    "sdk/rust/src/retries.rs",
    "sdk/rust/src/say_parts.rs",
    "sdk/rust/src/testing.rs",
    "sdk/rust/src/text.rs",
];

const PYTHON: &[RepoFile] = repo_files![
    "sdk/python/build.sh",
    "sdk/python/huashu_sdk/__init__.py",
    "sdk/python/huashu_sdk/actions.py",
    "sdk/python/huashu_sdk/call.py",
    "sdk/python/huashu_sdk/contract.py",
    "sdk/python/huashu_sdk/dialogue.py",
    "sdk/python/huashu_sdk/host.py",
    "sdk/python/huashu_sdk/http.py",
    "sdk/python/huashu_sdk/intent.py",
    "sdk/python/huashu_sdk/number.py",
    "sdk/python/huashu_sdk/retries.py",
    "sdk/python/huashu_sdk/text.py",
];

// package.json and its lockfile come along so `npm ci` in the vendored SDK installs exactly
// the build tools the repository's SDK uses.
const JS: &[RepoFile] = repo_files![
    "sdk/js/build.mjs",
    "sdk/js/package.json",
    "sdk/js/package-lock.json",
    "sdk/js/src/actions.js",
    "sdk/js/src/dialogue.js",
    "sdk/js/src/host.js",
    "sdk/js/src/http.js",
    "sdk/js/src/index.js",
    "sdk/js/src/intent.js",
    "sdk/js/src/retries.js",
    "sdk/js/src/text.js",
];

const C: &[RepoFile] = repo_files![
    "sdk/c/build.sh",
    "sdk/c/huashu.h",
    "sdk/c/actions.c",
    "sdk/c/dispatch.c",
    "sdk/c/http.c",
    "sdk/c/intent.c",
];

/// The SDK files of `lang`, without `wit/`.
pub fn sdk_files(lang: Lang) -> &'static [RepoFile] {
    match lang {
        Lang::Rust => RUST,
        Lang::Python => PYTHON,
        Lang::Js => JS,
        Lang::C => C,
    }
}

/// The contract's package and version as the WIT files declare it, e.g.
/// `huashu:dialogue@0.1.0`.
pub fn world_package() -> &'static str {
    WIT.iter()
        .find_map(|(_, bytes)| {
            let text = std::str::from_utf8(bytes).ok()?;
            text.lines()
                .find_map(|line| line.trim().strip_prefix("package "))
                .map(|rest| rest.trim_end_matches(';').trim())
        })
        .unwrap_or("huashu:dialogue")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// Every file under `dir` (repository-relative), skipping what a project does not need.
    fn files_under(root: &Path, dir: &str) -> BTreeSet<String> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_str().unwrap();
                if matches!(
                    name,
                    "node_modules" | "__pycache__" | "target" | "tests" | "test" | "README.md"
                ) {
                    continue;
                }
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let relative = path.strip_prefix(root).unwrap();
                    out.insert(relative.to_str().unwrap().to_owned());
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(root, &root.join(dir), &mut out);
        out
    }

    #[test]
    fn every_sdk_and_wit_file_of_the_repository_is_vendored() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let listed = |files: &[RepoFile]| -> BTreeSet<String> {
            files.iter().map(|(path, _)| (*path).to_owned()).collect()
        };
        assert_eq!(listed(WIT), files_under(&root, "wit"));
        for (lang, dir) in [
            (Lang::Rust, "sdk/rust"),
            (Lang::Python, "sdk/python"),
            (Lang::Js, "sdk/js"),
            (Lang::C, "sdk/c"),
        ] {
            let mut expected = files_under(&root, dir);
            // Rewritten for a project of its own (cargo_files.rs).
            expected.remove("sdk/rust/Cargo.toml");
            assert_eq!(listed(sdk_files(lang)), expected, "{dir}");
        }
    }

    #[test]
    fn the_world_package_names_the_contract_version() {
        assert!(
            world_package().starts_with("huashu:dialogue@"),
            "{}",
            world_package()
        );
    }
}
