//! Opening the embedded store's data directory for a command (`serve`, `replay --data`),
//! with a damaged directory reported as one `error:` line rather than a panic.

use std::path::Path;
use std::sync::Arc;

use huashu_store_sled::SledStore;

/// Opens the store in `dir`, keeping sled's panics off stderr.
///
/// sled 0.34 panics on some damaged files instead of returning an error. `SledStore::open`
/// catches the panic and returns an error that names the directory and says what to do,
/// which `main` prints as `error: …` before exiting with 2. But the panic hook runs before
/// the panic is caught, and the default one would first print `thread 'main' panicked at
/// …` (and a backtrace with `RUST_BACKTRACE`), which reads as a crash of huashu rather
/// than a damaged data directory. So for this call only, panics on this thread are not
/// printed. This runs at start-up on the main thread, before the async runtime or any
/// other thread of ours exists; a panic on another thread (sled's own) still goes to the
/// default hook, and the hook is put back before anything else runs.
pub fn open_store(dir: &Path) -> anyhow::Result<SledStore> {
    let opener = std::thread::current().id();
    let default_hook = Arc::new(std::panic::take_hook());
    let previous = default_hook.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != opener {
            previous(info);
        }
    }));
    let opened = SledStore::open(dir);
    // Taking the quiet hook back waits for any panic running through it, and dropping it
    // drops its handle on the default hook, so that one can be put back as it was (the
    // fallback only keeps this free of an unwrap).
    drop(std::panic::take_hook());
    match Arc::try_unwrap(default_hook) {
        Ok(hook) => std::panic::set_hook(hook),
        Err(shared) => std::panic::set_hook(Box::new(move |info| shared(info))),
    }
    // The store's errors name the directory and what to do.
    Ok(opened?)
}
