//! A damaged data directory: refused at open with an error that names the directory and
//! says what to do, never a panic, and never a start on a silently shortened database.
//!
//! sled 0.34 meets damaged files in three ways, and each has its answer here:
//!
//! - It returns an error (a snapshot file that fails its checksum, an unreadable `conf`):
//!   [`open_error`] says which file is damaged and what to do about it.
//! - It panics while replaying its log (seen: a `db` file whose segments were reused, cut
//!   at a segment boundary; a blob file that does not match its log entry): [`catching`]
//!   turns the panic into an error.
//! - It takes the damage for a crash that tore the last writes and opens what comes before
//!   it, silently: a `db` file truncated to half or to nothing, a bad checksum in the middle
//!   (everything after it is dropped), blob files that fail their checksum (sled deletes
//!   them). Every write the store acknowledges also counts up a *generation* kept in the
//!   database, and at each clean start and stop the store writes the generation it holds to
//!   [`MARK_FILE`] beside sled's files. A database holding fewer writes than that file says
//!   it had is missing acknowledged writes: [`check_generation`] refuses it.
//!
//! The last check is a lower bound: it sees every write acknowledged up to the last clean
//! start or stop, not writes made after it by a process that was then killed, and nothing
//! at all in a directory whose mark file was deleted. A deleted blob file sled reads as a
//! value that is not there; the store reports it where an index says it must be (module
//! bytes, prompts' WAV).

use std::any::Any;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use huashu_store::StoreError;

use crate::keys::{backend, corrupt};

/// The file beside sled's that holds the generation the store had at its last clean start
/// or stop (decimal, one line).
pub const MARK_FILE: &str = "huashu-generation";

/// In the `meta` tree: the generation, how many durable writes the store has acknowledged
/// (u64, big endian).
const GENERATION_KEY: &[u8] = b"generation";

/// sled's configuration file in the data directory.
const CONF_FILE: &str = "conf";

/// What every "damaged" error ends with: what the operator should do.
const RESTORE: &str = "the data directory is damaged: stop here, keep a copy of it as it is, \
     and restore the directory from a backup (all of it, huashu-generation included)";

/// The error for a damaged directory: `detail` says what is wrong, the rest what to do.
pub fn damaged(dir: &Path, detail: impl std::fmt::Display) -> StoreError {
    corrupt_dir(dir, format!("{detail}; {RESTORE}"))
}

/// The error for a damaged directory, with `detail` saying what to do itself.
fn corrupt_dir(dir: &Path, detail: String) -> StoreError {
    StoreError::Corrupt {
        what: what(dir),
        detail,
    }
}

/// What a [`StoreError::Corrupt`] about the whole of `dir` names.
pub fn what(dir: &Path) -> String {
    format!("data directory {}", dir.display())
}

