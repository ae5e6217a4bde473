//! Outbound campaigns end to end with real telephony on loopback: Kamailio as the carrier,
//! baresip phones as the customers who answer (a hunt group) or let it ring, the
//! carrier's own busy and decline answers, numbers that do not exist, and a real HTTP
//! receiver for the campaign's signed webhooks. What the carrier saw (every INVITE it
//! let through) is the count the tests trust, not only huashu's own records.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::server::{OPERATOR_TOKEN, Server, create_tenant};
use support::sip::{
    Answer, Kamailio, Phone, Subscriber, free_port, free_port_range, phone_microphone,
};

const TRUNK_USER: &str = "huashu-trunk";
const TRUNK_PASSWORD: &str = "s3cret-trunk-pw";
/// The hunt group's phone: every `+86139…` number rings it, and it answers.
const TALKER: &str = "8613900000000";
/// The phone every `+86137…` number rings; nobody picks it up.
const SILENT: &str = "8613700000000";
/// The phone every `+86135…` number rings: it answers and asks not to be called again.
const OPTER: &str = "8613500000000";
const PHONE_PASSWORD: &str = "phone-pw";
const CALLER_ID: &str = "+8675512345678";
const WEBHOOK_SECRET: &str = "whsec_test_0123456789abcdef";

fn carrier() -> Kamailio {
    Kamailio::start(&[
        Subscriber {
            user: TRUNK_USER,
            password: TRUNK_PASSWORD,
        },
        Subscriber {
            user: TALKER,
            password: PHONE_PASSWORD,
        },
        Subscriber {
            user: SILENT,
            password: PHONE_PASSWORD,
        },
        Subscriber {
            user: OPTER,
            password: PHONE_PASSWORD,
        },
    ])
}

/// A server that places calls and runs campaigns at any hour (the platform's calling
/// hours are the whole day, so the test passes whenever it runs), with webhooks allowed
/// to reach a receiver on loopback and retried quickly.
fn campaign_server(dir: &std::path::Path) -> (Server, Vec<String>) {
    let sip_port = free_port();
    let rtp = free_port_range(200);
    let flags = vec![
        "--sip-listen".to_owned(),
        format!("127.0.0.1:{sip_port}"),
        "--rtp-ports".to_owned(),
        format!("{rtp}-{}", rtp + 199),
        "--calling-hours".to_owned(),
        "00:00-24:00".to_owned(),
        "--webhook-allow-private-targets".to_owned(),
        "--webhook-max-backoff-secs".to_owned(),
        "2".to_owned(),
    ];
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    (Server::start_with(dir, &refs, |_| {}), flags)
}

fn restart(dir: &std::path::Path, flags: &[String]) -> Server {
    let refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    Server::start_with(dir, &refs, |_| {})
}

