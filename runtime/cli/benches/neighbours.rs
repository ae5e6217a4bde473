//! What hostile calls cost a neighbour: `cargo bench -p huashu --bench neighbours`.
//! `docs/benchmarks.md` ("A neighbour beside memory bombs") has the figures.
//!
//! A real `huashu serve` (this build's binary) with two tenants. Tenant B's one text call
//! takes turns (a key press, the bot's reply) and each turn's latency is measured from the
//! press leaving the client to the reply arriving. Tenant A runs 12 calls at once of the
//! `hostile` guest in `memory` mode: each allocates 1 MiB after another until it hits the
//! tenant's 64 MiB memory limit and traps, its fallback ends the call, and a new one takes
//! its place. Phases alternate, quiet then bombed, in pairs a few seconds apart, so a
//! drift of the machine's speed shows in both halves of a pair alike.
//!
//! Printed on stdout: per phase, turns, p50, p99 and max turn latency, and bomb calls
//! completed.

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use support::server::{Server, create_call, create_tenant, upload};
use support::ws::TextCall;

/// Turns the neighbour takes per phase.
const TURNS: usize = 300;
/// The neighbour's pause between turns: a customer answers every few hundred ms at most.
const THINK: Duration = Duration::from_millis(20);
/// Memory bombs at once, as in the report that asked for this measurement.
const BOMBS: usize = 12;
/// Quiet/bombed pairs.
const PAIRS: usize = 3;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("neighbours: bench");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, bomber_key) = create_tenant(&server, "Bombs");
    let (_, neighbour_key) = create_tenant(&server, "Neighbour");
    upload(&server, &bomber_key, "bot", "hostile");
    upload(&server, &neighbour_key, "bot", "load-bot");
    let runtime = support::two_worker_runtime();
    for pair in 1..=PAIRS {
        for bombed in [false, true] {
            let (latencies, bombs) =
                runtime.block_on(phase(&server, &neighbour_key, &bomber_key, bombed));
            report(pair, bombed, latencies, bombs);
        }
    }
}

async fn phase(
    server: &Server,
    neighbour: &str,
    bomber: &str,
    bombed: bool,
) -> (Vec<Duration>, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicU64::new(0));
    let mut bombers = Vec::new();
    if bombed {
        for _ in 0..BOMBS {
            let (stop, completed) = (stop.clone(), completed.clone());
            let (base, key) = (server.base.clone(), bomber.to_owned());
            bombers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let url = tokio::task::spawn_blocking({
                        let (base, key) = (base.clone(), key.clone());
                        move || new_call(&base, &key, json!({"mode": "memory"}))
                    })
                    .await
                    .expect("create");
                    let mut call = TextCall::connect(&url).await;
                    call.until_closed().await;
                    completed.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        // Let the bombs get going.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, url) = create_call(server, neighbour, "bot", json!({}));
    let mut call = TextCall::connect(&url).await;
    call.until_listening().await.expect("greeting");
    let mut latencies = Vec::with_capacity(TURNS);
    for _ in 0..TURNS {
        let sent = Instant::now();
        call.press("1").await;
        call.until(|m| m["type"] == "say").await.expect("a reply");
        latencies.push(sent.elapsed());
        call.until_listening().await.expect("listening again");
        tokio::time::sleep(THINK).await;
    }
    call.send(json!({"type": "hangup"})).await;
    stop.store(true, Ordering::Relaxed);
    for bomber in bombers {
        let _ = bomber.await;
    }
    (latencies, completed.load(Ordering::Relaxed))
}

/// `create_call` against a base URL, for tasks that hold no `Server`.
fn new_call(base: &str, key: &str, variables: serde_json::Value) -> String {
    let client = support::server::Client::new(base, key);
    let (status, body) = client.post(
        "/v1/calls",
        json!({"module": "bot", "variables": variables}),
    );
    assert_eq!(status, 201, "{body}");
    body["ws_url"].as_str().expect("ws_url").to_owned()
}

fn report(pair: usize, bombed: bool, mut latencies: Vec<Duration>, bombs: u64) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "pair {pair} {:<7} turns {}  p50 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms  bomb calls {bombs}",
        if bombed { "bombed" } else { "quiet" },
        latencies.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(latencies[latencies.len() - 1]),
    );
}
