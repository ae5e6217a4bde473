//! How a webhook POST proves where it came from: the headers each one carries and the
//! HMAC-SHA256 signature over its timestamp and body.
//!
//! The sender signs `"<timestamp>.<body>"` with the campaign's webhook secret and sends
//! `Huashu-Signature: v1=<hex>`. A receiver recomputes the signature over the exact bytes it
//! received, compares it in constant time, and refuses timestamps too far from its own
//! clock, so a captured request cannot be replayed later. [`verify`] is that receiver's
//! check; the tenant guide shows it, and our tests use it.
//!
//! This module only computes and checks signatures; sending is the outbox's job.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

/// The delivery's id (`wh_…`): the same on every retry, so a receiver can drop repeats.
pub const ID_HEADER: &str = "Huashu-Webhook-Id";
/// What the delivery reports: `contact.finished` or `call.ended`.
pub const EVENT_HEADER: &str = "Huashu-Event";
/// When this try was signed, in seconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "Huashu-Timestamp";
/// `v1=` and the hex HMAC-SHA256 of `"<timestamp>.<body>"`; several comma-separated `v1=`
/// values are accepted by [`verify`] (any one matching is enough).
pub const SIGNATURE_HEADER: &str = "Huashu-Signature";

/// The scheme tag in front of each signature, so a later algorithm can be added beside it.
const SCHEME: &str = "v1=";

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The header holds no `v1=<hex>` value.
    #[error("the Huashu-Signature header holds no `v1=<hex>` signature")]
    Malformed,
    /// The timestamp is too far from the receiver's clock: a replay, or a clock that is off.
    #[error(
        "the timestamp {timestamp_secs} is {skew_secs} s from now, more than the {tolerance_secs} s allowed"
    )]
    Stale {
        /// The `Huashu-Timestamp` received.
        timestamp_secs: u64,
        /// How far it is from the receiver's clock, in seconds.
        skew_secs: u64,
        /// The most the receiver accepts.
        tolerance_secs: u64,
    },
    /// No signature matches: another secret signed it, or the body or timestamp changed.
    #[error("the signature does not match this body and timestamp under this secret")]
    Mismatch,
}

/// The `Huashu-Signature` value for `body` sent at `timestamp_secs`: `v1=` and the hex
/// HMAC-SHA256 of `"<timestamp_secs>.<body>"` keyed with `secret`.
pub fn sign(secret: &str, timestamp_secs: u64, body: &[u8]) -> String {
    let tag = keyed(secret, timestamp_secs, body).finalize().into_bytes();
    format!("{SCHEME}{}", hex::encode(tag))
}

/// What a receiver checks: that `header_value` (the `Huashu-Signature` header) holds a
/// `v1=` signature of `body` at `timestamp_secs` under `secret`, and that `timestamp_secs`
/// is within `tolerance_secs` of `now_secs` (five minutes is a sound choice). The
/// comparison takes the same time whatever the bytes.
pub fn verify(
    secret: &str,
    header_value: &str,
    timestamp_secs: u64,
    body: &[u8],
    now_secs: u64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    let candidates: Vec<Vec<u8>> = header_value
        .split(',')
        .filter_map(|part| part.trim().strip_prefix(SCHEME))
        .filter_map(|digits| hex::decode(digits).ok())
        .collect();
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let skew_secs = now_secs.abs_diff(timestamp_secs);
    if skew_secs > tolerance_secs {
        return Err(SignatureError::Stale {
            timestamp_secs,
            skew_secs,
            tolerance_secs,
        });
    }
    let matched = candidates.iter().any(|tag| {
        keyed(secret, timestamp_secs, body)
            .verify_slice(tag)
            .is_ok()
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The MAC over `"<timestamp>.<body>"`, ready to finalise or verify.
fn keyed(secret: &str, timestamp_secs: u64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_0123456789abcdef";
    const BODY: &[u8] = br#"{"id":"wh_00112233aabbccdd","event":"contact.finished"}"#;
    /// Computed independently of this code:
    /// python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_0123456789abcdef",
    ///   b"1700000000.{\"id\":\"wh_00112233aabbccdd\",\"event\":\"contact.finished\"}",
    ///   hashlib.sha256).hexdigest())'
    const EXPECTED: &str = "v1=20ddff9017c1457f9adb8f4f120aa8ddd12d763c3b6a2fb70218b0199523aff7";

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        assert_eq!(sign(SECRET, 1_700_000_000, BODY), EXPECTED);
    }

    #[test]
    fn a_receiver_accepts_what_was_signed() {
        verify(SECRET, EXPECTED, 1_700_000_000, BODY, 1_700_000_030, 300).expect("valid");
    }

    #[test]
    fn any_one_of_several_signatures_may_match() {
        let header = format!("v1=00ff, {EXPECTED}");
        verify(SECRET, &header, 1_700_000_000, BODY, 1_700_000_000, 300).expect("valid");
    }

    #[test]
    fn a_changed_body_timestamp_or_secret_is_refused() {
        let now = 1_700_000_000;
        let other_body = br#"{"id":"wh_00112233aabbccdd","event":"call.ended"}"#;
        assert_eq!(
            verify(SECRET, EXPECTED, now, other_body, now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, EXPECTED, now + 1, BODY, now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_another_secret", EXPECTED, now, BODY, now, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_old_or_future_timestamp_is_refused_as_stale() {
        let signed_at = 1_700_000_000;
        for now in [signed_at + 301, signed_at - 301] {
            assert!(matches!(
                verify(SECRET, EXPECTED, signed_at, BODY, now, 300),
                Err(SignatureError::Stale { skew_secs: 301, .. })
            ));
        }
    }

    #[test]
    fn a_header_without_a_v1_signature_is_malformed() {
        for header in ["", "v2=abcd", "v1=not-hex", "20ddff90"] {
            assert_eq!(
                verify(SECRET, header, 1_700_000_000, BODY, 1_700_000_000, 300),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
    }
}
