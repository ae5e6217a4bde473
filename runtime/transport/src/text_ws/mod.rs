//! The console's call WebSocket, `GET /v1/calls/{id}/ws?token=…[&audio=pcm16|opus]`: the
//! customer types, the bot's actions and every session event come back as JSON. With
//! `audio=` it is a voice call as well ([`voice`]): binary frames carry 20 ms of audio each
//! way. The browser console and the end-to-end tests speak it;
//! `docs/protocols/text-websocket.md` is its reference.
//!
//! A customer who hangs up (a `hangup` message, or closing the socket) while the script is
//! still busy with an event ends the call at once: the socket is read while the script
//! runs ([`while_busy`]), and the script is cut off mid-event
//! ([`CallDriver::end_now`]).
//!
//! Close codes: 1000 the call ended (reason says how), 1001 the server is shutting down,
//! 1003 an `audio=` this server does not speak, 4001 wrong token, 4004 no call waiting
//! under that id (unknown, expired or already connected), 1011 the call could not be
//! started.

mod messages;
mod voice;

pub use messages::{ClientMessage, ServerMessage};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tracing::Instrument;

use std::future::Future;
use std::sync::Arc;

use huashu_calls::CallService;
use huashu_calls::{CallDriver, CallError, DriverUpdate};
use huashu_contract::{Channel, Party, Transcript, TransferResult};
use huashu_session::CallerInput;

pub use super::{
    CLOSE_BAD_TOKEN, CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_NORMAL, CLOSE_NOT_WAITING,
    CLOSE_UNSUPPORTED,
};
use super::{ReadFailure, close, read_failure};
use crate::held_messages::{Held, Received};

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
    /// `pcm16` or `opus` for a voice call; absent for text.
    #[serde(default)]
    audio: Option<String>,
}

pub async fn connect(
    ws: WebSocketUpgrade,
    Path(call_id): Path<String>,
    Query(query): Query<TokenQuery>,
    State(calls): State<Arc<CallService>>,
) -> Response {
    super::call_socket(ws).on_upgrade(move |socket| serve(socket, calls, call_id, query))
}

async fn send(socket: &mut WebSocket, message: &ServerMessage) -> bool {
    match serde_json::to_string(message) {
        Ok(json) => socket.send(Message::Text(json.into())).await.is_ok(),
        Err(_) => true,
    }
}

/// Sends an update; false if the socket is gone.
async fn send_update(socket: &mut WebSocket, update: DriverUpdate) -> bool {
    for entry in update.timeline {
        if let Some(message) = ServerMessage::from_timeline(entry)
            && !send(socket, &message).await
        {
            return false;
        }
    }
    for output in update.outputs {
        if let Some(message) = ServerMessage::from_output(output)
            && !send(socket, &message).await
        {
            return false;
        }
    }
    true
}

async fn serve(mut socket: WebSocket, calls: Arc<CallService>, call_id: String, query: TokenQuery) {
    let codec = match query.audio.as_deref().map(voice::codec).transpose() {
        Ok(codec) => codec,
        Err(why) => return close(&mut socket, CLOSE_UNSUPPORTED, &why).await,
    };
    let pending = match calls
        .claim(&call_id, &query.token, &[Channel::Text, Channel::Browser])
        .await
    {
        Ok(pending) => pending,
        Err(error @ CallError::Store(_)) => {
            return close(&mut socket, CLOSE_INTERNAL, &error.to_string()).await;
        }
        Err(CallError::BadToken) => {
            return close(&mut socket, CLOSE_BAD_TOKEN, "invalid call token").await;
        }
        Err(error) => return close(&mut socket, CLOSE_NOT_WAITING, &error.to_string()).await,
    };
    if let Some(codec) = codec {
        return match calls.start_voice(pending, codec).await {
            Ok(mut call) => {
                let span = call.driver().span().clone();
                voice::run(socket, &mut call).instrument(span).await;
            }
            Err(error) => {
                tracing::error!(%call_id, %error, "cannot start a voice call");
                close(&mut socket, CLOSE_INTERNAL, &error.to_string()).await;
            }
        };
    }
    let driver = match calls.start(pending).await {
        Ok(driver) => driver,
        Err(error) => {
            tracing::error!(%call_id, %error, "cannot start a call");
            return close(&mut socket, CLOSE_INTERNAL, &error.to_string()).await;
        }
    };
    let span = driver.span().clone();
    run(socket, driver).instrument(span).await;
}

