//! What the sandbox costs per call, measured on a real Rust call script:
//! `cargo bench -p huashu-sandbox --bench sandbox`. `docs/benchmarks.md` ("Per-call sandbox costs")
//! has the figures, the goals they are held against, and the method in prose.
//!
//! - `sandbox_instantiate/pooled` — a fresh instance from a precompiled module, dropped
//!   again: what every call pays before its first event. `pooled_excluding_drop` is the
//!   same without the drop.
//! - `sandbox_event/*` — one event into a live instance and its reply back out, through the
//!   same [`CallScript::handle`] the session uses: the customer's answer
//!   (`final_transcript`), an event the script ignores (`speech_started`), and the first,
//!   biggest event (`call_started`).
//! - `*/bare_*` beside them — the same work done by wasmtime alone (`bare_wasmtime`): the
//!   same component and pool settings, an empty store, a direct call of the guest's
//!   `handle`. After the groups, the bench prints huashu's cost as a ratio to these,
//!   measured in interleaved pairs (`ratios`, which says why).
//! - `sandbox_module/*` — turning a stored artifact back into a module against compiling
//!   the component from scratch: why artifacts are cached.
//!
//! The script is `guest-examples/birthday-coupon`, built from source into `target/guests`
//! (the same place the end-to-end tests build it). If it does not build, the bench falls
//! back to the test guest `tests/guests/hostile` in its `polite` mode, and says so.
//! `HUASHU_BENCH_GUEST=hostile` picks the fallback on purpose.
//!
//! Everything runs on a current-thread tokio runtime, one `block_on` per criterion sample,
//! so the executor's entry cost is not in the figures. Work a call does not pay per event
//! (building the `CallSetup`, creating the instance an event goes into) is done outside the
//! timed region.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use huashu_contract::{
    Action, CallScript, CallStarted, Channel, Direction, Event, ScriptReply, Transcript,
};
use huashu_sandbox::{
    CallSetup, Limits, Sandbox, SandboxConfig, ScriptInstance, ScriptModule, TenantKv,
    content_digest,
};
use huashu_store::MemoryKeyValue;
use tokio::runtime::Runtime;

#[path = "sandbox/bare_benches.rs"]
mod bare_benches;
#[path = "sandbox/bare_wasmtime.rs"]
mod bare_wasmtime;
#[path = "sandbox/ratios.rs"]
mod ratios;

use bare_wasmtime::Bare;

/// A guest crate the bench can run, and the call that makes it behave like a real one.
struct Guest {
    /// The cargo package (`-p`); the component is `<package with _>.wasm`.
    package: &'static str,
    variables: &'static [(&'static str, &'static str)],
}

const BIRTHDAY_COUPON: Guest = Guest {
    package: "birthday-coupon",
    variables: &[("name", "王芳"), ("coupon_amount", "50")],
};

/// The test guest behaves only with `mode=polite`: greets, listens, and on a final
/// transcript logs it, stores it in key-value, says goodbye and hangs up.
const HOSTILE_POLITE: Guest = Guest {
    package: "hostile",
    variables: &[("mode", "polite")],
};

/// What the customer answers: a yes for both guests, so the script takes its full branch
/// (classify, record the outcome, then say goodbye and hang up, or, for birthday-coupon,
/// say "one moment" and request the coupon) rather than a shortcut.
const ANSWER: &str = "好的";

/// Elapsed call time handed with each event, as a session would after a short greeting.
const ELAPSED_MS: u64 = 4_000;

/// Instances created ahead of one timed stretch. Well under the pool's 2,000 slots.
const INSTANCES_PER_STRETCH: u64 = 256;

/// Events delivered to one instance before it is replaced: keeps a long run inside the
/// call's CPU and key-value budgets, which a real call never comes near.
const EVENTS_PER_INSTANCE: u64 = 1_000;

fn workspace_root() -> PathBuf {
    // The crate is `runtime/<stage>/`; the workspace root holds `wit/`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("wit").is_dir())
        .expect("the crate sits inside the huashu workspace")
        .to_path_buf()
}

fn guest_target_dir() -> PathBuf {
    workspace_root().join("target").join("guests")
}

/// Builds `guest` for `wasm32-wasip2` (a no-op when it is up to date) and returns its
/// component, or why not.
fn build_guest(guest: &Guest) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = guest_target_dir();
    let wasm = target_dir
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", guest.package.replace('-', "_")));
    eprintln!(
        "bench: cargo build --release --target wasm32-wasip2 --target-dir {} -p {}",
        target_dir.display(),
        guest.package
    );
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["-p", guest.package])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo exited with {status}; is the wasm32-wasip2 target installed?"
        ));
    }
    if !wasm.is_file() {
        return Err(format!("cargo succeeded but {} is missing", wasm.display()));
    }
    Ok(wasm)
}

