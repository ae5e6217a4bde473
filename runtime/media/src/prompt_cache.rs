//! The process-wide cache of playable audio: prompts and TTS results converted once to
//! canonical PCM, then encoded once per transport codec, shared by every call (`Arc`) so a
//! campaign playing the same sentence 10,000 times decodes, synthesises and encodes it once.
//!
//! Two levels under one byte budget, least recently used out first:
//! - canonical audio per [`AudioKey`], so a second codec does not decode or synthesise again;
//! - [`EncodedAudio`] per (key, [`TransportCodec`]): what calls actually play.
//!
//! Callers that ask for the same missing entry at the same time wait for one load and one
//! encode (the first caller's), not one each. The cache does not know where audio comes
//! from: the caller passes the loader (WAV from the store, a TTS engine), and it does not
//! decide what to keep by tenant (the key carries the tenant, the budget is shared).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use thiserror::Error;
use tokio::sync::OnceCell;

use super::transport_codec::{EncodedAudio, TransportCodec};
use super::wav::WavError;

/// Default budget: 256 MiB holds about 2.3 hours of canonical audio (32 KB/s) or 9 hours of
/// mu-law (8 KB/s), far more than a tenant's prompt set and a campaign's common sentences,
/// and a small share of a server sized for thousands of calls.
pub const DEFAULT_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// What a cached clip is.
///
/// Prompts are keyed by version (the stored prompt's digest), so an updated prompt is a new
/// entry and the old one ages out. Speech is keyed by tenant as well as voice and text: one
/// tenant must not learn, from how fast a sentence starts, that another tenant's calls have
/// been saying it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AudioKey {
    /// An uploaded WAV prompt.
    Prompt {
        /// The tenant that uploaded it.
        tenant: String,
        /// The prompt's name within the tenant.
        name: String,
        /// Which upload: the stored prompt's digest, so a new upload is a new entry. Empty
        /// when the caller instead [`PromptCache::remove`]s changed prompts.
        version: String,
    },
    /// A TTS result.
    Speech {
        /// The tenant whose call asked for it.
        tenant: String,
        /// The TTS voice it was synthesised with.
        voice: String,
        /// The text spoken, exactly as synthesised.
        text: String,
    },
    /// Prompts and speech joined into one clip (`say-parts`), keyed by the whole
    /// combination. Removing a prompt's key removes every joined clip that includes it.
    Joined {
        /// The tenant whose call asked for it.
        tenant: String,
        /// The TTS voice of its text parts.
        voice: String,
        /// The parts in playing order.
        parts: Vec<JoinedPart>,
    },
}

/// One part of an [`AudioKey::Joined`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JoinedPart {
    /// The tenant's prompt of this name.
    Prompt(String),
    /// This text, synthesised in the joined clip's voice.
    Speech(String),
}

impl AudioKey {
    /// Whether this is a joined clip that includes the prompt `prompt` names.
    fn includes(&self, prompt: &AudioKey) -> bool {
        let (
            Self::Joined { tenant, parts, .. },
            Self::Prompt {
                tenant: owner,
                name,
                ..
            },
        ) = (self, prompt)
        else {
            return false;
        };
        tenant == owner
            && parts
                .iter()
                .any(|part| matches!(part, JoinedPart::Prompt(p) if p == name))
    }
}

/// Why cached audio could not be produced.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CacheError {
    /// The loader failed (prompt missing or not a valid WAV, TTS failed); carries why.
    #[error("could not load the audio: {0}")]
    Load(String),
    /// Encoding for the transport codec failed; carries why.
    #[error("could not encode the audio: {0}")]
    Encode(String),
}

impl From<WavError> for CacheError {
    fn from(e: WavError) -> Self {
        Self::Load(e.to_string())
    }
}

/// The cache's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Encoded audio served without encoding (including waiting on another caller's encode).
    pub hits: u64,
    /// Encoded audio that had to be encoded.
    pub misses: u64,
    /// Canonical audio that had to be loaded (decoded or synthesised).
    pub loads: u64,
    /// Entries dropped, least recently used first, to stay within the budget.
    pub evictions: u64,
    /// Entries held now, canonical and encoded alike.
    pub entries: usize,
    /// Bytes held now, counted against the budget.
    pub bytes: usize,
    /// The byte budget the cache was created with.
    pub budget: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Form {
    Canonical,
    Encoded(TransportCodec),
}

