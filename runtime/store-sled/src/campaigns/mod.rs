//! Outbound campaigns on sled: [`CampaignStore`] for [`SledStore`].
//!
//! | tree | key | value |
//! |---|---|---|
//! | `campaigns` | campaign id | JSON [`Campaign`] |
//! | `campaigns_newest_first` | tenant `\0` (`u64::MAX` − created ms) campaign id | empty |
//! | `campaigns_active` | campaign id, for running and paused campaigns only | empty |
//! | `campaign_stats` | campaign id | JSON [`CampaignStats`] |
//! | `campaign_next_seq` | campaign id | the last sequence number given, `u64` |
//! | `campaign_contacts` | campaign id `\0` seq | JSON [`Contact`] |
//! | `campaign_contact_numbers` | campaign id `\0` number | seq, `u64` |
//! | `campaign_contacts_due` | campaign id `\0` due ms, seq; pending contacts only | empty |
//! | `campaign_attempts` | campaign id `\0` seq, attempt number (`u32`) | JSON [`Attempt`] |
//! | `campaign_attempts_open` | same, for attempts without an outcome only | empty |
//! | `dial_log` | number `\0` dial ms, campaign id `\0` seq, attempt number | empty |
//! | `dial_log_by_time` | dial ms, number `\0` campaign id `\0` seq, attempt number | empty |
//! | `dnc` | scope (empty for the platform, else the tenant id) `\0` number | JSON [`DncEntry`] |
//! | `webhook_outbox` | delivery id | JSON [`WebhookDelivery`] |
//! | `webhook_outbox_due` | next try ms, delivery id; pending deliveries only | empty |
//! | `webhook_outbox_by_campaign` | tenant `\0` campaign id `\0` (`u64::MAX` − created ms) delivery id | empty |
//!
//! Numbers in keys are big-endian (see [`layout`]). Campaign ids are unique across
//! tenants, so the per-campaign trees need no tenant part; [`settings`] keeps them so.
//!
//! Every change that touches more than one tree is one sled transaction: a contact, its
//! due entry, its attempt, the open index, the dial log, the counts and the webhooks never
//! get out of step, whatever moment a crash picks. The parts return once their transaction
//! is applied; the [`CampaignStore`] methods below then make it durable the way every
//! write of this store is (`SledStore::durable`: disk-space check, group-committed flush)
//! before they return.
//!
//! - [`layout`] — key bytes.
//! - [`settings`] — campaigns, their listing and active index, their counts.
//! - [`contacts`] — importing, reading, the due index, deferring and closing contacts.
//! - [`attempts`] — beginning, updating and finishing attempts; the open ones.
//! - [`dial_log`] — the per-number dial log.
//! - [`dnc`] — do-not-call lists.
//! - [`outbox`] — the webhook outbox.
//! - [`erasure`] — erasing a customer's number from a tenant's campaigns.

mod attempts;
mod contacts;
mod dial_log;
mod dnc;
mod erasure;
mod layout;
mod outbox;
mod settings;

#[cfg(test)]
mod attempt_tests;
#[cfg(test)]
mod contact_tests;
#[cfg(test)]
mod erasure_tests;
#[cfg(test)]
mod test_support;

use crate::SledStore;
use crate::keys::backend;
use huashu_store::campaigns::{
    Attempt, Campaign, CampaignStats, CampaignStore, Contact, ContactErasure, ContactResult,
    DncEntry, DncScope, NewContact, StatsDelta, WebhookDelivery,
};
use huashu_store::{Page, PageRequest, StoreError};

/// The campaign trees (see the module docs for what each holds).
pub struct CampaignTrees {
    campaigns: sled::Tree,
    campaigns_newest_first: sled::Tree,
    active: sled::Tree,
    stats: sled::Tree,
    next_seq: sled::Tree,
    contacts: sled::Tree,
    contact_numbers: sled::Tree,
    due: sled::Tree,
    attempts: sled::Tree,
    open_attempts: sled::Tree,
    dial_log: sled::Tree,
    dial_log_by_time: sled::Tree,
    dnc: sled::Tree,
    outbox: sled::Tree,
    outbox_due: sled::Tree,
    outbox_by_campaign: sled::Tree,
}

impl CampaignTrees {
    /// Opens (creating if needed) the campaign trees of `db`.
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        Ok(Self {
            campaigns: tree("campaigns")?,
            campaigns_newest_first: tree("campaigns_newest_first")?,
            active: tree("campaigns_active")?,
            stats: tree("campaign_stats")?,
            next_seq: tree("campaign_next_seq")?,
            contacts: tree("campaign_contacts")?,
            contact_numbers: tree("campaign_contact_numbers")?,
            due: tree("campaign_contacts_due")?,
            attempts: tree("campaign_attempts")?,
            open_attempts: tree("campaign_attempts_open")?,
            dial_log: tree("dial_log")?,
            dial_log_by_time: tree("dial_log_by_time")?,
            dnc: tree("dnc")?,
            outbox: tree("webhook_outbox")?,
            outbox_due: tree("webhook_outbox_due")?,
            outbox_by_campaign: tree("webhook_outbox_by_campaign")?,
        })
    }
}

