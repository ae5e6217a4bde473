//! Deleting call data through a real `huashu serve`: erasing a customer's number, deleting
//! one call, retention sweeps (the operator's, and the background one at start), the audit
//! of all of them, and that what was deleted stays deleted across a restart.
//!
//! Recordings need voice calls (a Twilio gateway or a browser); that a deletion takes the
//! recording with it is proven in the store's own tests (`runtime/store-sled`).

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::server::{Client, Server, assert_not_found, create_tenant, upload};
use support::ws::TextCall;

use huashu_store::secrets::sha256_hex;

const NUMBER: &str = "+8613800138000";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Creates a text call of the birthday-coupon bot with these parties: (call id, URL).
fn create_call_with(client: &Client, caller: &str, callee: &str) -> (String, String) {
    let (status, body) = client.post(
        "/v1/calls",
        json!({
            "module": "birthday-coupon",
            "variables": { "name": "王芳", "coupon_amount": 50 },
            "direction": "outbound",
            "caller": caller,
            "callee": callee,
        }),
    );
    assert_eq!(status, 201, "{body}");
    (
        body["call_id"].as_str().expect("call_id").to_owned(),
        body["ws_url"].as_str().expect("ws_url").to_owned(),
    )
}

/// A whole call: the bot greets, the customer hangs up; its record is stored by the time
/// the socket closes. Returns the call id.
fn finished_call(client: &Client, caller: &str, callee: &str) -> String {
    let (call_id, ws_url) = create_call_with(client, caller, callee);
    runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("the bot greets");
        call.send(json!({ "type": "hangup" })).await;
        call.until_closed().await;
    });
    let (status, body) = client.get(&format!("/v1/calls/{call_id}"));
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("completed")),
        "{body}"
    );
    call_id
}

/// The ids of the calls a tenant lists, newest first.
fn listed(client: &Client) -> Vec<String> {
    let (status, body) = client.get("/v1/calls?limit=500");
    assert_eq!(status, 200, "{body}");
    ids(&body["items"], "call_id")
}

fn ids(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item[field].as_str().expect("id").to_owned())
        .collect()
}

/// The id of the tenant's first API key (the one `create_tenant` returned).
fn key_id(server: &Server, tenant: &str) -> String {
    let (status, keys) = server.operator().get(&format!("/v1/tenants/{tenant}/keys"));
    assert_eq!(status, 200, "{keys}");
    keys[0]["key_id"].as_str().expect("key_id").to_owned()
}

/// A tenant with the birthday-coupon bot: (tenant id, API key).
fn tenant_with_bot(server: &Server, name: &str) -> (String, String) {
    let (id, key) = create_tenant(server, name);
    upload(server, &key, "birthday-coupon", "birthday-coupon");
    (id, key)
}

