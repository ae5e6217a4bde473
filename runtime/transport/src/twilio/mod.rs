//! Twilio Media Streams, `GET /v1/calls/twilio`: the WebSocket protocol Twilio (and the
//! many gateways and PBXs that copy it) use to carry a phone call's audio. Its reference
//! is `docs/protocols/twilio-media-streams.md`.
//!
//! In: `connected`, `start` (which names the call: see [`admission`]), `media` (base64
//! mu-law, 8 kHz, 20 ms a message), `dtmf`, `mark` (our marks, echoed once played),
//! `stop`. Out: `media` (the bot's audio, one 20 ms frame every 20 ms), `mark` after each
//! utterance, `clear` on barge-in. Unknown events are logged and ignored.
//!
//! Bad input closes the stream with a reason the gateway logs: JSON that does not parse or
//! audio that does not decode (1007), a message out of order such as `media` before
//! `start` (1008), binary frames or an unsupported media format (1003), and the admission
//! codes of [`crate`] for keys, modules and quotas. The call, if it had
//! started, ends with that reason in its record; the server goes on.

mod admission;
mod messages;

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tracing::Instrument;

use self::messages::{Inbound, OutMark, OutMedia, Outbound, Start};
use super::{
    CLOSE_INTERNAL, CLOSE_INVALID_PAYLOAD, CLOSE_NORMAL, CLOSE_POLICY, CLOSE_UNSUPPORTED,
    ReadFailure, close, read_failure,
};
use crate::held_messages::{Held, Received};
use std::sync::Arc;

use huashu_calls::CallService;
use huashu_calls::{VoiceCall, VoiceEvent, VoiceWire, WireClose, WireStep, run_voice_call};
use huashu_contract::TransferResult;
use huashu_session::{CallerInput, Output};

/// How long a gateway may take between connecting and `start`.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The most audio one `media` message may carry: 1,600 bytes is 200 ms of 8 kHz G.711.
/// Twilio sends 160 (20 ms); ten times that allows other gateways' larger chunks, while a
/// bigger payload means a broken peer.
const MAX_MEDIA_BYTES: usize = 1_600;

/// The longest base64 text a payload of at most [`MAX_MEDIA_BYTES`] takes.
const MAX_MEDIA_BASE64: usize = MAX_MEDIA_BYTES.div_ceil(3) * 4;

pub async fn connect(ws: WebSocketUpgrade, State(calls): State<Arc<CallService>>) -> Response {
    super::call_socket(ws).on_upgrade(move |socket| serve(socket, calls))
}

/// A reason to close the stream: code and words.
struct Violation(u16, String);

async fn serve(mut socket: WebSocket, calls: Arc<CallService>) {
    let (start, stream_sid) = match wait_for_start(&mut socket).await {
        Ok(start) => start,
        Err(Violation(code, reason)) => {
            tracing::info!(code, %reason, "Twilio stream refused before start");
            return close(&mut socket, code, &reason).await;
        }
    };
    let codec = match admission::codec(&start) {
        Ok(codec) => codec,
        Err(refusal) => return close(&mut socket, refusal.code, &refusal.reason).await,
    };
    let pending = match admission::admit(&calls, &start).await {
        Ok(pending) => pending,
        Err(refusal) => {
            tracing::info!(code = refusal.code, reason = %refusal.reason, "Twilio stream refused");
            return close(&mut socket, refusal.code, &refusal.reason).await;
        }
    };
    let (call_sid, account_sid) = (start.call_sid.clone(), start.account_sid.clone());
    let mut call = match calls.start_voice(pending, codec).await {
        Ok(call) => call,
        Err(error) => {
            tracing::error!(%error, "cannot start a Twilio call");
            return close(&mut socket, CLOSE_INTERNAL, &error.to_string()).await;
        }
    };
    let span = call.driver().span().clone();
    span.in_scope(|| tracing::info!(%call_sid, %account_sid, %stream_sid, "Twilio stream started"));
    let mut wire = TwilioWire {
        socket,
        stream_sid,
        audio: [0; MAX_MEDIA_BASE64 / 4 * 3],
        held: Held::default(),
    };
    run_voice_call(&mut wire, &mut call).instrument(span).await;
}

