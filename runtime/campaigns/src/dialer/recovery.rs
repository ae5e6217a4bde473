//! After a restart: attempts the previous process counted but never finished. Each one's
//! call, if it got as far as one, was marked interrupted at start (or had ended and been
//! stored just before the crash): its outcome is read from that call, or is `interrupted`
//! when no call was placed, and the contact goes on by the campaign's retry rules. The
//! attempt stays counted either way, so no contact gets more attempts than its rules allow.

use huashu_store::StoreError;
use huashu_store::campaigns::{AttemptOutcome, ContactState};

use super::outcome::{CallResult, call_result};
use crate::Campaigns;

impl Campaigns {
    /// Finishes every open attempt; answers how many. Blocking; run before the first pass.
    pub(crate) fn recover_open_attempts(&self) -> Result<usize, StoreError> {
        let open = self.campaigns.open_attempts()?;
        let mut recovered = 0;
        for attempt in open {
            let Some(contact) = self
                .campaigns
                .contact(&attempt.campaign_id, attempt.contact_seq)?
            else {
                continue;
            };
            if contact.state != ContactState::Dialing {
                continue;
            }
            let result = match &attempt.call_id {
                Some(call_id) => match self.store.call(&attempt.tenant_id, call_id)? {
                    Some((summary, record)) => {
                        let mut result = call_result(&summary, &record);
                        result.outcome.get_or_insert(AttemptOutcome::Interrupted);
                        result
                    }
                    None => interrupted(),
                },
                None => interrupted(),
            };
            tracing::info!(
                campaign = %attempt.campaign_id, contact = attempt.contact_seq,
                attempt = attempt.number,
                outcome = result.outcome.map_or("interrupted", |o| o.as_str()),
                "finishing an attempt cut off by a restart"
            );
            let (tenant, campaign) = (attempt.tenant_id.clone(), attempt.campaign_id.clone());
            self.finish(&tenant, &campaign, contact, attempt, result)?;
            recovered += 1;
        }
        Ok(recovered)
    }
}

fn interrupted() -> CallResult {
    CallResult {
        outcome: Some(AttemptOutcome::Interrupted),
        ..CallResult::default()
    }
}
