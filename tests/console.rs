//! The browser console end to end: a real `huashu serve`, Debian's headless Chromium
//! driven by Playwright scripts (`tests/console/*.mjs`), real components from
//! `guest-examples/`, Kamailio as the carrier for telephone calls and baresip as the
//! customer's phone that answers a campaign. Each test starts its own server and browser,
//! runs one script, and checks what the page showed against what the server recorded.
//!
//! `./scripts/setup` installs Chromium and the scripts' `playwright-core`; when either
//! is missing these tests fail and say so, they never skip. `HUASHU_UPDATE_SCREENSHOTS=1`
//! makes the scripts write the screenshots in `docs/console/`.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::server::{OPERATOR_TOKEN, Server, create_tenant};
use support::sip::{
    Answer, Kamailio, Phone, Subscriber, free_port, free_port_range, phone_microphone,
};

const CHROMIUM: &str = "/usr/bin/chromium";

fn scripts_dir() -> PathBuf {
    support::workspace_root().join("tests").join("console")
}

/// Fails with what to do when the browser or the script runner is missing.
fn require_browser_tools() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: run ./scripts/setup (it installs Debian's chromium)"
    );
    assert!(
        scripts_dir()
            .join("node_modules/playwright-core/package.json")
            .is_file(),
        "playwright-core is not installed in tests/console: run ./scripts/setup (npm ci there)"
    );
}

/// Runs `tests/console/SCRIPT` with `env`; returns its output, failing the test with it
/// unless the script passed.
fn run_script(script: &str, server: &Server, env: &[(&str, String)]) -> String {
    run_script_watching(script, &server.base, env, |_| {})
}

/// Like [`run_script`], handing each line the script prints to `on_line` as it comes
/// (a script asks the test to act mid-way, e.g. to kill the server).
fn run_script_watching(
    script: &str,
    base: &str,
    env: &[(&str, String)],
    mut on_line: impl FnMut(&str),
) -> String {
    require_browser_tools();
    let root = support::workspace_root();
    let mut command = Command::new("node");
    command
        .arg(scripts_dir().join(script))
        .current_dir(scripts_dir())
        .env("HUASHU_URL", base)
        .env(
            "HUASHU_FAILURE_DIR",
            root.join("target").join("console-failures"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if std::env::var_os("HUASHU_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        command.env("HUASHU_SCREENSHOT_DIR", root.join("docs").join("console"));
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("cannot run node ({e}): run ./scripts/setup (Node.js runs the browser scripts)")
    });
    let stderr = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped stdout"))
        .lines()
        .map_while(Result::ok)
    {
        on_line(&line);
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait().expect("wait for node");
    let stderr = stderr.join().unwrap_or_default();
    // Shown with `--nocapture`: what the script saw (codec, recognised text…).
    println!("{script}:\n{stdout}");
    assert!(
        status.success(),
        "{script} failed ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("ok: "),
        "{script} did not finish:\n{stdout}"
    );
    stdout
}

/// The value of a `name: value` line a script printed.
fn printed<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("the script printed no `{name}:` line:\n{stdout}"))
        .trim()
}

fn wasm_path(guest: &str) -> String {
    support::guest_wasm(guest).display().to_string()
}

/// A server with one tenant; returns (server, tenant id, API key).
fn server_with_tenant(dir: &Path) -> (Server, String, String) {
    let server = Server::start(dir);
    let (tenant, key) = create_tenant(&server, "Acme Retail");
    (server, tenant, key)
}

fn call_record(server: &Server, key: &str, call_id: &str) -> Value {
    let (status, view) = server.client(key).get(&format!("/v1/calls/{call_id}"));
    assert_eq!(status, 200, "{view}");
    view
}

