//! SIP telephony end to end, with real software on loopback: Kamailio as the carrier
//! (digest authentication on everything), baresip as the customers' phones, and a real
//! `huashu serve --sip-listen`. Calls are placed through a stored trunk and answered on
//! routed numbers; the customer's words are eSpeak NG speech in the phone's microphone
//! file, and its keys RFC 4733 telephone-events.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::server::{Server, create_tenant};
use support::sip::{
    Answer, Kamailio, Phone, Subscriber, free_port, free_port_range, phone_microphone,
};

const TRUNK_USER: &str = "huashu-trunk";
const TRUNK_PASSWORD: &str = "s3cret-trunk-pw";
const PHONE: &str = "8613800138000";
const PHONE_PASSWORD: &str = "phone-pw";
const SILENT_PHONE: &str = "8613800138001";
const AGENT_PHONE: &str = "8613800138002";
const CALLER_ID: &str = "+8675512345678";

/// A server listening for SIP, with one tenant holding `module`; its SIP port, the first
/// port of its RTP range, the tenant's id and key.
fn sip_server(dir: &std::path::Path, module: &str) -> (Server, u16, u16, String, String) {
    let sip_port = free_port();
    let rtp = free_port_range(100);
    let server = Server::start_with(
        dir,
        &[
            "--sip-listen",
            &format!("127.0.0.1:{sip_port}"),
            "--rtp-ports",
            &format!("{rtp}-{}", rtp + 99),
        ],
        |_| {},
    );
    let (tenant, key) = create_tenant(&server, "Acme Retail");
    let (status, body) = server.client(&key).put_bytes(
        &format!("/v1/modules/{module}"),
        &support::guest_bytes(module),
    );
    assert_eq!(status, 201, "{body}");
    (server, sip_port, rtp, tenant, key)
}

/// The carrier, with the server's trunk account and the phones' accounts.
fn carrier() -> Kamailio {
    Kamailio::start(&[
        Subscriber {
            user: TRUNK_USER,
            password: TRUNK_PASSWORD,
        },
        Subscriber {
            user: PHONE,
            password: PHONE_PASSWORD,
        },
        Subscriber {
            user: SILENT_PHONE,
            password: PHONE_PASSWORD,
        },
        Subscriber {
            user: AGENT_PHONE,
            password: PHONE_PASSWORD,
        },
    ])
}

/// Stores the trunk to `carrier` (over UDP) and grants it to `tenant`.
fn add_trunk(server: &Server, carrier: &Kamailio, tenant: &str) {
    add_trunk_over(server, carrier, tenant, "udp");
}

/// Stores the trunk to `carrier` over `transport` and grants it to `tenant`.
fn add_trunk_over(server: &Server, carrier: &Kamailio, tenant: &str, transport: &str) {
    let (status, body) = server.operator().put_json(
        "/v1/trunks/carrier",
        json!({
            "host": "127.0.0.1",
            "port": carrier.port,
            "transport": transport,
            "username": TRUNK_USER,
            "password": TRUNK_PASSWORD,
            "caller_ids": [CALLER_ID],
            "codecs": ["pcma", "pcmu"],
            "tenants": [tenant],
        }),
    );
    assert_eq!(status, 200, "{body}");
}

