//! A text-to-speech cache shared by every call: (voice, text) → audio, bounded in bytes,
//! least recently used out first.
//!
//! A campaign says the same few sentences thousands of times, often to many calls that
//! start together, so concurrent requests for the same sentence wait for one synthesis
//! instead of each running the engine. Failures are not cached: the next request tries
//! again. It caches canonical audio; encoded forms per codec are `media`'s to cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Speech, TextToSpeech, TtsError};

/// Default budget: 64 MiB holds ~35 minutes of canonical audio (32 kB/s), hundreds of
/// distinct prompt sentences — the working set of many campaigns — for a small share of a
/// server's memory.
pub const DEFAULT_BUDGET_BYTES: usize = 64 << 20;

type Key = (String, String);

/// One sentence: filled once synthesised; its lock is held while it is being synthesised,
/// which is what makes concurrent requests for it wait instead of synthesising again.
type Slot = Mutex<Option<Speech>>;

struct Entry {
    slot: Arc<Slot>,
    last_used: u64,
    /// Bytes counted against the budget (0 while pending).
    bytes: usize,
}

#[derive(Default)]
struct Index {
    entries: HashMap<Arc<Key>, Entry>,
    by_age: BTreeMap<u64, Arc<Key>>,
    clock: u64,
    used: usize,
}

/// How the cache is doing, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests served from the cache, including those that waited on another caller's
    /// synthesis.
    pub hits: u64,
    /// Requests that ran the engine (failures included).
    pub misses: u64,
    /// Sentences held now, including ones still being synthesised.
    pub entries: usize,
    /// Bytes counted against the budget now: samples plus the voice and text keys.
    pub bytes: usize,
}

