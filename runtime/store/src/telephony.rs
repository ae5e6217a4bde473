//! Stored telephony configuration: the SIP trunks calls go out (and come in) through, and
//! the numbers routed to a tenant's script. Plain serde types and the rules a stored value
//! keeps; the SIP transport reads them, the API writes them, each backend decides the
//! layout.
//!
//! A trunk's digest password is stored as given, because answering a digest challenge
//! needs it in the clear. It leaves the store only toward the SIP transport: the API shows
//! `has_password` instead, and [`Trunk`]'s `Debug` prints it redacted, so a `{:?}` in a log
//! line cannot leak it.
//!
//! Numbers are E.164 (`+8613800138000`) everywhere they are stored: [`normalize_e164`] turns
//! what an operator types into that form, and [`Trunk::validate`] and
//! [`RoutedNumber::validate`] refuse anything else.

mod addresses;

pub use addresses::{E164_MAX_DIGITS, E164_MIN_DIGITS, E164_RULE, normalize_e164, parse_host_port};

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{NAME_RULE, valid_name};
use addresses::host_problem;

/// The SIP port when a trunk names none (RFC 3261 §19.1.2).
pub const DEFAULT_SIP_PORT: u16 = 5060;
/// Concurrent calls on a trunk when the operator sets none: one E1's worth, the smallest
/// trunk carriers commonly sell.
pub const DEFAULT_MAX_CHANNELS: u32 = 30;
/// New calls per second on a trunk when the operator sets none: a rate carriers accept on
/// an ordinary trunk without throttling.
pub const DEFAULT_MAX_CALLS_PER_SECOND: u32 = 5;
/// Most concurrent calls one trunk may be given. Far above any trunk a carrier sells to one
/// customer (a few thousand channels), so it only catches typos such as `300000`.
pub const MAX_CHANNELS: u32 = 10_000;
/// Most new calls per second one trunk may be given; like [`MAX_CHANNELS`], a bound on
/// typos, well above what any carrier accepts on one trunk.
pub const MAX_CALLS_PER_SECOND: u32 = 1_000;
/// Most caller IDs in one trunk's pool: keeps a trunk record (read for every outbound call)
/// under about 200 KB.
pub const MAX_CALLER_IDS: usize = 10_000;
/// Longest digest user name, in bytes: longer than any carrier issues, and it bounds the
/// `Authorization` header built from it.
pub const MAX_USERNAME_BYTES: usize = 128;
/// Longest digest password, in bytes; the same reasoning as [`MAX_USERNAME_BYTES`].
pub const MAX_PASSWORD_BYTES: usize = 256;
/// What a `Debug` print shows in place of a password.
const REDACTED: &str = "…redacted…";

/// How SIP messages travel to and from a trunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SipTransport {
    /// SIP over UDP: what most carriers expect.
    #[default]
    Udp,
    /// SIP over TCP.
    Tcp,
}

/// An audio codec offered on a trunk's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrunkCodec {
    /// G.711 μ-law (North America, Japan).
    Pcmu,
    /// G.711 A-law (China, Europe and most of the world).
    Pcma,
}

impl TrunkCodec {
    /// The preference order when the operator sets none: A-law first, as Chinese and
    /// European carriers use it, μ-law for the rest.
    pub const DEFAULT_PREFERENCE: [TrunkCodec; 2] = [TrunkCodec::Pcma, TrunkCodec::Pcmu];
}

/// A SIP trunk: where calls are sent, how the server authenticates there, which caller IDs
/// it may present, how much traffic it takes, and which tenants may use it.
///
/// Serialized in full, password included, for the store; the API never answers with this
/// type (its view says `has_password` instead).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trunk {
    /// The trunk's name, a [`valid_name`]; unique.
    pub name: String,
    /// The carrier's SIP server: a host name or IP address, without scheme or port.
    pub host: String,
    /// Its SIP port.
    pub port: u16,
    /// UDP or TCP.
    pub transport: SipTransport,
    /// Where requests go instead of `host`, as `host:port` (`[v6]:port` for IPv6), if the
    /// carrier asks for an outbound proxy.
    pub outbound_proxy: Option<String>,
    /// The digest authentication user, if the carrier challenges.
    pub username: Option<String>,
    /// The digest authentication password. Never shown by the API, never logged.
    pub password: Option<String>,
    /// The E.164 numbers an outbound call may present as its caller (`From`).
    pub caller_ids: Vec<String>,
    /// Calls that may be up on this trunk at once.
    pub max_channels: u32,
    /// New calls this trunk may be sent per second.
    pub max_calls_per_second: u32,
    /// Codecs offered, most preferred first; never empty.
    pub codecs: Vec<TrunkCodec>,
    /// Ids of the tenants whose calls may use this trunk.
    pub tenants: Vec<String>,
    /// When the trunk was first stored, in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// When it was last replaced, in ms since the Unix epoch.
    pub updated_at_ms: u64,
}