/// A tenant with the birthday-coupon module and the carrier's trunk; its key.
fn tenant_with_trunk(server: &Server, carrier: &Kamailio) -> String {
    let (tenant, key) = create_tenant(server, "Acme Retail");
    let (status, body) = server.client(&key).put_bytes(
        "/v1/modules/birthday-coupon",
        &support::guest_bytes("birthday-coupon"),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.operator().put_json(
        "/v1/trunks/carrier",
        json!({
            "host": "127.0.0.1",
            "port": carrier.port,
            "username": TRUNK_USER,
            "password": TRUNK_PASSWORD,
            "caller_ids": [CALLER_ID],
            "max_channels": 30,
            "max_calls_per_second": 20,
            "tenants": [tenant],
        }),
    );
    assert_eq!(status, 200, "{body}");
    key
}

fn create_campaign(server: &Server, key: &str, settings: Value) -> String {
    let (status, body) = server.client(key).post("/v1/campaigns", settings);
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("campaign id").to_owned()
}

fn post_csv(server: &Server, key: &str, path: &str, csv: &str) -> (u16, Value) {
    let mut response = ureq::post(format!("{}{path}", server.base))
        .header("Authorization", format!("Bearer {key}"))
        .header("Content-Type", "text/csv")
        .config()
        .http_status_as_error(false)
        .build()
        .send(csv.as_bytes())
        .expect("POST");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn get_text(server: &Server, key: &str, path: &str) -> String {
    let (status, text) = server.client(key).get_text(path);
    assert_eq!(status, 200, "{text}");
    text
}

/// Polls the campaign until `done` says so; its last view.
fn until_campaign(
    server: &Server,
    key: &str,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let (status, view) = server.client(key).get(&format!("/v1/campaigns/{id}"));
        assert_eq!(status, 200, "{view}");
        if done(&view) {
            return view;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {view:#}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The results file as rows keyed by number.
fn results_by_number(csv_text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut lines = csv_text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut rows = HashMap::new();
    for record in csv::Reader::from_reader(csv_text.as_bytes()).records() {
        let record = record.expect("a CSV row");
        let row: HashMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        rows.insert(row["number"].clone(), row);
    }
    rows
}

/// INVITEs the carrier let through, per number dialled.
fn invites_per_number(carrier: &Kamailio) -> HashMap<String, Vec<f64>> {
    let mut seen: HashMap<String, Vec<f64>> = HashMap::new();
    for (number, at) in carrier.invites() {
        seen.entry(number).or_default().push(at);
    }
    seen
}

/// One POST a receiver got: its headers (names in lower case) and body.
type Delivered = (HashMap<String, String>, String);

/// A webhook receiver on loopback: records every POST (headers, body) and answers 200.
struct Receiver {
    received: Arc<Mutex<Vec<Delivered>>>,
}

impl Receiver {
    /// Listens on `port` from now on.
    fn listen(port: u16) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the receiver");
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(stream);
                let mut headers = HashMap::new();
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
                    }
                }
                let length: usize = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                store
                    .lock()
                    .expect("received")
                    .push((headers, String::from_utf8_lossy(&body).into_owned()));
                let mut stream = reader.into_inner();
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Receiver { received }
    }

    fn deliveries(&self) -> Vec<Delivered> {
        self.received.lock().expect("received").clone()
    }
}

/// Checks a delivery's signature the way a tenant's receiver does:
/// `v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`.
fn signature_is_valid(headers: &HashMap<String, String>, body: &str) -> bool {
    let (Some(timestamp), Some(signature)) = (
        headers.get("huashu-timestamp"),
        headers.get("huashu-signature"),
    ) else {
        return false;
    };
    let Some(hex_signature) = signature.strip_prefix("v1=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.verify_slice(&expected).is_ok()
}

#[test]
fn a_campaign_dials_its_list_retries_busy_and_unanswered_numbers_after_the_wait_and_reports_it_all()
{
    let dir = tempfile::tempdir().expect("tempdir");
    let carrier = carrier();
    let (server, _) = campaign_server(&dir.path().join("data"));
    let key = tenant_with_trunk(&server, &carrier);
    let mic = phone_microphone(dir.path(), "yes please", 1_500, 7_000);
    let _talker = Phone::start(carrier.port, TALKER, PHONE_PASSWORD, Answer::Auto, &mic);
    let _silent = Phone::start(carrier.port, SILENT, PHONE_PASSWORD, Answer::Manual, &mic);
    let opt_out = phone_microphone(dir.path(), "stop calling", 1_500, 7_000);
    let _opter = Phone::start(carrier.port, OPTER, PHONE_PASSWORD, Answer::Auto, &opt_out);
    // The receiver is down when the campaign starts; it comes up later.
    let hook_port = free_port();

    let id = create_campaign(
        &server,
        &key,
        json!({
            "name": "Birthday coupons, December",
            "module": "birthday-coupon",
            "trunk": "carrier",
            "max_concurrent_calls": 3,
            "max_calls_per_second": 5,
            "ring_timeout_secs": 5,
            "max_attempts": 2,
            "schedule": {
                "time_zone": "Asia/Shanghai",
                "windows": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00"}]
            },
            "retry": {
                "busy": {"wait_secs": 3, "max_retries": 1},
                "no_answer": {"wait_secs": 3, "max_retries": 1}
            },
            "webhook": {"url": format!("http://127.0.0.1:{hook_port}/hooks/huashu"), "secret": WEBHOOK_SECRET}
        }),
    );
    // One number is on the tenant's do-not-call list before the import.
    let (status, body) = server.client(&key).put_json(
        "/v1/dnc/+8613900000999",
        json!({"reason": "asked us last year"}),
    );
    assert_eq!(status, 200, "{body}");

    let mut csv = String::from("phone,name,coupon_amount,member_id\n");
    let answered: Vec<String> = (1..=4).map(|i| format!("+861390000010{i}")).collect();
    let no_answer = vec!["+8613700000101".to_owned()];
    let opts_out = "+8613500000101".to_owned();
    let busy: Vec<String> = (1..=5).map(|i| format!("+8613800{i}00486")).collect();
    let rejected: Vec<String> = (1..=4).map(|i| format!("+8613800{i}00603")).collect();
    let invalid: Vec<String> = (1..=6).map(|i| format!("+861360000000{i}")).collect();
    let dnc = "+8613900000999".to_owned();
    let mut all = Vec::new();
    for group in [&answered, &no_answer, &busy, &rejected, &invalid] {
        all.extend(group.iter().cloned());
    }
    all.push(opts_out.clone());
    all.push(dnc.clone());
    // Listed on the platform's do-not-call list after the import: checked again at dial
    // time, never dialled.
    let listed_later = "+8613900000105".to_owned();
    all.push(listed_later.clone());
    for (i, number) in all.iter().enumerate() {
        csv.push_str(&format!("{number},Customer {i},50,M{i:04}\n"));
    }
    csv.push_str("12345,Bad Number,50,M9999\n");
    let (status, report) = post_csv(&server, &key, &format!("/v1/campaigns/{id}/contacts"), &csv);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], all.len() as u64 - 1, "{report}");
    let (status, body) = server.operator().put_json(
        &format!("/v1/platform/dnc/{listed_later}"),
        json!({"reason": "regulator"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(report["do_not_call"], 1, "{report}");
    assert_eq!(report["invalid"], 1, "{report}");
    assert_eq!(
        report["problems"][0]["line"],
        all.len() as u64 + 2,
        "{report}"
    );

    let (status, body) = server
        .client(&key)
        .post(&format!("/v1/campaigns/{id}/start"), json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "running");
    assert!(body["module_version"].as_u64().is_some(), "pinned: {body}");

    // More contacts arrive while it runs: one new, one it already has.
    let late = "+8613600000007".to_owned();
    let (status, report) = post_csv(
        &server,
        &key,
        &format!("/v1/campaigns/{id}/contacts"),
        &format!("phone,name\n{late},Late Customer\n{},Again\n", answered[0]),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["accepted"].as_u64(), report["duplicate"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let mut invalid = invalid;
    invalid.push(late);

    // Bring the receiver up once a few contacts have finished.
    until_campaign(&server, &key, &id, Duration::from_secs(60), |v| {
        v["stats"]["done"].as_u64().unwrap_or(0) >= 5
    });
    let receiver = Receiver::listen(hook_port);

    let view = until_campaign(&server, &key, &id, Duration::from_secs(180), |v| {
        v["state"] == "completed"
    });
    let stats = &view["stats"];
    assert_eq!(stats["contacts"], 23, "{view:#}");
    assert_eq!(stats["done"], 23);
    assert_eq!(stats["pending"], 0);
    assert_eq!(stats["results"]["answered"], 5, "{view:#}");
    assert_eq!(stats["results"]["busy"], 5);
    assert_eq!(stats["results"]["no-answer"], 1);
    assert_eq!(stats["results"]["rejected"], 4);
    assert_eq!(stats["results"]["invalid-number"], 7);
    assert_eq!(stats["results"]["do-not-call"], 1);
    // Busy and unanswered numbers were tried twice; the rest once.
    assert_eq!(stats["attempts"], 4 + 1 + 2 + 10 + 4 + 7, "{view:#}");
    assert_eq!(stats["answered"], 5);
    assert_eq!(
        stats["intents"]["A"], 4,
        "each customer who said yes: {view:#}"
    );
    assert_eq!(
        stats["intents"]["D"], 1,
        "the one who asked not to be called: {view:#}"
    );
    assert_eq!(stats["opted_out"], 1, "{view:#}");

    // What the carrier saw matches, call by call, and every retry waited its 3 s.
    let seen = invites_per_number(&carrier);
    assert!(
        !seen.contains_key(&dnc),
        "the do-not-call number was never dialled"
    );
    assert!(
        !seen.contains_key(&listed_later),
        "nor the one listed after the import"
    );
    for (numbers, tries) in [
        (&answered, 1),
        (&vec![opts_out.clone()], 1),
        (&no_answer, 2),
        (&busy, 2),
        (&rejected, 1),
        (&invalid, 1),
    ] {
        for number in numbers {
            let times = seen.get(number).cloned().unwrap_or_default();
            assert_eq!(times.len(), tries, "{number} was dialled {times:?}");
            if let [first, second] = times[..] {
                assert!(
                    second - first >= 3.0,
                    "{number}: retried {:.1} s later",
                    second - first
                );
            }
        }
    }

    // The results file says the same, one row per contact.
    let results = get_text(
        &server,
        &key,
        &format!("/v1/campaigns/{id}/results?format=csv"),
    );
    let rows = results_by_number(&results);
    assert_eq!(
        rows.len(),
        23,
        "the number listed before the import was not imported"
    );
    for number in &answered {
        let row = &rows[number];
        assert_eq!(row["result"], "answered", "{row:?}");
        assert_eq!(row["intent"], "A", "{row:?}");
        assert!(row["variables"].contains("member_id"), "{row:?}");
        assert!(row["last_call_id"].starts_with("c_"), "{row:?}");
    }
    for number in &busy {
        assert_eq!(rows[number]["result"], "busy");
        assert_eq!(rows[number]["attempts"], "2");
    }
    for number in &invalid {
        assert_eq!(rows[number]["result"], "invalid-number");
        assert_eq!(rows[number]["attempts"], "1");
    }
    assert!(!rows.contains_key(&dnc));
    assert_eq!(rows[&listed_later]["result"], "do-not-call");
    assert_eq!(rows[&listed_later]["attempts"], "0");

    // The customer who asked is on the tenant's do-not-call list, from the script.
    assert_eq!(rows[&opts_out]["intent"], "D", "{:?}", rows[&opts_out]);
    let (status, entry) = server.client(&key).get(&format!("/v1/dnc/{opts_out}"));
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["source"], "script", "{entry}");
    assert!(
        entry["call_id"]
            .as_str()
            .is_some_and(|c| c == rows[&opts_out]["last_call_id"]),
        "{entry}"
    );

    // The calls list by campaign and by callee.
    let (status, calls) = server
        .client(&key)
        .get(&format!("/v1/calls?campaign={id}&limit=100"));
    assert_eq!(status, 200, "{calls}");
    assert_eq!(
        calls["items"].as_array().map(Vec::len),
        Some(28),
        "one call per attempt: {calls:#}"
    );
    let (status, calls) = server
        .client(&key)
        .get("/v1/calls?callee=%2B86%20139%200000%200101");
    assert_eq!(status, 200, "{calls}");
    let items = calls["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{calls:#}");
    assert_eq!(items[0]["callee"], "+8613900000101");
    assert_eq!(items[0]["campaign_id"], id.as_str());

    // Every finished contact reached the receiver, signed, although it was down at first.
    let deadline = Instant::now() + Duration::from_secs(60);
    while receiver.deliveries().len() < 23 {
        assert!(
            Instant::now() < deadline,
            "{} deliveries of 23",
            receiver.deliveries().len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let deliveries = receiver.deliveries();
    let mut contacts_reported = std::collections::HashSet::new();
    for (headers, body) in &deliveries {
        assert!(
            signature_is_valid(headers, body),
            "bad signature: {headers:?}"
        );
        let payload: Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(payload["event"], "contact.finished");
        contacts_reported.insert(
            payload["contact"]["number"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    assert_eq!(
        contacts_reported.len(),
        23,
        "each contact once: {contacts_reported:?}"
    );
    assert_eq!(deliveries.len(), 23, "none twice");
    let (status, page) = server
        .client(&key)
        .get(&format!("/v1/campaigns/{id}/webhooks?limit=100"));
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().expect("deliveries");
    assert!(items.iter().all(|d| d["state"] == "delivered"), "{page:#}");
    assert!(
        items.iter().any(|d| d["tries"].as_u64().unwrap_or(0) > 1),
        "some waited for the receiver: {page:#}"
    );

    // The metrics name the campaign.
    let (status, metrics) =
        support::server::Client::new(&server.base, OPERATOR_TOKEN).get_text("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("huashu_campaign_dials_total{tenant=") && metrics.contains(&id),
        "{metrics}"
    );
}

#[test]
fn a_server_killed_mid_campaign_resumes_and_no_contact_is_lost_or_dialled_more_than_its_rules_allow()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let carrier = carrier();
    let (server, flags) = campaign_server(&data);
    let key = tenant_with_trunk(&server, &carrier);
    let mic = phone_microphone(dir.path(), "yes please", 1_500, 6_000);
    let _talker = Phone::start(carrier.port, TALKER, PHONE_PASSWORD, Answer::Auto, &mic);
    let _silent = Phone::start(carrier.port, SILENT, PHONE_PASSWORD, Answer::Manual, &mic);

    let id = create_campaign(
        &server,
        &key,
        json!({
            "name": "Payment reminders",
            "module": "birthday-coupon",
            "trunk": "carrier",
            "max_concurrent_calls": 6,
            "max_calls_per_second": 10,
            "ring_timeout_secs": 8,
            "max_attempts": 3,
            "schedule": {
                "time_zone": "Asia/Shanghai",
                "windows": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00"}]
            },
            "retry": {
                "busy": {"wait_secs": 2, "max_retries": 2},
                "no_answer": {"wait_secs": 2, "max_retries": 2},
                "failed": {"wait_secs": 2, "max_retries": 2}
            }
        }),
    );
    let mut numbers: Vec<String> = (10..14).map(|i| format!("+86139000001{i}")).collect();
    numbers.extend((10..14).map(|i| format!("+86137000001{i}")));
    numbers.extend((10..16).map(|i| format!("+86138{i}000486")));
    numbers.extend((10..14).map(|i| format!("+86136000001{i}")));
    let mut csv = String::from("number\n");
    for number in &numbers {
        csv.push_str(number);
        csv.push('\n');
    }
    let (status, report) = post_csv(&server, &key, &format!("/v1/campaigns/{id}/contacts"), &csv);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], numbers.len() as u64);
    let (status, body) = server
        .client(&key)
        .post(&format!("/v1/campaigns/{id}/start"), json!({}));
    assert_eq!(status, 200, "{body}");

    // Kill it while several calls are up (talking or ringing) and the carrier has seen
    // some of them.
    until_campaign(&server, &key, &id, Duration::from_secs(60), |v| {
        v["stats"]["dialing"].as_u64().unwrap_or(0) >= 4 && carrier.invites().len() >= 3
    });
    let mut server = server;
    server.kill();

    let server = restart(&data, &flags);
    let view = until_campaign(&server, &key, &id, Duration::from_secs(240), |v| {
        v["state"] == "completed"
    });
    assert_eq!(
        view["stats"]["done"],
        numbers.len() as u64,
        "no contact lost: {view:#}"
    );
    let results = get_text(
        &server,
        &key,
        &format!("/v1/campaigns/{id}/results?format=csv"),
    );
    let rows = results_by_number(&results);
    assert_eq!(rows.len(), numbers.len());
    let seen = invites_per_number(&carrier);
    for number in &numbers {
        let row = &rows[number];
        let counted: usize = row["attempts"].parse().expect("attempts");
        let dialled = seen.get(number).map_or(0, Vec::len);
        assert!(
            (1..=3).contains(&dialled) && dialled <= counted && counted <= 3,
            "{number}: the carrier saw {dialled} INVITEs, huashu counted {counted}: {row:?}"
        );
        assert_eq!(row["state"], "done", "{row:?}");
    }
    assert!(
        view["stats"]["outcomes"]["interrupted"]
            .as_u64()
            .unwrap_or(0)
            >= 1,
        "{view:#}"
    );
}