#[test]
fn erasing_a_number_deletes_exactly_its_calls_and_the_audit_keeps_only_its_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    let (a, acme_key) = tenant_with_bot(&server, "Acme");
    let (b, globex_key) = tenant_with_bot(&server, "Globex");
    let (acme, globex) = (server.client(&acme_key), server.client(&globex_key));
    let ours = finished_call(&acme, "+14155550100", NUMBER);
    // The same number written another way, as the inbound caller.
    let ours_too = finished_call(&acme, "0086 138 0013 8000", "+14155550100");
    let other_number = finished_call(&acme, "+14155550100", "+8613900139000");
    let other_tenant = finished_call(&globex, "+14155550100", NUMBER);
    // Created, not connected: live, and its record not written yet.
    let (live, _) = create_call_with(&acme, "+14155550100", NUMBER);

    let (status, erased) = acme.post("/v1/erasures", json!({ "number": "+86 138-0013-8000" }));
    assert_eq!(status, 200, "{erased}");
    let hash = sha256_hex(NUMBER);
    assert_eq!(erased["number_sha256"], hash.as_str());
    assert_eq!(erased["calls_deleted"], 2);
    assert_eq!(erased["recordings_deleted"], 0);
    assert_eq!(erased["live_calls_skipped"], 1);
    for gone in [&ours, &ours_too] {
        assert_not_found(acme.get(&format!("/v1/calls/{gone}")));
    }
    assert_eq!(listed(&acme), [live.as_str(), other_number.as_str()]);
    assert_eq!(
        listed(&globex),
        [other_tenant.as_str()],
        "another tenant's calls are untouched"
    );

    // The audit names the key that asked and the number's hash, never the number.
    let (status, audit) = acme.get("/v1/audit");
    assert_eq!(status, 200, "{audit}");
    let entry = &audit["items"][0];
    assert_eq!(entry["id"], erased["erasure_id"]);
    assert_eq!(entry["action"], "erase-number");
    assert_eq!(
        entry["actor"],
        format!("tenant-key:{}", key_id(&server, &a))
    );
    assert_eq!(entry["subject"], hash.as_str());
    assert_eq!(entry["calls_deleted"], 2);
    assert!(!audit.to_string().contains("13800138000"), "{audit}");
    let (_, seen_by_operator) = server.operator().get(&format!("/v1/tenants/{a}/audit"));
    assert_eq!(seen_by_operator["items"], audit["items"]);
    let (_, globex_audit) = server.operator().get(&format!("/v1/tenants/{b}/audit"));
    assert_eq!(globex_audit["items"], json!([]));

    // An erasure that finds nothing is on the record too.
    let (status, none) = acme.post("/v1/erasures", json!({ "number": "+8613700137000" }));
    assert_eq!((status, &none["calls_deleted"]), (200, &json!(0)), "{none}");
    let (status, bad) = acme.post("/v1/erasures", json!({ "number": " " }));
    assert_eq!(status, 400, "{bad}");

    // Deleted stays deleted across a restart; the audit stays.
    server.terminate();
    let server = Server::start(dir.path());
    let acme = server.client(&acme_key);
    assert_not_found(acme.get(&format!("/v1/calls/{ours}")));
    assert_eq!(listed(&acme), [live, other_number]);
    let (_, audit) = acme.get("/v1/audit");
    assert_eq!(
        ids(&audit["items"], "action"),
        ["erase-number", "erase-number"]
    );
}

#[test]
fn deleting_a_call_answers_204_then_404_and_refuses_a_live_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (a, acme_key) = tenant_with_bot(&server, "Acme");
    let (_, globex_key) = tenant_with_bot(&server, "Globex");
    let (acme, globex) = (server.client(&acme_key), server.client(&globex_key));
    let call = finished_call(&acme, "", NUMBER);

    assert_not_found(globex.delete(&format!("/v1/calls/{call}")));
    let (status, body) = acme.delete(&format!("/v1/calls/{call}"));
    assert_eq!(status, 204, "{body}");
    assert_not_found(acme.get(&format!("/v1/calls/{call}")));
    assert_not_found(acme.delete(&format!("/v1/calls/{call}")));
    assert!(listed(&acme).is_empty());

    // Created, not yet connected: live.
    let (live, _) = create_call_with(&acme, "", NUMBER);
    let (status, body) = acme.delete(&format!("/v1/calls/{live}"));
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("call_live")),
        "{body}"
    );
    let (status, _) = acme.get(&format!("/v1/calls/{live}"));
    assert_eq!(status, 200);

    // Only the deletion that happened is audited.
    let (_, audit) = server.operator().get(&format!("/v1/tenants/{a}/audit"));
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["action"], "delete-call");
    assert_eq!(entries[0]["subject"], call.as_str());
    assert_eq!(
        entries[0]["actor"],
        format!("tenant-key:{}", key_id(&server, &a))
    );
    assert_eq!(entries[0]["calls_deleted"], 1);
    // A tenant key is not the operator's.
    let (status, _) = acme.get(&format!("/v1/tenants/{a}/audit"));
    assert_eq!(status, 401);
}

