//! The process-wide wasmtime engine: compilation settings, the instance pool, and the epoch
//! ticker that lets a call's CPU budget be checked while its guest runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::SandboxError;

/// How the engine is sized. One per process.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Calls that may run at once. Sizes the instance pool; a call beyond it waits for a
    /// free slot's error rather than exhausting the machine.
    pub max_concurrent_calls: u32,
    /// The most linear memory any tenant may be granted per call. Each pool slot reserves
    /// this much address space (not memory), so it bounds the largest tenant quota.
    pub max_memory_per_call: u64,
    /// Pre-allocate instance slots (the server) or allocate on demand (the offline runner,
    /// which runs one call at a time and should not reserve thousands of slots).
    pub pooling: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            // The design's density goal: 2,000 concurrent calls on two cores.
            max_concurrent_calls: 2_000,
            // Room for interpreter-based guests (Python, JavaScript); tenants get less by
            // default (see `Limits::memory_bytes`).
            max_memory_per_call: 256 << 20,
            pooling: true,
        }
    }
}

impl SandboxConfig {
    /// For running one call at a time (the `huashu test` runner, `replay`).
    pub fn single_call() -> Self {
        Self {
            max_concurrent_calls: 4,
            max_memory_per_call: 256 << 20,
            pooling: false,
        }
    }
}

/// How often the engine's epoch advances. Each tick, a running guest checks its CPU budget
/// and yields to the executor, so a busy guest delays its neighbours by at most this much.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Core instances one component may create: a Rust guest makes 3 (its module plus the
/// adapter shims), interpreter-based guests about a dozen.
const CORE_INSTANCES_PER_COMPONENT: u32 = 32;
/// Core instances reserved per call in the pool: a componentize-py guest makes 14, so a
/// server whose live calls are all Python still fills its `max_concurrent_calls`.
const CORE_INSTANCES_PER_CALL_AVERAGE: u32 = 16;
/// Memories per component: the guest's own plus, for some toolchains, an adapter's.
const MEMORIES_PER_COMPONENT: u32 = 4;
/// Tables per component: the shims that wire imports each carry one.
const TABLES_PER_COMPONENT: u32 = 16;
/// Guard pages after each memory slot let Cranelift drop bounds checks for small offsets.
const MEMORY_GUARD: u64 = 32 << 20;
/// Pages kept resident in a freed slot, so the next call reuses them without page faults;
/// a dialogue script's hot data (stack top, allocator state) fits in this.
const KEEP_RESIDENT: usize = 64 << 10;

impl SandboxConfig {
    /// The wasmtime settings the sandbox's engine is built with (compilation, stack, epoch
    /// interruption and, with [`SandboxConfig::pooling`], the instance pool), for measuring
    /// huashu against bare wasmtime on equal terms (`benches/sandbox.rs`). The server never
    /// needs it: [`crate::Sandbox::new`] builds its engine from the same settings.
    pub fn wasmtime_config(&self) -> Config {
        engine_config(self)
    }
}

pub(crate) fn build_engine(config: &SandboxConfig) -> Result<Engine, SandboxError> {
    Engine::new(&engine_config(config)).map_err(|e| SandboxError::Engine(e.to_string()))
}

fn engine_config(config: &SandboxConfig) -> Config {
    let mut wasm = Config::new();
    wasm.epoch_interruption(true)
        // Guest frames only, kept short: they go into the tenant's call record.
        .wasm_backtrace_max_frames(std::num::NonZeroUsize::new(20))
        .wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Disable)
        .cranelift_opt_level(wasmtime::OptLevel::Speed)
        .parallel_compilation(true)
        // A guest recursing without bound traps with "call stack exhausted" here.
        .max_wasm_stack(512 << 10);
    if config.pooling {
        let calls = config.max_concurrent_calls.max(1);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(calls)
            .total_core_instances(calls.saturating_mul(CORE_INSTANCES_PER_CALL_AVERAGE))
            .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
            .total_memories(calls.saturating_mul(2))
            .max_memories_per_component(MEMORIES_PER_COMPONENT)
            .total_tables(calls.saturating_mul(4))
            .max_tables_per_component(TABLES_PER_COMPONENT)
            // One fiber stack per call in flight.
            .total_stacks(calls)
            .max_memory_size(config.max_memory_per_call as usize)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
        wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            // A slot is exactly the largest memory a tenant may get, not wasmtime's default
            // 4 GiB: thousands of slots must fit the address space.
            .memory_reservation(config.max_memory_per_call)
            .memory_guard_size(MEMORY_GUARD);
    }
    wasm
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: Engine) -> Result<Self, SandboxError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("huashu-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| SandboxError::Engine(format!("cannot start the epoch thread: {e}")))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
