//! `huashu test` through the real binary: every example passes its shipped scenarios, a
//! wrong expectation fails with exit code 1 and a readable diff, and bad input gets a clear
//! message with exit code 2.

mod support;

use std::process::{Command, Output};

fn huashu(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huashu"))
        .args(args)
        // Build source directories into the guests' own target dir, so nothing is built twice.
        .env("CARGO_TARGET_DIR", support::guest_target_dir())
        // A cache of its own per test run keeps tests independent of the user's cache.
        .env(
            "XDG_CACHE_HOME",
            support::guest_target_dir().join("test-cache"),
        )
        .output()
        .expect("run huashu")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_example_passes_all_its_scenarios() {
    let examples = support::example_dirs();
    assert!(examples.len() >= 3, "the three Rust examples exist");
    for dir in examples {
        let name = dir
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        let wasm = support::guest_wasm(&name);
        let scenarios = std::fs::read_dir(dir.join("scenarios"))
            .expect("scenarios/")
            .count();
        assert!(
            scenarios >= 5,
            "{name} ships at least 5 scenarios, has {scenarios}"
        );
        let out = Command::new(env!("CARGO_BIN_EXE_huashu"))
            .arg("test")
            .arg(&wasm)
            // The directory, as the examples' READMEs pass it: its scenario files are run.
            .arg(dir.join("scenarios"))
            .env(
                "XDG_CACHE_HOME",
                support::guest_target_dir().join("test-cache"),
            )
            .output()
            .expect("run huashu");
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: huashu test failed\n{stdout}\n{}",
            text(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("{scenarios} passed, 0 failed")),
            "{stdout}"
        );
    }
}

#[test]
fn a_crate_directory_is_built_and_tested_in_one_command() {
    support::guest_wasm("birthday-coupon");
    let dir = support::workspace_root().join("guest-examples/birthday-coupon");
    let out = huashu(&["test".as_ref(), dir.as_os_str()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
}

#[test]
fn a_wrong_expectation_fails_with_exit_code_1_and_a_diff() {
    let wasm = support::guest_wasm("hostile");
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("wrong.yaml");
    std::fs::write(
        &scenario,
        "call:\n  variables: { mode: polite }\nsteps:\n  - bot_says: 优惠券\n",
    )
    .expect("write scenario");
    let out = huashu(&["test".as_ref(), wasm.as_os_str(), scenario.as_os_str()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  wrong.yaml"), "{stdout}");
    assert!(
        stdout.contains("step 1: expected the bot says /优惠券/"),
        "{stdout}"
    );
    assert!(
        stdout.contains("says \"您好，这里是测试。请问您现在方便吗？\""),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");
}

#[test]
fn a_wrong_outcome_is_reported_field_by_field() {
    let wasm = support::guest_wasm("hostile");
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("outcome.yaml");
    std::fs::write(
        &scenario,
        "call:\n  variables: { mode: polite }\nsteps:\n  - customer_says: 好\n  - bot_hangs_up\noutcome:\n  intent: A\n  tags: [vip]\n",
    )
    .expect("write scenario");
    let out = huashu(&["test".as_ref(), wasm.as_os_str(), scenario.as_os_str()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("outcome intent: expected A, got (not set)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("outcome tags: expected includes `vip`, got []"),
        "{stdout}"
    );
}

#[test]
fn the_call_record_is_written_as_json() {
    let wasm = support::guest_wasm("hostile");
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("polite.yaml");
    std::fs::write(
        &scenario,
        "call:\n  variables: { mode: polite }\nsteps:\n  - customer_says: 方便\n  - bot_hangs_up\n",
    )
    .expect("write scenario");
    let record = dir.path().join("record.json");
    let out = huashu(&[
        "test".as_ref(),
        wasm.as_os_str(),
        scenario.as_os_str(),
        "--record".as_ref(),
        record.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).expect("record written")).expect("JSON");
    assert_eq!(json["call"]["variables"]["mode"], "polite");
    assert_eq!(json["transcript"][1]["speaker"], "customer");
    assert_eq!(json["transcript"][1]["text"], "方便");
    assert_eq!(json["end"]["by"], "script");
}

#[test]
fn unusable_input_gets_a_clear_message_and_exit_code_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_scenario = dir.path().join("bad.yaml");
    std::fs::write(&bad_scenario, "steps:\n  - bot_sings: la\n").expect("write");
    let wasm = support::guest_wasm("hostile");
    let out = huashu(&["test".as_ref(), wasm.as_os_str(), bad_scenario.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.yaml is not a valid scenario") && stderr.contains("bot_sings"),
        "{stderr}"
    );

    let not_wasm = dir.path().join("script.wasm");
    std::fs::write(&not_wasm, "print('hello')").expect("write");
    let out = huashu(&[
        "test".as_ref(),
        not_wasm.as_os_str(),
        bad_scenario.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));

    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write");
    let scenario = dir.path().join("ok.yaml");
    std::fs::write(&scenario, "steps:\n  - customer_hangs_up\n").expect("write");
    let out = huashu(&["test".as_ref(), core.as_os_str(), scenario.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("core WebAssembly module, not a component"),
        "{stderr}"
    );
}

#[test]
fn the_readme_quick_start_is_a_working_script() {
    let root = support::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let source =
        std::fs::read_to_string(root.join("tests/guests/quickstart/src/lib.rs")).expect("source");
    let code = source
        .split_once("\n\n")
        .map(|(_doc, code)| code)
        .expect("a doc line, then the code");
    assert!(
        readme.contains(code),
        "README.md's script and tests/guests/quickstart differ"
    );
    let scenario = root.join("tests/guests/quickstart/scenarios/yes.yaml");
    let yaml = std::fs::read_to_string(&scenario).expect("scenario");
    assert!(
        readme.contains(&yaml),
        "README.md's scenario and the quickstart's differ"
    );

    let wasm = support::guest_wasm("quickstart");
    let out = huashu(&["test".as_ref(), wasm.as_os_str(), scenario.as_os_str()]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}
