//! CPU and memory of the load generator, the server and the machine, so a reader can tell
//! which of them was the limit: the generator's own CPU from `getrusage`, the server's from
//! `/proc/PID/stat` and `/proc/PID/status`, the machine's from `/proc/stat`. Linux only;
//! elsewhere the `/proc` figures are simply absent.

use std::time::{Duration, Instant};

use serde::Serialize;

use huashu_metrics::process_stats::own_cpu;
use huashu_metrics::process_stats::resident_kib;

/// One reading of every counter.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    at: Instant,
    own_cpu: Duration,
    /// The server's user + system CPU, and its resident memory in KiB.
    server: Option<(Duration, u64)>,
    /// All cores: busy, interrupt (hard and soft) and total time.
    machine: Option<MachineTimes>,
}

/// CPU shares over a stretch of time, in percent of one core (as `top` shows them), and
/// the server's resident memory at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct UsageFigures {
    pub seconds: f64,
    pub loadgen_cpu_percent: f64,
    pub server_cpu_percent: Option<f64>,
    pub server_rss_mib: Option<f64>,
    /// Every process on the machine, in percent of one core (200 % is two busy cores),
    /// interrupt handling included.
    pub machine_cpu_percent: Option<f64>,
    /// Of that, hard and soft interrupts: on loopback, much of the TCP work of both ends runs
    /// there. Linux's usual tick-based accounting also charges each tick of it to the
    /// process that was running, so this is mostly inside the server's and the generator's
    /// figures, not on top of them.
    pub interrupts_cpu_percent: Option<f64>,
    /// Of the machine's busy time, the part spent in the kernel (system calls and
    /// interrupts): on loopback, mostly the TCP work of both ends. What is left is all the
    /// user-space work there is to make faster.
    pub kernel_cpu_percent: Option<f64>,
    /// What is left for processes other than the server and this generator: another build
    /// or test running beside the measurement. Needs `--server-pid`. On kernels built to
    /// account interrupt time apart from processes (`CONFIG_IRQ_TIME_ACCOUNTING`), that time
    /// lands here too.
    pub other_processes_cpu_percent: Option<f64>,
    /// Time the hypervisor ran something else while this machine (a VM) wanted the CPU:
    /// not in any of the figures above, but every thread stalled for it.
    pub steal_cpu_percent: Option<f64>,
    pub cores: usize,
}

impl Snapshot {
    pub fn take(server_pid: Option<u32>) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            own_cpu: own_cpu(),
            server: server_pid.and_then(process),
            machine: machine(),
        }
    }

    pub fn server_rss_kib(&self) -> Option<u64> {
        self.server.map(|(_, rss)| rss)
    }

    /// What happened from `self` to `later`.
    pub fn until(&self, later: &Snapshot) -> UsageFigures {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let percent = |cpu: Duration| cpu.as_secs_f64() / wall * 100.0;
        let cores = machine_cores();
        let mut figures = UsageFigures {
            seconds: wall,
            loadgen_cpu_percent: percent(later.own_cpu.saturating_sub(self.own_cpu)),
            server_cpu_percent: match (self.server, later.server) {
                (Some((a, _)), Some((b, _))) => Some(percent(b.saturating_sub(a))),
                _ => None,
            },
            server_rss_mib: later.server.map(|(_, rss)| rss as f64 / 1024.0),
            machine_cpu_percent: None,
            interrupts_cpu_percent: None,
            kernel_cpu_percent: None,
            other_processes_cpu_percent: None,
            steal_cpu_percent: None,
            cores,
        };
        if let (Some(a), Some(b)) = (self.machine, later.machine)
            && b.total > a.total
        {
            let share = |x: u64, y: u64| {
                y.saturating_sub(x) as f64 / (b.total - a.total) as f64 * cores as f64 * 100.0
            };
            let machine = share(a.busy, b.busy);
            let interrupts = share(a.interrupts, b.interrupts);
            figures.machine_cpu_percent = Some(machine);
            figures.interrupts_cpu_percent = Some(interrupts);
            figures.kernel_cpu_percent = Some(share(a.kernel, b.kernel));
            figures.steal_cpu_percent = Some(share(a.steal, b.steal));
            figures.other_processes_cpu_percent = figures
                .server_cpu_percent
                .map(|server| (machine - server - figures.loadgen_cpu_percent).max(0.0));
        }
        figures
    }
}

