//! The one loop every audio transport runs: Twilio Media Streams, the browser's audio
//! WebSocket, and any transport to come. A transport says only how its wire reads and
//! writes ([`VoiceWire`]); the loop decides when to send, when to wait and how a call ends,
//! so every transport keeps the same timing and the same hang-up rules.
//!
//! ```text
//! loop:  send everything the call has (frames, marks, clear, updates)
//!        call over?  → the wire closes with the call's end reason
//!        input waiting?  → deliver it                           ┐ the script may run:
//!        else wait for the first of: a message from the wire │  │ the wire is watched
//!                                    (audio, DTMF, text…)     │  │ for a hang-up
//!                                    the call's own wake-up  ─┼─►┘ meanwhile
//!                                    (pacer, recogniser, timers)
//! ```
//!
//! Waiting is cancel-safe on both sides. A wire acting on a message only hands input to
//! the call ([`VoiceCall::input`]); the script runs when the loop delivers it, or on one of
//! the call's own wake-ups, and meanwhile the loop watches the wire for the far end ending
//! the call ([`VoiceWire::ended_meanwhile`]). If it does, the call's work is dropped in the
//! middle, the script is cut off mid-event and never called again, and the call ends at
//! once ([`VoiceCall::end_now`]): a script a tenant allows 10 s per event cannot keep a
//! hung-up call, its record and its quota slot, open.

use std::future::Future;

use huashu_contract::Party;

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
    /// wakes first, and calls it again. Messages [`Self::ended_meanwhile`] kept come first.
    fn recv(&mut self) -> impl Future<Output = Self::Message> + Send;

    /// While the script is busy with an event, waits for the far end to end the call:
    /// [`WireStep::HungUp`] or [`WireStep::Lost`]. Every other message that arrives meanwhile
    /// is kept, in order, for [`Self::recv`] (up to a bound; beyond it the wire is not read
    /// until the event is over). Must be cancel-safe: the loop drops it when the event ends.
    /// The default never completes: the end is then noticed once the event is over.
    fn ended_meanwhile(&mut self) -> impl Future<Output = WireStep> + Send {
        std::future::pending()
    }

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
    if let Some(end) = while_busy(wire, call.start()).await {
        return ended_meanwhile(wire, call, end).await;
    }
    loop {
        if !flush(wire, call).await {
            return lost(call).await;
        }
        if call.is_over() {
            break;
        }
        let ended = if call.has_input() {
            while_busy(wire, call.deliver_input()).await
        } else {
            tokio::select! {
                message = wire.recv() => match wire.apply(message, call).await {
                    WireStep::Continue => None,
                    WireStep::HungUp(reason) => {
                        if !call.is_ended() {
                            call.end_now(Party::Customer, reason).await;
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
                wake = call.wait() => while_busy(wire, call.handle(wake)).await,
            }
        };
        if let Some(end) = ended {
            return ended_meanwhile(wire, call, end).await;
        }
    }
    wire.close(call, WireClose::CallOver).await;
}

/// Runs `work` (what input or a wake-up does to the call: the script may be busy in it
/// for as long as its tenant allows an event) while watching the wire for the far end
/// ending the call. Returns that end if it came first: `work` was then dropped in the
/// middle, and the call must end with [`VoiceCall::end_now`] ([`ended_meanwhile`]).
///
/// `work` is polled first: most of it (a frame due, a quick event) is done at once, and
/// the wire is only looked at while the script is really busy.
async fn while_busy<W: VoiceWire>(
    wire: &mut W,
    work: impl Future<Output = ()> + Send,
) -> Option<WireStep> {
    tokio::select! {
        biased;
        () = work => None,
        end = wire.ended_meanwhile() => Some(end),
    }
}

/// The far end ended the call while its work was dropped mid-way ([`while_busy`]): ends
/// the call (cutting the script off if it was mid-event) and closes the wire as the end
/// calls for.
async fn ended_meanwhile<W: VoiceWire>(wire: &mut W, call: &mut VoiceCall, end: WireStep) {
    match end {
        WireStep::HungUp(reason) => {
            call.end_now(Party::Customer, reason).await;
            wire.close(call, WireClose::HungUp(reason)).await;
        }
        // The wire is gone (`Lost`), or a wire broke its contract: either way the call
        // cannot go on, and there is no one to say why to.
        _ => call.end_now(Party::Host, CONNECTION_CLOSED).await,
    }
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
