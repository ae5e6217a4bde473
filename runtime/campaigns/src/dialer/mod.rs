//! The dialler: the task that turns running campaigns into calls. Each pass
//! ([`round`]) fills free capacity with due contacts; each counted attempt runs as its own
//! task ([`attempt`]) that places the call through the call service, waits for it to end
//! ([`endings`]) and records what it came to. At start, attempts a crash cut off are
//! finished first ([`recovery`]).
//!
//! A pass runs every tick, and at once when a campaign starts, contacts arrive or an
//! attempt ends. Between passes nothing is held but the counts in [`active`].

mod active;
mod attempt;
mod endings;
mod outcome;
mod recovery;
mod round;

pub(crate) use active::ActiveAttempts;
pub(crate) use endings::CallEndings;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::Campaigns;
use huashu_store::secrets::now_ms;

/// How often entries older than a day are pruned from the per-number dial log.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

impl Campaigns {
    /// Starts the dialler and the webhook outbox; both stop when `shutdown` turns true.
    /// Attempts cut off by a previous crash are finished before the first call is placed.
    pub fn spawn(self: &Arc<Self>, shutdown: watch::Receiver<bool>) {
        self.endings.listen(&self.calls);
        self.listen_for_opt_outs();
        tokio::spawn(crate::webhooks::run_outbox(
            self.campaigns.clone(),
            self.config.outbox.clone(),
            self.outbox_wake.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(self.clone().dial(shutdown));
    }

    async fn dial(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || this.recover_open_attempts()).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(attempts = n, "finished attempts cut off by a restart"),
            Ok(Err(error)) => tracing::error!(%error, "finishing cut-off attempts failed"),
            Err(error) => tracing::error!(%error, "finishing cut-off attempts panicked"),
        }
        let mut state = round::RoundState::default();
        let mut last_prune = tokio::time::Instant::now();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let this = self.clone();
            let pass = tokio::task::spawn_blocking(move || {
                let dials = this.round(&mut state);
                (state, dials)
            })
            .await;
            match pass {
                Ok((returned, dials)) => {
                    state = returned;
                    match dials {
                        Ok(dials) => {
                            for dial in dials {
                                tokio::spawn(self.clone().run_attempt(dial));
                            }
                        }
                        Err(error) => tracing::error!(%error, "a dialler pass failed"),
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "a dialler pass panicked");
                    state = round::RoundState::default();
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = tokio::time::Instant::now();
                let store = self.campaigns.clone();
                let cutoff = now_ms().saturating_sub(24 * 3_600_000);
                let _ = tokio::task::spawn_blocking(move || store.prune_dial_log(cutoff)).await;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.tick) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
