//! Scripts calling the tenant's own systems through the real server: a real HTTP service on
//! loopback (let in by an explicit operator entry), the exchange in the call record, replay
//! without the service, refusals before any connection, a slow service that times out while
//! the call's audio keeps its pace, and secrets that never leave the server.

mod support;

use std::fs::File;
use std::time::Duration;

use serde_json::{Value, json};

use support::origin::Origin;
use support::server::{Server, create_call, create_tenant};
use support::twilio::TwilioCall;
use support::ws::TextCall;

/// The secret the tests store; it must never come back out.
const TOKEN: &str = "Bearer s3cr3t-coupon-token-5f1e";

/// A server logging at debug level into `server.log` in `dir`, one tenant whose allowlist
/// lets `origin` in (it is on loopback, so with `private_network`) and that stores the
/// coupon service's token as a secret, with `birthday-coupon` and `http-caller` uploaded.
fn setup(dir: &std::path::Path, origin: &Origin, more_entries: Vec<Value>) -> (Server, String) {
    let log = File::create(dir.join("server.log")).expect("log file");
    let server = Server::start_with(&dir.join("data"), &[], |command| {
        command.env("HUASHU_LOG", "debug").stderr(log);
    });
    let (tenant_id, key) = create_tenant(&server, "Acme Retail");
    let mut entries = vec![json!({"origin": origin.base, "private_network": true})];
    entries.extend(more_entries);
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant_id}"),
        json!({ "http_allowlist": entries }),
    );
    assert_eq!(status, 200, "{body}");
    let tenant = server.client(&key);
    let (status, body) = tenant.put_json("/v1/secrets/coupon-api-token", json!({ "value": TOKEN }));
    assert_eq!(status, 201, "{body}");
    for module in ["birthday-coupon", "http-caller"] {
        support::server::upload(&server, &key, module, module);
    }
    (server, key)
}

/// The record of call `id`.
fn record(server: &Server, key: &str, id: &str) -> Value {
    let (status, call) = server.client(key).get(&format!("/v1/calls/{id}"));
    assert_eq!(status, 200, "{call}");
    call
}

fn timeline<'a>(record: &'a Value, kind: &str, name: &str) -> Vec<&'a Value> {
    record["record"]["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == kind && (e[kind][kind] == name))
        .map(|e| &e[kind])
        .collect()
}

fn field<'a>(record: &'a Value, name: &str) -> &'a str {
    record["record"]["outcome"]["fields"][name]
        .as_str()
        .unwrap_or_default()
}

/// A text call of `http-caller` with `variables`, run to its end; its record.
fn call_http_caller(server: &Server, key: &str, variables: Value) -> Value {
    let (id, ws_url) = create_call(server, key, "http-caller", variables);
    support::two_worker_runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_closed().await;
    });
    record(server, key, &id)
}

#[test]
fn a_script_calls_an_allowlisted_service_uses_the_answer_and_replays_without_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = Origin::start();
    let (server, key) = setup(dir.path(), &origin, vec![]);
    let (id, ws_url) = create_call(
        &server,
        &key,
        "birthday-coupon",
        json!({"name": "王芳", "coupon_amount": "50", "coupon_api": origin.base}),
    );
    let said = support::two_worker_runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await;
        call.say("好的，谢谢").await;
        call.until_closed().await;
        call.said()
    });
    assert!(
        said.iter().any(|s| s.contains("券码是BDAY-50")),
        "the bot reads out the code the service issued: {said:?}"
    );

    // The service got one request, with the secret's value in its header.
    let seen = origin.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/v1/coupons")
    );
    assert_eq!(seen[0].header("authorization"), Some(TOKEN));
    assert!(seen[0].body.contains("birthday"), "{}", seen[0].body);

    // The record holds the exchange: the request (with the secret's name only) and the
    // answer, and the outcome the script drew from it.
    let call = record(&server, &key, &id);
    let requests = timeline(&call, "action", "http_request");
    assert_eq!(requests.len(), 1, "{call}");
    assert_eq!(
        requests[0]["secret_headers"]["authorization"],
        "coupon-api-token"
    );
    let answers = timeline(&call, "event", "http_response");
    assert_eq!(answers.len(), 1, "{call}");
    assert_eq!(answers[0]["outcome"]["response"]["status"], 201);
    assert!(
        answers[0]["outcome"]["response"]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("BDAY-50")
    );
    assert_eq!(field(&call, "coupon_code"), "BDAY-50", "{call}");

    // With the service gone, a replay feeds the recorded answer back: same turns, and no
    // request is made.
    origin.stop();
    support::server::assert_replays_the_same(
        &server,
        &key,
        &id,
        &support::guest_wasm("birthday-coupon"),
        &dir.path().join("cache"),
    );
    assert_eq!(origin.seen().len(), 1, "the replay made no request");

    // The secret's value is nowhere the tenant or the operator can read.
    let mut answers = vec![call.to_string()];
    for path in [
        "/v1/secrets",
        "/v1/calls",
        "/v1/audit",
        "/v1/http/allowlist",
    ] {
        answers.push(server.client(&key).get(path).1.to_string());
    }
    let log = std::fs::read_to_string(dir.path().join("server.log")).expect("server log");
    assert!(
        log.contains(&origin.base),
        "the log has the request's line (its origin)"
    );
    answers.push(log);
    for text in answers {
        assert!(!text.contains("s3cr3t"), "the secret leaked: {text}");
    }
}

