//! Group commit: many writers, few flushes. Every write the store acknowledges must be on
//! disk first, but a flush writes out everything applied so far, so writers that arrive
//! while one flush runs all share the next one instead of queueing a flush each.
//!
//! A writer applies its change to the database, then calls [`GroupCommit::commit`], which
//! returns once a flush that *started after* that change has finished. One writer at a
//! time flushes; the others wait on a condition variable. Under load this turns N
//! concurrent durable writes into about two flushes; alone, a writer flushes at once.
//!
//! Callers block, so they run off the async workers (the store's callers use
//! `spawn_blocking` or the blocking pool).

use std::sync::{Condvar, Mutex, PoisonError};

/// Where the flushes stand.
#[derive(Debug, Default)]
struct Progress {
    /// Writes registered so far; each gets the next number.
    registered: u64,
    /// Every write numbered up to this is on disk.
    durable: u64,
    /// A flush is running.
    flushing: bool,
}

/// Shares flushes between concurrent writers; see the module docs.
#[derive(Debug, Default)]
pub struct GroupCommit {
    progress: Mutex<Progress>,
    flushed: Condvar,
}

impl GroupCommit {
    /// Returns once everything this thread applied before the call is on disk. `flush`
    /// writes the whole database out; its error is returned to the writer whose flush
    /// failed, and writers that were waiting on it try again with a flush of their own.
    pub fn commit<E>(&self, flush: impl Fn() -> Result<(), E>) -> Result<(), E> {
        let mut progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        progress.registered += 1;
        let mine = progress.registered;
        loop {
            if progress.durable >= mine {
                return Ok(());
            }
            if !progress.flushing {
                // Everything registered by now was applied before it registered, so this
                // flush covers it all.
                progress.flushing = true;
                let covers = progress.registered;
                drop(progress);
                let result = flush();
                progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
                progress.flushing = false;
                if result.is_ok() {
                    progress.durable = progress.durable.max(covers);
                }
                self.flushed.notify_all();
                result?;
                continue;
            }
            progress = self
                .flushed
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_lone_writer_flushes_once() {
        let group = GroupCommit::default();
        let flushes = AtomicU32::new(0);
        for _ in 0..3 {
            group
                .commit(|| {
                    flushes.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        assert_eq!(flushes.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn concurrent_writers_share_flushes() {
        let group = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicU32::new(0));
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let (group, flushes) = (group.clone(), flushes.clone());
                std::thread::spawn(move || {
                    group.commit(|| {
                        flushes.fetch_add(1, Ordering::SeqCst);
                        // A slow disk: the others arrive while this flush runs.
                        std::thread::sleep(Duration::from_millis(20));
                        Ok::<_, ()>(())
                    })
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap().unwrap();
        }
        let flushes = flushes.load(Ordering::SeqCst);
        assert!(
            (1..16).contains(&flushes),
            "16 concurrent writers took {flushes} flushes"
        );
    }

    #[test]
    fn a_failed_flush_fails_its_writer_and_the_next_writer_flushes_again() {
        let group = GroupCommit::default();
        assert_eq!(group.commit(|| Err("disk full")), Err("disk full"));
        let flushes = AtomicU32::new(0);
        group
            .commit(|| {
                flushes.fetch_add(1, Ordering::SeqCst);
                Ok::<_, &str>(())
            })
            .unwrap();
        assert_eq!(flushes.load(Ordering::SeqCst), 1);
    }
}
