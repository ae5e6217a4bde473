//! The baselines' criterion benches, in the same groups as huashu's own (`sandbox.rs`):
//! `sandbox_instantiate/bare_wasmtime*` and `sandbox_event/bare_*`, each timing exactly
//! what its huashu counterpart times, done by wasmtime alone ([`super::bare_wasmtime`]).

use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use huashu_contract::{Event, Transcript};

use super::bare_wasmtime::to_wit;
use super::{ANSWER, Bench, ELAPSED_MS, EVENTS_PER_INSTANCE};

/// The baselines of `sandbox_instantiate`.
pub fn instantiate(group: &mut BenchmarkGroup<'_, WallTime>, bench: &Bench) {
    // The baselines: a store with empty data and `InstancePre::instantiate_async`, with and
    // without the drop.
    group.bench_function("bare_wasmtime", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    drop(bench.bare.instantiate(bench.bare.store()).await);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("bare_wasmtime_excluding_drop", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(async {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let instance = bench.bare.instantiate(bench.bare.store()).await;
                    timed += start.elapsed();
                    drop(instance);
                }
                timed
            })
        })
    });
}

/// The baselines of `sandbox_event`: the same events, already in the contract's own types, into
/// bare instances through the generated bindings.
pub fn events(group: &mut BenchmarkGroup<'_, WallTime>, bench: &Bench) {
    let bare_started = to_wit(&bench.call_started());
    let answer = to_wit(&Event::FinalTranscript(Transcript::typed(ANSWER)));
    let speech = to_wit(&Event::SpeechStarted);
    group.measurement_time(Duration::from_secs(2));
    for (name, event, answered) in [
        ("bare_final_transcript", &answer, true),
        ("bare_call_started", &bare_started, false),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                bench.rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let mut instance = bench.bare.instantiate(bench.bare.store()).await;
                        if answered {
                            instance.handle(&bare_started, 0).await;
                        }
                        let start = Instant::now();
                        let actions = instance.handle(event, ELAPSED_MS).await;
                        timed += start.elapsed();
                        std::hint::black_box(actions);
                    }
                    timed
                })
            })
        });
    }
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("bare_speech_started", |b| {
        b.iter_custom(|iters| {
            bench.rt.block_on(async {
                let mut timed = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let n = EVENTS_PER_INSTANCE.min(iters - done);
                    let mut instance = bench.bare.instantiate(bench.bare.store()).await;
                    instance.handle(&bare_started, 0).await;
                    let start = Instant::now();
                    for _ in 0..n {
                        std::hint::black_box(instance.handle(&speech, ELAPSED_MS).await);
                    }
                    timed += start.elapsed();
                    done += n;
                }
                timed
            })
        })
    });
}
