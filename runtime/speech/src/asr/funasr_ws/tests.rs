//! The FunASR client against a protocol-level server on loopback: it checks what the
//! client sends and answers the way `funasr-wss-server-2pass` does (no model behind it).

use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http;

use super::*;
use huashu_media::pcm::FRAME_SAMPLES;

/// How the test server answers one connection.
#[derive(Default, Clone)]
struct Script {
    /// Answers to the audio messages, by their order (a missing one: no answer).
    on_audio: Vec<&'static str>,
    /// Answers to the end message.
    on_end: Vec<&'static str>,
    /// Close the connection on receiving this many audio messages.
    close_after_audio: Option<usize>,
    /// Refuse connections that do not offer the `binary` subprotocol, with 400.
    require_subprotocol: bool,
}

/// What the client sent on one connection.
#[derive(Debug, Default)]
struct Received {
    opening: serde_json::Value,
    audio_bytes: usize,
    audio_messages: usize,
    end: serde_json::Value,
    /// Connections refused for lack of the subprotocol before this one.
    refused: usize,
}

/// A server for `connections` connections that are not refused, each run by `script`.
async fn test_server(
    script: Script,
    connections: usize,
) -> (String, tokio::task::JoinHandle<Vec<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let mut all = Vec::new();
        let mut refused = 0;
        while all.len() < connections {
            let (tcp, _) = listener.accept().await.expect("accept");
            let require = script.require_subprotocol;
            // The handshake callback's error type is fixed by the WebSocket library.
            #[allow(clippy::result_large_err)]
            let negotiate = move |request: &Request, mut response: Response| {
                let offered = request
                    .headers()
                    .get(header::SEC_WEBSOCKET_PROTOCOL)
                    .is_some_and(|p| p == SUBPROTOCOL);
                if offered {
                    response.headers_mut().insert(
                        header::SEC_WEBSOCKET_PROTOCOL,
                        HeaderValue::from_static(SUBPROTOCOL),
                    );
                } else if require {
                    let refusal: ErrorResponse = http::Response::builder()
                        .status(StatusCode::BAD_REQUEST)
                        .body(Some("missing subprotocol".into()))
                        .expect("refusal");
                    return Err(refusal);
                }
                Ok(response)
            };
            let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, negotiate).await else {
                refused += 1;
                continue;
            };
            let mut received = converse(ws, &script).await;
            received.refused = std::mem::take(&mut refused);
            all.push(received);
        }
        all
    });
    (url, server)
}

async fn converse(mut ws: WebSocketStream<TcpStream>, script: &Script) -> Received {
    let mut received = Received::default();
    while let Some(Ok(message)) = ws.next().await {
        let answers: &[&str] = match message {
            Message::Text(text) => {
                let json: serde_json::Value = serde_json::from_str(&text).expect("json text");
                if received.opening.is_null() {
                    received.opening = json;
                    continue;
                }
                received.end = json;
                &script.on_end
            }
            Message::Binary(audio) => {
                received.audio_bytes += audio.len();
                received.audio_messages += 1;
                if script.close_after_audio == Some(received.audio_messages) {
                    let _ = ws.close(None).await;
                    return received;
                }
                script
                    .on_audio
                    .get(received.audio_messages - 1)
                    .map(std::slice::from_ref)
                    .unwrap_or_default()
            }
            Message::Close(_) => break,
            _ => continue,
        };
        for answer in answers {
            ws.send(Message::text(*answer)).await.expect("answer");
        }
    }
    received
}

fn hinted(hints: &[&str]) -> RecognitionOptions {
    let mut options = RecognitionOptions::default();
    options.hints.extend(hints.iter().map(|h| h.to_string()));
    options
}

/// Feeds `frames` frames, finishes, and collects every event until the last.
async fn recognise(
    asr: &FunAsrWs,
    options: RecognitionOptions,
    frames: usize,
) -> Vec<Result<AsrEvent, AsrError>> {
    let mut recognition = asr.start(options).expect("start");
    for _ in 0..frames {
        recognition.feed(&[7; FRAME_SAMPLES]).expect("feed");
    }
    recognition.finish();
    let mut events = Vec::new();
    while let Some(event) = recognition.next_event().await {
        events.push(event);
    }
    events
}

