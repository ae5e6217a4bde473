//! Building a script's source directory into a component, so `huashu test my-script/` works
//! on a directory: a Rust crate (`Cargo.toml`) with cargo for the `wasm32-wasip2` target,
//! any other directory with its `build.sh` (what `huashu new` writes for Python, JavaScript
//! and C). The build's own output goes to stderr as it happens; when the build fails, the
//! error names the cause the build gave, not a guess.

use std::io::{BufRead as _, BufReader, IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, bail};

/// Builds the script in `dir` and returns the component it produced.
pub fn build_guest_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    if dir.join("Cargo.toml").is_file() {
        build_rust_guest(dir)
    } else if dir.join("build.sh").is_file() {
        build_with_script(dir)
    } else {
        bail!(
            "{} has neither a Cargo.toml nor a build.sh: pass the built .wasm instead",
            dir.display()
        )
    }
}

/// Runs `cargo build --release --target wasm32-wasip2` in `dir` and returns the `.wasm` it
/// produced.
fn build_rust_guest(dir: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(dir).args([
        "build",
        "--release",
        "--target",
        "wasm32-wasip2",
        "--message-format=json-render-diagnostics",
    ]);
    // Piped, cargo would drop its colours; the tenant reading a terminal keeps them.
    if std::io::stderr().is_terminal() {
        command.arg("--color=always");
    }
    let build = run_echoing_stderr(&mut command)
        .with_context(|| format!("cannot run cargo in {}", dir.display()))?;
    if !build.status.success() {
        let installed = || wasm_target_installed(dir);
        bail!(
            "building {} failed: {}",
            dir.display(),
            cargo_failure(&build.stderr, build.status, installed)
        );
    }
    let mut found = None;
    for line in build.stdout.split(|&b| b == b'\n') {
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

/// Runs `bash DIR/build.sh DIR/target/<dir name>.wasm` and returns that file.
fn build_with_script(dir: &Path) -> anyhow::Result<PathBuf> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let name = dir
        .file_name()
        .map_or_else(|| "script".into(), |n| n.to_string_lossy().into_owned());
    let out = dir.join("target").join(format!("{name}.wasm"));
    let mut command = Command::new("bash");
    command
        .current_dir(&dir)
        .arg(dir.join("build.sh"))
        .arg(&out);
    let build = run_echoing_stderr(&mut command)
        .with_context(|| format!("cannot run bash for {}", dir.join("build.sh").display()))?;
    if !build.status.success() {
        let last_line = build
            .stderr
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("it printed nothing on stderr");
        // 127 is the shell's "command not found", which the SDKs' build scripts also use for
        // a missing toolchain.
        let what = match build.status.code() {
            Some(127) => "a build tool is missing".to_owned(),
            _ => format!("build.sh exited with {}", build.status),
        };
        bail!("building {} failed: {what}: {last_line}", dir.display());
    }
    if !out.is_file() {
        bail!(
            "{} succeeded but wrote no {}",
            dir.join("build.sh").display(),
            out.display()
        );
    }
    Ok(out)
}

/// A finished build: its status, everything it wrote to stdout, and its stderr as text
/// (without colour codes).
struct Build {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `command`, copying its stderr to ours line by line as it comes (compile errors and
/// progress stay visible) while keeping a copy to find the cause of a failure in.
fn run_echoing_stderr(command: &mut Command) -> std::io::Result<Build> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (Some(mut stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(std::io::Error::other("the child's output was not piped"));
    };
    let echo = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            let _ = std::io::stderr().write_all(&line);
            kept.append(&mut line);
        }
        kept
    });
    let mut out = Vec::new();
    stdout.read_to_end(&mut out)?;
    let status = child.wait()?;
    let kept = echo.join().unwrap_or_default();
    Ok(Build {
        status,
        stdout: out,
        stderr: strip_colours(&String::from_utf8_lossy(&kept)),
    })
}