/// Runs `open` (sled's open and the first reads), turning a panic inside it into the error
/// for a damaged `dir`. Whatever `open` built is dropped while unwinding, so nothing that
/// saw the panic is used afterwards.
///
/// The panic hook still runs first: the default one prints the panic message and maybe a
/// backtrace on stderr. A program that wants only the error (the `huashu serve` start-up)
/// swaps the hook around its call of `SledStore::open`.
pub fn catching<T>(
    dir: &Path,
    open: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(open)).unwrap_or_else(|payload| {
        Err(damaged(
            dir,
            format!(
                "sled cannot recover its database files ({})",
                // One line: an assertion's message spans several.
                panic_message(payload.as_ref())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ))
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "no message"
    }
}

/// The error for sled failing to open `dir` with `error` (not a panic).
pub fn open_error(dir: &Path, config: &sled::Config, error: sled::Error) -> StoreError {
    if conf_is_damaged(dir, config) {
        return corrupt_dir(
            dir,
            format!(
                "sled's configuration file {} is damaged (sled: {error}). huashu writes the \
                 same one for every directory, so deleting that file lets the next start \
                 write it again; if that start reports more damage, {RESTORE}",
                dir.join(CONF_FILE).display()
            ),
        );
    }
    match error {
        sled::Error::Corruption { .. } => {
            damaged(dir, "sled found data in its files that fails its checksum")
        }
        other => StoreError::Open(format!("{}: {other}", dir.display())),
    }
}

/// Whether `dir` has a `conf` that is not the one sled writes for `config`. sled reads an
/// empty or missing one as "new" and writes it again; anything else it must parse, and a
/// damaged one makes it fail with a misleading message ("created using a sled version
/// earlier than 0.29").
fn conf_is_damaged(dir: &Path, config: &sled::Config) -> bool {
    let Ok(bytes) = std::fs::read(dir.join(CONF_FILE)) else {
        return false;
    };
    // sled's own threshold: up to 8 bytes is an empty file, which it replaces.
    if bytes.len() <= 8 {
        return false;
    }
    // The text, then a 4-byte checksum that sled only warns about.
    let text = &bytes[..bytes.len() - 4];
    let expected = format!(
        "segment_size: {}\nuse_compression: {}\nversion: {}.{}\n",
        config.segment_size, config.use_compression, config.version.0, config.version.1
    );
    text != expected.as_bytes()
}

/// Refuses a database that holds fewer acknowledged writes than `dir`'s mark file says it
/// had (`stored` is the generation in the database, `None` if it has none), or that lost
/// its layout record although the directory was opened before (`has_layout`).
pub fn check_generation(
    dir: &Path,
    has_layout: bool,
    stored: Option<u64>,
) -> Result<(), StoreError> {
    let Some(marked) = read_mark(dir)? else {
        return Ok(());
    };
    let stored = stored.unwrap_or(0);
    if !has_layout {
        return Err(damaged(
            dir,
            format!(
                "the database files hold no huashu data, but {} says the store had {marked} \
                 acknowledged writes: they were emptied, truncated or replaced",
                mark_path(dir).display()
            ),
        ));
    }
    if stored < marked {
        return Err(damaged(
            dir,
            format!(
                "the database files hold {stored} acknowledged writes, but {} says the store \
                 had {marked}: they were truncated or damaged, and sled dropped the rest \
                 (if you restored only the database files from a backup on purpose, restore \
                 the backup's {MARK_FILE} with them)",
                mark_path(dir).display()
            ),
        ));
    }
    Ok(())
}

/// The generation stored in `meta`, `None` if none was (a new directory, or one written
/// before generations were counted).
pub fn stored_generation(meta: &sled::Tree) -> Result<Option<u64>, StoreError> {
    let Some(bytes) = meta.get(GENERATION_KEY).map_err(backend)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = bytes
        .as_ref()
        .try_into()
        .map_err(|_| corrupt("the store's generation", "not 8 bytes"))?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

/// Stores `generation` in `meta`, after the write it counts (so a log cut short before
/// that write loses the count too). Concurrent writers may store their numbers out of
/// order, leaving a smaller one: harmless, since the mark file is only ever written from
/// the stored value.
pub fn store_generation(meta: &sled::Tree, generation: u64) -> Result<(), StoreError> {
    meta.insert(GENERATION_KEY, &generation.to_be_bytes())
        .map(drop)
        .map_err(backend)
}

fn mark_path(dir: &Path) -> PathBuf {
    dir.join(MARK_FILE)
}

/// The generation in `dir`'s mark file; `None` if there is none (a directory from a build
/// before the mark, or one never opened).
fn read_mark(dir: &Path) -> Result<Option<u64>, StoreError> {
    let path = mark_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(StoreError::Open(format!(
                "{}: cannot read {}: {error}",
                dir.display(),
                path.display()
            )));
        }
    };
    text.trim().parse().map(Some).map_err(|_| {
        damaged(
            dir,
            format!(
                "{} does not hold a number of writes (it is {} bytes of something else)",
                path.display(),
                text.len()
            ),
        )
    })
}

/// Replaces `dir`'s mark file with `generation`: written aside, synced, then renamed over
/// the old one, so a crash leaves either the old mark or the new one (both lower bounds).
pub fn write_mark(dir: &Path, generation: u64) -> std::io::Result<()> {
    let path = mark_path(dir);
    let aside = dir.join(format!("{MARK_FILE}.new"));
    let mut file = std::fs::File::create(&aside)?;
    writeln!(file, "{generation}")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&aside, &path)
}
