//! Connections: accepting them, and keeping any one peer from holding the server. Owns the
//! TCP side of `huashu serve`:
//!
//! - TCP_NODELAY on every connection: a call's 20 ms audio frames must leave at once, and
//!   with Nagle's algorithm each would wait a round trip for the peer's acknowledgement.
//! - A cap on connections open at once, in all and per source address. A connection over
//!   a cap is closed as soon as it is accepted (its descriptor freed at once) and the
//!   refusal is logged, at most one line per [`REFUSAL_LOG_EVERY`] with a count.
//! - A deadline for a request's headers, which is also how long an idle kept-alive
//!   connection is kept: a peer that connects and says nothing, or dribbles its headers,
//!   is disconnected instead of holding a descriptor forever.
//! - Draining at shutdown: once the caller's shutdown future resolves, no connection is
//!   accepted, open ones finish the request they are serving, and their idle keep-alive
//!   is ended.
//!
//! Not here: what requests mean (the routers) and how long bodies may take
//! ([`crate::bounded_body`]).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// At most one log line about refused connections this often.
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// How long open connections may take to finish their requests at shutdown.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// After a failed `accept` (out of descriptors, say), wait this long before the next: the
/// failure persists until connections close, and retrying at once would spin a core.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// The caps and deadlines of [`serve`].
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Connections open at once, in all (WebSocket calls included).
    pub max_connections: usize,
    /// Connections open at once from one source address. A telephony gateway carries all of
    /// its calls from a few addresses, so this is high by default.
    pub max_per_source: usize,
    /// How long a client may take to send a request's headers; also how long an idle
    /// kept-alive connection stays open.
    pub header_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves; see the module docs.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let sources = Arc::new(Sources::default());
    let refusals = Refusals::default();
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refusals.refused(peer, "the server's connection cap", limits.max_connections);
            continue;
        };
        let Some(source) = sources.enter(peer.ip(), limits.max_per_source) else {
            refusals.refused(peer, "the per-source connection cap", limits.max_per_source);
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let header_timeout = limits.header_timeout;
        let mut stop = stop.clone();
        // The connection's places in the caps travel with its socket: an upgraded
        // WebSocket (a call) keeps them until the call's task drops the socket.
        let tcp = Counted {
            tcp,
            _held: (permit, source),
        };
        tokio::spawn(async move {
            serve_connection(tcp, service, header_timeout, &mut stop).await;
        });
    }
    // No more connections; tell open ones to finish, and wait for them (bounded): call
    // sockets included, which close with their reason once their calls have ended.
    let _ = stopping.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN_LIMIT, open.acquire_many(all)).await;
}

async fn serve_connection(
    tcp: Counted,
    service: TowerToHyperService<Router>,
    header_timeout: Duration,
    stop: &mut watch::Receiver<bool>,
) {
    if let Err(error) = tcp.tcp.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY on a connection");
    }
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = async { stop.wait_for(|stopping| *stopping).await.map(drop) } => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        // Timeouts and peers that vanish mid-request end up here; worth a debug line only.
        tracing::debug!(%error, "a connection ended with an error");
    }
}

/// A connection's socket with its places in the connection caps, given back when the
/// socket is dropped (after an upgrade, by the WebSocket's own task).
struct Counted {
    tcp: TcpStream,
    _held: (OwnedSemaphorePermit, SourceSlot),
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Connections open per source address.
#[derive(Debug, Default)]
struct Sources {
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl Sources {
    /// Counts a connection from `ip`, unless `ip` already has `max` open.
    fn enter(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<SourceSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(SourceSlot {
            sources: self.clone(),
            ip,
        })
    }
}

/// One open connection's place in its source's count; given back when dropped.
struct SourceSlot {
    sources: Arc<Sources>,
    ip: IpAddr,
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut open = self
            .sources
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Counts refused connections and logs them sparingly.
#[derive(Debug)]
struct Refusals {
    since_last_line: AtomicU64,
    last_line: Mutex<Option<Instant>>,
}

impl Default for Refusals {
    fn default() -> Self {
        Self {
            since_last_line: AtomicU64::new(0),
            last_line: Mutex::new(None),
        }
    }
}

impl Refusals {
    fn refused(&self, peer: SocketAddr, cap: &str, limit: usize) {
        let count = self.since_last_line.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self
            .last_line
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < REFUSAL_LOG_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        self.since_last_line.store(0, Ordering::Relaxed);
        tracing::warn!(
            %peer,
            refused = count,
            limit,
            "refused connections at {cap} (this one and the others since the last line)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_over_its_cap_is_refused_until_one_of_its_connections_closes() {
        let sources = Arc::new(Sources::default());
        let ip: IpAddr = [127, 0, 0, 1].into();
        let first = sources.enter(ip, 2).expect("first");
        let _second = sources.enter(ip, 2).expect("second");
        assert!(sources.enter(ip, 2).is_none());
        assert!(sources.enter([10, 0, 0, 1].into(), 2).is_some());
        drop(first);
        assert!(sources.enter(ip, 2).is_some());
    }
}
