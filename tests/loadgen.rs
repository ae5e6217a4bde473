//! `huashu loadgen` end to end: a real server, the `load-bot` test guest, Twilio Media
//! Streams calls held for a few seconds with DTMF turns, and the JSON report checked. The
//! figures themselves (how many calls a machine holds) are measured by hand, not here:
//! docs/benchmarks.md.

mod support;

use std::process::Command;

use serde_json::Value;
use support::server::{OPERATOR_TOKEN, Server, create_tenant};

/// A server with one tenant that has `load-bot`; its key.
fn server_with_load_bot(dir: &std::path::Path) -> (Server, String) {
    let server = Server::start(dir);
    let (_, key) = create_tenant(&server, "Load Test");
    let (status, body) = server
        .client(&key)
        .put_bytes("/v1/modules/load-bot", &support::guest_bytes("load-bot"));
    assert_eq!(status, 201, "{body}");
    (server, key)
}

/// Runs `huashu loadgen --json` with `args`; returns the report.
fn loadgen(server: &Server, key: &str, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_huashu"))
        .args(["loadgen", "--server", &server.base, "--key", key])
        .args(["--module", "load-bot", "--json"])
        .args(args)
        .output()
        .expect("run huashu loadgen");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // 0: the bar was met; 1: the report says what was missed (a busy CI machine may be
    // late); 2 would mean the run could not start.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "loadgen exited with {:?}\n{stdout}\n{stderr}",
        output.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: not a JSON report:\n{stdout}"))
}

#[test]
fn loadgen_holds_twenty_twilio_calls_and_measures_frames_and_turns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_load_bot(dir.path());
    let report = loadgen(
        &server,
        &key,
        &[
            "--calls",
            "20",
            "--duration",
            "5",
            "--turn-every",
            "2",
            "--operator-token",
            OPERATOR_TOKEN,
        ],
    );
    let calls = &report["calls"];
    assert_eq!(calls["attempted"], 20, "{report:#}");
    assert_eq!(calls["held"], 20, "{report:#}");
    assert_eq!(calls["failed"], 0, "{report:#}");
    assert_eq!(calls["not_closed_after_stop"], 0, "{report:#}");

    let frames = &report["frames"];
    assert!(frames["sent"].as_u64() >= Some(20 * 240), "{report:#}");
    assert!(frames["received"].as_u64() > Some(0), "{report:#}");
    assert_eq!(frames["bad"], 0, "{report:#}");
    assert_eq!(frames["unknown_messages"], 0, "{report:#}");
    assert!(frames["marks_received"].as_u64() >= Some(20), "{report:#}");
    assert_eq!(frames["marks_echoed"], frames["marks_received"]);
    assert!(report["frame_lateness"]["p99_ms"].is_number(), "{report:#}");

    // Each call greets, then answers at least one digit before it is stopped.
    let turns = &report["turns"];
    assert!(turns["latency"]["count"].as_u64() >= Some(20), "{report:#}");
    assert!(turns["latency"]["p50_ms"].is_number(), "{report:#}");

    // The scrape worked; the server's own counters are reported where it has them.
    let server_side = &report["server"];
    assert_eq!(server_side["scraped"], true, "{report:#}");
    assert!(server_side["error"].is_null(), "{report:#}");
    if let Some(sent) = server_side["figures"]["frames_sent"].as_u64() {
        assert!(
            sent >= frames["received"].as_u64().unwrap_or(0),
            "{report:#}"
        );
    }
    // The server process's own CPU and memory, from its metrics: what a generator on
    // another machine has instead of `--server-pid`.
    let cpu = server_side["figures"]["cpu_percent"].as_f64();
    assert!(cpu.is_some_and(|cpu| cpu > 0.0), "{report:#}");
    let memory = server_side["figures"]["resident_mib"].as_f64();
    assert!(memory.is_some_and(|mib| mib > 1.0), "{report:#}");
}

#[test]
fn loadgen_can_connect_with_call_tokens_from_post_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_load_bot(dir.path());
    let report = loadgen(
        &server,
        &key,
        &[
            "--create-calls",
            "--calls",
            "3",
            "--duration",
            "2",
            "--turn-every",
            "0",
        ],
    );
    assert_eq!(report["calls"]["held"], 3, "{report:#}");
    assert_eq!(report["turns"]["taken"], 0, "{report:#}");
    assert!(
        report["frames"]["received"].as_u64() > Some(0),
        "{report:#}"
    );
    assert!(
        report["server"]["figures"].is_null(),
        "no operator token, no scrape"
    );
}

#[test]
fn loadgen_names_a_wrong_key_in_its_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _) = server_with_load_bot(dir.path());
    let report = loadgen(
        &server,
        "hs_000000000000000000000000000000000000000000000000",
        &["--calls", "2", "--duration", "1"],
    );
    assert_eq!(report["calls"]["held"], 0, "{report:#}");
    assert_eq!(report["calls"]["failed"], 2, "{report:#}");
    assert_eq!(report["verdict"]["passed"], false);
    let reason = report["calls"]["failures"][0]["what"]
        .as_str()
        .unwrap_or_default();
    assert!(!reason.is_empty(), "{report:#}");
}
