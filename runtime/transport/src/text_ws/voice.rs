//! Voice calls on the console's WebSocket (`audio=pcm16` or `audio=opus`): binary frames
//! carry one 20 ms frame of audio each, both ways; all JSON messages of the text protocol
//! keep flowing, typed text included.
//!
//! A frame the server cannot use (a PCM frame that is not 640 bytes, an Opus packet that
//! does not decode) is answered with `bad_message` and skipped: a browser's glitch must not
//! end the customer's call. The first few are reported one by one, then every hundredth.

use axum::extract::ws::{Message, WebSocket};

use super::{
    CLOSE_GOING_AWAY, CLOSE_NORMAL, CUSTOMER_HUNG_UP, ClientMessage, EndedMeanwhile, Received,
    ServerMessage, ends_text_call, inputs, send, send_outcome, send_update,
};
use crate::held_messages::Held;
use crate::{ReadFailure, close, read_failure};
use huashu_calls::{VoiceCall, VoiceEvent, VoiceWire, WireClose, WireStep, run_voice_call};
use huashu_media::transport_codec::TransportCodec;

/// Bad frames reported one by one before only every hundredth is.
const BAD_FRAMES_REPORTED: u64 = 5;

/// One 20 ms frame of 16 kHz 16-bit mono PCM.
const PCM_FRAME_BYTES: usize = 640;

/// The codec an `audio=` value asks for.
pub fn codec(audio: &str) -> Result<TransportCodec, String> {
    match audio {
        "pcm16" => Ok(TransportCodec::Pcm16k),
        "opus" => Ok(TransportCodec::Opus48k),
        other => Err(format!(
            "audio=`{other}` is not supported: use pcm16 or opus"
        )),
    }
}

/// Runs a voice call on the console's socket until it ends.
pub async fn run(socket: WebSocket, call: &mut VoiceCall) {
    let mut wire = BrowserWire {
        socket,
        bad_frames: 0,
        held: Held::default(),
    };
    run_voice_call(&mut wire, call).await;
}

/// The console's call socket with audio, as a [`VoiceWire`].
struct BrowserWire {
    socket: WebSocket,
    /// Audio frames skipped so far (reported sparingly).
    bad_frames: u64,
    /// Messages that arrived while the script was busy, for `recv` to hand out first.
    held: Held,
}

impl BrowserWire {
    /// Tells the browser a message was ignored; `Lost` if the socket is gone.
    async fn report(&mut self, message: String) -> WireStep {
        if send(&mut self.socket, &ServerMessage::BadMessage { message }).await {
            WireStep::Continue
        } else {
            WireStep::Lost
        }
    }
}

impl VoiceWire for BrowserWire {
    type Message = Option<Result<Message, axum::Error>>;

    async fn recv(&mut self) -> Self::Message {
        self.held.next(&mut self.socket).await
    }

    async fn ended_meanwhile(&mut self) -> WireStep {
        let ends = |message: &Received| {
            ends_text_call(message).map(|end| match end {
                EndedMeanwhile::HungUp => WireStep::HungUp(CUSTOMER_HUNG_UP),
                EndedMeanwhile::Lost => WireStep::Lost,
            })
        };
        self.held.until_end(&mut self.socket, ends).await
    }

    async fn apply(&mut self, message: Self::Message, call: &mut VoiceCall) -> WireStep {
        match message {
            Some(Ok(Message::Binary(frame))) => {
                if call.is_ended() {
                    return WireStep::Continue;
                }
                let problem = match frame_problem(call, frame.len()) {
                    Some(problem) => Some(problem),
                    None => call.media(&frame).await.err().map(|e| e.to_string()),
                };
                let Some(problem) = problem else {
                    return WireStep::Continue;
                };
                self.bad_frames += 1;
                let bad_frames = self.bad_frames;
                if bad_frames <= BAD_FRAMES_REPORTED || bad_frames.is_multiple_of(100) {
                    return self
                        .report(format!(
                            "skipped an audio frame ({bad_frames} so far): {problem}"
                        ))
                        .await;
                }
                WireStep::Continue
            }
            Some(Ok(Message::Text(text))) => {
                let parsed = serde_json::from_str::<ClientMessage>(&text)
                    .map_err(|e| e.to_string())
                    .and_then(inputs);
                match parsed {
                    Ok(inputs) => {
                        for input in inputs {
                            if !call.is_ended() {
                                call.input(input).await;
                            }
                        }
                        WireStep::Continue
                    }
                    Err(why) => self.report(format!("ignored a message: {why}")).await,
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => WireStep::Continue,
            Some(Err(error)) => match read_failure(&error) {
                ReadFailure::Violation(code, reason) => WireStep::Violation { code, reason },
                ReadFailure::Lost => WireStep::Lost,
            },
            Some(Ok(Message::Close(_))) | None => WireStep::Lost,
        }
    }

    async fn send(&mut self, event: VoiceEvent, _call: &mut VoiceCall) -> bool {
        match event {
            VoiceEvent::Frame(payload) => self
                .socket
                .send(Message::Binary(payload.bytes().to_vec().into()))
                .await
                .is_ok(),
            // The JSON `stop_playback` in the same update tells the browser to drop what it
            // has buffered; marks are for gateways that report playback.
            VoiceEvent::Clear | VoiceEvent::Mark(_) => true,
            VoiceEvent::Update(update) => send_update(&mut self.socket, update).await,
        }
    }

    async fn close(&mut self, call: &mut VoiceCall, why: WireClose) {
        let (code, reason) = match why {
            WireClose::Violation { code, reason } => (code, reason),
            WireClose::CallOver | WireClose::HungUp(_) => {
                send_outcome(&mut self.socket, call.driver().record().outcome.clone()).await;
                let end = call.driver().record().end.as_ref();
                let reason = end.map_or_else(
                    || "ended".to_owned(),
                    |e| format!("call ended: {}", e.reason),
                );
                let code = match end {
                    Some(end) if end.reason == "server-shutdown" => CLOSE_GOING_AWAY,
                    _ => CLOSE_NORMAL,
                };
                (code, reason)
            }
        };
        close(&mut self.socket, code, &reason).await;
    }
}

/// What is wrong with a binary frame of `len` bytes before decoding it, if anything.
fn frame_problem(call: &VoiceCall, len: usize) -> Option<String> {
    match call.codec() {
        TransportCodec::Pcm16k if len != PCM_FRAME_BYTES => Some(format!(
            "a pcm16 frame has {PCM_FRAME_BYTES} bytes (20 ms of 16 kHz 16-bit mono), not {len}"
        )),
        TransportCodec::Opus48k if len == 0 => Some("an empty Opus packet".into()),
        _ => None,
    }
}
