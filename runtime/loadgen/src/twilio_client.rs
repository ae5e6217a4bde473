//! One simulated Twilio call: connects to `/v1/calls/twilio`, sends `connected` and
//! `start`, streams the customer's audio one 20 ms mu-law frame at a time on a drift-free
//! schedule (frame *n* at `origin + n × 20 ms`), takes a turn every so often (a DTMF digit,
//! or the speech file), echoes the server's marks, and ends the call with `stop`.
//!
//! Everything the server sends back is measured here: outbound frames in runs (one run per
//! utterance, ended by its mark or a `clear`) analysed by [`BotFrames`], the turn
//! latency (turn sent → first frame of the reply), marks and clears, and how the call ended.
//!
//! Cheap by construction, since thousands of these share the machine with the server: one
//! task per call, one timer re-armed per frame, the audio already in base64, incoming JSON
//! parsed into borrowed fields, one allocation per outgoing frame (the message itself).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};

use super::call_figures::{BotFrames, CallResult, DIGITS, FRAME, Failure, Plan};
use super::connect::{Socket, TwilioLine, connect};
use super::customer_audio;

/// Longest the TCP connect, the WebSocket handshake and minting a call token may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server has to close the socket after `stop` before the call is counted as
/// not closed.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's host-side endings (the session's and the call socket's): a call closed
/// with one of these did not end the way its script chose.
const HOST_ENDINGS: [&str; 5] = [
    "script-failed",
    "max-call-length",
    "server-shutdown",
    "connection-closed",
    "protocol-error",
];

/// Whether a close with `code` and `reason` is the bot ending the call normally (the server
/// closes with 1000 and `call ended: <the script's reason>`), not a failure.
fn ended_by_the_bot(code: u16, reason: &str) -> bool {
    code == 1000
        && reason
            .strip_prefix("call ended: ")
            .is_some_and(|why| !HOST_ENDINGS.iter().any(|host| why.starts_with(host)))
}

/// The server's messages, parsed into borrowed fields: the payload is only checked.
#[derive(Deserialize)]
struct ServerMessage<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow, default)]
    media: Option<MediaBody<'a>>,
    #[serde(borrow, default)]
    mark: Option<MarkBody<'a>>,
}

#[derive(Deserialize)]
struct MediaBody<'a> {
    #[serde(borrow, default)]
    payload: Cow<'a, str>,
}

#[derive(Deserialize)]
struct MarkBody<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
}