/// Turns a client message into session input.
fn inputs(message: ClientMessage) -> Result<Vec<CallerInput>, String> {
    Ok(match message {
        ClientMessage::Text { text } => {
            let text = text.trim().to_owned();
            if text.is_empty() {
                return Err("`text` is empty".into());
            }
            vec![
                CallerInput::SpeechStarted,
                CallerInput::Final {
                    transcript: Transcript::typed(text),
                },
            ]
        }
        ClientMessage::Dtmf { digit } => {
            if digit.is_empty() || digit.chars().count() > 32 {
                return Err("`digit` must be 1 to 32 keys".into());
            }
            digit
                .chars()
                .map(|digit| CallerInput::Dtmf { digit })
                .collect()
        }
        ClientMessage::Hangup => vec![CallerInput::HangUp {
            reason: "customer-hung-up".into(),
        }],
        ClientMessage::TransferResult { connected, reason } => vec![CallerInput::TransferResult {
            result: if connected {
                TransferResult::Connected
            } else {
                TransferResult::Failed(reason)
            },
        }],
    })
}

async fn run(mut socket: WebSocket, mut driver: CallDriver) {
    let mut shutdown = driver.shutdown_signal();
    let mut held = Held::default();
    let update = match while_busy(&mut socket, &mut held, driver.start()).await {
        Ok(update) => update,
        Err(end) => return ended_meanwhile(socket, driver, end).await,
    };
    let mut alive = send_update(&mut socket, update).await;
    while alive && !driver.is_ended() {
        let deadline = driver.deadline();
        let turn = tokio::select! {
            answer = driver.http_answer() => while_busy(&mut socket, &mut held, driver.input(answer)).await,
            message = held.next(&mut socket) => match message {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<ClientMessage>(&text).map_err(|e| e.to_string()).and_then(inputs) {
                        Ok(inputs) => {
                            while_busy(&mut socket, &mut held, deliver(&mut driver, inputs)).await
                        }
                        Err(why) => {
                            alive = send(&mut socket, &ServerMessage::BadMessage {
                                message: format!("ignored a message: {why}"),
                            }).await;
                            continue;
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    alive = send(&mut socket, &ServerMessage::BadMessage {
                        message: "binary frames are audio; this is a text call".into(),
                    }).await;
                    continue;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Err(error)) => match read_failure(&error) {
                    ReadFailure::Violation(code, reason) => {
                        tracing::warn!(code, %reason, "closing a call socket that broke the protocol");
                        let update = driver.hang_up(&format!("protocol-error: {reason}")).await;
                        send_update(&mut socket, update).await;
                        return close(&mut socket, code, &reason).await;
                    }
                    ReadFailure::Lost => {
                        alive = false;
                        Ok(driver.hang_up(CONNECTION_CLOSED).await)
                    }
                },
                Some(Ok(Message::Close(_))) | None => {
                    alive = false;
                    Ok(driver.hang_up(CONNECTION_CLOSED).await)
                }
            },
            () = sleep_until(deadline) => while_busy(&mut socket, &mut held, driver.tick()).await,
            _ = shutdown.changed() => {
                let update = driver.hang_up("server-shutdown").await;
                send_update(&mut socket, update).await;
                send_outcome(&mut socket, driver.record().outcome.clone()).await;
                return close(&mut socket, CLOSE_GOING_AWAY, "server shutting down").await;
            }
        };
        let update = match turn {
            Ok(update) => update,
            Err(end) => return ended_meanwhile(socket, driver, end).await,
        };
        if alive {
            alive = send_update(&mut socket, update).await;
        }
    }
    if !driver.is_ended() {
        driver.hang_up(CONNECTION_CLOSED).await;
        return;
    }
    if alive {
        send_outcome(&mut socket, driver.record().outcome.clone()).await;
        let reason = driver
            .record()
            .end
            .as_ref()
            .map_or("ended".to_owned(), |end| {
                format!("call ended: {}", end.reason)
            });
        // The driver ends a call by itself when the server stops mid-event.
        let code = match driver.record().end.as_ref() {
            Some(end) if end.reason == SERVER_SHUTDOWN => CLOSE_GOING_AWAY,
            _ => CLOSE_NORMAL,
        };
        close(&mut socket, code, &reason).await;
    }
}

/// The reason a call ends with when its client closes the socket or the connection breaks.
const CONNECTION_CLOSED: &str = "connection-closed";

/// The reason a call ends with when the server stops (the driver's own).
const SERVER_SHUTDOWN: &str = "server-shutdown";

/// The reason a call ends with when the customer sends `hangup`.
const CUSTOMER_HUNG_UP: &str = "customer-hung-up";

/// Delivers the inputs of one client message in order; their updates as one.
async fn deliver(driver: &mut CallDriver, inputs: Vec<CallerInput>) -> DriverUpdate {
    let mut merged = DriverUpdate::default();
    for input in inputs {
        let update = driver.input(input).await;
        merged.outputs.extend(update.outputs);
        merged.timeline.extend(update.timeline);
    }
    merged
}

/// How the client ended a call while its script was busy.
#[derive(Debug, Clone, Copy)]
enum EndedMeanwhile {
    /// A `hangup` message: the customer hung up.
    HungUp,
    /// The socket closed or broke.
    Lost,
}

/// What a client message means for a call whose script is busy: the end of the call, or
/// nothing yet (it is kept for later).
fn ends_text_call(message: &Received) -> Option<EndedMeanwhile> {
    match message {
        Some(Ok(Message::Text(text))) => matches!(
            serde_json::from_str::<ClientMessage>(text),
            Ok(ClientMessage::Hangup)
        )
        .then_some(EndedMeanwhile::HungUp),
        Some(Ok(Message::Close(_))) | None => Some(EndedMeanwhile::Lost),
        Some(Err(error)) => {
            matches!(read_failure(error), ReadFailure::Lost).then_some(EndedMeanwhile::Lost)
        }
        Some(Ok(_)) => None,
    }
}

/// Runs `work` (the driver, with the script perhaps busy for as long as its tenant allows
/// an event) while still reading the socket: messages are kept in `held` for later, and
/// one that ends the call ends `work` at once, dropping it in the middle; the call must
/// then end with [`ended_meanwhile`]. `work` is polled first, so the socket is only read
/// while the script is really busy.
async fn while_busy<T>(
    socket: &mut WebSocket,
    held: &mut Held,
    work: impl Future<Output = T>,
) -> Result<T, EndedMeanwhile> {
    tokio::select! {
        biased;
        done = work => Ok(done),
        end = held.until_end(socket, ends_text_call) => Err(end),
    }
}

/// The client ended the call while its script was busy: the script is cut off, the record
/// stored, and a client that hung up hears how the call ended, as after any `hangup`.
async fn ended_meanwhile(mut socket: WebSocket, mut driver: CallDriver, end: EndedMeanwhile) {
    match end {
        EndedMeanwhile::HungUp => {
            let update = driver.end_now(Party::Customer, CUSTOMER_HUNG_UP).await;
            if send_update(&mut socket, update).await {
                send_outcome(&mut socket, driver.record().outcome.clone()).await;
                let reason = format!("call ended: {CUSTOMER_HUNG_UP}");
                close(&mut socket, CLOSE_NORMAL, &reason).await;
            }
        }
        EndedMeanwhile::Lost => {
            driver.end_now(Party::Host, CONNECTION_CLOSED).await;
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn send_outcome(socket: &mut WebSocket, outcome: huashu_contract::Outcome) {
    let fields = outcome
        .fields
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    send(
        socket,
        &ServerMessage::Outcome {
            intent: outcome.intent,
            disposition: outcome.disposition,
            tags: outcome.tags,
            fields,
        },
    )
    .await;
}
