//! Guests written in Python, JavaScript and C, built at test time by the same scripts a
//! tenant uses (`sdk/python/build.sh`, `sdk/js/build.mjs`, `sdk/c/build.sh`), at most once
//! per test process, into `target/guests/polyglot` (an output newer than all its sources is
//! reused). A missing toolchain fails the test and says to run `./scripts/setup`: these
//! tests prove the toolchains work, so they never skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::{guest_target_dir, workspace_root};

/// A guest in one of the languages the SDKs cover.
#[derive(Debug, Clone, Copy)]
pub enum Language {
    Python,
    JavaScript,
    C,
}

/// Held while a guest is built or a metered call runs, so this process never runs a
/// CPU-heavy build (componentize-py, componentize-js) beside a call whose CPU per event is
/// being measured: on two cores that would charge the call for the build's time slices.
pub fn quiet() -> MutexGuard<'static, ()> {
    static QUIET: Mutex<()> = Mutex::new(());
    QUIET
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The Python survey, the JavaScript birthday offer and the C reminder from
/// `guest-examples/`, with the language each is written in.
pub const EXAMPLES: &[(&str, Language)] = &[
    ("python-survey", Language::Python),
    ("js-birthday", Language::JavaScript),
    ("c-reminder", Language::C),
];

/// The component built from the example `guest-examples/{name}`.
pub fn example_wasm(name: &str, language: Language) -> PathBuf {
    let dir = workspace_root().join("guest-examples").join(name);
    let source = match language {
        Language::Python => dir.clone(),
        Language::JavaScript => dir.join("app.js"),
        Language::C => dir.join("reminder.c"),
    };
    built(name, language, &source)
}

/// The component built from the test guest `tests/guests/{name}` (a Python app directory).
pub fn python_test_guest(name: &str) -> PathBuf {
    built(
        name,
        Language::Python,
        &workspace_root().join("tests/guests").join(name),
    )
}

/// componentize-py and the venv's python, after checking they are installed.
pub fn python_tools() -> (PathBuf, PathBuf) {
    if let Err(why) = check_toolchain(Language::Python) {
        panic!("{why}");
    }
    let venv = workspace_root().join("target/toolchains/python/bin");
    (venv.join("componentize-py"), venv.join("python3"))
}

/// Builds `source` once per process; later calls (from any thread) get the same file.
fn built(name: &str, language: Language, source: &Path) -> PathBuf {
    type Slot = Arc<OnceLock<Result<PathBuf, String>>>;
    static BUILDS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let slot = BUILDS
        .get_or_init(Default::default)
        .lock()
        .expect("build registry")
        .entry(name.to_owned())
        .or_default()
        .clone();
    match slot.get_or_init(|| build(name, language, source)) {
        Ok(path) => path.clone(),
        Err(why) => panic!("{why}"),
    }
}

fn build(name: &str, language: Language, source: &Path) -> Result<PathBuf, String> {
    let root = workspace_root();
    check_toolchain(language)?;
    let out = guest_target_dir()
        .join("polyglot")
        .join(format!("{name}.wasm"));
    // componentize-py and componentize-js do not build reproducibly (a new digest means the
    // test cache compiles the 15 MB component again), so an output newer than all its
    // inputs is kept.
    let source_dir = if source.is_dir() {
        source
    } else {
        source.parent().expect("a source file is in a directory")
    };
    let inputs = [
        source_dir.to_path_buf(),
        root.join(language.sdk_dir()),
        root.join("wit"),
    ];
    if modified(&out).is_some_and(|built| inputs.iter().all(|i| newest(i) <= Some(built))) {
        return Ok(out);
    }
    let mut command = match language {
        Language::Python => {
            let mut c = Command::new(root.join("sdk/python/build.sh"));
            c.arg(source).arg(&out);
            c
        }
        Language::JavaScript => {
            let mut c = Command::new("node");
            c.arg(root.join("sdk/js/build.mjs")).arg(source).arg(&out);
            c
        }
        Language::C => {
            let mut c = Command::new(root.join("sdk/c/build.sh"));
            c.arg(&out).arg(source);
            c
        }
    };
    let _quiet = quiet();
    let started = std::time::Instant::now();
    let output = command.current_dir(&root).output().map_err(|e| {
        format!("cannot run the {language:?} build for {name}: {e}; run ./scripts/setup")
    })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let hint = if output.status.code() == Some(127) || stderr.contains("./scripts/setup") {
            "the toolchain is missing: run ./scripts/setup"
        } else {
            "the build failed"
        };
        return Err(format!(
            "building the {language:?} guest {name} from {}: {hint}\n{stderr}{}",
            source.display(),
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    eprintln!(
        "built {} ({:?}) in {:.1?}",
        out.display(),
        language,
        started.elapsed()
    );
    Ok(out)
}

impl Language {
    fn sdk_dir(self) -> &'static str {
        match self {
            Language::Python => "sdk/python",
            Language::JavaScript => "sdk/js",
            Language::C => "sdk/c",
        }
    }
}

/// Fails, naming what is missing, unless the language's toolchain is installed.
fn check_toolchain(language: Language) -> Result<(), String> {
    let root = workspace_root();
    let tools = root.join("target/toolchains");
    let required: Vec<PathBuf> = match language {
        Language::Python => vec![tools.join("python/bin/componentize-py")],
        Language::JavaScript => vec![
            root.join("sdk/js/node_modules/@bytecodealliance/componentize-js/package.json"),
            root.join("sdk/js/node_modules/rolldown/package.json"),
        ],
        Language::C => vec![
            tools.join("bin/wit-bindgen"),
            tools.join("bin/wasm-component-ld"),
            PathBuf::from("/usr/lib/wasm32-wasi/libc.a"),
        ],
    };
    let mut missing: Vec<String> = required
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    let program = match language {
        Language::Python => None,
        Language::JavaScript => Some("node"),
        Language::C => Some("clang-22"),
    };
    if let Some(program) = program
        && Command::new(program).arg("--version").output().is_err()
    {
        missing.push(program.to_owned());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the {language:?} guest toolchain is not installed (missing: {}): run ./scripts/setup",
            missing.join(", ")
        ))
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of `path` and everything under it (following links,
/// skipping installed packages and caches).
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    let own = modified(path);
    if !path.is_dir() {
        return own;
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| !matches!(e.file_name().to_str(), Some("node_modules" | "__pycache__")))
        .filter_map(|e| newest(&e.path()))
        .chain(own)
        .max()
}

/// The `.yaml` files in `dir`, sorted (following a `scenarios` link to the Rust example's).
pub fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// Runs `huashu test MODULE SCENARIOS…` through the real binary; the exit status, stdout
/// and stderr. Compiled artifacts are cached under `target/guests/test-cache`, as the other
/// end-to-end tests do, so a 15 MB interpreter guest compiles once, not once per test.
pub fn huashu_test(module: &Path, scenarios: &[PathBuf]) -> (bool, String, String) {
    let _quiet = quiet();
    let out = Command::new(env!("CARGO_BIN_EXE_huashu"))
        .arg("test")
        .arg(module)
        .args(scenarios)
        .env("XDG_CACHE_HOME", guest_target_dir().join("test-cache"))
        .output()
        .expect("run huashu");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
