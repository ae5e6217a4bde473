//! [`OutboundHttp::send`] against real servers on 127.0.0.1: what gets through, what is
//! refused before any connection, limits and failures (redirects: `redirect_tests`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use huashu_contract::{HttpError, HttpRequest, HttpResponse};

use crate::test_server::{PATIENCE, Reply, SilentListener, TestServer};
use crate::{AllowEntry, Allowlist, HttpPolicy, OutboundHttp, SecretSource};

pub(crate) const SECRET_VALUE: &str = "Bearer tok-7f3a9c-do-not-leak";

struct Secrets(HashMap<&'static str, &'static str>);

impl SecretSource for Secrets {
    fn secret(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|value| (*value).to_owned())
    }
}

fn secrets() -> Secrets {
    Secrets(HashMap::from([("crm-token", SECRET_VALUE)]))
}

/// A policy allowing these origins, each with or without private networks.
pub(crate) fn policy(entries: &[(&str, bool)]) -> HttpPolicy {
    HttpPolicy {
        allowlist: Allowlist::new(
            entries
                .iter()
                .map(|(origin, private_network)| AllowEntry {
                    origin: origin.parse().expect("a valid origin"),
                    private_network: *private_network,
                })
                .collect(),
        ),
        timeout: PATIENCE,
        max_response_bytes: 1024,
        max_concurrent: 4,
    }
}

pub(crate) fn get(url: &str) -> HttpRequest {
    HttpRequest {
        id: "h1".into(),
        method: "GET".into(),
        url: url.into(),
        headers: vec![],
        secret_headers: vec![],
        body: String::new(),
        read_headers: vec![],
        timeout_ms: 0,
    }
}

pub(crate) async fn send(
    policy: &HttpPolicy,
    request: &HttpRequest,
) -> Result<HttpResponse, HttpError> {
    OutboundHttp::new()
        .send("acme", policy, &secrets(), request)
        .await
}

