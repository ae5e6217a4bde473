//! Outbound HTTP settings through the real server: the operator's allowlist and HTTP quotas
//! for a tenant, the tenant's narrowing of the allowlist, and the tenant's write-only
//! secrets (never answered, never audited by value, never seen by another tenant).

mod support;

use serde_json::{Value, json};
use support::server::{Server, assert_not_found, create_tenant};

/// Asserts an API answer is a 422 with `code` whose message contains `says`.
fn assert_unprocessable((status, body): (u16, Value), code: &str, says: &str) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some(code)),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

#[test]
fn the_operator_sets_a_tenants_allowlist_and_http_quotas_and_out_of_bound_ones_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let operator = server.operator();

    let (status, created) = operator.post(
        "/v1/tenants",
        json!({
            "name": "Acme",
            "http_allowlist": [
                {"origin": "https://CRM.example.com:443/"},
                {"origin": "http://10.0.0.5:8080", "private_network": true}
            ],
            "quotas": {"http_requests_per_call": 30, "http_timeout_ms": 5000}
        }),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("an id").to_owned();
    let (status, tenant) = operator.get(&format!("/v1/tenants/{id}"));
    assert_eq!(status, 200, "{tenant}");
    assert_eq!(
        tenant["http_allowlist"],
        json!([
            {"origin": "https://crm.example.com", "private_network": false},
            {"origin": "http://10.0.0.5:8080", "private_network": true}
        ])
    );
    assert_eq!(tenant["http_origins"], Value::Null);
    let quotas = &tenant["quotas"];
    assert_eq!(quotas["http_requests_per_call"], 30);
    assert_eq!(quotas["http_requests_per_event"], 4);
    assert_eq!(quotas["http_concurrent_requests"], 10);
    assert_eq!(quotas["http_timeout_ms"], 5000);
    assert_eq!(quotas["http_response_bytes"], 262_144);

    let path = format!("/v1/tenants/{id}");
    for (quotas, field) in [
        (
            json!({"http_requests_per_call": 1001}),
            "http_requests_per_call",
        ),
        (
            json!({"http_requests_per_event": 51}),
            "http_requests_per_event",
        ),
        (
            json!({"http_concurrent_requests": 1001}),
            "http_concurrent_requests",
        ),
        (json!({"http_timeout_ms": 99}), "http_timeout_ms"),
        (json!({"http_timeout_ms": 30001}), "http_timeout_ms"),
        (json!({"http_response_bytes": 1023}), "http_response_bytes"),
        (
            json!({"http_response_bytes": (16 << 20) + 1}),
            "http_response_bytes",
        ),
    ] {
        assert_unprocessable(
            operator.patch(&path, json!({ "quotas": quotas })),
            "invalid_quota",
            field,
        );
    }
    assert_unprocessable(
        operator.patch(
            &path,
            json!({"http_allowlist": [{"origin": "https://ok.example.com"}, {"origin": "https://crm.example.com/v1"}]}),
        ),
        "invalid_allowlist",
        "`http_allowlist[1].origin`",
    );
    assert_unprocessable(
        operator.post(
            "/v1/tenants",
            json!({"name": "Bad", "http_allowlist": [{"origin": "https://*.com"}]}),
        ),
        "invalid_allowlist",
        "wildcard",
    );
    let (status, body) = operator.patch(
        &path,
        json!({"http_allowlist": [{"origin": "https://crm.example.com", "port": 1}]}),
    );
    assert_eq!(status, 422, "an unknown field in an entry: {body}");

    // Nothing refused was stored.
    let (_, unchanged) = operator.get(&path);
    assert_eq!(unchanged["http_allowlist"], tenant["http_allowlist"]);
    assert_eq!(unchanged["quotas"], tenant["quotas"]);
    let (status, body) = operator.patch(
        &path,
        json!({"quotas": {"http_requests_per_call": 0, "http_timeout_ms": 30000}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quotas"]["http_requests_per_call"], 0);
}

#[test]
fn a_tenant_narrows_the_operators_allowlist_but_cannot_widen_it_and_may_reset_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let operator = server.operator();
    let (id, key) = create_tenant(&server, "Acme");
    let (status, body) = operator.patch(
        &format!("/v1/tenants/{id}"),
        json!({"http_allowlist": [
            {"origin": "https://*.example.com"},
            {"origin": "http://10.0.0.5:8080", "private_network": true}
        ]}),
    );
    assert_eq!(status, 200, "{body}");
    let tenant = server.client(&key);

    let (status, lists) = tenant.get("/v1/http/allowlist");
    assert_eq!(status, 200, "{lists}");
    assert_eq!(lists["narrowed"], Value::Null);
    assert_eq!(lists["effective"], lists["operator"]);

    let (status, lists) = tenant.put_json(
        "/v1/http/allowlist",
        json!({"origins": ["https://CRM.example.com", "http://10.0.0.5:8080"]}),
    );
    assert_eq!(status, 200, "{lists}");
    assert_eq!(
        lists["narrowed"],
        json!(["https://crm.example.com", "http://10.0.0.5:8080"])
    );
    assert_eq!(
        lists["effective"],
        json!([
            {"origin": "https://crm.example.com", "private_network": false},
            {"origin": "http://10.0.0.5:8080", "private_network": true}
        ])
    );

    for (wider, index) in [
        (
            json!(["https://crm.example.com", "https://example.com"]),
            "origins[1]",
        ),
        (json!(["http://crm.example.com"]), "origins[0]"),
        (json!(["https://evil.net"]), "origins[0]"),
    ] {
        assert_unprocessable(
            tenant.put_json("/v1/http/allowlist", json!({ "origins": wider })),
            "invalid_allowlist",
            index,
        );
    }
    assert_unprocessable(
        tenant.put_json(
            "/v1/http/allowlist",
            json!({"origins": ["crm.example.com"]}),
        ),
        "invalid_allowlist",
        "not an origin",
    );
    let (status, body) = tenant.put_json("/v1/http/allowlist", json!({}));
    assert_eq!(status, 422, "`origins` must be given, even as null: {body}");

    // The operator drops the wildcard: the narrowed origin it covered drops out, and the
    // narrowing itself is kept.
    let (status, body) = operator.patch(
        &format!("/v1/tenants/{id}"),
        json!({"http_allowlist": [{"origin": "http://10.0.0.5:8080", "private_network": true}]}),
    );
    assert_eq!(status, 200, "{body}");
    let (_, lists) = tenant.get("/v1/http/allowlist");
    assert_eq!(
        lists["effective"],
        json!([{"origin": "http://10.0.0.5:8080", "private_network": true}])
    );
    assert_eq!(lists["narrowed"].as_array().map(Vec::len), Some(2));

    let (status, lists) = tenant.put_json("/v1/http/allowlist", json!({"origins": null}));
    assert_eq!(status, 200, "{lists}");
    assert_eq!(lists["narrowed"], Value::Null);
    assert_eq!(lists["effective"], lists["operator"]);
}

#[test]
fn secrets_are_set_replaced_listed_and_deleted_without_their_value_ever_coming_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (id, key) = create_tenant(&server, "Acme");
    let tenant = server.client(&key);
    let value = "Bearer s3cr3t-first-value";
    let replaced = "Bearer s3cr3t-second-value";

    let mut answers = Vec::new();
    let created = tenant.put_json("/v1/secrets/crm-token", json!({ "value": value }));
    assert_eq!(created.0, 201, "{}", created.1);
    answers.push(created.1);
    let again = tenant.put_json("/v1/secrets/crm-token", json!({ "value": replaced }));
    assert_eq!(again.0, 204, "{}", again.1);
    answers.push(again.1);

    let (status, listed) = tenant.get("/v1/secrets");
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["name"], "crm-token");
    assert_eq!(listed[0]["bytes"], replaced.len());
    assert!(listed[0]["updated_at_ms"].as_u64().is_some_and(|ms| ms > 0));
    answers.push(listed);

    for (name, body, says) in [
        ("..", json!({"value": "x"}), "not a secret name"),
        ("CRM", json!({"value": "x"}), "not a secret name"),
        ("ok", json!({"value": ""}), "empty"),
        ("ok", json!({"value": "a\r\nX-Injected: 1"}), "CR, LF"),
        ("ok", json!({"value": "a\u{0}b"}), "NUL"),
        ("ok", json!({"value": "x".repeat(8193)}), "8192 bytes"),
    ] {
        assert_unprocessable(
            tenant.put_json(&format!("/v1/secrets/{name}"), body),
            "invalid_secret",
            says,
        );
    }
    let (status, body) = tenant.put_json("/v1/secrets/ok", json!({"value": "x", "extra": 1}));
    assert_eq!(status, 422, "{body}");
    let (status, body) = tenant.put_json("/v1/secrets/ok", json!({"value": "x".repeat(8192)}));
    assert_eq!(status, 201, "a value of exactly 8 KiB fits: {body}");

    let deleted = tenant.delete("/v1/secrets/crm-token");
    assert_eq!(deleted.0, 204, "{}", deleted.1);
    assert_not_found(tenant.delete("/v1/secrets/crm-token"));
    let (_, listed) = tenant.get("/v1/secrets");
    assert_eq!(
        listed,
        json!([{"name": "ok", "updated_at_ms": listed[0]["updated_at_ms"], "bytes": 8192}])
    );

    // The audit names who changed which secret, never what it holds.
    let (status, audit) = tenant.get("/v1/audit");
    assert_eq!(status, 200, "{audit}");
    let mut entries: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            assert!(
                e["actor"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("tenant-key:k_")),
                "{e}"
            );
            (
                e["action"].as_str().unwrap_or_default(),
                e["subject"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    // Newest first, but changes within one millisecond may list in either order.
    entries.sort_unstable();
    assert_eq!(
        entries,
        [
            ("delete-secret", "crm-token"),
            ("put-secret", "crm-token"),
            ("put-secret", "crm-token"),
            ("put-secret", "ok"),
        ]
    );
    let (_, operators_view) = server.operator().get(&format!("/v1/tenants/{id}/audit"));
    answers.extend([audit, operators_view]);
    for answer in &answers {
        let text = answer.to_string();
        assert!(!text.contains("s3cr3t"), "a value came back: {text}");
    }
}

#[test]
fn a_tenant_never_sees_or_deletes_another_tenants_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key_a) = create_tenant(&server, "Acme");
    let (_, key_b) = create_tenant(&server, "Globex");
    let (a, b) = (server.client(&key_a), server.client(&key_b));
    let (status, body) = a.put_json("/v1/secrets/crm-token", json!({"value": "acme's"}));
    assert_eq!(status, 201, "{body}");

    let (status, listed) = b.get("/v1/secrets");
    assert_eq!((status, listed), (200, json!([])));
    assert_not_found(b.delete("/v1/secrets/crm-token"));
    // Globex's secret of the same name is its own, created, not a replacement of Acme's.
    let (status, body) = b.put_json("/v1/secrets/crm-token", json!({"value": "globex's"}));
    assert_eq!(status, 201, "{body}");
    let (_, listed) = a.get("/v1/secrets");
    assert_eq!(listed[0]["bytes"], "acme's".len());
    let (status, _) = server.operator().get("/v1/secrets");
    assert_eq!(status, 401, "the operator token is not a tenant key");
}
