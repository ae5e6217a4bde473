//! Redirects against real servers on 127.0.0.1: followed within the allowlist, each hop
//! re-checked, secrets kept to the origin the script named.

use huashu_contract::{HttpError, HttpRequest};

use crate::client_tests::{SECRET_VALUE, get, policy, refusal, send};
use crate::test_server::{Reply, SilentListener, TestServer};

#[tokio::test]
async fn a_redirect_within_the_allowlist_is_followed_and_a_303_turns_a_post_into_a_get() {
    let mut server = TestServer::start(vec![
        Reply::redirect(307, "/again"),
        Reply::redirect(303, "/final"),
        Reply::text("done"),
    ]);
    let policy = policy(&[(&server.origin(), true)]);
    let request = HttpRequest {
        method: "POST".into(),
        url: format!("{}/start", server.origin()),
        headers: vec![("Content-Type".into(), "text/plain".into())],
        body: "hello".into(),
        ..get("")
    };
    let response = send(&policy, &request).await.expect("an answer");
    assert_eq!((response.status, response.body.as_str()), (200, "done"));
    let first = server.next().await;
    let repeated = server.next().await;
    let last = server.next().await;
    for post in [&first, &repeated] {
        assert_eq!(
            (post.method.as_str(), post.body.as_slice()),
            ("POST", &b"hello"[..])
        );
    }
    assert_eq!(repeated.target, "/again");
    assert_eq!(
        (last.method.as_str(), last.target.as_str()),
        ("GET", "/final")
    );
    assert!(last.body.is_empty());
    assert_eq!(last.header("content-type"), None);
}

#[tokio::test]
async fn a_redirect_off_the_allowlist_is_refused_without_connecting_there() {
    let silent = SilentListener::bind();
    let elsewhere = format!("http://127.0.0.1:{}", silent.port());
    let server = TestServer::start(vec![Reply::redirect(302, &format!("{elsewhere}/x"))]);
    let policy = policy(&[(&server.origin(), true)]);
    let why = refusal(send(&policy, &get(&server.origin())).await);
    assert_eq!(
        why,
        format!("`{elsewhere}` is not on the tenant's allowlist")
    );
    assert!(!silent.was_contacted());
}

#[tokio::test]
async fn a_redirect_is_held_to_the_address_policy_of_its_own_allowlist_entry() {
    let silent = SilentListener::bind();
    let public_only = format!("http://localhost:{}", silent.port());
    let server = TestServer::start(vec![Reply::redirect(302, &format!("{public_only}/x"))]);
    let policy = policy(&[(&server.origin(), true), (&public_only, false)]);
    let why = refusal(send(&policy, &get(&server.origin())).await);
    assert!(why.starts_with("localhost resolves to"), "{why}");
    assert!(!silent.was_contacted());
}

#[tokio::test]
async fn secret_headers_are_dropped_when_a_redirect_leaves_the_origin() {
    let mut there = TestServer::start(vec![Reply::text("moved here")]);
    let mut here = TestServer::start(vec![Reply::redirect(308, &format!("{}/b", there.origin()))]);
    let policy = policy(&[(&here.origin(), true), (&there.origin(), true)]);
    let request = HttpRequest {
        headers: vec![("X-Plain".into(), "kept".into())],
        secret_headers: vec![("Authorization".into(), "crm-token".into())],
        ..get(&format!("{}/a", here.origin()))
    };
    let response = send(&policy, &request).await.expect("an answer");
    assert_eq!(response.body, "moved here");
    assert_eq!(
        here.next().await.header("authorization"),
        Some(SECRET_VALUE)
    );
    let moved = there.next().await;
    assert_eq!(moved.header("authorization"), None);
    assert_eq!(moved.header("x-plain"), Some("kept"));
    assert_ne!(here.port(), there.port());
}

#[tokio::test]
async fn more_than_three_redirects_fail() {
    let mut server = TestServer::start(vec![Reply::redirect(302, "/loop")]);
    let policy = policy(&[(&server.origin(), true)]);
    assert_eq!(
        send(&policy, &get(&server.origin())).await,
        Err(HttpError::Failed("too many redirects (more than 3)".into()))
    );
    for _ in 0..4 {
        server.next().await;
    }
    assert!(server.pending().is_empty(), "a fifth request was sent");
}
