//! Attempts: counting one before it is dialled, noting its call, finishing it with the
//! contact's next step, and finding the ones a crash left open.
//!
//! The open index holds exactly the attempts without an outcome. An attempt begins
//! (contact to dialling, attempt stored and open, dial logged, counts) and finishes
//! (attempt closed, contact replaced and re-indexed, counts, webhooks) in one transaction
//! each, so after a `kill -9` either all of it is there or none.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::CampaignTrees;
use super::contacts::{decode_contact, expect_pending, keys_for_write};
use super::dial_log::DialLogTx;
use super::layout::{CampaignKeys, TxResult, number_part, refuse_number};
use super::outbox::{OutboxTx, prepare};
use super::settings::add_to_stats;
use crate::keys::{abort, backend, corrupt, from_json, to_json, transaction_error};
use huashu_store::StoreError;
use huashu_store::campaigns::{Attempt, Contact, ContactState, StatsDelta, WebhookDelivery};

/// An attempt's key, checked and encoded before a transaction writes it.
struct PreparedAttempt {
    key: Vec<u8>,
    json: Vec<u8>,
    open: bool,
}

fn prepare_attempt(keys: &CampaignKeys, attempt: &Attempt) -> Result<PreparedAttempt, StoreError> {
    Ok(PreparedAttempt {
        key: keys.attempt(attempt.contact_seq, attempt.number),
        json: to_json(attempt)?,
        open: attempt.outcome.is_none(),
    })
}

impl PreparedAttempt {
    /// Stores it and puts it in, or takes it out of, the open index.
    fn put(&self, attempts: &TransactionalTree, open: &TransactionalTree) -> TxResult<()> {
        attempts.insert(self.key.as_slice(), self.json.as_slice())?;
        if self.open {
            open.insert(self.key.as_slice(), &[])?;
        } else {
            open.remove(self.key.as_slice())?;
        }
        Ok(())
    }
}

/// A caller asked for an attempt that does not fit its contact: a bug, reported.
fn mismatch(attempt: &Attempt, contact: &Contact) -> StoreError {
    StoreError::Backend(format!(
        "attempt {} of contact {}/{} does not fit contact {}/{} with {} attempts: an attempt \
         is written with its own contact, and begins as the contact's next one",
        attempt.number,
        attempt.campaign_id,
        attempt.contact_seq,
        contact.campaign_id,
        contact.seq,
        contact.attempts
    ))
}

impl CampaignTrees {
    pub fn begin_attempt(
        &self,
        expected: &Contact,
        attempt: &Attempt,
        delta: &StatsDelta,
    ) -> Result<bool, StoreError> {
        let keys = keys_for_write(&expected.campaign_id)?;
        if attempt.campaign_id != expected.campaign_id
            || attempt.contact_seq != expected.seq
            || Some(attempt.number) != expected.attempts.checked_add(1)
        {
            return Err(mismatch(attempt, expected));
        }
        if !number_part(&attempt.to) {
            return Err(refuse_number(&attempt.to));
        }
        let prepared = prepare_attempt(&keys, attempt)?;
        (
            &self.contacts,
            &self.due,
            &self.stats,
            &self.attempts,
            &self.open_attempts,
            &self.dial_log,
            &self.dial_log_by_time,
        )
            .transaction(
                |(contacts, due, stats, attempts, open, by_number, by_time)| {
                    let Some(mut contact) = expect_pending(contacts, &keys, expected)? else {
                        return Ok(false);
                    };
                    due.remove(keys.due(contact.due_at_ms, contact.seq))?;
                    contact.state = ContactState::Dialing;
                    contact.attempts = attempt.number;
                    contact.updated_at_ms = attempt.started_at_ms;
                    let json = to_json(&contact).map_err(abort)?;
                    contacts.insert(keys.contact(contact.seq), json)?;
                    prepared.put(attempts, open)?;
                    DialLogTx { by_number, by_time }.record(attempt)?;
                    add_to_stats(stats, &expected.campaign_id, delta)?;
                    Ok(true)
                },
            )
            .map_err(transaction_error)
    }

