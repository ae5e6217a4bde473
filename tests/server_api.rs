//! The server end to end: a real `huashu serve` process on loopback, real HTTP and
//! WebSocket clients, real components from `guest-examples/` and `tests/guests/`.

mod support;

use serde_json::{Value, json};
use support::server::{Server, create_call, create_tenant, upload};
use support::ws::TextCall;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The birthday-coupon acceptance, typed over the WebSocket.
async fn accept_coupon(ws_url: &str) -> TextCall {
    let mut call = TextCall::connect(ws_url).await;
    call.until_listening()
        .await
        .expect("the bot greets and listens");
    call.say("好的，谢谢").await;
    call.until_closed().await;
    call
}

#[test]
fn tenants_talk_to_their_own_bots_and_see_only_their_own_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_a, key_a) = create_tenant(&server, "Acme Bank");
    let (_b, key_b) = create_tenant(&server, "Globex Retail");
    upload(&server, &key_a, "birthday-coupon", "birthday-coupon");
    let (call_id, ws_url) = create_call(
        &server,
        &key_a,
        "birthday-coupon",
        json!({ "name": "王芳", "coupon_amount": 50 }),
    );

    let call = runtime().block_on(accept_coupon(&ws_url));
    let said = call.said();
    assert!(said[0].contains("王芳您好"), "{said:?}");
    assert!(
        said.iter()
            .any(|s| s.contains("优惠券稍后会通过短信发给您")),
        "{said:?}"
    );
    let hangup = call
        .received
        .iter()
        .find(|m| m["type"] == "hangup")
        .expect("hangup message");
    assert_eq!(hangup["by"], "script");
    let outcome = call
        .received
        .iter()
        .find(|m| m["type"] == "outcome")
        .expect("outcome message");
    assert_eq!(outcome["intent"], "A");
    assert_eq!(call.closed.as_ref().map(|c| c.0), Some(1000));

    let a = server.client(&key_a);
    let (status, record) = a.get(&format!("/v1/calls/{call_id}"));
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["status"], "completed");
    assert_eq!(record["intent"], "A");
    assert_eq!(record["record"]["outcome"]["intent"], "A");
    let transcript = record["record"]["transcript"]
        .as_array()
        .expect("transcript");
    assert!(
        transcript
            .iter()
            .any(|l| l["speaker"] == "customer" && l["text"] == "好的，谢谢")
    );
    let (status, list) = a.get("/v1/calls?intent=A");
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["call_id"], call_id.as_str());

    // Tenant B sees none of it.
    let b = server.client(&key_b);
    assert_eq!(b.get("/v1/modules/birthday-coupon").0, 404);
    assert_eq!(b.get(&format!("/v1/calls/{call_id}")).0, 404);
    assert_eq!(b.get("/v1/calls").1["items"], json!([]));
    assert_eq!(b.get("/v1/modules").1, json!([]));
    support::server::assert_not_found(b.post("/v1/calls", json!({ "module": "birthday-coupon" })));

    // Keys: unknown, tenant keys on operator endpoints, revoked.
    assert_eq!(server.client("hs_not_a_key").get("/v1/modules").0, 401);
    assert_eq!(a.get("/v1/tenants").0, 401);
    let (status, body) = server.client("").get("/v1/modules");
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Bearer")
    );
}

#[test]
fn revoked_keys_stop_working_and_new_keys_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    let operator = server.operator();
    let (status, new_key) = operator.post(
        &format!("/v1/tenants/{tenant}/keys"),
        json!({ "label": "ci" }),
    );
    assert_eq!(status, 201);
    let (_, keys) = operator.get(&format!("/v1/tenants/{tenant}/keys"));
    let first = keys[0]["key_id"].as_str().expect("key id").to_owned();
    assert!(
        keys.to_string().find("hs_").is_none(),
        "secrets are never listed: {keys}"
    );
    let revoke = keys
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["label"] == "initial")
        .and_then(|k| k["key_id"].as_str())
        .unwrap_or(&first)
        .to_owned();
    assert_eq!(
        operator
            .delete(&format!("/v1/tenants/{tenant}/keys/{revoke}"))
            .0,
        204
    );
    assert_eq!(server.client(&key).get("/v1/modules").0, 401);
    let new_secret = new_key["api_key"].as_str().expect("api key");
    assert_eq!(server.client(new_secret).get("/v1/modules").0, 200);
}

