//! A real `huashu serve` process on loopback, and small HTTP and WebSocket clients for it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// The operator token every test server starts with.
pub const OPERATOR_TOKEN: &str = "op_test_operator_token_0123456789";

/// How long the tests' module uploads block on their compile (`?wait=`): the most the
/// server allows, far beyond the fraction of a second a Rust guest takes, and room for a
/// Python or JavaScript one on a loaded machine (past it the answer is 202, which
/// [`upload_waiting`] follows).
pub const UPLOAD_WAIT_SECS: u64 = 120;

pub struct Server {
    child: Child,
    pub base: String,
    pub data: PathBuf,
}

impl Server {
    /// Starts a server on a free loopback port with its data in `data`.
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[], |_| {})
    }

    /// [`Server::start`] with more `serve` flags, and `prepare` applied to the command
    /// before it runs (to set a resource limit, say).
    pub fn start_with(data: &Path, flags: &[&str], prepare: impl FnOnce(&mut Command)) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_huashu"));
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--max-calls",
                "64",
                "--shutdown-grace-secs",
                "5",
                "--data",
            ])
            .arg(data)
            .args(flags)
            .env("HUASHU_OPERATOR_TOKEN", OPERATOR_TOKEN)
            .env("HUASHU_LOG", "warn")
            .stdout(Stdio::piped());
        prepare(&mut command);
        let mut child = command.spawn().expect("start huashu serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("huashu listening on ") {
                    let url = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(url);
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server printed its address");
        Server {
            child,
            base,
            data: data.to_path_buf(),
        }
    }

    pub fn operator(&self) -> Client {
        Client::new(&self.base, OPERATOR_TOKEN)
    }

    pub fn client(&self, key: &str) -> Client {
        Client::new(&self.base, key)
    }

    /// `kill -9`: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the process to exit; returns its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HTTP with one bearer token; returns (status, JSON body or Null).
