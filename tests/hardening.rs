//! Faults and hostile behaviour through the real server: a script that never answers, bad
//! names, tokens used on the wrong channel. Each test drives a real `huashu serve` on
//! loopback and checks that only the offending call (or request) is affected.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use support::server::{Server, create_call, create_tenant, upload};
use support::twilio::TwilioCall;
use support::ws::TextCall;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The script sleeps for an hour on the customer's answer, and the customer hangs up. The
/// call must end on the wall-clock limit (not after the hour), its record must not stay
/// live, and its place in the tenant's concurrent-call quota must be free again.
#[test]
fn a_sleeping_script_ends_its_call_and_frees_its_quota_slot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "quotas": { "max_concurrent_calls": 1, "wall_per_event_ms": 300 } }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quotas"]["wall_per_event_ms"], 300);
    upload(&server, &key, "bot", "hostile");
    let (call_id, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "late-sleep" }));
    let ended_after = runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("greeting");
        call.say("你好").await;
        let asleep = Instant::now();
        // A hang-up while the script sleeps would cut it off before the limit: hang up
        // once the limit has failed it.
        call.until(|m| m["type"] == "error")
            .await
            .expect("the script fails on the wall-clock limit");
        call.send(json!({ "type": "hangup" })).await;
        call.until_closed().await;
        asleep.elapsed()
    });
    // The script would sleep for an hour; anything near the limit proves it was cut off.
    assert!(
        ended_after < Duration::from_secs(30),
        "the call ended {ended_after:?} after the script fell asleep"
    );
    let client = server.client(&key);
    let (_, record) = client.get(&format!("/v1/calls/{call_id}"));
    assert_ne!(record["status"], "live", "{record}");
    assert_eq!(
        record["record"]["error"]["kind"], "wall_clock_per_event",
        "{record}"
    );
    assert_eq!(record["record"]["error"]["detail"]["limit_ms"], 300);
    assert_the_quota_slot_is_free(&client);
}

/// Playing a prompt the tenant never uploaded fails the script on a text call as it does on a
/// voice call: the fallback runs and the record names the prompt.
#[test]
fn a_missing_prompt_fails_a_text_call_as_it_fails_a_voice_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let (call_id, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "missing-prompt" }));
    runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        let error = call
            .until(|m| m["type"] == "error")
            .await
            .expect("an error message");
        assert_eq!(error["failure"]["kind"], "invalid_action", "{error}");
        call.until_closed().await;
        assert!(call.said().iter().any(|s| s.contains("非常抱歉")));
    });
    let (_, record) = server.client(&key).get(&format!("/v1/calls/{call_id}"));
    assert_eq!(record["status"], "failed", "{record}");
    let error = &record["record"]["error"];
    assert_eq!(error["kind"], "invalid_action", "{record}");
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no-such-prompt")),
        "{record}"
    );
}

/// A text call's token presented on the Twilio endpoint is refused there and not used up:
/// tokens are per channel.
#[test]
fn a_call_token_works_only_on_its_own_channels_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let (_, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    let token = ws_url
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the WebSocket URL carries the token")
        .to_owned();
    runtime().block_on(async {
        let mut twilio = TwilioCall::start(&server.base, json!({ "huashu_key": token })).await;
        let (code, reason) = twilio.until_closed().await;
        assert_eq!(code, 4004, "{reason}");
        assert!(reason.contains("`text` channel"), "{reason}");

        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening()
            .await
            .expect("the token still works on the text endpoint");
    });
}

/// A module whose initial memory alone is over the tenant's memory limit is refused at
/// upload, with the reason, instead of being accepted and failing every call.
#[test]
fn a_module_that_cannot_start_within_the_memory_limit_is_refused_at_upload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    // 1 MiB, the lowest quota: a Rust component's stack alone is 1 MiB of linear memory.
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "quotas": { "memory_bytes": 1_048_576 } }),
    );
    assert_eq!(status, 200, "{body}");
    let client = server.client(&key);
    let (status, body) = client.put_bytes("/v1/modules/bot", &support::guest_bytes("hostile"));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_module");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("memory limit of 1048576 bytes"),
        "{message}"
    );
    assert_eq!(client.get("/v1/modules/bot").0, 404, "nothing was stored");
}

