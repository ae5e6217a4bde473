//! Counters for the two ways a question goes unanswered: [`Retries`] for "may I ask again?"
//! and [`NoMatchCounter`] for answers the script did not understand.

/// How many more times a question may be asked again.
///
/// ```
/// use huashu_sdk::Retries;
///
/// let mut reprompts = Retries::new(1);
/// assert!(reprompts.try_again());   // first silence: ask again
/// assert!(!reprompts.try_again());  // second silence: give up politely
/// reprompts.reset();                // a new question starts afresh
/// assert_eq!(reprompts.remaining(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    max: u32,
    used: u32,
}

impl Retries {
    /// Allow `max` retries after the first attempt.
    pub fn new(max: u32) -> Self {
        Retries { max, used: 0 }
    }

    /// Use up one retry: true if one was left (ask again), false if they are used up.
    pub fn try_again(&mut self) -> bool {
        if self.used < self.max {
            self.used += 1;
            true
        } else {
            false
        }
    }

    /// Retries used so far.
    pub fn used(&self) -> u32 {
        self.used
    }

    /// Retries still left.
    pub fn remaining(&self) -> u32 {
        self.max - self.used
    }

    /// True once every retry was used.
    pub fn is_exhausted(&self) -> bool {
        self.used >= self.max
    }

    /// Make every retry available again (e.g. when moving on to the next question).
    pub fn reset(&mut self) {
        self.used = 0;
    }
}

/// One retry: the usual "ask once more, then give up politely".
impl Default for Retries {
    fn default() -> Self {
        Retries::new(1)
    }
}

/// Counts answers the script could not make sense of: in a row (to decide whether to ask
/// again) and in total (worth recording in the outcome).
///
/// ```
/// use huashu_sdk::NoMatchCounter;
///
/// let mut no_match = NoMatchCounter::new(1);
/// assert!(no_match.miss());        // "sorry, I didn't catch that…"
/// no_match.matched();              // understood: the run starts over
/// assert!(no_match.miss());
/// assert!(!no_match.miss());       // two in a row: give up
/// assert_eq!(no_match.total(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoMatchCounter {
    max_reprompts: u32,
    in_a_row: u32,
    total: u32,
}

impl NoMatchCounter {
    /// Re-prompt at most `max_reprompts` times in a row.
    pub fn new(max_reprompts: u32) -> Self {
        NoMatchCounter {
            max_reprompts,
            in_a_row: 0,
            total: 0,
        }
    }

    /// Count an answer that matched nothing: true if the script may re-prompt, false once
    /// the re-prompts in a row are used up.
    pub fn miss(&mut self) -> bool {
        self.in_a_row += 1;
        self.total += 1;
        self.in_a_row <= self.max_reprompts
    }

    /// An answer was understood: the next miss starts a new run.
    pub fn matched(&mut self) {
        self.in_a_row = 0;
    }

    /// Misses since the last understood answer.
    pub fn in_a_row(&self) -> u32 {
        self.in_a_row
    }

    /// Misses during the whole call.
    pub fn total(&self) -> u32 {
        self.total
    }
}

/// One re-prompt in a row, like [`Retries::default`].
impl Default for NoMatchCounter {
    fn default() -> Self {
        NoMatchCounter::new(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_count_down_and_reset() {
        let mut r = Retries::new(2);
        assert_eq!(r.remaining(), 2);
        assert!(r.try_again());
        assert!(r.try_again());
        assert!(r.is_exhausted());
        assert!(!r.try_again());
        assert_eq!(r.used(), 2);
        r.reset();
        assert!(!r.is_exhausted());
    }

    #[test]
    fn defaults_allow_one_retry() {
        let mut r = Retries::default();
        assert!(r.try_again());
        assert!(!r.try_again());
        let mut n = NoMatchCounter::default();
        assert!(n.miss());
        assert!(!n.miss());
    }

    #[test]
    fn zero_retries_never_allow_another_try() {
        assert!(!Retries::new(0).try_again());
        assert!(!NoMatchCounter::new(0).miss());
    }

    #[test]
    fn no_match_counter_tracks_runs_and_totals() {
        let mut n = NoMatchCounter::new(2);
        assert!(n.miss());
        assert!(n.miss());
        assert!(!n.miss());
        assert_eq!(n.in_a_row(), 3);
        n.matched();
        assert_eq!(n.in_a_row(), 0);
        assert!(n.miss());
        assert_eq!(n.total(), 4);
    }
}
