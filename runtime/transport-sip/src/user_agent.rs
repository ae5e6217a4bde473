//! The SIP user agent: one rsipstack endpoint listening on UDP and TCP at
//! `--sip-listen`, and the loop that sorts what arrives on it. New INVITEs become inbound
//! calls ([`super::inbound`]), requests inside a dialog go to that dialog, OPTIONS pings
//! are answered, everything else is refused with the right code. A source that sends new
//! INVITEs faster than [`INVITES_PER_SOURCE_PER_SECOND`] gets 503 without any work done.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::{Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::tcp_listener::TcpListenerConnection;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipConnection, TransportLayer};
use thiserror::Error;
use tokio_util::sync::CancellationToken;

use super::rtp_ports::RtpPorts;
use super::trunk_limits::TrunkLimits;
use huashu_calls::CallService;

/// New INVITEs one source address may send per second before it gets 503: a busy SBC
/// sends a few dozen per second at most; a flood sends thousands.
pub const INVITES_PER_SOURCE_PER_SECOND: u32 = 50;

/// How many sources the flood counter remembers before it starts over: bounds its
/// memory under a spray of spoofed addresses.
const MAX_TRACKED_SOURCES: usize = 10_000;

/// How the SIP transport is set up (`huashu serve --sip-listen … --rtp-ports …`).
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// Where SIP listens, on UDP and TCP.
    pub listen: SocketAddr,
    /// The ports RTP audio may use.
    pub rtp_ports: RangeInclusive<u16>,
    /// The address put in SDP and Contact when `listen` is a wildcard (`0.0.0.0`): the
    /// address carriers reach this server at. Default: the listen address, or the
    /// address the kernel routes to the far end from.
    pub advertise: Option<IpAddr>,
    /// How long a call may go without a single RTP or RTCP packet before it is ended as
    /// `media-timeout`.
    pub media_timeout: Duration,
}

/// Why the SIP transport could not start.
#[derive(Debug, Error)]
pub enum SipError {
    /// The listen address could not be bound (in use, or not this host's).
    #[error("cannot listen for SIP on {addr}: {message}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        message: String,
    },
    /// The RTP range holds no port pair.
    #[error("--rtp-ports {low}-{high} holds no even/odd port pair")]
    NoRtpPorts {
        /// Its low end.
        low: u16,
        /// Its high end.
        high: u16,
    },
}

/// What every call of the SIP transport shares.
pub(crate) struct Agent {
    pub(crate) config: SipConfig,
    pub(crate) dialogs: Arc<DialogLayer>,
    pub(crate) ports: Arc<RtpPorts>,
    pub(crate) trunks: Arc<TrunkLimits>,
    /// The address our SIP is reached at, for Contact headers.
    pub(crate) sip_addr: SocketAddr,
    /// Turns through each trunk's caller-ID pool.
    pub(crate) rotation: std::sync::atomic::AtomicUsize,
    cancel: CancellationToken,
}

impl Agent {
    /// The IP to put in SDP and Contact for a call whose far end is `peer`.
    pub(crate) fn local_ip_towards(&self, peer: Option<IpAddr>) -> IpAddr {
        if let Some(ip) = self.config.advertise {
            return ip;
        }
        let listen = self.config.listen.ip();
        if !listen.is_unspecified() {
            return listen;
        }
        // A connected UDP socket sends nothing; it asks the kernel's routing table
        // which local address reaches `peer`.
        peer.and_then(|peer| {
            let any: SocketAddr = if peer.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let socket = std::net::UdpSocket::bind(any).ok()?;
            socket.connect((peer, 9)).ok()?;
            socket.local_addr().ok().map(|a| a.ip())
        })
        .unwrap_or(listen)
    }
}

/// The running SIP transport. Dropping it does not stop it; [`SipTransport::stop`] does.
pub struct SipTransport {
    pub(crate) agent: Arc<Agent>,
}