/// `text` without ANSI escape sequences (`ESC [ … letter`).
fn strip_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether rustup lists `wasm32-wasip2` among the installed targets of the toolchain `dir`
/// builds with; `None` without rustup.
fn wasm_target_installed(dir: &Path) -> Option<bool> {
    let output = Command::new("rustup")
        .current_dir(dir)
        .args(["target", "list", "--installed"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-wasip2"),
    )
}

/// Why cargo failed, from its stderr: a missing `wasm32-wasip2` target only when rustc said
/// so and rustup agrees (`installed`, asked only then), otherwise cargo's own error and the
/// chain of causes it gave. A manifest that still points into the huashu repository gets a
/// hint, since that is what copying an example out of it produces.
fn cargo_failure(
    stderr: &str,
    status: ExitStatus,
    installed: impl FnOnce() -> Option<bool>,
) -> String {
    let rustc_says_missing = stderr.contains("target may not be installed")
        || stderr.contains("can't find crate for `core`")
        || stderr.contains("can't find crate for `std`");
    if rustc_says_missing && stderr.contains("wasm32-wasip2") && installed() != Some(true) {
        return "the wasm32-wasip2 target is not installed: run `rustup target add wasm32-wasip2`"
            .to_owned();
    }
    let Some(cause) = cargo_error(stderr) else {
        return format!("cargo exited with {status}");
    };
    let points_into_repository = cause.contains("workspace root")
        || cause.contains("workspace.package")
        || cause.contains("dependency `huashu-sdk`");
    if points_into_repository {
        format!(
            "{cause}\n(the manifest still points into the huashu repository, as an example \
             copied out of it does: `huashu new NAME --lang rust` starts a project that carries \
             its own copy of the SDK)"
        )
    } else {
        cause
    }
}

/// Cargo's last `error:` and the `Caused by:` lines under it, on one line: for a manifest
/// problem that is the whole story; for a compile error it is `could not compile …`, with
/// rustc's diagnostics already shown above it.
fn cargo_error(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines.iter().rposition(|l| l.starts_with("error: "))?;
    let mut parts = vec![lines[start].trim_start_matches("error: ").trim().to_owned()];
    for line in &lines[start + 1..] {
        if line.starts_with("warning: ") || line.starts_with("error") {
            break;
        }
        let line = line.trim();
        if !line.is_empty() && line != "Caused by:" {
            parts.push(line.to_owned());
        }
    }
    Some(parts.join(": "))
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt as _;

    use super::*;

    fn failed() -> ExitStatus {
        ExitStatus::from_raw(101 << 8)
    }

    const MISSING_TARGET: &str = "   Compiling wit-bindgen v0.61.1\n\
        error[E0463]: can't find crate for `core`\n  |\n  \
        = note: the `wasm32-wasip2` target may not be installed\n  \
        = help: consider downloading the target with `rustup target add wasm32-wasip2`\n\n\
        error: could not compile `wit-bindgen` (lib) due to 1 previous error\n";

    #[test]
    fn a_missing_target_is_named_only_when_rustup_agrees() {
        let cause = cargo_failure(MISSING_TARGET, failed(), || Some(false));
        assert!(cause.contains("rustup target add wasm32-wasip2"), "{cause}");
        let cause = cargo_failure(MISSING_TARGET, failed(), || None);
        assert!(cause.contains("rustup target add wasm32-wasip2"), "{cause}");
        let cause = cargo_failure(MISSING_TARGET, failed(), || Some(true));
        assert_eq!(
            cause,
            "could not compile `wit-bindgen` (lib) due to 1 previous error"
        );
    }

    #[test]
    fn a_missing_sdk_path_is_reported_in_cargos_words() {
        let stderr = "error: failed to load manifest for dependency `huashu-sdk`\n\n\
            Caused by:\n  failed to read `/tmp/huashu/sdk/rust/Cargo.toml`\n\n\
            Caused by:\n  No such file or directory (os error 2)\n";
        let cause = cargo_failure(stderr, failed(), || panic!("rustup is not asked"));
        assert!(
            cause.starts_with(
                "failed to load manifest for dependency `huashu-sdk`: failed to read \
                 `/tmp/huashu/sdk/rust/Cargo.toml`: No such file or directory (os error 2)\n"
            ),
            "{cause}"
        );
        assert!(cause.contains("huashu new"), "{cause}");
        assert!(!cause.contains("rustup"), "{cause}");
    }

    #[test]
    fn a_compile_error_ends_with_cargos_summary() {
        let stderr = "error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\n\n\
            error: could not compile `bot` (lib) due to 1 previous error\n\
            warning: build failed, waiting for other jobs to finish...\n";
        let cause = cargo_failure(stderr, failed(), || None);
        assert_eq!(
            cause,
            "could not compile `bot` (lib) due to 1 previous error"
        );
    }

    #[test]
    fn silence_from_cargo_gives_its_exit_status() {
        let cause = cargo_failure("", failed(), || None);
        assert!(cause.starts_with("cargo exited with"), "{cause}");
    }

    #[test]
    fn colour_codes_are_stripped() {
        assert_eq!(
            strip_colours("\u{1b}[1m\u{1b}[91merror\u{1b}[0m: bad"),
            "error: bad"
        );
    }
}
