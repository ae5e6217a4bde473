//! Open-file descriptors: every call's socket is one, so `huashu serve` raises its soft
//! limit to the hard one at start (many systems default to 1,024 or less) and sizes its
//! connection cap below what it then has, keeping room for the store's files, the speech
//! engines' sockets and the API.

/// Descriptors kept back from connections: the store's files and threads' pipes, the
/// speech engines' sockets, logs, and a margin so the API can still accept at the cap.
pub const RESERVED: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft limit now in
/// force, logging the change; `None` where the limit cannot be read.
#[cfg(unix)]
pub fn raise_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through a pointer to a live, owned value.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads one rlimit through a pointer to a live, owned value.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
            tracing::info!(
                from = before,
                to = limit.rlim_cur,
                "raised the open-file limit to its hard limit"
            );
        } else {
            tracing::warn!(
                soft = before,
                hard = limit.rlim_max,
                "cannot raise the open-file limit to its hard limit"
            );
        }
    }
    Some(limit.rlim_cur)
}

/// Elsewhere the limit is the system's business.
#[cfg(not(unix))]
pub fn raise_limit() -> Option<u64> {
    None
}

/// The connection cap that fits `soft_limit` descriptors, at most `wanted`.
pub fn connection_cap(soft_limit: Option<u64>, wanted: usize) -> usize {
    match soft_limit {
        Some(limit) => {
            let fits = limit.saturating_sub(RESERVED).max(1);
            wanted.min(usize::try_from(fits).unwrap_or(usize::MAX))
        }
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_free_and_never_exceeds_what_was_asked() {
        assert_eq!(connection_cap(Some(256), 10_000), 192);
        assert_eq!(connection_cap(Some(1_000_000), 10_000), 10_000);
        assert_eq!(connection_cap(Some(10), 10_000), 1);
        assert_eq!(connection_cap(None, 500), 500);
    }
}
