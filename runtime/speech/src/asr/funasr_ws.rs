//! An external streaming ASR server speaking the FunASR runtime WebSocket protocol
//! (`funasr-wss-server-2pass`, the Mandarin real-time server operators deploy most), in its
//! "2pass" mode: a fast streaming model types as the customer speaks, and a larger offline
//! model re-reads each sentence when it ends.
//!
//! One WebSocket connection per recognition, because the server keeps its voice detector,
//! streaming caches and compiled hotwords per connection, and reads the hotwords only from
//! the first message. The client sends:
//!
//! 1. a text message `{"mode": "2pass", "chunk_size": [5, 10, 5], "chunk_interval": 10,
//!    "wav_name", "wav_format": "pcm", "audio_fs": 16000, "is_speaking": true,
//!    "hotwords": "{\"退订\": 20, …}", "itn": true}` — the hotwords are a JSON object
//!    *inside a string*, hint → integer weight, or `""` for none;
//! 2. the audio as binary messages of little-endian 16-bit PCM;
//! 3. `{"is_speaking": false, "is_end": true}` at the end of the utterance.
//!
//! The server answers with JSON text messages `{"mode", "text", "wav_name", "is_final", …}`
//! (plus timestamps we do not use). `2pass-online` texts are *pieces*: each one continues
//! the previous. A `2pass-offline` text is the corrected reading of a whole sentence; it
//! replaces the pieces since the last one. The server's own voice detector may end
//! sentences mid-utterance, so one utterance can bring several. After the end message the
//! server finishes the last sentence and answers with `is_final: true` (with empty text,
//! and then no `mode`, when nothing was left). Newer servers also acknowledge `is_end`
//! with `{"is_end": true, "is_final": …}`, `is_final` false and an `error` when they
//! failed. The server does not close the connection; we do, once the final answer is in.
//!
//! Partials are the corrected sentences so far followed by the pieces after them. The
//! final transcript is the same text once the server has finished: normally all corrected
//! sentences, plus any streamed words the server never re-read (kept rather than dropped).
//! FunASR reports no confidence: a non-empty final carries [`HEARD_CONFIDENCE`], an empty
//! one 0.
//!
//! The connection runs as a task on the async runtime: it only waits on the socket and the
//! frame queue, and never decodes anything itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::pcm_chunks::PcmChunks;
use super::{AsrError, AsrEvent, Recognition, RecognitionOptions, SpeechRecognizer, Worker};
use huashu_contract::Transcript;
use huashu_media::pcm::CANONICAL_RATE;

#[cfg(test)]
mod tests;

/// The confidence of a non-empty final transcript. FunASR gives none, so this says only
/// "a recogniser heard words": below typed text's 1.0, so a script can tell the two apart,
/// and well above the 0 of nothing heard, so a script that treats low confidence as a
/// no-match does not reject every answer. It does not tell a sure reading from a guess.
pub const HEARD_CONFIDENCE: f32 = 0.9;

/// Frames sent per binary message: 60 ms. The server's reference client sends
/// `60 ms × chunk_size[1] / chunk_interval` per message, and servers that count messages
/// rather than bytes run the streaming model every `chunk_interval` messages and size
/// their voice detector's step from the same formula; keeping to it keeps both right.
const CHUNK_FRAMES: usize = 3;

/// The streaming model's window in 60 ms units: 300 ms of look-back, a 600 ms chunk, 300
/// ms of look-ahead. The value the protocol documents and the published streaming
/// Paraformer models are run with; partials come every 600 ms. The final reading comes
/// from the offline pass, so this bounds only how live the partials look.
const CHUNK_SIZE: [u32; 3] = [5, 10, 5];

/// Messages per streaming step, the reference client's value; with [`CHUNK_FRAMES`] it
/// makes the step the 600 ms chunk above.
const CHUNK_INTERVAL: u32 = 10;

/// The weight sent with every hint. The server adds it to the decoding score of a hotword
/// once the whole phrase is matched, on top of its own per-token bonus (its
/// `--fst-inc-wts`, 20 by default). 20 is that default and the protocol's own example
/// value: a firm nudge towards the phrases a listen expects, not so strong that other
/// answers are bent into them. Servers that run a hotword-aware model instead of the
/// n-gram decoder use the phrases and ignore the weight.
const HOTWORD_WEIGHT: u32 = 20;

/// What we call the audio in the server's logs and answers (the protocol requires a name).
const WAV_NAME: &str = "huashu";

/// The subprotocol FunASR's Python server requires when it runs on a recent WebSocket
/// library (it answers 400 without it). The C++ servers never confirm a subprotocol, and
/// a client that offers one must then give up, so it is offered only to a server that
/// asked (see [`FunAsrWs`]).
const SUBPROTOCOL: &str = "binary";