/// Runs call number `index` to its end.
pub async fn run_call(plan: Arc<Plan>, line: Arc<TwilioLine>, index: u64) -> CallResult {
    let mut result = CallResult::default();
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, connect(&line, index)).await;
    plan.figures.resolved.fetch_add(1, Ordering::Relaxed);
    let (socket, custom_parameters) = match connected {
        Ok(Ok(connected)) => connected,
        Ok(Err(failure)) => {
            result.failure = Some(failure);
            return result;
        }
        Err(_) => {
            result.failure = Some(Failure::Connect(format!(
                "no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            )));
            return result;
        }
    };
    result.connected = true;
    plan.figures.connected.fetch_add(1, Ordering::Relaxed);
    plan.figures.live.fetch_add(1, Ordering::Relaxed);
    let mut call = Call::new(&plan, index, socket);
    if let Err(failure) = call.run(custom_parameters, &mut result).await {
        result.failure = Some(failure);
    }
    plan.figures.live.fetch_sub(1, Ordering::Relaxed);
    result
}

/// The state of one connected call.
struct Call<'p> {
    plan: &'p Plan,
    socket: Socket,
    stream_sid: String,
    call_sid: String,
    account_sid: String,
    /// Twilio numbers every message it sends.
    sequence: u64,
    bot: BotFrames,
    /// The next speech frame to send, while the customer is speaking.
    speaking: Option<usize>,
}

impl<'p> Call<'p> {
    fn new(plan: &'p Plan, index: u64, socket: Socket) -> Self {
        let sid = |prefix: &str| format!("{prefix}{:016x}{index:016x}", plan.run_id);
        Call {
            plan,
            socket,
            stream_sid: sid("MZ"),
            call_sid: sid("CA"),
            account_sid: sid("AC"),
            sequence: 0,
            bot: BotFrames::default(),
            speaking: None,
        }
    }

    async fn send(&mut self, text: String) -> Result<(), Failure> {
        self.socket
            .send(Message::text(text))
            .await
            .map_err(|e| Failure::Lost(e.to_string()))
    }

    fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    async fn run(
        &mut self,
        custom_parameters: serde_json::Value,
        result: &mut CallResult,
    ) -> Result<(), Failure> {
        self.send(
            json!({"event": "connected", "protocol": "Call", "version": "1.0.0"}).to_string(),
        )
        .await?;
        let sequence = self.next_sequence();
        let start = json!({
            "event": "start",
            "sequenceNumber": sequence.to_string(),
            "streamSid": self.stream_sid,
            "start": {
                "accountSid": self.account_sid,
                "streamSid": self.stream_sid,
                "callSid": self.call_sid,
                "tracks": ["inbound"],
                "customParameters": custom_parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        });
        self.send(start.to_string()).await?;

        let origin = Instant::now();
        let end = origin + self.plan.hold;
        let mut next_turn = self.plan.turn_every.map(|every| origin + every);
        let mut frame: u64 = 0;
        let tick = tokio::time::sleep_until(origin);
        tokio::pin!(tick);
        loop {
            tokio::select! {
                biased;
                () = &mut tick => {
                    let due = origin + FRAME * u32::try_from(frame).unwrap_or(u32::MAX);
                    if due >= end {
                        break;
                    }
                    let now = Instant::now();
                    self.plan.figures.timer_fired(now.saturating_duration_since(due));
                    if let Some(turn_at) = next_turn
                        && due >= turn_at
                        && self.speaking.is_none()
                        && !self.bot.bot_speaking(now)
                    {
                        self.take_turn(result).await?;
                        let every = self.plan.turn_every.unwrap_or(FRAME);
                        next_turn = Some(due + every);
                    }
                    self.send_frame(frame, result).await?;
                    frame += 1;
                    tick.as_mut().reset(origin + FRAME * u32::try_from(frame).unwrap_or(u32::MAX));
                }
                incoming = self.socket.next() => {
                    if let Some(close) = self.receive(incoming, result, true).await? {
                        let (code, reason) = close;
                        if ended_by_the_bot(code, &reason) {
                            // The script hung up as scripts do: the call was held to its end.
                            result.held = true;
                            return Ok(());
                        }
                        return Err(Failure::ClosedEarly { code, reason });
                    }
                }
            }
        }
        result.held = true;
        self.stop(result).await
    }

    async fn take_turn(&mut self, result: &mut CallResult) -> Result<(), Failure> {
        self.bot.turn_started(result);
        if self.plan.audio.speech.is_some() {
            // The turn is the speech file; the wait starts with its last loud frame.
            self.speaking = Some(0);
            return Ok(());
        }
        let digit = DIGITS[(result.turns as usize - 1) % DIGITS.len()];
        let sequence = self.next_sequence();
        let message = json!({
            "event": "dtmf",
            "streamSid": self.stream_sid,
            "sequenceNumber": sequence.to_string(),
            "dtmf": {"track": "inbound_track", "digit": digit},
        });
        self.send(message.to_string()).await?;
        self.bot.await_reply(Instant::now());
        Ok(())
    }

    async fn send_frame(&mut self, frame: u64, result: &mut CallResult) -> Result<(), Failure> {
        let audio = &self.plan.audio;
        let (payload, speech_ended) = match (self.speaking, &audio.speech) {
            (Some(at), Some(speech)) if at < speech.len() => {
                let last = at + 1 == speech.len();
                self.speaking = (!last).then_some(at + 1);
                (speech[at].clone(), at + 1 == audio.speech_end)
            }
            _ => {
                self.speaking = None;
                (audio.silence.clone(), false)
            }
        };
        let sequence = self.next_sequence();
        let mut message = String::with_capacity(160 + self.stream_sid.len() + payload.len());
        // Twilio's field order and string-typed numbers; `chunk` counts from 1.
        let _ = write!(
            message,
            r#"{{"event":"media","sequenceNumber":"{sequence}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{timestamp}","payload":"{payload}"}},"streamSid":"{sid}"}}"#,
            chunk = frame + 1,
            timestamp = frame * 20,
            sid = self.stream_sid,
        );
        self.send(message).await?;
        result.frames_sent += 1;
        if speech_ended {
            // The customer stopped speaking: the reply is awaited from now.
            self.bot.await_reply(Instant::now());
        }
        Ok(())
    }

    /// Handles one incoming message; returns the close frame if the server closed.
    async fn receive(
        &mut self,
        incoming: Option<Result<Message, tungstenite::Error>>,
        result: &mut CallResult,
        echo_marks: bool,
    ) -> Result<Option<(u16, String)>, Failure> {
        let text = match incoming {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                self.bot.end_run(&self.plan.figures, result);
                return Ok(Some(frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                })));
            }
            Some(Ok(_)) => return Ok(None),
            Some(Err(e)) => return Err(Failure::Lost(e.to_string())),
            None => {
                return Err(Failure::Lost(
                    "the socket closed without a close frame".into(),
                ));
            }
        };
        let now = Instant::now();
        let Ok(message) = serde_json::from_str::<ServerMessage<'_>>(text.as_str()) else {
            result.unknown_messages += 1;
            return Ok(None);
        };
        match message.event.as_ref() {
            "media" => {
                if !message
                    .media
                    .as_ref()
                    .is_some_and(|m| customer_audio::is_full_frame(&m.payload))
                {
                    result.bad_frames += 1;
                }
                self.bot.arrived(now, &self.plan.figures, result);
            }
            "mark" => {
                self.bot.end_run(&self.plan.figures, result);
                result.marks_received += 1;
                if let (true, Some(mark)) = (echo_marks, message.mark) {
                    // Everything before the mark has arrived (one ordered socket): played, as
                    // far as the server can tell, so echo it as Twilio does.
                    let sequence = self.next_sequence();
                    let echo = json!({
                        "event": "mark",
                        "streamSid": self.stream_sid,
                        "sequenceNumber": sequence.to_string(),
                        "mark": {"name": mark.name},
                    });
                    self.send(echo.to_string()).await?;
                    result.marks_echoed += 1;
                }
            }
            "clear" => {
                self.bot.end_run(&self.plan.figures, result);
                result.clears += 1;
            }
            _ => result.unknown_messages += 1,
        }
        Ok(None)
    }

    /// Sends `stop` and waits for the server to close the socket.
    async fn stop(&mut self, result: &mut CallResult) -> Result<(), Failure> {
        let sequence = self.next_sequence();
        let stop = json!({
            "event": "stop",
            "streamSid": self.stream_sid,
            "sequenceNumber": sequence.to_string(),
            "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
        });
        self.send(stop.to_string()).await?;
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => {
                    result.not_closed = true;
                    let _ = self.socket.close(None).await;
                    break;
                }
                Ok(incoming) => match self.receive(incoming, result, false).await {
                    Ok(Some(close)) => {
                        result.close = Some(close);
                        // Finish the closing handshake so neither side waits on the other.
                        let _ = tokio::time::timeout_at(deadline, self.socket.next()).await;
                        break;
                    }
                    Ok(None) => {}
                    // The call was held; a socket torn down after `stop` is not a failure.
                    Err(_) => break,
                },
            }
        }
        self.bot.finish(&self.plan.figures, result);
        Ok(())
    }
}
