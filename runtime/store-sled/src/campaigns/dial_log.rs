//! The per-number dial log behind the platform's frequency cap: one entry per attempt,
//! across tenants, written by [`begin_attempt`](super::CampaignTrees::begin_attempt) in
//! the attempt's own transaction.
//!
//! Two trees hold the same entries in two orders: `dial_log` by number then time, so
//! counting one number's recent dials is a short range scan; `dial_log_by_time` by time,
//! so forgetting old entries reads only those. The attempt that made an entry ends its key
//! (campaign, contact, attempt number), so two dials of one number in the same
//! millisecond are two entries.

use std::ops::Bound;

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::CampaignTrees;
use super::layout::{TxResult, U64_BYTES, bad_key, number_part};
use crate::keys::{backend, transaction_error};
use huashu_store::StoreError;
use huashu_store::campaigns::Attempt;

/// Entries forgotten per transaction while pruning: bounds the memory one transaction
/// holds (about 100 bytes a key, both trees: a few MB) while keeping the number of
/// transactions small when a day's dials expire at once.
const PRUNE_BATCH: usize = 10_000;

/// `campaign\0 seq attempt`: which attempt a dial was.
fn attempt_suffix(attempt: &Attempt) -> Vec<u8> {
    [
        attempt.campaign_id.as_bytes(),
        b"\0",
        &attempt.contact_seq.to_be_bytes(),
        &attempt.number.to_be_bytes(),
    ]
    .concat()
}

/// `number\0 at_ms`: where a number's entries from `at_ms` on start.
fn number_from(number: &str, at_ms: u64) -> Vec<u8> {
    [number.as_bytes(), b"\0", &at_ms.to_be_bytes()].concat()
}

/// The `dial_log` key an entry of `dial_log_by_time` (`at_ms number\0 suffix`) stands for
/// (`number\0 at_ms suffix`).
fn by_number_key(by_time: &[u8]) -> Option<Vec<u8>> {
    let (at, rest) = by_time.split_at_checked(U64_BYTES)?;
    let end_of_number = rest.iter().position(|&b| b == 0)?;
    let (number, suffix) = rest.split_at(end_of_number + 1);
    Some([number, at, suffix].concat())
}

/// The dial log's trees inside a transaction.
pub struct DialLogTx<'a> {
    pub by_number: &'a TransactionalTree,
    pub by_time: &'a TransactionalTree,
}

impl DialLogTx<'_> {
    /// Logs a dial of `attempt.to` at `attempt.started_at_ms`. The caller has checked the
    /// number with [`number_part`].
    pub fn record(&self, attempt: &Attempt) -> TxResult<()> {
        let suffix = attempt_suffix(attempt);
        let at = attempt.started_at_ms.to_be_bytes();
        let number = [attempt.to.as_bytes(), b"\0"].concat();
        self.by_number
            .insert([number.as_slice(), &at, &suffix].concat(), &[])?;
        self.by_time
            .insert([&at[..], &number, &suffix].concat(), &[])?;
        Ok(())
    }
}

impl CampaignTrees {
    pub fn dials_since(&self, number: &str, since_ms: u64) -> Result<u32, StoreError> {
        if !number_part(number) {
            return Ok(0);
        }
        let start = number_from(number, since_ms);
        let end = [number.as_bytes(), b"\x01"].concat();
        let mut count = 0u32;
        for key in self.dial_log.range(start..end).keys() {
            key.map_err(backend)?;
            count = count.saturating_add(1);
        }
        Ok(count)
    }

    /// Forgets every entry older than `before_ms`, [`PRUNE_BATCH`] at a time, each batch
    /// from both trees in one transaction.
    pub fn prune_dial_log(&self, before_ms: u64) -> Result<u64, StoreError> {
        let end = Bound::Excluded(before_ms.to_be_bytes().to_vec());
        let mut pruned = 0u64;
        loop {
            let batch = self
                .dial_log_by_time
                .range((Bound::Unbounded, end.clone()))
                .keys()
                .take(PRUNE_BATCH)
                .map(|key| {
                    let key = key.map_err(backend)?;
                    let by_number =
                        by_number_key(&key).ok_or_else(|| bad_key("dial log by time", &key))?;
                    Ok((key, by_number))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            if batch.is_empty() {
                return Ok(pruned);
            }
            (&self.dial_log, &self.dial_log_by_time)
                .transaction(|(by_number, by_time)| {
                    for (time_key, number_key) in &batch {
                        by_number.remove(number_key.as_slice())?;
                        by_time.remove(time_key)?;
                    }
                    Ok(())
                })
                .map_err(transaction_error)?;
            pruned += batch.len() as u64;
            if batch.len() < PRUNE_BATCH {
                return Ok(pruned);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{add, attempt_for};
    use crate::SledStore;
    use huashu_store::campaigns::{CampaignStore, StatsDelta};

    /// Begins an attempt at a fresh contact of `number` at `at_ms`.
    fn dial(store: &SledStore, campaign: &str, number: &str, at_ms: u64) {
        let contact = add(store, campaign, number);
        let attempt = attempt_for(&contact, at_ms);
        assert!(
            store
                .begin_attempt(&contact, &attempt, &StatsDelta::default())
                .unwrap()
        );
    }

    #[test]
    fn dials_are_counted_per_number_from_the_window_start() {
        let store = SledStore::temporary().unwrap();
        dial(&store, "cp_a", "+8613800000001", 100);
        dial(&store, "cp_b", "+8613800000001", 200);
        dial(&store, "cp_c", "+8613800000001", 200);
        dial(&store, "cp_a", "+8613800000002", 300);
        dial(&store, "cp_a", "+86138000000011", 300);
        assert_eq!(store.dials_since("+8613800000001", 0).unwrap(), 3);
        assert_eq!(store.dials_since("+8613800000001", 101).unwrap(), 2);
        assert_eq!(store.dials_since("+8613800000001", 200).unwrap(), 2);
        assert_eq!(store.dials_since("+8613800000001", 201).unwrap(), 0);
        assert_eq!(store.dials_since("+8613800000002", 0).unwrap(), 1);
        assert_eq!(store.dials_since("+86999", 0).unwrap(), 0);
    }

    #[test]
    fn pruning_forgets_only_entries_older_than_the_cutoff() {
        let store = SledStore::temporary().unwrap();
        dial(&store, "cp_a", "+8613800000001", 100);
        dial(&store, "cp_b", "+8613800000001", 200);
        dial(&store, "cp_a", "+8613800000002", 150);
        assert_eq!(store.prune_dial_log(200).unwrap(), 2);
        assert_eq!(store.prune_dial_log(200).unwrap(), 0);
        assert_eq!(store.dials_since("+8613800000001", 0).unwrap(), 1);
        assert_eq!(store.dials_since("+8613800000002", 0).unwrap(), 0);
        assert_eq!(store.campaigns.dial_log.len(), 1);
        assert_eq!(store.campaigns.dial_log_by_time.len(), 1);
    }

    #[test]
    fn a_time_key_maps_back_to_its_number_key() {
        let time_key = [&5u64.to_be_bytes()[..], b"+86\0", b"cp\0xyz"].concat();
        let number_key = [&b"+86\0"[..], &5u64.to_be_bytes(), b"cp\0xyz"].concat();
        assert_eq!(super::by_number_key(&time_key), Some(number_key));
        assert_eq!(super::by_number_key(b"short"), None);
    }
}
