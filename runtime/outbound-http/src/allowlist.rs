//! The tenant's allowlist: the origins its scripts may send requests to.
//!
//! An origin is a scheme, a host and a port: `https://crm.example.com` (port 443 implied),
//! `http://10.0.0.5:8080`, or `https://*.example.com` for any subdomain of `example.com`
//! (not `example.com` itself). Paths, queries, user names and passwords are not part of
//! an origin and are refused in one. The operator sets a tenant's entries; an entry may
//! also allow its host to resolve to a loopback, private or link-local address
//! (`private_network`), which is otherwise refused whatever the list says. The tenant may
//! narrow the operator's list to origins it covers, never widen it.
//!
//! Hosts are compared in their ASCII form: `url` turns international names into punycode
//! and lower-cases them, so `CRM.Example.com` and `crm.example.com` are the same origin.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;
use url::{Host, Url};

/// Why an origin or a list of them was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllowlistError {
    /// Not an absolute `http://` or `https://` URL with a host.
    #[error("`{0}` is not an origin like `https://crm.example.com` or `http://10.0.0.5:8080`")]
    NotAnOrigin(String),
    /// It carries more than scheme, host and port.
    #[error("`{0}` must be only scheme, host and port (no path, query or user)")]
    NotOnlyAnOrigin(String),
    /// A wildcard anywhere but as the whole first label, or over a bare top-level name.
    #[error("`{0}`: a wildcard may only be the first label, above at least two (`*.example.com`)")]
    BadWildcard(String),
    /// A tenant's entry that no operator entry covers.
    #[error("`{0}` is not covered by the operator's allowlist for this tenant")]
    NotCovered(String),
}

/// Which hosts an origin matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HostPattern {
    /// This host exactly (a lower-case ASCII name, or an IP address as `url` writes it).
    Exact(String),
    /// Any host ending in `.` followed by this (a lower-case ASCII name).
    Subdomains(String),
}

/// One origin: scheme, host (or subdomain pattern) and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    https: bool,
    host: HostPattern,
    port: u16,
}

impl Origin {
    /// Whether a request to `url` goes to this origin.
    pub fn matches(&self, url: &Url) -> bool {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return false,
        };
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return false;
        };
        https == self.https && port == self.port && self.host_matches(&host_text(&host))
    }

    /// Whether every request this origin lets through, `other` does too: what a tenant may
    /// narrow the operator's entry to.
    pub fn covers(&self, other: &Origin) -> bool {
        if self.https != other.https || self.port != other.port {
            return false;
        }
        match (&self.host, &other.host) {
            (HostPattern::Exact(mine), HostPattern::Exact(theirs)) => mine == theirs,
            (HostPattern::Subdomains(_), HostPattern::Exact(theirs)) => self.host_matches(theirs),
            (HostPattern::Subdomains(mine), HostPattern::Subdomains(theirs)) => {
                theirs == mine || theirs.ends_with(&format!(".{mine}"))
            }
            (HostPattern::Exact(_), HostPattern::Subdomains(_)) => false,
        }
    }

    fn host_matches(&self, host: &str) -> bool {
        match &self.host {
            HostPattern::Exact(exact) => exact == host,
            HostPattern::Subdomains(parent) => host
                .strip_suffix(parent.as_str())
                .is_some_and(|label| label.len() > 1 && label.ends_with('.')),
        }
    }
}

/// The host as `url` prints it: names lower-case ASCII, IPv6 in brackets.
fn host_text(host: &Host<&str>) -> String {
    match host {
        Host::Domain(name) => name.to_string(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => format!("[{ip}]"),
    }
}

impl FromStr for Origin {
    type Err = AllowlistError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        // `url` does not accept `*` in a host, so the wildcard label is taken off first and
        // the rest parsed as an ordinary origin.
        let (wildcard, parseable) = match text.split_once("://*.") {
            Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
            None => (false, text.to_string()),
        };
        if parseable.contains('*') {
            return Err(AllowlistError::BadWildcard(text.into()));
        }
        let url = Url::parse(&parseable).map_err(|_| AllowlistError::NotAnOrigin(text.into()))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(AllowlistError::NotAnOrigin(text.into())),
        };
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return Err(AllowlistError::NotAnOrigin(text.into()));
        };
        if !url.username().is_empty()
            || url.password().is_some()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || parseable.trim_end_matches('/').matches('/').count() > 2
        {
            return Err(AllowlistError::NotOnlyAnOrigin(text.into()));
        }
        let host = match (wildcard, host) {
            (false, host) => HostPattern::Exact(host_text(&host)),
            (true, Host::Domain(name)) if name.contains('.') => {
                HostPattern::Subdomains(name.to_string())
            }
            (true, _) => return Err(AllowlistError::BadWildcard(text.into())),
        };
        Ok(Self { https, host, port })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        let default_port = if self.https { 443 } else { 80 };
        match &self.host {
            HostPattern::Exact(host) => write!(f, "{scheme}://{host}")?,
            HostPattern::Subdomains(parent) => write!(f, "{scheme}://*.{parent}")?,
        }
        if self.port != default_port {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One operator entry: an origin, and whether its host may be on a private network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// Where requests may go.
    pub origin: Origin,
    /// The host may resolve to loopback, private, link-local or CGNAT addresses (a
    /// service on the operator's own network). Off unless the operator says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private_network: bool,
}

