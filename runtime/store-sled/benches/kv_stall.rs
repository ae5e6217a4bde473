//! How long a script's durable key-value write stalls the tokio worker the call runs on,
//! and so every other call on that worker: `cargo bench -p huashu-store-sled --bench
//! kv_stall`. Figures and method in `docs/benchmarks.md` ("Key-value writes").
//!
//! One tokio worker (a server pinned to one core runs one); a probe task asks to wake
//! every millisecond and records how late it woke, as a call's 20 ms audio frame would;
//! `WRITERS` tasks each write one key every `WRITE_EVERY` (scripts calling `kv.set`), for
//! `RUN` per mode:
//!
//! - `on-worker`: `KeyValueStore::set` called on the async worker, as scripts' `kv.set` did
//!   before: the worker waits for the flush.
//! - `off-worker`: the write runs on the blocking pool and the task awaits it, as the
//!   sandbox's async `kv` imports do now; concurrent writes share flushes (group commit).
//!
//! The data directory is a fresh one under `target/` (a real disk, not tmpfs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use huashu_store::{KeyValueStore, Quotas, Store, Tenant};
use huashu_store_sled::SledStore;

const WRITERS: usize = 50;
const WRITE_EVERY: Duration = Duration::from_millis(100);
const RUN: Duration = Duration::from_secs(10);
const PROBE_EVERY: Duration = Duration::from_millis(1);

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    OnWorker,
    OffWorker,
}

struct Figures {
    writes: u64,
    lateness: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn run(mode: Mode, store: Arc<SledStore>) -> Figures {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async move {
        let until = Instant::now() + RUN;
        let probe = tokio::spawn(async move {
            let mut lateness = Vec::new();
            let mut due = tokio::time::Instant::now() + PROBE_EVERY;
            while Instant::now() < until {
                tokio::time::sleep_until(due).await;
                lateness.push(tokio::time::Instant::now().saturating_duration_since(due));
                due += PROBE_EVERY;
            }
            lateness
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut writes = 0u64;
                    let mut tick = tokio::time::interval(WRITE_EVERY);
                    while Instant::now() < until {
                        tick.tick().await;
                        let key = format!("writer-{writer}");
                        let value = writes.to_le_bytes().to_vec();
                        let written = match mode {
                            Mode::OnWorker => store.set("t_bench", &key, &value),
                            Mode::OffWorker => {
                                let store = store.clone();
                                tokio::task::spawn_blocking(move || {
                                    store.set("t_bench", &key, &value)
                                })
                                .await
                                .expect("the write's thread")
                            }
                        };
                        written.expect("a write");
                        writes += 1;
                    }
                    writes
                })
            })
            .collect();
        let mut total = 0;
        for writer in writers {
            total += writer.await.expect("a writer");
        }
        let mut lateness = probe.await.expect("the probe");
        lateness.sort();
        Figures {
            writes: total,
            lateness,
        }
    })
}

fn main() {
    let dir = tempfile::Builder::new()
        .prefix("kv-stall-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a data directory under target/");
    let store = Arc::new(SledStore::open(dir.path()).expect("the store"));
    store
        .create_tenant(&Tenant {
            id: "t_bench".into(),
            name: "bench".into(),
            created_at_ms: 0,
            disabled: false,
            quotas: Quotas::default(),
            record_calls: false,
            http_allowlist: Vec::new(),
            http_origins: None,
            language: None,
        })
        .expect("the tenant");
    println!(
        "{WRITERS} writers, one durable kv write each every {} ms, {} s per mode, one tokio worker",
        WRITE_EVERY.as_millis(),
        RUN.as_secs()
    );
    println!(
        "{:<11} {:>9} {:>14} {:>14} {:>14}",
        "mode", "writes/s", "probe p50 ms", "probe p99 ms", "probe max ms"
    );
    for (name, mode) in [
        ("on-worker", Mode::OnWorker),
        ("off-worker", Mode::OffWorker),
    ] {
        let figures = run(mode, store.clone());
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{name:<11} {:>9.0} {:>14.2} {:>14.2} {:>14.2}",
            figures.writes as f64 / RUN.as_secs_f64(),
            ms(percentile(&figures.lateness, 0.50)),
            ms(percentile(&figures.lateness, 0.99)),
            ms(figures.lateness.last().copied().unwrap_or_default()),
        );
    }
}