/// Module and prompt names `.` and `..` are refused: they would read as paths.
#[test]
fn dot_names_are_refused_for_modules_and_prompts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    let client = server.client(&key);
    let wasm = support::guest_bytes("hostile");
    for name in ["%2E", "%2E%2E", "..."] {
        let (status, body) = client.put_bytes(&format!("/v1/modules/{name}"), &wasm);
        assert_eq!(status, 400, "module `{name}`: {body}");
        let (status, body) = client.put_bytes(&format!("/v1/prompts/{name}"), b"RIFF");
        assert_eq!(status, 400, "prompt `{name}`: {body}");
    }
    assert_eq!(
        client.get("/v1/modules").1.as_array().map(Vec::len),
        Some(0)
    );
}

/// A sleeping script on one call does not hold up another tenant's call beside it.
#[test]
fn a_sleeping_script_does_not_hold_up_another_tenants_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, sleepy_key) = create_tenant(&server, "Sleepy");
    let (_, polite_key) = create_tenant(&server, "Polite");
    upload(&server, &sleepy_key, "bot", "hostile");
    upload(&server, &polite_key, "bot", "hostile");
    let (_, sleepy_url) = create_call(&server, &sleepy_key, "bot", json!({ "mode": "sleep" }));
    let (polite_id, polite_url) =
        create_call(&server, &polite_key, "bot", json!({ "mode": "polite" }));
    runtime().block_on(async {
        let mut sleepy = TextCall::connect(&sleepy_url).await;
        let mut polite = TextCall::connect(&polite_url).await;
        polite.until_listening().await.expect("greeting");
        polite.say("方便").await;
        polite.until_closed().await;
        assert!(polite.said().iter().any(|s| s.contains("再见")));
        sleepy.until_closed().await;
        assert!(
            sleepy.said().iter().any(|s| s.contains("非常抱歉")),
            "the sleepy call ended with the fallback: {:?}",
            sleepy.said()
        );
    });
    let (_, record) = server
        .client(&polite_key)
        .get(&format!("/v1/calls/{polite_id}"));
    assert_eq!(record["status"], "completed", "{record}");
}

/// A WebSocket opened by hand, to send frames no well-behaved client library would.
struct RawSocket {
    reader: BufReader<TcpStream>,
}

impl RawSocket {
    /// Upgrades `GET path` on `base` (`http://host:port`) to a WebSocket.
    fn open(base: &str, path: &str) -> RawSocket {
        let host = base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("read timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        )
        .expect("send the upgrade");
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).expect("the upgrade answer");
        assert!(status.contains(" 101 "), "{status}");
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).expect("a header");
            if header == "\r\n" {
                break;
            }
        }
        RawSocket { reader }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.reader
            .get_mut()
            .write_all(bytes)
            .expect("send a frame");
    }

    /// Reads frames until a Close; its code, or None if the connection ended without one.
    fn close_code(&mut self) -> Option<u16> {
        loop {
            let mut head = [0u8; 2];
            self.reader.read_exact(&mut head).ok()?;
            let opcode = head[0] & 0x0f;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut ext = [0u8; 2];
                    self.reader.read_exact(&mut ext).ok()?;
                    u64::from(u16::from_be_bytes(ext))
                }
                127 => {
                    let mut ext = [0u8; 8];
                    self.reader.read_exact(&mut ext).ok()?;
                    u64::from_be_bytes(ext)
                }
                short => u64::from(short),
            };
            let mut payload = vec![0u8; usize::try_from(len).expect("a frame length")];
            self.reader.read_exact(&mut payload).ok()?;
            if opcode == 0x8 {
                return payload
                    .get(..2)
                    .map(|code| u16::from_be_bytes([code[0], code[1]]));
            }
        }
    }
}

/// A masked client text frame carrying `payload` as is.
fn masked_text_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![
        0x81,
        0x80 | u8::try_from(payload.len()).expect("a short payload"),
    ];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    frame
}

