//! The decoders of one kind that are built and waiting, with when each last finished an
//! utterance, so that ones nobody has needed for a while can be freed (`super` says why
//! and when). Generic over what it holds so the ageing rules are tested without a model.

use std::time::{Duration, Instant};

/// Waiting items, most recently returned last.
pub(super) struct IdleList<T> {
    items: Vec<(T, Instant)>,
}

impl<T> Default for IdleList<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<T> IdleList<T> {
    /// Puts back an item that stopped working at `now`.
    pub fn push(&mut self, item: T, now: Instant) {
        self.items.push((item, now));
    }

    /// The most recently returned item: reusing the warmest one lets the others age out
    /// when fewer are needed than were built.
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop().map(|(item, _)| item)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes and returns the items that have waited at least `idle_for` by `now`.
    pub fn take_expired(&mut self, now: Instant, idle_for: Duration) -> Vec<T> {
        let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|(_, since)| now.saturating_duration_since(*since) >= idle_for);
        self.items = kept;
        expired.into_iter().map(|(item, _)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_recently_returned_item_is_reused_first() {
        let t0 = Instant::now();
        let mut idle = IdleList::default();
        idle.push(1, t0);
        idle.push(2, t0 + Duration::from_secs(1));
        assert_eq!(idle.pop(), Some(2));
        assert_eq!(idle.pop(), Some(1));
        assert_eq!(idle.pop(), None);
    }

    #[test]
    fn only_items_idle_for_the_whole_period_expire() {
        let t0 = Instant::now();
        let mut idle = IdleList::default();
        idle.push("old", t0);
        idle.push("recent", t0 + Duration::from_secs(20));
        let now = t0 + Duration::from_secs(30);
        assert_eq!(idle.take_expired(now, Duration::from_secs(30)), ["old"]);
        assert_eq!(idle.len(), 1);
        assert!(idle.take_expired(now, Duration::from_secs(30)).is_empty());
        assert_eq!(idle.take_expired(now, Duration::ZERO), ["recent"]);
        assert!(idle.is_empty());
    }
}
