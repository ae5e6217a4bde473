//! Writing to the call's log: lines appear in the call record's timeline and in the console.
//!
//! Call the functions (`huashu_sdk::log::info("…")`) or, to format, the macros
//! (`huashu_sdk::info!("rating {}", r)`). Outside the host (native unit tests) lines go to
//! standard error instead, so handlers that log can be tested with `cargo test`.

pub use crate::bindings::huashu::dialogue::log::Level;

/// Write one line at `level`. Lines past the host's length limit are cut.
pub fn write(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::huashu::dialogue::log::write(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// Write a debug line.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message.as_ref());
}

/// Write an info line.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message.as_ref());
}

/// Write a warning.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warn, message.as_ref());
}

/// Write an error line.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message.as_ref());
}

/// Log a formatted debug line: `huashu_sdk::debug!("state {:?}", state)`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::debug(::std::format!($($arg)*)) };
}

/// Log a formatted info line: `huashu_sdk::info!("rating {}", rating)`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::info(::std::format!($($arg)*)) };
}

/// Log a formatted warning: `huashu_sdk::warn!("unexpected key {}", key)`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::warn(::std::format!($($arg)*)) };
}

/// Log a formatted error line: `huashu_sdk::error!("kv failed: {}", e)`.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::error(::std::format!($($arg)*)) };
}
