//! `huashu call` through the real binary against a real server: a scripted customer talks
//! to the example scripts turn by turn, the bot's lines and the outcome are printed, and the
//! outcome is the one the call record holds; a script that fails ends the command with exit
//! code 1; a missing key, a refused key, an unknown module, an unreachable server and a bad
//! script line are each one `error:` line and exit code 2.

mod support;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::server::{Server, create_tenant, upload};

/// Runs `huashu call` with `args`, the customer's side from `script` and `key` as
/// `HUASHU_KEY` (unset if `None`).
fn call(key: Option<&str>, args: &[&str], script: &str) -> Output {
    let mut file = tempfile::NamedTempFile::new().expect("a script file");
    file.write_all(script.as_bytes()).expect("write the script");
    let mut command = Command::new(env!("CARGO_BIN_EXE_huashu"));
    command
        .arg("call")
        .args(args)
        .arg("--script")
        .arg(file.path())
        .env_remove("HUASHU_SERVER")
        .env_remove("HUASHU_KEY")
        .stdin(Stdio::null());
    if let Some(key) = key {
        command.env("HUASHU_KEY", key);
    }
    command.output().expect("run huashu call")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Where `needle` is in `haystack`, failing the test with the whole output if it is not.
fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in:\n{haystack}"))
}

/// The call id `huashu call` printed last.
fn printed_call_id(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("call id"))
        .map(|rest| rest.trim().to_owned())
        .unwrap_or_else(|| panic!("no call id in:\n{stdout}"))
}

/// What `huashu call` prints for the outcome, built from the stored record's outcome.
fn expected_outcome_lines(outcome: &Value) -> Vec<String> {
    let or_none = |s: Option<String>| s.filter(|s| !s.is_empty()).unwrap_or("(none)".into());
    let tags = outcome["tags"].as_array().map(|tags| {
        tags.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    });
    let fields = outcome["fields"].as_object().map(|fields| {
        fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ")
    });
    vec![
        format!(
            "intent       {}",
            or_none(outcome["intent"].as_str().map(str::to_owned))
        ),
        format!(
            "disposition  {}",
            or_none(outcome["disposition"].as_str().map(str::to_owned))
        ),
        format!("tags         {}", or_none(tags)),
        format!("fields       {}", or_none(fields)),
    ]
}

#[test]
fn a_scripted_customer_hears_the_greeting_and_gets_the_reply_to_each_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme Retail");
    upload(&server, &key, "birthday-coupon", "birthday-coupon");

    let out = call(
        Some(&key),
        &[
            "--module",
            "birthday-coupon",
            "--var",
            "name=王芳",
            "--var",
            "coupon_amount=50",
            "--server",
            &server.base,
        ],
        "// 王芳 takes the coupon\n\n好的，谢谢\n",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // The greeting and the offer, then the customer's line (sent once the bot listened),
    // then the reply and the bot's hang-up; each line says who and when.
    let greeting = position(&stdout, "bot  [+0.");
    assert!(
        stdout[greeting..]
            .lines()
            .next()
            .is_some_and(|l| l.contains("王芳您好"))
    );
    let offer = position(&stdout, "需要我现在发到您的会员账户吗");
    let customer = position(&stdout, "you  [+");
    assert!(
        stdout[customer..]
            .lines()
            .next()
            .is_some_and(|l| l.ends_with("] 好的，谢谢"))
    );
    // No coupon service is allowlisted on this server, so the coupon goes by text message.
    let reply = position(&stdout, "50元生日优惠券稍后会通过短信发给您");
    let end = position(&stdout, "end  [+");
    assert!(stdout[end..].contains("the bot hung up (dialogue-complete)"));
    assert!(greeting < offer && offer < customer && customer < reply && reply < end);
    assert!(stdout.contains("intent       A\n"), "{stdout}");
}

