//! Outbound campaigns and do-not-call lists through the real server: a `huashu serve`
//! process on loopback, real HTTP. No SIP: campaigns are created, changed, filled with
//! contacts, exported and moved between states, but never dial.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};
use support::server::{Client, OPERATOR_TOKEN, Server, assert_not_found, create_tenant};

/// The caller ID the test trunk owns.
const CALLER_ID: &str = "+862161234567";

/// A server with two tenants and a trunk granted to the first.
struct World {
    _dir: tempfile::TempDir,
    server: Server,
    /// The first tenant's key: the trunk `carrier` is granted to it.
    key: String,
    /// Another tenant's key.
    other_key: String,
}

impl World {
    fn start() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = Server::start(dir.path());
        let (tenant, key) = create_tenant(&server, "Acme Bank");
        let (other, other_key) = create_tenant(&server, "Globex Retail");
        let operator = server.operator();
        for (trunk, granted) in [("carrier", &tenant), ("elsewhere", &other)] {
            let (status, body) = operator.put_json(
                &format!("/v1/trunks/{trunk}"),
                json!({
                    "host": "sip.carrier.example",
                    "caller_ids": [CALLER_ID],
                    "tenants": [granted],
                }),
            );
            assert_eq!(status, 200, "{body}");
        }
        World {
            _dir: dir,
            server,
            key,
            other_key,
        }
    }

    fn tenant(&self) -> Client {
        self.server.client(&self.key)
    }

    fn other(&self) -> Client {
        self.server.client(&self.other_key)
    }

    /// Creates a campaign from `draft` as the first tenant: its JSON.
    fn campaign(&self, draft: Value) -> Value {
        let (status, body) = self.tenant().post("/v1/campaigns", draft);
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Sends `body` with `content_type` (and the bearer `token`): status and JSON answer.
    fn send(
        &self,
        token: &str,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.server.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", content_type)
            .body(body.to_vec())
            .expect("a well-formed request");
        let mut response = agent().run(request).expect("HTTP request");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A GET whose answer is a file: status, `Content-Type`, `Content-Disposition`, text.
    fn download(&self, path: &str) -> (u16, String, String, String) {
        let mut response = agent()
            .get(format!("{}{path}", self.server.base))
            .header("Authorization", format!("Bearer {}", self.key))
            .call()
            .expect("HTTP request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (content_type, disposition) = (header("content-type"), header("content-disposition"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, content_type, disposition, text)
    }

    /// Sends `head` (the request line and headers, without the blank line) and `body` on a
    /// connection of its own, then closes the sending side, however much of the body the
    /// headers promised: status and JSON answer.
    fn cut_off(&self, head: &str, body: &[u8]) -> (u16, Value) {
        let address = self.server.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to the server");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("a read timeout");
        let head = format!(
            "{head}\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            self.key
        );
        stream.write_all(head.as_bytes()).expect("send the head");
        // The server may answer and close before it reads the body (a refusal by the
        // headers alone), so failing to send the rest or to close our side is not an error
        // here: the answer already sent is what the test checks.
        let _ = stream.write_all(body);
        let _ = stream.shutdown(Shutdown::Write);
        let mut answer = Vec::new();
        if let Err(error) = stream.read_to_end(&mut answer) {
            assert!(
                !answer.is_empty(),
                "no answer before the connection failed: {error}"
            );
        }
        let answer = String::from_utf8_lossy(&answer);
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let json = answer
            .split_once("\r\n\r\n")
            .and_then(|(_, body)| serde_json::from_str(body.trim()).ok())
            .unwrap_or(Value::Null);
        (status, json)
    }

    /// Uploads contacts to `campaign` as the first tenant.
    fn import(&self, campaign: &str, content_type: &str, body: &str) -> (u16, Value) {
        self.send(
            &self.key,
            "POST",
            &format!("/v1/campaigns/{campaign}/contacts"),
            content_type,
            body.as_bytes(),
        )
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // A request the server never answers fails its test instead of hanging it.
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// The smallest campaign the first tenant can create.
fn draft() -> Value {
    json!({
        "name": "Birthday coupons",
        "module": "birthday-coupon",
        "trunk": "carrier",
        "webhook": { "url": "http://crm.example/hook" },
    })
}

fn id(campaign: &Value) -> String {
    campaign["id"]
        .as_str()
        .expect("the campaign's id")
        .to_owned()
}

/// Asserts a JSON error with this status and code whose message names `word`.
fn assert_error((status, body): (u16, Value), expected: (u16, &str), word: &str) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (expected.0, Some(expected.1)),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(word), "`{word}` not in: {message}");
}

#[test]
fn a_campaign_is_created_with_defaults_and_a_secret_then_read_listed_and_changed() {
    let world = World::start();
    let tenant = world.tenant();
    let created = world.campaign(draft());
    let campaign = id(&created);
    assert!(campaign.starts_with("cp_"), "{created}");
    assert_eq!(created["state"], "draft");
    assert_eq!(created["trunk"], "carrier");
    assert_eq!(
        (
            &created["max_concurrent_calls"],
            &created["max_attempts"],
            &created["priority"]
        ),
        (&json!(10), &json!(3), &json!(5))
    );
    assert_eq!(created["schedule"]["time_zone"], "Asia/Shanghai");
    assert!(
        !created["schedule"]["windows"]
            .as_array()
            .expect("windows")
            .is_empty()
    );
    let secret = created["webhook"]["secret"].as_str().expect("a secret");
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["stats"]["contacts"], 0);
    assert_eq!(created["active_calls"], 0);

    let (status, read) = tenant.get(&format!("/v1/campaigns/{campaign}"));
    assert_eq!((status, &read), (200, &created));

    let second = id(&world.campaign(draft()));
    let (status, first_page) = tenant.get("/v1/campaigns?limit=1");
    assert_eq!(status, 200, "{first_page}");
    assert_eq!(first_page["items"].as_array().map(Vec::len), Some(1));
    let next = first_page["next"].as_str().expect("a second page");
    let (status, second_page) = tenant.get(&format!("/v1/campaigns?limit=1&after={next}"));
    assert_eq!(status, 200, "{second_page}");
    let mut listed = vec![
        first_page["items"][0]["id"].clone(),
        second_page["items"][0]["id"].clone(),
    ];
    listed.sort_by_key(|v| v.to_string());
    let mut expected = vec![json!(campaign), json!(second)];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(listed, expected);

    let (status, patched) = tenant.patch(
        &format!("/v1/campaigns/{campaign}"),
        json!({ "max_concurrent_calls": 50, "name": "Coupons, December" }),
    );
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (&patched["max_concurrent_calls"], &patched["name"]),
        (&json!(50), &json!("Coupons, December"))
    );
    assert_eq!(
        patched["webhook"]["secret"], secret,
        "a patch keeps the secret"
    );
    assert_eq!(patched["max_attempts"], 3);

    let (status, deliveries) = tenant.get(&format!("/v1/campaigns/{campaign}/webhooks"));
    assert_eq!(status, 200, "{deliveries}");
    assert_eq!(deliveries, json!({ "items": [], "next": null }));
}

