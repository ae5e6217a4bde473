//! Request bodies too large to hold in memory, streamed into the blocking code that reads
//! them: a contact list or do-not-call upload becomes a [`std::io::Read`] ([`BodyReader`])
//! that the importer pulls on the blocking pool while an async feed pushes the request's
//! chunks to it, through a small bounded channel, so a slow store holds the client back
//! instead of letting memory grow. The other direction, a results export, is
//! [`streamed_response`](super::streamed_response). What this module does not do: parse
//! anything (the importers do).

use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::error::{ApiError, ApiResult};

/// Chunks in flight between the connection and the importer: request chunks are whatever
/// the client sent (typically 8–64 KiB), and eight keep both sides busy without more than
/// about half a megabyte waiting per upload.
const CHANNEL_CHUNKS: usize = 8;

/// The longest a streamed upload may pause between two chunks, like every other request
/// body the server reads: a peer silent this long is holding a connection and a blocking
/// thread, not uploading.
pub const BODY_IDLE_LIMIT: Duration = Duration::from_secs(10);

/// 413 at once for a body whose `Content-Length` already says it is over `limit`, before
/// any of it is read or imported; a body without one is counted as it is read.
pub fn refuse_declared_over(headers: &HeaderMap, limit: u64) -> ApiResult<()> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("this upload may be at most {limit} bytes; split it into several"),
        )),
        _ => Ok(()),
    }
}

/// What the feed hands the reader.
enum Piece {
    Data(Bytes),
    /// The body ended cleanly.
    End,
    /// The body broke off (or stopped arriving).
    Failed(io::Error),
}

/// How the reader stands once it stopped taking chunks.
enum Finished {
    Open,
    Ended,
    Failed(io::ErrorKind, String),
}

/// A request body read as a blocking [`io::Read`], at most `limit` bytes of it. Read it
/// only on the blocking pool (`spawn_blocking`): each read that needs a new chunk waits for
/// the feed.
pub struct BodyReader {
    chunks: mpsc::Receiver<Piece>,
    current: Bytes,
    read: u64,
    limit: u64,
    finished: Finished,
}

impl BodyReader {
    /// The reader of `body`, and the future that feeds it: run the future on the async side
    /// while the reader is read on the blocking pool (see [`feeding`]).
    pub fn new(body: Body, limit: u64) -> (Self, impl Future<Output = ()> + Send) {
        Self::from_stream(body.into_data_stream(), limit, BODY_IDLE_LIMIT)
    }

    /// The reader of any chunk stream; `idle` is the longest wait for the next chunk.
    fn from_stream<S, E>(
        stream: S,
        limit: u64,
        idle: Duration,
    ) -> (Self, impl Future<Output = ()> + Send)
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let reader = Self {
            chunks: rx,
            current: Bytes::new(),
            read: 0,
            limit,
            finished: Finished::Open,
        };
        (reader, feed(stream, tx, idle))
    }

    /// The next chunk, or how the body ended.
    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        match &self.finished {
            Finished::Open => {}
            Finished::Ended => return Ok(None),
            Finished::Failed(kind, why) => return Err(io::Error::new(*kind, why.clone())),
        }
        let outcome = match self.chunks.blocking_recv() {
            Some(Piece::Data(chunk)) => {
                self.read += chunk.len() as u64;
                if self.read <= self.limit {
                    return Ok(Some(chunk));
                }
                Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!("the body is larger than {} bytes", self.limit),
                ))
            }
            Some(Piece::End) => Ok(None),
            Some(Piece::Failed(error)) => Err(error),
            // The feed was dropped before the body ended: the request went away.
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the request ended before its body was complete",
            )),
        };
        self.finished = match &outcome {
            Ok(_) => Finished::Ended,
            Err(error) => Finished::Failed(error.kind(), error.to_string()),
        };
        outcome
    }
}

impl io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.current.is_empty() {
            match self.next_chunk()? {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Pushes the stream's chunks to the reader until the stream ends, breaks, pauses longer
/// than `idle`, or the reader is gone.
async fn feed<S, E>(stream: S, tx: mpsc::Sender<Piece>, idle: Duration)
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let mut stream = pin!(stream);
    loop {
        let piece = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => Piece::Failed(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the body stopped arriving for {} s", idle.as_secs_f32()),
            )),
            Ok(None) => Piece::End,
            Ok(Some(Ok(chunk))) if chunk.is_empty() => continue,
            Ok(Some(Ok(chunk))) => Piece::Data(chunk),
            Ok(Some(Err(error))) => Piece::Failed(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                format!("the body broke off: {error}"),
            )),
        };
        let last = !matches!(piece, Piece::Data(_));
        if tx.send(piece).await.is_err() || last {
            return;
        }
    }
}

