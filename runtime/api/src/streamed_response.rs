//! Response bodies too large to hold in memory, written by blocking code: a results export
//! writes into a [`std::io::Write`] ([`ChannelWriter`]) on the blocking pool, and its
//! chunks leave as the response body through a small bounded channel, so a slow client
//! holds the export back instead of letting memory grow, and a client that goes away
//! stops it. The other direction, uploads, is [`streamed_body`](super::streamed_body).

use std::io;

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

/// Chunks in flight between the writer and the connection: eight of
/// [`WRITE_CHUNK_BYTES`] keep both sides busy with at most half a megabyte waiting per
/// export.
const CHANNEL_CHUNKS: usize = 8;

/// Bytes a [`ChannelWriter`] gathers before it sends them on: large enough that a results
/// export of a million rows is a few thousand chunks, small enough that the first bytes
/// reach the client at once.
const WRITE_CHUNK_BYTES: usize = 64 << 10;

/// A blocking [`io::Write`] whose bytes become a response body ([`ChannelWriter::channel`]).
/// Write to it only on the blocking pool.
pub struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    pending: Vec<u8>,
}

impl ChannelWriter {
    /// A writer, and the response body its bytes stream out as.
    pub fn channel() -> (Self, Body) {
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let chunks =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
            );
        let writer = Self {
            tx,
            pending: Vec::with_capacity(WRITE_CHUNK_BYTES),
        };
        (writer, Body::from_stream(chunks))
    }

    /// Whether the client stopped reading (it went away): writes fail from then on.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Ends the body with an error instead of cleanly, so the client sees a transfer that
    /// broke off rather than a file that looks complete but is not.
    pub fn fail(self, why: String) {
        // A client that is gone needs no telling.
        let _ = self.tx.blocking_send(Err(io::Error::other(why)));
    }

    fn send_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(WRITE_CHUNK_BYTES));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= WRITE_CHUNK_BYTES {
            self.send_pending()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use futures_util::StreamExt;

    use super::*;

    /// Collects a response body on the async side.
    async fn collect(body: Body) -> (Vec<u8>, Option<String>) {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(error) => return (bytes, Some(error.to_string())),
            }
        }
        (bytes, None)
    }

    #[test]
    fn written_bytes_arrive_in_order_and_a_failure_breaks_the_body_off() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the test");
        let row = vec![b'x'; 1000];
        let (bytes, broke) = runtime.block_on(async {
            let (mut writer, body) = ChannelWriter::channel();
            let row = row.clone();
            let writing = tokio::task::spawn_blocking(move || {
                for _ in 0..200 {
                    writer.write_all(&row).expect("the body is being read");
                }
                writer.flush().expect("flushed");
            });
            let collected = collect(body).await;
            writing.await.expect("the writer ran");
            collected
        });
        assert_eq!((bytes.len(), broke), (200_000, None));

        let (bytes, broke) = runtime.block_on(async {
            let (mut writer, body) = ChannelWriter::channel();
            let writing = tokio::task::spawn_blocking(move || {
                writer.write_all(b"seq,number\n").expect("written");
                writer.flush().expect("flushed");
                writer.fail("the store failed".into());
            });
            let collected = collect(body).await;
            writing.await.expect("the writer ran");
            collected
        });
        assert_eq!(bytes, b"seq,number\n");
        assert!(broke.is_some_and(|e| e.contains("the store failed")));
    }

    #[test]
    fn a_writer_whose_client_went_away_fails_instead_of_blocking() {
        let (mut writer, body) = ChannelWriter::channel();
        drop(body);
        assert!(writer.is_closed());
        let error = writer
            .write_all(&vec![0; WRITE_CHUNK_BYTES])
            .expect_err("nobody reads");
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }
}
