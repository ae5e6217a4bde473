//! Voice calls end to end: a real `huashu serve` with its embedded speech engines
//! (eSpeak NG, PocketSphinx, the WebRTC VAD), the `birthday-coupon` example, and real
//! clients streaming audio in real time — a Twilio Media Streams gateway (mu-law) and a
//! browser (Opus). The customer's words are made with eSpeak NG at test time.

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::server::{Server, create_tenant};
use support::twilio::{FromServer, TwilioCall, start_message};
use tokio::time::Instant;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use huashu_media::g711::Law;
use huashu_media::opus_codec::{OPUS_FRAME_SAMPLES, OpusDecoder, OpusEncoder};
use huashu_media::resample::{OPUS_RATE, convert_i16};
use huashu_speech::tts::TextToSpeech;
use huashu_speech::tts::espeak::EspeakTts;

/// A server with one tenant that has the guest `module`; the tenant's id and key.
fn server_with(dir: &std::path::Path, module: &str) -> (Server, String, String) {
    let server = Server::start(dir);
    let (tenant_id, key) = create_tenant(&server, "Acme Retail");
    let (status, body) = server.client(&key).put_bytes(
        &format!("/v1/modules/{module}"),
        &support::guest_bytes(module),
    );
    assert_eq!(status, 201, "{body}");
    (server, tenant_id, key)
}

/// A server with one tenant that has `birthday-coupon`; its key.
fn server_with_coupon(dir: &std::path::Path) -> (Server, String) {
    let (server, _, key) = server_with(dir, "birthday-coupon");
    (server, key)
}

/// `text` spoken in US English by eSpeak NG, with half a second of quiet after it so the
/// turn detector hears the utterance end.
fn spoken(text: &str) -> Vec<i16> {
    let speech = EspeakTts::default()
        .synthesize_blocking("en-us", text)
        .unwrap_or_else(|e| panic!("eSpeak NG: {e} (run ./scripts/setup)"));
    let mut samples = speech.samples().to_vec();
    samples.extend(std::iter::repeat_n(0, 16_000 / 2));
    samples
}

fn coupon_parameters(key: &str) -> Value {
    json!({
        "huashu_key": key,
        "module": "birthday-coupon",
        "name": "Wang Fang",
        "coupon_amount": "50",
        "from": "+8613800000000",
        "to": "+8613900000000",
    })
}

/// The tenant's only call record.
fn only_call(server: &Server, key: &str) -> Value {
    let client = server.client(key);
    let (status, list) = client.get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    let id = list["items"][0]["call_id"]
        .as_str()
        .expect("a call")
        .to_owned();
    let (status, call) = client.get(&format!("/v1/calls/{id}"));
    assert_eq!(status, 200, "{call}");
    call
}

fn events<'a>(record: &'a Value, kind: &str) -> Vec<&'a Value> {
    record["record"]["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "event" && e["event"]["event"] == kind)
        .map(|e| &e["event"])
        .collect()
}

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

#[test]
fn a_spoken_yes_over_twilio_gets_the_coupon_and_the_bot_talks_in_paced_mulaw_frames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_coupon(dir.path());
    let yes = spoken("yes please");
    support::two_worker_runtime().block_on(async {
        let mut call = TwilioCall::start(&server.base, coupon_parameters(&key)).await;
        // The greeting and the offer, then the bot listens.
        call.until_mark("greeting").await;
        call.until_mark("offer").await;
        let frames = call.media();
        assert!(
            frames.len() >= 150,
            "a greeting and an offer last seconds, got {} frames",
            frames.len()
        );
        assert!(
            frames.iter().all(|(_, f)| f.len() == 160),
            "160-byte mu-law frames"
        );
        // Paced, not dumped: frame n cannot arrive before the first plus n × 20 ms (the
        // first may have left up to a few frames late, hence the allowance).
        let (first, _) = frames[0];
        let (last, _) = frames[frames.len() - 1];
        let span = last - first;
        let floor = Duration::from_millis(20 * (frames.len() as u64 - 1));
        assert!(
            span + Duration::from_millis(100) >= floor,
            "{} frames arrived within {span:?}",
            frames.len()
        );
        let mut pcm = Vec::new();
        for (_, frame) in &frames {
            Law::Mu.decode(frame, &mut pcm);
        }
        assert!(rms(&pcm) > 300.0, "the bot's audio is speech, not silence");

        call.speak(&yes);
        let (code, reason) = call.until_closed().await;
        assert_eq!(
            (code, reason.as_str()),
            (1000, "call ended: dialogue-complete")
        );
    });
    let record = only_call(&server, &key);
    assert_eq!(record["record"]["outcome"]["intent"], "A", "{record}");
    let heard = events(&record, "final_transcript");
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(
        heard[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("yes"),
        "recognised {:?}",
        heard[0]["text"]
    );
    assert_eq!(record["record"]["call"]["caller"], "+8613800000000");
    assert_eq!(record["record"]["call"]["channel"], "twilio");

    // Replayed against the same module, the call times playback by the recorded audio
    // lengths and takes the same turns.
    support::server::assert_replays_the_same(
        &server,
        &key,
        record["call_id"].as_str().expect("call_id"),
        &support::guest_wasm("birthday-coupon"),
        &dir.path().join("cache"),
    );
}