#[test]
fn keys_and_text_play_a_survey_and_the_printed_outcome_is_the_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme Service");
    upload(&server, &key, "survey", "satisfaction-survey");

    let out = call(
        Some(&key),
        &[
            "--module",
            "survey",
            "--var",
            "name=张先生",
            "--var",
            "service=今天上午的空调维修服务",
            "--server",
            &server.base,
        ],
        "#1\n师傅迟到了两个小时\n",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let question = position(&stdout, "按5");
    let keys = position(&stdout, "] ⌨ 1");
    let follow_up = position(&stdout, "哪方面不满意");
    let comment = position(&stdout, "] 师傅迟到了两个小时");
    let thanks = position(&stdout, "谢谢您的反馈");
    assert!(question < keys && keys < follow_up && follow_up < comment && comment < thanks);

    let call_id = printed_call_id(&stdout);
    let (status, call) = server.client(&key).get(&format!("/v1/calls/{call_id}"));
    assert_eq!(status, 200, "{call}");
    assert_eq!(call["status"], "completed", "{call}");
    let outcome = &call["record"]["outcome"];
    assert_eq!(outcome["intent"], "C", "{outcome}");
    for line in expected_outcome_lines(outcome) {
        assert!(
            stdout.contains(&format!("{line}\n")),
            "`{line}` in:\n{stdout}"
        );
    }
}

#[test]
fn the_end_of_the_script_hangs_up_for_the_customer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme Retail");
    upload(&server, &key, "birthday-coupon", "birthday-coupon");

    let out = call(
        Some(&key),
        &["--module", "birthday-coupon", "--server", &server.base],
        "// nothing to say\n",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let offer = position(&stdout, "需要我现在发到您的会员账户吗");
    let end = position(&stdout, "the customer hung up (customer-hung-up)");
    assert!(offer < end);
    let call_id = printed_call_id(&stdout);
    let (_, call) = server.client(&key).get(&format!("/v1/calls/{call_id}"));
    assert_eq!(call["record"]["end"]["by"], "customer", "{call}");
}

#[test]
fn a_script_that_fails_shows_the_failure_and_the_fallback_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");

    let out = call(
        Some(&key),
        &[
            "--module",
            "bot",
            "--var",
            "mode=late-trap",
            "--server",
            &server.base,
        ],
        "你好\n",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let failure = position(&stdout, "err  [+");
    let apology = position(&stdout, "非常抱歉");
    let end = position(&stdout, "the server ended the call (script-failed)");
    assert!(failure < apology && apology < end);
    assert!(
        text(&out.stderr).contains("error: the script failed"),
        "{}",
        text(&out.stderr)
    );
}

/// Asserts the command failed with exit code 2 and printed exactly one line, an `error:`
/// line containing `words`.
fn assert_one_error_line(out: &Output, words: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(words), "`{words}` in {stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn refusals_are_one_clear_error_line_and_no_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme Retail");
    upload(&server, &key, "birthday-coupon", "birthday-coupon");
    let module = ["--module", "birthday-coupon", "--server", &server.base];

    assert_one_error_line(&call(None, &module, "好的\n"), "HUASHU_KEY is not set");
    assert_one_error_line(
        &call(Some("hk_not_a_key_at_all"), &module, "好的\n"),
        "refused the API key in HUASHU_KEY",
    );
    assert_one_error_line(
        &call(
            Some(&key),
            &["--module", "nope", "--server", &server.base],
            "好的\n",
        ),
        "no module named `nope`",
    );
    assert_one_error_line(
        &call(Some(&key), &module, "好的\n#12x\n"),
        ":2: `X` is not a phone key",
    );

    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    assert_one_error_line(
        &call(
            Some(&key),
            &["--module", "birthday-coupon", "--server", &address],
            "好的\n",
        ),
        "cannot reach the huashu server",
    );

    let (_, calls) = server.client(&key).get("/v1/calls");
    assert_eq!(calls["items"].as_array().map(Vec::len), Some(0), "{calls}");
}
