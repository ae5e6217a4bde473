//! A real HTTP receiver on 127.0.0.1 for the outbox's tests: a thread that accepts one
//! request per connection, records its headers and body, and answers from a script.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;

/// Longest a test waits for the outbox to do something it should do within a second or
/// two: generous for a loaded CI machine, short enough to fail a broken test promptly.
pub(super) const PATIENCE: Duration = Duration::from_secs(10);
/// Longest the receiver waits for a request's bytes: the client sends them at once.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// One answer the receiver gives.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Answer {
    /// A bare status.
    pub(super) fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
        }
    }

    /// A 302 to `location`.
    pub(super) fn redirect(location: &str) -> Self {
        Self {
            status: 302,
            headers: vec![("Location".into(), location.into())],
        }
    }
}

/// A request as received.
#[derive(Debug, Clone)]
pub(super) struct Received {
    /// Header names in lower case.
    pub(super) headers: HashMap<String, String>,
    pub(super) body: Vec<u8>,
}

impl Received {
    pub(super) fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }
}

/// The receiver; stops its thread when dropped.
pub(super) struct TestReceiver {
    addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<Received>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestReceiver {
    /// Listens on a free port; the n-th request gets `answers[n]` (the last one repeats).
    pub(super) fn start(answers: Vec<Answer>) -> Self {
        Self::start_on(0, answers)
    }

    /// Listens on `port` (0: any free one).
    pub(super) fn start_on(port: u16, answers: Vec<Answer>) -> Self {
        assert!(!answers.is_empty(), "the receiver needs an answer");
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("a local port to listen on");
        let addr = listener.local_addr().expect("the listener's address");
        let (tx, requests) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut served = 0;
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let answer = &answers[served.min(answers.len() - 1)];
                if let Some(request) = serve(stream, answer) {
                    served += 1;
                    // The test may have finished listening.
                    let _ = tx.send(request);
                }
            }
        });
        Self {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// A port nothing listens on (it was free a moment ago).
    pub(super) fn closed_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener.local_addr().expect("its address").port()
    }

    /// The URL to send webhooks to.
    pub(super) fn url(&self) -> String {
        format!("http://{}/hooks/huashu", self.addr)
    }

    /// The next request; panics if none comes within [`PATIENCE`].
    pub(super) async fn next(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.requests.recv())
            .await
            .expect("the receiver should get a request")
            .expect("the receiver thread is running")
    }

    /// Requests received and not yet taken with [`Self::next`].
    pub(super) fn pending_count(&mut self) -> usize {
        let mut count = 0;
        while self.requests.try_recv().is_ok() {
            count += 1;
        }
        count
    }
}

impl Drop for TestReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request from `stream` and answers it; `None` if no request came.
fn serve(stream: TcpStream, answer: &Answer) -> Option<Received> {
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut response = format!(
        "HTTP/1.1 {} Test\r\nContent-Length: 0\r\nConnection: close\r\n",
        answer.status
    );
    for (name, value) in &answer.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    let mut stream = stream;
    stream.write_all(response.as_bytes()).ok()?;
    Some(Received { headers, body })
}