#[test]
fn speaking_over_the_greeting_clears_it_and_the_script_hears_how_far_it_played() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_coupon(dir.path());
    let yes = spoken("yes please");
    support::two_worker_runtime().block_on(async {
        let mut call = TwilioCall::start(&server.base, coupon_parameters(&key)).await;
        // About a second into the greeting, the customer talks over it.
        call.until(|e| matches!(e, FromServer::Media { .. })).await;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(1_000) {
            call.until(|e| matches!(e, FromServer::Media { .. })).await;
        }
        call.speak(&yes);
        let clear = call.until(|e| matches!(e, FromServer::Clear { .. })).await;
        assert!(clear.is_some(), "barge-in sends clear");
        let (code, reason) = call.until_closed().await;
        assert_eq!(code, 1000, "{reason}");
    });
    let record = only_call(&server, &key);
    let finished = events(&record, "playback_finished");
    let greeting = finished
        .iter()
        .find(|e| e["id"] == "greeting")
        .expect("the script heard about the greeting");
    assert_eq!(greeting["interrupted"], true, "{greeting}");
    let played = greeting["played_ms"].as_u64().expect("played_ms");
    let total = greeting["total_ms"].as_u64().expect("total_ms");
    assert!(
        played >= 1_000 && played < total,
        "played {played} of {total} ms"
    );
    assert!(!events(&record, "speech_started").is_empty());
    // The answer given over the greeting was recognised with the listen's hints.
    let heard = events(&record, "final_transcript");
    assert!(
        heard
            .iter()
            .any(|t| t["text"].as_str().unwrap_or_default().contains("yes")),
        "{heard:?}"
    );
    assert_eq!(record["record"]["outcome"]["intent"], "A", "{record}");
}

/// A browser on the console's WebSocket with `audio=opus`: streams Opus packets in real time
/// (silence, or the queued speech), collects JSON messages and counts binary frames.
struct OpusBrowser {
    speech: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Vec<u8>>>>,
    raw: tokio::sync::mpsc::UnboundedSender<Message>,
    incoming: tokio::sync::mpsc::UnboundedReceiver<Message>,
    json: Vec<Value>,
    binary: Vec<Vec<u8>>,
    closed: Option<(u16, String)>,
}

/// Canonical audio as 20 ms Opus packets.
fn opus_packets(canonical: &[i16]) -> Vec<Vec<u8>> {
    let wide = convert_i16(canonical, 16_000, OPUS_RATE).expect("resample to 48 kHz");
    let mut encoder = OpusEncoder::new().expect("opus encoder");
    wide.chunks(OPUS_FRAME_SAMPLES)
        .map(|chunk| {
            let mut frame = chunk.to_vec();
            frame.resize(OPUS_FRAME_SAMPLES, 0);
            let mut packet = Vec::new();
            encoder.encode(&frame, &mut packet).expect("encode");
            packet
        })
        .collect()
}