/// Connecting (TCP and WebSocket handshake) must finish in this long: the server is on the
/// operator's network, and a customer is waiting for an answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// After the end message, the final answer must come within this long. The server has the
/// last sentence to re-read with the offline model, which runs many times faster than real
/// time, and an utterance is at most tens of seconds; seconds more means it is stuck.
const FINAL_TIMEOUT: Duration = Duration::from_secs(5);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A FunASR-protocol server at one `ws://` URL.
///
/// The first connection offers no subprotocol; if the server refuses it with 400, the
/// recogniser retries offering `binary` and, if that works, keeps offering it.
#[derive(Debug, Clone)]
pub struct FunAsrWs {
    url: String,
    offer_subprotocol: Arc<AtomicBool>,
}

impl FunAsrWs {
    /// A recogniser for the server at `url`, e.g. `ws://asr.internal:10095`. Only `ws://`:
    /// this server is built without TLS for its ASR connections, so start
    /// `funasr-wss-server-2pass` with `--certfile 0` on a private network. Nothing
    /// connects until a recognition starts.
    pub fn new(url: impl Into<String>) -> Result<Self, AsrError> {
        let url = url.into();
        if url.starts_with("wss://") {
            return Err(AsrError::Server(format!(
                "`{url}`: this server reaches FunASR without TLS; start funasr-wss-server \
                 with `--certfile 0` and use a ws:// URL on a private network"
            )));
        }
        if !url.starts_with("ws://") {
            return Err(AsrError::Server(format!(
                "`{url}` is not a ws:// URL (e.g. ws://asr.internal:10095)"
            )));
        }
        Ok(Self {
            url,
            offer_subprotocol: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl SpeechRecognizer for FunAsrWs {
    /// Must be called from within a tokio runtime, which the connection's task runs on.
    fn start(&self, options: RecognitionOptions) -> Result<Recognition, AsrError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| AsrError::Engine("the FunASR adapter needs a tokio runtime".into()))?;
        let (recognition, mut worker) = Recognition::channel();
        let server = self.clone();
        runtime.spawn(async move {
            match server.converse(&options, &mut worker).await {
                Ok(Some(transcript)) => {
                    worker.send(Ok(AsrEvent::Final(transcript)));
                }
                Ok(None) => {} // abandoned by the caller
                Err(error) => {
                    worker.send(Err(error));
                }
            }
        });
        Ok(recognition)
    }
}

/// The first message: how to decode, and the listen's hints as hotwords.
fn opening_message(options: &RecognitionOptions) -> String {
    serde_json::json!({
        "mode": "2pass",
        "chunk_size": CHUNK_SIZE,
        "chunk_interval": CHUNK_INTERVAL,
        "wav_name": WAV_NAME,
        "wav_format": "pcm",
        "audio_fs": CANONICAL_RATE,
        "is_speaking": true,
        "hotwords": hotwords(&options.hints),
        // Inverse text normalisation: "一百二十" arrives as "120", which is what a
        // script compares numbers, dates and amounts against.
        "itn": true,
    })
    .to_string()
}

/// Hints as the protocol's hotword string: a JSON object of phrase → weight, serialised
/// into a string; `""` when there are none. Blank hints are dropped, repeats sent once.
fn hotwords(hints: &[String]) -> String {
    let mut words = serde_json::Map::new();
    for hint in hints.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
        words.insert(hint.to_owned(), HOTWORD_WEIGHT.into());
    }
    if words.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(words).to_string()
    }
}

/// The end of the utterance. `is_end` asks newer servers for an acknowledgement that
/// carries their errors; older ones ignore it.
const END_MESSAGE: &str = r#"{"is_speaking": false, "is_end": true}"#;

/// What the server sends (fields we do not use are ignored).
#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    is_final: Option<bool>,
    #[serde(default)]
    is_end: Option<bool>,
    #[serde(default)]
    error: Option<String>,
}

/// The reading so far: corrected sentences, then the streamed pieces after them.
#[derive(Debug, Default)]
struct Reading {
    corrected: String,
    streamed: String,
}

impl Reading {
    fn apply(&mut self, reply: &Reply) {
        let text = reply.text.as_deref().unwrap_or_default();
        match reply.mode.as_deref() {
            Some("2pass-online" | "online") => self.streamed.push_str(text),
            Some("2pass-offline" | "offline") => {
                self.corrected.push_str(text);
                self.streamed.clear();
            }
            // A final with nothing left to say carries no mode; an acknowledgement carries
            // the request's mode and no text.
            _ => {}
        }
    }