#[test]
fn campaign_settings_that_break_a_rule_are_refused_naming_the_field() {
    let world = World::start();
    let tenant = world.tenant();
    let with = |field: &str, value: Value| {
        let mut body = draft();
        body[field] = value;
        tenant.post("/v1/campaigns", body)
    };

    let (status, body) = with(
        "schedule",
        json!({ "windows": [{ "days": ["mon"], "start": "25:00", "end": "26:00" }] }),
    );
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("schedule.windows"), "{message}");
    assert_error(
        with("schedule", json!({ "time_zone": "Mars/Olympus" })),
        (422, "invalid_campaign"),
        "schedule.time_zone",
    );
    assert_error(
        with("caller_ids", json!(["+862199999999"])),
        (422, "invalid_campaign"),
        "caller_ids[0]",
    );
    assert_error(
        with("trunk", json!("elsewhere")),
        (422, "invalid_campaign"),
        "trunk",
    );
    assert_error(
        with("trunk", json!("no-such-trunk")),
        (422, "invalid_campaign"),
        "trunk",
    );
    // An unknown field is refused by the JSON body's own schema, naming it.
    assert_error(with("colour", json!("red")), (422, "bad_body"), "colour");

    let campaign = id(&world.campaign(draft()));
    let path = format!("/v1/campaigns/{campaign}");
    assert_error(
        tenant.patch(&path, json!({ "colour": "red" })),
        (422, "invalid_campaign"),
        "colour",
    );
    assert_error(
        tenant.patch(
            &path,
            json!({ "schedule": { "time_zone": "Mars/Olympus" } }),
        ),
        (422, "invalid_campaign"),
        "schedule.time_zone",
    );
    let (status, unchanged) = tenant.get(&path);
    assert_eq!(status, 200);
    assert_eq!(unchanged["schedule"]["time_zone"], "Asia/Shanghai");
}

