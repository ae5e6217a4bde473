//! The runner as every server the script calls: declared answers arrive in call time, an
//! undeclared request is refused and fails the scenario, and `bot_requests` checks what
//! was sent. The script is plain Rust here, so these tests need no WebAssembly.

use super::*;
use crate::report::render;
use huashu_contract::{Action, Event, HttpResponse, Say, ScriptFailure, ScriptReply};

type Handler = Box<dyn FnMut(&Event) -> Vec<Action> + Send>;

/// A script that answers with a closure.
struct FakeScript(Handler);

impl CallScript for FakeScript {
    async fn handle(&mut self, event: &Event, _: Millis) -> Result<ScriptReply, ScriptFailure> {
        Ok(ScriptReply {
            actions: (self.0)(event),
            ..ScriptReply::default()
        })
    }
}

fn say(text: &str) -> Action {
    Action::Say(Say {
        text: text.into(),
        voice: String::new(),
        id: String::new(),
        barge_in: false,
    })
}

fn hang_up() -> Action {
    Action::HangUp {
        reason: String::new(),
    }
}

fn request(method: &str, url: &str, body: &str) -> HttpRequest {
    HttpRequest {
        id: String::new(),
        method: method.into(),
        url: url.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        secret_headers: vec![("authorization".into(), "coupon-api-token".into())],
        body: body.into(),
        read_headers: vec!["x-request-id".into()],
        timeout_ms: 0,
    }
}

/// What the script says about an answer: the body, or the error.
fn spoken(result: &HttpResult) -> String {
    match &result.outcome {
        Ok(HttpResponse { status, body, .. }) => format!("{status} {body}"),
        Err(error) => format!("error: {error}"),
    }
}

fn run(yaml: &str, handler: impl FnMut(&Event) -> Vec<Action> + Send + 'static) -> ScenarioResult {
    let scenario = Scenario::parse(yaml).expect("a valid scenario");
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(run_scenario(
            &scenario,
            FakeScript(Box::new(handler)),
            "c1".into(),
        ))
}

/// The `http-response` events the script got, with when.
fn answers(result: &ScenarioResult) -> Vec<(Millis, HttpResult)> {
    result
        .record
        .events()
        .filter_map(|(at, event)| match event {
            Event::HttpResponse(answer) => Some((at, answer.clone())),
            _ => None,
        })
        .collect()
}

/// Asks for a coupon while saying "one moment", reads it out when it comes, hangs up.
fn coupon_script() -> impl FnMut(&Event) -> Vec<Action> + Send + 'static {
    |event| match event {
        Event::CallStarted(_) => vec![
            say("请稍等"),
            Action::HttpRequest(request(
                "POST",
                "https://coupons.example.com/v1/coupons",
                r#"{"amount":50}"#,
            )),
        ],
        Event::HttpResponse(result) => vec![say(&spoken(result)), hang_up()],
        _ => vec![],
    }
}

#[test]
fn a_declared_answer_reaches_the_script_after_its_delay_in_call_time() {
    let result = run(
        r#"
http:
  - match: POST https://coupons.example.com/v1/coupons
    respond: {status: 201, json: {code: "BDAY-50"}, headers: {x-request-id: abc, x-other: hidden}}
    after_ms: 300
steps:
  - bot_requests: {request: POST https://coupons.example.com/v1/coupons, with_body: '"amount":50'}
  - bot_says: 201 .*BDAY-50
  - bot_hangs_up
"#,
        coupon_script(),
    );
    assert!(result.passed(), "{}", render(&result));
    let answers = answers(&result);
    assert_eq!(answers.len(), 1, "{:?}", result.record.timeline);
    let (at, answer) = &answers[0];
    assert_eq!((*at, answer.elapsed_ms), (300, 300), "300 ms of call time");
    assert_eq!(
        answer.outcome.as_ref().map(|r| r.headers.clone()),
        Ok(vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("x-request-id".to_string(), "abc".to_string()),
        ]),
        "only the headers the request reads, and the content type"
    );
}

#[test]
fn an_undeclared_request_is_refused_at_once_and_fails_the_scenario_with_a_clear_line() {
    let result = run(
        "steps:\n  - bot_says: error\n  - bot_hangs_up\n",
        coupon_script(),
    );
    let answers = answers(&result);
    assert_eq!(
        answers
            .iter()
            .map(|(at, a)| (*at, a.outcome.clone()))
            .collect::<Vec<_>>(),
        vec![(
            0,
            Err(HttpError::Refused(
                "the scenario declares no response for POST https://coupons.example.com/v1/coupons"
                    .into()
            ))
        )],
        "refused at once, saying why"
    );
    assert_eq!(
        result.mismatches,
        vec![Mismatch::UndeclaredRequest {
            at_ms: 0,
            request: "POST https://coupons.example.com/v1/coupons with body {\"amount\":50} \
                      [authorization: secret `coupon-api-token`]"
                .into(),
        }],
        "the steps passed, the scenario did not"
    );
    let report = render(&result);
    assert!(report.contains("FAIL"), "{report}");
    assert!(
        report.contains(
            "00:00.0  the bot requested POST https://coupons.example.com/v1/coupons with body \
             {\"amount\":50} [authorization: secret `coupon-api-token`], but the scenario \
             declares no response for it"
        ),
        "{report}"
    );
    assert!(report.contains("        http:\n"), "{report}");
}

