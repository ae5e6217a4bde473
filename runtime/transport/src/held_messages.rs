//! What a call's socket sends while its script is busy: kept in order, within a bound, for
//! the loop to act on once the event is over, so that a hang-up is seen at once (shared by
//! the text, browser and Twilio loops).

use std::collections::VecDeque;

use axum::extract::ws::{Message, WebSocket};

/// One read from a call's socket.
pub(crate) type Received = Option<Result<Message, axum::Error>>;

/// Messages read from a call's socket while its script was busy, kept in order for the
/// loop to act on once the event is over (shared by the text, browser and Twilio loops).
#[derive(Default)]
pub(crate) struct Held {
    messages: VecDeque<Received>,
    /// What the kept messages weigh ([`weight`]).
    bytes: usize,
}

/// The most a busy call keeps of what its peer sends. 512 KiB is 30 s of Twilio `media`
/// messages (about 350 bytes each) or 16 s of the console's PCM frames (640 bytes): more
/// than the 10 s the longest event may take. Past it the socket is not read until the
/// event ends (as before any of this was kept), so a peer cannot make a busy call buffer
/// more.
const HELD_BYTES: usize = 512 << 10;

/// What a kept message counts for: its payload, plus a little for the message itself so
/// that a flood of empty ones is bounded too.
fn weight(message: &Received) -> usize {
    const OVERHEAD: usize = 64;
    OVERHEAD
        + match message {
            Some(Ok(Message::Text(text))) => text.len(),
            Some(Ok(Message::Binary(bytes) | Message::Ping(bytes) | Message::Pong(bytes))) => {
                bytes.len()
            }
            _ => 0,
        }
}

impl Held {
    /// The next message: the oldest kept one, else the socket's next. Cancel-safe.
    pub(crate) async fn next(&mut self, socket: &mut WebSocket) -> Received {
        match self.messages.pop_front() {
            Some(message) => {
                self.bytes -= weight(&message);
                message
            }
            None => socket.recv().await,
        }
    }

    /// Reads the socket until a message ends the call (`ends` says how; that message is
    /// not kept), keeping every other one. Stops reading, without completing, once
    /// [`HELD_BYTES`] are kept or a read failed. Cancel-safe: a message read is kept
    /// before the next wait.
    pub(crate) async fn until_end<T>(
        &mut self,
        socket: &mut WebSocket,
        ends: impl Fn(&Received) -> Option<T>,
    ) -> T {
        loop {
            let failed = matches!(self.messages.back(), Some(Some(Err(_))));
            if self.bytes >= HELD_BYTES || failed {
                return std::future::pending().await;
            }
            let message = socket.recv().await;
            if let Some(end) = ends(&message) {
                return end;
            }
            self.bytes += weight(&message);
            self.messages.push_back(message);
        }
    }
}
