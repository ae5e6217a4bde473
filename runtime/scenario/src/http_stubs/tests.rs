//! Reading `http:` entries (good and bad) and choosing the entry that answers a request.

use super::*;

fn stubs(yaml: &str) -> Result<Vec<HttpStub>, String> {
    serde_saphyr::from_str(yaml).map_err(|e| e.to_string())
}

fn request(method: &str, url: &str) -> HttpRequest {
    HttpRequest {
        id: "h1".into(),
        method: method.into(),
        url: url.into(),
        headers: vec![],
        secret_headers: vec![],
        body: String::new(),
        read_headers: vec![],
        timeout_ms: 0,
    }
}

#[test]
fn a_json_answer_is_serialised_and_labelled_as_json() {
    let list = stubs(
        r#"
- match: POST https://coupons.example.com/v1/coupons
  respond: {status: 201, json: {code: "BDAY-50", amount: 50}, headers: {X-Request-Id: abc}}
  after_ms: 300
  times: 1
"#,
    )
    .expect("valid");
    let stub = &list[0];
    assert_eq!(
        stub.request,
        RequestMatch {
            method: "POST".into(),
            url: "https://coupons.example.com/v1/coupons".into(),
            prefix: false,
        }
    );
    assert_eq!(stub.after_ms, 300);
    assert_eq!(stub.times.map(NonZeroU32::get), Some(1));
    let response = stub.respond.0.clone().expect("a response");
    assert_eq!(response.status, 201);
    assert_eq!(response.body, r#"{"code":"BDAY-50","amount":50}"#);
    assert_eq!(
        response.headers,
        vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("x-request-id".to_string(), "abc".to_string()),
        ]
    );
}

#[test]
fn a_text_answer_keeps_its_own_content_type_and_defaults_to_200_after_100_ms() {
    let list = stubs(
        "- match: get https://crm.example.com/balance*\n  respond: {body: \"42\", headers: {content-type: text/plain}}\n",
    )
    .expect("valid");
    let stub = &list[0];
    assert_eq!(
        stub.request.to_string(),
        "GET https://crm.example.com/balance*"
    );
    assert!(stub.request.prefix);
    assert_eq!(stub.after_ms, DEFAULT_AFTER_MS);
    assert_eq!(stub.times, None);
    assert_eq!(
        stub.respond.0,
        Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: "42".into(),
        })
    );
}

#[test]
fn declared_errors_read_as_the_contract_names_them() {
    let list = stubs(
        r#"
- match: GET https://a.example/x
  respond: {error: timeout}
- match: GET https://a.example/x
  respond: {error: failed, reason: connection reset}
- match: GET https://a.example/x
  respond: {error: refused}
- match: GET https://a.example/x
  respond: {error: too_large}
- match: GET https://a.example/x
  respond: {error: limited, reason: "10 a minute"}
"#,
    )
    .expect("valid");
    let errors: Vec<_> = list.iter().map(|s| s.respond.0.clone()).collect();
    assert_eq!(
        errors,
        vec![
            Err(HttpError::Timeout),
            Err(HttpError::Failed("connection reset".into())),
            Err(HttpError::Refused(DEFAULT_REASON.into())),
            Err(HttpError::TooLarge),
            Err(HttpError::Limited("10 a minute".into())),
        ]
    );
}

#[test]
fn a_malformed_entry_is_rejected_with_its_reason_and_line() {
    let cases = [
        (
            "- match: FETCH https://a.example/x\n  respond: {}\n",
            "not a method",
        ),
        (
            "- match: https://a.example/x\n  respond: {}\n",
            "not `METHOD URL`",
        ),
        ("- match: GET a.example/x\n  respond: {}\n", "https://"),
        (
            "- match: GET https://a.example/*/x\n  respond: {}\n",
            "may only end",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {json: {a: 1}, body: x}\n",
            "not both",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {status: 200, error: timeout}\n",
            "not both",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {error: timeout, reason: slow}\n",
            "`reason` goes with",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {error: exploded}\n",
            "exploded",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {status: 999}\n",
            "not an HTTP status",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {}\n  times: 0\n",
            "`times: 0`",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {}\n  delay_ms: 5\n",
            "delay_ms",
        ),
        (
            "- match: GET https://a.example/x\n  respond: {stauts: 200}\n",
            "stauts",
        ),
    ];
    for (yaml, reason) in cases {
        let error = stubs(yaml).expect_err(yaml);
        assert!(error.contains(reason), "{yaml}\n→ {error}");
        assert!(error.contains("line"), "says where: {error}");
    }
}

#[test]
fn the_first_matching_entry_answers_in_any_method_case_exact_or_by_prefix() {
    let list = stubs(
        r#"
- match: GET https://crm.example.com/balance
  respond: {body: exact}
- match: GET https://crm.example.com/balance*
  respond: {body: prefix}
- match: POST https://crm.example.com/balance*
  respond: {body: post}
"#,
    )
    .expect("valid");
    let mut stubs = HttpStubs::new(&list);
    let body = |stubs: &mut HttpStubs, method, url| {
        stubs
            .answer(&request(method, url))
            .map(|(_, outcome)| outcome.expect("a response").body)
    };
    assert_eq!(
        body(&mut stubs, "get", "https://crm.example.com/balance"),
        Ok("exact".into())
    );
    assert_eq!(
        body(&mut stubs, "GET", "https://crm.example.com/balance?id=7"),
        Ok("prefix".into())
    );
    assert_eq!(
        body(&mut stubs, "Post", "https://crm.example.com/balance/7"),
        Ok("post".into())
    );
    assert_eq!(
        body(&mut stubs, "DELETE", "https://crm.example.com/balance"),
        Err(Undeclared {
            reason: "the scenario declares no response for DELETE https://crm.example.com/balance"
                .into()
        })
    );
    assert!(
        body(&mut stubs, "GET", "https://crm.example.com/other").is_err(),
        "a prefix matches only URLs that start with it"
    );
}

#[test]
fn an_entry_that_has_answered_its_times_gives_way_to_the_next() {
    let list = stubs(
        r#"
- match: POST https://coupons.example.com/v1/coupons
  respond: {error: timeout}
  times: 2
- match: POST https://coupons.example.com/v1/coupons
  respond: {status: 201}
  after_ms: 40
  times: 1
"#,
    )
    .expect("valid");
    let mut stubs = HttpStubs::new(&list);
    let post = request("POST", "https://coupons.example.com/v1/coupons");
    assert_eq!(stubs.answer(&post), Ok((100, Err(HttpError::Timeout))));
    assert_eq!(stubs.answer(&post), Ok((100, Err(HttpError::Timeout))));
    let third = stubs.answer(&post).expect("the second entry");
    assert_eq!((third.0, third.1.map(|r| r.status)), (40, Ok(201)));
    let fourth = stubs.answer(&post).expect_err("all used up");
    assert!(
        fourth.reason.contains("answered their `times`"),
        "{fourth:?}"
    );
}

#[test]
fn the_script_reads_only_the_headers_it_asked_for_and_the_content_type() {
    let list = stubs(
        "- match: GET https://a.example/x\n  respond: {json: [1], headers: {x-request-id: abc, x-other: no}}\n",
    )
    .expect("valid");
    let mut stubs = HttpStubs::new(&list);
    let mut get = request("GET", "https://a.example/x");
    get.read_headers = vec!["X-Request-ID".into()];
    let (_, outcome) = stubs.answer(&get).expect("declared");
    assert_eq!(
        outcome.expect("a response").headers,
        vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("x-request-id".to_string(), "abc".to_string()),
        ]
    );
}
