//! How campaign keys are built and read back. The table of trees is in the parent
//! module's docs; this file only spells the bytes.
//!
//! Numbers (times, sequence numbers, attempt numbers) are big-endian and fixed width, so
//! byte order is numeric order and no separator is needed between two of them. Text parts
//! (campaign ids, tenant ids, phone numbers) end with a 0 byte, which none of them can
//! contain: ids are [`valid_name`]s and numbers are checked by [`number_part`].

use sled::transaction::ConflictableTransactionError;

use crate::keys::valid_name;
use huashu_store::StoreError;

/// What a closure inside a campaign transaction answers.
pub type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Bytes in a big-endian `u64` key part.
pub const U64_BYTES: usize = 8;

/// Keys under one campaign: `campaign id \0` and then the rest.
#[derive(Debug, Clone)]
pub struct CampaignKeys {
    prefix: Vec<u8>,
}

impl CampaignKeys {
    /// The keys of `campaign_id`; `None` if it cannot be a key part (then the campaign has
    /// nothing stored).
    pub fn new(campaign_id: &str) -> Option<Self> {
        valid_name(campaign_id).then(|| Self {
            prefix: [campaign_id.as_bytes(), b"\0"].concat(),
        })
    }

    /// `campaign\0`: every key of the campaign in the per-campaign trees starts with it.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// `campaign\0 seq`: a contact, in the `campaign_contacts` tree.
    pub fn contact(&self, seq: u64) -> Vec<u8> {
        [self.prefix.as_slice(), &seq.to_be_bytes()].concat()
    }

    /// `campaign\0 number`: which contact has this number.
    pub fn number(&self, number: &str) -> Vec<u8> {
        [self.prefix.as_slice(), number.as_bytes()].concat()
    }

    /// `campaign\0 due_at_ms seq`: a pending contact in the due index.
    pub fn due(&self, due_at_ms: u64, seq: u64) -> Vec<u8> {
        [
            self.prefix.as_slice(),
            &due_at_ms.to_be_bytes(),
            &seq.to_be_bytes(),
        ]
        .concat()
    }

    /// `campaign\0 seq attempt`: one attempt at a contact.
    pub fn attempt(&self, seq: u64, number: u32) -> Vec<u8> {
        [self.contact(seq).as_slice(), &number.to_be_bytes()].concat()
    }

    /// Where the sequence number sits in a contact key or a due-index key (`offset` 0 for
    /// the former, [`U64_BYTES`] for the latter, past the due time).
    pub fn seq_in(&self, key: &[u8], offset: usize) -> Option<u64> {
        u64_at(key, self.prefix.len() + offset)
    }
}

/// The big-endian `u64` at `at` in `key`, if the key is long enough.
pub fn u64_at(key: &[u8], at: usize) -> Option<u64> {
    let bytes = key.get(at..at + U64_BYTES)?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// `u64::MAX − ms`, big-endian: newer sorts first.
pub fn newest_first(ms: u64) -> [u8; U64_BYTES] {
    (u64::MAX - ms).to_be_bytes()
}

/// Whether `number` can be a key part: not empty, no 0 byte. Numbers are E.164 by the time
/// they reach the store; this only keeps the key structure sound.
pub fn number_part(number: &str) -> bool {
    !number.is_empty() && !number.as_bytes().contains(&0)
}

/// Refuses a phone number that would break the key structure (a bug in a caller).
pub fn refuse_number(number: &str) -> StoreError {
    StoreError::Backend(format!(
        "number {number:?} cannot be stored: numbers are E.164 text without 0 bytes"
    ))
}

/// A key an index holds but that does not have the shape this layout writes.
pub fn bad_key(tree: &str, key: &[u8]) -> StoreError {
    crate::keys::corrupt(
        format!("{tree} index"),
        format!("a key of unexpected shape: {}", hex::encode(key)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_sort_by_time_then_sequence() {
        let keys = CampaignKeys::new("cp_1").unwrap();
        let mut due = [
            keys.due(2, 1),
            keys.due(1, 9),
            keys.due(1, 2),
            keys.due(256, 0),
        ];
        due.sort();
        let seqs: Vec<_> = due.iter().map(|k| keys.seq_in(k, U64_BYTES)).collect();
        assert_eq!(seqs, [Some(2), Some(9), Some(1), Some(0)]);
    }

    #[test]
    fn one_campaigns_keys_never_start_with_anothers_prefix() {
        let short = CampaignKeys::new("cp_1").unwrap();
        let long = CampaignKeys::new("cp_12").unwrap();
        assert!(!long.contact(1).starts_with(short.prefix()));
        assert!(CampaignKeys::new("cp\0").is_none());
    }
}