#[test]
fn contacts_stream_in_as_csv_or_json_lines_and_every_row_is_accounted_for() {
    let world = World::start();
    let tenant = world.tenant();
    let campaign = id(&world.campaign(draft()));
    let (status, listed) = tenant.put_json("/v1/dnc/13800138009", json!({ "reason": "asked" }));
    assert_eq!(status, 200, "{listed}");

    let csv = "number,reference,name\n\
               13800138001,C1,王芳\n\
               not-a-number,C2,李雷\n\
               138 0013 8001,C3,王芳\n\
               13800138009,C4,张伟\n\
               13900139002,C5,赵敏\n";
    let (status, report) = world.import(&campaign, "text/csv; charset=utf-8", csv);
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            &report["lines"],
            &report["accepted"],
            &report["invalid"],
            &report["duplicate"],
            &report["do_not_call"]
        ),
        (&json!(5), &json!(2), &json!(1), &json!(1), &json!(1)),
        "{report}"
    );
    assert_eq!(report["problems"][0]["line"], 3, "{report}");

    let jsonl = concat!(
        r#"{"number": "13700137003", "reference": "J1", "variables": {"name": "钱进"}}"#,
        "\n",
        r#"{"number": "+8613600136004", "variables": {"name": "孙丽", "amount": 50}}"#,
        "\n",
    );
    let (status, report) = world.import(&campaign, "application/x-ndjson", jsonl);
    assert_eq!((status, &report["accepted"]), (200, &json!(2)), "{report}");
    // The same lines again, under the other JSON Lines media type: all duplicates.
    let (status, report) = world.import(&campaign, "application/jsonl", jsonl);
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["accepted"], &report["duplicate"]),
        (&json!(0), &json!(2)),
        "{report}"
    );

    assert_error(
        world.import(&campaign, "application/json", jsonl),
        (415, "unsupported_media_type"),
        "text/csv",
    );
    let (status, read) = tenant.get(&format!("/v1/campaigns/{campaign}"));
    assert_eq!(
        (status, &read["stats"]["contacts"]),
        (200, &json!(4)),
        "{read}"
    );

    let (status, content_type, disposition, text) =
        world.download(&format!("/v1/campaigns/{campaign}/results"));
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{campaign}-results.csv\"")
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("seq,number,reference,state,result"),
        "{text}"
    );
    assert_eq!(lines.len(), 5, "a header and one row per contact: {text}");
    for row in &lines[1..] {
        assert!(row.contains(",pending,"), "{row}");
    }
    assert!(lines[1].contains("+8613800138001,C1"), "{text}");

    let (status, content_type, disposition, text) =
        world.download(&format!("/v1/campaigns/{campaign}/results?format=jsonl"));
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "application/x-ndjson");
    assert!(disposition.ends_with("-results.jsonl\""), "{disposition}");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert_eq!(rows[3]["number"], "+8613600136004");
    assert_eq!(rows[3]["variables"]["name"], "孙丽");
    assert!(rows.iter().all(|r| r["state"] == "pending"), "{text}");

    let (status, _) = tenant.get(&format!("/v1/campaigns/{campaign}/results?format=xml"));
    assert_eq!(status, 400);
    assert_not_found(tenant.get("/v1/campaigns/cp_0000000000000000/results"));
}

