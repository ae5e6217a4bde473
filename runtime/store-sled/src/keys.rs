//! Key layout, cursors, and the conversions every part of the sled backend shares.
//!
//! A per-tenant key is `tenant id`, a 0 byte, then the rest. Ids and names are
//! [`valid_name`]s, which never contain a 0 byte, so the prefix `t_1\0` can never match a
//! key of `t_12`: a scan bounded by one tenant's prefix returns only that tenant's data.
//! Within a tenant, multi-part keys separate their parts with a 0 byte the same way.
//!
//! Cursors are the hex of the key after the tenant prefix: opaque to clients, and decoded
//! back under the caller's own tenant prefix, so a cursor can never move a scan into
//! another tenant's keys.

use std::ops::Bound;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use huashu_store::{Page, PageRequest, StoreError};

pub use huashu_store::valid_name;

/// A scan's start and end keys.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Separates the parts of a key; cannot occur in a [`valid_name`].
const SEP: u8 = 0;

/// `tenant\0`, the prefix of all of one tenant's keys; `None` if the id cannot be a key
/// part (then the tenant has no data).
pub fn tenant_prefix(tenant: &str) -> Option<Vec<u8>> {
    valid_name(tenant).then(|| {
        let mut key = Vec::with_capacity(tenant.len() + 1);
        key.extend_from_slice(tenant.as_bytes());
        key.push(SEP);
        key
    })
}

/// `tenant\0name`; `None` if either part cannot be a key part.
pub fn tenant_name_key(tenant: &str, name: &str) -> Option<Vec<u8>> {
    let mut key = tenant_prefix(tenant)?;
    valid_name(name).then(|| {
        key.extend_from_slice(name.as_bytes());
        key
    })
}

/// Appends a separator: `tenant\0name` becomes the prefix `tenant\0name\0`.
pub fn with_sep(mut key: Vec<u8>) -> Vec<u8> {
    key.push(SEP);
    key
}

/// The smallest key greater than every key starting with `prefix`, or `None` if there is
/// none (the prefix is all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The scan range for keys starting with `prefix`, after the cursor if there is one.
/// `None` if the cursor is not one of ours (see [`decode_cursor`]).
pub fn range_after(prefix: &[u8], after: Option<&str>) -> Option<KeyRange> {
    let start = match after {
        None => Bound::Included(prefix.to_vec()),
        Some(cursor) => Bound::Excluded([prefix, &decode_cursor(cursor)?].concat()),
    };
    let end = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
    Some((start, end))
}

pub fn encode_cursor(key_after_prefix: &[u8]) -> String {
    hex::encode(key_after_prefix)
}

/// The key a cursor stands for, or `None` if it is not a cursor this store made. Callers
/// answer an empty page then: the trait has no "bad request" error, and an empty page
/// is the honest answer to "what comes after a key that cannot exist".
pub fn decode_cursor(cursor: &str) -> Option<Vec<u8>> {
    hex::decode(cursor).ok()
}

/// Reads one page of `limit` entries (at least 1) with keys starting with `prefix`, in key
/// order, after `page.after`. Reads one entry more to know whether a next page exists.
pub fn scan_page<T>(
    tree: &sled::Tree,
    prefix: &[u8],
    page: &PageRequest,
    decode: impl Fn(&[u8], &[u8]) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let limit = page.limit.max(1);
    let Some(range) = range_after(prefix, page.after.as_deref()) else {
        return Ok(empty_page());
    };
    let mut items = Vec::new();
    let mut last_key = Vec::new();
    for entry in tree.range(range) {
        let (key, value) = entry.map_err(backend)?;
        if items.len() == limit {
            return Ok(Page {
                items,
                next: Some(encode_cursor(&last_key[prefix.len()..])),
            });
        }
        items.push(decode(&key, &value)?);
        last_key = key.to_vec();
    }
    Ok(Page { items, next: None })
}

pub fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next: None,
    }
}

// ── errors and JSON ──

pub fn backend(error: sled::Error) -> StoreError {
    match error {
        sled::Error::Corruption { .. } => StoreError::Corrupt {
            what: "database files".into(),
            detail: error.to_string(),
        },
        other => StoreError::Backend(other.to_string()),
    }
}

/// The error a failed transaction stands for: ours if the closure aborted, else sled's.
pub fn transaction_error(error: TransactionError<StoreError>) -> StoreError {
    match error {
        TransactionError::Abort(error) => error,
        TransactionError::Storage(error) => backend(error),
    }
}

/// Ends a transaction with `error`; nothing it wrote is applied.
pub fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
}

pub fn corrupt(what: impl Into<String>, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        detail: detail.to_string(),
    }
}

/// Parses a stored JSON value; `what` names it in the error ("tenant t_…").
pub fn from_json<T: DeserializeOwned>(
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(what(), e))
}

pub fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode a record: {e}")))
}

/// Refuses to write under a key part that would break the layout. The API validates
/// names first, so reaching this is a bug in a caller, reported rather than stored.
pub fn refuse(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!(
        "{what} {value:?} cannot be stored: ids and names are 1 to 64 of A-Z a-z 0-9 . _ -"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_tenants_prefix_is_never_a_prefix_of_anothers_keys() {
        let short = tenant_prefix("t_1").unwrap();
        let long = tenant_name_key("t_12", "x").unwrap();
        assert!(!long.starts_with(&short));
        assert_eq!(tenant_prefix("t_1\0"), None);
    }

    #[test]
    fn prefix_end_is_the_first_key_past_the_prefix() {
        assert_eq!(prefix_end(b"t_1\0"), Some(b"t_1\x01".to_vec()));
        assert_eq!(prefix_end(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn cursors_that_are_not_ours_give_no_range() {
        assert_eq!(range_after(b"t\0", Some("zz")), None);
        let (start, _) = range_after(b"t\0", Some(&encode_cursor(b"ab"))).unwrap();
        assert_eq!(start, Bound::Excluded(b"t\0ab".to_vec()));
    }
}
