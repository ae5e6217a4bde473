//! What the operating system counts for a process: this process's CPU time (`getrusage`),
//! resident memory, threads and open files (Linux `/proc/self`), and the parsing of
//! `/proc/PID/status` for any process. The server's `/metrics` and the load generator read
//! them here. Figures `/proc` does not have (other systems) are `None`.

use std::time::Duration;

/// This process's user + system CPU time.
pub fn own_cpu() -> Duration {
    // SAFETY: getrusage writes one `rusage` into the zeroed struct we own and reads nothing
    // else; RUSAGE_SELF is always a valid `who`.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// This process's resident memory and thread count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnStatus {
    /// Resident set size (`VmRSS`), in bytes.
    pub resident_bytes: u64,
    /// OS threads in the process (`Threads`).
    pub threads: u64,
}

/// Reads `/proc/self/status`.
pub fn own_status() -> Option<OwnStatus> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(OwnStatus {
        resident_bytes: resident_kib(&status)? * 1024,
        threads: status_field(&status, "Threads:")?,
    })
}

/// This process's open file descriptors (sockets included), from `/proc/self/fd`.
pub fn open_fds() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    // The directory's own descriptor, open while it is read, is one of the entries.
    Some((entries.count() as u64).saturating_sub(1))
}

/// The most file descriptors this process may open (its soft `RLIMIT_NOFILE`).
pub fn max_fds() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct we own.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// `VmRSS` of a `/proc/PID/status` text, in KiB.
pub fn resident_kib(status: &str) -> Option<u64> {
    status_field(status, "VmRSS:")
}

/// The first number after `key` on its line of a `/proc/PID/status` text.
fn status_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_and_threads_come_from_the_status_text() {
        let status = "Name:\thuashu\nVmPeak:\t 9000 kB\nVmRSS:\t  123456 kB\nThreads:\t3\n";
        assert_eq!(resident_kib(status), Some(123_456));
        assert_eq!(status_field(status, "Threads:"), Some(3));
        assert_eq!(resident_kib("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_is_counted() {
        let before = own_cpu();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(own_cpu() > before);
        if cfg!(target_os = "linux") {
            let status = own_status().expect("/proc/self/status");
            assert!(status.resident_bytes > 0 && status.threads >= 1);
            let file = std::fs::File::open("/proc/self/status").expect("open");
            let open = open_fds().expect("/proc/self/fd");
            drop(file);
            assert!(open >= 1);
        }
    }
}
