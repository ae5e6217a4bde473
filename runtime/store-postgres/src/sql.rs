//! What every part of the PostgreSQL store shares: turning database errors into
//! [`StoreError`]s, numbers between Rust's unsigned types and PostgreSQL's signed ones,
//! records to and from their stored JSON, and list cursors.
//!
//! Cursors are the hex of the last row's sort key: opaque to clients, and a cursor this
//! store did not make reads as "nothing after it" (an empty page), as the embedded store
//! answers, since the trait has no "bad request" error.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_postgres::error::SqlState;

use huashu_store::{Page, StoreError};

/// A failed query as a [`StoreError`]: a broken unique rule is a conflict over `what`,
/// anything else a backend failure carrying the database's own message.
pub fn db_error(what: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |error| {
        if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            return StoreError::Conflict(what.to_owned());
        }
        backend(error)
    }
}

/// A failed query as a backend failure, with the database's message when it sent one.
pub fn backend(error: tokio_postgres::Error) -> StoreError {
    match error.as_db_error() {
        Some(db) => StoreError::Backend(format!("PostgreSQL: {}", db.message())),
        None => StoreError::Backend(format!("PostgreSQL: {error}")),
    }
}

/// A time or size as PostgreSQL's bigint; refused past `i64::MAX`, which no real time
/// or size reaches.
pub fn big(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Backend(format!("{what} {value} is too large")))
}

/// A version number as PostgreSQL's integer.
pub fn int(value: u32, what: &str) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::Backend(format!("{what} {value} is too large")))
}

/// A stored bigint back as unsigned; a negative one means the row is damaged.
pub fn unsigned(value: i64, what: impl FnOnce() -> String) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(what(), format!("negative value {value}")))
}

/// A stored integer back as unsigned.
pub fn unsigned32(value: i32, what: impl FnOnce() -> String) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what(), format!("negative value {value}")))
}

/// Stored data that cannot be read.
pub fn corrupt(what: impl Into<String>, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        detail: detail.to_string(),
    }
}

/// A record as the JSON kept in its `doc` column.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode a record: {e}")))
}

/// A `doc` column back as its record; `what` names it in the error ("tenant t_…").
pub fn from_json<T: DeserializeOwned>(
    json: &str,
    what: impl FnOnce() -> String,
) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(what(), e))
}

/// A cursor standing for `key`.
pub fn encode_cursor(key: &str) -> String {
    hex::encode(key)
}

/// The key a cursor stands for; `None` if this store did not make it.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    String::from_utf8(hex::decode(cursor).ok()?).ok()
}

/// A cursor standing for a (time, id) sort key.
pub fn encode_time_cursor(ms: i64, id: &str) -> String {
    encode_cursor(&format!("{ms}/{id}"))
}

/// The (time, id) a cursor stands for; `None` if this store did not make it.
pub fn decode_time_cursor(cursor: &str) -> Option<(i64, String)> {
    let key = decode_cursor(cursor)?;
    let (ms, id) = key.split_once('/')?;
    Some((ms.parse().ok()?, id.to_owned()))
}

/// The page of the first `limit` of `rows` (read one past the limit): the cursor, made
/// from the last item kept, exists when there was more.
pub fn page_of<T>(mut rows: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    Page { items: rows, next }
}

/// The empty page a bad cursor gets.
pub fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next: None,
    }
}

/// `limit` items plus one, to tell whether a next page exists, as a SQL `LIMIT`.
pub fn limit_plus_one(limit: usize) -> i64 {
    i64::try_from(limit.max(1)).unwrap_or(i64::MAX - 1) + 1
}
