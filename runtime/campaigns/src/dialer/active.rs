//! The attempts each campaign has in flight on this server, and the per-campaign pace of
//! new calls: the two caps the dialler keeps itself (the tenant's quota and the trunk's
//! limits are kept by the call service and the SIP transport).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Attempts in flight, per campaign.
#[derive(Default, Clone)]
pub(crate) struct ActiveAttempts {
    counts: Arc<Mutex<HashMap<String, u32>>>,
}

/// One attempt's place in its campaign's count; given back when dropped, however the
/// attempt's task ends.
pub(crate) struct ActiveGuard {
    counts: Arc<Mutex<HashMap<String, u32>>>,
    campaign_id: String,
}

impl ActiveAttempts {
    /// Attempts of `campaign_id` in flight.
    pub(crate) fn count(&self, campaign_id: &str) -> u32 {
        self.lock().get(campaign_id).copied().unwrap_or(0)
    }

    /// Counts one more attempt of `campaign_id` until the guard drops.
    pub(crate) fn enter(&self, campaign_id: &str) -> ActiveGuard {
        *self.lock().entry(campaign_id.to_owned()).or_insert(0) += 1;
        ActiveGuard {
            counts: self.counts.clone(),
            campaign_id: campaign_id.to_owned(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.campaign_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.campaign_id);
            }
        }
    }
}

/// New calls per campaign per wall-clock second.
#[derive(Default)]
pub(crate) struct Pace {
    seconds: HashMap<String, (u64, u32)>,
}

impl Pace {
    /// How many more calls `campaign_id` may place in the second of `now_ms`, at
    /// `per_second`.
    pub(crate) fn allowance(&self, campaign_id: &str, now_ms: u64, per_second: u32) -> u32 {
        match self.seconds.get(campaign_id) {
            Some(&(second, used)) if second == now_ms / 1000 => per_second.saturating_sub(used),
            _ => per_second,
        }
    }

    /// Counts one call placed at `now_ms`.
    pub(crate) fn take(&mut self, campaign_id: &str, now_ms: u64) {
        let second = now_ms / 1000;
        let entry = self
            .seconds
            .entry(campaign_id.to_owned())
            .or_insert((second, 0));
        if entry.0 != second {
            *entry = (second, 0);
        }
        entry.1 += 1;
    }

    /// Forgets campaigns not in `keep` (finished ones).
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.seconds.retain(|id, _| keep(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_counts_its_attempt_until_dropped() {
        let active = ActiveAttempts::default();
        let a = active.enter("cp_1");
        let b = active.enter("cp_1");
        assert_eq!(active.count("cp_1"), 2);
        drop(a);
        assert_eq!(active.count("cp_1"), 1);
        drop(b);
        assert_eq!(active.count("cp_1"), 0);
    }

    #[test]
    fn the_pace_allows_per_second_calls_and_starts_again_each_second() {
        let mut pace = Pace::default();
        assert_eq!(pace.allowance("cp_1", 10_100, 2), 2);
        pace.take("cp_1", 10_100);
        pace.take("cp_1", 10_900);
        assert_eq!(pace.allowance("cp_1", 10_999, 2), 0);
        assert_eq!(pace.allowance("cp_2", 10_999, 2), 2);
        assert_eq!(pace.allowance("cp_1", 11_000, 2), 2);
    }
}
