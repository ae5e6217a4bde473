//! Giving memory back: freeing pooled decoders that have waited unused past their kind's
//! keep-idle time, on a reaper thread that runs only while some decoder waits, and handing
//! their pages back to the system (`super` explains why decoders are the unit of memory).

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::{Pool, ffi};

/// How long a grammar decoder (~7 MB, rebuilt in ~15–25 ms) waits unused before it is
/// freed: a minute spans the pauses between a call's listens and between calls of a
/// campaign, so a busy server never rebuilds one, while a quiet one gives the memory back
/// soon; a rebuild, when needed, is absorbed by the audio queue.
pub const GRAMMAR_KEEP_IDLE: Duration = Duration::from_secs(60);

/// How long a language-model decoder (~92–110 MB, rebuilt in ~0.35–0.55 s) waits unused
/// before it is freed. Shorter than for grammar decoders: one holds as much memory as
/// thirteen of them. Thirty seconds still covers the next open listen of a call in
/// conversation (a turn every few seconds), so only the first utterance after a lull pays
/// the rebuild.
pub const LANGUAGE_MODEL_KEEP_IDLE: Duration = Duration::from_secs(30);

/// How often the reaper looks for decoders to free, while any wait: a tenth of the shorter
/// keep-idle time, so a decoder is freed at most ~10% later than its time, at a cost of one
/// short lock every few seconds.
const REAP_EVERY: Duration = Duration::from_secs(3);

impl Pool {
    /// Frees the decoders that have waited at least their kind's keep-idle time (or
    /// `idle_for`, if given, for both kinds); returns how many.
    pub(super) fn release_idle(&self, idle_for: Option<Duration>) -> usize {
        let now = Instant::now();
        let mut freed = 0;
        for slots in [&self.grammar, &self.language_model] {
            let expired = slots
                .state()
                .idle
                .take_expired(now, idle_for.unwrap_or(slots.keep_idle));
            freed += expired.len();
            // Dropped outside the lock: freeing a decoder takes milliseconds.
            drop(expired);
        }
        if freed > 0 {
            ffi::give_back_freed_memory();
        }
        freed
    }

    fn has_idle(&self) -> bool {
        !self.grammar.state().idle.is_empty() || !self.language_model.state().idle.is_empty()
    }

    /// Starts the reaper unless it runs. Called after a decoder is put back.
    pub(super) fn ensure_reaper(self: &Arc<Self>) {
        let mut running = self.reaper.lock().unwrap_or_else(|p| p.into_inner());
        if *running {
            return;
        }
        let pool = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("asr-reaper".into())
            .spawn(move || reap(pool));
        // Without a reaper idle decoders stay until reused; still within the limits.
        *running = spawned.is_ok();
    }
}

/// The reaper thread: frees decoders past their keep-idle time every [`REAP_EVERY`] and
/// stops once none waits (or the recogniser is gone), so a quiet server has no thread.
fn reap(pool: Weak<Pool>) {
    loop {
        std::thread::sleep(REAP_EVERY);
        let Some(pool) = pool.upgrade() else { return };
        pool.release_idle(None);
        // Checked under the flag's lock: a decoder put back after this sees `false` and
        // starts a new reaper.
        let mut running = pool.reaper.lock().unwrap_or_else(|p| p.into_inner());
        if !pool.has_idle() {
            *running = false;
            return;
        }
    }
}
