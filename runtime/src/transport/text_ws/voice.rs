//! Voice calls on the console's WebSocket (`audio=pcm16` or `audio=opus`): binary frames
//! carry one 20 ms frame of audio each, both ways; all JSON messages of the text protocol
//! keep flowing, typed text included.
//!
//! A frame the server cannot use (a PCM frame that is not 640 bytes, an Opus packet that
//! does not decode) is answered with `bad_message` and skipped: a browser's glitch must not
//! end the customer's call. The first few are reported one by one, then every hundredth.

use axum::extract::ws::{Message, WebSocket};

use super::{
    CLOSE_GOING_AWAY, CLOSE_NORMAL, ClientMessage, ServerMessage, inputs, send, send_outcome,
    send_update,
};
use crate::calls::{VoiceCall, VoiceEvent};
use crate::media::transport_codec::TransportCodec;
use crate::transport::close;

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

pub async fn run(mut socket: WebSocket, call: &mut VoiceCall) {
    call.start().await;
    let mut bad_frames = 0u64;
    loop {
        if !flush(&mut socket, call).await {
            if !call.is_ended() {
                call.hang_up("connection-closed").await;
            }
            return;
        }
        if call.is_over() {
            break;
        }
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Binary(frame))) => {
                    if call.is_ended() {
                        continue;
                    }
                    let problem = match frame_problem(call, frame.len()) {
                        Some(problem) => Some(problem),
                        None => call.media(&frame).await.err().map(|e| e.to_string()),
                    };
                    if let Some(problem) = problem {
                        bad_frames += 1;
                        if (bad_frames <= BAD_FRAMES_REPORTED || bad_frames.is_multiple_of(100))
                            && !send(&mut socket, &ServerMessage::BadMessage {
                                message: format!("skipped an audio frame ({bad_frames} so far): {problem}"),
                            }).await
                        {
                            call.hang_up("connection-closed").await;
                            return;
                        }
                    }
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
                        }
                        Err(why) => {
                            let message = ServerMessage::BadMessage {
                                message: format!("ignored a message: {why}"),
                            };
                            if !send(&mut socket, &message).await {
                                call.hang_up("connection-closed").await;
                                return;
                            }
                        }
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    if !call.is_ended() {
                        call.hang_up("connection-closed").await;
                    }
                    return;
                }
            },
            wake = call.wait() => call.handle(wake).await,
        }
    }
    send_outcome(&mut socket, call.driver().record().outcome.clone()).await;
    let end = call.driver().record().end.as_ref();
    let reason = end.map_or_else(
        || "ended".to_owned(),
        |e| format!("call ended: {}", e.reason),
    );
    let code = match end {
        Some(end) if end.reason == "server-shutdown" => CLOSE_GOING_AWAY,
        _ => CLOSE_NORMAL,
    };
    close(&mut socket, code, &reason).await;
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

/// Sends what the call has for the browser; false if the socket is gone.
async fn flush(socket: &mut WebSocket, call: &mut VoiceCall) -> bool {
    while let Some(event) = call.take_event() {
        let sent = match event {
            VoiceEvent::Frame(payload) => socket
                .send(Message::Binary(payload.bytes().to_vec().into()))
                .await
                .is_ok(),
            // The JSON `stop_playback` in the same update tells the browser to drop what it
            // has buffered; marks are for gateways that report playback.
            VoiceEvent::Clear | VoiceEvent::Mark(_) => true,
            VoiceEvent::Update(update) => send_update(socket, update).await,
        };
        if !sent {
            return false;
        }
    }
    true
}