/// Polls the call until it is no longer live; its full view.
fn until_ended(server: &Server, key: &str, call_id: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let (status, call) = server.client(key).get(&format!("/v1/calls/{call_id}"));
        assert_eq!(status, 200, "{call}");
        if call["status"] != "live" {
            return call;
        }
        assert!(Instant::now() < deadline, "the call is still live: {call}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn place(server: &Server, key: &str, module: &str, to: &str, ring_secs: u32) -> String {
    place_with(
        server,
        key,
        module,
        to,
        ring_secs,
        json!({"name": "Wang Fang", "coupon_amount": "50"}),
    )
}

fn place_with(
    server: &Server,
    key: &str,
    module: &str,
    to: &str,
    ring_secs: u32,
    variables: Value,
) -> String {
    let (status, body) = server.client(key).post(
        "/v1/calls",
        json!({
            "module": module,
            "channel": "sip",
            "to": to,
            "trunk": "carrier",
            "ring_timeout_secs": ring_secs,
            "variables": variables,
        }),
    );
    assert_eq!(status, 201, "{body}");
    assert!(
        body.get("token").is_none(),
        "a placed call has no connect token: {body}"
    );
    body["call_id"].as_str().expect("call_id").to_owned()
}

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

fn final_transcripts(call: &Value) -> Vec<String> {
    call["record"]["timeline"]
        .as_array()
        .map(|timeline| {
            timeline
                .iter()
                .filter(|e| e["type"] == "event" && e["event"]["event"] == "final_transcript")
                .filter_map(|e| e["event"]["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_outbound_call_through_an_authenticating_carrier_greets_hears_yes_and_records_the_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, _, _, tenant, key) = sip_server(dir.path(), "birthday-coupon");
    add_trunk(&server, &carrier, &tenant);
    let mic = phone_microphone(dir.path(), "yes please", 1_500, 30_000);
    let mut phone = Phone::start(carrier.port, PHONE, PHONE_PASSWORD, Answer::Auto, &mic);

    let call_id = place(&server, &key, "birthday-coupon", &format!("+{PHONE}"), 30);
    phone.until_event("CALL_ESTABLISHED", Duration::from_secs(30));
    phone.until_event("CALL_CLOSED", Duration::from_secs(60));
    let call = until_ended(&server, &key, &call_id, Duration::from_secs(30));

    assert_eq!(call["status"], "completed", "{call}");
    let progress = &call["progress"];
    assert_eq!(progress["state"], "answered", "{call}");
    assert_eq!(progress["sip_code"], 200);
    assert_eq!(progress["trunk"], "carrier");
    assert_eq!(progress["from"], CALLER_ID);
    assert_eq!(progress["to"], format!("+{PHONE}"));
    assert!(progress["answered_at_ms"].as_u64().is_some());
    assert_eq!(call["record"]["call"]["channel"], "sip");
    assert_eq!(call["record"]["call"]["direction"], "outbound");
    let heard = final_transcripts(&call);
    assert!(
        heard.iter().any(|t| t.contains("yes")),
        "recognised {heard:?}"
    );
    assert_eq!(call["record"]["outcome"]["intent"], "A", "{call}");

    // The phone heard the bot: its recording of the call is speech, not silence.
    phone_quit(phone);
}

/// Stops a phone and returns the audio it recorded of what it heard (canonical 16 kHz).
fn phone_quit(phone: Phone) -> Vec<i16> {
    let files = phone.recordings_heard();
    assert!(!files.is_empty(), "baresip recorded the call");
    let wav = std::fs::read(&files[0]).expect("recording");
    let samples = huashu_media::wav::decode_to_canonical(&wav).expect("a WAV baresip wrote");
    assert!(
        rms(&samples) > 300.0,
        "the phone heard the bot's voice, not silence (rms {:.0} over {} samples)",
        rms(&samples),
        samples.len()
    );
    drop(phone);
    samples
}

#[test]
fn unanswered_calls_over_a_tcp_trunk_are_recorded_busy_rejected_invalid_or_no_answer_and_run_no_script()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, _, _, tenant, key) = sip_server(dir.path(), "birthday-coupon");
    add_trunk_over(&server, &carrier, &tenant, "tcp");
    let mic = phone_microphone(dir.path(), "", 0, 30_000);
    let _silent = Phone::start(
        carrier.port,
        SILENT_PHONE,
        PHONE_PASSWORD,
        Answer::Manual,
        &mic,
    );

    for (to, state, code) in [
        ("+8613800000486", "busy", Some(486)),
        ("+8613800000603", "rejected", Some(603)),
        ("+8613899999999", "invalid-number", Some(404)),
        (&*format!("+{SILENT_PHONE}"), "no-answer", None),
    ] {
        let call_id = place(&server, &key, "birthday-coupon", to, 3);
        let call = until_ended(&server, &key, &call_id, Duration::from_secs(30));
        assert_eq!(call["status"], "unanswered", "{to}: {call}");
        assert_eq!(call["progress"]["state"], state, "{to}: {call}");
        if let Some(code) = code {
            assert_eq!(call["progress"]["sip_code"], code, "{to}: {call}");
        } else {
            assert!(
                call["progress"]["ringing_at_ms"].as_u64().is_some(),
                "it rang: {call}"
            );
        }
        assert!(call["record"].is_null(), "no script ran: {call}");
    }
}

#[test]
fn an_inbound_call_to_a_routed_number_runs_its_module_and_hears_keys_while_unknown_numbers_get_404()
{
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, sip_port, _, tenant, key) = sip_server(dir.path(), "satisfaction-survey");
    let (status, body) = server.operator().put_json(
        "/v1/numbers/%2B8675500000001",
        json!({"tenant_id": tenant, "module": "satisfaction-survey"}),
    );
    assert_eq!(status, 200, "{body}");
    let mic = phone_microphone(dir.path(), "", 0, 60_000);
    let mut phone = Phone::start(carrier.port, PHONE, PHONE_PASSWORD, Answer::Auto, &mic);

    phone.command("dial", &format!("sip:+8675500000001@127.0.0.1:{sip_port}"));
    phone.until_event("CALL_ESTABLISHED", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1_500));
    phone.command("sndcode", "4");
    phone.until_event("CALL_CLOSED", Duration::from_secs(40));

    let (status, list) = server.client(&key).get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    let call_id = list["items"][0]["call_id"]
        .as_str()
        .expect("a call")
        .to_owned();
    let call = until_ended(&server, &key, &call_id, Duration::from_secs(20));
    assert_eq!(call["status"], "completed", "{call}");
    assert_eq!(call["record"]["call"]["direction"], "inbound");
    assert_eq!(call["record"]["call"]["callee"], "+8675500000001");
    let fields = &call["record"]["outcome"]["fields"];
    assert_eq!(fields["rating"], "4", "{call}");
    assert_eq!(fields["rating_channel"], "dtmf", "{call}");
    phone_quit(phone);

    // A number routed nowhere is refused by the server, with 404.
    let mut caller = Phone::start(carrier.port, PHONE, PHONE_PASSWORD, Answer::Auto, &mic);
    caller.command("dial", &format!("sip:+8675599999999@127.0.0.1:{sip_port}"));
    let closed = caller.until_event("CALL_CLOSED", Duration::from_secs(20));
    assert!(closed.to_string().contains("404"), "{closed}");
}

/// Telephone-event packets for `key` from a socket that is not the phone's, sent to every
/// RTP port of the server's range: none of them may reach the call.
fn spray_foreign_dtmf(rtp_base: u16, key: u8) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("socket");
    for seq in 0u16..6 {
        let mut packet = vec![0x80, 101 | if seq == 0 { 0x80 } else { 0 }];
        packet.extend_from_slice(&(1000 + seq).to_be_bytes());
        packet.extend_from_slice(&4242u32.to_be_bytes());
        packet.extend_from_slice(&0x5eed_5eedu32.to_be_bytes());
        packet.extend_from_slice(&[key, if seq >= 3 { 0x80 } else { 0 } | 10, 0, 160]);
        for port in (rtp_base..rtp_base + 100).step_by(2) {
            let _ = socket.send_to(&packet, ("127.0.0.1", port));
        }
    }
}