fn customer_lines(view: &Value) -> Vec<String> {
    view["record"]["transcript"]
        .as_array()
        .expect("the record has a transcript")
        .iter()
        .filter(|line| line["speaker"] == "customer")
        .filter_map(|line| line["text"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_tenant_uploads_a_module_and_types_a_scenario_to_outcome_a_in_the_browser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _, key) = server_with_tenant(dir.path());
    let stdout = run_script(
        "text-call.mjs",
        &server,
        &[
            ("HUASHU_KEY", key.clone()),
            ("HUASHU_WASM", wasm_path("birthday-coupon")),
        ],
    );

    let view = call_record(&server, &key, printed(&stdout, "call"));
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(view["intent"], "A", "{view}");
    assert_eq!(view["record"]["call"]["channel"], "text");
    assert_eq!(
        view["record"]["call"]["variables"],
        json!({ "coupon_amount": "50", "name": "王芳" })
    );
    assert_eq!(customer_lines(&view), ["你是谁啊？", "哦，那好的"]);
}

#[test]
fn an_upload_the_server_refuses_shows_its_message_word_for_word() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _, key) = server_with_tenant(dir.path());
    // What the API says about these bytes is what the page must show.
    let wasm = support::guest_wasm("wrong-world");
    let bytes = std::fs::read(&wasm).expect("read the component");
    let (status, refused) = server.client(&key).put_bytes("/v1/modules/probe", &bytes);
    assert_eq!(status, 422, "{refused}");
    let expected = refused["error"]["message"]
        .as_str()
        .expect("an error message")
        .to_owned();

    run_script(
        "invalid-upload.mjs",
        &server,
        &[
            ("HUASHU_KEY", key),
            ("HUASHU_WASM", wasm.display().to_string()),
            ("HUASHU_EXPECTED", expected),
        ],
    );
}

#[test]
fn a_module_dropped_on_the_page_gets_a_second_version_and_version_1_is_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _, key) = server_with_tenant(dir.path());
    run_script(
        "modules.mjs",
        &server,
        &[
            ("HUASHU_KEY", key.clone()),
            ("HUASHU_WASM", wasm_path("birthday-coupon")),
        ],
    );
    let (status, module) = server.client(&key).get("/v1/modules/birthday-coupon");
    assert_eq!(status, 200, "{module}");
    assert_eq!(module["pinned"], 1, "{module}");
    assert_eq!(module["versions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_recording_uploaded_in_the_page_plays_back_there_and_a_non_wav_shows_why_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _, key) = server_with_tenant(dir.path());
    let wav = dir.path().join("greeting.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&wav)
        .arg("Hello, this is the member centre.")
        .status()
        .unwrap_or_else(|e| panic!("cannot run espeak-ng ({e}): run ./scripts/setup"));
    assert!(status.success(), "espeak-ng failed: {status}");
    let not_wav = support::guest_wasm("birthday-coupon");
    let (status, refused) = server.client(&key).put_bytes(
        "/v1/prompts/probe",
        &std::fs::read(&not_wav).expect("read the component"),
    );
    assert_eq!(status, 422, "{refused}");

    run_script(
        "prompts.mjs",
        &server,
        &[
            ("HUASHU_KEY", key.clone()),
            ("HUASHU_PROMPT_WAV", wav.display().to_string()),
            ("HUASHU_NOT_WAV", not_wav.display().to_string()),
            (
                "HUASHU_EXPECTED",
                refused["error"]["message"]
                    .as_str()
                    .expect("an error message")
                    .to_owned(),
            ),
        ],
    );
    let (status, list) = server.client(&key).get("/v1/prompts");
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["name"], "greeting", "{list}");
}

#[test]
fn the_operator_sees_every_tenant_with_its_quotas_and_live_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, tenant, key) = server_with_tenant(dir.path());
    create_tenant(&server, "Globex Bank");
    let client = server.client(&key);
    let (status, body) = client.put_bytes(
        "/v1/modules/birthday-coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    // Two calls created and not connected: live until their connect window passes.
    for _ in 0..2 {
        let (status, body) = client.post("/v1/calls", json!({ "module": "birthday-coupon" }));
        assert_eq!(status, 201, "{body}");
    }

    run_script(
        "operator.mjs",
        &server,
        &[
            ("HUASHU_OPERATOR_TOKEN", OPERATOR_TOKEN.to_owned()),
            ("HUASHU_TENANT", tenant),
            ("HUASHU_LIVE_CALLS", "2".to_owned()),
        ],
    );
}