/// Frames that break the WebSocket protocol itself get a close code and a reason, on the
/// console's call socket and on the Twilio endpoint, and the server carries on.
#[test]
fn broken_websocket_frames_are_closed_with_a_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    upload(&server, &key, "bot", "hostile");
    let path = |ws_url: &str| {
        ws_url
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .expect("a path")
    };

    // Text that is not UTF-8: 1007.
    let (call_id, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    let mut socket = RawSocket::open(&server.base, &path(&ws_url));
    socket.send(&masked_text_frame(&[0xff, 0xfe, 0xfd]));
    assert_eq!(socket.close_code(), Some(1007));
    let (_, record) = server.client(&key).get(&format!("/v1/calls/{call_id}"));
    let reason = record["record"]["end"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.starts_with("protocol-error"), "{record}");

    // A client frame without a mask: 1002.
    let (_, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "polite" }));
    let mut socket = RawSocket::open(&server.base, &path(&ws_url));
    socket.send(&[0x81, 0x02, b'h', b'i']);
    assert_eq!(socket.close_code(), Some(1002));

    // The same on the Twilio endpoint, before `start`.
    let mut socket = RawSocket::open(&server.base, "/v1/calls/twilio");
    socket.send(&[0x81, 0x02, b'h', b'i']);
    assert_eq!(socket.close_code(), Some(1002));

    assert_eq!(
        server.client(&key).get("/v1/modules").0,
        200,
        "the server is up"
    );
}

/// Reads from `stream` until the server closes it; false if it is still open after the
/// read timeout set on it.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut sink = [0u8; 1024];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) => {
                return !matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

fn connect(base: &str) -> TcpStream {
    let stream = TcpStream::connect(base.trim_start_matches("http://")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    stream
}

/// Hundreds of connections that say nothing, and some that dribble half a request, do not
/// keep the API from answering, and the server drops each of them at the header deadline.
#[test]
fn idle_and_dribbling_connections_are_dropped_and_the_api_keeps_answering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(dir.path(), &["--header-timeout-secs", "1"], |_| {});
    let mut idle: Vec<TcpStream> = (0..300).map(|_| connect(&server.base)).collect();
    let mut dribbling: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = connect(&server.base);
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .expect("half a request");
            stream
        })
        .collect();
    let (status, _) = server.operator().get("/v1/tenants");
    assert_eq!(status, 200, "the API answers beside 320 silent connections");
    for stream in idle.iter_mut().chain(dribbling.iter_mut()) {
        assert!(
            closed_by_server(stream),
            "a silent connection was left open"
        );
    }
}

