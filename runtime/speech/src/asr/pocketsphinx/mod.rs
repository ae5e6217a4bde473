//! PocketSphinx (Debian's libpocketsphinx 0.8+5prealpha with the `pocketsphinx-en-us`
//! model), the embedded offline recogniser, through our own FFI (`ffi`, `decoder`).
//!
//! With usable phrase hints an utterance is searched with a grammar of those phrases
//! (`grammar`) and checked against a free phone loop (`rejection`): speech that is none of
//! the hints (another answer, another language) comes out as "no match" rather than as the
//! closest hint, and a hint that was said carries a confidence. Without, it is searched
//! with the full US English language model, whose posterior and n-best list give the
//! confidence and alternatives.
//!
//! # Decoders: cost, pooling and threads
//!
//! Measured here (2 cores; release build of the C library, RSS growth per decoder):
//!
//! | decoder | memory | build time | decode, 1 s of speech |
//! |---|---|---|---|
//! | language model (26 MB trigrams + 134k-word dictionary) | ~92 MB | ~350–550 ms | ~0.3–0.7 s |
//! | grammar (acoustic model + hint words + phone loop) | ~6–7 MB | ~15–25 ms | ~0.1–0.2 s (both passes) |
//!
//! The language model is 65 MB of that and the full dictionary 21 MB, so grammar decoders
//! start with an empty dictionary and are taught hint words from one shared copy of it
//! (`lexicon`). A decoder is not thread-safe, so decoders are pooled per kind: built on
//! first need (or ahead, with [`PocketSphinx::prepare`]), reused by later utterances, and
//! capped by [`Decoders`] limits — set them to the calls that may be listening at once;
//! past a limit `start` fails with [`AsrError::Busy`] rather than let memory grow. A phone
//! bot mostly listens with hints, so most listens take the small kind.
//!
//! # Memory: what is shared, what is lazy, what is given back
//!
//! Nothing is decoded, and no acoustic or language model is loaded, until a call listens:
//! an idle server holds only the shared dictionary copy. Each decoder loads its own copy of
//! the acoustic model (and, for the language-model kind, of the trigram model and full
//! dictionary): this library version offers no way to hand one loaded model to several
//! decoders (`ps_init` always reads `-hmm` and `-dict` itself), and while `ps_set_lm` can
//! attach one loaded language model to several decoders, nothing says two may search it at
//! once, and a search writes into the model it uses (`ps_add_word` adds words to it), so a
//! shared one would be a data race in C. So decoders are the unit of memory, and the pool
//! bounds it twice: at most the [`Decoders`] limits exist at once, and a decoder that has
//! waited unused for [`GRAMMAR_KEEP_IDLE`] or [`LANGUAGE_MODEL_KEEP_IDLE`] is freed by a
//! reaper thread (which exists only while some decoder waits), its pages handed back to
//! the system. A busy server keeps the decoders it reuses; a quiet one shrinks back to its
//! idle size. Freeing also bounds a grammar decoder's dictionary, which otherwise grows
//! with every hint word it is ever taught.
//!
//! Live decoding normalises speech with a running estimate of the line's cepstral mean,
//! which adapts as it hears speech and which PocketSphinx keeps across utterances. The
//! pool keeps one shared estimate instead: every utterance starts from the one the latest
//! utterance ended with (calls share the telephony path, so it is a good prior), whichever
//! pooled decoder runs it; `cmn.c` reads and sets it.
//!
//! Each recognition runs on an OS thread of its own, which takes a decoder from its pool,
//! decodes the frames as they come, and returns it. A decoder is owned by one thread at a
//! time (it is `Send`, not `Sync`). Decoding never runs on the async executor, so a slow
//! decode delays only its own call; starting a thread costs tens of microseconds, nothing
//! next to an utterance.

mod decoder;
mod ffi;
mod grammar;
mod idle;
mod lexicon;
mod reaper;
mod rejection;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use decoder::Model;
use decoder::{Channel, Decoder, Kind};
use grammar::HintGrammar;
use idle::IdleList;
use lexicon::Lexicon;
pub use reaper::{GRAMMAR_KEEP_IDLE, LANGUAGE_MODEL_KEEP_IDLE};

use super::{AsrError, AsrEvent, Recognition, RecognitionOptions, SpeechRecognizer, Worker};
use huashu_contract::Transcript;
use huashu_media::pcm::CANONICAL_RATE;

/// Audio of one utterance kept for a grammar decoder's scoring pass: 60 s (1.9 MB), four
/// times the default utterance cap; anything longer is scored on its first minute.
const MAX_KEPT_SAMPLES: usize = 60 * CANONICAL_RATE as usize;