#[test]
fn the_bot_presses_keys_back_and_rtp_from_a_stranger_never_reaches_the_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, _, rtp_base, tenant, key) = sip_server(dir.path(), "switchboard");
    add_trunk(&server, &carrier, &tenant);
    let mic = phone_microphone(dir.path(), "", 0, 60_000);
    let mut phone = Phone::start(carrier.port, PHONE, PHONE_PASSWORD, Answer::Auto, &mic);

    let call_id = place_with(
        &server,
        &key,
        "switchboard",
        &format!("+{PHONE}"),
        20,
        json!({}),
    );
    phone.until_event("CALL_ESTABLISHED", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1_000));
    // A stranger's key 3 would end the call as `other-key`; it must be dropped.
    spray_foreign_dtmf(rtp_base, 3);
    std::thread::sleep(Duration::from_millis(500));
    phone.command("sndcode", "1");
    let mut heard = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while heard.len() < 3 && Instant::now() < deadline {
        if phone.sees_event("CALL_DTMF_START", Duration::from_millis(500)) {
            let event = phone.until_event("CALL_DTMF_START", Duration::from_secs(1));
            heard.push_str(event["param"].as_str().unwrap_or("?"));
        }
    }
    if heard != "42#" {
        phone.sees_event("CALL_CLOSED", Duration::from_secs(5));
        let (_, call) = server.client(&key).get(&format!("/v1/calls/{call_id}"));
        panic!(
            "the phone heard {heard:?}, not the bot's keys; events {:?}; call {call}",
            phone.events
        );
    }
    phone.until_event("CALL_CLOSED", Duration::from_secs(20));
    let call = until_ended(&server, &key, &call_id, Duration::from_secs(20));
    assert_eq!(call["record"]["outcome"]["fields"]["key"], "1", "{call}");
    assert_eq!(call["record"]["end"]["reason"], "keys-sent", "{call}");
}

