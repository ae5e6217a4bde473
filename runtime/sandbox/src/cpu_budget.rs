//! CPU accounting for one call: how much CPU the guest has used on this event and on the
//! whole call, measured as time spent inside the guest's future's `poll`.
//!
//! Wall-clock epochs alone cannot tell a guest that is running from one that was yielded to
//! let other calls run, so the session's future is wrapped ([`CpuBudget::metered`]) and only
//! time inside `poll` counts. The epoch callback ([`CpuBudget::check`]) runs every engine
//! tick while the guest executes: it yields to the executor (neighbouring calls keep their
//! timing) or ends the guest once a budget is spent.
//!
//! Which clock: a poll is timed by the wall clock until its first epoch check, and by the
//! thread's own CPU clock from there on. Most polls (a script answering an event in
//! microseconds) end before any check and cost two reads of the wall clock, which the
//! kernel serves without a system call; the thread CPU clock is a system call (about 1 µs
//! on a virtual machine, most of what metering used to add to an event). A poll long enough
//! to meet a check is charged only the CPU its thread got from then on, so a guest is not
//! charged when the operating system runs other processes (a busy build machine) in the
//! middle of a long event; what it may be over-charged for is the time before the first
//! check, at most one tick (`EPOCH_TICK`, 1 ms) a poll.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use huashu_contract::ScriptFailure;

/// Shared between the metering wrapper (outside the store) and the epoch callback (inside).
pub(crate) struct CpuBudget {
    origin: Instant,
    per_event: Duration,
    per_call: Duration,
    /// Nanoseconds used by completed polls of the current event.
    event_ns: AtomicU64,
    /// Nanoseconds used by earlier events of this call.
    call_ns: AtomicU64,
    /// When the current poll started on the wall clock (ns since `origin`, plus one), or 0
    /// between polls.
    poll_started: AtomicU64,
    /// At the current poll's first epoch check: the wall clock (as `poll_started`) and the
    /// thread's CPU clock (ns, plus one); 0 until then.
    poll_checked_wall: AtomicU64,
    poll_checked_cpu: AtomicU64,
    /// Set when the guest last stopped because its tick was up (not to wait for a host
    /// call): it is still computing, and keeps its turn (`turns`).
    pub(crate) ticked: AtomicBool,
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CpuExhausted {
    Event,
    Call,
}

impl CpuExhausted {
    pub(crate) fn failure(self, budget: &CpuBudget) -> ScriptFailure {
        match self {
            CpuExhausted::Event => ScriptFailure::CpuPerEvent {
                limit_ms: budget.per_event.as_millis() as u64,
            },
            CpuExhausted::Call => ScriptFailure::CpuPerCall {
                limit_ms: budget.per_call.as_millis() as u64,
            },
        }
    }
}

impl std::fmt::Display for CpuExhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CpuExhausted::Event => "CPU budget per event exhausted",
            CpuExhausted::Call => "CPU budget per call exhausted",
        })
    }
}

impl std::error::Error for CpuExhausted {}

/// CPU time of the calling thread, in nanoseconds. A poll (and the epoch callback inside
/// it) runs on one thread from start to end, so differences of this clock within a poll are
/// exactly the CPU that poll used.
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> Option<u64> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through the valid pointer we pass and
    // reads nothing else; CLOCK_THREAD_CPUTIME_ID is always available on Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (status == 0).then(|| now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64)
}

/// Elsewhere, wall time inside `poll` stands in for CPU time.
#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

impl CpuBudget {
    pub(crate) fn new(per_event: Duration, per_call: Duration) -> Arc<Self> {
        Arc::new(Self {
            origin: Instant::now(),
            per_event,
            per_call,
            event_ns: AtomicU64::new(0),
            call_ns: AtomicU64::new(0),
            poll_started: AtomicU64::new(0),
            poll_checked_wall: AtomicU64::new(0),
            poll_checked_cpu: AtomicU64::new(0),
            ticked: AtomicBool::new(false),
        })
    }

    /// The wall clock, in ns since `origin`, plus one (0 means "not set").
    fn wall_ns(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64 + 1
    }

    /// What the poll in progress has used so far. At its first check this marks both
    /// clocks; from then on the thread's CPU clock counts.
    fn poll_used(&self, started: u64) -> u64 {
        let checked_wall = self.poll_checked_wall.load(Ordering::Relaxed);
        let Some(cpu) = thread_cpu_ns() else {
            return self.wall_ns().saturating_sub(started);
        };
        if checked_wall == 0 {
            let wall = self.wall_ns();
            self.poll_checked_wall.store(wall, Ordering::Relaxed);
            self.poll_checked_cpu.store(cpu + 1, Ordering::Relaxed);
            return wall.saturating_sub(started);
        }
        let checked_cpu = self.poll_checked_cpu.load(Ordering::Relaxed);
        checked_wall.saturating_sub(started) + (cpu + 1).saturating_sub(checked_cpu)
    }

