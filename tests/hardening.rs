//! Faults and hostile behaviour through the real server: a script that never answers, bad
//! names, tokens used on the wrong channel. Each test drives a real `huashu serve` on
//! loopback and checks that only the offending call (or request) is affected.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::server::{Server, create_call, create_tenant, upload};
use support::ws::TextCall;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The script sleeps for an hour on the customer's answer, and the customer hangs up. The
/// call must end on the wall-clock limit (not after the hour), its record must not stay
/// live, and its place in the tenant's concurrent-call quota must be free again.
#[test]
fn a_sleeping_script_ends_its_call_and_frees_its_quota_slot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "quotas": { "max_concurrent_calls": 1, "wall_per_event_ms": 300 } }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quotas"]["wall_per_event_ms"], 300);
    upload(&server, &key, "bot", "hostile");
    let (call_id, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "late-sleep" }));
    let ended_after = runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("greeting");
        call.say("你好").await;
        let asleep = Instant::now();
        call.send(json!({ "type": "hangup" })).await;
        call.until_closed().await;
        asleep.elapsed()
    });
    // The script would sleep for an hour; anything near the limit proves it was cut off.
    assert!(
        ended_after < Duration::from_secs(30),
        "the call ended {ended_after:?} after the script fell asleep"
    );
    let client = server.client(&key);
    let (_, record) = client.get(&format!("/v1/calls/{call_id}"));
    assert_ne!(record["status"], "live", "{record}");
    assert_eq!(
        record["record"]["error"]["kind"], "wall_clock_per_event",
        "{record}"
    );
    assert_eq!(record["record"]["error"]["detail"]["limit_ms"], 300);
    let (status, body) = client.post(
        "/v1/calls",
        json!({ "module": "bot", "variables": { "mode": "polite" } }),
    );
    assert_eq!(status, 201, "the quota slot is free again: {body}");
}

/// A sleeping script on one call does not hold up another tenant's call beside it.
#[test]
fn a_sleeping_script_does_not_hold_up_another_tenants_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, sleepy_key) = create_tenant(&server, "Sleepy");
    let (_, polite_key) = create_tenant(&server, "Polite");
    upload(&server, &sleepy_key, "bot", "hostile");
    upload(&server, &polite_key, "bot", "hostile");
    let (_, sleepy_url) = create_call(&server, &sleepy_key, "bot", json!({ "mode": "sleep" }));
    let (polite_id, polite_url) =
        create_call(&server, &polite_key, "bot", json!({ "mode": "polite" }));
    runtime().block_on(async {
        let mut sleepy = TextCall::connect(&sleepy_url).await;
        let mut polite = TextCall::connect(&polite_url).await;
        polite.until_listening().await.expect("greeting");
        polite.say("方便").await;
        polite.until_closed().await;
        assert!(polite.said().iter().any(|s| s.contains("再见")));
        sleepy.until_closed().await;
        assert!(
            sleepy.said().iter().any(|s| s.contains("非常抱歉")),
            "the sleepy call ended with the fallback: {:?}",
            sleepy.said()
        );
    });
    let (_, record) = server
        .client(&polite_key)
        .get(&format!("/v1/calls/{polite_id}"));
    assert_eq!(record["status"], "completed", "{record}");
}
