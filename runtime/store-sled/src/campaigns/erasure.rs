//! Erasing a customer's number from a tenant's campaigns: what
//! [`CampaignStore::erase_number`](huashu_store::campaigns::CampaignStore::erase_number)
//! does on sled.
//!
//! The tenant's campaigns come from its listing; in each, the number index names the
//! contact with the number, so no campaign's contacts are scanned. What the erasure
//! rewrites beside the contact (its attempts, and the campaign's webhook deliveries whose
//! body holds the number) is found by reads before the contact's transaction, which then
//! writes only if the contact is still byte for byte as read: every write that adds an
//! attempt or a delivery about a contact changes the contact in the same transaction, so
//! an unchanged contact means nothing about it was added meanwhile. If the dialler moved
//! it in between, the erasure reads again.
//!
//! A delivery stays erased: the outbox deliverer may have read one before the erasure and
//! write its try's result after it; [`erase_delivery`] is applied to that write too (see
//! [`OutboxTx::put`](super::outbox::OutboxTx::put)).
//!
//! The do-not-call lists and the dial log keep the number (see
//! [`ContactErasure`](huashu_store::campaigns::ContactErasure) for why).

use sled::{IVec, Transactional};

use super::CampaignTrees;
use super::contacts::decode_contact;
use super::layout::{CampaignKeys, U64_BYTES, bad_key, number_part, u64_at};
use super::outbox::{OutboxTx, prepare};
use super::settings::add_to_stats;
use crate::keys::{abort, backend, corrupt, from_json, tenant_name_key, tenant_prefix, to_json};
use crate::keys::{transaction_error, with_sep};
use huashu_store::StoreError;
use huashu_store::campaigns::{
    Attempt, Contact, ContactErasure, ContactResult, ContactState, ERASED_NUMBER,
    ERASED_WEBHOOK_BODY, ERASED_WEBHOOK_ERROR, StatsDelta, WebhookDelivery, WebhookState,
};

/// Times an erasure reads a contact again after the dialler changed it between the reads
/// and the write. The dialler changes a pending contact at most twice in a row before it
/// is dialling (deferred, then its attempt begun), and a dialling one is passed over; a
/// contact still changing after this many reads is being worked on, and is passed over
/// like a dialling one.
const MAX_READS: usize = 8;

/// What became of the contact with the number in one campaign.
enum Found {
    Erased,
    Dialing,
}

/// Clears what a contact says about its customer; its place and outcome stay.
fn erase_contact(contact: &mut Contact) {
    contact.number = ERASED_NUMBER.to_owned();
    contact.reference = None;
    contact.variables.clear();
    contact.time_zone = None;
    contact.disposition = None;
    contact.tags.clear();
    contact.fields.clear();
    // The recording went with the call, which the call erasure deletes.
    contact.has_recording = false;
}

/// Replaces an erased delivery's body and gives up on it if it was still to be sent.
pub fn erase_delivery(delivery: &mut WebhookDelivery) {
    delivery.body = ERASED_WEBHOOK_BODY.to_owned();
    if delivery.state == WebhookState::Pending {
        delivery.state = WebhookState::Failed;
        delivery.last_error = Some(ERASED_WEBHOOK_ERROR.to_owned());
    }
}