    /// CPU used by the current event so far, including a poll in progress.
    pub(crate) fn event_used(&self) -> Duration {
        let mut ns = self.event_ns.load(Ordering::Relaxed);
        let started = self.poll_started.load(Ordering::Relaxed);
        if started != 0 {
            ns += self.poll_used(started);
        }
        Duration::from_nanos(ns)
    }

    /// Checks both budgets; called from the epoch callback while the guest runs.
    pub(crate) fn check(&self) -> Result<(), CpuExhausted> {
        self.ticked.store(true, Ordering::Relaxed);
        let event = self.event_used();
        if event > self.per_event {
            return Err(CpuExhausted::Event);
        }
        let call = Duration::from_nanos(self.call_ns.load(Ordering::Relaxed)) + event;
        if call > self.per_call {
            return Err(CpuExhausted::Call);
        }
        Ok(())
    }

    /// Runs `future` (one event's guest call), counting the time spent polling it. Returns
    /// its output and the CPU the event used.
    pub(crate) async fn metered<F: Future>(&self, future: F) -> (F::Output, Duration) {
        self.event_ns.store(0, Ordering::Relaxed);
        let mut future = pin!(future);
        let output = std::future::poll_fn(|cx| {
            self.poll_started.store(self.wall_ns(), Ordering::Relaxed);
            let poll = future.as_mut().poll(cx);
            let started = self.poll_started.load(Ordering::Relaxed);
            let spent = if self.poll_checked_wall.load(Ordering::Relaxed) == 0 {
                // No check came: the poll was shorter than a tick; the wall clock timed it.
                self.wall_ns().saturating_sub(started)
            } else {
                self.poll_used(started)
            };
            self.poll_started.store(0, Ordering::Relaxed);
            self.poll_checked_wall.store(0, Ordering::Relaxed);
            self.poll_checked_cpu.store(0, Ordering::Relaxed);
            self.event_ns.fetch_add(spent, Ordering::Relaxed);
            poll
        })
        .await;
        let used = Duration::from_nanos(self.event_ns.load(Ordering::Relaxed));
        self.call_ns
            .fetch_add(used.as_nanos() as u64, Ordering::Relaxed);
        (output, used)
    }

    /// Whether the call's total budget is already spent (checked before each event).
    pub(crate) fn call_exhausted(&self) -> bool {
        Duration::from_nanos(self.call_ns.load(Ordering::Relaxed)) > self.per_call
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_outside_poll_does_not_count() {
        let budget = CpuBudget::new(Duration::from_millis(50), Duration::from_secs(1));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let (_, used) = rt.block_on(budget.metered(async {
            // Sleeping yields: the guest is not running, so this must not be charged.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }));
        assert!(used < Duration::from_millis(10), "charged {used:?}");
        assert!(budget.check().is_ok());
    }

    #[test]
    fn busy_poll_exhausts_the_event_budget() {
        let budget = CpuBudget::new(Duration::from_millis(5), Duration::from_secs(1));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (_, used) = rt.block_on(budget.metered(async {
            let start = thread_cpu_ns().unwrap_or(0);
            while thread_cpu_ns().unwrap_or(u64::MAX) - start < 8_000_000 {}
        }));
        assert!(used >= Duration::from_millis(8));
        // After the event, the event budget resets but the call keeps the total.
        assert!(!budget.call_exhausted());
    }

    #[test]
    fn after_the_first_check_a_poll_is_charged_its_threads_cpu_not_the_wall_clock() {
        if thread_cpu_ns().is_none() {
            return; // No thread CPU clock here: the wall clock is all there is.
        }
        let budget = CpuBudget::new(Duration::from_millis(20), Duration::from_secs(1));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (_, used) = rt.block_on(budget.metered(async {
            // The epoch callback's first check, then the thread is descheduled (as when
            // the machine is busy with other processes) without the guest yielding.
            assert!(budget.check().is_ok());
            std::thread::sleep(Duration::from_millis(40));
            assert!(budget.check().is_ok(), "not charged for the sleep");
        }));
        assert!(used < Duration::from_millis(10), "charged {used:?}");
    }

    #[test]
    fn a_poll_that_meets_no_check_is_charged_its_wall_time() {
        let budget = CpuBudget::new(Duration::from_millis(50), Duration::from_secs(1));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (_, used) = rt.block_on(budget.metered(async {
            std::thread::sleep(Duration::from_millis(3));
        }));
        // Shorter than a tick in practice; charged whole, never less than it took.
        assert!(used >= Duration::from_millis(3), "charged {used:?}");
    }
}