impl OpusBrowser {
    async fn connect(url: &str) -> OpusBrowser {
        let (socket, _) = connect_async(url).await.expect("connect");
        let (mut sink, mut stream) = socket.split();
        let speech: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<Vec<u8>>>> =
            Default::default();
        let quiet = opus_packets(&[0; 320])[0].clone();
        let (raw, mut raw_rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
        let queued = speech.clone();
        tokio::spawn(async move {
            let origin = Instant::now();
            let mut n = 0u64;
            loop {
                tokio::select! {
                    message = raw_rx.recv() => match message {
                        Some(m) => if sink.send(m).await.is_err() { return },
                        None => return,
                    },
                    () = tokio::time::sleep_until(origin + Duration::from_millis(20 * n)) => {
                        n += 1;
                        let packet = queued.lock().expect("queue").pop_front().unwrap_or_else(|| quiet.clone());
                        if sink.send(Message::Binary(packet.into())).await.is_err() { return; }
                    }
                }
            }
        });
        let (tx, incoming) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        OpusBrowser {
            speech,
            raw,
            incoming,
            json: Vec::new(),
            binary: Vec::new(),
            closed: None,
        }
    }

    fn speak(&self, canonical: &[i16]) {
        self.speech
            .lock()
            .expect("queue")
            .extend(opus_packets(canonical));
    }

    /// Reads until a JSON message satisfies `done`, or the socket closes (None).
    async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.incoming.recv())
                .await
                .expect("the server answered in time");
            match message {
                Some(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON");
                    self.json.push(value.clone());
                    if done(&value) {
                        return Some(value);
                    }
                }
                Some(Message::Binary(frame)) => self.binary.push(frame.to_vec()),
                Some(Message::Close(frame)) => {
                    self.closed = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    return None;
                }
                Some(_) => {}
                None => return None,
            }
        }
    }
}

#[test]
fn a_spoken_yes_in_opus_over_the_browser_socket_gets_the_coupon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_coupon(dir.path());
    let (status, created) = server.client(&key).post(
        "/v1/calls",
        json!({"module": "birthday-coupon", "channel": "browser", "variables": {"name": "Wang"}}),
    );
    assert_eq!(status, 201, "{created}");
    let url = format!("{}&audio=opus", created["ws_url"].as_str().expect("ws_url"));
    let yes = spoken("yes please");
    support::two_worker_runtime().block_on(async {
        let mut browser = OpusBrowser::connect(&url).await;
        browser
            .until(|m| m["type"] == "listen")
            .await
            .expect("the bot listens");
        assert!(
            browser.binary.len() >= 150,
            "{} frames of the bot's voice",
            browser.binary.len()
        );
        let mut decoder = OpusDecoder::new().expect("decoder");
        let mut pcm = Vec::new();
        for packet in &browser.binary {
            decoder
                .decode(packet, &mut pcm)
                .expect("the server sends valid Opus packets");
        }
        assert!(rms(&pcm) > 300.0, "the bot's audio is speech");

        // A frame that is not Opus is reported, and the call goes on.
        browser
            .raw
            .send(Message::Binary(vec![0xFF; 3].into()))
            .expect("send");
        let bad = browser
            .until(|m| m["type"] == "bad_message")
            .await
            .expect("bad_message");
        assert!(
            bad["message"]
                .as_str()
                .unwrap_or_default()
                .contains("audio frame"),
            "{bad}"
        );

        browser.speak(&yes);
        let heard = browser
            .until(|m| m["type"] == "event" && m["event"]["event"] == "final_transcript")
            .await
            .expect("the server recognised the reply");
        assert!(
            heard["event"]["text"]
                .as_str()
                .unwrap_or_default()
                .contains("yes"),
            "{heard}"
        );
        let outcome = browser
            .until(|m| m["type"] == "outcome")
            .await
            .expect("outcome");
        assert_eq!(outcome["intent"], "A");
        browser.until(|_| false).await;
        assert_eq!(
            browser.closed,
            Some((1000, "call ended: dialogue-complete".to_owned()))
        );
    });
    let record = only_call(&server, &key);
    assert_eq!(record["record"]["outcome"]["intent"], "A");
}

/// Connects as a gateway, sends `messages` in order, and returns how the server closed.
async fn gateway_session(base: &str, messages: Vec<Message>) -> (u16, String) {
    let url = format!("{}/v1/calls/twilio", base.replacen("http", "ws", 1));
    let (mut socket, _) = connect_async(url).await.expect("connect");
    for message in messages {
        if socket.send(message).await.is_err() {
            break;
        }
    }
    loop {
        let next = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("the server closed in time");
        match next {
            Some(Ok(Message::Close(frame))) => {
                return frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                });
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (1006, String::new()),
        }
    }
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

