//! `say-parts` end to end: a real `huashu serve` with its embedded eSpeak NG, two uploaded
//! WAV prompts, and the `say-parts` test guest, which greets with prompt `greeting-a`, the
//! caller's name in text-to-speech and prompt `greeting-b` as one item. Over Twilio the
//! bot's audio is one clip as long as its parts less the crossfades; the same combination
//! on a second call comes from the cache, and a re-uploaded prompt is heard on the next
//! call. On a text call the greeting reads `[greeting-a] 张三 [greeting-b]`.

mod support;

use serde_json::{Value, json};
use support::server::{Server, create_call, create_tenant};
use support::twilio::TwilioCall;
use support::ws::TextCall;

use huashu_media::joining::SEAM_FADE_MS;
use huashu_media::pcm::test_signals::sine;
use huashu_media::wav::encode_pcm16;
use huashu_speech::tts::TextToSpeech;
use huashu_speech::tts::espeak::EspeakTts;

/// Lengths of the two uploaded prompts, in ms.
const GREETING_A_MS: u64 = 1_000;
const GREETING_B_MS: u64 = 800;

/// The bot's audio is sent in whole 20 ms frames, and goes 16 kHz → 8 kHz on the way: its
/// length may differ from the exact sum by a frame either way.
const LENGTH_SLACK_MS: u64 = 40;

/// The `say-parts` guest, built with the other test guests (`tests/support`).
fn guest() -> Vec<u8> {
    support::guest_bytes("say-parts")
}

/// A 16 kHz mono WAV of a tone `ms` long: a recording that ends mid-waveform.
fn prompt_wav(freq: f64, ms: u64) -> Vec<u8> {
    encode_pcm16(&sine(freq, 16_000, 0.3, (ms * 16) as usize), 16_000)
}

/// A server whose one tenant has the guest and both prompts; the tenant's key.
fn server_with_prompts(dir: &std::path::Path) -> (Server, String) {
    let server = Server::start(dir);
    let (_, key) = create_tenant(&server, "Acme Retail");
    let client = server.client(&key);
    let (status, body) = client.put_bytes("/v1/modules/say-parts", &guest());
    assert_eq!(status, 201, "{body}");
    for (name, wav) in [
        ("greeting-a", prompt_wav(440.0, GREETING_A_MS)),
        ("greeting-b", prompt_wav(660.0, GREETING_B_MS)),
    ] {
        let (status, body) = client.put_bytes(&format!("/v1/prompts/{name}"), &wav);
        assert_eq!(status, 201, "{body}");
    }
    (server, key)
}

/// How long eSpeak NG speaks `text` in `voice`, in ms: what the server synthesises.
fn spoken_ms(voice: &str, text: &str) -> u64 {
    let speech = EspeakTts::default()
        .synthesize_blocking(voice, text)
        .unwrap_or_else(|e| panic!("eSpeak NG: {e} (run ./scripts/setup)"));
    speech.samples().len() as u64 / 16
}

/// A call record by id.
fn record(server: &Server, key: &str, id: &str) -> Value {
    let (status, call) = server.client(key).get(&format!("/v1/calls/{id}"));
    assert_eq!(status, 200, "{call}");
    call
}

/// The tenant's call ids, newest first.
fn call_ids(server: &Server, key: &str) -> Vec<String> {
    let (status, list) = server.client(key).get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|call| call["call_id"].as_str().expect("call_id").to_owned())
        .collect()
}

/// What one Twilio call of the greeting did: the bot's audio before the `greeting` mark
/// (mu-law bytes), and the call's record.
struct Greeted {
    audio: Vec<u8>,
    record: Value,
}

impl Greeted {
    fn audio_ms(&self) -> u64 {
        // 8 kHz mu-law: 8 bytes a millisecond.
        self.audio.len() as u64 / 8
    }

    fn field(&self, name: &str) -> &str {
        self.record["record"]["outcome"]["fields"][name]
            .as_str()
            .unwrap_or_else(|| panic!("field {name} in {}", self.record))
    }

    /// The bot's transcript line, and when it began.
    fn bot_line(&self) -> (String, u64) {
        let line = &self.record["record"]["transcript"][0];
        assert_eq!(line["speaker"], "bot", "{}", self.record);
        (
            line["text"].as_str().expect("text").to_owned(),
            line["at_ms"].as_u64().expect("at_ms"),
        )
    }

