//! Random identifiers and secrets, and the one way secrets are hashed for storage.
//!
//! API keys, operator tokens and call tokens are 192-bit random values, so a plain SHA-256
//! is enough to store them safely (no password stretching needed: they cannot be guessed).

use sha2::{Digest, Sha256};

use crate::StoreError;

/// `prefix` followed by `bytes` random bytes in hex.
pub fn random_id(prefix: &str, bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", hex::encode(buf)))
}

/// Hex SHA-256 of a secret: what the store keeps and lookups compare.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
