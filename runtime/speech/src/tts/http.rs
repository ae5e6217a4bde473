//! An external text-to-speech service over HTTP, for operators who run a better voice than
//! eSpeak.
//!
//! The protocol is the smallest one most TTS servers can be fronted with: `POST <url>` with
//! the JSON body `{"text": …, "voice": …}`; the answer is a 16-bit PCM WAV file at any rate
//! from 8 to 48 kHz, which is converted to canonical audio. A non-2xx status is an error
//! whose body (first line, shortened) is shown to the operator.
//!
//! The request runs on the calling (blocking) thread with `ureq`; plain `http://` only, as
//! the service is expected to sit beside the server (the workspace builds ureq without TLS).

use std::time::Duration;

use serde::Serialize;

use super::{Speech, TextToSpeech, TtsError, check_text};
use crate::canonical::wav_to_canonical;

/// Text limit, the same as eSpeak's so a script behaves the same on either backend.
pub const MAX_TEXT_CHARS: usize = super::espeak::MAX_TEXT_CHARS;

/// Default deadline for the whole exchange. A TTS service renders a sentence in well under
/// a second; after 10 s it is down or overloaded and the call is better off with the
/// fallback than with more silence.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer accepted: [`MAX_TEXT_CHARS`] of slow Mandarin (~8 min) as 24 kHz mono
/// is ~23 MB; 64 MiB leaves room for 48 kHz and stops a broken service from exhausting
/// memory.
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// How much of an error body is quoted in the error.
const ERROR_BODY_CHARS: usize = 200;

/// The longest voice name forwarded; names are opaque to us but must stay small.
const MAX_VOICE_CHARS: usize = 64;

/// A TTS service at one URL.
#[derive(Debug, Clone)]
pub struct HttpTts {
    url: String,
    default_voice: String,
    timeout: Duration,
    agent: ureq::Agent,
}

#[derive(Serialize)]
struct Request<'a> {
    text: &'a str,
    voice: &'a str,
}

impl HttpTts {
    /// A service at `url` (`http://host:port/path`), with a 10 s deadline.
    pub fn new(url: impl Into<String>) -> Result<Self, TtsError> {
        Self::with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// A service at `url` (`http://` only: no TLS) with a deadline of `timeout` for each
    /// whole request, connection and response body included.
    pub fn with_timeout(url: impl Into<String>, timeout: Duration) -> Result<Self, TtsError> {
        let url = url.into();
        if !url.starts_with("http://") {
            return Err(TtsError::Service(format!(
                "`{url}` is not an http:// URL (the TTS service is reached without TLS)"
            )));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Self {
            url,
            default_voice: String::new(),
            timeout,
            agent,
        })
    }

    /// The voice sent when a script names none (empty: the service's own default).
    pub fn with_default_voice(mut self, voice: impl Into<String>) -> Self {
        self.default_voice = voice.into();
        self
    }
}

impl TextToSpeech for HttpTts {
    fn synthesize_blocking(&self, voice: &str, text: &str) -> Result<Speech, TtsError> {
        check_text(text, MAX_TEXT_CHARS)?;
        let voice = if voice.is_empty() {
            self.default_voice.as_str()
        } else {
            voice
        };
        if voice.chars().count() > MAX_VOICE_CHARS || voice.chars().any(char::is_control) {
            return Err(TtsError::UnknownVoice {
                voice: voice.chars().take(MAX_VOICE_CHARS).collect(),
                available: "the voices of the configured TTS service".into(),
            });
        }
        let mut response = self
            .agent
            .post(&self.url)
            .header("accept", "audio/wav")
            .send_json(Request { text, voice })
            .map_err(|e| self.request_error(e))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| self.request_error(e))?;
        if !status.is_success() {
            let said = String::from_utf8_lossy(&body);
            let said: String = said
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(ERROR_BODY_CHARS)
                .collect();
            return Err(TtsError::Service(format!(
                "{} answered {status}: {said}",
                self.url
            )));
        }
        Ok(Speech::new(wav_to_canonical(&body)?))
    }
}

impl HttpTts {
    fn request_error(&self, error: ureq::Error) -> TtsError {
        let url = &self.url;
        match error {
            ureq::Error::Timeout(_) => TtsError::TimedOut(self.timeout.as_millis() as u64),
            ureq::Error::BodyExceedsLimit(limit) => {
                TtsError::Service(format!("{url} sent more than {limit} bytes of audio"))
            }
            other => TtsError::Service(format!("{url}: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    use super::*;
    use huashu_media::wav::encode_pcm16;

    /// A one-request HTTP server: hands the request body to the test and answers with
    /// `status` and `body` (or never answers when `status` is 0).
    fn serve_once(status: u16, body: Vec<u8>) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/tts", listener.local_addr().expect("addr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            let _ = tx.send(String::from_utf8_lossy(&request).into_owned());
            if status == 0 {
                // Hold the connection open without answering until the client gives up.
                let _ = reader.read_to_end(&mut Vec::new());
                return;
            }
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: audio/wav\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        });
        (url, rx)
    }

    #[test]
    fn posts_text_and_voice_and_converts_the_wav_to_canonical_audio() {
        let tone: Vec<i16> = (0..8_000)
            .map(|i| ((i % 40) * 500 - 10_000) as i16)
            .collect();
        let (url, request) = serve_once(200, encode_pcm16(&tone, 8_000));
        let tts = HttpTts::new(url).expect("url").with_default_voice("anna");
        let speech = tts
            .synthesize_blocking("", "你好 \"there\"")
            .expect("speech");
        assert_eq!(speech.duration_ms(), 1_000);
        let sent: serde_json::Value =
            serde_json::from_str(&request.recv().expect("request")).expect("json");
        assert_eq!(
            sent,
            serde_json::json!({"text": "你好 \"there\"", "voice": "anna"})
        );
    }

    #[test]
    fn service_errors_and_silence_become_errors_the_operator_can_read() {
        let (url, _request) = serve_once(503, b"model not loaded\nmore".to_vec());
        let err = HttpTts::new(url)
            .expect("url")
            .synthesize_blocking("en", "hi")
            .unwrap_err();
        assert!(
            matches!(&err, TtsError::Service(m) if m.contains("503") && m.contains("model not loaded")),
            "{err}"
        );

        let (url, _request) = serve_once(0, Vec::new());
        let tts = HttpTts::with_timeout(url, Duration::from_millis(300)).expect("url");
        assert!(matches!(
            tts.synthesize_blocking("en", "hi"),
            Err(TtsError::TimedOut(_))
        ));

        let (url, _request) = serve_once(200, b"not audio".to_vec());
        assert!(matches!(
            HttpTts::new(url)
                .expect("url")
                .synthesize_blocking("en", "hi"),
            Err(TtsError::Audio(_))
        ));
        assert!(HttpTts::new("https://tts.example/v1").is_err());
    }
}