pub struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A request the server never answers fails its test instead of hanging it.
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client {
            base: base.to_owned(),
            token: token.to_owned(),
            agent,
        }
    }

    fn finish(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut response = response.expect("HTTP request");
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::finish(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Authorization", self.auth())
                .call(),
        )
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        Self::finish(
            self.agent
                .delete(format!("{}{path}", self.base))
                .header("Authorization", self.auth())
                .call(),
        )
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        Self::finish(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", self.auth())
                .send_json(body),
        )
    }

    pub fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        Self::finish(
            self.agent
                .patch(format!("{}{path}", self.base))
                .header("Authorization", self.auth())
                .send_json(body),
        )
    }

    pub fn put_json(&self, path: &str, body: Value) -> (u16, Value) {
        Self::finish(
            self.agent
                .put(format!("{}{path}", self.base))
                .header("Authorization", self.auth())
                .send_json(body),
        )
    }

    /// PUTs `bytes` to `path`. A module upload whose path has no query string blocks on
    /// its compile (`?wait=` [`UPLOAD_WAIT_SECS`]), so a test that uploads a module and
    /// then uses it reads the stored version (201) or the refusal (422) from the answer;
    /// a test of the server's default (answer 202 `compiling` at once) sends its path as
    /// it is with [`Client::put_bytes_as_sent`].
    pub fn put_bytes(&self, path: &str, bytes: &[u8]) -> (u16, Value) {
        let is_module_upload = path
            .strip_prefix("/v1/modules/")
            .is_some_and(|name| !name.is_empty() && !name.contains('/') && !name.contains('?'));
        if is_module_upload {
            self.put_bytes_as_sent(&format!("{path}?wait={UPLOAD_WAIT_SECS}"), bytes)
        } else {
            self.put_bytes_as_sent(path, bytes)
        }
    }

    /// PUTs `bytes` to `path` exactly as given.
    pub fn put_bytes_as_sent(&self, path: &str, bytes: &[u8]) -> (u16, Value) {
        Self::finish(
            self.agent
                .put(format!("{}{path}", self.base))
                .header("Authorization", self.auth())
                .header("Content-Type", "application/octet-stream")
                .send(bytes),
        )
    }

    /// A GET whose body is not JSON (a WAV file): (status, content type, body).
    pub fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", self.auth())
            .call()
            .expect("HTTP request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap_or_default();
        (status, content_type, body)
    }

    pub fn get_text(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.get_bytes(path);
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// Uploads a guest component as module `name`, blocking on its compile; returns the
/// version.
pub fn upload(server: &Server, key: &str, name: &str, guest: &str) -> u64 {
    let (status, body) = server
        .client(key)
        .put_bytes(&format!("/v1/modules/{name}"), &super::guest_bytes(guest));
    assert_eq!(status, 201, "{body}");
    body["version"].as_u64().expect("version")
}

/// Uploads `wasm` as module `name` and waits until it is stored, following a 202 (a
/// compile that outlived the request) to its end: (status of the outcome, the version or
/// the error). Python and JavaScript components take seconds to compile.
pub fn upload_waiting(client: &Client, name: &str, wasm: &[u8]) -> (u16, Value) {
    let (status, body) = client.put_bytes(&format!("/v1/modules/{name}"), wasm);
    if status != 202 {
        return (status, body);
    }
    let id = body["upload_id"].as_str().expect("upload_id");
    upload_outcome(client, name, id)
}

/// Follows upload `id` of module `name` (one that answered 202) until it ends, as a client
/// does, by asking its status: (201 and the version, or the refusal's status and error).
pub fn upload_outcome(client: &Client, name: &str, id: &str) -> (u16, Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let (status, upload) = client.get(&format!("/v1/modules/{name}/uploads/{id}"));
        assert_eq!(status, 200, "{upload}");
        match upload["state"].as_str() {
            Some("ready") => return (201, upload["version"].clone()),
            Some("failed") => {
                let code = upload["error"]["status"].as_u64().unwrap_or(500) as u16;
                return (code, json!({ "error": upload["error"] }));
            }
            _ => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still compiling: {upload}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Creates a text call of `module` with `variables`: (call id, WebSocket URL).
pub fn create_call(server: &Server, key: &str, module: &str, variables: Value) -> (String, String) {
    let (status, body) = server.client(key).post(
        "/v1/calls",
        json!({ "module": module, "variables": variables }),
    );
    assert_eq!(status, 201, "{body}");
    (
        body["call_id"].as_str().expect("call_id").to_owned(),
        body["ws_url"].as_str().expect("ws_url").to_owned(),
    )
}

/// Creates a tenant; returns (tenant id, API key).
pub fn create_tenant(server: &Server, name: &str) -> (String, String) {
    let (status, body) = server
        .operator()
        .post("/v1/tenants", serde_json::json!({ "name": name }));
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().expect("id").to_owned(),
        body["api_key"].as_str().expect("api_key").to_owned(),
    )
}

/// Runs `huashu replay` of `call_id` on `server` against `module`, with its artifact cache
/// under `cache`.
pub fn replay(
    server: &Server,
    key: &str,
    call_id: &str,
    module: &Path,
    cache: &Path,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_huashu"))
        .args(["replay", call_id, "--module"])
        .arg(module)
        .args(["--server", &server.base, "--key", key])
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("run huashu replay")
}

/// Replays `call_id` against `module` (see [`replay`]), asserts it exits with `code` (0: the
/// same turns, 1: a divergence) and returns what it printed.
pub fn replay_exiting(
    server: &Server,
    key: &str,
    call_id: &str,
    module: &Path,
    cache: &Path,
    code: i32,
) -> String {
    let replayed = replay(server, key, call_id, module, cache);
    let stdout = String::from_utf8_lossy(&replayed.stdout).into_owned();
    assert_eq!(
        replayed.status.code(),
        Some(code),
        "{stdout}{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    stdout
}

/// Replays `call_id` against `module` and asserts it takes the same turns.
pub fn assert_replays_the_same(
    server: &Server,
    key: &str,
    call_id: &str,
    module: &Path,
    cache: &Path,
) {
    let stdout = replay_exiting(server, key, call_id, module, cache, 0);
    assert!(stdout.contains("no divergence"), "{stdout}");
}

/// Asserts an API answer is the JSON error `404 not_found`.
pub fn assert_not_found((status, body): (u16, Value)) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
}