/// A request that declares a body larger than any endpoint takes gets 413 at once, in JSON,
/// instead of the server waiting for a body that never comes.
#[test]
fn a_huge_declared_body_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = create_tenant(&server, "Acme");
    let mut stream = connect(&server.base);
    write!(
        stream,
        "PUT /v1/modules/bot HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
         Content-Length: 1000000000000\r\n\r\n"
    )
    .expect("send the headers");
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// With only 256 descriptors, 300 silent connections still cannot keep the API from
/// answering: the server caps its connections below its descriptor limit and drops silent
/// ones at the header deadline.
#[cfg(unix)]
#[test]
fn a_small_descriptor_limit_still_leaves_room_for_the_api() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(dir.path(), &["--header-timeout-secs", "1"], |command| {
        // SAFETY: setrlimit is async-signal-safe, and the closure touches nothing else
        // between fork and exec.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 256,
                    rlim_max: 256,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let _idle: Vec<TcpStream> = (0..300).map(|_| connect(&server.base)).collect();
    // The silent connections are over the cap (closed at once) or dropped at the header
    // deadline; while the cap is full a new connection is closed at once too, so ask again
    // until answered, for at most 30 s.
    let until = Instant::now() + Duration::from_secs(30);
    let answered = loop {
        let mut stream = connect(&server.base);
        let asked =
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut answer = String::new();
        if asked.is_ok()
            && BufReader::new(stream).read_line(&mut answer).is_ok()
            && !answer.is_empty()
        {
            break answer;
        }
        assert!(
            Instant::now() < until,
            "/healthz was not answered within 30 s"
        );
    };
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

/// A tmpfs of `mib` MiB mounted for one test, unmounted when dropped; `None` (with the reason
/// printed) where this process may not mount one.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            Ok(out) => {
                println!(
                    "skipped: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(error) => {
                println!("skipped: cannot run mount: {error}");
                None
            }
        }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// A mono 16 kHz WAV of about `bytes` bytes.
fn wav_of(bytes: usize) -> Vec<u8> {
    let samples = bytes / 2;
    let data = u32::try_from(samples * 2).expect("a small WAV");
    let mut wav = Vec::with_capacity(44 + samples * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&16_000u32.to_le_bytes());
    wav.extend_from_slice(&32_000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    wav.extend((0..samples).flat_map(|i| ((i % 200) as i16 * 50).to_le_bytes()));
    wav
}

/// A full data disk: writes are refused at once with 503 `storage_full` while it is full,
/// reads and `/healthz` go on, `/readyz` says why it is not ready, everything recovers by
/// itself when space is freed, and no acknowledged write is lost across a restart.
#[test]
fn a_full_disk_refuses_writes_fast_keeps_reads_and_recovers_by_itself() {
    let Some(disk) = SmallDisk::mount(64) else {
        return;
    };
    let data = disk.path().join("data");
    // The lowest reserve allowed: above sled's 8 MiB log buffer plus one prompt.
    let flags = ["--disk-reserve-mib", "16"];
    let mut server = Server::start_with(&data, &flags, |_| {});
    let (_, key) = create_tenant(&server, "Acme");
    let client = server.client(&key);
    // Leave about 24 MiB free: room for a few 1 MiB prompts above the 16 MiB reserve.
    let filler = disk.path().join("filler");
    std::fs::write(&filler, vec![0u8; 40 << 20]).expect("the filler file");
    let prompt = wav_of(1 << 20);
    let mut stored = Vec::new();
    let refused = loop {
        let name = format!("p{}", stored.len());
        let (status, body) = client.put_bytes(&format!("/v1/prompts/{name}"), &prompt);
        match status {
            201 => stored.push(name),
            _ => break (status, body),
        }
        assert!(stored.len() < 40, "the disk never filled");
    };
    assert_eq!(refused.0, 503, "{}", refused.1);
    assert_eq!(refused.1["error"]["code"], "storage_full", "{}", refused.1);
    assert!(
        !stored.is_empty(),
        "some prompts fitted before the disk filled"
    );

    // Writes keep failing fast; reads, liveness and readiness answer.
    let (status, body) = server
        .operator()
        .post("/v1/tenants", json!({ "name": "Another" }));
    assert_eq!(
        (status, &body["error"]["code"]),
        (503, &json!("storage_full"))
    );
    let (status, listing) = client.get("/v1/prompts");
    assert_eq!(status, 200);
    assert_eq!(
        listing["items"].as_array().map(Vec::len),
        Some(stored.len())
    );
    assert_eq!(server.operator().get("/healthz").0, 200);
    let (status, ready) = server.operator().get("/readyz");
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "not_ready");

    // Space comes back: so do writes, without a restart.
    std::fs::remove_file(&filler).expect("free the space");
    assert_eq!(server.operator().get("/readyz").0, 200);
    let (status, body) = client.put_bytes("/v1/prompts/after", &prompt);
    assert_eq!(status, 201, "{body}");
    stored.push("after".into());

    // Every acknowledged write survives a restart.
    server.terminate();
    drop(server);
    let server = Server::start_with(&data, &flags, |_| {});
    let (status, listing) = server.client(&key).get("/v1/prompts");
    assert_eq!(status, 200);
    let mut names: Vec<String> = listing["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    stored.sort();
    assert_eq!(names, stored);
    drop(server);
}

/// A tenant whose scripts may take 10 s per event (the most an operator can allow), with
/// one concurrent call; its id and key, with the `hostile` guest uploaded as `bot`.
fn patient_tenant(server: &Server) -> (String, String) {
    let (tenant, key) = create_tenant(server, "Patient");
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({ "quotas": { "max_concurrent_calls": 1, "wall_per_event_ms": 10_000 } }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quotas"]["wall_per_event_ms"], 10_000);
    upload(server, &key, "bot", "hostile");
    (tenant, key)
}

/// Checks the record of a call the customer hung up while its script slept: ended by the
/// customer, not live, no `hang-up` delivered, and a note that the script was cut off in
/// the middle of the last event it was given.
fn assert_cut_off_by_the_customer(record: &serde_json::Value) {
    assert_ne!(record["status"], "live", "{record}");
    let end = &record["record"]["end"];
    assert_eq!(end["by"], "customer", "{record}");
    assert_eq!(end["reason"], "customer-hung-up", "{record}");
    assert!(record["record"]["error"].is_null(), "{record}");
    let timeline = record["record"]["timeline"].as_array().expect("a timeline");
    let events: Vec<&str> = timeline
        .iter()
        .filter(|e| e["type"] == "event")
        .filter_map(|e| e["event"]["event"].as_str())
        .collect();
    assert!(!events.contains(&"hang_up"), "{events:?}");
    let last = events.last().expect("the script was given an event");
    let note = timeline
        .iter()
        .find(|e| {
            e["type"] == "ignored" && e["why"].as_str().is_some_and(|w| w.contains("cut off"))
        })
        .unwrap_or_else(|| panic!("no note that the script was cut off: {record}"));
    assert!(
        note["what"]
            .as_str()
            .is_some_and(|w| w.contains(&format!("`{last}`"))),
        "the note names the event the script was handling, `{last}`: {note}"
    );
}

/// On a text call, the customer hangs up while the script sleeps on their answer, and the
/// tenant lets an event take 10 s: the call ends at once (the script is cut off), its
/// record is stored, and the tenant's only call slot is free for the next call.
#[test]
fn a_text_call_hung_up_while_its_script_sleeps_ends_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = patient_tenant(&server);
    let (call_id, ws_url) = create_call(&server, &key, "bot", json!({ "mode": "late-sleep" }));
    let ended_after = runtime().block_on(async {
        let mut call = TextCall::connect(&ws_url).await;
        call.until_listening().await.expect("greeting");
        call.say("你好").await;
        call.send(json!({ "type": "hangup" })).await;
        let hung_up = Instant::now();
        call.until_closed().await;
        hung_up.elapsed()
    });
    println!("text call: hang-up to record ended took {ended_after:?}");
    assert!(
        ended_after < Duration::from_secs(5),
        "the call ended {ended_after:?} after the hang-up"
    );
    let client = server.client(&key);
    let (_, record) = client.get(&format!("/v1/calls/{call_id}"));
    assert_cut_off_by_the_customer(&record);
    assert_the_quota_slot_is_free(&client);
}

/// The same on a Twilio Media Streams call: the gateway sends `stop` while the script
/// sleeps in `call-started`, and the call ends at once.
#[test]
fn a_twilio_call_stopped_while_its_script_sleeps_ends_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let (_, key) = patient_tenant(&server);
    let parameters = json!({ "huashu_key": key, "module": "bot", "mode": "sleep" });
    let (ended_after, (code, reason)) = runtime().block_on(async {
        let mut call = TwilioCall::start(&server.base, parameters).await;
        call.send_raw(
            &json!({ "event": "stop", "streamSid": "MZ00000000000000000000000000000001" })
                .to_string(),
        );
        let stopped = Instant::now();
        let closed = call.until_closed().await;
        (stopped.elapsed(), closed)
    });
    println!("Twilio call: `stop` to record ended took {ended_after:?}");
    assert_eq!(code, 1000, "{reason}");
    assert!(
        ended_after < Duration::from_secs(5),
        "the call ended {ended_after:?} after `stop`"
    );
    let client = server.client(&key);
    let (status, list) = client.get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    let call_id = list["items"][0]["call_id"].as_str().expect("a call");
    let (_, record) = client.get(&format!("/v1/calls/{call_id}"));
    assert_cut_off_by_the_customer(&record);
    assert_the_quota_slot_is_free(&client);
}

/// A new call of the tenant's (whose quota is one live call) is accepted.
fn assert_the_quota_slot_is_free(client: &support::server::Client) {
    let (status, body) = client.post(
        "/v1/calls",
        json!({ "module": "bot", "variables": { "mode": "polite" } }),
    );
    assert_eq!(status, 201, "the quota slot is free again: {body}");
}
