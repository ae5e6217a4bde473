//! The Twilio client against a scripted stand-in for the server on loopback: it checks what
//! the client sends (Twilio's messages, 20 ms frames, DTMF turns, mark echoes, `stop`) and
//! answers like the server does (paced frames, marks, a close after `stop`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::call_figures::{CallResult, Failure, Plan, SharedFigures};
use super::connect::{Auth, TwilioLine};
use super::customer_audio::CustomerAudio;
use super::twilio_client::run_call;

/// What the stand-in saw the client send.
#[derive(Debug, Default)]
struct Seen {
    events: Vec<String>,
    start: Value,
    media_chunks: Vec<u64>,
    media_arrivals: Vec<Instant>,
    digits: Vec<String>,
    mark_echoes: Vec<String>,
}

const GREETING_FRAMES: usize = 10;
const REPLY_FRAMES: usize = 5;

/// What the stand-in's writer does, in order (its playback queue).
enum Say {
    /// `frames` bot frames 20 ms apart, then a mark.
    Frames(usize, String),
    Close(CloseCode, &'static str),
}

/// Plays the queue onto the socket, so the reader keeps timing the client's frames.
async fn writer<S>(mut sink: S, mut queue: mpsc::UnboundedReceiver<Say>)
where
    S: SinkExt<Message> + Unpin,
{
    let payload = CustomerAudio::new(None).expect("silence").silence;
    while let Some(say) = queue.recv().await {
        match say {
            Say::Frames(frames, mark) => {
                let origin = Instant::now();
                for n in 0..frames {
                    tokio::time::sleep_until(origin + Duration::from_millis(20 * n as u64)).await;
                    let media = format!(
                        r#"{{"event":"media","streamSid":"MZ1","media":{{"payload":"{payload}"}}}}"#
                    );
                    let _ = sink.send(Message::text(media)).await;
                }
                let mark =
                    format!(r#"{{"event":"mark","streamSid":"MZ1","mark":{{"name":"{mark}"}}}}"#);
                let _ = sink.send(Message::text(mark)).await;
            }
            Say::Close(code, reason) => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
            }
        }
    }
}

/// Serves one call; `close_early` closes with that code and reason after a short greeting instead of
/// waiting for `stop`.
async fn stand_in(
    listener: TcpListener,
    close_early: Option<(CloseCode, &'static str)>,
    seen: mpsc::UnboundedSender<Seen>,
) {
    let (tcp, _) = listener.accept().await.expect("accept");
    let socket = tokio_tungstenite::accept_async(tcp)
        .await
        .expect("handshake");
    let (sink, mut stream) = socket.split();
    let (say, queue) = mpsc::unbounded_channel();
    tokio::spawn(writer(sink, queue));
    let mut record = Seen::default();
    let mut turns = 0;
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let value: Value = serde_json::from_str(&text).expect("the client sends JSON");
        let event = value["event"].as_str().unwrap_or_default().to_owned();
        record.events.push(event.clone());
        match event.as_str() {
            "start" => {
                record.start = value;
                if let Some((code, reason)) = close_early {
                    let _ = say.send(Say::Frames(3, "greeting".into()));
                    let _ = say.send(Say::Close(code, reason));
                } else {
                    let _ = say.send(Say::Frames(GREETING_FRAMES, "greeting".into()));
                }
            }
            "media" => {
                record.media_arrivals.push(Instant::now());
                let chunk = value["media"]["chunk"].as_str().unwrap_or_default();
                record
                    .media_chunks
                    .push(chunk.parse().expect("chunk is a number"));
            }
            "dtmf" => {
                record.digits.push(
                    value["dtmf"]["digit"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                turns += 1;
                let _ = say.send(Say::Frames(REPLY_FRAMES, format!("reply{turns}")));
            }
            "mark" => record.mark_echoes.push(
                value["mark"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            "stop" => {
                let _ = say.send(Say::Close(CloseCode::Normal, "call ended"));
            }
            _ => {}
        }
    }
    let _ = seen.send(record);
}

async fn call_stand_in(
    close_early: Option<(CloseCode, &'static str)>,
) -> (CallResult, Seen, Arc<Plan>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(stand_in(listener, close_early, tx));
    let line = Arc::new(TwilioLine {
        ws_url: format!("ws://{address}/v1/calls/twilio"),
        address,
        auth: Auth::Key {
            key: "hs_key".into(),
            module: "load-bot".into(),
        },
    });
    let plan = Arc::new(Plan {
        hold: Duration::from_millis(1500),
        turn_every: Some(Duration::from_millis(500)),
        audio: CustomerAudio::new(None).expect("silence"),
        run_id: 1,
        figures: Arc::new(SharedFigures::default()),
    });
    let result = run_call(plan.clone(), line, 7).await;
    let seen = rx.recv().await.expect("the stand-in reports");
    (result, seen, plan)
}

#[tokio::test]
async fn a_call_speaks_twilio_streams_in_real_time_and_measures_the_bot() {
    let (result, seen, plan) = call_stand_in(None).await;
    assert_eq!(result.failure, None);
    assert!(result.connected && result.held);
    assert_eq!(result.close, Some((1000, "call ended".into())));

    // Twilio's opening, with the key and module as custom parameters.
    assert_eq!(seen.events[..2], ["connected", "start"]);
    let start = &seen.start["start"];
    assert_eq!(start["customParameters"]["huashu_key"], "hs_key");
    assert_eq!(start["customParameters"]["module"], "load-bot");
    assert_eq!(start["mediaFormat"]["encoding"], "audio/x-mulaw");
    assert_eq!(seen.start["streamSid"], start["streamSid"]);
    assert_eq!(seen.events.last().map(String::as_str), Some("stop"));

    // 1.5 s of 20 ms frames, numbered from 1, on a schedule that does not drift: a busy
    // test machine may delay single frames, but not the last one's slot.
    assert_eq!(seen.media_chunks, (1..=75).collect::<Vec<u64>>());
    let span = seen.media_arrivals[74] - seen.media_arrivals[0];
    assert!(
        (Duration::from_millis(1400)..Duration::from_millis(1600)).contains(&span),
        "75 frames took {span:?}, not 74 × 20 ms"
    );
    assert_eq!(result.frames_sent, 75);

    // Turns: a digit every 0.5 s once the bot is silent; every reply measured.
    assert!(seen.digits.len() >= 2, "{:?}", seen.digits);
    assert_eq!(seen.digits[..2], ["1", "2"]);
    assert_eq!(result.turns, seen.digits.len() as u64);
    let figures = &plan.figures;
    assert_eq!(
        figures.turn_latency.count(),
        result.turns - result.turns_unanswered
    );
    assert!(figures.turn_latency.count() >= 2);

    // Every mark echoed by name, the bot's frames measured in runs.
    assert_eq!(seen.mark_echoes[0], "greeting");
    assert_eq!(result.marks_received, result.marks_echoed);
    assert_eq!(result.marks_echoed, seen.mark_echoes.len() as u64);
    let expected_frames = GREETING_FRAMES + REPLY_FRAMES * seen.digits.len();
    assert_eq!(result.frames_received, expected_frames as u64);
    assert_eq!(result.runs, 1 + seen.digits.len() as u64);
    assert_eq!(result.bad_frames, 0);
    assert_eq!(result.frames_dropped, 0);
    assert_eq!(figures.frame_lateness.count(), expected_frames as u64);
    assert!(figures.frame_lateness.quantile_us(0.5).unwrap_or(u64::MAX) < 10_000);
}

#[tokio::test]
async fn a_call_the_server_closes_early_is_a_failure_with_its_reason() {
    let (result, _, _) = call_stand_in(Some((CloseCode::Error, "script failed"))).await;
    assert!(result.connected);
    assert!(!result.held);
    assert_eq!(
        result.failure,
        Some(Failure::ClosedEarly {
            code: 1011,
            reason: "script failed".into()
        })
    );
    assert_eq!(result.frames_received, 3);
}

#[tokio::test]
async fn a_call_the_bot_ends_normally_counts_as_held() {
    let (result, _, _) = call_stand_in(Some((CloseCode::Normal, "call ended: completed"))).await;
    assert!(result.connected);
    assert!(result.held, "{:?}", result.failure);
    assert_eq!(result.failure, None);
}

#[tokio::test]
async fn a_call_the_server_ends_for_its_own_reasons_is_not_held() {
    for reason in ["call ended: script-failed", "call ended: server-shutdown"] {
        let (result, _, _) = call_stand_in(Some((CloseCode::Normal, reason))).await;
        assert!(!result.held, "{reason}");
        assert!(
            matches!(
                result.failure,
                Some(Failure::ClosedEarly { code: 1000, .. })
            ),
            "{reason}: {:?}",
            result.failure
        );
    }
}

#[tokio::test]
async fn a_refused_upgrade_is_a_connect_failure_with_the_status() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut buffer = [0u8; 4096];
        let _ = tcp.read(&mut buffer).await;
        let body = r#"{"error":"unauthorized"}"#;
        let answer = format!(
            "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\ncontent-type: application/json\r\n\r\n{body}",
            body.len()
        );
        let _ = tcp.write_all(answer.as_bytes()).await;
    });
    let line = Arc::new(TwilioLine {
        ws_url: format!("ws://{address}/v1/calls/twilio"),
        address,
        auth: Auth::Key {
            key: "hs_wrong".into(),
            module: "load-bot".into(),
        },
    });
    let plan = Arc::new(Plan {
        hold: Duration::from_secs(1),
        turn_every: None,
        audio: CustomerAudio::new(None).expect("silence"),
        run_id: 1,
        figures: Arc::new(SharedFigures::default()),
    });
    let result = run_call(plan, line, 0).await;
    assert!(!result.connected);
    let Some(Failure::Connect(why)) = result.failure else {
        panic!("expected a connect failure, got {:?}", result.failure);
    };
    assert!(why.contains("401") && why.contains("unauthorized"), "{why}");
}
