//! An in-memory [`CampaignStore`] for the outbox's tests: campaigns and the webhook outbox
//! kept in maps, and every outbox write announced on a channel so a test can wait for
//! it. The dialling half of the trait is not used by the outbox and panics if called.

use std::collections::HashMap;
use std::sync::Mutex;

use huashu_store::campaigns::{
    Attempt, Campaign, CampaignStats, CampaignStore, Contact, ContactErasure, ContactResult,
    DncEntry, DncScope, NewContact, StatsDelta, WebhookDelivery, WebhookState,
};
use huashu_store::{Page, PageRequest, StoreError};
use tokio::sync::mpsc;

#[derive(Default)]
struct State {
    campaigns: HashMap<(String, String), Campaign>,
    webhooks: HashMap<String, WebhookDelivery>,
    writes: Option<mpsc::UnboundedSender<WebhookDelivery>>,
}

/// Campaigns and deliveries in memory.
#[derive(Default)]
pub(super) struct MemoryOutbox {
    state: Mutex<State>,
}

impl MemoryOutbox {
    /// A store whose every `update_webhook` is also sent on the returned channel.
    pub(super) fn watched() -> (Self, mpsc::UnboundedReceiver<WebhookDelivery>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let store = Self::default();
        store.lock().writes = Some(tx);
        (store, rx)
    }

    /// The delivery with this id, as stored now.
    pub(super) fn delivery(&self, id: &str) -> WebhookDelivery {
        self.lock()
            .webhooks
            .get(id)
            .cloned()
            .expect("the test queued this delivery")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("no test thread panicked holding the store")
    }
}

fn not_used<T>() -> T {
    unimplemented!("the outbox does not dial")
}

impl CampaignStore for MemoryOutbox {
    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        self.lock().campaigns.insert(
            (campaign.tenant_id.clone(), campaign.id.clone()),
            campaign.clone(),
        );
        Ok(())
    }

    fn campaign(&self, tenant_id: &str, campaign_id: &str) -> Result<Option<Campaign>, StoreError> {
        Ok(self
            .lock()
            .campaigns
            .get(&(tenant_id.to_owned(), campaign_id.to_owned()))
            .cloned())
    }

    fn list_campaigns(&self, _: &str, _: &PageRequest) -> Result<Page<Campaign>, StoreError> {
        not_used()
    }

    fn active_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        not_used()
    }

    fn campaign_stats(&self, _: &str) -> Result<CampaignStats, StoreError> {
        not_used()
    }

    fn add_contacts(
        &self,
        _: &str,
        _: &[NewContact],
        _: u64,
    ) -> Result<Vec<Option<u64>>, StoreError> {
        not_used()
    }

    fn contact(&self, _: &str, _: u64) -> Result<Option<Contact>, StoreError> {
        not_used()
    }

    fn contacts(&self, _: &str, _: &PageRequest) -> Result<Page<Contact>, StoreError> {
        not_used()
    }

    fn due_contacts(&self, _: &str, _: u64, _: usize) -> Result<Vec<Contact>, StoreError> {
        not_used()
    }

    fn next_due_at(&self, _: &str) -> Result<Option<u64>, StoreError> {
        not_used()
    }

    fn defer_contact(&self, _: &Contact, _: u64) -> Result<bool, StoreError> {
        not_used()
    }

    fn close_contact(
        &self,
        _: &Contact,
        _: ContactResult,
        _: &StatsDelta,
        _: &[WebhookDelivery],
    ) -> Result<bool, StoreError> {
        not_used()
    }

    fn begin_attempt(&self, _: &Contact, _: &Attempt, _: &StatsDelta) -> Result<bool, StoreError> {
        not_used()
    }

    fn update_attempt(&self, _: &Attempt) -> Result<(), StoreError> {
        not_used()
    }

    fn finish_attempt(
        &self,
        _: &Attempt,
        _: &Contact,
        _: &StatsDelta,
        _: &[WebhookDelivery],
    ) -> Result<(), StoreError> {
        not_used()
    }

    fn attempts(&self, _: &str, _: u64) -> Result<Vec<Attempt>, StoreError> {
        not_used()
    }

    fn open_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        not_used()
    }

    fn dials_since(&self, _: &str, _: u64) -> Result<u32, StoreError> {
        not_used()
    }

    fn prune_dial_log(&self, _: u64) -> Result<u64, StoreError> {
        not_used()
    }

    fn put_dnc(&self, _: &DncEntry) -> Result<(), StoreError> {
        not_used()
    }

    fn put_dnc_batch(&self, _: &[DncEntry]) -> Result<(), StoreError> {
        not_used()
    }

    fn dnc(&self, _: &DncScope, _: &str) -> Result<Option<DncEntry>, StoreError> {
        not_used()
    }

    fn delete_dnc(&self, _: &DncScope, _: &str) -> Result<bool, StoreError> {
        not_used()
    }

    fn list_dnc(&self, _: &DncScope, _: &PageRequest) -> Result<Page<DncEntry>, StoreError> {
        not_used()
    }

    fn enqueue_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        self.lock()
            .webhooks
            .insert(delivery.id.clone(), delivery.clone());
        Ok(())
    }

    fn due_webhooks(&self, now_ms: u64, limit: usize) -> Result<Vec<WebhookDelivery>, StoreError> {
        let mut due: Vec<WebhookDelivery> = self
            .lock()
            .webhooks
            .values()
            .filter(|d| d.state == WebhookState::Pending && d.next_try_at_ms <= now_ms)
            .cloned()
            .collect();
        due.sort_by(|a, b| (a.next_try_at_ms, &a.id).cmp(&(b.next_try_at_ms, &b.id)));
        due.truncate(limit);
        Ok(due)
    }

    fn update_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.webhooks.insert(delivery.id.clone(), delivery.clone());
        if let Some(writes) = &state.writes {
            // A test that stopped listening no longer cares.
            let _ = writes.send(delivery.clone());
        }
        Ok(())
    }

    fn campaign_webhooks(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        _: &PageRequest,
    ) -> Result<Page<WebhookDelivery>, StoreError> {
        let mut items: Vec<WebhookDelivery> = self
            .lock()
            .webhooks
            .values()
            .filter(|d| d.tenant_id == tenant_id && d.campaign_id == campaign_id)
            .cloned()
            .collect();
        items.sort_by_key(|d| std::cmp::Reverse(d.created_at_ms));
        Ok(Page { items, next: None })
    }

    fn erase_number(&self, _: &str, _: &str) -> Result<ContactErasure, StoreError> {
        not_used()
    }
}
