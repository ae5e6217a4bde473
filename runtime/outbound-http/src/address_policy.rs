//! Which addresses an outbound request may go to, so that a URL a tenant wrote (a script's
//! HTTP request, a campaign's webhook) cannot become a way into the platform's own network
//! (its databases, admin ports, a cloud's metadata service).
//!
//! Every address a host resolves to is classified ([`classify`]). Loopback, private
//! (RFC 1918, `fc00::/7`), link-local, shared (CGNAT, `100.64.0.0/10`) addresses are refused
//! unless the destination was allowed private targets (an operator's setting for webhooks,
//! an allowlist entry's `private_network` for scripts); unspecified, multicast and reserved
//! addresses are always refused (no server can be there). A host with any refused address
//! is refused as a whole: a name that mixes public and internal addresses is a
//! misconfiguration or a rebinding attempt. IP-literal URLs go through the same check.
//!
//! The check sits in the HTTP client's name resolver ([`CheckedResolver`]), so the
//! addresses checked are exactly the ones connected to: there is no second lookup a DNS
//! server could answer differently. Connecting to a checked IP with a `Host` header instead
//! would lose the host name that TLS needs (SNI and certificate checks), so https would
//! break; the resolver keeps both. The decision is the resolver's, and a client holds one
//! resolver: a client whose requests need different decisions (one per allowlist entry)
//! builds one client per request, which also keeps a connection checked under one decision
//! from being reused under another.
//!
//! Not here: which origins a tenant may reach at all (`allowlist`).

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// What kind of address an IP is, as far as sending requests to it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// On the internet.
    Public,
    /// This machine: `127.0.0.0/8`, `::1`.
    Loopback,
    /// A private network: `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`,
    /// and the retired site-local `fec0::/10`.
    Private,
    /// Link-local: `169.254.0.0/16` (where clouds serve instance metadata), `fe80::/10`.
    LinkLocal,
    /// Carrier-grade NAT space, `100.64.0.0/10`: internal to the provider.
    SharedCgnat,
    /// `0.0.0.0/8`, `::`: "this host" (a connection to it reaches loopback).
    Unspecified,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `240.0.0.0/4` (broadcast included) and IPv6 forms no host uses (`::/96`).
    Reserved,
}

