//! Contact lists as tenants upload them: any bytes, read as CSV or as JSON Lines (the first
//! byte picks), must import into a report or fail with an error, never panic, and every
//! line read must be accounted for exactly once. The module sources are the campaigns
//! stage's own; the store is an in-memory one that keeps numbers only, to deduplicate as
//! the real one does.

#![no_main]

#[allow(dead_code, unused_imports, reason = "only the import is exercised")]
#[path = "../../../runtime/campaigns/src/import/mod.rs"]
mod import;

use std::collections::HashSet;
use std::sync::Mutex;

use huashu_store::campaigns::*;
use huashu_store::{Page, PageRequest, StoreError};
use libfuzzer_sys::fuzz_target;

/// Numbers the campaign has; every other method answers "nothing there".
#[derive(Default)]
struct Numbers(Mutex<HashSet<String>>);

impl CampaignStore for Numbers {
    fn add_contacts(
        &self,
        _: &str,
        batch: &[NewContact],
        _: u64,
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let mut numbers = self.0.lock().expect("numbers");
        let first = numbers.len() as u64;
        Ok(batch
            .iter()
            .enumerate()
            .map(|(i, c)| {
                numbers
                    .insert(c.number.clone())
                    .then_some(first + i as u64 + 1)
            })
            .collect())
    }
    fn dnc(&self, _: &DncScope, number: &str) -> Result<Option<DncEntry>, StoreError> {
        // Some numbers are listed, so the do-not-call path runs too.
        Ok(number.ends_with("000").then(|| DncEntry {
            scope: DncScope::Platform,
            number: number.to_owned(),
            reason: String::new(),
            source: DncSource::Api,
            call_id: None,
            added_at_ms: 0,
        }))
    }
    fn dials_since(&self, number: &str, _: u64) -> Result<u32, StoreError> {
        Ok(u32::from(number.ends_with('7')) * 5)
    }
    fn put_campaign(&self, _: &Campaign) -> Result<(), StoreError> {
        Ok(())
    }
    fn campaign(&self, _: &str, _: &str) -> Result<Option<Campaign>, StoreError> {
        Ok(None)
    }
    fn list_campaigns(&self, _: &str, _: &PageRequest) -> Result<Page<Campaign>, StoreError> {
        Ok(Page {
            items: Vec::new(),
            next: None,
        })
    }
    fn active_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        Ok(Vec::new())
    }
    fn campaign_stats(&self, _: &str) -> Result<CampaignStats, StoreError> {
        Ok(CampaignStats::default())
    }
    fn contact(&self, _: &str, _: u64) -> Result<Option<Contact>, StoreError> {
        Ok(None)
    }
    fn contacts(&self, _: &str, _: &PageRequest) -> Result<Page<Contact>, StoreError> {
        Ok(Page {
            items: Vec::new(),
            next: None,
        })
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
    fn prune_dial_log(&self, _: u64) -> Result<u64, StoreError> {
        Ok(0)
    }
    fn put_dnc(&self, _: &DncEntry) -> Result<(), StoreError> {
        Ok(())
    }
    fn put_dnc_batch(&self, _: &[DncEntry]) -> Result<(), StoreError> {
        Ok(())
    }
    fn delete_dnc(&self, _: &DncScope, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn list_dnc(&self, _: &DncScope, _: &PageRequest) -> Result<Page<DncEntry>, StoreError> {
        Ok(Page {
            items: Vec::new(),
            next: None,
        })
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
        Ok(Page {
            items: Vec::new(),
            next: None,
        })
    }
    fn erase_number(&self, _: &str, _: &str) -> Result<ContactErasure, StoreError> {
        Ok(ContactErasure::default())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let format = if pick & 1 == 0 {
        import::ImportFormat::Csv
    } else {
        import::ImportFormat::JsonLines
    };
    let campaign = Campaign::draft("cp_0123456789abcdef", "t_1", "Fuzz", "m", "trunk", 0);
    let rules = import::ImportRules {
        max_dials_per_number_per_day: 3,
        now_ms: 1_800_000_000_000,
    };
    let store = Numbers::default();
    if let Ok(report) = import::import_contacts(&store, &campaign, format, body, &rules) {
        assert_eq!(
            report.accepted + report.duplicate + report.invalid + report.do_not_call,
            report.lines,
            "{report:?}"
        );
        assert!(report.over_frequency_cap <= report.accepted, "{report:?}");
        assert!(report.problems.len() as u64 <= report.invalid, "{report:?}");
    }
});