#[test]
fn a_campaign_moves_only_along_its_lifecycle() {
    let world = World::start();
    let tenant = world.tenant();
    let campaign = id(&world.campaign(draft()));
    let path = |action: &str| format!("/v1/campaigns/{campaign}/{action}");
    let (status, report) = world.import(&campaign, "text/csv", "number\n13800138001\n");
    assert_eq!((status, &report["accepted"]), (200, &json!(1)), "{report}");

    assert_error(
        tenant.post(&path("pause"), json!({})),
        (409, "campaign_state"),
        "draft",
    );
    assert_error(
        tenant.post(&path("resume"), json!({})),
        (409, "campaign_state"),
        "draft",
    );
    // This server places no telephone calls (no SIP listener, no module uploaded): the
    // campaign cannot start, and says why.
    let (status, refused) = tenant.post(&path("start"), json!({}));
    assert!(
        matches!(status, 409 | 422),
        "start without SIP: {status} {refused}"
    );
    eprintln!("start without SIP answered {status}: {refused}");
    let (status, still) = tenant.get(&format!("/v1/campaigns/{campaign}"));
    assert_eq!((status, &still["state"]), (200, &json!("draft")), "{still}");

    let (status, cancelled) = tenant.post(&path("cancel"), json!({}));
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    assert!(cancelled["finished_at_ms"].is_u64(), "{cancelled}");
    assert_error(
        tenant.post(&path("start"), json!({})),
        (409, "campaign_state"),
        "cancelled",
    );
    assert_error(
        tenant.post(&path("cancel"), json!({})),
        (409, "campaign_state"),
        "cancelled",
    );
    assert_error(
        tenant.patch(
            &format!("/v1/campaigns/{campaign}"),
            json!({ "trunk": "carrier" }),
        ),
        (409, "campaign_state"),
        "cancelled",
    );
    assert_error(
        tenant.patch(
            &format!("/v1/campaigns/{campaign}"),
            json!({ "max_concurrent_calls": 5 }),
        ),
        (409, "campaign_state"),
        "cancelled",
    );
    assert_error(
        world.import(&campaign, "text/csv", "number\n13800138002\n"),
        (409, "campaign_state"),
        "cancelled",
    );
    // Its results stay readable.
    let (status, _, _, text) = world.download(&format!("/v1/campaigns/{campaign}/results"));
    assert_eq!((status, text.lines().count()), (200, 2), "{text}");
}

#[test]
fn another_tenants_campaign_is_not_found_anywhere() {
    let world = World::start();
    let campaign = id(&world.campaign(draft()));
    let other = world.other();
    let path = format!("/v1/campaigns/{campaign}");
    assert_not_found(other.get(&path));
    assert_not_found(other.patch(&path, json!({ "max_concurrent_calls": 1 })));
    for action in ["start", "pause", "resume", "cancel"] {
        assert_not_found(other.post(&format!("{path}/{action}"), json!({})));
    }
    assert_not_found(other.get(&format!("{path}/results")));
    assert_not_found(other.get(&format!("{path}/webhooks")));
    assert_not_found(world.send(
        &world.other_key,
        "POST",
        &format!("{path}/contacts"),
        "text/csv",
        b"number\n13800138001\n",
    ));
    let (status, listed) = other.get("/v1/campaigns");
    assert_eq!(
        (status, listed),
        (200, json!({ "items": [], "next": null }))
    );

    // Untouched by all that.
    let (status, mine) = world.tenant().get(&path);
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        (
            &mine["state"],
            &mine["max_concurrent_calls"],
            &mine["stats"]["contacts"]
        ),
        (&json!("draft"), &json!(10), &json!(0))
    );
}