fn media(payload: &str) -> Message {
    text(
        json!({"event": "media", "streamSid": "MZ1", "sequenceNumber": "2",
        "media": {"track": "inbound", "chunk": "1", "timestamp": "0", "payload": payload}}),
    )
}

#[test]
fn bad_gateway_input_closes_the_stream_with_a_reason_and_the_server_stays_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_coupon(dir.path());
    let start = || text(start_message(coupon_parameters(&key)));
    let cases: Vec<(&str, Vec<Message>, u16, &str)> = vec![
        (
            "JSON garbage",
            vec![Message::Text("{nope".into())],
            1007,
            "not a Media Streams message",
        ),
        (
            "media before start",
            vec![media("AAAA")],
            1008,
            "`media` before `start`",
        ),
        (
            "binary frame",
            vec![Message::Binary(vec![1, 2, 3].into())],
            1003,
            "JSON text frames",
        ),
        (
            "unknown key",
            vec![text(start_message(
                json!({"huashu_key": "hk_nope", "module": "birthday-coupon"}),
            ))],
            4001,
            "unknown or revoked",
        ),
        (
            "no module",
            vec![text(start_message(json!({"huashu_key": key})))],
            1008,
            "module is missing",
        ),
        (
            "unknown module",
            vec![text(start_message(
                json!({"huashu_key": key, "module": "nope"}),
            ))],
            4004,
            "no module named `nope`",
        ),
        (
            "bad base64",
            vec![start(), media("***not base64***")],
            1007,
            "not base64",
        ),
        ("empty payload", vec![start(), media("")], 1007, "0 bytes"),
        (
            "oversized payload",
            vec![start(), media(&"A".repeat(4_000))],
            1007,
            "3000 bytes",
        ),
        (
            "a second start",
            vec![start(), start()],
            1008,
            "second `start`",
        ),
        (
            "unknown events are ignored, stop ends the call",
            vec![
                start(),
                text(json!({"event": "transcription", "x": 1})),
                text(json!({"event": "stop"})),
            ],
            1000,
            "customer-hung-up",
        ),
    ];
    support::two_worker_runtime().block_on(async {
        for (case, messages, code, reason) in cases {
            let (got_code, got_reason) = gateway_session(&server.base, messages).await;
            assert_eq!(
                got_code, code,
                "{case}: closed with {got_code} {got_reason:?}"
            );
            assert!(got_reason.contains(reason), "{case}: reason {got_reason:?}");
        }
    });
    let (status, _) = server.operator().get("/healthz");
    assert_eq!(status, 200, "the server is still up");
    // The calls that had started ended with the protocol error in their records.
    let (_, list) = server.client(&key).get("/v1/calls");
    let calls = list["items"].as_array().expect("calls");
    assert_eq!(calls.len(), 5, "{list}");
    assert!(calls.iter().all(|c| c["status"] != "live"), "{list}");
}