/// The origins a tenant's scripts may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Allowlist {
    entries: Vec<AllowEntry>,
}

impl Allowlist {
    /// A list of these entries.
    pub fn new(entries: Vec<AllowEntry>) -> Self {
        Self { entries }
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[AllowEntry] {
        &self.entries
    }

    /// The entry that lets a request to `url` through, if any.
    pub fn permit(&self, url: &Url) -> Option<&AllowEntry> {
        self.entries.iter().find(|entry| entry.origin.matches(url))
    }

    /// This list narrowed to the tenant's `origins`: each must be covered by one of these
    /// entries, whose `private_network` it takes.
    pub fn narrowed(&self, origins: &[Origin]) -> Result<Allowlist, AllowlistError> {
        let entries = origins
            .iter()
            .map(|origin| {
                self.entries
                    .iter()
                    .find(|entry| entry.origin.covers(origin))
                    .map(|entry| AllowEntry {
                        origin: origin.clone(),
                        private_network: entry.private_network,
                    })
                    .ok_or_else(|| AllowlistError::NotCovered(origin.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Allowlist { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        text.parse().expect("a valid origin")
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a valid URL")
    }

    #[test]
    fn an_origin_matches_its_scheme_host_and_port_only() {
        let crm = origin("https://CRM.example.com");
        assert_eq!(crm.to_string(), "https://crm.example.com");
        assert!(crm.matches(&url("https://crm.example.com/v1/coupons?x=1")));
        assert!(crm.matches(&url("https://crm.example.com:443/")));
        assert!(!crm.matches(&url("http://crm.example.com/")));
        assert!(!crm.matches(&url("https://crm.example.com:8443/")));
        assert!(!crm.matches(&url("https://crm.example.com.evil.net/")));
        assert!(!crm.matches(&url("https://evilcrm.example.com/")));
    }

    #[test]
    fn a_wildcard_matches_subdomains_but_not_the_parent() {
        let any = origin("https://*.example.com:8443");
        assert_eq!(any.to_string(), "https://*.example.com:8443");
        assert!(any.matches(&url("https://a.example.com:8443/")));
        assert!(any.matches(&url("https://a.b.example.com:8443/")));
        assert!(!any.matches(&url("https://example.com:8443/")));
        assert!(!any.matches(&url("https://badexample.com:8443/")));
        assert!(!any.matches(&url("https://a.example.com/")));
    }

    #[test]
    fn ip_literals_and_international_names_are_compared_in_their_ascii_form() {
        assert!(origin("http://127.0.0.1:8099").matches(&url("http://127.0.0.1:8099/x")));
        assert!(origin("http://[::1]:8099").matches(&url("http://[0:0::1]:8099/")));
        assert!(origin("https://优惠.example").matches(&url("https://xn--4oq664b.example/")));
    }

    #[test]
    fn anything_but_a_bare_origin_is_refused_with_the_reason() {
        for (text, want) in [
            ("crm.example.com", "not an origin"),
            ("ftp://crm.example.com", "not an origin"),
            ("https://crm.example.com/v1", "only scheme"),
            ("https://user:pw@crm.example.com", "only scheme"),
            ("https://crm.example.com/?q=1", "only scheme"),
            ("https://*.com", "wildcard"),
            ("https://a.*.example.com", "wildcard"),
            ("https://*", "wildcard"),
        ] {
            let error = text.parse::<Origin>().expect_err(text).to_string();
            assert!(error.contains(want), "{text}: {error}");
        }
        assert!("https://crm.example.com/".parse::<Origin>().is_ok());
    }

    #[test]
    fn a_tenant_narrows_the_operators_list_and_inherits_private_network_but_cannot_widen_it() {
        let operator = Allowlist::new(vec![
            AllowEntry {
                origin: origin("https://*.example.com"),
                private_network: false,
            },
            AllowEntry {
                origin: origin("http://10.0.0.5:8080"),
                private_network: true,
            },
        ]);
        let narrowed = operator
            .narrowed(&[
                origin("https://crm.example.com"),
                origin("http://10.0.0.5:8080"),
            ])
            .expect("covered");
        assert!(narrowed.permit(&url("https://crm.example.com/a")).is_some());
        assert!(
            narrowed
                .permit(&url("https://shop.example.com/a"))
                .is_none()
        );
        assert!(narrowed.entries()[1].private_network);
        for wider in [
            "https://example.com",
            "https://evil.net",
            "http://crm.example.com",
        ] {
            assert_eq!(
                operator.narrowed(&[origin(wider)]),
                Err(AllowlistError::NotCovered(origin(wider).to_string()))
            );
        }
    }

    #[test]
    fn entries_read_and_write_as_json_objects_with_origin_strings() {
        let json = r#"[{"origin":"https://crm.example.com"},{"origin":"http://10.0.0.5:8080","private_network":true}]"#;
        let list: Allowlist = serde_json::from_str(json).expect("parses");
        assert_eq!(list.entries().len(), 2);
        assert_eq!(serde_json::to_string(&list).expect("writes"), json);
        let bad = serde_json::from_str::<Allowlist>(r#"[{"origin":"https://x.example/path"}]"#);
        assert!(bad.expect_err("a path").to_string().contains("only scheme"));
    }
}
