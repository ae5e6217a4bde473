//! Real HTTP servers on 127.0.0.1 for the client's tests: [`TestServer`], a thread that
//! records each request and answers it from a script (or holds the connection open without
//! answering), and [`SilentListener`], a bound port that accepts nothing, to prove that no
//! connection was made.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;

/// Longest a test waits for something that should happen within a second or two:
/// generous for a loaded CI machine, short enough to fail a broken test promptly.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);
/// Longest the server waits for a request's bytes: the client sends them at once.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How the server answers one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A complete response.
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        /// Announce the body's length; without it the body ends when the connection does.
        content_length: bool,
    },
    /// Read the request, then keep the connection open and never answer.
    Hold,
}

impl Reply {
    /// A 200 with this text body.
    pub(crate) fn text(body: &str) -> Self {
        Self::bytes(200, body.as_bytes().to_vec())
    }

    /// This status with this body.
    pub(crate) fn bytes(status: u16, body: Vec<u8>) -> Self {
        Self::Answer {
            status,
            headers: Vec::new(),
            body,
            content_length: true,
        }
    }

    /// A redirect with this status to `location`.
    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        Self::bytes(status, Vec::new()).header("Location", location)
    }

    /// This reply with one more header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Answer { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// This reply with its body ended by closing the connection.
    pub(crate) fn without_length(mut self) -> Self {
        if let Self::Answer { content_length, .. } = &mut self {
            *content_length = false;
        }
        self
    }
}

/// A request as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) method: String,
    /// Path and query.
    pub(crate) target: String,
    /// Header names in lower case.
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// The server; stops its thread, and closes any held connection, when dropped.
pub(crate) struct TestServer {
    addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<Received>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Listens on a free port; the n-th request gets `replies[n]` (the last one repeats).
    pub(crate) fn start(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "the server needs a reply");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port to listen on");
        let addr = listener.local_addr().expect("the listener's address");
        let (tx, requests) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            let mut served = 0;
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let reply = &replies[served.min(replies.len() - 1)];
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                served += 1;
                // The test may have stopped listening.
                let _ = tx.send(request);
                match reply {
                    Reply::Hold => held.push(stream),
                    Reply::Answer { .. } => answer(stream, reply),
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

    /// `http://127.0.0.1:port`.
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's port.
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The next request; panics if none comes within [`PATIENCE`].
    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.requests.recv())
            .await
            .expect("the server should get a request")
            .expect("the server thread is running")
    }

    /// Requests received and not yet taken with [`Self::next`].
    pub(crate) fn pending(&mut self) -> Vec<Received> {
        let mut all = Vec::new();
        while let Ok(request) = self.requests.try_recv() {
            all.push(request);
        }
        all
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port that is bound but never accepts: a connection to it would wait in its backlog,
/// where [`SilentListener::was_contacted`] finds it.
pub(crate) struct SilentListener {
    listener: TcpListener,
}

impl SilentListener {
    pub(crate) fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        Self { listener }
    }

    pub(crate) fn port(&self) -> u16 {
        self.listener.local_addr().expect("its address").port()
    }

    /// Whether anything connected. The kernel completes a connection before the client's
    /// connect returns, so once the client has given its answer this is settled.
    pub(crate) fn was_contacted(&self) -> bool {
        match self.listener.accept() {
            Ok(_) => true,
            Err(error) if error.kind() == ErrorKind::WouldBlock => false,
            Err(error) => panic!("the silent listener failed: {error}"),
        }
    }
}

/// Reads one request from `stream`; `None` if none came.
fn read_request(stream: &TcpStream) -> Option<Received> {
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
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
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

fn answer(mut stream: TcpStream, reply: &Reply) {
    let Reply::Answer {
        status,
        headers,
        body,
        content_length,
    } = reply
    else {
        return;
    };
    let mut head = format!("HTTP/1.1 {status} Test\r\nConnection: close\r\n");
    if *content_length {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // The client may have hung up already (a body over its cap).
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