fn describe(events: &[Result<AsrEvent, AsrError>]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Ok(AsrEvent::Partial(t)) => format!("partial:{}:{}", t.text, t.confidence),
            Ok(AsrEvent::Final(t)) => format!("final:{}:{}", t.text, t.confidence),
            Err(e) => format!("error:{e}"),
        })
        .collect()
}

const TWO_SENTENCES: [&str; 4] = [
    r#"{"mode": "2pass-online", "text": "我想", "wav_name": "huashu", "is_final": false}"#,
    r#"{"mode": "2pass-online", "text": "定票", "wav_name": "huashu", "is_final": false}"#,
    r#"{"mode": "2pass-offline", "text": "我想订票，", "wav_name": "huashu", "is_final": false, "timestamp": "[[100,200]]"}"#,
    r#"{"mode": "2pass-online", "text": "明天", "wav_name": "huashu", "is_final": false}"#,
];

#[tokio::test]
async fn partials_grow_from_streamed_pieces_and_the_final_is_the_corrected_reading() {
    let script = Script {
        on_audio: TWO_SENTENCES.to_vec(),
        on_end: vec![
            r#"{"mode": "2pass-offline", "text": "明天的。", "wav_name": "huashu", "is_final": true}"#,
        ],
        ..Script::default()
    };
    let (url, server) = test_server(script, 1).await;
    let asr = FunAsrWs::new(url).expect("url");
    let events = recognise(&asr, hinted(&["订票", " 退票 ", "订票", ""]), 12).await;
    assert_eq!(
        describe(&events),
        [
            "partial:我想:0",
            "partial:我想定票:0",
            "partial:我想订票，:0",
            "partial:我想订票，明天:0",
            "final:我想订票，明天的。:0.9",
        ]
    );
    let Some(Ok(AsrEvent::Final(last))) = events.last() else {
        panic!("no final: {events:?}");
    };
    assert_eq!(last.not_understood, None);

    let received = server.await.expect("server").pop().expect("one connection");
    let opening = &received.opening;
    assert_eq!(opening["mode"], "2pass");
    assert_eq!(opening["chunk_size"], serde_json::json!([5, 10, 5]));
    assert_eq!(opening["chunk_interval"], 10);
    assert_eq!(opening["wav_name"], "huashu");
    assert_eq!(opening["wav_format"], "pcm");
    assert_eq!(opening["audio_fs"], 16000);
    assert_eq!(opening["is_speaking"], true);
    assert_eq!(opening["itn"], true);
    let hotwords: serde_json::Value =
        serde_json::from_str(opening["hotwords"].as_str().expect("hotwords is a string"))
            .expect("hotwords holds JSON");
    assert_eq!(hotwords, serde_json::json!({"订票": 20, "退票": 20}));
    assert_eq!(received.audio_bytes, 12 * FRAME_SAMPLES * 2);
    assert_eq!(received.audio_messages, 12 / CHUNK_FRAMES);
    assert_eq!(received.end["is_speaking"], false);
}