#[test]
fn hosts_off_the_list_redirects_off_it_and_private_addresses_are_refused_before_connecting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = Origin::start();
    let port = origin.base.rsplit(':').next().expect("a port").to_owned();
    // `localhost` on the same port is listed, but without leave to reach private
    // addresses: it resolves to loopback, so it is refused.
    let localhost = format!("http://localhost:{port}");
    let (server, key) = setup(dir.path(), &origin, vec![json!({ "origin": localhost })]);

    let off_list = call_http_caller(
        &server,
        &key,
        json!({"url": "https://coupons.example.net/v1/coupons"}),
    );
    assert!(
        field(&off_list, "error").contains("not on the tenant's allowlist"),
        "{off_list}"
    );

    let private = call_http_caller(
        &server,
        &key,
        json!({"url": format!("{localhost}/v1/coupons")}),
    );
    assert!(
        field(&private, "error").contains("refused"),
        "a listed name that resolves to loopback: {private}"
    );

    let redirected = call_http_caller(
        &server,
        &key,
        json!({"url": format!("{}/redirect?to=http://127.0.0.2:{port}/v1/coupons", origin.base)}),
    );
    assert!(
        field(&redirected, "error").contains("refused"),
        "a redirect off the list: {redirected}"
    );

    let unknown_secret = call_http_caller(
        &server,
        &key,
        json!({"url": format!("{}/v1/coupons", origin.base), "secret": "no-such-secret"}),
    );
    assert!(
        field(&unknown_secret, "error").contains("no secret named"),
        "{unknown_secret}"
    );

    // Only the redirect's first hop reached the service.
    let paths: Vec<String> = origin.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].starts_with("/redirect"), "{paths:?}");
    // Each refusal is a line of the record too.
    for record in [&off_list, &private, &redirected, &unknown_secret] {
        let answers = timeline(record, "event", "http_response");
        assert_eq!(answers.len(), 1, "{record}");
        assert_eq!(
            answers[0]["outcome"]["error"]["error"], "refused",
            "{record}"
        );
    }
}

#[test]
fn a_slow_service_times_out_while_the_calls_audio_and_timers_keep_their_pace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = Origin::start();
    let (server, key) = setup(dir.path(), &origin, vec![]);
    let frames = support::two_worker_runtime().block_on(async {
        let mut call = TwilioCall::start(
            &server.base,
            json!({
                "huashu_key": key,
                "module": "http-caller",
                "url": format!("{}/slow", origin.base),
                "timeout_ms": "1500",
                "from": "+8613800000000",
                "to": "+8613900000000",
            }),
        )
        .await;
        let (code, reason) = call.until_closed().await;
        assert_eq!((code, reason.as_str()), (1000, "call ended: done"));
        call.media()
            .into_iter()
            .map(|(at, _)| at)
            .collect::<Vec<_>>()
    });
    let (status, list) = server.client(&key).get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    let id = list["items"][0]["call_id"].as_str().expect("a call");
    let call = record(&server, &key, id);
    assert_eq!(field(&call, "error"), "no response in time", "{call}");
    assert_eq!(
        field(&call, "timer_before_answer"),
        "yes",
        "the script's timer fired while the request was in flight: {call}"
    );
    let answers = timeline(&call, "event", "http_response");
    let elapsed = answers[0]["elapsed_ms"].as_u64().expect("elapsed_ms");
    assert!(
        (1500..5000).contains(&elapsed),
        "timed out after the request's 1.5 s: {elapsed} ms"
    );

    // The holding line played while the request was in flight, and the apology after it,
    // as one paced stream: no frame waited on the request. A call whose audio had stopped
    // for the request would show a gap of the whole 1.5 s.
    assert!(frames.len() > 100, "{} frames", frames.len());
    let worst_gap = frames
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .max()
        .unwrap_or_default();
    assert!(
        worst_gap < Duration::from_millis(400),
        "the longest wait between two frames was {worst_gap:?}"
    );
}
