//! Transports: the sockets calls arrive on. Each one claims a call with its token, feeds
//! customer input to a [`huashu_calls::CallDriver`] (or, with audio, a
//! [`huashu_calls::VoiceCall`]) and sends back what the bot does.
//!
//! - `text_ws` — the console's call WebSocket: JSON for text calls, plus binary audio
//!   frames (16 kHz PCM or Opus) for voice calls from the browser.
//! - `twilio` — Twilio Media Streams, the protocol telephony gateways speak.
//!
//! Both close their sockets with the codes below, so a client reads them one way.

mod held_messages;
mod text_ws;
mod twilio;

use std::sync::Arc;

use axum::Router;
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::routing::get;
use huashu_calls::CallService;

/// The call sockets' routes, with their state: the call service they claim calls from.
pub fn router(calls: Arc<CallService>) -> Router {
    Router::new()
        .route("/v1/calls/{id}/ws", get(text_ws::connect))
        .route("/v1/calls/twilio", get(twilio::connect))
        .with_state(calls)
}

/// The read buffer of a call's socket. tungstenite zero-fills the free part of its read
/// buffer before every read, so its 128 KiB default cost a 128 KiB memset per 20 ms media
/// message: a quarter of the server's CPU with 600 Twilio calls (perf). A media message is
/// about 400 bytes (Twilio) or 640 (console PCM); 4 KiB holds several, and longer messages
/// still arrive, over several reads.
const READ_BUFFER_BYTES: usize = 4 << 10;

/// The largest message a call's peer may send: 64 KiB is far above any protocol message
/// (a media chunk, typed text), and it bounds what one misbehaving peer makes the server
/// buffer (tungstenite's default is 64 MiB).
const MAX_MESSAGE_BYTES: usize = 64 << 10;

/// A call socket's settings, for every transport.
pub fn call_socket(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
}

/// The call ended; the reason says how.
pub const CLOSE_NORMAL: u16 = 1000;
/// The server is shutting down.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Frames that break the WebSocket protocol itself (an unmasked client frame, a bad opcode).
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// A kind of data the endpoint does not take (binary on a JSON protocol, a media format).
pub const CLOSE_UNSUPPORTED: u16 = 1003;
/// A message that does not parse, or audio that does not decode.
pub const CLOSE_INVALID_PAYLOAD: u16 = 1007;
/// A message out of protocol order, or a required field missing.
pub const CLOSE_POLICY: u16 = 1008;
/// A message over the size limit.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// The call could not be started.
pub const CLOSE_INTERNAL: u16 = 1011;
/// Wrong or unknown token or key.
pub const CLOSE_BAD_TOKEN: u16 = 4001;
/// The tenant is disabled.
pub const CLOSE_FORBIDDEN: u16 = 4003;
/// No call waiting under that id or token, or no such module.
pub const CLOSE_NOT_WAITING: u16 = 4004;
/// The tenant is at its concurrent call quota.
pub const CLOSE_QUOTA: u16 = 4029;

/// Closes `socket` with `code` and `reason` (cut to the protocol's 123 bytes, on a
/// character boundary).
pub async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code,
        reason: reason[..end].into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    // Finish the closing handshake: read (and drop) what the peer still sends until its
    // Close. Dropping the socket with its frames unread would reset the connection, and a
    // reset can destroy our Close frame before the peer reads it.
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Why reading from a call's socket failed.
enum ReadFailure {
    /// The connection is gone (reset, closed under us): nothing can be sent.
    Lost,
    /// The peer's frames broke the WebSocket protocol: close with this code and reason, so
    /// the peer (and its operator's logs) learns why instead of seeing the socket vanish.
    Violation(u16, String),
}

/// Tells a broken connection from a peer that broke the protocol. The WebSocket layer
/// reports both as an error whose text names the kind (tungstenite's error messages).
fn read_failure(error: &axum::Error) -> ReadFailure {
    let text = error.to_string();
    let code = if text.starts_with("UTF-8 encoding error") {
        CLOSE_INVALID_PAYLOAD
    } else if text.starts_with("Space limit exceeded") {
        CLOSE_TOO_BIG
    } else if text.starts_with("WebSocket protocol error") || text.starts_with("Attack attempt") {
        CLOSE_PROTOCOL_ERROR
    } else {
        return ReadFailure::Lost;
    };
    ReadFailure::Violation(code, format!("broken WebSocket frames: {text}"))
}

/// How long a closing socket waits for the peer's Close: a live peer answers within a
/// round trip; a dead one is not waited for long.
const CLOSE_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(2);
