//! huashu's per-call costs as ratios to bare wasmtime's ([`super::bare_wasmtime`]), printed
//! after criterion's groups: the figures `docs/benchmarks.md` holds against its goals
//! (instantiate ≤ 1.3× bare wasmtime, an event ≤ 1.5× a bare call).
//!
//! Why not divide criterion's two estimates: on this shared machine the speed drifts by
//! tens of percent within minutes, and criterion measures the two sides of a pair a minute
//! or more apart. Here the two sides are measured in pairs instead: a round times one
//! batch of huashu and one batch of bare wasmtime back to back (the order alternating from
//! round to round), so both see the same machine; the ratio reported is the median of the
//! rounds' ratios, with the quartiles to show how much they spread. Like criterion's groups,
//! every instance an iteration needs is made before its clock starts.
//!
//! `HUASHU_BENCH_RATIOS=0` skips this step; criterion's `--test` and `--list` modes skip it
//! too.

use std::time::{Duration, Instant};

use huashu_contract::{CallScript, Event, Transcript};

use super::bare_wasmtime::to_wit;
use super::{ANSWER, Bench, ELAPSED_MS};

/// Paired rounds per figure. An odd number, so the median is one round's ratio; 201 keeps
/// the median within about a percent between runs on a quiet machine, in about 5 s for
/// the four figures together.
const ROUNDS: usize = 201;

/// Instances made and dropped per batch: long enough (about a millisecond) that reading
/// the clock is noise, short enough that both sides of a round see the same machine.
const INSTANTIATIONS_PER_BATCH: u64 = 64;

/// Ignored events per batch, all into one instance (`speech_started` leaves the script's
/// state as it was).
const REPEATED_EVENTS_PER_BATCH: u64 = 256;

/// Events per batch for the events that change the script's state: each one needs a fresh
/// instance, made outside the clock, so a batch costs far more than what it times.
const FRESH_EVENTS_PER_BATCH: u64 = 16;

/// One figure: what it is, its goal, and every round's nanoseconds per item on each side.
struct Pair {
    name: &'static str,
    goal: f64,
    huashu: Vec<f64>,
    bare: Vec<f64>,
}

impl Pair {
    /// Runs [`ROUNDS`] rounds; each side returns the time per item of one batch.
    fn measure(
        name: &'static str,
        goal: f64,
        mut huashu: impl FnMut() -> Duration,
        mut bare: impl FnMut() -> Duration,
    ) -> Self {
        let mut pair = Pair {
            name,
            goal,
            huashu: Vec::with_capacity(ROUNDS),
            bare: Vec::with_capacity(ROUNDS),
        };
        for round in 0..ROUNDS {
            let (h, b) = if round % 2 == 0 {
                let h = huashu();
                (h, bare())
            } else {
                let b = bare();
                (huashu(), b)
            };
            pair.huashu.push(h.as_nanos() as f64);
            pair.bare.push(b.as_nanos() as f64);
        }
        pair
    }

    fn print(&self) {
        let ratios: Vec<f64> = self
            .huashu
            .iter()
            .zip(&self.bare)
            .map(|(h, b)| h / b)
            .collect();
        let (q1, median, q3) = quartiles(ratios);
        let (_, huashu, _) = quartiles(self.huashu.clone());
        let (_, bare, _) = quartiles(self.bare.clone());
        println!(
            "  {:<28} huashu {:>8.2} µs   bare {:>8.2} µs   ratio {:.2} [{:.2}–{:.2}]   goal ≤ {:.1}: {}",
            self.name,
            huashu / 1e3,
            bare / 1e3,
            median,
            q1,
            q3,
            self.goal,
            if median <= self.goal {
                "met"
            } else {
                "NOT met"
            }
        );
    }
}

