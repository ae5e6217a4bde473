//! The tenant's key-value store, shared by all of its calls: remember that a customer asked
//! to be called back, count how often a coupon was offered…
//!
//! Keys are at most 256 bytes, values at most 64 KiB, and every operation counts against the
//! call's budget, so read what you need once (e.g. in `on_call_started`) rather than on every
//! event. Outside the host (native unit tests) an in-memory store with the same limits stands
//! in, so handlers that use it can be tested with `cargo test`.

pub use crate::bindings::huashu::dialogue::kv::KvError;

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
    store::get(key)
}

/// The value under `key` as text (invalid UTF-8 is replaced with `�`), if any.
pub fn get_string(key: &str) -> Result<Option<String>, KvError> {
    Ok(get(key)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Store `value` under `key`, replacing what was there.
pub fn set(key: &str, value: impl AsRef<[u8]>) -> Result<(), KvError> {
    store::set(key, value.as_ref())
}

/// Remove `key`; removing a key that is not there is not an error.
pub fn delete(key: &str) -> Result<(), KvError> {
    store::delete(key)
}

#[cfg(target_arch = "wasm32")]
mod store {
    pub use crate::bindings::huashu::dialogue::kv::{delete, get, set};
}

#[cfg(not(target_arch = "wasm32"))]
mod store {
    use super::KvError;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// The host's limits (see `wit/world.wit`), so tests fail where the host would.
    const MAX_KEY_BYTES: usize = 256;
    const MAX_VALUE_BYTES: usize = 64 * 1024;

    thread_local! {
        static MEMORY: RefCell<BTreeMap<String, Vec<u8>>> = const { RefCell::new(BTreeMap::new()) };
    }

    fn check_key(key: &str) -> Result<(), KvError> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(KvError::InvalidKey);
        }
        Ok(())
    }

    pub fn get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
        check_key(key)?;
        Ok(MEMORY.with(|m| m.borrow().get(key).cloned()))
    }

    pub fn set(key: &str, value: &[u8]) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::ValueTooLarge);
        }
        MEMORY.with(|m| m.borrow_mut().insert(key.to_owned(), value.to_vec()));
        Ok(())
    }

    pub fn delete(key: &str) -> Result<(), KvError> {
        check_key(key)?;
        MEMORY.with(|m| m.borrow_mut().remove(key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_delete_is_idempotent() {
        set("callback:13800138000", "2026-11-24").expect("set");
        assert_eq!(
            get_string("callback:13800138000").expect("get").as_deref(),
            Some("2026-11-24")
        );
        delete("callback:13800138000").expect("delete");
        delete("callback:13800138000").expect("second delete");
        assert_eq!(get("callback:13800138000").expect("get"), None);
    }

    #[test]
    fn limits_match_the_host() {
        assert_eq!(get(""), Err(KvError::InvalidKey));
        assert_eq!(set(&"k".repeat(257), b"v"), Err(KvError::InvalidKey));
        assert_eq!(
            set("big", vec![0u8; 64 * 1024 + 1]),
            Err(KvError::ValueTooLarge)
        );
    }
}