type SlotKey = (AudioKey, Form);

#[derive(Debug, Clone)]
enum Cached {
    Canonical(Arc<[i16]>),
    Encoded(Arc<EncodedAudio>),
}

impl Cached {
    fn size_bytes(&self) -> usize {
        match self {
            Self::Canonical(samples) => size_of_val::<[i16]>(samples),
            Self::Encoded(audio) => audio.size_bytes(),
        }
    }
}

#[derive(Debug)]
struct Slot {
    cell: Arc<OnceCell<Cached>>,
    /// 0 until filled: only filled slots count and can be evicted.
    bytes: usize,
    /// Position in the LRU order; `None` until filled.
    last_used: Option<u64>,
}

#[derive(Debug, Default)]
struct Inner {
    slots: HashMap<SlotKey, Slot>,
    /// Filled slots by last use, oldest first.
    lru: BTreeMap<u64, SlotKey>,
    bytes: usize,
    clock: u64,
}

impl Inner {
    fn touch(&mut self, key: &SlotKey) {
        self.clock += 1;
        let now = self.clock;
        if let Some(slot) = self.slots.get_mut(key) {
            if let Some(old) = slot.last_used.replace(now) {
                self.lru.remove(&old);
            }
            self.lru.insert(now, key.clone());
        }
    }
}

/// The shared cache; see the module docs. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct PromptCache {
    budget: usize,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
    loads: AtomicU64,
    evictions: AtomicU64,
}

impl Default for PromptCache {
    fn default() -> Self {
        Self::new(DEFAULT_BUDGET_BYTES)
    }
}

impl PromptCache {
    /// An empty cache holding at most `budget_bytes` of audio (canonical and encoded); a
    /// clip larger than the whole budget is played but never kept.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            budget: budget_bytes,
            inner: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// `key`'s audio encoded for `codec`. On a miss, the canonical audio comes from the
    /// cache or, failing that, from `load` (run at most once however many callers wait),
    /// and is encoded on tokio's blocking pool so the encode never stalls a call's pacing.
    pub async fn encoded<F, Fut>(
        &self,
        key: &AudioKey,
        codec: TransportCodec,
        load: F,
    ) -> Result<Arc<EncodedAudio>, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<i16>, CacheError>>,
    {
        let slot_key = (key.clone(), Form::Encoded(codec));
        let (cached, encoded_here) = self
            .get_or_fill(slot_key, || async {
                let canonical = self.canonical(key, load).await?;
                let audio =
                    tokio::task::spawn_blocking(move || EncodedAudio::encode(codec, &canonical))
                        .await
                        .map_err(|e| CacheError::Encode(e.to_string()))?
                        .map_err(|e| CacheError::Encode(e.to_string()))?;
                Ok(Cached::Encoded(Arc::new(audio)))
            })
            .await?;
        let counter = if encoded_here {
            &self.misses
        } else {
            &self.hits
        };
        counter.fetch_add(1, Ordering::Relaxed);
        match cached {
            Cached::Encoded(audio) => Ok(audio),
            Cached::Canonical(_) => {
                Err(CacheError::Encode("cache slot holds the wrong form".into()))
            }
        }
    }

    /// `key`'s canonical audio, from the cache or from `load` (run at most once however many
    /// callers wait).
    pub async fn canonical<F, Fut>(&self, key: &AudioKey, load: F) -> Result<Arc<[i16]>, CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<i16>, CacheError>>,
    {
        let (cached, loaded_here) = self
            .get_or_fill((key.clone(), Form::Canonical), || async {
                Ok(Cached::Canonical(load().await?.into()))
            })
            .await?;
        if loaded_here {
            self.loads.fetch_add(1, Ordering::Relaxed);
        }
        match cached {
            Cached::Canonical(samples) => Ok(samples),
            Cached::Encoded(_) => Err(CacheError::Load("cache slot holds the wrong form".into())),
        }
    }

