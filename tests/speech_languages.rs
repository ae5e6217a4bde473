//! Listens in a language the server has no recogniser for, end to end: a real `huashu serve`
//! with its embedded recogniser (US English only), the `birthday-coupon` example uploaded
//! as a Mandarin module, and a Twilio Media Streams gateway speaking Mandarin made with
//! eSpeak NG's `cmn` voice. The upload warns; the utterance reaches the script as a
//! transcript with no words, confidence 0 and the reason, never as an English guess. And on
//! an English listen, Mandarin and English that is none of the hints are no match.

mod support;

use serde_json::{Value, json};
use support::server::{Server, create_tenant};
use support::twilio::{FromServer, TwilioCall};

use huashu_speech::tts::TextToSpeech;
use huashu_speech::tts::espeak::EspeakTts;

/// `text` spoken by eSpeak NG's `voice`, then half a second of quiet so the turn detector
/// hears the utterance end.
fn spoken(voice: &str, text: &str) -> Vec<i16> {
    let speech = EspeakTts::default()
        .synthesize_blocking(voice, text)
        .unwrap_or_else(|e| panic!("eSpeak NG: {e} (run ./scripts/setup)"));
    let mut samples = speech.samples().to_vec();
    samples.extend(std::iter::repeat_n(0, 16_000 / 2));
    samples
}

/// A Twilio call to the tenant's `coupon` module in which the customer says each of
/// `utterances` once the bot has made its offer, waiting for the bot's answer to each, then
/// hangs up. The call's record.
fn call_saying(server: &Server, key: &str, utterances: &[Vec<i16>]) -> Value {
    let parameters = json!({
        "huashu_key": key,
        "module": "coupon",
        "name": "王芳",
        "coupon_amount": "50",
        "from": "+8613800000000",
        "to": "+8613900000000",
    });
    support::two_worker_runtime().block_on(async {
        let mut call = TwilioCall::start(&server.base, parameters).await;
        call.until_mark("offer").await;
        for utterance in utterances {
            call.speak(utterance);
            // The script asks again (it heard that something was said, not what).
            call.until(|e| matches!(e, FromServer::Mark { .. }))
                .await
                .expect("the script answers each utterance");
        }
        call.send_raw(&json!({ "event": "stop" }).to_string());
        call.until_closed().await;
    });
    let client = server.client(key);
    let (status, list) = client.get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    let call_id = list["items"][0]["call_id"].as_str().expect("a call");
    let (_, record) = client.get(&format!("/v1/calls/{call_id}"));
    assert_ne!(record["status"], "live", "{record}");
    record
}

fn final_transcripts(record: &Value) -> Vec<&Value> {
    record["record"]["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "event" && e["event"]["event"] == "final_transcript")
        .map(|e| &e["event"])
        .collect()
}

#[test]
fn a_module_in_a_language_without_a_recogniser_is_warned_at_upload_and_heard_as_not_understood() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme Retail");
    let client = server.client(&key);
    let wasm = support::guest_bytes("birthday-coupon");

    // A tag that is not one is refused before anything is compiled.
    let (status, body) = client.put_bytes_as_sent("/v1/modules/coupon?language=chinese", &wasm);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("zh-CN")),
        "{body}"
    );

    // Mandarin, on a server that hears only English: stored, with a warning that says
    // what will happen and how the operator fixes it.
    let (status, body) =
        client.put_bytes_as_sent("/v1/modules/coupon?language=zh-cn&wait=120", &wasm);
    assert_eq!(status, 201, "{body}");
    let warning = body["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains("`zh-CN`"), "{body}");
    assert!(warning.contains("--asr zh-CN="), "{body}");
    assert!(warning.contains("no-recogniser"), "{body}");
    let (_, module) = client.get("/v1/modules/coupon");
    assert_eq!(module["language"], "zh-CN", "{module}");

    // An English module gets no warning.
    let (status, body) =
        client.put_bytes_as_sent("/v1/modules/english?language=en-US&wait=120", &wasm);
    assert_eq!(status, 201, "{body}");
    assert!(body.get("warnings").is_none(), "{body}");

    let record = call_saying(&server, &key, &[spoken("cmn", "不需要，谢谢")]);
    let heard = final_transcripts(&record);
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["text"], "", "{heard:?}");
    assert_eq!(heard[0]["confidence"], 0.0, "{heard:?}");
    assert_eq!(
        heard[0]["not_understood"],
        json!({ "no_recogniser": "zh-CN" }),
        "{heard:?}"
    );
    // Never read as an English "yes please" (A) or "call me later" (B), nor as a refusal
    // (D): the customer hung up while the script was still asking, so it stays unclear.
    assert_eq!(
        record["record"]["outcome"],
        json!({ "intent": "C", "disposition": "customer-hung-up" })
    );
}

#[test]
fn on_an_english_listen_mandarin_and_english_outside_the_hints_are_no_match() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme Retail");
    let client = server.client(&key);
    let (status, body) = client.put_bytes_as_sent(
        "/v1/modules/coupon?language=en-US&wait=120",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");

    // Before the fix, the first was heard as the hint "yes please" (intent A) and a
    // refusal in Mandarin as "call me later" (B).
    let utterances = [
        spoken("cmn", "好的，可以"),
        spoken("en-us", "what is the weather tomorrow"),
    ];
    let record = call_saying(&server, &key, &utterances);
    let heard = final_transcripts(&record);
    assert_eq!(heard.len(), 2, "{heard:?}");
    for transcript in heard {
        assert_eq!(
            (
                &transcript["text"],
                &transcript["confidence"],
                &transcript["not_understood"]
            ),
            (&json!(""), &json!(0.0), &json!("no_match")),
            "{transcript}"
        );
    }
    assert_ne!(record["record"]["outcome"]["intent"], "A", "{record}");
    assert_ne!(record["record"]["outcome"]["intent"], "B", "{record}");
}

#[test]
fn a_tenant_language_applies_to_modules_that_name_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant_id, key) = create_tenant(&server, "Acme Retail");
    let operator = server.operator();
    let path = format!("/v1/tenants/{tenant_id}");
    let (status, body) = operator.patch(&path, json!({ "language": "Mandarin" }));
    assert_eq!(status, 400, "{body}");
    let (status, body) = operator.patch(&path, json!({ "language": "zh-cn" }));
    assert_eq!(
        (status, &body["language"]),
        (200, &json!("zh-CN")),
        "{body}"
    );

    let client = server.client(&key);
    let (status, body) = client.put_bytes(
        "/v1/modules/coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    let record = call_saying(&server, &key, &[spoken("en-us", "yes please")]);
    let heard = final_transcripts(&record);
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(
        heard[0]["not_understood"],
        json!({ "no_recogniser": "zh-CN" }),
        "even English is not guessed at on a Mandarin call: {heard:?}"
    );

    // `null` returns the tenant to the server's default.
    let (status, body) = operator.patch(&path, json!({ "language": null }));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("language").is_none(), "{body}");
}
