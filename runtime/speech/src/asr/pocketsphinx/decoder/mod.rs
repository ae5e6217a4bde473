//! A safe PocketSphinx decoder: one `ps_decoder_t`, owned, used by one thread at a time.
//!
//! Every `unsafe` block of the PocketSphinx backend is in this module (here, and in
//! [`result`] for reading a finished utterance). The contracts they rely on, from the
//! 0.8+5prealpha headers and sources:
//!
//! - A decoder is created by `ps_init` and released by `ps_free`, once; [`Decoder`] owns
//!   the pointer, never shares it, and frees it on drop.
//! - A decoder has no thread affinity and keeps no thread-local state, but nothing in it
//!   is synchronised: it may move between threads (`Send`) but must never be used from
//!   two at once (not `Sync`; every call takes `&mut self`).
//! - Strings the decoder returns (`ps_get_hyp`, `ps_nbest_hyp`) are owned by it and valid
//!   only until the next call into it: they are copied into Rust strings at once.
//! - Replacing a search frees the old one, even when it is the active search; the active
//!   search is therefore switched away before the hint grammar is replaced.
//! - Iterators (`ps_seg_*`, `ps_nbest_*`) free themselves when advanced past their end;
//!   they are run to the end, or freed explicitly, never both.
//!
//! Two kinds of decoder (measured on this model, see `super`): a *grammar* decoder has the
//! acoustic model, a dictionary of only the words it was taught and two small grammars
//! (the hints, and a phone loop to score them against); a *language-model* decoder also
//! has the full dictionary and the 26 MB trigram model, for speech without hints.

use std::ffi::{CStr, CString, c_char, c_int};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::Once;

mod result;

use super::ffi;
use super::grammar::{self, HintGrammar};
use super::lexicon::Lexicon;
use crate::asr::AsrError;

/// The search PocketSphinx creates from `-lm` (its `PS_DEFAULT_SEARCH`).
const LM_SEARCH: &CStr = c"_default";

/// Our search for the current listen's hints.
const HINTS_SEARCH: &CStr = c"hints";

/// The phone loop that grammar results are scored against.
const PHONES_SEARCH: &CStr = c"phones";

/// The files of an acoustic model, dictionary and language model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Directory of the acoustic model (PocketSphinx's `-hmm`; holds `mdef`).
    pub acoustic: PathBuf,
    /// The binary n-gram language model file (`-lm`), for speech without usable hints.
    pub language: PathBuf,
    /// The pronunciation dictionary file (`-dict`).
    pub dictionary: PathBuf,
}

/// Where Debian's `pocketsphinx-en-us` package puts the US English model.
const DEBIAN_EN_US: &str = "/usr/share/pocketsphinx/model/en-us";

impl Model {
    /// The US English model from Debian's `pocketsphinx-en-us`.
    pub fn debian_en_us() -> Self {
        Self::in_dir(Path::new(DEBIAN_EN_US))
    }

    /// A model laid out as Debian's (`en-us/`, `en-us.lm.bin`, `cmudict-en-us.dict`).
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            acoustic: dir.join("en-us"),
            language: dir.join("en-us.lm.bin"),
            dictionary: dir.join("cmudict-en-us.dict"),
        }
    }

    /// Fails with the package to install when a file is missing.
    pub fn check(&self) -> Result<(), AsrError> {
        let present = self.acoustic.join("mdef").is_file()
            && self.language.is_file()
            && self.dictionary.is_file();
        if present {
            Ok(())
        } else {
            Err(AsrError::NotInstalled {
                what: "US English model",
                package: "pocketsphinx-en-us",
            })
        }
    }
}

/// What a decoder searches with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Phrase hints, verified against a phone loop. Small and quick to build.
    Grammar,
    /// The full language model, for speech without (usable) hints. Large.
    LanguageModel,
}

/// One decoder (see the module documentation for the contracts).
pub(super) struct Decoder {
    ps: NonNull<ffi::ps_decoder_t>,
    kind: Kind,
    in_utterance: bool,
    /// Words added to a grammar decoder's dictionary so far.
    taught: std::collections::HashSet<String>,
    /// Length of the channel estimate (cepstral mean) this decoder keeps.
    channel_len: usize,
}

/// A channel estimate: the running cepstral mean that live decoding normalises speech
/// with. It adapts to the line while an utterance is decoded; see `super` for how the
/// pool shares it.
pub(super) type Channel = Vec<f32>;

// SAFETY: the decoder is plain heap state without thread affinity or thread-local data
// (sphinxbase's only global, the log stream, is set once before any decoder exists), and
// `Decoder` owns its pointer exclusively, so moving it to another thread is sound. It is
// not `Sync`: all use goes through `&mut self`.
unsafe impl Send for Decoder {}