    /// Drops everything cached for `key` (a deleted prompt), and every joined clip that
    /// includes it.
    pub fn remove(&self, key: &AudioKey) {
        let mut inner = self.lock();
        let doomed: Vec<SlotKey> = inner
            .slots
            .keys()
            .filter(|(k, _)| k == key || k.includes(key))
            .cloned()
            .collect();
        for slot_key in doomed {
            remove_slot(&mut inner, &slot_key);
        }
    }

    /// The counters so far, and what the cache holds now.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            entries: inner.lru.len(),
            bytes: inner.bytes,
            budget: self.budget,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The lock guards plain bookkeeping that no panic leaves half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The slot's value, filling it with `fill` if empty. Returns whether this caller filled
    /// it. The lock is never held across an await.
    async fn get_or_fill<F, Fut>(
        &self,
        slot_key: SlotKey,
        fill: F,
    ) -> Result<(Cached, bool), CacheError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Cached, CacheError>>,
    {
        let cell = {
            let mut inner = self.lock();
            let cell = inner
                .slots
                .get(&slot_key)
                .map(|slot| Arc::clone(&slot.cell));
            match cell {
                Some(cell) => {
                    if let Some(value) = cell.get() {
                        let value = value.clone();
                        inner.touch(&slot_key);
                        return Ok((value, false));
                    }
                    cell
                }
                None => {
                    let cell = Arc::new(OnceCell::new());
                    inner.slots.insert(
                        slot_key.clone(),
                        Slot {
                            cell: Arc::clone(&cell),
                            bytes: 0,
                            last_used: None,
                        },
                    );
                    cell
                }
            }
        };
        let mut filled_here = false;
        let result = cell
            .get_or_try_init(|| {
                filled_here = true;
                fill()
            })
            .await
            .cloned();
        match result {
            Ok(value) => {
                if filled_here {
                    self.account(&slot_key, &cell, value.size_bytes());
                }
                Ok((value, filled_here))
            }
            Err(e) => {
                // Forget the empty slot so the next caller tries again.
                let mut inner = self.lock();
                let same_and_empty = inner
                    .slots
                    .get(&slot_key)
                    .is_some_and(|slot| Arc::ptr_eq(&slot.cell, &cell) && !slot.cell.initialized());
                if same_and_empty {
                    inner.slots.remove(&slot_key);
                }
                Err(e)
            }
        }
    }

