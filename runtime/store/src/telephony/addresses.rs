//! The syntax of what a trunk or route points at: E.164 numbers, host names and IP
//! addresses, `host:port`. Pure functions over strings; the rules that use them are in
//! [`super`].

use std::net::{Ipv4Addr, Ipv6Addr};

/// Fewest digits in an accepted E.164 number, country code included. Shorter strings are
/// short codes or typos; a handful of tiny numbering plans (Niue: 7 digits in all) fall
/// below it and are refused.
pub const E164_MIN_DIGITS: usize = 8;
/// Most digits in an E.164 number, country code included (ITU-T E.164 §6).
pub const E164_MAX_DIGITS: usize = 15;

/// [`normalize_e164`]'s rule in words, for error messages.
pub const E164_RULE: &str = "write numbers in E.164: `+`, the country code and the number, \
     8 to 15 digits in all (`+8613800138000`; spaces, dashes and parentheses are ignored, \
     and a leading `00` stands for `+`)";

/// `input` as an E.164 number (`+` and 8 to 15 digits, the first not 0), or `None` if it is
/// not one. Spaces, dashes and parentheses are dropped and a leading `00` (the international
/// prefix most countries dial) reads as `+`: `"+1 (415) 555-0100"` gives `"+14155550100"`,
/// `"008613800138000"` gives `"+8613800138000"`. A national number without its country
/// code cannot be told apart from another country's, so it is refused.
pub fn normalize_e164(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))?;
    let number = (E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    number.then(|| format!("+{digits}"))
}

/// Splits `host:port` (or `[IPv6]:port`) into the host, without brackets, and a non-zero
/// port; `None` if `address` is not of that shape. The host itself is not checked.
pub fn parse_host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = match address.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest.split_once("]:")?;
            host.parse::<Ipv6Addr>().ok()?;
            (host, port)
        }
        None => address.split_once(':')?,
    };
    // Digits only: `u16::from_str` would also take a leading `+`.
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
    Some((host, port))
}

/// What is wrong with `host` as a bare host name or IP address, or `None` if nothing is.
pub(super) fn host_problem(host: &str) -> Option<String> {
    let lower = host.to_ascii_lowercase();
    let problem = if host.is_empty() {
        "must not be empty"
    } else if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "must not contain spaces or control characters"
    } else if host.contains("://") || lower.starts_with("sip:") || lower.starts_with("sips:") {
        "must be a bare host name or IP address, without a scheme such as `sip:`"
    } else if host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok() {
        return None;
    } else if host.starts_with('[') {
        "must be an IPv6 address without brackets"
    } else if host.contains(':') {
        "must not carry a port: set `port` instead"
    } else if !hostname(host) {
        "is not a host name or IP address"
    } else {
        return None;
    };
    Some(problem.to_owned())
}

/// RFC 1123 host name: dot-separated labels of 1 to 63 letters, digits and inner hyphens,
/// at most 253 bytes; the last label is not all digits (that would be a mistyped IPv4
/// address: no top-level domain is numeric).
fn hostname(host: &str) -> bool {
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    host.len() <= 253
        && host.split('.').all(label)
        && !host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
}
