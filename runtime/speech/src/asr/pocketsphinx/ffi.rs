//! Declarations of the parts of Debian's libpocketsphinx and libsphinxbase
//! (0.8+5prealpha) that the decoder uses, copied by hand from the installed headers
//! (`/usr/include/pocketsphinx/pocketsphinx.h`, `ps_search.h`, and
//! `/usr/include/x86_64-linux-gnu/sphinxbase/{cmd_ln,logmath,ckd_alloc,err}.h`).
//!
//! sphinxbase's `int32` is C `int`, its `int16` is `short`, and its `mfcc_t` is `float`
//! (Debian builds it without FIXED_POINT). Linking is done by `runtime/build.rs`
//! (pkg-config), which also compiles the `huashu_ps_cmn_*` helpers from `cmn.c`. Only
//! [`super::decoder`] calls these; it holds the safety contracts. The one safe function
//! here, [`give_back_freed_memory`], is the pool's, for after it freed decoders.

#![allow(non_camel_case_types, clippy::upper_case_acronyms)]

use std::ffi::{c_char, c_int};
use std::marker::{PhantomData, PhantomPinned};

/// Declares an opaque C struct: only ever behind a pointer, neither Send nor Sync.
macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque!(
    ps_decoder_t,
    cmd_ln_t,
    arg_t,
    logmath_t,
    ps_nbest_t,
    ps_seg_t,
    FILE
);

unsafe extern "C" {
    /// The argument definitions `ps_init` understands (static data).
    pub fn ps_args() -> *const arg_t;

    /// Builds a configuration from NULL-terminated name/value string pairs. Unlike
    /// `cmd_ln_parse_r`, which keeps pointers into the caller's argv as hash keys, this
    /// copies every string, so the result does not borrow from the arguments.
    pub fn cmd_ln_init(
        inout_cmdln: *mut cmd_ln_t,
        defn: *const arg_t,
        strict: c_int,
        ...
    ) -> *mut cmd_ln_t;

    /// Releases one reference to a configuration.
    pub fn cmd_ln_free_r(cmdln: *mut cmd_ln_t) -> c_int;

    /// Creates a decoder; it takes its own reference to `config`. NULL on failure.
    pub fn ps_init(config: *mut cmd_ln_t) -> *mut ps_decoder_t;

    /// Releases a decoder and everything it owns (searches, grammars, its config reference).
    pub fn ps_free(ps: *mut ps_decoder_t) -> c_int;

    /// Adds `word` (`word(2)` for a variant) with its space-separated phones. `update`
    /// non-zero also rebuilds the active search; grammars added afterwards see the word
    /// either way. Returns the word id, or < 0 on failure (unknown phone, duplicate).
    pub fn ps_add_word(
        ps: *mut ps_decoder_t,
        word: *const c_char,
        phones: *const c_char,
        update: c_int,
    ) -> c_int;

    /// Adds (or replaces, freeing the old one) the search `name` from a JSGF grammar.
    pub fn ps_set_jsgf_string(
        ps: *mut ps_decoder_t,
        name: *const c_char,
        jsgf_string: *const c_char,
    ) -> c_int;

    /// Makes the search `name` the active one; only between utterances.
    pub fn ps_set_search(ps: *mut ps_decoder_t, name: *const c_char) -> c_int;

    /// Resets stream-wide channel estimates (cepstral mean) to the model's initial values.
    pub fn ps_start_stream(ps: *mut ps_decoder_t) -> c_int;

    pub fn ps_start_utt(ps: *mut ps_decoder_t) -> c_int;

    /// Decodes `n_samples` 16-bit samples. Returns frames searched, or < 0 on error.
    pub fn ps_process_raw(
        ps: *mut ps_decoder_t,
        data: *const i16,
        n_samples: usize,
        no_search: c_int,
        full_utt: c_int,
    ) -> c_int;

    pub fn ps_end_utt(ps: *mut ps_decoder_t) -> c_int;

    /// The best hypothesis so far, or NULL. The string is owned by the decoder and valid
    /// until the next call into it.
    pub fn ps_get_hyp(ps: *mut ps_decoder_t, out_best_score: *mut c_int) -> *const c_char;

    /// Log posterior probability of the final hypothesis (decoder's log base).
    pub fn ps_get_prob(ps: *mut ps_decoder_t) -> c_int;

    /// The decoder's log-math table (owned by the decoder).
    pub fn ps_get_logmath(ps: *mut ps_decoder_t) -> *mut logmath_t;

    /// Converts a log value in the table's base to a linear one.
    pub fn logmath_exp(lmath: *mut logmath_t, logb_p: c_int) -> f64;

    /// An iterator over the N best hypotheses of the last utterance, or NULL.
    pub fn ps_nbest(ps: *mut ps_decoder_t) -> *mut ps_nbest_t;

    /// Advances; returns NULL (and frees the iterator) when there are no more.
    pub fn ps_nbest_next(nbest: *mut ps_nbest_t) -> *mut ps_nbest_t;

    /// The current hypothesis (owned by the iterator) and its path score.
    pub fn ps_nbest_hyp(nbest: *mut ps_nbest_t, out_score: *mut c_int) -> *const c_char;

    /// Frees an iterator that was not run to its end.
    pub fn ps_nbest_free(nbest: *mut ps_nbest_t);

    /// An iterator over the words of the best hypothesis, or NULL.
    pub fn ps_seg_iter(ps: *mut ps_decoder_t) -> *mut ps_seg_t;

    /// Advances; returns NULL (and frees the iterator) at the end.
    pub fn ps_seg_next(seg: *mut ps_seg_t) -> *mut ps_seg_t;

    /// The current segment's word (owned by the iterator, valid until `ps_seg_next`).
    pub fn ps_seg_word(seg: *mut ps_seg_t) -> *const c_char;

    /// The current segment's first and last frame.
    pub fn ps_seg_frames(seg: *mut ps_seg_t, out_sf: *mut c_int, out_ef: *mut c_int);

    /// Length of the decoder's live cepstral-mean estimate (our `cmn.c`), 0 if none.
    pub fn huashu_ps_cmn_len(ps: *mut ps_decoder_t) -> c_int;

    /// Copies the estimate into `out`, which holds `huashu_ps_cmn_len` floats.
    pub fn huashu_ps_cmn_get(ps: *mut ps_decoder_t, out: *mut f32);

    /// Replaces the estimate and its running sums with `values` (`huashu_ps_cmn_len`).
    pub fn huashu_ps_cmn_set(ps: *mut ps_decoder_t, values: *const f32);

    /// Sets sphinxbase's process-wide log stream; NULL silences it.
    pub fn err_set_logfp(stream: *mut FILE);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc: returns free memory at the top of every heap, and free whole pages inside
    /// them, to the system. Returns 1 if any was released.
    fn malloc_trim(pad: usize) -> c_int;
}

/// After decoders were freed: hands the pages they used back to the system. Decoders are
/// built on recognition threads, so their memory lies in glibc's per-thread heaps, which
/// keep freed pages for reuse unless asked; without this a quiet server's resident size
/// would stay at its busiest. Costs a walk over the heaps (about a millisecond), done only
/// when decoders were freed.
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointers and is thread-safe (it locks each heap).
    unsafe {
        malloc_trim(0);
    }
}