/// When (call time, ms) the first timeline event of `kind` that satisfies `also` happened.
fn event_at(record: &Value, kind: &str, also: impl Fn(&Value) -> bool) -> u64 {
    record["record"]["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .find(|e| e["type"] == "event" && e["event"]["event"] == kind && also(&e["event"]))
        .and_then(|e| e["at_ms"].as_u64())
        .unwrap_or_else(|| panic!("no `{kind}` event in {record}"))
}

/// The samples from `from_ms` to `to_ms` of a 16 kHz recording.
fn between(samples: &[i16], from_ms: u64, to_ms: u64) -> &[i16] {
    let at = |ms: u64| (ms as usize * 16).min(samples.len());
    &samples[at(from_ms)..at(to_ms)]
}

#[test]
fn a_recorded_twilio_call_downloads_as_a_wav_of_the_whole_call_with_both_voices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, tenant_id, key) = server_with(dir.path(), "birthday-coupon");
    let (status, tenant) = server.operator().patch(
        &format!("/v1/tenants/{tenant_id}"),
        json!({ "record_calls": true }),
    );
    assert_eq!(
        (status, &tenant["record_calls"]),
        (200, &json!(true)),
        "{tenant}"
    );

    let yes = spoken("yes please");
    support::two_worker_runtime().block_on(async {
        let mut call = TwilioCall::start(&server.base, coupon_parameters(&key)).await;
        call.until_mark("offer").await;
        call.speak(&yes);
        let (code, reason) = call.until_closed().await;
        assert_eq!(
            (code, reason.as_str()),
            (1000, "call ended: dialogue-complete")
        );
    });
    let record = only_call(&server, &key);
    assert_eq!(record["has_recording"], true, "{record}");
    let id = record["call_id"].as_str().expect("call_id");
    let (_, list) = server.client(&key).get("/v1/calls");
    assert_eq!(list["items"][0]["has_recording"], true, "{list}");

    let path = format!("/v1/calls/{id}/recording");
    let (status, content_type, wav) = server.client(&key).get_bytes(&path);
    assert_eq!((status, content_type.as_str()), (200, "audio/wav"));
    let info = huashu_media::wav::parse(&wav).expect("a valid WAV file");
    assert_eq!(
        (
            info.format,
            info.sample_rate,
            info.channels,
            info.bits_per_sample
        ),
        (1, 16_000, 1, 16),
        "16 kHz mono 16-bit PCM"
    );
    // As long as the call: from its start to the end the record gives, plus the moment
    // the bot's last words may take to go out after the session ended.
    let ended = record["record"]["end"]["at_ms"]
        .as_u64()
        .expect("end.at_ms");
    let length = u64::from(info.duration_ms());
    assert!(
        length + 100 >= ended && length <= ended + 1_500,
        "the recording lasts {length} ms, the call {ended} ms"
    );
    let samples = huashu_media::wav::decode_to_canonical(&wav).expect("decodes");

    // The bot: the middle of the greeting (nobody else talks then).
    let greeting_end = event_at(&record, "playback_finished", |e| e["id"] == "greeting");
    let greeting = between(&samples, greeting_end / 3, greeting_end * 2 / 3);
    assert!(
        rms(greeting) > 300.0,
        "the greeting is in the recording: rms {}",
        rms(greeting)
    );
    // The caller: from just before the bot heard speech start to the end of the utterance
    // (the turn detector waits 800 ms of silence before the answer is final), with the bot
    // silent: the offer was over, the answer not yet begun.
    let spoke = event_at(&record, "speech_started", |_| true);
    let offer_end = event_at(&record, "playback_finished", |e| e["id"] == "offer");
    assert!(spoke >= offer_end, "the caller spoke after the offer");
    let heard = event_at(&record, "final_transcript", |_| true);
    let answer = between(&samples, spoke.saturating_sub(100), heard - 600)
        .chunks(16 * 200)
        .map(rms)
        .fold(0.0, f64::max);
    assert!(
        answer > 300.0,
        "the caller is in the recording: rms {answer}"
    );
    // Once the caller has finished and before the bot answers, the line is quiet.
    let quiet = rms(between(&samples, heard - 600, heard - 200));
    assert!(
        quiet < answer / 10.0,
        "rms {quiet} before the answer was heard, {answer} in it"
    );

    // Another tenant cannot have it.
    let (_, other) = create_tenant(&server, "Other Co");
    support::server::assert_not_found(server.client(&other).get(&path));
}

#[test]
fn calls_that_are_not_recorded_say_so_and_have_no_recording_to_download() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_coupon(dir.path());
    let client = server.client(&key);
    // A voice call of a tenant that does not record calls (the default).
    let stop = text(json!({"event": "stop"}));
    let start = text(start_message(coupon_parameters(&key)));
    support::two_worker_runtime().block_on(async {
        let (code, reason) = gateway_session(&server.base, vec![start, stop]).await;
        assert_eq!(code, 1000, "{reason}");
    });
    let voice = only_call(&server, &key);
    assert_eq!(voice["record"]["call"]["channel"], "twilio");
    assert_eq!(voice["has_recording"], false, "{voice}");
    let voice_id = voice["call_id"].as_str().expect("call_id").to_owned();

    // A text call of a tenant that does: text calls have no audio to keep.
    let (_, tenants) = server.operator().get("/v1/tenants");
    let tenant = &tenants["items"][0];
    assert_eq!(
        tenant["record_calls"], false,
        "off unless the operator turns it on"
    );
    let tenant_id = tenant["id"].as_str().expect("tenant id");
    let (status, _) = server.operator().patch(
        &format!("/v1/tenants/{tenant_id}"),
        json!({ "record_calls": true }),
    );
    assert_eq!(status, 200);
    let (status, created) = client.post(
        "/v1/calls",
        json!({"module": "birthday-coupon", "variables": {"name": "Wang"}}),
    );
    assert_eq!(status, 201, "{created}");
    let text_id = created["call_id"].as_str().expect("call_id").to_owned();
    support::two_worker_runtime().block_on(async {
        let url = created["ws_url"].as_str().expect("ws_url");
        let mut chat = support::ws::TextCall::connect(url).await;
        chat.until_listening().await.expect("the bot listens");
        chat.say("yes").await;
        chat.until_closed().await;
    });

    for id in [voice_id, text_id] {
        let (_, call) = client.get(&format!("/v1/calls/{id}"));
        assert_eq!(call["has_recording"], false, "{call}");
        assert_eq!(call["status"], "completed", "{call}");
        support::server::assert_not_found(client.get(&format!("/v1/calls/{id}/recording")));
    }
}

