//! The one loop every audio transport runs: Twilio Media Streams, the browser's audio
//! WebSocket, and any transport to come. A transport says only how its wire reads and
//! writes ([`VoiceWire`]); the loop decides when to send, when to wait and how a call ends,
//! so every transport keeps the same timing and the same hang-up rules.
//!
//! ```text
//! loop:  send everything the call has (frames, marks, clear, updates)
//!        call over?  → the wire closes with the call's end reason
//!        wait for the first of: a message from the wire │ the call's own wake-up
//!                                (audio, DTMF, text…)   │ (pacer, recogniser, timers)
//! ```
//!
//! Waiting is cancel-safe on both sides; what a message or a wake-up does to the call is
//! never raced against anything, so a script is never interrupted half-way through an event.

use std::future::Future;

use huashu_session::CallerInput;

use super::{VoiceCall, VoiceEvent};

/// What one message from the far end meant for the call.
#[derive(Debug, PartialEq, Eq)]
pub enum WireStep {
    /// Keep going.
    Continue,
    /// The far end ended the call (Twilio `stop`, a hang-up message), for this reason.
    HungUp(&'static str),
    /// The connection is gone; nothing more can be sent on it.
    Lost,
    /// The far end broke the wire's protocol: close with this code and reason.
    Violation {
        /// The close code the far end reads.
        code: u16,
        /// Why, in words for the far end's logs.
        reason: String,
    },
}

/// Why the loop is closing the wire, for [`VoiceWire::close`].
#[derive(Debug)]
pub enum WireClose {
    /// The call ended on our side (the script hung up, a limit, server shutdown): its
    /// record's end says why.
    CallOver,
    /// The far end ended the call ([`WireStep::HungUp`]).
    HungUp(&'static str),
    /// The far end broke the protocol ([`WireStep::Violation`]).
    Violation {
        /// The close code.
        code: u16,
        /// Why.
        reason: String,
    },
}

/// How one audio transport reads and writes its wire.
pub trait VoiceWire: Send {
    /// One message as the wire delivers it.
    type Message: Send;

    /// Waits for the next message. Must be cancel-safe: the loop drops it when the call
    /// wakes first, and calls it again.
    fn recv(&mut self) -> impl Future<Output = Self::Message> + Send;

    /// Acts on one message: audio into [`VoiceCall::media`], input into
    /// [`VoiceCall::input`], and says what it meant.
    fn apply(
        &mut self,
        message: Self::Message,
        call: &mut VoiceCall,
    ) -> impl Future<Output = WireStep> + Send;

    /// Sends one thing the call has for the far end; false if the connection is gone.
    fn send(
        &mut self,
        event: VoiceEvent,
        call: &mut VoiceCall,
    ) -> impl Future<Output = bool> + Send;

    /// Closes the wire at the end of the call, saying why in the wire's own terms.
    fn close(&mut self, call: &mut VoiceCall, why: WireClose) -> impl Future<Output = ()> + Send;
}

/// The reason a call ends with when its connection is lost.
const CONNECTION_CLOSED: &str = "connection-closed";

/// Runs `call` over `wire` until the call ends or the wire goes away; see the module docs.
pub async fn run_voice_call<W: VoiceWire>(wire: &mut W, call: &mut VoiceCall) {
    call.start().await;
    loop {
        if !flush(wire, call).await {
            return lost(call).await;
        }
        if call.is_over() {
            break;
        }
        tokio::select! {
            message = wire.recv() => match wire.apply(message, call).await {
                WireStep::Continue => {}
                WireStep::HungUp(reason) => {
                    if !call.is_ended() {
                        call.input(CallerInput::HangUp { reason: reason.into() }).await;
                    }
                    return wire.close(call, WireClose::HungUp(reason)).await;
                }
                WireStep::Lost => return lost(call).await,
                WireStep::Violation { code, reason } => {
                    tracing::warn!(code, %reason, "closing a call whose far end broke the protocol");
                    if !call.is_ended() {
                        call.hang_up(&format!("protocol-error: {reason}")).await;
                    }
                    return wire.close(call, WireClose::Violation { code, reason }).await;
                }
            },
            wake = call.wait() => call.handle(wake).await,
        }
    }
    wire.close(call, WireClose::CallOver).await;
}

/// Sends everything the call has for the far end; false if the connection is gone.
async fn flush<W: VoiceWire>(wire: &mut W, call: &mut VoiceCall) -> bool {
    while let Some(event) = call.take_event() {
        if !wire.send(event, call).await {
            return false;
        }
    }
    true
}

async fn lost(call: &mut VoiceCall) {
    if !call.is_ended() {
        call.hang_up(CONNECTION_CLOSED).await;
    }
}