    pub fn update_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        let keys = keys_for_write(&attempt.campaign_id)?;
        let prepared = prepare_attempt(&keys, attempt)?;
        (&self.attempts, &self.open_attempts)
            .transaction(|(attempts, open)| prepared.put(attempts, open))
            .map_err(transaction_error)
    }

    /// Stores the attempt, replaces the contact (re-indexed as due if it is pending again),
    /// adds the counts and queues the webhooks.
    pub fn finish_attempt(
        &self,
        attempt: &Attempt,
        contact: &Contact,
        delta: &StatsDelta,
        webhooks: &[WebhookDelivery],
    ) -> Result<(), StoreError> {
        let keys = keys_for_write(&contact.campaign_id)?;
        if attempt.campaign_id != contact.campaign_id || attempt.contact_seq != contact.seq {
            return Err(mismatch(attempt, contact));
        }
        let prepared = prepare_attempt(&keys, attempt)?;
        let contact_json = to_json(contact)?;
        let contact_key = keys.contact(contact.seq);
        let webhooks = webhooks
            .iter()
            .map(prepare)
            .collect::<Result<Vec<_>, _>>()?;
        (
            &self.attempts,
            &self.open_attempts,
            &self.contacts,
            &self.due,
            &self.stats,
            &self.outbox,
            &self.outbox_due,
            &self.outbox_by_campaign,
        )
            .transaction(
                |(attempts, open, contacts, due, stats, deliveries, outbox_due, by_campaign)| {
                    prepared.put(attempts, open)?;
                    if let Some(old) =
                        contacts.insert(contact_key.as_slice(), contact_json.as_slice())?
                    {
                        let old = decode_contact(&old, &contact.campaign_id, contact.seq)
                            .map_err(abort)?;
                        if old.state == ContactState::Pending {
                            due.remove(keys.due(old.due_at_ms, old.seq))?;
                        }
                    }
                    if contact.state == ContactState::Pending {
                        due.insert(keys.due(contact.due_at_ms, contact.seq), &[])?;
                    }
                    add_to_stats(stats, &contact.campaign_id, delta)?;
                    let outbox = OutboxTx {
                        deliveries,
                        due: outbox_due,
                        by_campaign,
                    };
                    for webhook in &webhooks {
                        outbox.put(webhook)?;
                    }
                    Ok(())
                },
            )
            .map_err(transaction_error)
    }

    /// A contact's attempts, first to last.
    pub fn attempts(&self, campaign_id: &str, seq: u64) -> Result<Vec<Attempt>, StoreError> {
        let Some(keys) = CampaignKeys::new(campaign_id) else {
            return Ok(Vec::new());
        };
        self.attempts
            .scan_prefix(keys.contact(seq))
            .values()
            .map(|json| {
                from_json(&json.map_err(backend)?, || {
                    format!("attempt at contact {campaign_id}/{seq}")
                })
            })
            .collect()
    }

    /// Every attempt without an outcome, in campaign, contact and attempt order.
    pub fn open_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        let mut open = Vec::new();
        for key in self.open_attempts.iter().keys() {
            let key = key.map_err(backend)?;
            let what = || {
                let campaign = key.split(|&b| b == 0).next().unwrap_or_default();
                format!(
                    "open attempt of campaign {}",
                    String::from_utf8_lossy(campaign)
                )
            };
            let json =
                self.attempts.get(&key).map_err(backend)?.ok_or_else(|| {
                    corrupt(what(), "the index lists an attempt that is not stored")
                })?;
            let attempt: Attempt = from_json(&json, what)?;
            // A read racing a finish may see the index entry after the attempt closed.
            if attempt.outcome.is_none() {
                open.push(attempt);
            }
        }
        Ok(open)
    }
}