impl AddressKind {
    /// Whether a request may go to an address of this kind. `allow_private` opens
    /// loopback, private, link-local and CGNAT addresses (servers on the operator's own
    /// network); nothing opens the kinds no server can be at.
    pub fn permitted(self, allow_private: bool) -> bool {
        match self {
            Self::Public => true,
            Self::Loopback | Self::Private | Self::LinkLocal | Self::SharedCgnat => allow_private,
            Self::Unspecified | Self::Multicast | Self::Reserved => false,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Loopback => "loopback",
            Self::Private => "private-network",
            Self::LinkLocal => "link-local",
            Self::SharedCgnat => "carrier-grade NAT (100.64.0.0/10)",
            Self::Unspecified => "unspecified",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The kind of `ip`. IPv4 addresses written as IPv6 (`::ffff:a.b.c.d`, and NAT64's
/// `64:ff9b::a.b.c.d`, which a NAT64 gateway turns back into IPv4) count as the IPv4
/// address inside.
pub fn classify(ip: IpAddr) -> AddressKind {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressKind {
    let [a, b, _, _] = ip.octets();
    match (a, b) {
        (0, _) => AddressKind::Unspecified,
        (127, _) => AddressKind::Loopback,
        (10, _) | (172, 16..=31) | (192, 168) => AddressKind::Private,
        (169, 254) => AddressKind::LinkLocal,
        (100, 64..=127) => AddressKind::SharedCgnat,
        (224..=239, _) => AddressKind::Multicast,
        (240..=255, _) => AddressKind::Reserved,
        _ => AddressKind::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressKind {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, _, _, _, _, _, _, a, b, c, d] = ip.octets();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.is_unspecified() {
        AddressKind::Unspecified
    } else if ip.is_loopback() {
        AddressKind::Loopback
    } else if segments[..6] == [0; 6] {
        AddressKind::Reserved
    } else if segments[0] & 0xfe00 == 0xfc00 || segments[0] & 0xffc0 == 0xfec0 {
        AddressKind::Private
    } else if segments[0] & 0xffc0 == 0xfe80 {
        AddressKind::LinkLocal
    } else if segments[0] & 0xff00 == 0xff00 {
        AddressKind::Multicast
    } else {
        AddressKind::Public
    }
}

/// A host refused because of an address it resolves to.
#[derive(Debug, Clone, Error)]
#[error(
    "{host} resolves to {ip}, a {kind} address; requests are not sent to the platform's \
     internal networks{hint}",
    hint = if kind.permitted(true) {
        " (the operator can allow private targets for this destination)"
    } else {
        ""
    }
)]
pub struct RefusedAddress {
    /// The host in the URL.
    pub host: String,
    /// The address refused.
    pub ip: IpAddr,
    /// Why it was refused.
    pub kind: AddressKind,
}

impl RefusedAddress {
    /// The refusal `error` carries, if it is one: how a caller tells a refused target
    /// from a network failure.
    pub fn within(error: &ureq::Error) -> Option<&RefusedAddress> {
        match error {
            ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<RefusedAddress>(),
            _ => None,
        }
    }
}

/// The HTTP client's name resolver: the system's lookup, then [`AddressKind::permitted`]
/// on every address. The client connects only to the addresses this returns; a refusal
/// comes back as the client's I/O error carrying a [`RefusedAddress`]
/// ([`RefusedAddress::within`] finds it).
///
/// Resolvers sit in the client's `unversioned` API, which may change in a minor release;
/// the workspace should keep the client on one minor version (`~3.5`) and check this
/// file when moving.
#[derive(Debug)]
pub struct CheckedResolver {
    allow_private: bool,
    system: DefaultResolver,
}

impl CheckedResolver {
    /// A resolver for requests whose destination may (`allow_private`) or may not be on
    /// the operator's own networks: the decision for every request of the client it is
    /// built into.
    pub fn new(allow_private: bool) -> Self {
        Self {
            allow_private,
            system: DefaultResolver::default(),
        }
    }
}

impl Resolver for CheckedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.system.resolve(uri, config, timeout)?;
        for addr in &addrs {
            let kind = classify(addr.ip());
            if !kind.permitted(self.allow_private) {
                let refused = RefusedAddress {
                    host: uri.host().unwrap_or_default().to_owned(),
                    ip: addr.ip(),
                    kind,
                };
                return Err(ureq::Error::Io(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    refused,
                )));
            }
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> AddressKind {
        classify(ip.parse().expect("an IP address"))
    }

    #[test]
    fn internal_ipv4_ranges_are_classified_by_kind() {
        let cases = [
            ("127.0.0.1", AddressKind::Loopback),
            ("127.255.255.254", AddressKind::Loopback),
            ("10.1.2.3", AddressKind::Private),
            ("172.16.0.1", AddressKind::Private),
            ("172.31.255.255", AddressKind::Private),
            ("192.168.1.1", AddressKind::Private),
            ("169.254.169.254", AddressKind::LinkLocal),
            ("100.64.0.1", AddressKind::SharedCgnat),
            ("100.127.255.255", AddressKind::SharedCgnat),
            ("0.0.0.0", AddressKind::Unspecified),
            ("224.0.0.1", AddressKind::Multicast),
            ("239.255.255.250", AddressKind::Multicast),
            ("255.255.255.255", AddressKind::Reserved),
            ("240.0.0.1", AddressKind::Reserved),
        ];
        for (ip, expected) in cases {
            assert_eq!(kind(ip), expected, "{ip}");
        }
    }

    #[test]
    fn neighbours_of_internal_ipv4_ranges_are_public() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.1.1",
            "223.255.255.255",
        ] {
            assert_eq!(kind(ip), AddressKind::Public, "{ip}");
        }
    }

    #[test]
    fn internal_ipv6_ranges_are_classified_by_kind() {
        let cases = [
            ("::1", AddressKind::Loopback),
            ("::", AddressKind::Unspecified),
            ("fc00::1", AddressKind::Private),
            ("fd12:3456::1", AddressKind::Private),
            ("fec0::1", AddressKind::Private),
            ("fe80::1", AddressKind::LinkLocal),
            ("ff02::1", AddressKind::Multicast),
            ("::7f00:1", AddressKind::Reserved),
            ("2001:4860:4860::8888", AddressKind::Public),
            ("2606:4700::1111", AddressKind::Public),
        ];
        for (ip, expected) in cases {
            assert_eq!(kind(ip), expected, "{ip}");
        }
    }

    #[test]
    fn ipv4_written_as_ipv6_counts_as_the_ipv4_inside() {
        assert_eq!(kind("::ffff:127.0.0.1"), AddressKind::Loopback);
        assert_eq!(kind("::ffff:10.0.0.5"), AddressKind::Private);
        assert_eq!(kind("64:ff9b::169.254.169.254"), AddressKind::LinkLocal);
        assert_eq!(kind("::ffff:8.8.8.8"), AddressKind::Public);
    }

    #[test]
    fn allowing_private_targets_opens_internal_networks_but_not_unusable_addresses() {
        for open in [
            AddressKind::Loopback,
            AddressKind::Private,
            AddressKind::LinkLocal,
            AddressKind::SharedCgnat,
        ] {
            assert!(!open.permitted(false), "{open}");
            assert!(open.permitted(true), "{open}");
        }
        for never in [
            AddressKind::Unspecified,
            AddressKind::Multicast,
            AddressKind::Reserved,
        ] {
            assert!(!never.permitted(true), "{never}");
        }
        assert!(AddressKind::Public.permitted(false));
    }

    #[test]
    fn a_refusal_says_what_the_host_resolved_to_and_survives_the_client_error() {
        let refused = RefusedAddress {
            host: "crm.internal".into(),
            ip: "10.0.0.5".parse().expect("ip"),
            kind: AddressKind::Private,
        };
        let error = ureq::Error::Io(io::Error::new(io::ErrorKind::PermissionDenied, refused));
        let found = RefusedAddress::within(&error).expect("the refusal is recognised");
        assert_eq!(
            found.to_string(),
            "crm.internal resolves to 10.0.0.5, a private-network address; requests are not \
             sent to the platform's internal networks (the operator can allow private \
             targets for this destination)"
        );
    }
}
