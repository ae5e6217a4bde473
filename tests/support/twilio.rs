//! A Twilio Media Streams gateway for tests: connects to `/v1/calls/twilio`, sends
//! `connected` and `start`, then streams the caller's audio in real time (one 160-byte
//! mu-law frame every 20 ms: line hiss, or speech queued with [`TwilioCall::speak`]) while
//! it records everything the server sends, with arrival times.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use huashu_media::g711::Law;
use huashu_media::resample::{TELEPHONY_RATE, convert_i16};

/// Longest a test waits for the server.
const PATIENCE: Duration = Duration::from_secs(30);

/// One 20 ms frame of 8 kHz audio.
const FRAME_BYTES: usize = 160;

/// What the server sent, when.
#[derive(Debug, Clone)]
pub enum FromServer {
    Media { at: Instant, payload: Vec<u8> },
    Mark { name: String },
    Clear { at: Instant },
    Closed { code: u16, reason: String },
}

pub struct TwilioCall {
    /// Frames to send instead of hiss, in order.
    speech: Arc<Mutex<VecDeque<Vec<u8>>>>,
    raw: mpsc::UnboundedSender<Message>,
    events: mpsc::UnboundedReceiver<FromServer>,
    /// Everything received so far, in order.
    pub received: Vec<FromServer>,
}

/// Canonical (16 kHz) samples as 160-byte mu-law frames.
pub fn mulaw_frames(canonical: &[i16]) -> Vec<Vec<u8>> {
    let narrow = convert_i16(canonical, 16_000, TELEPHONY_RATE).expect("resample to 8 kHz");
    let mut bytes = Vec::new();
    Law::Mu.encode(&narrow, &mut bytes);
    bytes
        .chunks(FRAME_BYTES)
        .map(|c| {
            let mut frame = c.to_vec();
            frame.resize(FRAME_BYTES, 0xFF);
            frame
        })
        .collect()
}

/// Faint line hiss as mu-law: what a quiet phone line carries between words.
fn hiss_frame(seed: &mut u32) -> Vec<u8> {
    let samples: Vec<i16> = (0..FRAME_BYTES)
        .map(|_| {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((*seed >> 16) % 33) as i16 - 16
        })
        .collect();
    let mut bytes = Vec::new();
    Law::Mu.encode(&samples, &mut bytes);
    bytes
}

/// The `start` message Twilio sends, with these custom parameters.
pub fn start_message(parameters: Value) -> Value {
    json!({
        "event": "start",
        "sequenceNumber": "1",
        "streamSid": "MZ00000000000000000000000000000001",
        "start": {
            "accountSid": "AC00000000000000000000000000000001",
            "streamSid": "MZ00000000000000000000000000000001",
            "callSid": "CA00000000000000000000000000000001",
            "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1 }
        }
    })
}

