//! A timer that outlives `select!` loops. A call's loop rebuilds its futures every time a
//! message arrives (50 a second per call, both ways); a fresh `sleep_until` in each would
//! register a timer with the runtime and cancel it again every time, both under the timer
//! wheel's lock. An [`Alarm`] keeps one timer for its owner and moves it only when the
//! instant asked for changes.

use std::pin::Pin;

use tokio::time::{Instant, Sleep};

/// One reusable timer; see the module docs.
#[derive(Debug, Default)]
pub struct Alarm {
    /// Created on first use, so an owner can be built outside a runtime.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Alarm {
    /// Completes at `at` (at once if it has passed); never for `None`. Cancel-safe, and
    /// calling it again with the same instant costs no new timer.
    pub async fn until(&mut self, at: Option<Instant>) {
        let Some(at) = at else {
            return std::future::pending().await;
        };
        let sleep = match &mut self.sleep {
            Some(sleep) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
                sleep
            }
            None => self.sleep.insert(Box::pin(tokio::time::sleep_until(at))),
        };
        sleep.as_mut().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fires_at_the_instant_asked_for_and_again_when_moved() {
        let mut alarm = Alarm::default();
        let start = Instant::now();
        alarm.until(Some(start + Duration::from_millis(20))).await;
        assert_eq!(Instant::now() - start, Duration::from_millis(20));
        // Asked again for the same (past) instant: at once, like a fresh sleep would.
        alarm.until(Some(start + Duration::from_millis(20))).await;
        assert_eq!(Instant::now() - start, Duration::from_millis(20));
        alarm.until(Some(start + Duration::from_millis(50))).await;
        assert_eq!(Instant::now() - start, Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_cut_short_by_select_leaves_the_timer_usable() {
        let mut alarm = Alarm::default();
        let start = Instant::now();
        let at = Some(start + Duration::from_millis(100));
        for _ in 0..3 {
            tokio::select! {
                () = alarm.until(at) => panic!("fired early"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
        alarm.until(at).await;
        assert_eq!(Instant::now() - start, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn no_instant_never_fires() {
        let mut alarm = Alarm::default();
        let outcome = tokio::time::timeout(Duration::from_secs(3600), alarm.until(None)).await;
        assert!(outcome.is_err());
    }
}