impl Trunk {
    /// A trunk to `host` with every other setting at its default: port 5060, UDP, no proxy,
    /// no credentials, no caller IDs, 30 channels, 5 calls per second, A-law then μ-law,
    /// no tenants, both times 0.
    pub fn new(name: impl Into<String>, host: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            host: host.into(),
            port: DEFAULT_SIP_PORT,
            transport: SipTransport::Udp,
            outbound_proxy: None,
            username: None,
            password: None,
            caller_ids: Vec::new(),
            max_channels: DEFAULT_MAX_CHANNELS,
            max_calls_per_second: DEFAULT_MAX_CALLS_PER_SECOND,
            codecs: TrunkCodec::DEFAULT_PREFERENCE.to_vec(),
            tenants: Vec::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    /// Whether the tenant with this id was granted the trunk.
    pub fn allows_tenant(&self, tenant_id: &str) -> bool {
        self.tenants.iter().any(|t| t == tenant_id)
    }

    /// Whether `number` is in the trunk's caller-ID pool; `number` is normalized first, so
    /// `+86 138 0013 8000` finds `+8613800138000`.
    pub fn has_caller_id(&self, number: &str) -> bool {
        normalize_e164(number).is_some_and(|n| self.caller_ids.contains(&n))
    }

    /// Checks every rule a stored trunk keeps; the error names the first field that breaks
    /// one. Whether the granted tenants exist is for the caller to check: it needs the store.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if !valid_name(&self.name) {
            return Err(InvalidField::new(
                "name",
                format!("{:?} is not a valid name: {NAME_RULE}", self.name),
            ));
        }
        if let Some(problem) = host_problem(&self.host) {
            return Err(InvalidField::new(
                "host",
                format!("{:?} {problem}", self.host),
            ));
        }
        if self.port == 0 {
            return Err(InvalidField::new("port", "must be 1 to 65535"));
        }
        if let Some(proxy) = &self.outbound_proxy {
            let problem = match parse_host_port(proxy) {
                Some((host, _)) => host_problem(host),
                None => Some("must be `host:port` (`[address]:port` for IPv6)".into()),
            };
            if let Some(problem) = problem {
                return Err(InvalidField::new(
                    "outbound_proxy",
                    format!("{proxy:?} {problem}"),
                ));
            }
        }
        if let Some(username) = &self.username
            && (!credential_ok(username, MAX_USERNAME_BYTES)
                || username.chars().any(char::is_whitespace))
        {
            return Err(InvalidField::new(
                "username",
                format!(
                    "must be 1 to {MAX_USERNAME_BYTES} bytes without spaces or control characters"
                ),
            ));
        }
        // The message never repeats the password.
        if let Some(password) = &self.password
            && !credential_ok(password, MAX_PASSWORD_BYTES)
        {
            return Err(InvalidField::new(
                "password",
                format!("must be 1 to {MAX_PASSWORD_BYTES} bytes without control characters"),
            ));
        }
        check_caller_ids(&self.caller_ids)?;
        if !(1..=MAX_CHANNELS).contains(&self.max_channels) {
            return Err(InvalidField::new(
                "max_channels",
                format!("must be 1 to {MAX_CHANNELS}"),
            ));
        }
        if !(1..=MAX_CALLS_PER_SECOND).contains(&self.max_calls_per_second) {
            return Err(InvalidField::new(
                "max_calls_per_second",
                format!("must be 1 to {MAX_CALLS_PER_SECOND}"),
            ));
        }
        if self.codecs.is_empty() {
            return Err(InvalidField::new("codecs", "must list at least one codec"));
        }
        if let Some(i) = first_repeat(&self.codecs) {
            return Err(InvalidField::new(
                format!("codecs[{i}]"),
                "lists a codec a second time",
            ));
        }
        for (i, tenant) in self.tenants.iter().enumerate() {
            if !valid_name(tenant) {
                return Err(InvalidField::new(
                    format!("tenants[{i}]"),
                    format!("{tenant:?} is not a tenant id"),
                ));
            }
        }
        if let Some(i) = first_repeat(&self.tenants) {
            return Err(InvalidField::new(
                format!("tenants[{i}]"),
                format!("grants {:?} a second time", self.tenants[i]),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Trunk {
    /// Every field, with the password replaced by a placeholder.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trunk")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("transport", &self.transport)
            .field("outbound_proxy", &self.outbound_proxy)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("caller_ids", &self.caller_ids)
            .field("max_channels", &self.max_channels)
            .field("max_calls_per_second", &self.max_calls_per_second)
            .field("codecs", &self.codecs)
            .field("tenants", &self.tenants)
            .field("created_at_ms", &self.created_at_ms)
            .field("updated_at_ms", &self.updated_at_ms)
            .finish()
    }
}

/// A number calls come in on, and the tenant script that answers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedNumber {
    /// The number, E.164; unique.
    pub number: String,
    /// The tenant whose script answers.
    pub tenant_id: String,
    /// The name of that tenant's module that answers (it need not be uploaded yet).
    pub module: String,
    /// When the route was last set, in ms since the Unix epoch.
    pub updated_at_ms: u64,
}

impl RoutedNumber {
    /// Checks every rule a stored route keeps; the error names the field that breaks one.
    /// Whether the tenant exists is for the caller to check.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if normalize_e164(&self.number).as_deref() != Some(self.number.as_str()) {
            return Err(InvalidField::new(
                "number",
                format!("{:?} is not an E.164 number: {E164_RULE}", self.number),
            ));
        }
        if !valid_name(&self.tenant_id) {
            return Err(InvalidField::new(
                "tenant_id",
                format!("{:?} is not a tenant id", self.tenant_id),
            ));
        }
        if !valid_name(&self.module) {
            return Err(InvalidField::new(
                "module",
                format!("{:?} is not a valid module name: {NAME_RULE}", self.module),
            ));
        }
        Ok(())
    }
}

