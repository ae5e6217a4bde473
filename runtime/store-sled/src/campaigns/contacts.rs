//! A campaign's contacts: importing them in batches, reading them, the due index the
//! dialler reads, and moving a pending contact without an attempt (deferring or closing
//! it).
//!
//! The due index holds exactly the pending contacts, keyed by due time then sequence
//! number; every write that changes a contact's state or due time changes its index entry
//! in the same transaction. Writes that depend on what the dialler read are
//! compare-and-set: [`expect_pending`] finds the stored contact still pending with the
//! attempts the caller saw, or the write does nothing and answers `false`.

use std::collections::HashSet;
use std::ops::Bound;

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::CampaignTrees;
use super::layout::{
    CampaignKeys, TxResult, U64_BYTES, bad_key, number_part, refuse_number, u64_at,
};
use super::outbox::{OutboxTx, prepare};
use super::settings::add_to_stats;
use crate::keys::{
    abort, backend, corrupt, empty_page, from_json, prefix_end, refuse, to_json, transaction_error,
};
use huashu_store::campaigns::{
    Contact, ContactResult, ContactState, NewContact, StatsDelta, WebhookDelivery,
};
use huashu_store::{Page, PageRequest, StoreError};

/// The keys of `campaign_id`, or the error a write with an impossible id gets.
pub fn keys_for_write(campaign_id: &str) -> Result<CampaignKeys, StoreError> {
    CampaignKeys::new(campaign_id).ok_or_else(|| refuse("campaign id", campaign_id))
}

/// Decodes a stored contact.
pub fn decode_contact(json: &[u8], campaign_id: &str, seq: u64) -> Result<Contact, StoreError> {
    from_json(json, || format!("contact {campaign_id}/{seq}"))
}

/// The stored contact, if it is still pending with the attempts `expected` has; `None`
/// when it changed (or is gone), so a compare-and-set write does nothing.
pub fn expect_pending(
    contacts: &TransactionalTree,
    keys: &CampaignKeys,
    expected: &Contact,
) -> TxResult<Option<Contact>> {
    let Some(json) = contacts.get(keys.contact(expected.seq))? else {
        return Ok(None);
    };
    let stored = decode_contact(&json, &expected.campaign_id, expected.seq).map_err(abort)?;
    let unchanged = stored.state == ContactState::Pending && stored.attempts == expected.attempts;
    Ok(unchanged.then_some(stored))
}

impl CampaignTrees {
    /// Adds the batch in one transaction: reads the campaign's next sequence number and
    /// one number-index entry per contact, writes the contact, its number and its due
    /// entry, then the counts once.
    pub fn add_contacts(
        &self,
        campaign_id: &str,
        batch: &[NewContact],
        due_at_ms: u64,
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let keys = keys_for_write(campaign_id)?;
        if let Some(bad) = batch.iter().find(|c| !number_part(&c.number)) {
            return Err(refuse_number(&bad.number));
        }
        (
            &self.contacts,
            &self.contact_numbers,
            &self.due,
            &self.next_seq,
            &self.stats,
        )
            .transaction(|(contacts, numbers, due, next_seq, stats)| {
                let last = match next_seq.get(campaign_id.as_bytes())? {
                    Some(bytes) => u64_at(&bytes, 0).ok_or_else(|| {
                        abort(corrupt(
                            format!("sequence counter of campaign {campaign_id}"),
                            "not an 8-byte number",
                        ))
                    })?,
                    None => 0,
                };
                let mut seq = last;
                // Numbers this batch added. The transaction's reads see its own writes
                // too; this only spares a lookup per duplicate within the batch.
                let mut added: HashSet<&str> = HashSet::with_capacity(batch.len());
                let mut seqs = Vec::with_capacity(batch.len());
                for new in batch {
                    let number_key = keys.number(&new.number);
                    if added.contains(new.number.as_str())
                        || numbers.get(number_key.as_slice())?.is_some()
                    {
                        seqs.push(None);
                        continue;
                    }
                    seq += 1;
                    added.insert(&new.number);
                    let contact = Contact::new(campaign_id, seq, new, due_at_ms);
                    contacts.insert(keys.contact(seq), to_json(&contact).map_err(abort)?)?;
                    numbers.insert(number_key, &seq.to_be_bytes())?;
                    due.insert(keys.due(due_at_ms, seq), &[])?;
                    seqs.push(Some(seq));
                }
                let count = (seq - last) as i64;
                if count > 0 {
                    next_seq.insert(campaign_id.as_bytes(), &seq.to_be_bytes())?;
                    let delta = StatsDelta {
                        contacts: count,
                        pending: count,
                        ..StatsDelta::default()
                    };
                    add_to_stats(stats, campaign_id, &delta)?;
                }
                Ok(seqs)
            })
            .map_err(transaction_error)
    }

    pub fn contact(&self, campaign_id: &str, seq: u64) -> Result<Option<Contact>, StoreError> {
        let Some(keys) = CampaignKeys::new(campaign_id) else {
            return Ok(None);
        };
        self.contacts
            .get(keys.contact(seq))
            .map_err(backend)?
            .map(|json| decode_contact(&json, campaign_id, seq))
            .transpose()
    }