#[test]
fn times_and_prefixes_decide_which_entry_answers_each_request() {
    let mut asked = 0;
    let result = run(
        r#"
http:
  - match: get https://crm.example.com/balance?*
    respond: {body: first}
    times: 1
  - match: GET https://crm.example.com/balance*
    respond: {error: failed, reason: connection reset}
    after_ms: 2000
steps:
  - bot_says: 200 first
  - bot_says: "error: failed: connection reset"
  - bot_says: "error: failed: connection reset"
"#,
        move |event| {
            let again =
                || Action::HttpRequest(request("GET", "https://crm.example.com/balance?id=7", ""));
            match event {
                Event::CallStarted(_) => {
                    asked += 1;
                    vec![again()]
                }
                Event::HttpResponse(result) if asked < 3 => {
                    asked += 1;
                    vec![say(&spoken(result)), again()]
                }
                Event::HttpResponse(result) => vec![say(&spoken(result))],
                _ => vec![],
            }
        },
    );
    assert!(result.passed(), "{}", render(&result));
    let times: Vec<Millis> = answers(&result).iter().map(|(at, _)| *at).collect();
    assert_eq!(
        times,
        vec![100, 2_100, 4_100],
        "default 100 ms, then 2 s each"
    );
}

#[test]
fn a_bot_step_waits_for_an_answer_even_when_nothing_is_playing() {
    let result = run(
        r#"
http:
  - match: GET https://crm.example.com/*
    respond: {error: timeout}
    after_ms: 8000
steps:
  - bot_says: timed out
"#,
        |event| match event {
            Event::CallStarted(_) => vec![Action::HttpRequest(request(
                "GET",
                "https://crm.example.com/balance",
                "",
            ))],
            Event::HttpResponse(result) => vec![say(&spoken(result))],
            _ => vec![],
        },
    );
    assert!(result.passed(), "{}", render(&result));
    assert_eq!(answers(&result)[0].0, 8_000);
}

#[test]
fn an_answer_still_on_its_way_when_the_call_ends_is_dropped() {
    let result = run(
        r#"
http:
  - match: POST https://coupons.example.com/v1/coupons
    respond: {status: 201}
    after_ms: 60000
steps:
  - customer_hangs_up
"#,
        coupon_script(),
    );
    assert!(result.passed(), "{}", render(&result));
    assert!(answers(&result).is_empty(), "{:?}", result.record.timeline);
    assert_eq!(result.record.end.as_ref().map(|e| e.at_ms), Some(0));
}

#[test]
fn a_request_step_that_matches_nothing_shows_the_requests_of_the_turn() {
    let result = run(
        r#"
http:
  - match: POST https://coupons.example.com/v1/coupons
    respond: {status: 201}
steps:
  - bot_requests: {request: POST https://coupons.example.com/v1/coupons, with_body: '"amount":20'}
"#,
        coupon_script(),
    );
    let [
        Mismatch::Step {
            number,
            expected,
            turn,
        },
    ] = result.mismatches.as_slice()
    else {
        panic!("one failed step: {:?}", result.mismatches);
    };
    assert_eq!(*number, 1);
    assert_eq!(
        expected,
        "the bot requests /POST https://coupons.example.com/v1/coupons/ with a body matching \
         /\"amount\":20/"
    );
    assert!(
        turn.iter().any(|(at, act)| *at == 0
            && act.to_string()
                == "requests POST https://coupons.example.com/v1/coupons with body \
                    {\"amount\":50} [authorization: secret `coupon-api-token`]"),
        "{turn:?}"
    );
}

/// Greets with a recorded prompt, the customer's name and another prompt, then hangs up.
fn greeting_in_parts() -> impl FnMut(&Event) -> Vec<Action> + Send + 'static {
    use huashu_contract::{SayParts, SpeechPart};
    |event| match event {
        Event::CallStarted(_) => vec![
            Action::SayParts(SayParts {
                parts: vec![
                    SpeechPart::Prompt("greeting-a".into()),
                    SpeechPart::Text("张三".into()),
                    SpeechPart::Prompt("greeting-b".into()),
                ],
                voice: String::new(),
                id: "greeting".into(),
                barge_in: false,
            }),
            hang_up(),
        ],
        _ => vec![],
    }
}

#[test]
fn bot_says_matches_the_readable_form_of_parts_and_bot_plays_their_prompts() {
    let says = run(
        "steps:\n  - bot_says: '^\\[greeting-a\\] 张三 \\[greeting-b\\]$'\n  - bot_hangs_up\n",
        greeting_in_parts(),
    );
    assert!(says.passed(), "{}", render(&says));
    let name_only = run("steps:\n  - bot_says: 张三\n", greeting_in_parts());
    assert!(name_only.passed(), "{}", render(&name_only));
    let plays = run("steps:\n  - bot_plays: greeting-b\n", greeting_in_parts());
    assert!(plays.passed(), "{}", render(&plays));
}

#[test]
fn parts_that_do_not_match_are_shown_readably_in_the_mismatch() {
    let result = run("steps:\n  - bot_says: 李四\n", greeting_in_parts());
    assert!(!result.passed());
    let report = render(&result);
    assert!(
        report.contains("says in parts \"[greeting-a] 张三 [greeting-b]\""),
        "{report}"
    );
}
