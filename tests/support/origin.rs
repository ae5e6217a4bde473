//! A tenant's own system, for the outbound HTTP tests: a real HTTP/1.1 server on
//! 127.0.0.1 that records every request it gets (method, path, headers, body) and answers
//! by path: a JSON coupon, a redirect, a never-ending wait.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `POST`…
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Seen {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The server; it runs until [`Origin::stop`] or the end of the test process.
pub struct Origin {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stopped: Arc<AtomicBool>,
}

impl Origin {
    /// Starts the server. Paths it answers:
    /// - `/v1/coupons`: 201 with `{"code":"BDAY-50","amount":50}` and `x-request-id: r-1`;
    /// - `/slow`: reads the request and never answers (the connection stays open);
    /// - `/redirect?to=URL`: 302 to `URL`;
    /// - anything else: 404.
    pub fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an origin port");
        let base = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("bound").port()
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stopped = Arc::new(AtomicBool::new(false));
        let (log, stop) = (seen.clone(), stopped.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stop.load(Ordering::SeqCst) {
                    // Dropping the listener closes the port: connections are refused.
                    return;
                }
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Origin {
            base,
            seen,
            stopped,
        }
    }

    /// Stops accepting: the port is closed once this returns.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        let address = self.base.trim_start_matches("http://").to_string();
        while TcpStream::connect(&address).is_ok() {
            std::thread::yield_now();
        }
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    log.lock().expect("not poisoned").push(Seen {
        method,
        path: path.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let mut stream = stream;
    let answer = if path == "/v1/coupons" {
        let body = r#"{"code":"BDAY-50","amount":50}"#;
        format!(
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nx-request-id: r-1\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    } else if path == "/slow" {
        // Hold the connection open without answering until the client gives up.
        let _ = reader.read(&mut [0; 1]);
        return;
    } else if let Some(to) = path.strip_prefix("/redirect?to=") {
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
    } else {
        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string()
    };
    let _ = stream.write_all(answer.as_bytes());
}