/// Wraps a backend with a shared, byte-budgeted cache. Itself a [`TextToSpeech`].
pub struct TtsCache {
    engine: Arc<dyn TextToSpeech>,
    budget: usize,
    index: Mutex<Index>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl TtsCache {
    /// Wraps `engine` with a cache holding at most `budget_bytes` (samples plus keys); a
    /// sentence larger than the whole budget is returned but not kept.
    pub fn new(engine: Arc<dyn TextToSpeech>, budget_bytes: usize) -> Self {
        Self {
            engine,
            budget: budget_bytes,
            index: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Counters so far, and what the cache holds now.
    pub fn stats(&self) -> CacheStats {
        let index = self.index();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: index.entries.len(),
            bytes: index.used,
        }
    }

    /// The index survives a panic elsewhere: its invariants hold between statements.
    fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The slot for `key`, created if new, marked as just used.
    fn slot(&self, key: &Key) -> Arc<Slot> {
        let mut index = self.index();
        index.clock += 1;
        let now = index.clock;
        let (slot, previous) = match index.entries.get_mut(key) {
            Some(entry) => {
                let previous = std::mem::replace(&mut entry.last_used, now);
                (entry.slot.clone(), Some(previous))
            }
            None => {
                let slot = Arc::new(Slot::default());
                let key = Arc::new(key.clone());
                let entry = Entry {
                    slot: slot.clone(),
                    last_used: now,
                    bytes: 0,
                };
                index.entries.insert(key, entry);
                (slot, None)
            }
        };
        let key = match previous.and_then(|p| index.by_age.remove(&p)) {
            Some(key) => key,
            None => match index.entries.get_key_value(key) {
                Some((key, _)) => key.clone(),
                None => return slot,
            },
        };
        index.by_age.insert(now, key);
        slot
    }

    /// Records a finished synthesis (`None`: it failed) and evicts down to the budget.
    fn settle(&self, key: &Key, slot: &Arc<Slot>, speech: Option<&Speech>) {
        let mut index = self.index();
        let Some(entry) = index.entries.get_mut(key) else {
            return;
        };
        if !Arc::ptr_eq(&entry.slot, slot) {
            return; // evicted and requested anew meanwhile: that one settles itself
        }
        let bytes = speech.map(|s| s.bytes() + key.0.len() + key.1.len());
        match bytes {
            Some(bytes) if bytes <= self.budget => {
                entry.bytes = bytes;
                index.used += bytes;
                self.evict(&mut index, key);
            }
            _ => remove(&mut index, key),
        }
    }

    fn evict(&self, index: &mut Index, keep: &Key) {
        let mut skipped = Vec::new();
        while index.used > self.budget {
            let Some((age, key)) = index.by_age.pop_first() else {
                break;
            };
            let pending = index.entries.get(&*key).is_none_or(|e| e.bytes == 0);
            if *key == *keep || pending {
                skipped.push((age, key));
                continue;
            }
            if let Some(entry) = index.entries.remove(&*key) {
                index.used -= entry.bytes;
            }
        }
        index.by_age.extend(skipped);
    }
}

fn remove(index: &mut Index, key: &Key) {
    if let Some(entry) = index.entries.remove(key) {
        index.by_age.remove(&entry.last_used);
        index.used -= entry.bytes;
    }
}

impl TextToSpeech for TtsCache {
    fn synthesize_blocking(&self, voice: &str, text: &str) -> Result<Speech, TtsError> {
        let key = (voice.to_owned(), text.to_owned());
        let slot = self.slot(&key);
        let mut filled = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(speech) = filled.as_ref() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(speech.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let result = self.engine.synthesize_blocking(voice, text);
        if let Ok(speech) = &result {
            *filled = Some(speech.clone());
        }
        drop(filled);
        self.settle(&key, &slot, result.as_ref().ok());
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    /// Speaks every text as one sample per character, counting calls; fails on "fail".
    #[derive(Default)]
    struct Counting {
        calls: AtomicU64,
    }

    impl TextToSpeech for Counting {
        fn synthesize_blocking(&self, _voice: &str, text: &str) -> Result<Speech, TtsError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if text == "fail" {
                return Err(TtsError::Engine("no".into()));
            }
            Ok(Speech::new(vec![1i16; text.len()]))
        }
    }

    #[test]
    fn repeats_are_served_from_the_cache_per_voice() {
        let engine = Arc::new(Counting::default());
        let cache = TtsCache::new(engine.clone(), DEFAULT_BUDGET_BYTES);
        for _ in 0..3 {
            cache.synthesize_blocking("en-us", "hello").expect("speech");
        }
        cache.synthesize_blocking("cmn", "hello").expect("speech");
        assert_eq!(engine.calls.load(Ordering::SeqCst), 2);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (2, 2, 2));
    }

    #[test]
    fn the_byte_budget_evicts_the_least_recently_used() {
        let engine = Arc::new(Counting::default());
        // Each 10-character text costs 2×10 bytes of samples + 11 of key: 31 bytes.
        let cache = TtsCache::new(engine.clone(), 70);
        cache.synthesize_blocking("v", "aaaaaaaaaa").expect("a");
        cache.synthesize_blocking("v", "bbbbbbbbbb").expect("b");
        cache
            .synthesize_blocking("v", "aaaaaaaaaa")
            .expect("a again: now the newest");
        cache
            .synthesize_blocking("v", "cccccccccc")
            .expect("c evicts b");
        assert_eq!(cache.stats().bytes, 62);
        assert_eq!(engine.calls.load(Ordering::SeqCst), 3);
        cache
            .synthesize_blocking("v", "aaaaaaaaaa")
            .expect("a still cached");
        assert_eq!(engine.calls.load(Ordering::SeqCst), 3);
        cache
            .synthesize_blocking("v", "bbbbbbbbbb")
            .expect("b was evicted");
        assert_eq!(engine.calls.load(Ordering::SeqCst), 4);
        // Larger than the whole budget: spoken, never cached.
        cache
            .synthesize_blocking("v", &"x".repeat(40))
            .expect("big");
        assert!(cache.stats().bytes <= 70);
    }

    #[test]
    fn failures_are_not_cached() {
        let engine = Arc::new(Counting::default());
        let cache = TtsCache::new(engine.clone(), DEFAULT_BUDGET_BYTES);
        assert!(cache.synthesize_blocking("v", "fail").is_err());
        assert!(cache.synthesize_blocking("v", "fail").is_err());
        assert_eq!(engine.calls.load(Ordering::SeqCst), 2);
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn calls_asking_at_once_share_one_synthesis() {
        let engine = Arc::new(Counting::default());
        let cache = Arc::new(TtsCache::new(engine.clone(), DEFAULT_BUDGET_BYTES));
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, start) = (cache.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    cache
                        .synthesize_blocking("v", "same sentence")
                        .map(|s| s.bytes())
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().expect("thread").expect("speech"), 26);
        }
        assert_eq!(engine.calls.load(Ordering::SeqCst), 1);
    }
}
