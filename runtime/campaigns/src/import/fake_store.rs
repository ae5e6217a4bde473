//! An in-memory [`CampaignStore`] for the import driver's tests: contacts, do-not-call
//! entries and dial counts are kept; everything else answers empty.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use huashu_store::campaigns::{
    Attempt, Campaign, CampaignStats, CampaignStore, Contact, ContactErasure, ContactResult,
    DncEntry, DncScope, DncSource, NewContact, StatsDelta, WebhookDelivery,
};
use huashu_store::{Page, PageRequest, StoreError};

use super::DAY_MS;
use super::tests::NOW;

/// Only what an import uses is kept; the rest answers empty.
#[derive(Default)]
pub(super) struct FakeStore {
    pub state: Mutex<FakeState>,
}

#[derive(Default)]
pub(super) struct FakeState {
    /// Per campaign: the contacts added, in order.
    pub contacts: HashMap<String, Vec<NewContact>>,
    pub dnc: HashSet<(DncScope, String)>,
    pub dials: HashMap<String, u32>,
    pub add_calls: usize,
    pub fail_adds: bool,
}

impl FakeStore {
    pub fn with(f: impl FnOnce(&mut FakeState)) -> Self {
        let store = Self::default();
        f(&mut store.state.lock().expect("not poisoned"));
        store
    }

    pub fn numbers(&self, campaign_id: &str) -> Vec<String> {
        let state = self.state.lock().expect("not poisoned");
        state
            .contacts
            .get(campaign_id)
            .map(|c| c.iter().map(|c| c.number.clone()).collect())
            .unwrap_or_default()
    }
}

fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next: None,
    }
}

impl CampaignStore for FakeStore {
    fn put_campaign(&self, _: &Campaign) -> Result<(), StoreError> {
        Ok(())
    }
    fn campaign(&self, _: &str, _: &str) -> Result<Option<Campaign>, StoreError> {
        Ok(None)
    }
    fn list_campaigns(&self, _: &str, _: &PageRequest) -> Result<Page<Campaign>, StoreError> {
        Ok(empty_page())
    }
    fn active_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        Ok(Vec::new())
    }
    fn campaign_stats(&self, _: &str) -> Result<CampaignStats, StoreError> {
        Ok(CampaignStats::default())
    }
    fn add_contacts(
        &self,
        campaign_id: &str,
        batch: &[NewContact],
        _: u64,
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let mut state = self.state.lock().expect("not poisoned");
        if state.fail_adds {
            return Err(StoreError::NoSpace("0 bytes left".into()));
        }
        state.add_calls += 1;
        let contacts = state.contacts.entry(campaign_id.to_owned()).or_default();
        Ok(batch
            .iter()
            .map(|new| {
                if contacts.iter().any(|c| c.number == new.number) {
                    None
                } else {
                    contacts.push(new.clone());
                    Some(contacts.len() as u64)
                }
            })
            .collect())
    }
    fn contact(&self, _: &str, _: u64) -> Result<Option<Contact>, StoreError> {
        Ok(None)
    }
    fn contacts(&self, _: &str, _: &PageRequest) -> Result<Page<Contact>, StoreError> {
        Ok(empty_page())
    }
    fn due_contacts(&self, _: &str, _: u64, _: usize) -> Result<Vec<Contact>, StoreError> {
        Ok(Vec::new())
    }
    fn next_due_at(&self, _: &str) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
    fn defer_contact(&self, _: &Contact, _: u64) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn close_contact(
        &self,
        _: &Contact,
        _: ContactResult,
        _: &StatsDelta,
        _: &[WebhookDelivery],
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn begin_attempt(&self, _: &Contact, _: &Attempt, _: &StatsDelta) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn update_attempt(&self, _: &Attempt) -> Result<(), StoreError> {
        Ok(())
    }
    fn finish_attempt(
        &self,
        _: &Attempt,
        _: &Contact,
        _: &StatsDelta,
        _: &[WebhookDelivery],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    fn attempts(&self, _: &str, _: u64) -> Result<Vec<Attempt>, StoreError> {
        Ok(Vec::new())
    }
    fn open_attempts(&self) -> Result<Vec<Attempt>, StoreError> {
        Ok(Vec::new())
    }
    fn dials_since(&self, number: &str, since_ms: u64) -> Result<u32, StoreError> {
        assert_eq!(since_ms, NOW - DAY_MS, "the cap looks back 24 hours");
        let state = self.state.lock().expect("not poisoned");
        Ok(state.dials.get(number).copied().unwrap_or(0))
    }
    fn prune_dial_log(&self, _: u64) -> Result<u64, StoreError> {
        Ok(0)
    }
    fn put_dnc(&self, _: &DncEntry) -> Result<(), StoreError> {
        Ok(())
    }
    fn put_dnc_batch(&self, _: &[DncEntry]) -> Result<(), StoreError> {
        Ok(())
    }
    fn dnc(&self, scope: &DncScope, number: &str) -> Result<Option<DncEntry>, StoreError> {
        let state = self.state.lock().expect("not poisoned");
        Ok(state
            .dnc
            .contains(&(scope.clone(), number.to_owned()))
            .then(|| DncEntry {
                scope: scope.clone(),
                number: number.to_owned(),
                reason: String::new(),
                source: DncSource::Api,
                call_id: None,
                added_at_ms: 0,
            }))
    }
    fn delete_dnc(&self, _: &DncScope, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn list_dnc(&self, _: &DncScope, _: &PageRequest) -> Result<Page<DncEntry>, StoreError> {
        Ok(empty_page())
    }
    fn enqueue_webhook(&self, _: &WebhookDelivery) -> Result<(), StoreError> {
        Ok(())
    }
    fn due_webhooks(&self, _: u64, _: usize) -> Result<Vec<WebhookDelivery>, StoreError> {
        Ok(Vec::new())
    }
    fn update_webhook(&self, _: &WebhookDelivery) -> Result<(), StoreError> {
        Ok(())
    }
    fn campaign_webhooks(
        &self,
        _: &str,
        _: &str,
        _: &PageRequest,
    ) -> Result<Page<WebhookDelivery>, StoreError> {
        Ok(empty_page())
    }
    fn erase_number(&self, _: &str, _: &str) -> Result<ContactErasure, StoreError> {
        Ok(ContactErasure::default())
    }
}