#[test]
fn bad_uploads_get_a_reason_and_store_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    let client = server.client(&key);

    let (status, body) = client.put_bytes("/v1/modules/bot", b"this is not wasm");
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a WebAssembly file")
    );

    let (status, body) = client.put_bytes("/v1/modules/bot", b"\0asm\x01\0\0\0");
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a component"),
        "{body}"
    );

    let (status, body) = client.put_bytes("/v1/modules/bot", &support::guest_bytes("wrong-world"));
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("huashu:dialogue/script@0.1.0"),
        "{body}"
    );

    let (status, body) =
        client.put_bytes("/v1/modules/bot", &support::guest_bytes("unknown-import"));
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("acme:spy/exfiltrate"),
        "{body}"
    );

    let (status, _) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "quotas": { "max_module_bytes": 1000 } }),
    );
    assert_eq!(status, 200);
    let (status, body) = client.put_bytes("/v1/modules/bot", &support::guest_bytes("hostile"));
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "module_too_large");

    let (status, body) =
        client.put_bytes("/v1/modules/bad%20name!", &support::guest_bytes("hostile"));
    assert_eq!(status, 400, "{body}");

    assert_eq!(client.get("/v1/modules").1, json!([]));
    assert_eq!(client.get("/v1/modules/bot").0, 404);
}

#[test]
fn an_upload_that_outlives_its_request_compiles_on_and_says_how_it_ended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    let (_, other) = create_tenant(&server, "Other");
    let client = server.client(&key);

    // `wait=0`: answered at once, with where to ask.
    let (status, accepted) = client.put_bytes(
        "/v1/modules/coupon?wait=0",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["state"], "compiling");
    let id = accepted["upload_id"]
        .as_str()
        .expect("upload_id")
        .to_owned();
    // A call asked for meanwhile is told the module is still compiling, and which upload
    // to watch (the compile takes far longer than this request).
    let (status, refused) = client.post("/v1/calls", json!({"module": "coupon"}));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "module_compiling");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&id),
        "{refused}"
    );
    let path = format!("/v1/modules/coupon/uploads/{id}");
    let ready = wait_for_upload(&client, &path);
    assert_eq!(ready["state"], "ready", "{ready}");
    assert_eq!(ready["version"]["version"], 1);
    assert_eq!(
        client.get("/v1/modules/coupon").1["versions"][0]["version"],
        1
    );
    // Another tenant does not see it.
    assert_eq!(server.client(&other).get(&path).0, 404);

    // A refused upload says why, as the synchronous answer would have.
    let (status, accepted) = client.put_bytes(
        "/v1/modules/coupon?wait=0",
        &support::guest_bytes("wrong-world"),
    );
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["upload_id"].as_str().expect("upload_id");
    let failed = wait_for_upload(&client, &format!("/v1/modules/coupon/uploads/{id}"));
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["error"]["status"], 422);
    assert_eq!(failed["error"]["code"], "invalid_module");
    assert_eq!(
        client.get("/v1/modules/coupon").1["versions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // An unknown id, and a wait beyond the limit.
    assert_eq!(
        client
            .get("/v1/modules/coupon/uploads/up_000000000000000000000000")
            .0,
        404
    );
    let (status, _) = client.put_bytes("/v1/modules/coupon?wait=121", b"x");
    assert_eq!(status, 400);
}

fn wait_for_upload(client: &support::server::Client, path: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (status, upload) = client.get(path);
        assert_eq!(status, 200, "{upload}");
        if upload["state"] != "compiling" {
            return upload;
        }
        assert!(std::time::Instant::now() < deadline, "{upload}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn the_concurrent_call_quota_and_disabled_tenants_are_enforced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let operator = server.operator();
    let (status, _) = operator.patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "quotas": { "max_concurrent_calls": 2 } }),
    );
    assert_eq!(status, 200);
    create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    let (status, body) = server
        .client(&key)
        .post("/v1/calls", json!({ "module": "bot" }));
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "quota_exceeded");
    let (_, view) = operator.get(&format!("/v1/tenants/{tenant}"));
    assert_eq!(view["live_calls"], 2);

    let (status, _) = operator.patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "disabled": true, "quotas": { "max_concurrent_calls": 10 } }),
    );
    assert_eq!(status, 200);
    let (status, body) = server
        .client(&key)
        .post("/v1/calls", json!({ "module": "bot" }));
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "tenant_disabled");
}