/// The guest to measure: birthday-coupon from source, or the polite test guest when it
/// does not build (or when `HUASHU_BENCH_GUEST=hostile`).
fn pick_guest() -> (&'static Guest, Vec<u8>) {
    let wanted = std::env::var("HUASHU_BENCH_GUEST").unwrap_or_default();
    let candidates: &[&'static Guest] = if wanted == HOSTILE_POLITE.package {
        &[&HOSTILE_POLITE]
    } else {
        &[&BIRTHDAY_COUPON, &HOSTILE_POLITE]
    };
    for guest in candidates {
        match build_guest(guest) {
            Ok(wasm) => {
                let bytes = std::fs::read(&wasm).expect("read the guest component");
                eprintln!(
                    "bench: measuring {} ({} bytes)",
                    wasm.display(),
                    bytes.len()
                );
                return (guest, bytes);
            }
            Err(why) => eprintln!("bench: {} cannot be used: {why}", guest.package),
        }
    }
    panic!("no guest component could be built");
}

/// Everything the benchmarks share: one sandbox (pooling, as the server runs it), the
/// guest compiled once, and the runtime the async API runs on.
struct Bench {
    rt: Runtime,
    sandbox: Sandbox,
    guest: &'static Guest,
    wasm: Vec<u8>,
    module: ScriptModule,
    artifact: Vec<u8>,
    kv: Arc<MemoryKeyValue>,
    /// The same component under bare wasmtime, the baseline of every ratio.
    bare: Bare,
}

impl Bench {
    fn new() -> Self {
        let (guest, wasm) = pick_guest();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sandbox = Sandbox::new(&SandboxConfig::default()).expect("a pooling sandbox");
        let compiled = sandbox.compile(&wasm).expect("the guest compiles");
        let bare = Bare::new(&wasm);
        Self {
            rt,
            sandbox,
            guest,
            wasm,
            module: compiled.module,
            artifact: compiled.artifact,
            kv: Arc::new(MemoryKeyValue::default()),
            bare,
        }
    }

    fn setup(&self, n: u64) -> CallSetup {
        CallSetup {
            call_id: format!("bench-{n}"),
            limits: Limits {
                // Raised so a spurious CPU failure can never abort a run (the budgets
                // count the thread's CPU time, which a noisy machine still inflates a
                // little); the checks cost the same whatever the budget.
                cpu_per_event: Duration::from_secs(10),
                cpu_per_call: Duration::from_secs(600),
                ..Limits::default()
            },
            kv: TenantKv {
                tenant: "bench".into(),
                store: self.kv.clone(),
            },
            started_at_ms: 1_795_399_200_000,
            random_seed: n,
            turns: None,
        }
    }

    fn call_started(&self) -> Event {
        Event::CallStarted(CallStarted {
            call_id: "bench-0".into(),
            direction: Direction::Outbound,
            caller: "+8610xxxxxxxx".into(),
            callee: "+86138xxxxxxxx".into(),
            channel: Channel::Twilio,
            variables: self
                .guest
                .variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            started_at_ms: 1_795_399_200_000,
            random_seed: 7,
        })
    }

    async fn instance(&self, n: u64) -> ScriptInstance {
        self.sandbox
            .instantiate(&self.module, self.setup(n))
            .await
            .expect("the guest instantiates")
    }

    /// An instance that has greeted the customer and is waiting for the answer.
    async fn answered_instance(&self, n: u64) -> ScriptInstance {
        let mut instance = self.instance(n).await;
        handle(&mut instance, &self.call_started(), 0).await;
        instance
    }
}

async fn handle(instance: &mut ScriptInstance, event: &Event, elapsed: u64) -> ScriptReply {
    instance
        .handle(event, elapsed)
        .await
        .expect("the guest handles the event")
}

/// Fails loudly if the guest is not on the path the figures claim to measure (a greeting,
/// then an outcome or a hang-up), rather than timing an error or an empty reply.
fn check_the_dialogue(bench: &Bench) {
    bench.rt.block_on(async {
        let mut instance = bench.instance(0).await;
        let greeting = handle(&mut instance, &bench.call_started(), 0).await;
        assert!(
            greeting.actions.iter().any(|a| matches!(a, Action::Say(_))),
            "the guest did not greet: {greeting:?}"
        );
        let answer = Event::FinalTranscript(Transcript::typed(ANSWER));
        let reply = handle(&mut instance, &answer, ELAPSED_MS).await;
        assert!(
            reply
                .actions
                .iter()
                .any(|a| matches!(a, Action::SetOutcome(_) | Action::HangUp { .. })),
            "the guest did not take the answer: {reply:?}"
        );
    });
}