    /// Milliseconds the call waited for its audio to be got ready, over all replies (the
    /// record's `prepare_ms`; none when every clip came from the cache at once).
    fn preparing_ms(&self) -> u64 {
        self.record["record"]["prepare_ms"]
            .as_object()
            .map_or(0, |waits| waits.values().filter_map(Value::as_u64).sum())
    }
}

async fn greet_over_twilio(server: &Server, key: &str) -> Greeted {
    let before = call_ids(server, key).len();
    let mut call = TwilioCall::start(
        &server.base,
        json!({
            "huashu_key": key,
            "module": "say-parts",
            "name": "Wang Fang",
            "voice": "en-us",
            "from": "+8613800000000",
            "to": "+8613900000000",
        }),
    )
    .await;
    call.until_mark("greeting").await;
    let audio: Vec<u8> = call
        .media()
        .iter()
        .flat_map(|(_, frame)| frame.iter().copied())
        .collect();
    let (code, reason) = call.until_closed().await;
    assert_eq!(code, 1000, "{reason}");
    let ids = call_ids(server, key);
    assert_eq!(ids.len(), before + 1);
    Greeted {
        audio,
        record: record(server, key, &ids[0]),
    }
}

#[test]
fn prompts_and_a_spoken_name_play_as_one_clip_and_the_combination_is_cached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_prompts(dir.path());
    let name_ms = spoken_ms("en-us", "Wang Fang");
    let expected = GREETING_A_MS + name_ms + GREETING_B_MS - 2 * u64::from(SEAM_FADE_MS);
    support::two_worker_runtime().block_on(async {
        let first = greet_over_twilio(&server, &key).await;
        assert!(
            first.audio_ms().abs_diff(expected) <= LENGTH_SLACK_MS,
            "the bot played {} ms; two prompts and the name less two fades are {expected} ms",
            first.audio_ms()
        );
        assert_eq!(
            first.field("finished_id"),
            "greeting",
            "one item, the action's id"
        );
        assert_eq!(first.field("interrupted"), "false");
        let total: u64 = first.field("total_ms").parse().expect("a number");
        assert_eq!(
            total,
            first.audio_ms(),
            "the script is told the clip's own length"
        );
        assert_eq!(
            first.bot_line().0,
            "[greeting-a] Wang Fang [greeting-b]",
            "the record reads it"
        );

        // The same combination again: the joined, encoded clip comes from the shared cache,
        // so the greeting starts as soon as the script asks (the first call waited for
        // eSpeak NG, the WAV decodes and the encode), and sounds the same.
        let second = greet_over_twilio(&server, &key).await;
        assert_eq!(second.audio, first.audio, "the same clip");
        assert!(
            first.preparing_ms() > 0,
            "the first call synthesised and joined"
        );
        assert!(
            second.preparing_ms() < first.preparing_ms(),
            "the second greeting waited {} ms for its audio, the first {} ms",
            second.preparing_ms(),
            first.preparing_ms()
        );

        // A re-uploaded prompt is heard on the next call: the cached combination that
        // included it is gone.
        let longer_a = GREETING_A_MS + 500;
        let (status, body) = server
            .client(&key)
            .put_bytes("/v1/prompts/greeting-a", &prompt_wav(440.0, longer_a));
        assert_eq!(status, 201, "{body}");
        let third = greet_over_twilio(&server, &key).await;
        let expected = expected + 500;
        assert!(
            third.audio_ms().abs_diff(expected) <= LENGTH_SLACK_MS,
            "after the new upload the bot played {} ms, not {expected} ms",
            third.audio_ms()
        );
    });
}

#[test]
fn a_text_call_shows_the_parts_readably() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, key) = server_with_prompts(dir.path());
    let (id, ws_url) = create_call(&server, &key, "say-parts", json!({ "name": "张三" }));
    support::two_worker_runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        let greeting = call
            .until(|m| m["type"] == "say_parts")
            .await
            .expect("a say_parts message");
        assert_eq!(greeting["text"], "[greeting-a] 张三 [greeting-b]");
        assert_eq!(greeting["id"], "greeting");
        assert_eq!(
            greeting["parts"],
            json!([{"prompt": "greeting-a"}, {"text": "张三"}, {"prompt": "greeting-b"}])
        );
        call.until_closed().await;
    });
    let record = record(&server, &key, &id);
    assert_eq!(
        record["record"]["transcript"][0]["text"], "[greeting-a] 张三 [greeting-b]",
        "{record}"
    );
    assert_eq!(
        record["record"]["outcome"]["fields"]["finished_id"], "greeting",
        "{record}"
    );
}