/// Reads `connected` (optional) and `start`.
async fn wait_for_start(socket: &mut WebSocket) -> Result<(Start, String), Violation> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.recv())
            .await
            .map_err(|_| {
                Violation(
                    CLOSE_POLICY,
                    format!("no `start` message within {} s", START_TIMEOUT.as_secs()),
                )
            })?;
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => return Err(binary_frame()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Err(error)) => {
                return Err(match read_failure(&error) {
                    ReadFailure::Violation(code, reason) => Violation(code, reason),
                    ReadFailure::Lost => Violation(CLOSE_NORMAL, "closed before start".into()),
                });
            }
            Some(Ok(Message::Close(_))) | None => {
                return Err(Violation(CLOSE_NORMAL, "closed before start".into()));
            }
        };
        match parse(&text)? {
            Inbound::Connected => {}
            Inbound::Start { stream_sid, start } => {
                let sid = start.stream_sid.clone().or(stream_sid).unwrap_or_default();
                return Ok((start, sid));
            }
            Inbound::Unknown { event } => log_unknown(&event),
            message @ (Inbound::Media { .. } | Inbound::Dtmf { .. } | Inbound::Mark { .. }) => {
                return Err(Violation(
                    CLOSE_POLICY,
                    format!(
                        "`{}` before `start`: the stream must begin with `start`",
                        message.event()
                    ),
                ));
            }
            Inbound::Stop => return Err(Violation(CLOSE_NORMAL, "stopped before start".into())),
        }
    }
}

fn parse(text: &str) -> Result<Inbound<'_>, Violation> {
    Inbound::parse(text).map_err(|e| {
        Violation(
            CLOSE_INVALID_PAYLOAD,
            format!("not a Media Streams message: {e}"),
        )
    })
}

fn binary_frame() -> Violation {
    Violation(
        CLOSE_UNSUPPORTED,
        "Media Streams messages are JSON text frames, not binary".into(),
    )
}

fn log_unknown(event: &str) {
    tracing::info!(
        event,
        "ignored a Media Streams event this server does not use"
    );
}

/// A Twilio media stream as a [`VoiceWire`].
struct TwilioWire {
    socket: WebSocket,
    stream_sid: String,
    /// The decoded audio of each `media` message, reused so that 50 messages a second
    /// neither allocate nor zero a buffer.
    audio: [u8; MAX_MEDIA_BASE64 / 4 * 3],
    /// Messages that arrived while the script was busy, for `recv` to hand out first.
    held: Held,
}

impl VoiceWire for TwilioWire {
    type Message = Option<Result<Message, axum::Error>>;

    async fn recv(&mut self) -> Self::Message {
        self.held.next(&mut self.socket).await
    }

    async fn ended_meanwhile(&mut self) -> WireStep {
        self.held.until_end(&mut self.socket, ends_stream).await
    }

    async fn apply(&mut self, message: Self::Message, call: &mut VoiceCall) -> WireStep {
        match on_message(message, call, &mut self.audio).await {
            Ok(step) => step,
            Err(Violation(code, reason)) => WireStep::Violation { code, reason },
        }
    }

    async fn send(&mut self, event: VoiceEvent, call: &mut VoiceCall) -> bool {
        let stream_sid = self.stream_sid.as_str();
        let message = match &event {
            VoiceEvent::Frame(payload) => Outbound::Media {
                stream_sid,
                media: OutMedia {
                    payload: BASE64.encode(payload.bytes()),
                },
            },
            VoiceEvent::Mark(name) => Outbound::Mark {
                stream_sid,
                mark: OutMark { name },
            },
            VoiceEvent::Clear => Outbound::Clear { stream_sid },
            VoiceEvent::Update(update) => {
                for output in &update.outputs {
                    if let Output::Transfer { transfer, .. } = output {
                        // A media stream cannot move the call; the gateway's own API does.
                        tracing::info!(target = %transfer.target, "transfer asked on a Twilio stream");
                        let result = TransferResult::Failed(
                            "transfer is not available on Twilio Media Streams calls".into(),
                        );
                        call.input(CallerInput::TransferResult { result }).await;
                    }
                }
                return true;
            }
        };
        send(&mut self.socket, &message).await
    }