pub(crate) fn refusal(outcome: Result<HttpResponse, HttpError>) -> String {
    match outcome {
        Err(HttpError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_allowlisted_private_origin_answers_with_status_body_and_only_the_headers_asked_for() {
    let mut server = TestServer::start(vec![
        Reply::bytes(201, br#"{"coupon":"BDAY-50"}"#.to_vec())
            .header("Content-Type", "application/json")
            .header("X-Coupon", "BDAY-50")
            .header("X-Internal", "not asked for"),
    ]);
    let policy = policy(&[(&server.origin(), true)]);
    let request = HttpRequest {
        method: "post".into(),
        url: format!("{}/v1/coupons?contact=42", server.origin()),
        headers: vec![("X-Trace".into(), "call-9".into())],
        secret_headers: vec![("Authorization".into(), "crm-token".into())],
        body: r#"{"birthday":"05-01"}"#.into(),
        read_headers: vec!["x-COUPON".into()],
        ..get("")
    };
    let response = send(&policy, &request).await.expect("an answer");
    assert_eq!(
        response,
        HttpResponse {
            status: 201,
            headers: vec![
                ("x-coupon".into(), "BDAY-50".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: r#"{"coupon":"BDAY-50"}"#.into(),
        }
    );
    let received = server.next().await;
    assert_eq!(received.method, "POST");
    assert_eq!(received.target, "/v1/coupons?contact=42");
    assert_eq!(received.header("authorization"), Some(SECRET_VALUE));
    assert_eq!(received.header("x-trace"), Some("call-9"));
    assert_eq!(received.body, br#"{"birthday":"05-01"}"#);
    for shown in [format!("{request:?}"), format!("{response:?}")] {
        assert!(!shown.contains("tok-7f3a9c"), "{shown}");
    }
    let recorded = serde_json::to_string(&request).expect("serialises");
    assert!(!recorded.contains("tok-7f3a9c"), "{recorded}");
}

#[tokio::test]
async fn a_non_2xx_status_is_a_response_not_an_error() {
    let server = TestServer::start(vec![Reply::bytes(404, b"no such contact".to_vec())]);
    let policy = policy(&[(&server.origin(), true)]);
    let response = send(&policy, &get(&format!("{}/x", server.origin())))
        .await
        .expect("a 404 is an answer");
    assert_eq!(
        (response.status, response.body.as_str()),
        (404, "no such contact")
    );
}

/// Collects what the `tracing` debug lines say, for the one test that reads them.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_debug_line_names_tenant_method_origin_and_status_but_not_path_query_or_secrets() {
    let server = TestServer::start(vec![Reply::text("ok")]);
    let policy = policy(&[(&server.origin(), true)]);
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let request = HttpRequest {
        url: format!("{}/private/path?card=4111", server.origin()),
        secret_headers: vec![("authorization".into(), "crm-token".into())],
        ..get("")
    };
    send(&policy, &request).await.expect("an answer");
    let logged = String::from_utf8(lines.0.lock().expect("the log buffer").clone()).expect("text");
    let line = logged
        .lines()
        .find(|line| line.contains("script http request"))
        .unwrap_or_else(|| panic!("no debug line in {logged}"));
    for shown in ["acme", "GET", &server.origin(), "status=200"] {
        assert!(line.contains(shown), "{shown}: {line}");
    }
    for hidden in ["/private/path", "card=4111", "tok-7f3a9c"] {
        assert!(!logged.contains(hidden), "{hidden}: {logged}");
    }
}

#[tokio::test]
async fn an_allowlisted_origin_without_private_network_is_refused_before_any_connection() {
    let silent = SilentListener::bind();
    let literal = format!("http://127.0.0.1:{}", silent.port());
    let why = refusal(send(&policy(&[(&literal, false)]), &get(&format!("{literal}/a"))).await);
    assert!(
        why.starts_with("127.0.0.1 resolves to 127.0.0.1, a loopback address"),
        "{why}"
    );
    let named = format!("http://localhost:{}", silent.port());
    let why = refusal(send(&policy(&[(&named, false)]), &get(&format!("{named}/a"))).await);
    assert!(why.starts_with("localhost resolves to"), "{why}");
    assert!(why.contains("loopback"), "{why}");
    assert!(!silent.was_contacted());
}

#[tokio::test]
async fn an_unspecified_address_is_refused_even_for_a_private_network_entry() {
    let silent = SilentListener::bind();
    let origin = format!("http://0.0.0.0:{}", silent.port());
    let why = refusal(send(&policy(&[(&origin, true)]), &get(&origin)).await);
    assert!(why.starts_with("0.0.0.0 resolves to 0.0.0.0"), "{why}");
    assert!(why.contains("unspecified"), "{why}");
    assert!(!why.contains("operator can allow"), "{why}");
    assert!(!silent.was_contacted());
}

#[tokio::test]
async fn an_origin_off_the_allowlist_is_refused_before_any_connection() {
    let silent = SilentListener::bind();
    let policy = policy(&[("https://crm.example.com", true)]);
    let why = refusal(
        send(
            &policy,
            &get(&format!("http://127.0.0.1:{}/a", silent.port())),
        )
        .await,
    );
    assert_eq!(
        why,
        format!(
            "`http://127.0.0.1:{}` is not on the tenant's allowlist",
            silent.port()
        )
    );
    assert!(!silent.was_contacted());
}

#[tokio::test]
async fn malformed_requests_and_unknown_secrets_are_refused_without_connecting() {
    let silent = SilentListener::bind();
    let origin = format!("http://127.0.0.1:{}", silent.port());
    let policy = policy(&[(&origin, true)]);
    let forbidden = HttpRequest {
        headers: vec![("Transfer-Encoding".into(), "chunked".into())],
        ..get(&origin)
    };
    assert!(
        refusal(send(&policy, &forbidden).await).contains("may not set the `transfer-encoding`")
    );
    let unknown = HttpRequest {
        secret_headers: vec![("authorization".into(), "crm-tokn".into())],
        ..get(&origin)
    };
    assert_eq!(
        refusal(send(&policy, &unknown).await),
        "no secret named `crm-tokn`"
    );
    let method = HttpRequest {
        method: "TRACE".into(),
        ..get(&origin)
    };
    assert!(refusal(send(&policy, &method).await).contains("not a method scripts may use"));
    assert!(!silent.was_contacted());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_at_the_requests_timeout() {
    let mut server = TestServer::start(vec![Reply::Hold]);
    let policy = policy(&[(&server.origin(), true)]);
    let request = HttpRequest {
        timeout_ms: 200,
        ..get(&server.origin())
    };
    let started = std::time::Instant::now();
    assert_eq!(send(&policy, &request).await, Err(HttpError::Timeout));
    assert!(
        started.elapsed() < PATIENCE / 2,
        "the request's own timeout applies"
    );
    server.next().await;
}

#[tokio::test]
async fn a_requests_timeout_is_capped_by_the_tenants() {
    let _server_kept_open = TestServer::start(vec![Reply::Hold]);
    let origin = _server_kept_open.origin();
    let mut policy = policy(&[(&origin, true)]);
    policy.timeout = Duration::from_millis(200);
    let request = HttpRequest {
        timeout_ms: u32::MAX,
        ..get(&origin)
    };
    assert_eq!(send(&policy, &request).await, Err(HttpError::Timeout));
}

#[tokio::test]
async fn a_body_over_the_cap_is_too_large_whether_announced_or_not_and_one_at_the_cap_is_not() {
    let at_cap = vec![b'a'; 1024];
    let over = vec![b'a'; 1025];
    let server = TestServer::start(vec![
        Reply::bytes(200, at_cap.clone()),
        Reply::bytes(200, at_cap).without_length(),
        Reply::bytes(200, over.clone()),
        Reply::bytes(200, over).without_length(),
    ]);
    let policy = policy(&[(&server.origin(), true)]);
    for _ in 0..2 {
        let response = send(&policy, &get(&server.origin()))
            .await
            .expect("at the cap");
        assert_eq!(response.body.len(), 1024);
    }
    for _ in 0..2 {
        assert_eq!(
            send(&policy, &get(&server.origin())).await,
            Err(HttpError::TooLarge)
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_utf8_text_fails() {
    let server = TestServer::start(vec![Reply::bytes(200, vec![0x50, 0xff, 0xfe])]);
    let policy = policy(&[(&server.origin(), true)]);
    assert_eq!(
        send(&policy, &get(&server.origin())).await,
        Err(HttpError::Failed(
            "the response body is not UTF-8 text".into()
        ))
    );
}

#[tokio::test]
async fn a_port_nothing_listens_on_fails_with_the_reason() {
    let port = SilentListener::bind().port();
    let origin = format!("http://127.0.0.1:{port}");
    match send(&policy(&[(&origin, true)]), &get(&origin)).await {
        Err(HttpError::Failed(why)) => assert!(why.contains("refused"), "{why}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tenant_over_its_concurrency_limit_is_limited_at_once_and_other_tenants_are_not() {
    let mut holding = TestServer::start(vec![Reply::Hold]);
    let answering = TestServer::start(vec![Reply::text("ok")]);
    let mut policy = policy(&[(&holding.origin(), true), (&answering.origin(), true)]);
    policy.max_concurrent = 1;
    let client = Arc::new(OutboundHttp::new());
    let held = tokio::spawn({
        let (client, policy, request) =
            (Arc::clone(&client), policy.clone(), get(&holding.origin()));
        async move { client.send("acme", &policy, &secrets(), &request).await }
    });
    holding.next().await;
    let quick = get(&answering.origin());
    assert_eq!(
        client.send("acme", &policy, &secrets(), &quick).await,
        Err(HttpError::Limited(
            "the tenant has 1 requests in flight (at most 1 at once)".into()
        ))
    );
    let other = client.send("other", &policy, &secrets(), &quick).await;
    assert_eq!(other.expect("another tenant's request").body, "ok");

    // The caller gives up; the exchange still holds its place until it really ends.
    held.abort();
    assert!(held.await.expect_err("aborted").is_cancelled());
    assert_eq!(client.in_flight("acme"), 1);
    drop(holding);
    tokio::time::timeout(PATIENCE, client.idle("acme"))
        .await
        .expect("the place is freed when the exchange ends");
    let again = client.send("acme", &policy, &secrets(), &quick).await;
    assert_eq!(again.expect("a free place").body, "ok");
}
