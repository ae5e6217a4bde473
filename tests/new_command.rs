//! `huashu new` through the real binary: a project created outside the repository, in each
//! language, builds and passes its scenario with `huashu test DIR`; an existing directory
//! and a bad name are refused with exit code 2; and when a build fails, `huashu test` names
//! the cause cargo gave instead of guessing at the wasm target.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

fn huashu(dir: &Path, args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huashu"))
        .current_dir(dir)
        .args(args)
        // Rust projects build into the guests' target dir, so the SDK's dependencies are
        // compiled once for every test and test run.
        .env("CARGO_TARGET_DIR", support::guest_target_dir())
        .env(
            "XDG_CACHE_HOME",
            support::guest_target_dir().join("test-cache"),
        )
        // The project must find the toolchains by itself, as it does for a tenant.
        .env_remove("HUASHU_HOME")
        .output()
        .expect("run huashu")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch directory outside the repository (the system's temp dir).
fn outside_the_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = support::workspace_root().canonicalize().expect("root");
    let path = dir.path().canonicalize().expect("tempdir path");
    assert!(
        !path.starts_with(&root),
        "{} is inside the repository",
        path.display()
    );
    dir
}

/// Held while a guest builds: two cores are enough for one build at a time.
fn one_build_at_a_time() -> MutexGuard<'static, ()> {
    static BUILDS: Mutex<()> = Mutex::new(());
    BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `huashu new NAME --lang LANG --dir <scratch>/NAME`, which must succeed; the project dir.
fn new_project(scratch: &Path, name: &str, lang: &str) -> PathBuf {
    let project = scratch.join(name);
    let out = huashu(
        scratch,
        &[
            "new".as_ref(),
            name.as_ref(),
            "--lang".as_ref(),
            lang.as_ref(),
            "--dir".as_ref(),
            project.as_os_str(),
        ],
    );
    assert!(
        out.status.success(),
        "huashu new failed\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("huashu test ."),
        "{}",
        text(&out.stdout)
    );
    project
}

/// Creates a project in `lang` outside the repository and checks that `huashu test DIR`
/// builds it and passes its one scenario.
fn a_new_project_passes_its_scenario(lang: &str, sources: &[&str]) {
    let scratch = outside_the_repository();
    let project = new_project(scratch.path(), "hello-bot", lang);
    for file in [
        "README.md",
        "scenarios/yes.yaml",
        "vendor/huashu/wit/world.wit",
    ]
    .iter()
    .chain(sources)
    {
        assert!(project.join(file).is_file(), "{lang}: no {file}");
    }
    let readme = std::fs::read_to_string(project.join("README.md")).expect("README");
    for command in ["huashu test .", "curl -XPUT", "/v1/modules/hello-bot"] {
        assert!(
            readme.contains(command),
            "{lang} README lacks {command}:\n{readme}"
        );
    }

    let _build = one_build_at_a_time();
    let out = huashu(scratch.path(), &["test".as_ref(), project.as_os_str()]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "{lang}: huashu test failed\n{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}

#[test]
fn a_new_rust_project_outside_the_repository_builds_and_passes_its_scenario() {
    a_new_project_passes_its_scenario(
        "rust",
        &[
            "Cargo.toml",
            "Cargo.lock",
            "src/lib.rs",
            "vendor/huashu/sdk/rust/Cargo.toml",
        ],
    );
}

#[test]
fn a_new_python_project_outside_the_repository_builds_and_passes_its_scenario() {
    a_new_project_passes_its_scenario("python", &["build.sh", "src/app.py"]);
}

#[test]
fn a_new_javascript_project_outside_the_repository_builds_and_passes_its_scenario() {
    a_new_project_passes_its_scenario("js", &["build.sh", "src/app.js"]);
}

#[test]
fn a_new_c_project_outside_the_repository_builds_and_passes_its_scenario() {
    a_new_project_passes_its_scenario("c", &["build.sh", "src/app.c"]);
}

#[test]
fn an_existing_non_empty_directory_is_never_overwritten() {
    let scratch = outside_the_repository();
    let taken = scratch.path().join("taken");
    std::fs::create_dir(&taken).expect("mkdir");
    std::fs::write(taken.join("notes.txt"), "mine").expect("write");
    // As --dir, and as the default ./NAME.
    for args in [
        vec!["new", "bot", "--lang", "rust", "--dir", "taken"],
        vec!["new", "taken", "--lang", "python"],
    ] {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let out = huashu(scratch.path(), &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains("is not empty"), "{stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(&taken).expect("read").collect();
    assert_eq!(left.len(), 1, "only notes.txt is there");
    assert_eq!(
        std::fs::read_to_string(taken.join("notes.txt")).unwrap(),
        "mine"
    );

    // An empty directory is fine.
    let empty = scratch.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let out = huashu(
        scratch.path(),
        &["new", "bot", "--lang", "c", "--dir", "empty"].map(OsStr::new),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(empty.join("src/app.c").is_file());
}

#[test]
fn a_name_the_server_would_refuse_is_refused_and_nothing_is_created() {
    let scratch = outside_the_repository();
    let too_long = "x".repeat(65);
    for name in ["my bot", "..", "a/b", "机器人", too_long.as_str()] {
        let out = huashu(
            scratch.path(),
            &["new", name, "--lang", "js"].map(OsStr::new),
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains("cannot name a script"), "{stderr}");
    }
    let created: Vec<_> = std::fs::read_dir(scratch.path()).expect("read").collect();
    assert!(created.is_empty(), "{created:?}");
}

/// The failure of `huashu test DIR`: its stderr, after checking the exit code and that the
/// cause is not blamed on the wasm target (which is installed here).
fn failed_build(dir: &Path) -> String {
    let _build = one_build_at_a_time();
    let out = huashu(dir, &["test".as_ref(), dir.as_os_str()]);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}\n{stderr}",
        text(&out.stdout)
    );
    let error = stderr
        .lines()
        .position(|l| l.starts_with("error: building"))
        .map(|i| stderr.lines().skip(i).collect::<Vec<_>>().join("\n"))
        .unwrap_or_else(|| panic!("no `error: building` line in\n{stderr}"));
    assert!(!error.contains("rustup target add"), "{error}");
    error
}

#[test]
fn an_sdk_path_that_does_not_exist_is_reported_as_cargo_says() {
    let scratch = outside_the_repository();
    let project = new_project(scratch.path(), "moved", "rust");
    let manifest = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
    // What a manifest written for the repository's layout says once moved out of it.
    let broken = text.replace("vendor/huashu/sdk/rust", "../huashu/sdk/rust");
    assert_ne!(text, broken);
    std::fs::write(&manifest, broken).expect("write");

    let error = failed_build(&project);
    assert!(error.contains("huashu-sdk"), "{error}");
    assert!(error.contains("huashu/sdk/rust/Cargo.toml"), "{error}");
    assert!(error.contains("No such file or directory"), "{error}");
    assert!(error.contains("huashu new"), "{error}");
}

#[test]
fn an_example_copied_out_of_the_repository_names_the_workspace_it_lost() {
    let scratch = outside_the_repository();
    let example = support::workspace_root().join("guest-examples/birthday-coupon");
    let copy = scratch.path().join("birthday-coupon");
    let copied = Command::new("cp")
        .arg("-R")
        .arg(&example)
        .arg(&copy)
        .status()
        .expect("run cp");
    assert!(copied.success());
    let error = failed_build(&copy);
    assert!(error.contains("workspace"), "{error}");
    assert!(error.contains("huashu new"), "{error}");
}

#[test]
fn a_directory_with_nothing_to_build_is_refused() {
    let scratch = outside_the_repository();
    std::fs::create_dir(scratch.path().join("scenarios")).expect("mkdir");
    let out = huashu(
        scratch.path(),
        &["test".as_ref(), scratch.path().as_os_str()],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("neither a Cargo.toml nor a build.sh"),
        "{stderr}"
    );
}