#[test]
fn call_tokens_are_single_use_and_bad_messages_do_not_end_the_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let (_, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    runtime().block_on(async {
        let wrong = ws_url.replace("token=ct_", "token=ct_0");
        let mut rejected = TextCall::connect(&wrong).await;
        rejected.until_closed().await;
        assert_eq!(rejected.closed.as_ref().map(|c| c.0), Some(4001));

        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("greeting");
        let mut again = TextCall::connect(&ws_url).await;
        again.until_closed().await;
        assert_eq!(
            again.closed.as_ref().map(|c| c.0),
            Some(4004),
            "a token works once"
        );

        call.send_raw("{not json").await;
        let bad = call
            .until(|m| m["type"] == "bad_message")
            .await
            .expect("bad_message");
        assert!(
            bad["message"]
                .as_str()
                .unwrap_or_default()
                .contains("ignored")
        );
        call.send(json!({ "type": "sing", "song": "la" })).await;
        call.until(|m| m["type"] == "bad_message")
            .await
            .expect("bad_message");
        call.say("方便").await;
        call.until_closed().await;
        assert!(
            call.said().iter().any(|s| s.contains("再见")),
            "{:?}",
            call.said()
        );
        assert_eq!(call.closed.as_ref().map(|c| c.0), Some(1000));
    });
}

#[test]
fn a_failing_script_ends_with_the_fallback_and_an_error_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let (call_id, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "late-trap" }));
    runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("greeting");
        call.say("你好").await;
        let error = call
            .until(|m| m["type"] == "error")
            .await
            .expect("error message");
        assert_eq!(error["failure"]["kind"], "trap");
        call.until_closed().await;
        assert!(call.said().iter().any(|s| s.contains("非常抱歉")));
    });
    let (_, record) = server.client(&key).get(&format!("/v1/calls/{call_id}"));
    assert_eq!(record["status"], "failed");
    assert_eq!(record["record"]["error"]["kind"], "trap");
}

#[test]
fn completed_calls_survive_kill_9_and_live_ones_are_marked_interrupted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "birthday-coupon", "birthday-coupon");
    let rt = runtime();
    let mut completed = Vec::new();
    for _ in 0..5 {
        let (call_id, ws_url) = create_call(
            &server,
            &key,
            "birthday-coupon",
            json!({ "name": "李雷", "coupon_amount": 20 }),
        );
        rt.block_on(accept_coupon(&ws_url));
        completed.push(call_id);
    }
    // One call left hanging mid-conversation when the server dies.
    let (live_id, ws_url) = create_call(
        &server,
        &key,
        "birthday-coupon",
        json!({ "name": "韩梅梅" }),
    );
    let live = rt.block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("greeting");
        call
    });
    server.kill();
    drop(live);

    let server = Server::start(dir.path());
    let client = server.client(&key);
    for call_id in &completed {
        let (status, record) = client.get(&format!("/v1/calls/{call_id}"));
        assert_eq!(status, 200, "{call_id} survived");
        assert_eq!(record["status"], "completed");
        assert_eq!(record["record"]["outcome"]["intent"], "A");
    }
    let (_, live) = client.get(&format!("/v1/calls/{live_id}"));
    assert_eq!(live["status"], "interrupted");
    let (status, tenant_view) = server.operator().get(&format!("/v1/tenants/{tenant}"));
    assert_eq!(status, 200);
    assert_eq!(tenant_view["name"], "Acme");
    // Modules and keys still work: a new call runs.
    let (_, ws_url) = create_call(
        &server,
        &key,
        "birthday-coupon",
        json!({ "name": "王芳", "coupon_amount": 50 }),
    );
    let call = rt.block_on(accept_coupon(&ws_url));
    assert!(
        call.received
            .iter()
            .any(|m| m["type"] == "outcome" && m["intent"] == "A")
    );
}