#[test]
fn a_call_whose_connection_drops_says_so_and_offers_a_new_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, _, key) = server_with_tenant(dir.path());
    let (status, body) = server.client(&key).put_bytes(
        "/v1/modules/birthday-coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    let base = server.base.clone();

    // The server dies mid-call (kill -9), when the script says the bot is listening.
    let mut killed = false;
    run_script_watching("dropped-call.mjs", &base, &[("HUASHU_KEY", key)], |line| {
        if line == "kill the server" {
            server.kill();
            killed = true;
        }
    });
    assert!(killed, "the script never asked to kill the server");
}

/// "yes please" in US English after three seconds of silence: the microphone starts
/// before the call connects, and the words should come once the greeting is playing.
fn spoken_reply(dir: &Path) -> PathBuf {
    let wav = dir.join("yes-please.wav");
    let status = Command::new("espeak-ng")
        .args(["-m", "-v", "en-us", "-w"])
        .arg(&wav)
        .arg("<speak><break time=\"3000ms\"/>yes please</speak>")
        .status()
        .unwrap_or_else(|e| panic!("cannot run espeak-ng ({e}): run ./scripts/setup"));
    assert!(status.success(), "espeak-ng failed: {status}");
    wav
}

/// A voice call whose microphone says "yes please", with the console's codec choice
/// `codec`, by a tenant that records its calls or not; checks the page against the
/// server's record and returns the codec used.
fn voice_call(codec: &str, recorded: bool) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, tenant, key) = server_with_tenant(dir.path());
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "record_calls": recorded }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.client(&key).put_bytes(
        "/v1/modules/birthday-coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    let wav = spoken_reply(dir.path());

    let stdout = run_script(
        "voice-call.mjs",
        &server,
        &[
            ("HUASHU_KEY", key.clone()),
            ("HUASHU_MIC_WAV", wav.display().to_string()),
            ("HUASHU_CODEC", codec.to_owned()),
            (
                "HUASHU_RECORDED",
                if recorded { "yes" } else { "no" }.to_owned(),
            ),
        ],
    );

    let view = call_record(&server, &key, printed(&stdout, "call"));
    assert_eq!(view["record"]["call"]["channel"], "browser", "{view}");
    assert_eq!(view["intent"], "A", "{view}");
    assert_eq!(view["has_recording"], recorded, "{view}");
    // What the page showed the customer saying is what the server recorded. (Which
    // words the recogniser makes of the recording is the speech stage's business; the
    // script takes them as a yes, which the intent checks.)
    let heard = customer_lines(&view);
    let shown: Vec<&str> = printed(&stdout, "heard").split(" | ").collect();
    assert_eq!(shown, heard, "the page's customer lines, then the record's");
    let bot = view["record"]["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .filter(|l| l["speaker"] == "bot")
        .filter_map(|l| l["text"].as_str())
        .collect::<Vec<_>>();
    assert!(
        bot.iter().any(|t| t.contains("稍后会通过短信发给您")),
        "the bot's lines in the record: {bot:?}"
    );
    printed(&stdout, "codec").to_owned()
}

#[test]
fn a_voice_call_in_opus_through_the_microphone_is_recognised_answered_and_recorded() {
    // Chromium has WebCodecs with Opus, so "automatic" picks it. This tenant records its
    // calls: the record plays the call's audio.
    assert_eq!(voice_call("auto", true), "Opus 48 kHz");
}

#[test]
fn a_voice_call_in_16_khz_pcm_through_the_microphone_is_recognised_answered_and_recorded() {
    assert_eq!(voice_call("pcm16", false), "PCM 16 kHz");
}

#[test]
fn a_phone_call_placed_from_the_page_shows_busy_486_as_it_happens_and_in_the_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Kamailio answers numbers ending in 486 with 486 Busy Here itself: no phone needed.
    let carrier = Kamailio::start(&[Subscriber {
        user: "huashu-trunk",
        password: "s3cret-trunk-pw",
    }]);
    let rtp = free_port_range(20);
    let server = Server::start_with(
        dir.path(),
        &[
            "--sip-listen",
            &format!("127.0.0.1:{}", free_port()),
            "--rtp-ports",
            &format!("{rtp}-{}", rtp + 19),
        ],
        |_| {},
    );
    let (tenant, key) = create_tenant(&server, "Acme Retail");
    let (status, body) = server.operator().put_json(
        "/v1/trunks/carrier",
        json!({
            "host": "127.0.0.1",
            "port": carrier.port,
            "transport": "udp",
            "username": "huashu-trunk",
            "password": "s3cret-trunk-pw",
            "caller_ids": ["+8675512345678"],
            "tenants": [tenant],
        }),
    );
    assert_eq!(status, 200, "{body}");
    let client = server.client(&key);
    let (status, body) = client.put_bytes(
        "/v1/modules/birthday-coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    // What the API says about a trunk the tenant was not granted is what the page shows.
    let (status, refused) = client.post(
        "/v1/calls",
        json!({
            "module": "birthday-coupon",
            "channel": "sip",
            "to": "+8613800000486",
            "trunk": "nowhere",
        }),
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "unknown_trunk", "{refused}");
    // A text call beside it, which the history's `unanswered` filter must leave out.
    let (status, text_call) = client.post("/v1/calls", json!({ "module": "birthday-coupon" }));
    assert_eq!(status, 201, "{text_call}");

    let stdout = run_script(
        "phone-call.mjs",
        &server,
        &[
            ("HUASHU_KEY", key.clone()),
            ("HUASHU_TO", "+8613800000486".to_owned()),
            ("HUASHU_TRUNK", "carrier".to_owned()),
            ("HUASHU_FROM", "+8675512345678".to_owned()),
            (
                "HUASHU_UNKNOWN_TRUNK_MESSAGE",
                refused["error"]["message"]
                    .as_str()
                    .expect("an error message")
                    .to_owned(),
            ),
            (
                "HUASHU_TEXT_CALL",
                text_call["call_id"].as_str().expect("call_id").to_owned(),
            ),
        ],
    );

    let view = call_record(&server, &key, printed(&stdout, "call"));
    assert_eq!(view["status"], "unanswered", "{view}");
    let progress = &view["progress"];
    assert_eq!(progress["state"], "busy", "{view}");
    assert_eq!(progress["sip_code"], 486, "{view}");
    assert_eq!(progress["trunk"], "carrier", "{view}");
    assert_eq!(progress["to"], "+8613800000486", "{view}");
    assert!(view["record"].is_null(), "no script ran: {view}");
}

#[test]
fn a_campaign_created_in_the_page_dials_its_csv_over_sip_and_is_followed_live_to_completion_in_english_and_chinese()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    // The carrier: +86139… rings the phone that says yes, …486 is busy, …603 declines,
    // anything unregistered is 404.
    let carrier = Kamailio::start(&[
        Subscriber {
            user: "huashu-trunk",
            password: "s3cret-trunk-pw",
        },
        Subscriber {
            user: "8613900000000",
            password: "phone-pw",
        },
    ]);
    let mic = phone_microphone(dir.path(), "yes please", 1_500, 7_000);
    let _talker = Phone::start(
        carrier.port,
        "8613900000000",
        "phone-pw",
        Answer::Auto,
        &mic,
    );
    // Calls at any hour: the platform's calling hours are the whole day.
    let rtp = free_port_range(100);
    let server = Server::start_with(
        &dir.path().join("data"),
        &[
            "--sip-listen",
            &format!("127.0.0.1:{}", free_port()),
            "--rtp-ports",
            &format!("{rtp}-{}", rtp + 99),
            "--calling-hours",
            "00:00-24:00",
        ],
        |_| {},
    );
    let (tenant, key) = create_tenant(&server, "Acme Retail");
    let (status, body) = server.operator().put_json(
        "/v1/trunks/carrier",
        json!({
            "host": "127.0.0.1",
            "port": carrier.port,
            "transport": "udp",
            "username": "huashu-trunk",
            "password": "s3cret-trunk-pw",
            "caller_ids": ["+8675512345678"],
            "max_channels": 30,
            "max_calls_per_second": 20,
            "tenants": [tenant],
        }),
    );
    assert_eq!(status, 200, "{body}");
    let client = server.client(&key);
    let (status, body) = client.put_bytes(
        "/v1/modules/birthday-coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    // What the API says about a trunk the tenant was not granted is what the form shows.
    let (status, refused) = client.post(
        "/v1/campaigns",
        json!({ "name": "probe", "module": "birthday-coupon", "trunk": "nowhere" }),
    );
    assert_eq!(status, 422, "{refused}");

    let stdout = run_script(
        "campaigns.mjs",
        &server,
        &[
            ("HUASHU_KEY", key.clone()),
            ("HUASHU_TRUNK", "carrier".to_owned()),
            (
                "HUASHU_UNKNOWN_TRUNK_MESSAGE",
                refused["error"]["message"]
                    .as_str()
                    .expect("an error message")
                    .to_owned(),
            ),
        ],
    );

    // The settings the form sent.
    let id = printed(&stdout, "campaign");
    let (status, view) = client.get(&format!("/v1/campaigns/{id}"));
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["max_concurrent_calls"], 3, "{view}");
    assert_eq!(view["max_attempts"], 2, "{view}");
    assert_eq!(view["retry"]["busy"]["wait_secs"], 3, "{view}");
    assert_eq!(view["retry"]["busy"]["max_retries"], 1, "{view}");
    assert_eq!(
        view["schedule"]["time_zone"],
        printed(&stdout, "time zone"),
        "{view}"
    );
    assert_eq!(
        view["schedule"]["windows"],
        json!([{
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "00:00",
            "end": "24:00",
        }]),
        "{view}"
    );
    assert_eq!(view["schedule"]["breaks"], json!([]), "{view}");
    // The CSV's header is line 1: the bad number, last of eight rows, is on line 9.
    assert_eq!(printed(&stdout, "bad line"), "9");

    // What the page showed completed is what the server recorded.
    assert_eq!(view["state"], "completed", "{view}");
    let stats = &view["stats"];
    assert_eq!(stats["contacts"], 7, "{view:#}");
    assert_eq!(stats["done"], 7, "{view:#}");
    assert_eq!(stats["answered"], 3, "{view:#}");
    assert_eq!(stats["intents"]["A"], 3, "each customer said yes: {view:#}");
    assert_eq!(stats["results"]["answered"], 3, "{view:#}");
    assert_eq!(stats["results"]["busy"], 2, "{view:#}");
    assert_eq!(stats["results"]["rejected"], 1, "{view:#}");
    assert_eq!(stats["results"]["invalid-number"], 1, "{view:#}");
    // Busy lines were tried twice, the rest once.
    assert_eq!(stats["attempts"], 3 + 2 * 2 + 1 + 1, "{view:#}");
    assert_eq!(stats["outcomes"]["busy"], 4, "{view:#}");
    assert_eq!(printed(&stdout, "busy attempts"), "4");
    assert_eq!(printed(&stdout, "results rows"), "7");

    // What the carrier saw: each busy line twice, 3 s apart at least.
    let mut seen: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for (number, at) in carrier.invites() {
        seen.entry(number).or_default().push(at);
    }
    for busy in ["+8613800100486", "+8613800200486"] {
        let times = seen.get(busy).cloned().unwrap_or_default();
        assert_eq!(times.len(), 2, "{busy} was dialled at {times:?}");
        assert!(times[1] - times[0] >= 3.0, "{busy}: retried at {times:?}");
    }
    for once in [
        "+8613900000101",
        "+8613900000102",
        "+8613900000103",
        "+8613800300603",
        "+8613600000001",
    ] {
        assert_eq!(
            seen.get(once).map(Vec::len),
            Some(1),
            "{once} was dialled: {seen:?}"
        );
    }
}