impl CampaignStore for SledStore {
    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        self.durable(|| self.campaigns.put_campaign(campaign))
    }

    fn campaign(&self, tenant_id: &str, campaign_id: &str) -> Result<Option<Campaign>, StoreError> {
        self.campaigns.campaign(tenant_id, campaign_id)
    }

    fn list_campaigns(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Campaign>, StoreError> {
        self.campaigns.list_campaigns(tenant_id, page)
    }

    fn active_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.campaigns.active_campaigns()
    }

    fn campaign_stats(&self, campaign_id: &str) -> Result<CampaignStats, StoreError> {
        self.campaigns.campaign_stats(campaign_id)
    }

    fn add_contacts(
        &self,
        campaign_id: &str,
        batch: &[NewContact],
        due_at_ms: u64,
    ) -> Result<Vec<Option<u64>>, StoreError> {
        self.durable(|| self.campaigns.add_contacts(campaign_id, batch, due_at_ms))
    }

    fn contact(&self, campaign_id: &str, seq: u64) -> Result<Option<Contact>, StoreError> {
        self.campaigns.contact(campaign_id, seq)
    }

    fn contacts(&self, campaign_id: &str, page: &PageRequest) -> Result<Page<Contact>, StoreError> {
        self.campaigns.list_contacts(campaign_id, page)
    }

    fn due_contacts(
        &self,
        campaign_id: &str,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        self.campaigns.due_contacts(campaign_id, now_ms, limit)
    }

    fn next_due_at(&self, campaign_id: &str) -> Result<Option<u64>, StoreError> {
        self.campaigns.next_due_at(campaign_id)
    }

    fn defer_contact(&self, contact: &Contact, due_at_ms: u64) -> Result<bool, StoreError> {
        self.durable(|| self.campaigns.defer_contact(contact, due_at_ms))
    }

    fn close_contact(
        &self,
        contact: &Contact,
        result: ContactResult,
        delta: &StatsDelta,
        webhooks: &[WebhookDelivery],
    ) -> Result<bool, StoreError> {
        self.durable(|| {
            self.campaigns
                .close_contact(contact, result, delta, webhooks)
        })
    }

    fn begin_attempt(
        &self,
        contact: &Contact,
        attempt: &Attempt,
        delta: &StatsDelta,
    ) -> Result<bool, StoreError> {
        self.durable(|| self.campaigns.begin_attempt(contact, attempt, delta))
    }

    fn update_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        self.durable(|| self.campaigns.update_attempt(attempt))
    }

    fn finish_attempt(
        &self,
        attempt: &Attempt,
        contact: &Contact,
        delta: &StatsDelta,
        webhooks: &[WebhookDelivery],
    ) -> Result<(), StoreError> {
        self.durable(|| {
            self.campaigns
                .finish_attempt(attempt, contact, delta, webhooks)
        })
    }

    fn attempts(&self, campaign_id: &str, seq: u64) -> Result<Vec<Attempt>, StoreError> {
        self.campaigns.attempts(campaign_id, seq)
    }

    fn open_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        self.campaigns.open_attempts()
    }

    fn dials_since(&self, number: &str, since_ms: u64) -> Result<u32, StoreError> {
        self.campaigns.dials_since(number, since_ms)
    }

    fn prune_dial_log(&self, before_ms: u64) -> Result<u64, StoreError> {
        self.durable(|| self.campaigns.prune_dial_log(before_ms))
    }

    fn put_dnc(&self, entry: &DncEntry) -> Result<(), StoreError> {
        self.durable(|| self.campaigns.put_dnc(std::slice::from_ref(entry)))
    }

    fn put_dnc_batch(&self, entries: &[DncEntry]) -> Result<(), StoreError> {
        self.durable(|| self.campaigns.put_dnc(entries))
    }

    fn dnc(&self, scope: &DncScope, number: &str) -> Result<Option<DncEntry>, StoreError> {
        self.campaigns.dnc(scope, number)
    }

    fn delete_dnc(&self, scope: &DncScope, number: &str) -> Result<bool, StoreError> {
        self.durable(|| self.campaigns.delete_dnc(scope, number))
    }

    fn list_dnc(&self, scope: &DncScope, page: &PageRequest) -> Result<Page<DncEntry>, StoreError> {
        self.campaigns.list_dnc(scope, page)
    }

    fn enqueue_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        self.durable(|| self.campaigns.put_webhook(delivery))
    }

    fn due_webhooks(&self, now_ms: u64, limit: usize) -> Result<Vec<WebhookDelivery>, StoreError> {
        self.campaigns.due_webhooks(now_ms, limit)
    }

    fn update_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        self.durable(|| self.campaigns.put_webhook(delivery))
    }

    fn campaign_webhooks(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        page: &PageRequest,
    ) -> Result<Page<WebhookDelivery>, StoreError> {
        self.campaigns
            .campaign_webhooks(tenant_id, campaign_id, page)
    }

    fn erase_number(&self, tenant_id: &str, number: &str) -> Result<ContactErasure, StoreError> {
        self.durable(|| self.campaigns.erase_number(tenant_id, number))
    }
}
