//! What a call costs per guest language: `cargo bench -p huashu --bench languages`.
//! `docs/benchmarks.md` ("Guests in other languages") has the figures and the method.
//!
//! The same measurements for four real scripts: the Rust satisfaction survey and its Python
//! port (the same dialogue), the JavaScript birthday offer and the C reminder, each built by
//! its own toolchain (`tests/support/polyglot.rs`, as the tests build them; `./scripts/setup`
//! installs the toolchains). Each runs in a pooling sandbox with the server's default sizing,
//! from a module loaded from its precompiled artifact, as a server loads a stored module.
//!
//! - `instantiate/<language>` — a fresh instance (store, WASI context, limits, the guest's
//!   start functions) and dropping it, which returns its slot to the pool.
//! - `first_event/<language>` — `call-started` into a fresh instance and the greeting back:
//!   the first event is where interpreters pay for their lazily created state.
//! - `load_precompiled/<language>` — deserializing the artifact and linking it: the cost of
//!   loading a stored module, against seconds of compiling for Python and JavaScript.
//!
//! Compile time, artifact size and the memory an instance holds after its first event are
//! printed once per guest on stderr (`bench: …`), not measured by criterion.

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use huashu_contract::{Action, CallScript, CallStarted, Channel, Direction, Event};
use huashu_sandbox::{
    CallSetup, Limits, Sandbox, SandboxConfig, ScriptInstance, ScriptModule, TenantKv,
    content_digest,
};
use huashu_store::MemoryKeyValue;
use support::polyglot::{self, Language};
use tokio::runtime::Runtime;

/// One guest to measure: its label, where its component comes from, its call variables.
struct Guest {
    label: &'static str,
    build: fn() -> std::path::PathBuf,
    variables: &'static [(&'static str, &'static str)],
}

const SURVEY: &[(&str, &str)] = &[("name", "张先生"), ("service", "今天上午的空调维修服务")];

const GUESTS: &[Guest] = &[
    Guest {
        label: "rust",
        build: || support::guest_wasm("satisfaction-survey"),
        variables: SURVEY,
    },
    Guest {
        label: "python",
        build: || polyglot::example_wasm("python-survey", Language::Python),
        variables: SURVEY,
    },
    Guest {
        label: "javascript",
        build: || polyglot::example_wasm("js-birthday", Language::JavaScript),
        variables: &[("name", "王芳"), ("coupon_amount", "50")],
    },
    Guest {
        label: "c",
        build: || polyglot::example_wasm("c-reminder", Language::C),
        variables: &[
            ("name", "陈女士"),
            ("appointment", "明天上午十点的牙科复诊"),
        ],
    },
];

/// Instances created ahead of one timed stretch, well under the pool's 2,000 slots.
const INSTANCES_PER_STRETCH: u64 = 64;

struct Loaded {
    guest: &'static Guest,
    module: ScriptModule,
    artifact: Vec<u8>,
    digest: String,
}

struct Bench {
    rt: Runtime,
    sandbox: Sandbox,
    kv: Arc<MemoryKeyValue>,
}

impl Bench {
    fn setup(&self, n: u64) -> CallSetup {
        CallSetup {
            call_id: format!("bench-{n}"),
            limits: Limits::default(),
            kv: TenantKv {
                tenant: "bench".into(),
                store: self.kv.clone(),
            },
            started_at_ms: 1_795_399_200_000,
            random_seed: n,
            turns: None,
        }
    }

    async fn instance(&self, loaded: &Loaded, n: u64) -> ScriptInstance {
        self.sandbox
            .instantiate(&loaded.module, self.setup(n))
            .await
            .unwrap_or_else(|e| panic!("{} instantiates: {e}", loaded.guest.label))
    }