/// Decoders of each kind: as limits (at most this many recognitions at once) or counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoders {
    /// For listens with usable phrase hints (~7 MB each).
    pub grammar: usize,
    /// For listens without (~95 MB each).
    pub language_model: usize,
}

/// The PocketSphinx recogniser: a model, its dictionary, and pools of decoders.
#[derive(Clone)]
pub struct PocketSphinx {
    pool: Arc<Pool>,
}

struct Pool {
    model: Model,
    lexicon: Lexicon,
    grammar: Slots,
    language_model: Slots,
    /// The channel estimate the next utterance starts from: the latest one an utterance
    /// ended with (empty until then: a new decoder's model default).
    channel: Mutex<Channel>,
    /// Whether the reaper thread is running (it runs while any decoder waits).
    reaper: Mutex<bool>,
}

impl Pool {
    fn channel(&self) -> MutexGuard<'_, Channel> {
        // A plain vector, replaced whole: always consistent.
        self.channel.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn slots(&self, kind: Kind) -> &Slots {
        match kind {
            Kind::Grammar => &self.grammar,
            Kind::LanguageModel => &self.language_model,
        }
    }
}

/// The decoders of one kind.
struct Slots {
    max: usize,
    /// How long a decoder of this kind may wait unused before it is freed.
    keep_idle: Duration,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    idle: IdleList<Decoder>,
    /// Recognitions running (each holds, or is building, one decoder).
    leased: usize,
}