impl Decoder {
    /// Loads a decoder of `kind` (see `super` for what each costs). Slow: call it on a
    /// blocking thread.
    pub fn new(model: &Model, kind: Kind) -> Result<Self, AsrError> {
        model.check()?;
        static QUIET: Once = Once::new();
        // SAFETY: NULL is the documented "disable logging" value; the Once makes this the
        // only write, before any decoder can be logging.
        QUIET.call_once(|| unsafe { ffi::err_set_logfp(ptr::null_mut()) });
        let path = |p: &Path| {
            CString::new(p.as_os_str().as_encoded_bytes())
                .map_err(|_| AsrError::Engine(format!("model path {} has a NUL", p.display())))
        };
        let hmm = path(&model.acoustic)?;
        let (lm, dict) = (path(&model.language)?, path(&model.dictionary)?);
        // SAFETY: `ps_args` returns static definitions. `cmd_ln_init` takes NULL-terminated
        // name/value pairs of NUL-terminated strings, all alive for the call, and copies
        // them. The config is owned by us until `cmd_ln_free_r`, after `ps_init` took its own
        // reference (or failed, leaving ours the only one).
        let ps = unsafe {
            let config = match kind {
                Kind::LanguageModel => ffi::cmd_ln_init(
                    ptr::null_mut(),
                    ffi::ps_args(),
                    1,
                    c"-hmm".as_ptr(),
                    hmm.as_ptr(),
                    c"-lm".as_ptr(),
                    lm.as_ptr(),
                    c"-dict".as_ptr(),
                    dict.as_ptr(),
                    c"-samprate".as_ptr(),
                    c"16000".as_ptr(),
                    ptr::null::<c_char>(),
                ),
                // No language model and an empty dictionary: words are taught as needed.
                Kind::Grammar => ffi::cmd_ln_init(
                    ptr::null_mut(),
                    ffi::ps_args(),
                    1,
                    c"-hmm".as_ptr(),
                    hmm.as_ptr(),
                    c"-dict".as_ptr(),
                    c"/dev/null".as_ptr(),
                    c"-samprate".as_ptr(),
                    c"16000".as_ptr(),
                    ptr::null::<c_char>(),
                ),
            };
            if config.is_null() {
                return Err(AsrError::Engine(
                    "PocketSphinx rejected its configuration".into(),
                ));
            }
            let ps = ffi::ps_init(config);
            ffi::cmd_ln_free_r(config);
            ps
        };
        let ps = NonNull::new(ps).ok_or_else(|| {
            AsrError::Engine(format!(
                "PocketSphinx could not load the model in {}",
                model.acoustic.display()
            ))
        })?;
        let mut decoder = Self {
            ps,
            kind,
            in_utterance: false,
            taught: Default::default(),
            channel_len: 0,
        };
        // SAFETY: a live decoder; the helper only reads its feature settings.
        let len = unsafe { ffi::huashu_ps_cmn_len(decoder.raw()) };
        decoder.channel_len = usize::try_from(len).unwrap_or(0);
        if kind == Kind::Grammar {
            for phone in grammar::PHONES {
                decoder.add_word(&grammar::phone_word(phone), phone)?;
            }
            decoder.set_grammar(PHONES_SEARCH, &grammar::phone_loop())?;
        }
        Ok(decoder)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn raw(&mut self) -> *mut ffi::ps_decoder_t {
        self.ps.as_ptr()
    }

    fn add_word(&mut self, word: &str, phones: &str) -> Result<(), AsrError> {
        let bad = || AsrError::Engine(format!("cannot add `{word}` to the dictionary"));
        let (c_word, c_phones) = (
            CString::new(word).map_err(|_| bad())?,
            CString::new(phones).map_err(|_| bad())?,
        );
        // SAFETY: a live decoder between utterances; both strings NUL-terminated and
        // copied by the dictionary. `update` 0: no search is rebuilt here; grammars built
        // afterwards see the word.
        let id = unsafe { ffi::ps_add_word(self.raw(), c_word.as_ptr(), c_phones.as_ptr(), 0) };
        if id < 0 { Err(bad()) } else { Ok(()) }
    }

    /// Adds (or replaces) the grammar search `name`.
    fn set_grammar(&mut self, name: &CStr, jsgf: &str) -> Result<(), AsrError> {
        let jsgf = CString::new(jsgf).map_err(|_| AsrError::Engine("grammar with a NUL".into()))?;
        // SAFETY: a live decoder between utterances; NUL-terminated strings, read during
        // the call. Callers make sure `name` is not the active search.
        let status = unsafe { ffi::ps_set_jsgf_string(self.raw(), name.as_ptr(), jsgf.as_ptr()) };
        if status < 0 {
            return Err(AsrError::Engine("PocketSphinx rejected a grammar".into()));
        }
        Ok(())
    }

    fn set_search(&mut self, name: &CStr) -> Result<(), AsrError> {
        // SAFETY: a live decoder between utterances; a NUL-terminated name.
        if unsafe { ffi::ps_set_search(self.raw(), name.as_ptr()) } < 0 {
            return Err(AsrError::Engine(format!("no search {name:?}")));
        }
        Ok(())
    }

    /// Chooses what the next utterance is searched with: the hint grammar on a grammar
    /// decoder (teaching it the grammar's words from `lexicon`), the language model on a
    /// language-model decoder.
    pub fn prepare(
        &mut self,
        hints: Option<&HintGrammar>,
        lexicon: &Lexicon,
    ) -> Result<(), AsrError> {
        self.end_if_open();
        match (self.kind, hints) {
            (Kind::LanguageModel, _) => self.set_search(LM_SEARCH),
            (Kind::Grammar, None) => {
                Err(AsrError::Engine("a grammar decoder without hints".into()))
            }
            (Kind::Grammar, Some(hints)) => {
                for word in &hints.words {
                    if self.taught.contains(word) {
                        continue;
                    }
                    for (n, phones) in lexicon.pronunciations(word).enumerate() {
                        let name = match n {
                            0 => word.clone(),
                            n => format!("{word}({})", n + 1),
                        };
                        self.add_word(&name, phones)?;
                    }
                    self.taught.insert(word.clone());
                }
                // The phone loop becomes active first, so replacing the hints never frees
                // the active search.
                self.set_search(PHONES_SEARCH)?;
                self.set_grammar(HINTS_SEARCH, &hints.jsgf)?;
                self.set_search(HINTS_SEARCH)
            }
        }
    }

    /// The decoder's current channel estimate (the model's initial one on a new decoder).
    pub fn channel(&mut self) -> Channel {
        let mut channel = vec![0.0; self.channel_len];
        if !channel.is_empty() {
            // SAFETY: a live decoder between utterances; the buffer has the length the
            // helper reported, which is what it writes.
            unsafe { ffi::huashu_ps_cmn_get(self.raw(), channel.as_mut_ptr()) };
        }
        channel
    }

    /// Starts an utterance from the channel estimate `channel` (ignored unless it has this
    /// decoder's length), so the result does not depend on which pooled decoder runs it.
    pub fn start(&mut self, channel: &[f32]) -> Result<(), AsrError> {
        self.end_if_open();
        let set_channel = channel.len() == self.channel_len && !channel.is_empty();
        let ps = self.raw();
        // SAFETY: a live decoder, between utterances; `channel` has the length the helper
        // reported for this decoder when it is passed.
        let ok = unsafe {
            if set_channel {
                ffi::huashu_ps_cmn_set(ps, channel.as_ptr());
            }
            ffi::ps_start_stream(ps) >= 0 && ffi::ps_start_utt(ps) >= 0
        };
        if !ok {
            return Err(AsrError::Decode("could not start an utterance".into()));
        }
        self.in_utterance = true;
        Ok(())
    }

    /// Decodes more audio of the current utterance.
    pub fn process(&mut self, samples: &[i16]) -> Result<(), AsrError> {
        if !self.in_utterance {
            return Err(AsrError::Decode("audio outside an utterance".into()));
        }
        // SAFETY: a live decoder in an utterance; the pointer and length describe
        // `samples`, which the decoder only reads during the call.
        let searched =
            unsafe { ffi::ps_process_raw(self.raw(), samples.as_ptr(), samples.len(), 0, 0) };
        if searched < 0 {
            return Err(AsrError::Decode(
                "PocketSphinx could not process audio".into(),
            ));
        }
        Ok(())
    }

    /// The best hypothesis so far ("" if none).
    pub fn partial(&mut self) -> String {
        self.hypothesis().0
    }

    /// The best hypothesis and its path score.
    fn hypothesis(&mut self) -> (String, c_int) {
        let mut score: c_int = 0;
        // SAFETY: a live decoder; the string it returns is copied before the next call.
        let text = unsafe { words(ffi::ps_get_hyp(self.raw(), &mut score)) };
        (text, score)
    }

    fn end(&mut self) -> Result<(), AsrError> {
        if !self.in_utterance {
            return Err(AsrError::Decode("no utterance to finish".into()));
        }
        self.in_utterance = false;
        // SAFETY: a live decoder in an utterance.
        if unsafe { ffi::ps_end_utt(self.raw()) } < 0 {
            return Err(AsrError::Decode("could not end the utterance".into()));
        }
        Ok(())
    }

    /// Closes an utterance that was abandoned, discarding it.
    fn end_if_open(&mut self) {
        if self.in_utterance {
            self.in_utterance = false;
            // SAFETY: a live decoder in an utterance.
            unsafe { ffi::ps_end_utt(self.raw()) };
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        self.end_if_open();
        // SAFETY: we own the only reference; nothing uses the pointer afterwards.
        unsafe { ffi::ps_free(self.raw()) };
    }
}

/// A hypothesis as plain words: without fillers (`<sil>`, `[noise]`) and pronunciation
/// variant marks (`tomorrow(2)`).
///
/// # Safety
/// `hyp` is NULL or a NUL-terminated string valid for the duration of the call.
unsafe fn words(hyp: *const c_char) -> String {
    if hyp.is_null() {
        return String::new();
    }
    // SAFETY: by this function's contract.
    let raw = unsafe { CStr::from_ptr(hyp) }.to_string_lossy();
    raw.split_whitespace()
        .filter(|w| !w.starts_with('<') && !w.starts_with('['))
        .map(|w| w.split('(').next().unwrap_or(w))
        .collect::<Vec<_>>()
        .join(" ")
}