    /// In sequence order; the cursor is the last sequence number, in decimal.
    pub fn list_contacts(
        &self,
        campaign_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Contact>, StoreError> {
        let Some(keys) = CampaignKeys::new(campaign_id) else {
            return Ok(empty_page());
        };
        let start = match &page.after {
            None => Bound::Included(keys.prefix().to_vec()),
            Some(cursor) => match cursor.parse::<u64>() {
                Ok(after) => Bound::Excluded(keys.contact(after)),
                // Not a cursor this store made: nothing comes after it.
                Err(_) => return Ok(empty_page()),
            },
        };
        let end = prefix_end(keys.prefix()).map_or(Bound::Unbounded, Bound::Excluded);
        let limit = page.limit.max(1);
        let mut items = Vec::with_capacity(limit.min(1024));
        for entry in self.contacts.range((start, end)) {
            let (key, json) = entry.map_err(backend)?;
            if items.len() == limit {
                let next = items.last().map(|c: &Contact| c.seq.to_string());
                return Ok(Page { items, next });
            }
            let seq = keys
                .seq_in(&key, 0)
                .ok_or_else(|| bad_key("campaign contacts", &key))?;
            items.push(decode_contact(&json, campaign_id, seq)?);
        }
        Ok(Page { items, next: None })
    }

    /// Pending contacts due at or before `now_ms`, soonest first, ties in sequence order.
    pub fn due_contacts(
        &self,
        campaign_id: &str,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        let Some(keys) = CampaignKeys::new(campaign_id) else {
            return Ok(Vec::new());
        };
        let range = keys.due(0, 0)..=keys.due(now_ms, u64::MAX);
        self.due
            .range(range)
            .keys()
            .take(limit)
            .map(|key| {
                let key = key.map_err(backend)?;
                let seq = keys
                    .seq_in(&key, U64_BYTES)
                    .ok_or_else(|| bad_key("contact due", &key))?;
                self.contact(campaign_id, seq)?.ok_or_else(|| {
                    corrupt(
                        "contact due index",
                        format!("it lists contact {campaign_id}/{seq}, which is not stored"),
                    )
                })
            })
            .collect()
    }

    pub fn next_due_at(&self, campaign_id: &str) -> Result<Option<u64>, StoreError> {
        let Some(keys) = CampaignKeys::new(campaign_id) else {
            return Ok(None);
        };
        let Some((key, _)) = self
            .due
            .scan_prefix(keys.prefix())
            .next()
            .transpose()
            .map_err(backend)?
        else {
            return Ok(None);
        };
        u64_at(&key, keys.prefix().len())
            .map(Some)
            .ok_or_else(|| bad_key("contact due", &key))
    }

    /// Moves a pending contact's due time, if it is as the caller saw it.
    pub fn defer_contact(&self, expected: &Contact, due_at_ms: u64) -> Result<bool, StoreError> {
        let keys = keys_for_write(&expected.campaign_id)?;
        (&self.contacts, &self.due)
            .transaction(|(contacts, due)| {
                let Some(mut contact) = expect_pending(contacts, &keys, expected)? else {
                    return Ok(false);
                };
                due.remove(keys.due(contact.due_at_ms, contact.seq))?;
                contact.due_at_ms = due_at_ms;
                due.insert(keys.due(due_at_ms, contact.seq), &[])?;
                contacts.insert(keys.contact(contact.seq), to_json(&contact).map_err(abort)?)?;
                Ok(true)
            })
            .map_err(transaction_error)
    }

    /// Finishes a pending contact without an attempt, if it is as the caller saw it.
    pub fn close_contact(
        &self,
        expected: &Contact,
        result: ContactResult,
        delta: &StatsDelta,
        webhooks: &[WebhookDelivery],
    ) -> Result<bool, StoreError> {
        let keys = keys_for_write(&expected.campaign_id)?;
        let webhooks = webhooks
            .iter()
            .map(prepare)
            .collect::<Result<Vec<_>, _>>()?;
        (
            &self.contacts,
            &self.due,
            &self.stats,
            &self.outbox,
            &self.outbox_due,
            &self.outbox_by_campaign,
        )
            .transaction(
                |(contacts, due, stats, deliveries, outbox_due, by_campaign)| {
                    let Some(mut contact) = expect_pending(contacts, &keys, expected)? else {
                        return Ok(false);
                    };
                    due.remove(keys.due(contact.due_at_ms, contact.seq))?;
                    contact.state = ContactState::Done;
                    contact.result = Some(result);
                    contacts
                        .insert(keys.contact(contact.seq), to_json(&contact).map_err(abort)?)?;
                    add_to_stats(stats, &expected.campaign_id, delta)?;
                    let outbox = OutboxTx {
                        deliveries,
                        due: outbox_due,
                        by_campaign,
                    };
                    for webhook in &webhooks {
                        outbox.put(webhook)?;
                    }
                    Ok(true)
                },
            )
            .map_err(transaction_error)
    }
}