    /// Counts a freshly filled slot against the budget and evicts the least recently used
    /// entries until it fits. A clip larger than the whole budget is played but not kept
    /// (and evicts nothing).
    fn account(&self, slot_key: &SlotKey, cell: &Arc<OnceCell<Cached>>, bytes: usize) {
        let mut inner = self.lock();
        match inner.slots.get_mut(slot_key) {
            Some(slot) if Arc::ptr_eq(&slot.cell, cell) => slot.bytes = bytes,
            // Removed while it was being filled.
            _ => return,
        }
        if bytes > self.budget {
            inner.slots.remove(slot_key);
            return;
        }
        inner.bytes += bytes;
        inner.touch(slot_key);
        while inner.bytes > self.budget {
            let Some((_, oldest)) = inner.lru.pop_first() else {
                break;
            };
            remove_slot(&mut inner, &oldest);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn remove_slot(inner: &mut Inner, slot_key: &SlotKey) {
    if let Some(slot) = inner.slots.remove(slot_key) {
        inner.bytes -= slot.bytes;
        if let Some(tick) = slot.last_used {
            inner.lru.remove(&tick);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::test_signals::sine;

    fn prompt(name: &str) -> AudioKey {
        AudioKey::Prompt {
            tenant: "t1".into(),
            name: name.into(),
            version: "v1".into(),
        }
    }

    fn one_second() -> Vec<i16> {
        sine(440.0, 16_000, 0.3, 16_000)
    }

    #[tokio::test]
    async fn many_plays_encode_once() {
        let cache = Arc::new(PromptCache::default());
        let loads = AtomicU64::new(0);
        let key = prompt("greeting");
        let mut first = None;
        for _ in 0..1_000 {
            let audio = cache
                .encoded(&key, TransportCodec::Mulaw8k, || async {
                    loads.fetch_add(1, Ordering::Relaxed);
                    Ok(one_second())
                })
                .await
                .expect("audio");
            let first = first.get_or_insert_with(|| Arc::clone(&audio));
            assert!(
                Arc::ptr_eq(first, &audio),
                "the same shared clip every time"
            );
        }
        // A second codec reuses the canonical audio: no second load.
        cache
            .encoded(&key, TransportCodec::Opus48k, || async {
                loads.fetch_add(1, Ordering::Relaxed);
                Ok(one_second())
            })
            .await
            .expect("audio");
        assert_eq!(loads.load(Ordering::Relaxed), 1);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.loads), (999, 2, 1));
        assert_eq!(stats.entries, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_arriving_together_share_one_encode() {
        let cache = Arc::new(PromptCache::default());
        let loads = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = Arc::clone(&cache);
                let loads = Arc::clone(&loads);
                tokio::spawn(async move {
                    cache
                        .encoded(&prompt("rush"), TransportCodec::Mulaw8k, || async move {
                            loads.fetch_add(1, Ordering::Relaxed);
                            tokio::task::yield_now().await;
                            Ok(one_second())
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined").expect("audio");
        }
        assert_eq!(loads.load(Ordering::Relaxed), 1);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (49, 1));
    }

    #[tokio::test]
    async fn the_byte_budget_evicts_the_least_recently_used() {
        // One second is 32,000 bytes canonical and 8,000 (plus bookkeeping) in mu-law: the
        // budget holds one canonical clip and two encoded ones.
        let cache = PromptCache::new(50_000);
        for name in ["a", "b", "c"] {
            cache
                .encoded(&prompt(name), TransportCodec::Mulaw8k, || async {
                    Ok(one_second())
                })
                .await
                .expect("audio");
        }
        let stats = cache.stats();
        assert!(stats.bytes <= 100_000, "{stats:?}");
        assert!(stats.evictions > 0);
        // "c" was used last and is still there: a hit.
        let misses = stats.misses;
        cache
            .encoded(&prompt("c"), TransportCodec::Mulaw8k, || async {
                Err(CacheError::Load("must not load".into()))
            })
            .await
            .expect("cached");
        assert_eq!(cache.stats().misses, misses);
        // "a" went first.
        let gone = cache
            .encoded(&prompt("a"), TransportCodec::Mulaw8k, || async {
                Err(CacheError::Load("gone".into()))
            })
            .await;
        assert!(matches!(gone, Err(CacheError::Load(_))), "{gone:?}");
    }

    #[tokio::test]
    async fn failures_are_not_cached_and_removal_forgets() {
        let cache = PromptCache::default();
        let key = prompt("broken");
        let bad = cache
            .encoded(&key, TransportCodec::Pcm16k, || async {
                Err(CacheError::from(WavError::NotWav))
            })
            .await;
        assert!(matches!(bad, Err(CacheError::Load(_))));
        let good = cache
            .encoded(&key, TransportCodec::Pcm16k, || async { Ok(one_second()) })
            .await
            .expect("audio");
        assert_eq!(good.duration_ms(), 1_000);
        cache.remove(&key);
        assert_eq!(cache.stats().entries, 0);
        assert_eq!(cache.stats().bytes, 0);
        // A clip bigger than the budget still plays; it just is not kept.
        let tiny = PromptCache::new(1_000);
        tiny.encoded(&key, TransportCodec::Mulaw8k, || async { Ok(one_second()) })
            .await
            .expect("audio");
        assert_eq!(tiny.stats().entries, 0);
    }

    #[tokio::test]
    async fn removing_a_prompt_forgets_the_joined_clips_that_include_it() {
        let cache = PromptCache::default();
        let joined = |prompt: &str| AudioKey::Joined {
            tenant: "t1".into(),
            voice: String::new(),
            parts: vec![
                JoinedPart::Prompt(prompt.into()),
                JoinedPart::Speech("张三".into()),
            ],
        };
        for key in [joined("greeting-a"), joined("greeting-c")] {
            cache
                .canonical(&key, || async { Ok(one_second()) })
                .await
                .expect("audio");
        }
        assert_eq!(cache.stats().entries, 2);
        cache.remove(&prompt("greeting-a"));
        assert_eq!(cache.stats().entries, 1);
        let loads = cache.stats().loads;
        cache
            .canonical(&joined("greeting-c"), || async { Ok(one_second()) })
            .await
            .expect("audio");
        assert_eq!(cache.stats().loads, loads, "the other combination is kept");
    }
}