#[test]
fn a_tenants_do_not_call_list_takes_numbers_one_by_one_and_in_bulk() {
    let world = World::start();
    let tenant = world.tenant();

    let (status, entry) = tenant.put_json("/v1/dnc/%2B8613800138000", json!({ "reason": "asked" }));
    assert_eq!(status, 200, "{entry}");
    assert_eq!(
        (&entry["number"], &entry["reason"], &entry["source"]),
        (&json!("+8613800138000"), &json!("asked"), &json!("api"))
    );
    // No body at all, and a number written nationally.
    let (status, entry) = world.send(&world.key, "PUT", "/v1/dnc/139%200013%209000", "", b"");
    assert_eq!(status, 200, "{entry}");
    assert_eq!(
        (&entry["number"], &entry["reason"]),
        (&json!("+8613900139000"), &json!(""))
    );
    let (status, read) = tenant.get("/v1/dnc/13900139000");
    assert_eq!(
        (status, &read["number"]),
        (200, &json!("+8613900139000")),
        "{read}"
    );
    assert_error(
        tenant.put_json("/v1/dnc/not-a-number", json!({})),
        (422, "invalid_number"),
        "number",
    );

    let upload = "number,reason\n13700137000,complained\nnonsense\n\n+8613600136000\n";
    let (status, report) = world.send(&world.key, "POST", "/v1/dnc", "text/csv", upload.as_bytes());
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["added"], &report["invalid"]),
        (&json!(2), &json!(1)),
        "{report}"
    );
    assert_eq!(report["problems"][0]["line"], 3, "{report}");
    let (status, report) = world.send(
        &world.key,
        "POST",
        "/v1/dnc",
        "text/plain",
        b"13500135000\n",
    );
    assert_eq!((status, &report["added"]), (200, &json!(1)), "{report}");
    assert_error(
        world.send(&world.key, "POST", "/v1/dnc", "application/json", b"[]"),
        (415, "unsupported_media_type"),
        "text/plain",
    );

    let (status, listed) = tenant.get("/v1/dnc?limit=500");
    assert_eq!(status, 200, "{listed}");
    let numbers: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["number"].as_str())
        .collect();
    assert_eq!(
        numbers,
        [
            "+8613500135000",
            "+8613600136000",
            "+8613700137000",
            "+8613800138000",
            "+8613900139000"
        ]
    );
    let (status, page) = tenant.get("/v1/dnc?limit=2");
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["next"].is_string(), "{page}");

    assert_eq!(tenant.delete("/v1/dnc/%2B8613800138000").0, 204);
    assert_not_found(tenant.delete("/v1/dnc/%2B8613800138000"));
    assert_not_found(tenant.get("/v1/dnc/%2B8613800138000"));

    // Each tenant's list is its own.
    let other = world.other();
    assert_not_found(other.get("/v1/dnc/13900139000"));
    let (status, theirs) = other.get("/v1/dnc");
    assert_eq!(
        (status, theirs),
        (200, json!({ "items": [], "next": null }))
    );
}

#[test]
fn the_platform_list_is_the_operators_and_binds_every_tenant() {
    let world = World::start();
    let operator = world.server.operator();
    let tenant = world.tenant();

    let (status, entry) = operator.put_json(
        "/v1/platform/dnc/13800138005",
        json!({ "reason": "regulator" }),
    );
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["number"], "+8613800138005");
    let (status, read) = operator.get("/v1/platform/dnc/%2B8613800138005");
    assert_eq!(
        (status, &read["reason"]),
        (200, &json!("regulator")),
        "{read}"
    );
    let (status, report) = world.send(
        OPERATOR_TOKEN,
        "POST",
        "/v1/platform/dnc",
        "text/plain",
        b"13800138006\n13800138007\n",
    );
    assert_eq!((status, &report["added"]), (200, &json!(2)), "{report}");
    let (status, listed) = operator.get("/v1/platform/dnc");
    assert_eq!(
        (status, listed["items"].as_array().map(Vec::len)),
        (200, Some(3))
    );

    // A tenant key opens none of it, and the operator token is not a tenant.
    for (status, body) in [
        tenant.get("/v1/platform/dnc"),
        tenant.get("/v1/platform/dnc/13800138005"),
        tenant.put_json("/v1/platform/dnc/13800138008", json!({})),
        tenant.delete("/v1/platform/dnc/13800138005"),
        world.send(
            &world.key,
            "POST",
            "/v1/platform/dnc",
            "text/plain",
            b"13800138008\n",
        ),
        operator.get("/v1/dnc"),
    ] {
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{body}"
        );
    }

    // A tenant's import skips the platform's numbers.
    let campaign = id(&world.campaign(draft()));
    let (status, report) =
        world.import(&campaign, "text/csv", "number\n13800138005\n13800138004\n");
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["accepted"], &report["do_not_call"]),
        (&json!(1), &json!(1)),
        "{report}"
    );

    assert_eq!(operator.delete("/v1/platform/dnc/13800138005").0, 204);
    assert_not_found(operator.get("/v1/platform/dnc/13800138005"));
}