#[test]
fn a_transfer_refers_the_phone_to_a_second_phone_and_the_script_hears_it_connected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, _, _, tenant, key) = sip_server(dir.path(), "switchboard");
    add_trunk(&server, &carrier, &tenant);
    let mic = phone_microphone(dir.path(), "", 0, 60_000);
    let mut phone = Phone::start(carrier.port, PHONE, PHONE_PASSWORD, Answer::Auto, &mic);
    let mut agent = Phone::start(
        carrier.port,
        AGENT_PHONE,
        PHONE_PASSWORD,
        Answer::Auto,
        &mic,
    );

    let call_id = place_with(
        &server,
        &key,
        "switchboard",
        &format!("+{PHONE}"),
        20,
        json!({"transfer_to": format!("+{AGENT_PHONE}")}),
    );
    phone.until_event("CALL_ESTABLISHED", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1_000));
    phone.command("sndcode", "9");
    agent.until_event("CALL_ESTABLISHED", Duration::from_secs(20));
    let call = until_ended(&server, &key, &call_id, Duration::from_secs(30));
    assert_eq!(
        call["record"]["outcome"]["fields"]["transfer"], "connected",
        "{call}"
    );
    assert_eq!(call["status"], "completed", "{call}");
}

/// A raw INVITE from `local` (a UDP port of ours) to `number` at the server, with `body`
/// as its SDP (none if empty); `n` makes its Call-ID and branch unique.
fn raw_invite(sip_port: u16, local: u16, number: &str, n: u32, body: &str) -> String {
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "INVITE sip:{number}@127.0.0.1:{sip_port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bKflood{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:attacker@127.0.0.1>;tag=f{n}\r\n\
         To: <sip:{number}@127.0.0.1>\r\nCall-ID: flood-{n}@127.0.0.1\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:attacker@127.0.0.1:{local}>\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The status codes answered to everything sent so far, read until `quiet` passes with
/// nothing new.
fn statuses(socket: &std::net::UdpSocket, quiet: Duration) -> Vec<u16> {
    socket.set_read_timeout(Some(quiet)).expect("timeout");
    let mut codes = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = socket.recv(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]);
        if let Some(code) = text
            .strip_prefix("SIP/2.0 ")
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse().ok())
        {
            codes.push(code);
        }
    }
    codes
}

