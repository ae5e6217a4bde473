//! An external streaming ASR server speaking the Vosk WebSocket protocol (vosk-server, and
//! the many servers that copy it), for operators who run a stronger recogniser.
//!
//! One WebSocket connection per recognition: a text message
//! `{"config": {"sample_rate": 16000, "words": 1, "phrase_list": [hints]}}`, then the audio
//! as binary messages of little-endian 16-bit PCM, then `{"eof": 1}`. The server answers
//! every message with one JSON message: `{"partial": "…"}`, or `{"text": "…", "result":
//! [{"word", "conf", …}]}` when it ends a segment itself. The answer to `eof` is the last
//! segment, after which the server closes. The final transcript joins the segments; its
//! confidence is the mean word confidence (1.0 if the server sends no word details).
//!
//! The connection runs as a task on the async runtime: it only waits on the socket and the
//! frame queue, and never decodes anything itself.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

use super::pcm_chunks::PcmChunks;
use super::{AsrError, AsrEvent, Recognition, RecognitionOptions, SpeechRecognizer, Worker};
use huashu_contract::Transcript;
use huashu_media::pcm::CANONICAL_RATE;

/// Frames sent per binary message: 100 ms. The server answers each message, so smaller
/// chunks double the traffic for partials nobody can read faster; larger ones delay them.
const CHUNK_FRAMES: usize = 5;

/// Connecting (TCP and WebSocket handshake) must finish in this long: the server is on the
/// operator's network, and a customer is waiting for an answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// After `eof`, the final result must come within this long. A server decodes faster than
/// real time, so it only has the last chunk to finish; seconds means it is stuck.
const FINAL_TIMEOUT: Duration = Duration::from_secs(5);

/// A Vosk-protocol server at one `ws://` URL.
#[derive(Debug, Clone)]
pub struct VoskWs {
    url: String,
}

impl VoskWs {
    /// A recogniser for the server at `url`, which must be `ws://` (no TLS). Nothing
    /// connects until a recognition starts.
    pub fn new(url: impl Into<String>) -> Result<Self, AsrError> {
        let url = url.into();
        if !url.starts_with("ws://") {
            return Err(AsrError::Server(format!(
                "`{url}` is not a ws:// URL (the ASR server is reached without TLS)"
            )));
        }
        Ok(Self { url })
    }
}