#[test]
fn health_metrics_and_openapi_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let anyone = server.client("");
    assert_eq!(anyone.get("/healthz"), (200, json!({ "status": "ok" })));
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let (_, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await;
        call.say("方便").await;
        call.until_closed().await;
    });
    assert_eq!(
        anyone.get_text("/metrics").0,
        401,
        "metrics name tenants: operator only"
    );
    let (status, metrics) = server.operator().get_text("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("huashu_calls_started_total{tenant="),
        "{metrics}"
    );
    assert!(
        metrics.contains("huashu_instantiate_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains("huashu_event_cpu_seconds_count"),
        "{metrics}"
    );
    // The standard process figures, from the server process itself.
    let figure = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {metrics}"))
    };
    assert!(figure("process_cpu_seconds_total") > 0.0);
    assert!(figure("process_resident_memory_bytes") > 1e6);
    assert!(figure("process_threads") >= 2.0);
    assert!(figure("process_open_fds") >= 3.0);
    let (status, openapi) = anyone.get("/v1/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in [
        "/v1/tenants",
        "/v1/modules/{name}",
        "/v1/calls",
        "/v1/calls/{id}",
        "/v1/calls/{id}/ws",
    ] {
        assert!(
            openapi["paths"].get(path).is_some(),
            "openapi documents {path}"
        );
    }
}

#[test]
fn sigterm_lets_the_server_stop_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    create_tenant(&server, "Acme");
    assert_eq!(server.terminate(), Some(0));
    let server = Server::start(dir.path());
    let (_, list) = server.operator().get("/v1/tenants");
    assert_eq!(list["items"][0]["name"], "Acme");
}

#[test]
fn replay_finds_no_divergence_for_the_same_version_and_one_for_a_modified_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "birthday-coupon", "birthday-coupon");
    let (call_id, ws_url) = create_call(
        &server,
        &key,
        "birthday-coupon",
        json!({ "name": "王芳", "coupon_amount": 50 }),
    );
    runtime().block_on(accept_coupon(&ws_url));

    support::server::assert_replays_the_same(
        &server,
        &key,
        &call_id,
        &support::guest_wasm("birthday-coupon"),
        &dir.path().join("cache"),
    );

    // The same script with one phrase changed, as a tenant's next version might be.
    let original = support::guest_bytes("birthday-coupon");
    // (No coupon service is allowlisted here, so the call ended on the text-message line.)
    let (from, to) = ("通过短信发给您".as_bytes(), "通过邮件发给您".as_bytes());
    let at = original
        .windows(from.len())
        .position(|w| w == from)
        .expect("the phrase is in the module's data");
    let mut modified = original.clone();
    modified[at..at + to.len()].copy_from_slice(to);
    let path = dir.path().join("birthday-coupon-v2.wasm");
    std::fs::write(&path, modified).expect("write");
    let cache = dir.path().join("cache");
    let stdout = support::server::replay_exiting(&server, &key, &call_id, &path, &cache, 1);
    assert!(stdout.contains("diverges at action"), "{stdout}");
    assert!(
        stdout.contains("after the customer said: 好的，谢谢"),
        "{stdout}"
    );
    assert!(
        stdout.contains("通过邮件发给您") && stdout.contains("通过短信发给您"),
        "{stdout}"
    );
}

#[test]
fn every_error_is_json_with_a_code_and_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    let client = server.client(&key);
    let is_error = |(status, body): (u16, Value), expected: u16| {
        assert_eq!(status, expected, "{body}");
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{body}"
        );
    };
    is_error(client.get("/v1/no-such-thing"), 404);
    is_error(client.delete("/v1/modules"), 405);
    is_error(client.get("/v1/calls?limit=lots"), 400);
    is_error(
        client.post("/v1/calls", json!({ "module": "x", "surprise": true })),
        422,
    );
    is_error(
        server
            .operator()
            .post("/v1/tenants", json!({ "name": "  " })),
        400,
    );
    is_error(
        server.operator().post(
            "/v1/tenants",
            json!({ "name": "X", "quotas": { "memory_bytes": 1 } }),
        ),
        400,
    );
    is_error(
        server.operator().post(
            "/v1/tenants",
            json!({ "name": "X", "quotas": { "max_calls": 5 } }),
        ),
        422,
    );
    // Numbers in query strings parse.
    let (status, page) = client.get("/v1/calls?limit=10&status=completed");
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"], json!([]));
}