/// A trunk or route that breaks a rule: which field, and what is wrong with it. The
/// message never contains a password.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{field}` {problem}")]
pub struct InvalidField {
    /// The field as the API names it: `host`, `caller_ids[2]`, …
    pub field: String,
    /// What is wrong, in words an operator can act on.
    pub problem: String,
}

impl InvalidField {
    /// `field` breaks a rule; `problem` says which.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A user name or password: 1 to `max` bytes, no control characters.
fn credential_ok(value: &str, max: usize) -> bool {
    (1..=max).contains(&value.len()) && !value.chars().any(char::is_control)
}

fn check_caller_ids(caller_ids: &[String]) -> Result<(), InvalidField> {
    if caller_ids.len() > MAX_CALLER_IDS {
        return Err(InvalidField::new(
            "caller_ids",
            format!("may list at most {MAX_CALLER_IDS} numbers"),
        ));
    }
    for (i, number) in caller_ids.iter().enumerate() {
        if normalize_e164(number).as_deref() != Some(number.as_str()) {
            return Err(InvalidField::new(
                format!("caller_ids[{i}]"),
                format!("{number:?} is not an E.164 number: {E164_RULE}"),
            ));
        }
    }
    if let Some(i) = first_repeat(caller_ids) {
        return Err(InvalidField::new(
            format!("caller_ids[{i}]"),
            format!("lists {} a second time", caller_ids[i]),
        ));
    }
    Ok(())
}

/// The index of the first item equal to an earlier one.
fn first_repeat<T: PartialEq>(items: &[T]) -> Option<usize> {
    (1..items.len()).find(|&i| items[..i].contains(&items[i]))
}

#[cfg(test)]
mod tests;
