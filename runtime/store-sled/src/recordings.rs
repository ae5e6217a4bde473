//! Calls' recorded audio.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `call_recordings` | tenant `\0` call id | WAV bytes |
//!
//! A tree of its own, beside `call_records` rather than in it: recordings are large (32 KB
//! per second of call) and read rarely, and keeping them apart means listing or reading
//! call records never pages them in. The call's summary says whether there is one
//! (`has_recording`); the server stores the recording first, then that summary.

use super::keys::{backend, refuse, tenant_name_key};
use huashu_store::StoreError;

pub struct RecordingTree {
    pub wav: sled::Tree,
}

impl RecordingTree {
    /// Creates or replaces the recording of `call_id`.
    pub fn put(&self, tenant_id: &str, call_id: &str, wav: &[u8]) -> Result<(), StoreError> {
        let Some(key) = tenant_name_key(tenant_id, call_id) else {
            return Err(refuse("recording", &format!("{tenant_id}/{call_id}")));
        };
        self.wav.insert(key, wav).map_err(backend)?;
        Ok(())
    }

    pub fn get(&self, tenant_id: &str, call_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(key) = tenant_name_key(tenant_id, call_id) else {
            return Ok(None);
        };
        Ok(self.wav.get(key).map_err(backend)?.map(|wav| wav.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::Store;

    #[test]
    fn a_recording_is_read_back_replaced_and_only_by_its_own_tenant() {
        let store = SledStore::temporary().unwrap();
        store.put_recording("t_1", "c_01", b"RIFF one").unwrap();
        store.put_recording("t_1", "c_01", b"RIFF two").unwrap();
        assert_eq!(
            store.recording("t_1", "c_01").unwrap(),
            Some(b"RIFF two".to_vec())
        );
        // Another tenant, even one whose id starts the same, finds nothing.
        assert_eq!(store.recording("t_12", "c_01").unwrap(), None);
        assert_eq!(store.recording("t_2", "c_01").unwrap(), None);
        assert_eq!(store.recording("t_1", "c_02").unwrap(), None);
        // Ids that cannot be key parts are refused on write and absent on read.
        assert!(store.put_recording("t_1", "c/../x", b"RIFF").is_err());
        assert_eq!(store.recording("t_1\0c_01", "").unwrap(), None);
    }
}