#[test]
fn garbage_oversized_malformed_and_flooding_sip_get_sensible_answers_and_the_server_stays_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, sip_port, _, tenant, _) = sip_server(dir.path(), "satisfaction-survey");
    let (status, body) = server.operator().put_json(
        "/v1/numbers/%2B8675500000001",
        json!({"tenant_id": tenant, "module": "satisfaction-survey"}),
    );
    assert_eq!(status, 200, "{body}");
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("socket");
    let local = socket.local_addr().expect("addr").port();
    let target = ("127.0.0.1", sip_port);

    // Noise, a datagram near the UDP maximum, and a request with no Call-ID or CSeq.
    socket
        .send_to(b"\x00\x01\x02 not sip at all \xff\xfe", target)
        .expect("send");
    let mut huge = raw_invite(sip_port, local, "+8675500000001", 0, "");
    huge.push_str(&"X".repeat(60_000));
    let _ = socket.send_to(huge.as_bytes(), target);
    socket
        .send_to(
            b"INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1\r\n\r\n",
            target,
        )
        .expect("send");

    // An offer that does not parse is 400; one with only G.729 is 488; no offer at all
    // is 400; an unknown number is 404.
    let g729 = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    for (n, number, body, expected) in [
        (1, "+8675500000001", "this is not SDP", 400),
        (2, "+8675500000001", g729, 488),
        (3, "+8675500000001", "", 400),
        (4, "+8675599999999", g729, 404),
    ] {
        socket
            .send_to(
                raw_invite(sip_port, local, number, n, body).as_bytes(),
                target,
            )
            .expect("send");
        let codes = statuses(&socket, Duration::from_millis(1_500));
        assert!(
            codes.contains(&expected),
            "INVITE {n} ({number}) got {codes:?}, wanted {expected}"
        );
    }

    // A flood of new INVITEs from one source: past 50 a second they get 503 at once.
    for n in 100..400 {
        let _ = socket.send_to(
            raw_invite(sip_port, local, "+8675599999999", n, "").as_bytes(),
            target,
        );
    }
    let codes = statuses(&socket, Duration::from_millis(2_000));
    assert!(
        codes.iter().filter(|&&c| c == 503).count() >= 100,
        "{} answers: {codes:?}",
        codes.len()
    );

    // Garbage over TCP is dropped with its connection.
    if let Ok(mut tcp) = std::net::TcpStream::connect(target) {
        use std::io::Write;
        let _ = tcp.write_all(&[0xffu8; 70_000]);
    }

    // Still answering SIP, and HTTP.
    std::thread::sleep(Duration::from_millis(1_100));
    assert!(support::sip::options_ping(sip_port), "SIP still answers");
    let (status, _) = server.client("").get("/healthz");
    assert_eq!(status, 200);
}

/// The value of header `name` in a SIP message.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[test]
fn a_call_whose_far_end_goes_silent_is_ended_with_bye_as_media_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sip_port = free_port();
    let rtp = free_port_range(20);
    let server = Server::start_with(
        dir.path(),
        &[
            "--sip-listen",
            &format!("127.0.0.1:{sip_port}"),
            "--rtp-ports",
            &format!("{rtp}-{}", rtp + 19),
            "--sip-media-timeout-secs",
            "2",
        ],
        |_| {},
    );
    let (tenant, key) = create_tenant(&server, "Acme Retail");
    let (status, body) = server.client(&key).put_bytes(
        "/v1/modules/switchboard",
        &support::guest_bytes("switchboard"),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.operator().put_json(
        "/v1/numbers/%2B8675500000002",
        json!({"tenant_id": tenant, "module": "switchboard"}),
    );
    assert_eq!(status, 200, "{body}");

    // A phone that answers the SIP but never sends a single RTP or RTCP packet.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("socket");
    let local = socket.local_addr().expect("addr").port();
    let offer = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n",
        local + 2
    );
    socket
        .send_to(
            raw_invite(sip_port, local, "+8675500000002", 1, &offer).as_bytes(),
            ("127.0.0.1", sip_port),
        )
        .expect("send");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 8192];
    let ok = loop {
        let n = socket.recv(&mut buf).expect("an answer to the INVITE");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with("SIP/2.0 200") {
            break text;
        }
        assert!(text.starts_with("SIP/2.0 1"), "{text}");
    };
    let to = header(&ok, "To").expect("To").to_owned();
    let ack = format!(
        "ACK sip:+8675500000002@127.0.0.1:{sip_port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bKack1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:attacker@127.0.0.1>;tag=f1\r\nTo: {to}\r\nCall-ID: flood-1@127.0.0.1\r\n\
         CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    );
    socket
        .send_to(ack.as_bytes(), ("127.0.0.1", sip_port))
        .expect("ack");

    // Within the timeout and a little, the server hangs up with BYE.
    let started = Instant::now();
    let bye = loop {
        let n = socket.recv(&mut buf).expect("a BYE from the server");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with("BYE ") {
            break text;
        }
    };
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "BYE after {:?}",
        started.elapsed()
    );
    let reply = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        header(&bye, "Via").unwrap_or_default(),
        header(&bye, "From").unwrap_or_default(),
        header(&bye, "To").unwrap_or_default(),
        header(&bye, "Call-ID").unwrap_or_default(),
        header(&bye, "CSeq").unwrap_or_default(),
    );
    socket
        .send_to(reply.as_bytes(), ("127.0.0.1", sip_port))
        .expect("200 to BYE");

    let (status, list) = server.client(&key).get("/v1/calls");
    assert_eq!(status, 200, "{list}");
    let call_id = list["items"][0]["call_id"]
        .as_str()
        .expect("a call")
        .to_owned();
    let call = until_ended(&server, &key, &call_id, Duration::from_secs(10));
    assert_eq!(call["record"]["end"]["reason"], "media-timeout", "{call}");
}

