//! Transports: the sockets calls arrive on. Each one claims a call with its token, feeds
//! customer input to a [`crate::calls::CallDriver`] and sends back what the bot does.
//!
//! - [`text_ws`] — the JSON WebSocket protocol for text calls (browser console, tests).

pub mod text_ws;