    fn text(&self) -> String {
        format!("{}{}", self.corrected, self.streamed)
            .trim()
            .to_owned()
    }

    fn transcript(&self) -> Transcript {
        let text = self.text();
        if text.is_empty() {
            Transcript::heard(text, 0.0)
        } else {
            Transcript::heard(text, HEARD_CONFIDENCE)
        }
    }
}

fn server_error(what: &str, error: impl std::fmt::Display) -> AsrError {
    AsrError::Server(format!("{what}: {error}"))
}

impl FunAsrWs {
    /// Connects, offering the subprotocol if this server has asked for it before, or if it
    /// refuses the connection without one.
    async fn connect(&self) -> Result<Socket, AsrError> {
        let offered = self.offer_subprotocol.load(Ordering::Relaxed);
        match self.connect_once(offered).await {
            Err(tungstenite::Error::Http(response))
                if !offered && response.status() == StatusCode::BAD_REQUEST =>
            {
                let socket = self
                    .connect_once(true)
                    .await
                    .map_err(|e| server_error(&self.url, e))?;
                tracing::info!(url = %self.url, "the FunASR server wants the `binary` subprotocol; offering it from now on");
                self.offer_subprotocol.store(true, Ordering::Relaxed);
                Ok(socket)
            }
            result => result.map_err(|e| server_error(&self.url, e)),
        }
    }

    async fn connect_once(&self, offer_subprotocol: bool) -> Result<Socket, tungstenite::Error> {
        let mut request = self.url.as_str().into_client_request()?;
        if offer_subprotocol {
            request.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(SUBPROTOCOL),
            );
        }
        let connecting = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(result) => result.map(|(socket, _)| socket),
            Err(_) => Err(tungstenite::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no connection within 5 s",
            ))),
        }
    }

    /// One recognition's conversation; `None` if the caller abandoned it.
    async fn converse(
        &self,
        options: &RecognitionOptions,
        worker: &mut Worker,
    ) -> Result<Option<Transcript>, AsrError> {
        let url = self.url.as_str();
        let (mut to_server, mut from_server) = self.connect().await?.split();
        to_server
            .send(Message::text(opening_message(options)))
            .await
            .map_err(|e| server_error("sending the configuration", e))?;

        let mut reading = Reading::default();
        let mut shown = String::new();
        let mut chunks = PcmChunks::new(CHUNK_FRAMES);
        let mut end_sent = false;
        let final_deadline = tokio::time::sleep(Duration::MAX);
        tokio::pin!(final_deadline);
        loop {
            tokio::select! {
                frame = worker.audio.recv(), if !end_sent => {
                    if let Some(bytes) = chunks.push(frame.as_deref()) {
                        to_server
                            .send(Message::binary(bytes))
                            .await
                            .map_err(|e| server_error("sending audio", e))?;
                    }
                    if frame.is_none() {
                        to_server
                            .send(Message::text(END_MESSAGE))
                            .await
                            .map_err(|e| server_error("sending the end of audio", e))?;
                        end_sent = true;
                        final_deadline
                            .as_mut()
                            .reset(tokio::time::Instant::now() + FINAL_TIMEOUT);
                    }
                }
                message = from_server.next() => {
                    let text = match message {
                        None | Some(Ok(Message::Close(_))) => {
                            return Err(server_error(
                                url,
                                "closed the connection before the final result",
                            ));
                        }
                        Some(Err(e)) => return Err(server_error(url, e)),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(_)) => continue, // pings are answered by the library
                    };
                    let reply: Reply = serde_json::from_str(&text)
                        .map_err(|e| server_error("unreadable answer", e))?;
                    if reply.is_end == Some(true) && reply.is_final == Some(false) {
                        let why = reply.error.as_deref().unwrap_or("no reason given");
                        return Err(server_error(url, format!("could not finish: {why}")));
                    }
                    reading.apply(&reply);
                    // Before the end message, `is_final` may mark a sentence the server's
                    // voice detector ended; only after it does it mean the utterance.
                    if end_sent && (reply.is_final == Some(true) || reply.is_end == Some(true)) {
                        break;
                    }
                    let partial = reading.text();
                    if !partial.is_empty() && partial != shown {
                        shown.clone_from(&partial);
                        if !worker.send(Ok(AsrEvent::Partial(Transcript::heard(partial, 0.0)))) {
                            return Ok(None);
                        }
                    }
                }
                () = &mut final_deadline => {
                    return Err(server_error(url, "no final result within 5 s of the end of audio"));
                }
                () = worker.events.closed() => return Ok(None),
            }
        }
        // Best effort: the server would otherwise wait for more audio on this connection.
        let _ = to_server.close().await;
        Ok(Some(reading.transcript()))
    }
}