impl TwilioCall {
    /// Connects to `base` (`http://host:port`), sends `connected` and a `start` with
    /// `parameters`, and starts streaming.
    pub async fn start(base: &str, parameters: Value) -> TwilioCall {
        let url = format!("{}/v1/calls/twilio", base.replacen("http", "ws", 1));
        let (socket, _) = connect_async(url).await.expect("WebSocket connect");
        let (mut sink, mut stream) = socket.split();
        let (raw_tx, mut raw_rx) = mpsc::unbounded_channel::<Message>();
        let (event_tx, events) = mpsc::unbounded_channel();
        let speech: Arc<Mutex<VecDeque<Vec<u8>>>> = Arc::default();
        sink.send(Message::Text(
            json!({"event":"connected","protocol":"Call","version":"1.0.0"})
                .to_string()
                .into(),
        ))
        .await
        .expect("send connected");
        sink.send(Message::Text(start_message(parameters).to_string().into()))
            .await
            .expect("send start");
        let queued = speech.clone();
        tokio::spawn(async move {
            let origin = Instant::now();
            let mut seed = 11u32;
            let mut n: u64 = 0;
            loop {
                tokio::select! {
                    message = raw_rx.recv() => match message {
                        Some(message) => {
                            if sink.send(message).await.is_err() { return; }
                        }
                        None => return,
                    },
                    () = tokio::time::sleep_until(origin + Duration::from_millis(20 * n)) => {
                        let frame = queued
                            .lock()
                            .expect("queue")
                            .pop_front()
                            .unwrap_or_else(|| hiss_frame(&mut seed));
                        n += 1;
                        let media = json!({
                            "event": "media",
                            "sequenceNumber": (n + 1).to_string(),
                            "streamSid": "MZ00000000000000000000000000000001",
                            "media": {
                                "track": "inbound",
                                "chunk": n.to_string(),
                                "timestamp": (n * 20).to_string(),
                                "payload": BASE64.encode(&frame),
                            }
                        });
                        if sink.send(Message::Text(media.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let event = match message {
                    Ok(Message::Text(text)) => {
                        let value: Value =
                            serde_json::from_str(&text).expect("JSON from the server");
                        match value["event"].as_str() {
                            Some("media") => FromServer::Media {
                                at: Instant::now(),
                                payload: BASE64
                                    .decode(value["media"]["payload"].as_str().expect("payload"))
                                    .expect("base64 media from the server"),
                            },
                            Some("mark") => FromServer::Mark {
                                name: value["mark"]["name"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                            },
                            Some("clear") => FromServer::Clear { at: Instant::now() },
                            other => panic!("unexpected event {other:?} from the server: {text}"),
                        }
                    }
                    Ok(Message::Close(frame)) => {
                        let (code, reason) = frame.map_or((1005, String::new()), |f| {
                            (u16::from(f.code), f.reason.to_string())
                        });
                        let _ = event_tx.send(FromServer::Closed { code, reason });
                        return;
                    }
                    Ok(_) => continue,
                    Err(error) => {
                        let reason = format!("the connection failed: {error}");
                        let _ = event_tx.send(FromServer::Closed { code: 1006, reason });
                        return;
                    }
                };
                if event_tx.send(event).is_err() {
                    return;
                }
            }
            let reason = "the connection ended without a close frame".to_owned();
            let _ = event_tx.send(FromServer::Closed { code: 1006, reason });
        });
        TwilioCall {
            speech,
            raw: raw_tx,
            events,
            received: Vec::new(),
        }
    }

    /// Queues canonical speech (and then hiss again) as the caller's next words.
    pub fn speak(&self, canonical: &[i16]) {
        self.speech
            .lock()
            .expect("queue")
            .extend(mulaw_frames(canonical));
    }

    /// Sends a message as it is (for protocol errors and `dtmf`/`stop`).
    pub fn send_raw(&self, text: &str) {
        let _ = self.raw.send(Message::Text(text.to_owned().into()));
    }

    /// Reads until an event satisfies `done` (returned) or the stream closes.
    pub async fn until(&mut self, done: impl Fn(&FromServer) -> bool) -> Option<FromServer> {
        loop {
            let event = tokio::time::timeout(PATIENCE, self.events.recv())
                .await
                .expect("the server answered in time")?;
            self.received.push(event.clone());
            if done(&event) {
                return Some(event);
            }
            if matches!(event, FromServer::Closed { .. }) {
                return None;
            }
        }
    }

    /// Reads until the mark `name` (everything before it has been sent).
    pub async fn until_mark(&mut self, name: &str) {
        self.until(|e| matches!(e, FromServer::Mark { name: n } if n == name))
            .await
            .unwrap_or_else(|| panic!("the stream closed before mark {name}"));
    }

    /// Reads until the server closes; its close code and reason.
    pub async fn until_closed(&mut self) -> (u16, String) {
        loop {
            match self.until(|e| matches!(e, FromServer::Closed { .. })).await {
                Some(FromServer::Closed { code, reason }) => return (code, reason),
                Some(_) => {}
                None => {
                    return match self.received.last() {
                        Some(FromServer::Closed { code, reason }) => (*code, reason.clone()),
                        _ => (1006, String::new()),
                    };
                }
            }
        }
    }

    /// The media frames received so far, with arrival times.
    pub fn media(&self) -> Vec<(Instant, &[u8])> {
        self.received
            .iter()
            .filter_map(|e| match e {
                FromServer::Media { at, payload } => Some((*at, payload.as_slice())),
                _ => None,
            })
            .collect()
    }
}