#[tokio::test]
async fn streamed_words_the_server_never_corrected_stay_in_the_final() {
    let script = Script {
        on_audio: vec![TWO_SENTENCES[0]],
        on_end: vec![r#"{"text": "", "wav_name": "huashu", "is_final": true}"#],
        ..Script::default()
    };
    let (url, _server) = test_server(script, 1).await;
    let asr = FunAsrWs::new(url).expect("url");
    let events = recognise(&asr, RecognitionOptions::default(), 4).await;
    assert_eq!(describe(&events), ["partial:我想:0", "final:我想:0.9"]);
}

#[tokio::test]
async fn an_empty_utterance_sends_no_audio_and_ends_with_an_empty_transcript() {
    let script = Script {
        on_end: vec![r#"{"text": "", "wav_name": "huashu", "is_final": true}"#],
        ..Script::default()
    };
    let (url, server) = test_server(script, 1).await;
    let asr = FunAsrWs::new(url).expect("url");
    let events = recognise(&asr, RecognitionOptions::default(), 0).await;
    assert_eq!(describe(&events), ["final::0"]);
    let Some(Ok(AsrEvent::Final(last))) = events.last() else {
        panic!("no final: {events:?}");
    };
    assert_eq!(last.not_understood, None);

    let received = server.await.expect("server").pop().expect("one connection");
    assert_eq!(received.opening["hotwords"], "");
    assert_eq!(received.audio_bytes, 0);
    assert_eq!(received.end["is_speaking"], false);
}

#[tokio::test]
async fn an_end_acknowledgement_finishes_the_utterance() {
    let script = Script {
        on_audio: vec![TWO_SENTENCES[2]],
        on_end: vec![
            r#"{"mode": "2pass", "wav_name": "huashu", "is_final": true, "is_end": true}"#,
        ],
        ..Script::default()
    };
    let (url, _server) = test_server(script, 1).await;
    let asr = FunAsrWs::new(url).expect("url");
    let events = recognise(&asr, RecognitionOptions::default(), 3).await;
    assert_eq!(
        describe(&events),
        ["partial:我想订票，:0", "final:我想订票，:0.9"]
    );
}

#[tokio::test]
async fn a_failed_acknowledgement_is_a_server_error() {
    let script = Script {
        on_end: vec![
            r#"{"mode": "2pass", "wav_name": "huashu", "is_final": false, "is_end": true, "error": "offline inference failed: out of memory"}"#,
        ],
        ..Script::default()
    };
    let (url, _server) = test_server(script, 1).await;
    let asr = FunAsrWs::new(url).expect("url");
    let recognition = asr.start(RecognitionOptions::default()).expect("start");
    let Err(AsrError::Server(why)) = recognition.final_transcript().await else {
        panic!("a failed acknowledgement must be a server error");
    };
    assert!(why.contains("out of memory"), "{why}");
}

#[tokio::test]
async fn a_server_that_closes_before_the_final_result_is_an_error() {
    let script = Script {
        on_audio: vec![TWO_SENTENCES[0]],
        close_after_audio: Some(2),
        ..Script::default()
    };
    let (url, _server) = test_server(script, 1).await;
    let asr = FunAsrWs::new(url).expect("url");
    let events = recognise(&asr, RecognitionOptions::default(), 12).await;
    assert!(
        matches!(events.last(), Some(Err(AsrError::Server(_)))),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_server_that_requires_the_binary_subprotocol_gets_it_from_then_on() {
    let script = Script {
        on_end: vec![
            r#"{"mode": "2pass-offline", "text": "好的", "wav_name": "huashu", "is_final": true}"#,
        ],
        require_subprotocol: true,
        ..Script::default()
    };
    let (url, server) = test_server(script, 2).await;
    let asr = FunAsrWs::new(url).expect("url");
    for _ in 0..2 {
        let events = recognise(&asr, RecognitionOptions::default(), 3).await;
        assert_eq!(describe(&events), ["final:好的:0.9"]);
    }
    let refused: Vec<usize> = server
        .await
        .expect("server")
        .iter()
        .map(|r| r.refused)
        .collect();
    assert_eq!(refused, [1, 0], "only the first connection is refused");
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_event() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let recognition = FunAsrWs::new(url)
        .expect("url")
        .start(RecognitionOptions::default())
        .expect("start");
    assert!(matches!(
        recognition.final_transcript().await,
        Err(AsrError::Server(_))
    ));
}

#[test]
fn only_plain_websocket_urls_are_accepted() {
    assert!(FunAsrWs::new("ws://asr.internal:10095").is_ok());
    for url in [
        "wss://asr.internal:10095",
        "http://asr.internal",
        "asr:10095",
    ] {
        assert!(
            matches!(FunAsrWs::new(url), Err(AsrError::Server(_))),
            "{url}"
        );
    }
}