#[test]
fn a_script_subscribed_to_the_audio_hears_the_caller_at_the_rate_it_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _, key) = server_with(dir.path(), "audio-meter");
    let hello = spoken("hello there");
    let speaking = Duration::from_millis(hello.len() as u64 / 16) + Duration::from_millis(300);
    let key_press = |digit: &str| {
        json!({"event": "dtmf", "streamSid": "MZ1", "dtmf": {"track": "inbound_track", "digit": digit}})
            .to_string()
    };
    support::two_worker_runtime().block_on(async {
        let mut call = TwilioCall::start(
            &server.base,
            json!({"huashu_key": key, "module": "audio-meter"}),
        )
        .await;
        // Line hiss, then words, at 8 kHz; then the same at 16 kHz.
        tokio::time::sleep(Duration::from_millis(500)).await;
        call.speak(&hello);
        tokio::time::sleep(speaking).await;
        call.send_raw(&key_press("1"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        call.speak(&hello);
        tokio::time::sleep(speaking).await;
        call.send_raw(&key_press("#"));
        let (code, reason) = call.until_closed().await;
        assert_eq!((code, reason.as_str()), (1000, "call ended: measured"));
    });
    let record = only_call(&server, &key);
    let field = |name: &str| -> u64 {
        record["record"]["outcome"]["fields"][name]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("field {name} in {}", record["record"]["outcome"]))
    };
    let spoken_frames = hello.len() as u64 / 320;
    for (rate, samples) in [("8k", 160), ("16k", 320)] {
        assert_eq!(field(&format!("{rate}_samples_per_frame")), samples);
        assert_eq!(field(&format!("{rate}_sample_rate")), samples * 50);
        // Every 20 ms of the stretch, words and hiss; the words are loud, the hiss is not.
        let frames = field(&format!("{rate}_frames"));
        assert!(frames > spoken_frames, "{rate}: {frames} frames");
        let loud = field(&format!("{rate}_loud_frames"));
        assert!(
            loud > spoken_frames / 3 && loud <= spoken_frames + 5,
            "{rate}: {loud} loud frames of {spoken_frames} spoken"
        );
    }
    // The record keeps every frame the script heard, so a replay feeds it the same audio.
    let heard = events(&record, "audio_frame");
    assert_eq!(heard.len() as u64, field("8k_frames") + field("16k_frames"));
    support::server::assert_replays_the_same(
        &server,
        &key,
        record["call_id"].as_str().expect("call_id"),
        &support::guest_wasm("audio-meter"),
        &dir.path().join("cache"),
    );
}

#[test]
fn stopping_the_server_hangs_up_a_live_twilio_call_with_its_reason_and_keeps_the_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, key) = server_with_coupon(dir.path());
    let parameters = coupon_parameters(&key);
    let (code, reason) = support::two_worker_runtime().block_on(async move {
        let mut call = TwilioCall::start(&server.base, parameters).await;
        call.until_mark("greeting").await;
        // SIGTERM while the call is live: the server waits out its grace (5 s in tests),
        // then hangs the call up and stores its record before it exits.
        let stopping = std::thread::spawn(move || server.terminate());
        let closed = call.until_closed().await;
        assert_eq!(stopping.join().expect("terminate"), Some(0));
        closed
    });
    assert_eq!(
        (code, reason.as_str()),
        (1000, "call ended: server-shutdown")
    );
    let server = Server::start(dir.path());
    let record = only_call(&server, &key);
    assert_eq!(
        record["record"]["end"]["reason"], "server-shutdown",
        "{record}"
    );
}
