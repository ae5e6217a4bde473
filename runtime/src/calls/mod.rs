//! Calls on the server: creating them (module resolution, quotas, single-use connect
//! tokens), starting them (a fresh sandbox instance and a session), driving them in real
//! time for a transport, and persisting their records when they end.
//!
//! Transports (`crate::transport`) own the sockets; they claim a call with its token and
//! feed a [`CallDriver`]. Nothing here knows about WebSockets.

mod driver;
mod lifecycle;
mod metered_script;
mod module_cache;
mod service;

pub use driver::{CallDriver, DriverUpdate};
pub use service::{CallError, CallService, CreatedCall, NewCall, PendingCall, ServiceConfig};