/// Runs `work` (which reads a [`BodyReader`]) while `feed` feeds it, and answers as soon as
/// `work` is done: whatever of the body is still unread is dropped then, so an upload
/// refused at once (an unknown campaign) is answered without waiting for its end.
pub async fn feeding<T>(feed: impl Future<Output = ()>, work: impl Future<Output = T>) -> T {
    let mut feed = pin!(feed);
    let mut work = pin!(work);
    let mut fed = false;
    loop {
        tokio::select! {
            done = &mut work => return done,
            () = &mut feed, if !fed => fed = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn chunks(parts: &[&'static str]) -> Vec<Result<Bytes, String>> {
        parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect()
    }

    /// Reads all of `reader` on the blocking pool while its feed runs: what was read, or the
    /// error.
    fn read_through(
        stream: impl Stream<Item = Result<Bytes, String>> + Send,
        limit: u64,
        idle: Duration,
        buf_len: usize,
    ) -> Result<Vec<u8>, io::Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the test");
        runtime.block_on(async {
            let (mut reader, feed) = BodyReader::from_stream(stream, limit, idle);
            let work = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                let mut buf = vec![0; buf_len];
                loop {
                    match reader.read(&mut buf)? {
                        0 => return Ok(out),
                        n => out.extend_from_slice(&buf[..n]),
                    }
                }
            });
            feeding(feed, work).await.expect("the reading task ran")
        })
    }

    #[test]
    fn chunks_are_read_whole_across_reads_smaller_and_larger_than_them() {
        let parts = chunks(&[
            "number,name\n+86138",
            "",
            "00138000,王芳\n",
            "+8613900139000,李雷\n",
        ]);
        let whole = "number,name\n+8613800138000,王芳\n+8613900139000,李雷\n";
        for buf_len in [1, 3, 7, 4096] {
            let stream = futures_util::stream::iter(parts.clone());
            let read = read_through(stream, 1 << 20, BODY_IDLE_LIMIT, buf_len).expect("read");
            assert_eq!(
                String::from_utf8(read).expect("utf-8"),
                whole,
                "buffer {buf_len}"
            );
        }
    }

    #[test]
    fn a_body_that_breaks_off_mid_way_is_an_io_error_after_what_came_before() {
        let mut parts = chunks(&["+8613800138000\n"]);
        parts.push(Err("connection reset".into()));
        let stream = futures_util::stream::iter(parts);
        let error = read_through(stream, 1 << 20, BODY_IDLE_LIMIT, 4096).expect_err("broke off");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
        assert!(error.to_string().contains("connection reset"), "{error}");
    }

    #[test]
    fn a_body_over_the_limit_fails_the_read_that_crosses_it() {
        let stream = futures_util::stream::iter(chunks(&["0123456789", "0123456789", "01"]));
        let error = read_through(stream, 20, BODY_IDLE_LIMIT, 4096).expect_err("too large");
        assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            error.to_string().contains("larger than 20 bytes"),
            "{error}"
        );
        let stream = futures_util::stream::iter(chunks(&["0123456789", "0123456789"]));
        assert_eq!(
            read_through(stream, 20, BODY_IDLE_LIMIT, 4096)
                .expect("exactly the limit")
                .len(),
            20
        );
    }

    #[test]
    fn a_body_that_stops_arriving_fails_after_the_idle_limit() {
        let stream =
            futures_util::stream::iter(chunks(&["+86"])).chain(futures_util::stream::pending());
        let error =
            read_through(stream, 1 << 20, Duration::from_millis(20), 4096).expect_err("idle");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn a_reader_whose_feed_is_dropped_sees_an_unexpected_end_not_a_clean_one() {
        let stream = futures_util::stream::iter(chunks(&["+86"]));
        let (mut reader, feed) = BodyReader::from_stream(stream, 1 << 20, BODY_IDLE_LIMIT);
        drop(feed);
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).expect_err("cut off");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let mut headers = HeaderMap::new();
        assert!(refuse_declared_over(&headers, 10).is_ok());
        headers.insert(
            header::CONTENT_LENGTH,
            "10".parse().expect("a header value"),
        );
        assert!(refuse_declared_over(&headers, 10).is_ok());
        headers.insert(
            header::CONTENT_LENGTH,
            "11".parse().expect("a header value"),
        );
        let refused = refuse_declared_over(&headers, 10).expect_err("too large");
        assert_eq!(
            (refused.status, refused.code),
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        );
    }
}