#[test]
fn tenants_inspect_and_delete_what_their_scripts_stored_and_see_nothing_of_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_a, key_a) = create_tenant(&server, "Acme Bank");
    let (_b, key_b) = create_tenant(&server, "Globex Retail");
    upload(&server, &key_a, "polite", "hostile");
    // The polite test script stores the customer's last answer under `last-answer`.
    let (_, ws_url) = create_call(&server, &key_a, "polite", json!({ "mode": "polite" }));
    runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("the bot listens");
        call.say("call me on Friday").await;
        call.until_closed().await;
    });

    let a = server.client(&key_a);
    let (status, listing) = a.get("/v1/kv");
    assert_eq!(status, 200, "{listing}");
    assert_eq!(listing["items"][0]["key"], "last-answer", "{listing}");
    assert_eq!(listing["items"][0]["size_bytes"], 17);
    assert_eq!(listing["used_bytes"], "last-answer".len() + 17);
    assert!(listing["quota_bytes"].as_u64().unwrap_or(0) > 0);
    let (status, value) = a.get("/v1/kv/last-answer");
    assert_eq!(status, 200, "{value}");
    assert_eq!(value["text"], "call me on Friday");
    assert_eq!(value["base64"], "Y2FsbCBtZSBvbiBGcmlkYXk=");
    let (status, filtered) = a.get("/v1/kv?prefix=nothing-");
    assert_eq!(
        (status, filtered["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );

    // Another tenant sees none of it and cannot delete it.
    let b = server.client(&key_b);
    let (_, theirs) = b.get("/v1/kv");
    assert_eq!(
        theirs["items"].as_array().map(Vec::len),
        Some(0),
        "{theirs}"
    );
    assert_eq!(b.get("/v1/kv/last-answer").0, 404);
    assert_eq!(b.delete("/v1/kv/last-answer").0, 404);

    let (status, _) = a.delete("/v1/kv/last-answer");
    assert_eq!(status, 204);
    support::server::assert_not_found(a.get("/v1/kv/last-answer"));
    let (_, empty) = a.get("/v1/kv");
    assert_eq!(empty["used_bytes"], 0, "{empty}");
}

// ── telephony: SIP trunks and routed numbers (operator endpoints) ──

/// A trunk's digest password, as the operator sends it: it must never come back.
const TRUNK_PASSWORD: &str = "Tr0mb0ne-digest-7f3a";

/// Asserts an answer is 422 with `code`, its message starting with the field `field`.
fn refused(code: &str, field: &str, (status, body): (u16, Value)) {
    assert_eq!(status, 422, "{field}: {body}");
    assert_eq!(body["error"]["code"], code, "{field}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("`{field}`")),
        "the message names `{field}`: {message}"
    );
}

#[test]
fn a_trunk_password_is_stored_and_kept_but_never_answered_or_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = tempfile::tempdir().expect("tempdir");
    let log_path = logs.path().join("server.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let mut server = Server::start_with(dir.path(), &[], |command| {
        command.env("HUASHU_LOG", "debug").stderr(log_file);
    });
    let (tenant, _) = create_tenant(&server, "Acme");
    let operator = server.operator();
    let mut answers = Vec::new();

    let (status, created) = operator.put_json(
        "/v1/trunks/carrier-a",
        json!({
            "host": "sip.carrier.example",
            "username": "1001",
            "password": TRUNK_PASSWORD,
            "caller_ids": ["+86 138 0013 8000", "008610010010010"],
            "tenants": [tenant],
        }),
    );
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["has_password"], true);
    assert_eq!(created["username"], "1001");
    assert_eq!(
        created["caller_ids"],
        json!(["+8613800138000", "+8610010010010"])
    );
    assert_eq!(
        (&created["port"], &created["transport"], &created["codecs"]),
        (&json!(5060), &json!("udp"), &json!(["pcma", "pcmu"]))
    );
    assert_eq!(
        (&created["max_channels"], &created["max_calls_per_second"]),
        (&json!(30), &json!(5))
    );
    assert!(created.get("password").is_none(), "{created}");
    answers.push(created.clone());

    let (status, read) = operator.get("/v1/trunks/carrier-a");
    assert_eq!((status, &read["has_password"]), (200, &json!(true)));
    answers.push(read);

    // A replace without `password` keeps it; every other field is replaced.
    let (status, edited) = operator.put_json(
        "/v1/trunks/carrier-a",
        json!({ "host": "10.0.0.7", "max_channels": 60, "tenants": [tenant] }),
    );
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["has_password"], true);
    assert_eq!(edited["username"], Value::Null);
    assert_eq!(edited["max_channels"], 60);
    assert_eq!(edited["created_at_ms"], created["created_at_ms"]);
    answers.push(edited);

    // A refused replace quotes neither the password nor the stored one.
    let (status, error) = operator.put_json(
        "/v1/trunks/carrier-a",
        json!({ "host": "10.0.0.7", "port": 0, "password": TRUNK_PASSWORD }),
    );
    assert_eq!(status, 422, "{error}");
    answers.push(error);
    let (status, listed) = operator.get("/v1/trunks");
    assert_eq!(status, 200);
    assert_eq!(listed[0]["name"], "carrier-a");
    assert_eq!(listed[0]["has_password"], true);
    answers.push(listed);

    // `null` clears it.
    let (status, cleared) = operator.put_json(
        "/v1/trunks/carrier-a",
        json!({ "host": "10.0.0.7", "password": null }),
    );
    assert_eq!((status, &cleared["has_password"]), (200, &json!(false)));
    answers.push(cleared);

    for answer in &answers {
        assert!(
            !answer.to_string().contains(TRUNK_PASSWORD),
            "an answer carries the password: {answer}"
        );
    }
    assert_eq!(operator.delete("/v1/trunks/carrier-a").0, 204);
    support::server::assert_not_found(operator.get("/v1/trunks/carrier-a"));
    support::server::assert_not_found(operator.delete("/v1/trunks/carrier-a"));

    assert_eq!(server.terminate(), Some(0));
    let logged = std::fs::read_to_string(&log_path).expect("read the server log");
    assert!(
        logged.contains("trunk stored"),
        "the log was captured: {logged}"
    );
    assert!(
        !logged.contains(TRUNK_PASSWORD),
        "the log carries the password: {logged}"
    );
}

