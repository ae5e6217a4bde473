//! Tenants' secrets: named values (API tokens for the tenant's own backends) that a
//! script's outbound HTTP requests put into headers by name, without the script ever
//! seeing them.
//!
//! Write-only from outside: a tenant sets, replaces, lists and deletes its secrets over
//! the API, and a listing says only names, sizes and when each was last set. The value
//! leaves the store once, through [`SecretStore::secret_value`], to the calls stage that
//! builds a request's headers; no API answer carries it, and no type here prints it.
//!
//! What this does not own: where the value goes in a request (the outbound HTTP stage) and
//! the audit of who changed which secret (the API writes an [`AuditEntry`](crate::AuditEntry)
//! for each change).

use serde::Serialize;
use thiserror::Error;

use crate::StoreError;

/// Most secrets one tenant may keep. A script's requests name a few (one token per
/// backend); 100 is far beyond that and keeps a listing small enough to answer whole.
pub const MAX_SECRETS_PER_TENANT: usize = 100;

/// Largest secret value, in bytes. Values go into request headers, which servers commonly
/// cap at 8 KiB per line: a longer one could never be sent.
pub const MAX_SECRET_BYTES: usize = 8 << 10;

/// Longest secret name, in bytes: the same bound as every other name in the store.
pub const MAX_SECRET_NAME_BYTES: usize = 64;

/// [`check_secret_name`]'s rule in words, for error messages.
pub const SECRET_NAME_RULE: &str =
    "use 1 to 64 lower-case letters, digits, `-`, `_` or `.`, and not `.` or `..`";

/// Why a secret was not stored.
#[derive(Debug, Error)]
pub enum SecretError {
    /// The name breaks [`SECRET_NAME_RULE`].
    #[error("`{0}` is not a secret name: {SECRET_NAME_RULE}")]
    InvalidName(String),
    /// The value is empty, too long, or holds a character a header cannot carry; says
    /// which.
    #[error("a secret's value {0}")]
    InvalidValue(&'static str),
    /// The tenant has [`MAX_SECRETS_PER_TENANT`] secrets already and this one is new.
    #[error(
        "you have {MAX_SECRETS_PER_TENANT} secrets, the most a tenant may keep: delete one \
         you no longer use first"
    )]
    TooMany,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `name` may name a secret: 1 to 64 of `a-z 0-9 - _ .`, not `.` or `..`.
pub fn check_secret_name(name: &str) -> Result<(), SecretError> {
    let plain = name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.'));
    if name.is_empty()
        || name.len() > MAX_SECRET_NAME_BYTES
        || !plain
        || name == "."
        || name == ".."
    {
        return Err(SecretError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// Whether `value` may be stored: 1 byte to [`MAX_SECRET_BYTES`], and no control character
/// but tab (a CR or LF would end the header it goes into and start another).
pub fn check_secret_value(value: &str) -> Result<(), SecretError> {
    if value.is_empty() {
        return Err(SecretError::InvalidValue("must not be empty"));
    }
    if value.len() > MAX_SECRET_BYTES {
        return Err(SecretError::InvalidValue(
            "must be at most 8192 bytes (it is sent in a request header)",
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(SecretError::InvalidValue(
            "must not contain CR, LF, NUL or another control character but tab (it is sent \
             in a request header)",
        ));
    }
    Ok(())
}

/// A secret as listed: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretInfo {
    /// The name requests refer to it by.
    pub name: String,
    /// When it was last set, in ms since the Unix epoch.
    pub updated_at_ms: u64,
    /// Length of the value, in bytes.
    pub bytes: usize,
}

/// Tenants' secrets, partitioned by tenant: one tenant's calls never read another's.
/// Writes are durable before they return; call them off the async workers.
pub trait SecretStore: Send + Sync {
    /// Creates or replaces the tenant's secret `name`; answers whether it was created.
    /// Checks the name and value ([`check_secret_name`], [`check_secret_value`]) and the
    /// tenant's count ([`MAX_SECRETS_PER_TENANT`]; replacing one never counts).
    fn put_secret(&self, tenant_id: &str, name: &str, value: &str) -> Result<bool, SecretError>;
    /// Deletes the tenant's secret `name`; answers whether it existed.
    fn delete_secret(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError>;
    /// The tenant's secrets, ordered by name, without their values.
    fn list_secrets(&self, tenant_id: &str) -> Result<Vec<SecretInfo>, StoreError>;
    /// The value of the tenant's secret `name`, if it has one. For the calls stage, which
    /// puts it into the headers of the requests that name it: no API endpoint answers
    /// with it, and callers must not log it.
    fn secret_value(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_short_lower_case_and_not_dot_paths() {
        for good in ["crm-token", "a", "x.y_z-9", ".env", "a".repeat(64).as_str()] {
            assert!(check_secret_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "CRM",
            "a/b",
            "a b",
            "ä",
            "a".repeat(65).as_str(),
        ] {
            let error = check_secret_name(bad).expect_err(bad).to_string();
            assert!(error.contains("lower-case"), "{error}");
        }
    }

    #[test]
    fn secret_values_fit_one_header_line() {
        assert!(check_secret_value("Bearer abc\tdef").is_ok());
        assert!(check_secret_value(&"x".repeat(MAX_SECRET_BYTES)).is_ok());
        for (bad, why) in [
            (String::new(), "empty"),
            ("x".repeat(MAX_SECRET_BYTES + 1), "8192"),
            ("a\r\nX-Injected: 1".into(), "LF"),
            ("a\0b".into(), "NUL"),
            ("a\u{7f}".into(), "control"),
        ] {
            let error = check_secret_value(&bad).expect_err(why).to_string();
            assert!(error.contains(why), "{error}");
        }
        // Multi-byte characters count in bytes, as a header does.
        assert!(check_secret_value(&"密".repeat(MAX_SECRET_BYTES / 3 + 1)).is_err());
    }
}