fn instantiate(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("sandbox_instantiate");
    // One iteration: `Sandbox::instantiate` (store, WASI context, limits, the guest's start
    // functions) and dropping the instance, which returns its slot to the pool.
    group.bench_function("pooled", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(async {
                let mut timed = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let n = INSTANCES_PER_STRETCH.min(iters - done);
                    let setups: Vec<CallSetup> = (done..done + n).map(|i| bench.setup(i)).collect();
                    let start = Instant::now();
                    for setup in setups {
                        let instance = bench
                            .sandbox
                            .instantiate(&bench.module, setup)
                            .await
                            .expect("the guest instantiates");
                        drop(instance);
                    }
                    timed += start.elapsed();
                    done += n;
                }
                timed
            })
        })
    });
    // The same without the drop: `Sandbox::instantiate` alone, each call timed on its own
    // (reading the clock adds about 30 ns here).
    group.bench_function("pooled_excluding_drop", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(async {
                let mut timed = Duration::ZERO;
                for i in 0..iters {
                    let setup = bench.setup(i);
                    let start = Instant::now();
                    let instance = bench.sandbox.instantiate(&bench.module, setup).await;
                    timed += start.elapsed();
                    drop(instance.expect("the guest instantiates"));
                }
                timed
            })
        })
    });
    bare_benches::instantiate(&mut group, bench);
    group.finish();
}

/// Times `event` into instances made ready by `ready`, one fresh instance per event: for
/// events that change the script's state, so every iteration does the same work. Each event
/// is timed on its own (reading the clock adds about 30 ns here).
async fn time_one_event_each<F, Fut>(iters: u64, event: &Event, ready: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ScriptInstance>,
{
    let mut timed = Duration::ZERO;
    for i in 0..iters {
        let mut instance = ready(i).await;
        let start = Instant::now();
        let reply = instance.handle(event, ELAPSED_MS).await;
        timed += start.elapsed();
        std::hint::black_box(reply.expect("the guest handles the event"));
    }
    timed
}

fn events(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("sandbox_event");
    // Each of these iterations also creates an instance outside the timed region, several
    // times the cost of the event itself: a shorter target keeps the run to minutes.
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));

    let answer = Event::FinalTranscript(Transcript::typed(ANSWER));
    group.bench_function("final_transcript", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(time_one_event_each(iters, &answer, |i| {
                bench.answered_instance(i)
            }))
        })
    });

    let started = bench.call_started();
    group.bench_function("call_started", |b| {
        b.iter_custom(|iters| {
            bench
                .rt
                .block_on(time_one_event_each(iters, &started, |i| bench.instance(i)))
        })
    });

    // The script ignores it and answers with no actions: the bare cost of a round trip.
    // It leaves the script as it was, so many go into one instance.
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("speech_started", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(async {
                let mut timed = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let n = EVENTS_PER_INSTANCE.min(iters - done);
                    let mut instance = bench.answered_instance(done).await;
                    let start = Instant::now();
                    for _ in 0..n {
                        let reply = instance.handle(&Event::SpeechStarted, ELAPSED_MS).await;
                        std::hint::black_box(reply.expect("the guest handles the event"));
                    }
                    timed += start.elapsed();
                    done += n;
                }
                timed
            })
        })
    });
    bare_benches::events(&mut group, bench);
    group.finish();
}

fn modules(c: &mut Criterion, bench: &Bench) {
    let mut group = c.benchmark_group("sandbox_module");
    let digest = content_digest(&bench.wasm);
    // One iteration: deserialize the artifact, check the component against the world and
    // link it; dropping the module again is included.
    group.bench_function("load_precompiled", |b| {
        b.iter(|| {
            // SAFETY: `bench.artifact` came from `compile` on this same sandbox, in this
            // process, and has not left memory since.
            unsafe {
                bench
                    .sandbox
                    .load_precompiled(&bench.artifact, digest.clone())
            }
            .expect("the artifact loads")
        })
    });

    // Hundreds of milliseconds each on two cores: few samples, same iterations in each.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("compile", |b| {
        b.iter(|| {
            bench
                .sandbox
                .compile(&bench.wasm)
                .expect("the guest compiles")
        })
    });
    group.finish();
}

/// Criterion's groups, then the paired ratios (`ratios`). Written out rather than with
/// `criterion_main!` so the ratios can reuse the bench's sandbox, module and runtime.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    let bench = Bench::new();
    check_the_dialogue(&bench);
    instantiate(&mut c, &bench);
    events(&mut c, &bench);
    modules(&mut c, &bench);
    c.final_summary();
    if ratios::wanted() {
        ratios::report(&bench);
    }
}