#[test]
fn retention_is_set_per_tenant_and_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(dir.path(), &["--retention-days", "1"], |_| {});
    let (a, _) = create_tenant(&server, "Acme");
    let operator = server.operator();
    let path = format!("/v1/tenants/{a}");
    let (_, tenant) = operator.get(&path);
    assert_eq!(tenant["quotas"]["retention_days"], Value::Null);
    assert_eq!(
        tenant["effective_retention_days"], 1,
        "the server's default"
    );
    let (status, tenant) = operator.patch(&path, json!({ "quotas": { "retention_days": 30 } }));
    assert_eq!(status, 200, "{tenant}");
    assert_eq!(tenant["quotas"]["retention_days"], 30);
    assert_eq!(tenant["effective_retention_days"], 30);
    let (status, tenant) = operator.patch(&path, json!({ "quotas": { "retention_days": 0 } }));
    assert_eq!(
        (status, &tenant["effective_retention_days"]),
        (200, &json!(0))
    );
    let (status, body) = operator.patch(&path, json!({ "quotas": { "retention_days": 3651 } }));
    assert_eq!(status, 400, "{body}");
    // Other quota changes leave it alone; null returns to the server's default.
    let (_, tenant) = operator.patch(&path, json!({ "quotas": { "kv_bytes": 4096 } }));
    assert_eq!(tenant["quotas"]["retention_days"], 0);
    let (_, tenant) = operator.patch(&path, json!({ "quotas": { "retention_days": null } }));
    assert_eq!(tenant["quotas"]["retention_days"], Value::Null);
    assert_eq!(tenant["effective_retention_days"], 1);
    let (status, created) = operator.post(
        "/v1/tenants",
        json!({ "name": "Forever", "quotas": { "retention_days": 0 } }),
    );
    assert_eq!(
        (status, &created["quotas"]["retention_days"]),
        (201, &json!(0))
    );
}

#[test]
fn a_sweep_deletes_nothing_recent_and_calls_past_retention_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start_with(dir.path(), &["--retention-days", "1"], |_| {});
    let (a, acme_key) = tenant_with_bot(&server, "Acme");
    let (b, forever_key) = tenant_with_bot(&server, "Keeps everything");
    let (acme, forever) = (server.client(&acme_key), server.client(&forever_key));
    let (status, _) = server.operator().patch(
        &format!("/v1/tenants/{b}"),
        json!({ "quotas": { "retention_days": 0 } }),
    );
    assert_eq!(status, 200);
    let old = finished_call(&acme, "", NUMBER);
    let kept = finished_call(&forever, "", NUMBER);

    // Today's calls are younger than a day: the operator's sweep deletes nothing.
    let (status, report) = server.operator().post("/v1/retention/sweep", json!({}));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["calls_deleted"], 0);
    assert_eq!(report["tenants"], json!([]));
    assert_eq!(listed(&acme), [old.as_str()]);
    let (status, _) = acme.post("/v1/retention/sweep", json!({}));
    assert_eq!(status, 401, "the sweep is the operator's");

    // Three days on (the sweeper's clock; nobody can wait that long), the sweep at start
    // deletes Acme's call and keeps the one of the tenant that keeps everything.
    server.terminate();
    let flags = [
        "--retention-days",
        "1",
        "--retention-test-clock-ahead-days",
        "3",
    ];
    let server = Server::start_with(dir.path(), &flags, |_| {});
    let operator = server.operator();
    let entry = wait_for_audit(&operator, &a);
    assert_eq!(entry["action"], "retention");
    assert_eq!(entry["actor"], "retention");
    assert_eq!(entry["calls_deleted"], 1);
    assert!(
        entry["subject"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ended-before:")
    );
    let acme = server.client(&acme_key);
    assert_not_found(acme.get(&format!("/v1/calls/{old}")));
    let forever = server.client(&forever_key);
    assert_eq!(listed(&forever), [kept]);

    // A live call is never swept, however old the sweep thinks it is.
    let (live, _) = create_call_with(&acme, "", NUMBER);
    let (status, report) = operator.post("/v1/retention/sweep", json!({}));
    assert_eq!(
        (status, &report["calls_deleted"]),
        (200, &json!(0)),
        "{report}"
    );
    assert_eq!(listed(&acme), [live]);
}

/// Waits for the first audit entry of tenant `id` (the sweep at start runs beside the
/// listener), polling: the event is a write in another process.
fn wait_for_audit(operator: &Client, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, audit) = operator.get(&format!("/v1/tenants/{id}/audit"));
        assert_eq!(status, 200, "{audit}");
        if let Some(entry) = audit["items"].get(0) {
            return entry.clone();
        }
        assert!(Instant::now() < deadline, "no retention sweep at start");
        std::thread::sleep(Duration::from_millis(50));
    }
}