/// The cores `/proc/stat`'s first line sums over: every online core, not only those this
/// process may run on (`available_parallelism` counts those, and a generator pinned with
/// `taskset -c 0` would then call the whole machine one core).
fn machine_cores() -> usize {
    // SAFETY: sysconf only reads a configuration value.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(online)
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// A process's CPU time and resident memory (KiB) from `/proc`.
fn process(pid: u32) -> Option<(Duration, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let cpu = cpu_from_stat(&stat, clock_ticks_per_second())?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((cpu, resident_kib(&status)?))
}

/// utime + stime: fields 14 and 15, counted after the command name's closing parenthesis
/// (the name itself may hold spaces and parentheses).
fn cpu_from_stat(stat: &str, ticks_per_second: u64) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (utime + stime) as f64 / ticks_per_second as f64,
    ))
}

/// Jiffies of all cores since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MachineTimes {
    /// Everything but idle, I/O wait and time stolen by the hypervisor.
    busy: u64,
    /// Hard and soft interrupts (part of `busy`).
    interrupts: u64,
    /// System calls and interrupts (part of `busy`).
    kernel: u64,
    steal: u64,
    total: u64,
}

/// The first line of `/proc/stat`.
fn machine() -> Option<MachineTimes> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    machine_times(stat.lines().next()?)
}

fn machine_times(cpu_line: &str) -> Option<MachineTimes> {
    let mut fields = cpu_line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let v: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = v[..] else {
        return None;
    };
    Some(MachineTimes {
        busy: user + nice + system + irq + softirq,
        interrupts: irq + softirq,
        kernel: system + irq + softirq,
        steal,
        total: user + nice + system + idle + iowait + irq + softirq + steal,
    })
}

/// `/proc/loadavg`'s one-minute load, for noting how busy the machine was.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_read_after_the_command_name_even_with_spaces_in_it() {
        let stat =
            "4242 (tokio runtime (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 4 0";
        assert_eq!(cpu_from_stat(stat, 100), Some(Duration::from_secs(3)));
        assert_eq!(cpu_from_stat("garbage", 100), None);
    }

    #[test]
    fn machine_busy_time_excludes_idle_iowait_and_steal() {
        let line = "cpu  100 5 50 800 20 3 2 7 0 0";
        assert_eq!(
            machine_times(line),
            Some(MachineTimes {
                busy: 160,
                interrupts: 5,
                kernel: 55,
                steal: 7,
                total: 987
            })
        );
        assert_eq!(machine_times("cpu0 1 2 3 4"), None);
        assert_eq!(machine_times("cpu 1 2 3"), None);
    }

    #[test]
    fn other_processes_are_what_the_machine_did_beyond_the_two_programs() {
        let at = Instant::now();
        let times = |busy, interrupts, kernel, total| {
            Some(MachineTimes {
                busy,
                interrupts,
                kernel,
                steal: 0,
                total,
            })
        };
        let before = Snapshot {
            at,
            own_cpu: Duration::ZERO,
            server: Some((Duration::ZERO, 1024)),
            machine: times(0, 0, 0, 0),
        };
        // One second on however many cores this machine has: the machine was busy for
        // `cores` × 50 % of a core, a fifth of it in interrupts charged to the programs.
        let cores = machine_cores() as u64;
        let later = Snapshot {
            at: at + Duration::from_secs(1),
            own_cpu: Duration::from_millis(100),
            server: Some((Duration::from_millis(200), 2048)),
            machine: times(cores * 50, cores * 10, cores * 20, cores * 100),
        };
        let figures = before.until(&later);
        let close = |got: Option<f64>, want: f64| got.is_some_and(|v| (v - want).abs() < 1e-6);
        let machine = cores as f64 * 50.0;
        assert!(close(figures.machine_cpu_percent, machine));
        assert!(close(figures.interrupts_cpu_percent, cores as f64 * 10.0));
        assert!(close(figures.kernel_cpu_percent, cores as f64 * 20.0));
        assert!(close(figures.server_cpu_percent, 20.0));
        assert!(close(
            figures.other_processes_cpu_percent,
            (machine - 20.0 - 10.0).max(0.0)
        ));
        assert_eq!(figures.server_rss_mib, Some(2.0));
    }

    #[test]
    fn a_generator_pinned_to_one_core_still_counts_every_core_of_the_machine() {
        let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
        let listed = stat
            .lines()
            .filter(|line| {
                line.strip_prefix("cpu")
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            })
            .count();
        std::thread::spawn(move || {
            // SAFETY: sets this new thread's own affinity mask from a zeroed `cpu_set_t`
            // with one bit set; the set outlives the call.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut set);
                libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
            }
            assert_eq!(
                std::thread::available_parallelism().map_or(0, usize::from),
                1
            );
            assert_eq!(machine_cores(), listed);
        })
        .join()
        .expect("the pinned thread's checks");
    }

    #[test]
    fn this_process_can_be_read_from_proc() {
        let snapshot = Snapshot::take(Some(std::process::id()));
        assert!(snapshot.server_rss_kib().is_some_and(|kib| kib > 0));
    }
}