impl SipTransport {
    /// Binds SIP on UDP and TCP, starts answering, and installs the transport as the
    /// call service's dialer, so `POST /v1/calls` can place SIP calls.
    pub async fn start(config: SipConfig, calls: Arc<CallService>) -> Result<Arc<Self>, SipError> {
        let (low, high) = (*config.rtp_ports.start(), *config.rtp_ports.end());
        let ports = RtpPorts::new(config.rtp_ports.clone());
        if ports.capacity() == 0 {
            return Err(SipError::NoRtpPorts { low, high });
        }
        let listen_error = |e: &dyn std::fmt::Display| SipError::Listen {
            addr: config.listen,
            message: e.to_string(),
        };
        let cancel = CancellationToken::new();
        let transports = TransportLayer::new(cancel.clone());
        let udp = UdpConnection::create_connection(config.listen, None, Some(cancel.child_token()))
            .await
            .map_err(|e| listen_error(&e))?;
        // Binding the UDP socket first gives a port-0 listen its real port; TCP takes
        // the same one.
        let bound = udp
            .get_addr()
            .get_socketaddr()
            .map_err(|e| listen_error(&e))?;
        transports.add_transport(udp.into());
        // rsipstack binds the TCP listener only when it starts serving; make sure the
        // port is ours now, so a taken port is an error at start, not a log line later.
        std::net::TcpListener::bind(bound).map_err(|e| listen_error(&e))?;
        let tcp = TcpListenerConnection::new(bound, None)
            .await
            .map_err(|e| listen_error(&e))?;
        transports.add_transport(SipConnection::TcpListener(tcp));
        let endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transports)
            .with_user_agent(concat!("huashu/", env!("CARGO_PKG_VERSION")))
            .build();
        let incoming = endpoint
            .incoming_transactions()
            .map_err(|e| listen_error(&e))?;
        let inner = endpoint.inner.clone();
        tokio::spawn(async move {
            if let Err(error) = inner.serve().await {
                tracing::error!(%error, "the SIP endpoint stopped");
            }
        });
        let agent = Arc::new(Agent {
            dialogs: Arc::new(DialogLayer::new(endpoint.inner.clone())),
            ports,
            trunks: Arc::default(),
            sip_addr: bound,
            rotation: Default::default(),
            config,
            cancel,
        });
        tracing::info!(addr = %bound, rtp_ports = %format!("{low}-{high}"), "SIP listening on UDP and TCP");
        let transport = Arc::new(Self {
            agent: agent.clone(),
        });
        calls.set_dialer(Arc::new(super::outbound::SipDialer {
            agent: agent.clone(),
        }));
        tokio::spawn(serve_requests(agent, calls, incoming));
        Ok(transport)
    }

    /// The address SIP listens on (its real port when the configured one was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.agent.sip_addr
    }

    /// Stops listening. Live calls end with the server's drain.
    pub fn stop(&self) {
        self.agent.cancel.cancel();
    }
}

/// Sorts every request that does not belong to a transaction of ours.
async fn serve_requests(
    agent: Arc<Agent>,
    calls: Arc<CallService>,
    mut incoming: rsipstack::transaction::TransactionReceiver,
) {
    let mut flood = FloodGuard::default();
    while let Some(mut tx) = incoming.recv().await {
        let in_dialog = rsipstack::sip::HeadersExt::to_header(&tx.original)
            .ok()
            .and_then(|to| to.tag().ok().flatten())
            .is_some();
        match tx.original.method {
            Method::Invite if !in_dialog => {
                let source = source_ip(&tx.original);
                if !flood.admit(source, Instant::now()) {
                    reply(&mut tx, StatusCode::ServiceUnavailable).await;
                    continue;
                }
                tokio::spawn(super::inbound::answer(agent.clone(), calls.clone(), tx));
            }
            Method::Options if !in_dialog => reply(&mut tx, StatusCode::OK).await,
            Method::Ack if agent.dialogs.match_dialog(&tx).is_none() => {}
            _ => match agent.dialogs.match_dialog(&tx) {
                Some(mut dialog) => {
                    tokio::spawn(async move {
                        if let Err(error) = dialog.handle(&mut tx).await {
                            tracing::debug!(%error, "an in-dialog request failed");
                        }
                    });
                }
                None if tx.original.method == Method::Bye || in_dialog => {
                    reply(&mut tx, StatusCode::CallTransactionDoesNotExist).await;
                }
                None => reply(&mut tx, StatusCode::MethodNotAllowed).await,
            },
        }
    }
}

async fn reply(tx: &mut Transaction, status: StatusCode) {
    if let Err(error) = tx.reply(status).await {
        tracing::debug!(%error, "a SIP reply could not be sent");
    }
}

/// New INVITEs per source in the current second.
#[derive(Default)]
struct FloodGuard {
    second: Option<Instant>,
    counts: HashMap<IpAddr, u32>,
}

impl FloodGuard {
    fn admit(&mut self, source: Option<IpAddr>, now: Instant) -> bool {
        let Some(source) = source else { return true };
        if self
            .second
            .is_none_or(|start| now.saturating_duration_since(start) >= Duration::from_secs(1))
            || self.counts.len() >= MAX_TRACKED_SOURCES
        {
            self.second = Some(now);
            self.counts.clear();
        }
        let count = self.counts.entry(source).or_default();
        *count += 1;
        *count <= INVITES_PER_SOURCE_PER_SECOND
    }
}

/// Where a request came from: the `received` address the transport stamped on its top
/// Via, else the address the Via claims.
fn source_ip(request: &rsipstack::sip::Request) -> Option<IpAddr> {
    use rsipstack::sip::{HeadersExt, ToTypedHeader};
    let via = request.via_header().ok()?.typed().ok()?;
    if let Some(Ok(ip)) = via.received() {
        return Some(ip);
    }
    match via.sent_by().host.clone() {
        rsipstack::sip::Host::IpAddr(ip) => Some(ip),
        rsipstack::sip::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_over_its_invite_rate_is_refused_until_the_next_second() {
        let mut guard = FloodGuard::default();
        let now = Instant::now();
        let ip: IpAddr = [192, 0, 2, 1].into();
        for _ in 0..INVITES_PER_SOURCE_PER_SECOND {
            assert!(guard.admit(Some(ip), now));
        }
        assert!(!guard.admit(Some(ip), now));
        assert!(guard.admit(Some([192, 0, 2, 2].into()), now));
        assert!(guard.admit(Some(ip), now + Duration::from_secs(1)));
    }
}
