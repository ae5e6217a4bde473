//! Calls on the server: creating them (module resolution, quotas, single-use connect
//! tokens), starting them (a fresh sandbox instance and a session), driving them in real
//! time for a transport, and persisting their records when they end.
//!
//! Transports own the sockets; they claim a call with its token and feed a [`CallDriver`],
//! or for calls with audio a [`VoiceCall`] (`voice`), which adds the media and speech
//! stages around the driver and runs on the one loop every audio transport shares
//! ([`run_voice_call`] over a [`VoiceWire`]). Nothing here knows about sockets.

mod driver;
mod http_calls;
mod lifecycle;
mod metered_script;
mod module_cache;
mod service;
mod stored_prompts;
mod telephony;
mod voice;

pub use driver::{CallDriver, DriverUpdate};
pub use http_calls::effective_allowlist;
pub use service::{CallError, CallService, CreatedCall, NewCall, PendingCall, ServiceConfig};
pub use telephony::{DialError, DialFuture, DialRequest, Dialer};
pub use voice::{
    VoiceCall, VoiceEvent, VoiceServices, VoiceWire, Wake, WireClose, WireStep, run_voice_call,
};
