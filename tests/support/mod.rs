//! Shared by the end-to-end tests: real guest components built from source, once per test
//! process, into `target/guests` (a target directory of their own, so building them never
//! waits on the lock of the build that is running the tests).

#![allow(dead_code, reason = "each test file uses a different part")]

pub mod origin;
pub mod polyglot;
pub mod server;
pub mod sip;
pub mod twilio;
pub mod ws;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A tokio runtime with two workers, like the machine the tests are measured on: calls and
/// their real-time audio run beside each other as on the server.
pub fn two_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Test guests and example scripts, built together in one cargo invocation.
const GUESTS: &[&str] = &[
    "hostile",
    "wrong-world",
    "unknown-import",
    "quickstart",
    "load-bot",
    "audio-meter",
    "switchboard",
    "http-caller",
    "say-parts",
    "birthday-coupon",
    "payment-reminder",
    "satisfaction-survey",
];

pub fn workspace_root() -> PathBuf {
    // The crate is `runtime/<stage>/`; the workspace root holds `wit/`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("wit").is_dir())
        .expect("the crate sits inside the huashu workspace")
        .to_path_buf()
}

/// Where guests are built.
pub fn guest_target_dir() -> PathBuf {
    workspace_root().join("target").join("guests")
}

/// The component built from the guest crate `name` (e.g. `birthday-coupon`).
pub fn guest_wasm(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(why) = BUILT.get_or_init(build_guests) {
        panic!("building the guest components failed: {why}");
    }
    let path = guest_target_dir()
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

pub fn guest_bytes(name: &str) -> Vec<u8> {
    std::fs::read(guest_wasm(name)).expect("read the guest component")
}

fn build_guests() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(guest_target_dir());
    for guest in GUESTS {
        command.args(["-p", guest]);
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "cargo exited with {status}; is the wasm32-wasip2 target installed?"
        ))
    }
}

/// Example script directories under `guest-examples/`.
pub fn example_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("guest-examples"))
        .expect("guest-examples/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}