/// First quartile, median and third quartile.
fn quartiles(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

/// Whether this run should measure the ratios.
pub fn wanted() -> bool {
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    !quick && std::env::var("HUASHU_BENCH_RATIOS").as_deref() != Ok("0")
}

/// Goal for instantiation: huashu's store, WASI context, limiter and budget on top of
/// wasmtime's own instantiation.
const INSTANTIATE_GOAL: f64 = 1.3;
/// Goal for an event: metering, conversion and checks on top of a bare guest call.
const EVENT_GOAL: f64 = 1.5;

/// Measures and prints every ratio.
pub fn report(bench: &Bench) {
    let rt = &bench.rt;
    println!(
        "\nhuashu / bare wasmtime, {ROUNDS} paired rounds (medians; ratio quartiles in brackets):"
    );

    Pair::measure(
        "instantiate (with drop)",
        INSTANTIATE_GOAL,
        || {
            let setups: Vec<_> = (0..INSTANTIATIONS_PER_BATCH)
                .map(|i| bench.setup(i))
                .collect();
            rt.block_on(async {
                let start = Instant::now();
                for setup in setups {
                    let instance = bench.sandbox.instantiate(&bench.module, setup).await;
                    drop(instance.expect("the guest instantiates"));
                }
                start.elapsed() / INSTANTIATIONS_PER_BATCH as u32
            })
        },
        || {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..INSTANTIATIONS_PER_BATCH {
                    drop(bench.bare.instantiate(bench.bare.store()).await);
                }
                start.elapsed() / INSTANTIATIONS_PER_BATCH as u32
            })
        },
    )
    .print();

    let speech = Event::SpeechStarted;
    let bare_speech = to_wit(&speech);
    let bare_started = to_wit(&bench.call_started());
    Pair::measure(
        "event speech_started",
        EVENT_GOAL,
        || {
            rt.block_on(async {
                let mut instance = bench.answered_instance(0).await;
                let start = Instant::now();
                for _ in 0..REPEATED_EVENTS_PER_BATCH {
                    let reply = instance.handle(&speech, ELAPSED_MS).await;
                    std::hint::black_box(reply.expect("the guest handles the event"));
                }
                start.elapsed() / REPEATED_EVENTS_PER_BATCH as u32
            })
        },
        || {
            rt.block_on(async {
                let mut instance = bench.bare.instantiate(bench.bare.store()).await;
                instance.handle(&bare_started, 0).await;
                let start = Instant::now();
                for _ in 0..REPEATED_EVENTS_PER_BATCH {
                    std::hint::black_box(instance.handle(&bare_speech, ELAPSED_MS).await);
                }
                start.elapsed() / REPEATED_EVENTS_PER_BATCH as u32
            })
        },
    )
    .print();

    let answer = Event::FinalTranscript(Transcript::typed(ANSWER));
    let bare_answer = to_wit(&answer);
    Pair::measure(
        "event final_transcript",
        EVENT_GOAL,
        || {
            rt.block_on(async {
                let mut timed = Duration::ZERO;
                for i in 0..FRESH_EVENTS_PER_BATCH {
                    let mut instance = bench.answered_instance(i).await;
                    let start = Instant::now();
                    let reply = instance.handle(&answer, ELAPSED_MS).await;
                    timed += start.elapsed();
                    std::hint::black_box(reply.expect("the guest handles the event"));
                }
                timed / FRESH_EVENTS_PER_BATCH as u32
            })
        },
        || {
            rt.block_on(async {
                let mut timed = Duration::ZERO;
                for _ in 0..FRESH_EVENTS_PER_BATCH {
                    let mut instance = bench.bare.instantiate(bench.bare.store()).await;
                    instance.handle(&bare_started, 0).await;
                    let start = Instant::now();
                    let actions = instance.handle(&bare_answer, ELAPSED_MS).await;
                    timed += start.elapsed();
                    std::hint::black_box(actions);
                }
                timed / FRESH_EVENTS_PER_BATCH as u32
            })
        },
    )
    .print();

    let started = bench.call_started();
    Pair::measure(
        "event call_started",
        EVENT_GOAL,
        || {
            rt.block_on(async {
                let mut timed = Duration::ZERO;
                for i in 0..FRESH_EVENTS_PER_BATCH {
                    let mut instance = bench.instance(i).await;
                    let start = Instant::now();
                    let reply = instance.handle(&started, 0).await;
                    timed += start.elapsed();
                    std::hint::black_box(reply.expect("the guest handles the event"));
                }
                timed / FRESH_EVENTS_PER_BATCH as u32
            })
        },
        || {
            rt.block_on(async {
                let mut timed = Duration::ZERO;
                for _ in 0..FRESH_EVENTS_PER_BATCH {
                    let mut instance = bench.bare.instantiate(bench.bare.store()).await;
                    let start = Instant::now();
                    let actions = instance.handle(&bare_started, 0).await;
                    timed += start.elapsed();
                    std::hint::black_box(actions);
                }
                timed / FRESH_EVENTS_PER_BATCH as u32
            })
        },
    )
    .print();
}
