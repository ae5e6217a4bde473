//! Outbound HTTP requests (contract 0.2.0): handed to the driver while the call goes on,
//! answered as events with call-time elapsed times, limited per call and per event, and
//! answers that match nothing in flight are ignored.

use super::*;
use huashu_contract::{HttpError, HttpRequest, HttpResponse, HttpResult};

fn get(id: &str, url: &str) -> Action {
    Action::HttpRequest(HttpRequest {
        id: id.into(),
        method: "GET".into(),
        url: url.into(),
        headers: vec![],
        secret_headers: vec![("authorization".into(), "crm-token".into())],
        body: String::new(),
        read_headers: vec![],
        timeout_ms: 0,
    })
}

fn ok(id: &str, body: &str) -> CallerInput {
    CallerInput::HttpResponse {
        result: HttpResult {
            id: id.into(),
            outcome: Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.into(),
            }),
            elapsed_ms: 999_999,
        },
    }
}

fn requests(outputs: &[Output]) -> Vec<(Millis, HttpRequest)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::HttpRequest { at_ms, request } => Some((*at_ms, request.clone())),
            _ => None,
        })
        .collect()
}

fn answers(h: &Harness) -> Vec<(Millis, HttpResult)> {
    h.events()
        .into_iter()
        .filter_map(|(at, e)| match e {
            Event::HttpResponse(result) => Some((at, result)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_request_goes_out_while_the_prompt_plays_and_its_answer_is_an_event() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                say("请稍等，我帮您查一下", false),
                get("", "https://crm.example/balance"),
            ],
            Event::HttpResponse(_) => vec![say("您的余额是 100 元", false)],
            _ => vec![],
        })
    });
    let out = block(h.session.start());
    let sent = requests(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    assert_eq!(sent[0].0, 0, "sent at once, not after the prompt");
    assert_eq!(
        sent[0].1.id, "h1",
        "the host numbers requests without an id"
    );
    assert_eq!(
        sent[0].1.secret_headers,
        vec![("authorization".to_string(), "crm-token".to_string())],
        "secret names pass through for the driver to fill in"
    );
    assert!(h.session.is_playing(), "the prompt keeps playing meanwhile");

    block(h.session.input(350, ok("h1", "{\"balance\":100}")));
    let got = answers(&h);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 350);
    assert_eq!(
        got[0].1.elapsed_ms, 350,
        "measured in call time, not by the driver"
    );
    assert!(matches!(&got[0].1.outcome, Ok(r) if r.body.contains("100")));
}

#[test]
fn requests_past_the_per_event_and_per_call_limits_are_answered_limited_at_once() {
    let config = SessionConfig {
        http: HttpLimits {
            per_call: 3,
            per_event: 2,
        },
        ..SessionConfig::default()
    };
    let mut h = Harness::with_config(config, |event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                get("a", "https://crm.example/a"),
                get("b", "https://crm.example/b"),
                get("c", "https://crm.example/c"),
            ],
            Event::TimerFired { .. } => vec![
                get("d", "https://crm.example/d"),
                get("e", "https://crm.example/e"),
            ],
            Event::HttpResponse(r) if r.id == "c" => vec![Action::StartTimer(Timer {
                id: "later".into(),
                after_ms: 100,
            })],
            _ => vec![],
        })
    });
    let out = block(h.session.start());
    let sent: Vec<String> = requests(&out).into_iter().map(|(_, r)| r.id).collect();
    assert_eq!(sent, ["a", "b"]);
    let out = block(h.session.advance(100));
    let sent: Vec<String> = requests(&out).into_iter().map(|(_, r)| r.id).collect();
    assert_eq!(sent, ["d"], "the third request of the call is the last one");
    let limited: Vec<(String, String)> = answers(&h)
        .into_iter()
        .filter_map(|(_, r)| match r.outcome {
            Err(HttpError::Limited(why)) => Some((r.id, why)),
            _ => None,
        })
        .collect();
    assert_eq!(limited.len(), 2, "{limited:?}");
    assert_eq!(limited[0].0, "c");
    assert!(limited[0].1.contains("one event"), "{}", limited[0].1);
    assert_eq!(limited[1].0, "e");
    assert!(
        limited[1].1.contains("a call may make 3"),
        "{}",
        limited[1].1
    );
}

#[test]
fn an_answer_for_no_request_in_flight_is_ignored_and_recorded_as_such() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![get("lookup", "https://crm.example/x")],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session.input(10, ok("lookup", "{}")).await;
        h.session.input(20, ok("lookup", "{}")).await;
    });
    assert_eq!(answers(&h).len(), 1, "the second answer is not delivered");
    assert!(
        h.session
            .record()
            .timeline
            .iter()
            .any(|e| matches!(e, TimelineEntry::Ignored { what, .. } if what == "http response")),
        "{:?}",
        h.session.record().timeline
    );
}

#[test]
fn a_request_id_already_in_flight_is_refused_without_sending() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![
                get("same", "https://crm.example/1"),
                get("same", "https://crm.example/2"),
            ],
            _ => vec![],
        })
    });
    let out = block(h.session.start());
    assert_eq!(requests(&out).len(), 1);
    assert!(matches!(
        &answers(&h)[..],
        [(_, HttpResult { outcome: Err(HttpError::Refused(why)), .. })] if why.contains("already in flight")
    ));
}

#[test]
fn answers_arriving_after_the_hang_up_are_not_delivered() {
    let mut h = Harness::new(|event| {
        Ok(match event {
            Event::CallStarted(_) => vec![get("", "https://crm.example/slow")],
            _ => vec![],
        })
    });
    block(async {
        h.session.start().await;
        h.session
            .input(
                50,
                CallerInput::HangUp {
                    reason: "customer-hung-up".into(),
                },
            )
            .await;
        h.session.input(60, ok("h1", "{}")).await;
    });
    assert!(answers(&h).is_empty());
}