impl SpeechRecognizer for VoskWs {
    /// Must be called from within a tokio runtime, which the connection's task runs on.
    fn start(&self, options: RecognitionOptions) -> Result<Recognition, AsrError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| AsrError::Engine("the Vosk adapter needs a tokio runtime".into()))?;
        let (recognition, mut worker) = Recognition::channel();
        let url = self.url.clone();
        runtime.spawn(async move {
            match converse(&url, &options, &mut worker).await {
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

/// What the server sends.
#[derive(Debug, Deserialize)]
struct Reply {
    partial: Option<String>,
    text: Option<String>,
    #[serde(default)]
    result: Vec<Word>,
}

#[derive(Debug, Deserialize)]
struct Word {
    conf: f32,
}

/// Segments the server has finished.
#[derive(Default)]
struct Segments {
    texts: Vec<String>,
    confidences: Vec<f32>,
}

impl Segments {
    fn add(&mut self, text: &str, words: &[Word]) {
        if !text.trim().is_empty() {
            self.texts.push(text.trim().to_owned());
        }
        self.confidences.extend(words.iter().map(|w| w.conf));
    }

    /// Finished segments followed by `partial`.
    fn with(&self, partial: &str) -> String {
        let mut all = self.texts.join(" ");
        if !partial.trim().is_empty() {
            if !all.is_empty() {
                all.push(' ');
            }
            all.push_str(partial.trim());
        }
        all
    }

    fn transcript(&self) -> Transcript {
        let text = self.with("");
        let confidence = if text.is_empty() {
            0.0
        } else if self.confidences.is_empty() {
            1.0
        } else {
            self.confidences.iter().sum::<f32>() / self.confidences.len() as f32
        };
        Transcript {
            text,
            confidence: confidence.clamp(0.0, 1.0),
            alternatives: Vec::new(),
            not_understood: None,
        }
    }
}

fn server_error(what: &str, error: impl std::fmt::Display) -> AsrError {
    AsrError::Server(format!("{what}: {error}"))
}

/// One recognition's conversation; `None` if the caller abandoned it.
async fn converse(
    url: &str,
    options: &RecognitionOptions,
    worker: &mut Worker,
) -> Result<Option<Transcript>, AsrError> {
    let (socket, _) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| server_error(url, "no connection within 5 s"))?
        .map_err(|e| server_error(url, e))?;
    let (mut to_server, mut from_server) = socket.split();
    let mut config = serde_json::json!({"sample_rate": CANONICAL_RATE, "words": 1});
    if !options.hints.is_empty() {
        config["phrase_list"] = serde_json::json!(options.hints);
    }
    let config = serde_json::json!({ "config": config }).to_string();
    to_server
        .send(Message::text(config))
        .await
        .map_err(|e| server_error("sending the configuration", e))?;

    let mut segments = Segments::default();
    let mut shown = String::new();
    let mut chunks = PcmChunks::new(CHUNK_FRAMES);
    // Messages sent that the server has not answered yet; after `eof`, the last answer is
    // the final segment.
    let mut unanswered = 0usize;
    let mut eof_sent = false;
    let final_deadline = tokio::time::sleep(Duration::MAX);
    tokio::pin!(final_deadline);
    loop {
        tokio::select! {
            frame = worker.audio.recv(), if !eof_sent => {
                if let Some(bytes) = chunks.push(frame.as_deref()) {
                    to_server
                        .send(Message::binary(bytes))
                        .await
                        .map_err(|e| server_error("sending audio", e))?;
                    unanswered += 1;
                }
                if frame.is_none() {
                    to_server
                        .send(Message::text(r#"{"eof": 1}"#))
                        .await
                        .map_err(|e| server_error("sending the end of audio", e))?;
                    unanswered += 1;
                    eof_sent = true;
                    final_deadline
                        .as_mut()
                        .reset(tokio::time::Instant::now() + FINAL_TIMEOUT);
                }
            }
            message = from_server.next() => {
                let text = match message {
                    None | Some(Ok(Message::Close(_))) if eof_sent => break,
                    None | Some(Ok(Message::Close(_))) => {
                        return Err(server_error(url, "closed the connection mid-utterance"));
                    }
                    Some(Err(e)) => return Err(server_error(url, e)),
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue, // pings are answered by the library
                };
                let reply: Reply = serde_json::from_str(&text)
                    .map_err(|e| server_error("unreadable answer", e))?;
                unanswered = unanswered.saturating_sub(1);
                if let Some(text) = &reply.text {
                    segments.add(text, &reply.result);
                }
                if eof_sent && unanswered == 0 {
                    break;
                }
                let partial = segments.with(reply.partial.as_deref().unwrap_or_default());
                if !partial.is_empty() && partial != shown {
                    shown.clone_from(&partial);
                    let event = AsrEvent::Partial(Transcript {
                        text: partial,
                        confidence: 0.0,
                        alternatives: Vec::new(),
                        not_understood: None,
                    });
                    if !worker.send(Ok(event)) {
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
    // Best effort: the server closes after the final answer anyway.
    let _ = to_server.close().await;
    Ok(Some(segments.transcript()))
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;
    use huashu_media::pcm::FRAME_SAMPLES;

    /// A fake Vosk server for one connection: keeps the configuration, answers the first
    /// audio chunk with a partial, the second with a finished segment, later ones with an
    /// empty partial, and `eof` with the last segment. Returns the configuration and the
    /// number of audio bytes it received.
    async fn fake_server() -> (String, tokio::task::JoinHandle<(serde_json::Value, usize)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut ws = tokio_tungstenite::accept_async(tcp)
                .await
                .expect("handshake");
            let mut config = serde_json::Value::Null;
            let (mut bytes, mut chunks) = (0, 0);
            while let Some(Ok(message)) = ws.next().await {
                let reply = match message {
                    Message::Text(t) if t.contains("config") => {
                        config = serde_json::from_str(&t).expect("config json");
                        continue;
                    }
                    Message::Text(t) if t.contains("eof") => {
                        r#"{"text": "tomorrow", "result": [{"word": "tomorrow", "conf": 0.6}]}"#
                    }
                    Message::Binary(b) => {
                        bytes += b.len();
                        chunks += 1;
                        match chunks {
                            2 => {
                                r#"{"text": "call me", "result": [{"word": "call", "conf": 1.0}, {"word": "me", "conf": 0.8}]}"#
                            }
                            1 => r#"{"partial": "call"}"#,
                            _ => r#"{"partial": ""}"#,
                        }
                    }
                    _ => continue,
                };
                ws.send(Message::text(reply)).await.expect("reply");
                if reply.contains("tomorrow") {
                    break;
                }
            }
            let _ = ws.close(None).await;
            (config, bytes)
        });
        (url, server)
    }

    #[tokio::test]
    async fn streams_audio_and_joins_the_servers_segments() {
        let (url, server) = fake_server().await;
        let vosk = VoskWs::new(url).expect("url");
        let mut recognition = vosk
            .start(RecognitionOptions {
                hints: vec!["call me tomorrow".into()],
            })
            .expect("start");
        for _ in 0..12 {
            recognition.feed(&[7; FRAME_SAMPLES]).expect("feed");
        }
        recognition.finish();
        let mut events = Vec::new();
        while let Some(event) = recognition.next_event().await {
            events.push(event.expect("event"));
        }
        let texts: Vec<_> = events
            .iter()
            .map(|e| match e {
                AsrEvent::Partial(t) => format!("partial:{}", t.text),
                AsrEvent::Final(t) => format!("final:{}:{:.1}", t.text, t.confidence),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "partial:call",
                "partial:call me",
                "final:call me tomorrow:0.8"
            ]
        );
        let (config, bytes) = server.await.expect("server");
        assert_eq!(
            config,
            serde_json::json!({"config": {"sample_rate": 16000, "words": 1,
                "phrase_list": ["call me tomorrow"]}})
        );
        assert_eq!(bytes, 12 * FRAME_SAMPLES * 2);
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error_event() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/", listener.local_addr().expect("addr"));
        drop(listener);
        let recognition = VoskWs::new(url)
            .expect("url")
            .start(RecognitionOptions::default())
            .expect("start");
        assert!(matches!(
            recognition.final_transcript().await,
            Err(AsrError::Server(_))
        ));
        assert!(VoskWs::new("http://asr").is_err());
    }
}
