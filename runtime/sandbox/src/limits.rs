//! Per-tenant resource limits for one call's instance, and the wasmtime resource limiter that
//! enforces the memory and table caps and remembers which one was hit.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use wasmtime::ResourceLimiter;

/// Limits applied to every call of one tenant. The defaults suit every language huashu
/// supports: after its first event a Rust or C script uses about 1 MiB of linear memory, a
/// Python one 12 MiB and a JavaScript one 9 MiB (see `docs/benchmarks.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Linear memory of the instance, all memories together. 64 MiB is 50× what a compiled
    /// dialogue script uses, and small enough that thousands of calls fit one machine.
    pub memory_bytes: u64,
    /// Table elements (function pointers). Big toolchains' runtimes need a few thousand.
    pub table_elements: u64,
    /// CPU one event may use. A handler that needs more than this is stuck, not busy:
    /// a dialogue turn takes microseconds, an interpreter's first event a millisecond or two.
    pub cpu_per_event: Duration,
    /// CPU the whole call may use, so a script cannot stay just under the per-event limit
    /// forever.
    pub cpu_per_call: Duration,
    /// Wall-clock time one event (or the instance's start) may take, whatever the guest
    /// does. A sleeping guest, or one blocked on a WASI pollable, uses no CPU, so only a
    /// clock ends it. A turn takes microseconds of CPU plus a key-value flush (milliseconds);
    /// 500 ms is far above that and still ends a stuck script before a caller hears more
    /// than half a second of dead air or waits on a hang-up.
    pub wall_per_event: Duration,
    /// Actions in one reply. A turn rarely needs more than five.
    pub actions_per_event: usize,
    /// Bytes in any one string of an action or log line. A spoken sentence is < 1 KiB.
    pub string_bytes: usize,
    /// Bytes of log (log import, stdout and stderr) a call may write.
    pub log_bytes_per_call: usize,
    /// Key-value operations a call may make.
    pub kv_ops_per_call: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            table_elements: 20_000,
            cpu_per_event: Duration::from_millis(50),
            cpu_per_call: Duration::from_secs(5),
            wall_per_event: Duration::from_millis(500),
            actions_per_event: 64,
            string_bytes: 16 << 10,
            log_bytes_per_call: 64 << 10,
            kv_ops_per_call: 1_000,
        }
    }
}

/// Enforces [`Limits::memory_bytes`] and [`Limits::table_elements`] and records a refusal,
/// so the failure can be reported as "memory limit" rather than as whatever trap the guest's
/// allocator turns it into.
pub(crate) struct CallResourceLimiter {
    memory_bytes: u64,
    table_elements: u64,
    /// Bytes of linear memory granted so far, over all the instance's memories.
    memory_granted: u64,
    pub(crate) memory_refused: bool,
}

impl CallResourceLimiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            memory_granted: 0,
            memory_refused: false,
        }
    }
}

impl CallResourceLimiter {
    /// Linear memory granted so far, in bytes.
    pub(crate) fn granted(&self) -> u64 {
        self.memory_granted
    }

    /// The memory cap, in bytes.
    pub(crate) fn limit(&self) -> u64 {
        self.memory_bytes
    }
}

/// Instances a component may create: a Rust guest makes about three core instances, an
/// interpreter-based one about a dozen.
const MAX_CORE_INSTANCES: usize = 64;

impl ResourceLimiter for CallResourceLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current) as u64;
        let total = self.memory_granted.saturating_add(growth);
        if total > self.memory_bytes {
            self.memory_refused = true;
            return Ok(false);
        }
        self.memory_granted = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired as u64 <= self.table_elements)
    }

    fn instances(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_CORE_INSTANCES
    }
}