impl CampaignTrees {
    /// Erases `number` from each of the tenant's campaigns, a contact per transaction.
    pub fn erase_number(
        &self,
        tenant_id: &str,
        number: &str,
    ) -> Result<ContactErasure, StoreError> {
        let mut erasure = ContactErasure::default();
        // An id or number that cannot be a key part has nothing stored under it.
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(erasure);
        };
        if !number_part(number) {
            return Ok(erasure);
        }
        for key in self.campaigns_newest_first.scan_prefix(&prefix).keys() {
            let key = key.map_err(backend)?;
            let id = key
                .get(prefix.len() + U64_BYTES..)
                .and_then(|id| std::str::from_utf8(id).ok())
                .ok_or_else(|| bad_key("campaign listing", &key))?;
            match self.erase_from_campaign(tenant_id, id, number)? {
                Some(Found::Erased) => erasure.contacts_erased += 1,
                Some(Found::Dialing) => erasure.contacts_skipped_dialing += 1,
                None => {}
            }
        }
        Ok(erasure)
    }

    /// Erases the campaign's contact with `number`, if it has one and it is not being
    /// dialled.
    fn erase_from_campaign(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        number: &str,
    ) -> Result<Option<Found>, StoreError> {
        let Some(keys) = CampaignKeys::new(campaign_id) else {
            return Ok(None);
        };
        let number_key = keys.number(number);
        for _ in 0..MAX_READS {
            let Some(seq) = self.contact_numbers.get(&number_key).map_err(backend)? else {
                return Ok(None);
            };
            let seq = u64_at(&seq, 0).ok_or_else(|| bad_key("contact number", &number_key))?;
            let contact_key = keys.contact(seq);
            let Some(read) = self.contacts.get(&contact_key).map_err(backend)? else {
                return Err(corrupt(
                    "contact number index",
                    format!("it lists contact {campaign_id}/{seq}, which is not stored"),
                ));
            };
            let contact = decode_contact(&read, campaign_id, seq)?;
            if contact.state == ContactState::Dialing {
                return Ok(Some(Found::Dialing));
            }
            let attempts = self
                .attempts
                .scan_prefix(&contact_key)
                .keys()
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            let deliveries = self.deliveries_naming(tenant_id, campaign_id, number)?;
            let erased = ContactErasureTx {
                keys: &keys,
                contact_key: &contact_key,
                number_key: &number_key,
                read: &read,
                contact: &contact,
                number,
                attempts: &attempts,
                deliveries: &deliveries,
            };
            if self.apply(&erased)? {
                return Ok(Some(Found::Erased));
            }
        }
        Ok(Some(Found::Dialing))
    }

    /// The ids of the campaign's deliveries whose stored record holds `number`. The number
    /// (digits and `+`) is written the same inside the record's JSON as in the body, so the
    /// raw bytes are searched first and only those records are decoded; the transaction
    /// checks the body itself.
    fn deliveries_naming(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        number: &str,
    ) -> Result<Vec<IVec>, StoreError> {
        let Some(prefix) = tenant_name_key(tenant_id, campaign_id).map(with_sep) else {
            return Ok(Vec::new());
        };
        let needle = number.as_bytes();
        let mut ids = Vec::new();
        for key in self.outbox_by_campaign.scan_prefix(&prefix).keys() {
            let key = key.map_err(backend)?;
            let id = key
                .get(prefix.len() + U64_BYTES..)
                .ok_or_else(|| bad_key("campaign webhook", &key))?;
            let Some(json) = self.outbox.get(id).map_err(backend)? else {
                continue;
            };
            if json.windows(needle.len()).any(|w| w == needle) {
                ids.push(IVec::from(id));
            }
        }
        Ok(ids)
    }

    /// Writes one contact's erasure if the contact is still as read; answers whether it
    /// did.
    fn apply(&self, erasure: &ContactErasureTx<'_>) -> Result<bool, StoreError> {
        let ContactErasureTx {
            keys,
            contact_key,
            number_key,
            read,
            contact,
            number,
            attempts: attempt_keys,
            deliveries: delivery_ids,
        } = *erasure;
        let campaign_id = contact.campaign_id.as_str();
        (
            &self.contacts,
            &self.contact_numbers,
            &self.due,
            &self.stats,
            &self.attempts,
            &self.outbox,
            &self.outbox_due,
            &self.outbox_by_campaign,
        )
            .transaction(
                |(contacts, numbers, due, stats, attempts, deliveries, outbox_due, by_campaign)| {
                    if contacts.get(contact_key)?.as_ref() != Some(read) {
                        return Ok(false);
                    }
                    let mut erased = contact.clone();
                    if erased.state == ContactState::Pending {
                        due.remove(keys.due(erased.due_at_ms, erased.seq))?;
                        erased.state = ContactState::Done;
                        erased.result = Some(ContactResult::NotCalled);
                        let delta = StatsDelta {
                            pending: -1,
                            done: 1,
                            result: Some(ContactResult::NotCalled),
                            ..StatsDelta::default()
                        };
                        add_to_stats(stats, campaign_id, &delta)?;
                    }
                    erase_contact(&mut erased);
                    contacts.insert(contact_key, to_json(&erased).map_err(abort)?)?;
                    numbers.remove(number_key)?;

                    for key in attempt_keys.iter() {
                        let Some(json) = attempts.get(key)? else {
                            continue;
                        };
                        let what = || format!("attempt at contact {campaign_id}/{}", erased.seq);
                        let mut attempt: Attempt = from_json(&json, what).map_err(abort)?;
                        attempt.to = ERASED_NUMBER.to_owned();
                        // A failure's words may quote the number dialled.
                        attempt.error = attempt.error.map(|e| e.replace(number, ERASED_NUMBER));
                        attempts.insert(key, to_json(&attempt).map_err(abort)?)?;
                    }

                    let outbox = OutboxTx {
                        deliveries,
                        due: outbox_due,
                        by_campaign,
                    };
                    for id in delivery_ids.iter() {
                        let Some(json) = deliveries.get(id)? else {
                            continue;
                        };
                        let what = || format!("webhook delivery {}", String::from_utf8_lossy(id));
                        let mut delivery: WebhookDelivery =
                            from_json(&json, what).map_err(abort)?;
                        if delivery.body.contains(number) {
                            erase_delivery(&mut delivery);
                            outbox.put(&prepare(&delivery).map_err(abort)?)?;
                        }
                    }
                    Ok(true)
                },
            )
            .map_err(transaction_error)
    }
}

/// One contact's erasure, as read before its transaction.
#[derive(Clone, Copy)]
struct ContactErasureTx<'a> {
    keys: &'a CampaignKeys,
    contact_key: &'a [u8],
    number_key: &'a [u8],
    /// The contact's stored bytes when read: the transaction writes only if they are
    /// unchanged.
    read: &'a IVec,
    contact: &'a Contact,
    number: &'a str,
    /// The keys of the contact's attempts.
    attempts: &'a [IVec],
    /// The ids of the campaign's deliveries that may hold the number.
    deliveries: &'a [IVec],
}