#[test]
fn a_contact_upload_is_streamed_and_one_that_breaks_off_says_so() {
    let world = World::start();
    let campaign = id(&world.campaign(draft()));
    let path = format!("/v1/campaigns/{campaign}/contacts");

    // Over the upload limit by its own account: refused before a byte is read.
    let (status, body) = world.cut_off(
        &format!("POST {path} HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: 2147483648"),
        b"",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("body_too_large")),
        "{body}"
    );

    // A chunked upload whose connection closes before its last chunk.
    let rows = "number\n13800138001\n13800138002\n";
    let (status, body) = world.cut_off(
        &format!("POST {path} HTTP/1.1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked"),
        format!("{:x}\r\n{rows}\r\n", rows.len()).as_bytes(),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_contacts")),
        "{body}"
    );
    eprintln!("a broken-off upload answered: {body}");

    // The same rows, whole, over a connection that stays.
    let (status, report) = world.import(&campaign, "text/csv", rows);
    assert_eq!(status, 200, "{report}");
    let (status, read) = world.tenant().get(&format!("/v1/campaigns/{campaign}"));
    assert_eq!(
        (status, &read["stats"]["contacts"]),
        (200, &json!(2)),
        "{read}"
    );
}

#[test]
fn erasing_a_number_erases_its_contact_and_leaves_no_trace_in_the_results() {
    let world = World::start();
    let tenant = world.tenant();
    let campaign = id(&world.campaign(draft()));
    let csv = "number,reference,name\n\
               13800138000,C1,王芳\n\
               13900139002,C2,赵敏\n";
    let (status, report) = world.import(&campaign, "text/csv", csv);
    assert_eq!((status, &report["accepted"]), (200, &json!(2)), "{report}");
    // Another tenant's campaign with the same customer.
    let (status, theirs) = world.other().post(
        "/v1/campaigns",
        json!({ "name": "Renewals", "module": "birthday-coupon", "trunk": "elsewhere" }),
    );
    assert_eq!(status, 201, "{theirs}");
    let their_contacts = format!("/v1/campaigns/{}/contacts", id(&theirs));
    let their_import = |body: &str| {
        world.send(
            &world.other_key,
            "POST",
            &their_contacts,
            "text/csv",
            body.as_bytes(),
        )
    };
    let (status, report) = their_import("number\n13800138000\n");
    assert_eq!((status, &report["accepted"]), (200, &json!(1)), "{report}");

    let (status, erased) = tenant.post("/v1/erasures", json!({ "number": "+86 138 0013 8000" }));
    assert_eq!(status, 200, "{erased}");
    assert_eq!(
        (
            &erased["calls_deleted"],
            &erased["contacts_erased"],
            &erased["contacts_skipped_dialing"]
        ),
        (&json!(0), &json!(1), &json!(0)),
        "{erased}"
    );

    let (status, _, _, text) = world.download(&format!("/v1/campaigns/{campaign}/results"));
    assert_eq!(status, 200, "{text}");
    assert!(
        !text.contains("13800138000") && !text.contains("王芳") && !text.contains("C1"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("1,erased,,done,not-called,0,"),
        "{text}"
    );
    assert!(lines[2].contains("+8613900139002,C2,pending"), "{text}");
    let (status, read) = tenant.get(&format!("/v1/campaigns/{campaign}"));
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        (&read["stats"]["pending"], &read["stats"]["done"]),
        (&json!(1), &json!(1)),
        "{read}"
    );

    // The audit counts the contact, and keeps only the number's hash.
    let (status, audit) = tenant.get("/v1/audit");
    assert_eq!(status, 200, "{audit}");
    let entry = &audit["items"][0];
    assert_eq!(
        (&entry["action"], &entry["contacts_erased"]),
        (&json!("erase-number"), &json!(1)),
        "{audit}"
    );
    assert!(!audit.to_string().contains("13800138000"), "{audit}");

    // The campaign forgot the number: it can be imported again. The other tenant's
    // campaign still has it.
    let (status, report) = world.import(&campaign, "text/csv", "number\n13800138000\n");
    assert_eq!((status, &report["accepted"]), (200, &json!(1)), "{report}");
    let (status, report) = their_import("number\n13800138000\n");
    assert_eq!((status, &report["duplicate"]), (200, &json!(1)), "{report}");
}