#[test]
fn trunk_channels_and_the_tenants_call_quota_hold_for_sip_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, _, _, tenant, key) = sip_server(dir.path(), "birthday-coupon");
    let mic = phone_microphone(dir.path(), "", 0, 30_000);
    let _silent = Phone::start(
        carrier.port,
        SILENT_PHONE,
        PHONE_PASSWORD,
        Answer::Manual,
        &mic,
    );
    let trunk = |channels: u32| {
        json!({
            "host": "127.0.0.1", "port": carrier.port, "username": TRUNK_USER,
            "password": TRUNK_PASSWORD, "caller_ids": [CALLER_ID], "tenants": [tenant],
            "max_channels": channels,
        })
    };
    let ringing = |server: &Server| {
        server.client(&key).post(
            "/v1/calls",
            json!({"module": "birthday-coupon", "channel": "sip", "to": format!("+{SILENT_PHONE}"),
                   "trunk": "carrier", "ring_timeout_secs": 10}),
        )
    };

    // One channel: the second call is refused before anything is sent to the carrier.
    assert_eq!(
        server.operator().put_json("/v1/trunks/carrier", trunk(1)).0,
        200
    );
    let (status, first) = ringing(&server);
    assert_eq!(status, 201, "{first}");
    let (status, refused) = ringing(&server);
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["code"], "trunk_busy");

    // Room on the trunk, but the tenant may have one call at a time.
    assert_eq!(
        server
            .operator()
            .put_json("/v1/trunks/carrier", trunk(10))
            .0,
        200
    );
    let (status, body) = server.operator().patch(
        &format!("/v1/tenants/{tenant}"),
        json!({"quotas": {"max_concurrent_calls": 1}}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, refused) = ringing(&server);
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["code"], "quota_exceeded");

    // Bad requests name their field.
    for (body, code) in [
        (
            json!({"module": "birthday-coupon", "channel": "sip", "to": "12345", "trunk": "carrier"}),
            "invalid_number",
        ),
        (
            json!({"module": "birthday-coupon", "channel": "sip", "to": "+8613800138000", "trunk": "nope"}),
            "unknown_trunk",
        ),
        (
            json!({"module": "birthday-coupon", "channel": "sip", "to": "+8613800138000", "trunk": "carrier", "from": "+8610000000000"}),
            "caller_id_not_in_pool",
        ),
    ] {
        let (status, answer) = server.client(&key).post("/v1/calls", body);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (422, Some(code)),
            "{answer}"
        );
    }
    let call_id = first["call_id"].as_str().expect("call_id");
    let call = until_ended(&server, &key, call_id, Duration::from_secs(30));
    assert_eq!(call["progress"]["state"], "no-answer", "{call}");
}

/// Counts RTP packets arriving on `socket` for `window`.
fn rtp_packets(socket: &std::net::UdpSocket, window: Duration) -> usize {
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let mut buf = [0u8; 2048];
    let (mut count, started) = (0, Instant::now());
    while started.elapsed() < window {
        if let Ok(n) = socket.recv(&mut buf)
            && n >= 12
        {
            count += 1;
        }
    }
    count
}