    async fn close(&mut self, call: &mut VoiceCall, why: WireClose) {
        let (code, reason) = match why {
            WireClose::CallOver => (
                CLOSE_NORMAL,
                call.driver().record().end.as_ref().map_or_else(
                    || "call ended".to_owned(),
                    |end| format!("call ended: {}", end.reason),
                ),
            ),
            WireClose::HungUp(reason) => (CLOSE_NORMAL, format!("call ended: {reason}")),
            WireClose::Violation { code, reason } => (code, reason),
        };
        close(&mut self.socket, code, &reason).await;
    }
}

/// Whether a message ends the call (`stop`, or the socket closing) while the script is
/// busy; anything else waits for the event to end.
fn ends_stream(message: &Received) -> Option<WireStep> {
    match message {
        Some(Ok(Message::Text(text))) => matches!(Inbound::parse(text), Ok(Inbound::Stop))
            .then_some(WireStep::HungUp(CUSTOMER_HUNG_UP)),
        Some(Ok(Message::Close(_))) | None => Some(WireStep::HungUp(CONNECTION_CLOSED)),
        Some(Err(error)) => matches!(read_failure(error), ReadFailure::Lost)
            .then_some(WireStep::HungUp(CONNECTION_CLOSED)),
        Some(Ok(_)) => None,
    }
}

/// The reason a call ends with on `stop`.
const CUSTOMER_HUNG_UP: &str = "customer-hung-up";

/// The reason a call ends with when the gateway's socket closes or breaks.
const CONNECTION_CLOSED: &str = "connection-closed";

async fn send(socket: &mut WebSocket, message: &Outbound<'_>) -> bool {
    match serde_json::to_string(message) {
        Ok(json) => socket.send(Message::Text(json.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn on_message(
    message: Option<Result<Message, axum::Error>>,
    call: &mut VoiceCall,
    audio: &mut [u8],
) -> Result<WireStep, Violation> {
    let text = match message {
        Some(Ok(Message::Text(text))) => text,
        Some(Ok(Message::Binary(_))) => return Err(binary_frame()),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(WireStep::Continue),
        Some(Err(error)) => {
            return match read_failure(&error) {
                ReadFailure::Violation(code, reason) => Err(Violation(code, reason)),
                ReadFailure::Lost => Ok(WireStep::HungUp(CONNECTION_CLOSED)),
            };
        }
        Some(Ok(Message::Close(_))) | None => {
            return Ok(WireStep::HungUp(CONNECTION_CLOSED));
        }
    };
    match parse(&text)? {
        Inbound::Media { payload, track } => {
            if track
                .as_deref()
                .is_some_and(|t| t != "inbound" && t != "inbound_track")
            {
                return Ok(WireStep::Continue);
            }
            let decoded = if payload.len() > MAX_MEDIA_BASE64 {
                payload.len() / 4 * 3
            } else {
                BASE64
                    .decode_slice(payload.as_bytes(), audio)
                    .map_err(|e| {
                        Violation(
                            CLOSE_INVALID_PAYLOAD,
                            format!("a media payload is not base64: {e}"),
                        )
                    })?
            };
            if decoded == 0 || decoded > MAX_MEDIA_BYTES {
                return Err(Violation(
                    CLOSE_INVALID_PAYLOAD,
                    format!(
                        "a media payload of {decoded} bytes; 8 kHz G.711 comes in 160-byte \
                         (20 ms) chunks, at most {MAX_MEDIA_BYTES}"
                    ),
                ));
            }
            call.media(&audio[..decoded])
                .await
                .map_err(|e| Violation(CLOSE_INVALID_PAYLOAD, format!("undecodable media: {e}")))?;
        }
        Inbound::Dtmf { digit } => {
            for digit in digit.chars().take(32) {
                call.input(CallerInput::Dtmf { digit }).await;
            }
        }
        Inbound::Mark { name } => {
            tracing::debug!(name = %name, "the gateway played up to a mark")
        }
        Inbound::Stop => return Ok(WireStep::HungUp(CUSTOMER_HUNG_UP)),
        Inbound::Connected => {}
        Inbound::Start { .. } => {
            return Err(Violation(
                CLOSE_POLICY,
                "a second `start` on one stream".into(),
            ));
        }
        Inbound::Unknown { event } => log_unknown(&event),
    }
    Ok(WireStep::Continue)
}
