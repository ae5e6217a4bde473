//! The only clocks and randomness a guest sees through WASI: the call's own virtual time and a
//! generator seeded per call. With these, replaying a call's recorded events reproduces the
//! script's behaviour exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

/// Milliseconds since the call started, as of the event being handled. The instance sets it
/// before each event; the clocks below read it.
#[derive(Clone, Default)]
pub(crate) struct CallClock {
    elapsed_ms: Arc<AtomicU64>,
    started_at_ms: u64,
}

impl CallClock {
    pub(crate) fn new(started_at_ms: u64) -> Self {
        Self {
            elapsed_ms: Arc::default(),
            started_at_ms,
        }
    }

    pub(crate) fn set_elapsed(&self, elapsed_ms: u64) {
        self.elapsed_ms.store(elapsed_ms, Ordering::Relaxed);
    }

    fn elapsed_ms(&self) -> u64 {
        self.elapsed_ms.load(Ordering::Relaxed)
    }
}

struct WallClock(CallClock);

impl HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        Duration::from_millis(self.0.started_at_ms + self.0.elapsed_ms())
    }
}

struct MonotonicClock(CallClock);

impl HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }

    fn now(&self) -> u64 {
        self.0.elapsed_ms() * 1_000_000
    }
}

/// A WASI context with nothing in it: no arguments, no environment, no files, no network,
/// stdin closed; stdout and stderr are the given pipes (drained into the call's log); clocks
/// and randomness as described above.
pub(crate) fn locked_down_wasi(
    clock: &CallClock,
    seed: u64,
    stdout: impl wasmtime_wasi::cli::StdoutStream + 'static,
    stderr: impl wasmtime_wasi::cli::StdoutStream + 'static,
) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new();
    builder
        .stdout(stdout)
        .stderr(stderr)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .wall_clock(WallClock(clock.clone()))
        .monotonic_clock(MonotonicClock(clock.clone()))
        // Guests only need randomness for hash-map seeds and the like; it must not differ
        // between a call and its replay. Documented in the tenant guide: no cryptography.
        .secure_random(StdRng::seed_from_u64(seed))
        .insecure_random(StdRng::seed_from_u64(seed.rotate_left(32)))
        .insecure_random_seed(u128::from(seed))
        // A guest asking for megabytes of randomness is misbehaving.
        .max_random_size(64 << 10);
    builder.build()
}