#[test]
fn a_reinvite_to_hold_is_answered_recvonly_and_the_bot_stops_sending_until_resumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, sip_port, _, tenant, _) = sip_server(dir.path(), "load-bot");
    let (status, body) = server.operator().put_json(
        "/v1/numbers/%2B8675500000003",
        json!({"tenant_id": tenant, "module": "load-bot"}),
    );
    assert_eq!(status, 200, "{body}");
    let sip = std::net::UdpSocket::bind("127.0.0.1:0").expect("sip socket");
    let rtp = std::net::UdpSocket::bind("127.0.0.1:0").expect("rtp socket");
    let (local, rtp_port) = (
        sip.local_addr().expect("addr").port(),
        rtp.local_addr().expect("addr").port(),
    );
    let sdp = |direction: &str, version: u32| {
        format!(
            "v=0\r\no=- 1 {version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na={direction}\r\n"
        )
    };
    let server_addr = ("127.0.0.1", sip_port);
    sip.send_to(
        raw_invite(sip_port, local, "+8675500000003", 7, &sdp("sendrecv", 1)).as_bytes(),
        server_addr,
    )
    .expect("invite");
    sip.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 8192];
    let read_final = |sip: &std::net::UdpSocket, buf: &mut [u8]| loop {
        let n = sip.recv(buf).expect("an answer");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !text.starts_with("SIP/2.0 1") {
            break text;
        }
    };
    let ok = read_final(&sip, &mut buf);
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    let to = header(&ok, "To").expect("To").to_owned();
    let in_dialog = |method: &str, cseq: u32, branch: &str, body: &str| {
        let content = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/sdp\r\n".into()
        };
        format!(
            "{method} sip:+8675500000003@127.0.0.1:{sip_port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{branch}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:attacker@127.0.0.1>;tag=f7\r\nTo: {to}\r\nCall-ID: flood-7@127.0.0.1\r\n\
             CSeq: {cseq} {method}\r\nContact: <sip:attacker@127.0.0.1:{local}>\r\n{content}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    sip.send_to(in_dialog("ACK", 1, "ack7", "").as_bytes(), server_addr)
        .expect("ack");

    // The greeting arrives as RTP.
    assert!(
        rtp_packets(&rtp, Duration::from_millis(800)) > 10,
        "the bot greets"
    );

    // Hold: the server answers recvonly and sends no more audio.
    sip.send_to(
        in_dialog("INVITE", 2, "hold7", &sdp("sendonly", 2)).as_bytes(),
        server_addr,
    )
    .expect("hold");
    let held = read_final(&sip, &mut buf);
    assert!(held.starts_with("SIP/2.0 200"), "{held}");
    assert!(held.contains("a=recvonly"), "{held}");
    sip.send_to(in_dialog("ACK", 2, "ackhold7", "").as_bytes(), server_addr)
        .expect("ack");
    rtp_packets(&rtp, Duration::from_millis(200)); // what was already on its way
    // A key press makes the bot answer, but on hold its reply is not sent.
    let key = [
        0x80,
        101 | 0x80,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        9,
        1,
        0x8a,
        0,
        160,
    ];
    rtp.send_to(&key, ("127.0.0.1", rtp_port_of(&ok)))
        .expect("key");
    assert_eq!(
        rtp_packets(&rtp, Duration::from_millis(800)),
        0,
        "no audio while held"
    );

    // Resume: audio flows again.
    sip.send_to(
        in_dialog("INVITE", 3, "resume7", &sdp("sendrecv", 3)).as_bytes(),
        server_addr,
    )
    .expect("resume");
    let resumed = read_final(&sip, &mut buf);
    assert!(resumed.contains("a=sendrecv"), "{resumed}");
    sip.send_to(
        in_dialog("ACK", 3, "ackresume7", "").as_bytes(),
        server_addr,
    )
    .expect("ack");
    for seq in 2u16..8 {
        let mut press = vec![0x80, 101 | if seq == 2 { 0x80 } else { 0 }];
        press.extend_from_slice(&seq.to_be_bytes());
        press.extend_from_slice(&[
            0,
            0,
            8,
            0,
            0,
            0,
            0,
            9,
            2,
            if seq > 4 { 0x8a } else { 0x0a },
            0,
            160,
        ]);
        rtp.send_to(&press, ("127.0.0.1", rtp_port_of(&ok)))
            .expect("key");
    }
    assert!(
        rtp_packets(&rtp, Duration::from_millis(1_500)) > 10,
        "the reply is heard after resuming"
    );
    sip.send_to(in_dialog("BYE", 4, "bye7", "").as_bytes(), server_addr)
        .expect("bye");
}

/// The RTP port in a SIP message's SDP body.
fn rtp_port_of(message: &str) -> u16 {
    message
        .lines()
        .find_map(|line| line.strip_prefix("m=audio "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|port| port.parse().ok())
        .expect("an m=audio line")
}
