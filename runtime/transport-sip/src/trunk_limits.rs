//! A trunk's capacity, enforced at dial time: at most `max_channels` calls on it at
//! once and at most `max_calls_per_second` new ones in any one-second window. Carriers
//! sell trunks by exactly these two numbers and answer extra INVITEs with 503 (or block
//! the account), so the server refuses the extra call itself, before dialing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use huashu_calls::DialError;

/// The window `max_calls_per_second` counts over.
const RATE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct TrunkUse {
    live: u32,
    window_start: Option<Instant>,
    started_in_window: u32,
}

/// Live calls and recent starts per trunk.
#[derive(Debug, Default)]
pub struct TrunkLimits {
    trunks: Mutex<HashMap<String, TrunkUse>>,
}

impl TrunkLimits {
    /// Takes a channel of `trunk` at `now` if both limits allow; the [`Channel`] gives it
    /// back when dropped.
    pub fn admit(
        self: &Arc<Self>,
        trunk: &str,
        max_channels: u32,
        max_per_second: u32,
        now: Instant,
    ) -> Result<Channel, DialError> {
        let mut trunks = self.trunks.lock().map_err(|_| DialError::TrunkBusy {
            trunk: trunk.into(),
            limit: max_channels,
        })?;
        let usage = trunks.entry(trunk.to_owned()).or_default();
        if usage.live >= max_channels {
            return Err(DialError::TrunkBusy {
                trunk: trunk.into(),
                limit: max_channels,
            });
        }
        let window_open = usage
            .window_start
            .is_some_and(|start| now.saturating_duration_since(start) < RATE_WINDOW);
        if !window_open {
            usage.window_start = Some(now);
            usage.started_in_window = 0;
        }
        if usage.started_in_window >= max_per_second {
            return Err(DialError::TrunkRateLimited {
                trunk: trunk.into(),
                per_second: max_per_second,
            });
        }
        usage.started_in_window += 1;
        usage.live += 1;
        Ok(Channel {
            trunk: trunk.to_owned(),
            limits: self.clone(),
        })
    }

    /// Calls live on `trunk` now.
    pub fn live(&self, trunk: &str) -> u32 {
        self.trunks
            .lock()
            .ok()
            .and_then(|t| t.get(trunk).map(|u| u.live))
            .unwrap_or(0)
    }
}

/// One call's place on a trunk.
#[derive(Debug)]
pub struct Channel {
    trunk: String,
    limits: Arc<TrunkLimits>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        if let Ok(mut trunks) = self.limits.trunks.lock()
            && let Some(usage) = trunks.get_mut(&self.trunk)
        {
            usage.live = usage.live.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trunk_takes_its_channels_and_refuses_one_more_until_a_call_ends() {
        let limits = Arc::new(TrunkLimits::default());
        let now = Instant::now();
        let a = limits.admit("t", 2, 100, now).unwrap();
        let _b = limits.admit("t", 2, 100, now).unwrap();
        assert!(matches!(
            limits.admit("t", 2, 100, now),
            Err(DialError::TrunkBusy { limit: 2, .. })
        ));
        drop(a);
        assert_eq!(limits.live("t"), 1);
        assert!(limits.admit("t", 2, 100, now).is_ok());
    }

    #[test]
    fn calls_per_second_are_counted_per_window_and_reset_after_it() {
        let limits = Arc::new(TrunkLimits::default());
        let start = Instant::now();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(limits.admit("t", 100, 3, start).unwrap());
        }
        assert!(matches!(
            limits.admit("t", 100, 3, start + Duration::from_millis(900)),
            Err(DialError::TrunkRateLimited { per_second: 3, .. })
        ));
        assert!(
            limits
                .admit("t", 100, 3, start + Duration::from_millis(1000))
                .is_ok()
        );
    }

    #[test]
    fn trunks_are_counted_apart() {
        let limits = Arc::new(TrunkLimits::default());
        let now = Instant::now();
        let _a = limits.admit("a", 1, 1, now).unwrap();
        assert!(limits.admit("b", 1, 1, now).is_ok());
    }
}