#[test]
fn trunk_settings_that_break_a_rule_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, _) = create_tenant(&server, "Acme");
    let operator = server.operator();
    let put = |body: Value| operator.put_json("/v1/trunks/carrier-a", body);
    let with = |field: &str, value: Value| {
        let mut body = json!({ "host": "sip.carrier.example" });
        body[field] = value;
        put(body)
    };

    let long_name = format!("/v1/trunks/{}", "a".repeat(65));
    refused(
        "invalid_trunk",
        "name",
        operator.put_json(&long_name, json!({ "host": "h.example" })),
    );
    for host in [
        "",
        "sip:carrier.example",
        "carrier.example:5060",
        "carrier example",
    ] {
        refused("invalid_trunk", "host", with("host", json!(host)));
    }
    refused("invalid_trunk", "port", with("port", json!(0)));
    refused(
        "invalid_trunk",
        "outbound_proxy",
        with("outbound_proxy", json!("proxy.example")),
    );
    refused(
        "invalid_trunk",
        "caller_ids[1]",
        with("caller_ids", json!(["+8613800138000", "13800138000"])),
    );
    refused("invalid_trunk", "codecs", with("codecs", json!([])));
    for (field, value) in [
        ("max_channels", 0),
        ("max_channels", 10_001),
        ("max_calls_per_second", 0),
        ("max_calls_per_second", 1_001),
    ] {
        refused("invalid_trunk", field, with(field, json!(value)));
    }
    refused(
        "invalid_trunk",
        "tenants[1]",
        with("tenants", json!([tenant, "t_0000000000000000"])),
    );
    // Values the body's types cannot hold: the framework's 422, naming the field too.
    for (field, value) in [
        ("codecs", json!(["g729"])),
        ("transport", json!("tls")),
        ("port", json!(70_000)),
    ] {
        let (status, body) = with(field, value);
        assert_eq!((status, &body["error"]["code"]), (422, &json!("bad_body")));
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{message}");
    }
    support::server::assert_not_found(operator.get("/v1/trunks/carrier-a"));

    // A user name needs no password; limits are inclusive; IPv6 hosts and proxies work.
    let (status, trunk) = put(json!({
        "host": "2001:db8::7",
        "transport": "tcp",
        "outbound_proxy": "[2001:db8::9]:5070",
        "username": "1001",
        "max_channels": 10_000,
        "max_calls_per_second": 1_000,
        "codecs": ["pcmu"],
    }));
    assert_eq!(status, 200, "{trunk}");
    assert_eq!(trunk["has_password"], false);
    assert_eq!(
        operator.get("/v1/trunks").1.as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn numbers_are_routed_to_a_tenant_script_by_their_e164_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, _) = create_tenant(&server, "Acme");
    let operator = server.operator();
    let route = json!({ "tenant_id": tenant, "module": "inbound-survey" });

    let (status, routed) = operator.put_json("/v1/numbers/%2B8613800138000", route.clone());
    assert_eq!(status, 200, "{routed}");
    assert_eq!(routed["number"], "+8613800138000");
    assert_eq!(routed["tenant_id"], tenant.as_str());
    assert_eq!(routed["module"], "inbound-survey");
    // The same number, written the ways people write it.
    for path in [
        "/v1/numbers/+8613800138000",
        "/v1/numbers/008613800138000",
        "/v1/numbers/%2B86%20138%200013%208000",
    ] {
        let (status, read) = operator.get(path);
        assert_eq!((status, &read["number"]), (200, &json!("+8613800138000")));
    }
    let (status, _) = operator.put_json(
        "/v1/numbers/%2B1%20(415)%20555-0100",
        json!({ "tenant_id": tenant, "module": "us-line" }),
    );
    assert_eq!(status, 200);
    let (status, listed) = operator.get("/v1/numbers");
    assert_eq!(status, 200);
    let numbers: Vec<_> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["number"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(numbers, ["+14155550100", "+8613800138000"]);

    refused(
        "invalid_number",
        "number",
        operator.put_json("/v1/numbers/13800138000", route.clone()),
    );
    refused(
        "invalid_number",
        "tenant_id",
        operator.put_json(
            "/v1/numbers/%2B8613800138001",
            json!({ "tenant_id": "t_0000000000000000", "module": "inbound" }),
        ),
    );
    refused(
        "invalid_number",
        "module",
        operator.put_json(
            "/v1/numbers/%2B8613800138001",
            json!({ "tenant_id": tenant, "module": "../inbound" }),
        ),
    );
    support::server::assert_not_found(operator.get("/v1/numbers/%2B8613800138001"));
    support::server::assert_not_found(operator.get("/v1/numbers/13800138000"));

    assert_eq!(operator.delete("/v1/numbers/%2B8613800138000").0, 204);
    support::server::assert_not_found(operator.delete("/v1/numbers/%2B8613800138000"));
    support::server::assert_not_found(operator.get("/v1/numbers/%2B8613800138000"));
    assert_eq!(
        operator.get("/v1/numbers").1.as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn trunks_and_numbers_answer_only_the_operator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    let trunk = json!({ "host": "sip.carrier.example", "tenants": [tenant] });
    let number = json!({ "tenant_id": tenant, "module": "inbound" });
    for client in [server.client(&key), server.client("")] {
        assert_eq!(client.get("/v1/trunks").0, 401);
        assert_eq!(
            client.put_json("/v1/trunks/carrier-a", trunk.clone()).0,
            401
        );
        assert_eq!(client.get("/v1/trunks/carrier-a").0, 401);
        assert_eq!(client.delete("/v1/trunks/carrier-a").0, 401);
        assert_eq!(client.get("/v1/numbers").0, 401);
        let path = "/v1/numbers/%2B8613800138000";
        assert_eq!(client.put_json(path, number.clone()).0, 401);
        assert_eq!(client.get(path).0, 401);
        assert_eq!(client.delete(path).0, 401);
    }
    assert_eq!(server.operator().get("/v1/trunks").1, json!([]));
    assert_eq!(server.operator().get("/v1/numbers").1, json!([]));
}