    /// Compiles the guest once, then loads the module back from its artifact.
    fn load(&self, guest: &'static Guest) -> Loaded {
        let wasm = std::fs::read((guest.build)()).expect("read the component");
        let start = Instant::now();
        let compiled = self.sandbox.compile(&wasm).expect("the guest compiles");
        eprintln!(
            "bench: {}: component {:.1} MB, compiled in {:.2?}, artifact {:.1} MB",
            guest.label,
            wasm.len() as f64 / 1e6,
            start.elapsed(),
            compiled.artifact.len() as f64 / 1e6
        );
        let digest = content_digest(&wasm);
        // SAFETY: the artifact was produced just now by this sandbox's `compile`.
        let module = unsafe {
            self.sandbox
                .load_precompiled(&compiled.artifact, digest.clone())
        }
        .expect("the artifact loads");
        Loaded {
            guest,
            module,
            artifact: compiled.artifact,
            digest,
        }
    }
}

fn call_started(guest: &Guest) -> Event {
    Event::CallStarted(CallStarted {
        call_id: "bench-0".into(),
        direction: Direction::Outbound,
        caller: "4008001234".into(),
        callee: "13800138000".into(),
        channel: Channel::Twilio,
        variables: guest
            .variables
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        started_at_ms: 1_795_399_200_000,
        random_seed: 7,
    })
}

/// Fails loudly unless the guest greets, and reports what one call's instance holds.
fn check_the_greeting(bench: &Bench, loaded: &Loaded) {
    bench.rt.block_on(async {
        let mut instance = bench.instance(loaded, 0).await;
        let before = instance.memory_used();
        let reply = instance
            .handle(&call_started(loaded.guest), 0)
            .await
            .expect("the guest handles call-started");
        assert!(
            reply.actions.iter().any(|a| matches!(a, Action::Say(_))),
            "{} did not greet: {reply:?}",
            loaded.guest.label
        );
        eprintln!(
            "bench: {}: linear memory {:.1} MiB after instantiation, {:.1} MiB after the first event",
            loaded.guest.label,
            before as f64 / (1 << 20) as f64,
            instance.memory_used() as f64 / (1 << 20) as f64
        );
    });
}

fn instantiate(c: &mut Criterion, bench: &Bench, loaded: &Loaded) {
    c.benchmark_group("instantiate")
        .bench_function(loaded.guest.label, |b| {
            b.iter_custom(|iters| {
                bench.rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    let mut done = 0;
                    while done < iters {
                        let n = INSTANCES_PER_STRETCH.min(iters - done);
                        let setups: Vec<CallSetup> =
                            (done..done + n).map(|i| bench.setup(i)).collect();
                        let start = Instant::now();
                        for setup in setups {
                            let instance = bench
                                .sandbox
                                .instantiate(&loaded.module, setup)
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
}

fn first_event(c: &mut Criterion, bench: &Bench, loaded: &Loaded) {
    let event = call_started(loaded.guest);
    c.benchmark_group("first_event")
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .bench_function(loaded.guest.label, |b| {
            b.iter_custom(|iters| {
                bench.rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for i in 0..iters {
                        let mut instance = bench.instance(loaded, i).await;
                        let start = Instant::now();
                        let reply = instance.handle(&event, 0).await;
                        timed += start.elapsed();
                        std::hint::black_box(reply.expect("the guest handles call-started"));
                    }
                    timed
                })
            })
        });
}

fn load_precompiled(c: &mut Criterion, bench: &Bench, loaded: &Loaded) {
    c.benchmark_group("load_precompiled")
        .sample_size(20)
        .bench_function(loaded.guest.label, |b| {
            b.iter(|| {
                // SAFETY: `loaded.artifact` came from `compile` on this same sandbox.
                unsafe {
                    bench
                        .sandbox
                        .load_precompiled(&loaded.artifact, loaded.digest.clone())
                }
                .expect("the artifact loads")
            })
        });
}

fn languages(c: &mut Criterion) {
    let bench = Bench {
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime"),
        sandbox: Sandbox::new(&SandboxConfig::default()).expect("a pooling sandbox"),
        kv: Arc::new(MemoryKeyValue::default()),
    };
    for guest in GUESTS {
        let loaded = bench.load(guest);
        check_the_greeting(&bench, &loaded);
        instantiate(c, &bench, &loaded);
        first_event(c, &bench, &loaded);
        load_precompiled(c, &bench, &loaded);
    }
}

criterion_group!(benches, languages);
criterion_main!(benches);