impl Slots {
    fn new(max: usize, keep_idle: Duration) -> Self {
        Self {
            max,
            keep_idle,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, SlotState> {
        // Two plain fields, consistent between statements: a panic elsewhere leaves them
        // usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PocketSphinx {
    /// A recogniser for `model`, with at most `limits` recognitions of each kind at once.
    /// Reads the pronunciation dictionary (~0.1 s and ~20 MB, blocking); builds no decoder.
    pub fn new(model: Model, limits: Decoders) -> Result<Self, AsrError> {
        model.check()?;
        let lexicon = Lexicon::load(&model.dictionary)?;
        Ok(Self {
            pool: Arc::new(Pool {
                model,
                lexicon,
                grammar: Slots::new(limits.grammar, GRAMMAR_KEEP_IDLE),
                language_model: Slots::new(limits.language_model, LANGUAGE_MODEL_KEEP_IDLE),
                channel: Mutex::default(),
                reaper: Mutex::new(false),
            }),
        })
    }

    /// Debian's US English model.
    pub fn debian_en_us(limits: Decoders) -> Result<Self, AsrError> {
        Self::new(Model::debian_en_us(), limits)
    }

    /// Builds decoders now, up to `count` of each kind (within the limits), so the first
    /// calls do not wait for them. Blocking and slow: run it at start-up, off the executor.
    pub fn prepare(&self, count: Decoders) -> Result<(), AsrError> {
        for (kind, wanted) in [
            (Kind::Grammar, count.grammar),
            (Kind::LanguageModel, count.language_model),
        ] {
            let slots = self.pool.slots(kind);
            loop {
                let have = {
                    let state = slots.state();
                    state.idle.len() + state.leased
                };
                if have >= wanted.min(slots.max) {
                    break;
                }
                let decoder = Decoder::new(&self.pool.model, kind)?;
                slots.state().idle.push(decoder, Instant::now());
                self.pool.ensure_reaper();
            }
        }
        Ok(())
    }

    /// Frees the decoders that have waited unused for at least `idle_for`, now rather than
    /// at their keep-idle time; returns how many. Running recognitions are not touched.
    pub fn release_idle_decoders(&self, idle_for: Duration) -> usize {
        self.pool.release_idle(Some(idle_for))
    }

    /// Decoders built and waiting, by kind.
    pub fn idle_decoders(&self) -> Decoders {
        Decoders {
            grammar: self.pool.grammar.state().idle.len(),
            language_model: self.pool.language_model.state().idle.len(),
        }
    }
}

impl SpeechRecognizer for PocketSphinx {
    fn start(&self, options: RecognitionOptions) -> Result<Recognition, AsrError> {
        let (hints, skipped) = grammar::hints(&options.hints, |w| self.pool.lexicon.contains(w));
        if !skipped.is_empty() {
            tracing::debug!(
                ?skipped,
                "hints not in the PocketSphinx dictionary were left out"
            );
        }
        let kind = match hints {
            Some(_) => Kind::Grammar,
            None => Kind::LanguageModel,
        };
        let lease = Lease::reserve(&self.pool, kind)?;
        let (recognition, worker) = Recognition::channel();
        std::thread::Builder::new()
            .name("asr-pocketsphinx".into())
            .spawn(move || recognize(lease, hints, worker))
            .map_err(|e| AsrError::Engine(format!("cannot start a decoding thread: {e}")))?;
        Ok(recognition)
    }
}

/// One recognition's claim on a pool; gives its decoder back (or its place, if the
/// decoder failed) when dropped.
struct Lease {
    pool: Arc<Pool>,
    kind: Kind,
    decoder: Option<Decoder>,
}

impl Lease {
    fn reserve(pool: &Arc<Pool>, kind: Kind) -> Result<Self, AsrError> {
        let slots = pool.slots(kind);
        let mut state = slots.state();
        if state.leased >= slots.max {
            return Err(AsrError::Busy(slots.max));
        }
        state.leased += 1;
        Ok(Self {
            pool: pool.clone(),
            kind,
            decoder: None,
        })
    }

    /// An idle decoder, or a new one (slow; this runs on the recognition's own thread).
    fn decoder(&mut self) -> Result<&mut Decoder, AsrError> {
        if self.decoder.is_none() {
            let idle = self.pool.slots(self.kind).state().idle.pop();
            self.decoder = Some(match idle {
                Some(decoder) => decoder,
                None => Decoder::new(&self.pool.model, self.kind)?,
            });
        }
        self.decoder
            .as_mut()
            .ok_or_else(|| AsrError::Engine("no decoder".into()))
    }

    /// Drops the decoder instead of returning it: after a decoding error its state is
    /// suspect.
    fn discard(&mut self) {
        self.decoder = None;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let returned = {
            let mut state = self.pool.slots(self.kind).state();
            state.leased -= 1;
            match self.decoder.take() {
                Some(decoder) => {
                    state.idle.push(decoder, Instant::now());
                    true
                }
                None => false,
            }
        };
        if returned {
            self.pool.ensure_reaper();
        }
    }
}

/// The body of a recognition's thread.
fn recognize(mut lease: Lease, hints: Option<HintGrammar>, mut worker: Worker) {
    let pool = lease.pool.clone();
    let result = lease
        .decoder()
        .and_then(|decoder| decode(decoder, hints.as_ref(), &pool, &mut worker));
    if result.is_err() {
        lease.discard();
    }
    // The decoder is back in the pool before the caller hears the result, so a caller
    // that starts the next utterance at once finds it there.
    drop(lease);
    match result {
        Ok(Some(transcript)) => {
            worker.send(Ok(AsrEvent::Final(transcript)));
        }
        Ok(None) => {} // abandoned by the caller
        Err(error) => {
            worker.send(Err(error));
        }
    }
}

/// Decodes one utterance; `None` if the caller abandoned it.
fn decode(
    decoder: &mut Decoder,
    hints: Option<&HintGrammar>,
    pool: &Pool,
    worker: &mut Worker,
) -> Result<Option<Transcript>, AsrError> {
    decoder.prepare(hints, &pool.lexicon)?;
    let channel = pool.channel().clone();
    decoder.start(&channel)?;
    let keep_audio = decoder.kind() == Kind::Grammar;
    let mut utterance: Vec<i16> = Vec::new();
    let mut shown = String::new();
    let mut batch: Vec<i16> = Vec::new();
    while let Some(frame) = worker.audio.blocking_recv() {
        if worker.abandoned() {
            return Ok(None);
        }
        // After a stall, decode everything queued in one go and report once.
        batch.clear();
        batch.extend_from_slice(&frame);
        while let Ok(more) = worker.audio.try_recv() {
            batch.extend_from_slice(&more);
        }
        decoder.process(&batch)?;
        if keep_audio {
            let room = MAX_KEPT_SAMPLES.saturating_sub(utterance.len());
            utterance.extend_from_slice(&batch[..batch.len().min(room)]);
        }
        let partial = decoder.partial();
        if !partial.is_empty() && partial != shown {
            shown.clone_from(&partial);
            // Partials carry no confidence; only the final result is scored.
            let event = AsrEvent::Partial(Transcript {
                text: partial,
                confidence: 0.0,
                alternatives: Vec::new(),
                not_understood: None,
            });
            if !worker.send(Ok(event)) {
                return Ok(None);
            }
        }
    }
    if worker.abandoned() {
        return Ok(None);
    }
    let (transcript, adapted) = decoder.finish(&utterance, &channel)?;
    *pool.channel() = adapted;
    Ok(Some(transcript))
}
