//! One pass of the dialler over the running campaigns: move campaigns that ended to their
//! final state, then fill each campaign's free capacity with its due contacts, highest
//! priority first. Blocking (every decision is a durable write); the attempts it counts
//! are handed back to be dialled on the async side.

use std::collections::HashMap;

use huashu_store::campaigns::{
    Attempt, Campaign, CampaignState, Contact, ContactResult, ContactState, DncScope, StatsDelta,
    WebhookEvent,
};
use huashu_store::secrets::{now_ms, random_id};
use huashu_store::{StoreError, Tenant};

use super::active::Pace;
use super::attempt::Dial;
use crate::Campaigns;
use crate::calendar::{Calendar, Opening};
use crate::webhooks::payload;

/// Due contacts read per free slot: some are deferred (their own time zone is outside its
/// window, their number is at its daily cap) or closed (do-not-call) instead of dialled, so
/// a few more than the free slots are read to fill them in one pass.
const READ_AHEAD: usize = 4;
/// A contact whose number reached the platform's daily cap is looked at again after this
/// long (the oldest of its counted dials leaves the 24-hour window some time in the next
/// day; an hour keeps the re-checks rare).
const CAPPED_DELAY_MS: u64 = 3_600_000;
/// A call is not started when its callee's calling window closes sooner than the ring
/// time plus this much: a call answered in the last seconds of the window would run past
/// it.
const WINDOW_MARGIN_MS: u64 = 60_000;

/// What the dialler remembers between passes.
#[derive(Default)]
pub(crate) struct RoundState {
    pub(crate) pace: Pace,
    /// Where the next pass starts among campaigns of equal priority, so idle capacity is
    /// shared between them.
    rotation: usize,
    /// Which caller ID each campaign presents next.
    caller_turn: HashMap<String, usize>,
}

impl Campaigns {
    /// One pass; answers the attempts to dial.
    pub(crate) fn round(&self, state: &mut RoundState) -> Result<Vec<Dial>, StoreError> {
        let now = now_ms();
        let mut running: Vec<Campaign> = self
            .campaigns
            .active_campaigns()?
            .into_iter()
            .filter(|c| c.state == CampaignState::Running)
            .collect();
        state.pace.retain(|id| running.iter().any(|c| c.id == id));
        // Highest priority first; equal priorities take turns at going first.
        running.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
        state.rotation = state.rotation.wrapping_add(1);
        rotate_within_priorities(&mut running, state.rotation);

        let mut dials = Vec::new();
        let mut tenants: HashMap<String, Option<Tenant>> = HashMap::new();
        for campaign in running {
            let Ok(calendar) = Calendar::new(&campaign.schedule, self.config.calling_hours) else {
                continue;
            };
            if calendar.has_ended(now) {
                self.end_campaign(
                    &campaign,
                    CampaignState::Expired,
                    "its end date passed",
                    now,
                )?;
                continue;
            }
            let stats = self.campaigns.campaign_stats(&campaign.id)?;
            let in_flight = self.active.count(&campaign.id);
            if stats.pending == 0 && stats.dialing == 0 && in_flight == 0 {
                self.end_campaign(
                    &campaign,
                    CampaignState::Completed,
                    "every contact is done",
                    now,
                )?;
                continue;
            }
            let tenant = tenants
                .entry(campaign.tenant_id.clone())
                .or_insert_with(|| self.store.tenant(&campaign.tenant_id).ok().flatten());
            let Some(tenant) = tenant.clone().filter(|t| !t.disabled) else {
                continue;
            };
            let tenant_room = tenant
                .quotas
                .max_concurrent_calls
                .saturating_sub(self.calls.live_calls(&tenant.id));
            let free = campaign
                .max_concurrent_calls
                .saturating_sub(in_flight)
                .min(tenant_room)
                .min(
                    state
                        .pace
                        .allowance(&campaign.id, now, campaign.max_calls_per_second),
                );
            if free == 0 {
                continue;
            }
            // Contacts in the campaign's own zone wait together: while its window is
            // closed none of them is touched.
            let campaign_open = matches!(calendar.next_opening(now, None), Opening::Now);
            let due = self
                .campaigns
                .due_contacts(&campaign.id, now, free as usize * READ_AHEAD)?;
            let mut placed = 0;
            for contact in due {
                if placed == free {
                    break;
                }
                if contact.time_zone.is_none() && !campaign_open {
                    continue;
                }
                if let Some(attempt) =
                    self.consider(&campaign, &calendar, contact.clone(), state, now)?
                {
                    let mut dialing = contact;
                    dialing.state = ContactState::Dialing;
                    dialing.attempts += 1;
                    state.pace.take(&campaign.id, now);
                    placed += 1;
                    dials.push(Dial {
                        guard: self.active.enter(&campaign.id),
                        campaign: campaign.clone(),
                        tenant: tenant.clone(),
                        contact: dialing,
                        attempt,
                    });
                }
            }
        }
        Ok(dials)
    }

    /// Whether `contact` is dialled now: inside its window, not on a do-not-call list, under
    /// its number's daily cap. Counts the attempt (durably) and answers it, or defers or
    /// closes the contact and answers `None`.
    fn consider(
        &self,
        campaign: &Campaign,
        calendar: &Calendar,
        contact: Contact,
        state: &mut RoundState,
        now: u64,
    ) -> Result<Option<Attempt>, StoreError> {
        let zone = contact.time_zone.as_deref();
        match calendar.next_opening(now, zone) {
            Opening::Now => {
                let closes = calendar.open_until(now, zone).unwrap_or(u64::MAX);
                let needed = u64::from(campaign.ring_timeout_secs) * 1000 + WINDOW_MARGIN_MS;
                if closes.saturating_sub(now) < needed {
                    let reopen = match calendar.next_opening(closes, zone) {
                        Opening::At(t) => t,
                        Opening::Now => closes,
                        Opening::Never => {
                            return self
                                .close(campaign, &contact, ContactResult::NotCalled, now)
                                .map(|_| None);
                        }
                    };
                    self.campaigns.defer_contact(&contact, reopen)?;
                    return Ok(None);
                }
            }
            Opening::At(t) => {
                self.campaigns.defer_contact(&contact, t)?;
                return Ok(None);
            }
            Opening::Never => {
                self.close(campaign, &contact, ContactResult::NotCalled, now)?;
                return Ok(None);
            }
        }
        let tenant_scope = DncScope::Tenant(campaign.tenant_id.clone());
        if self
            .campaigns
            .dnc(&DncScope::Platform, &contact.number)?
            .is_some()
            || self
                .campaigns
                .dnc(&tenant_scope, &contact.number)?
                .is_some()
        {
            self.close(campaign, &contact, ContactResult::DoNotCall, now)?;
            return Ok(None);
        }
        let day_ago = now.saturating_sub(24 * 3_600_000);
        if self.campaigns.dials_since(&contact.number, day_ago)?
            >= self.config.max_dials_per_number_per_day
        {
            self.campaigns
                .defer_contact(&contact, now + CAPPED_DELAY_MS)?;
            return Ok(None);
        }
        let Some(from) = self.caller_id(campaign, state)? else {
            return Ok(None);
        };
        let attempt = Attempt {
            campaign_id: campaign.id.clone(),
            tenant_id: campaign.tenant_id.clone(),
            contact_seq: contact.seq,
            number: contact.attempts + 1,
            to: contact.number.clone(),
            from,
            call_id: None,
            started_at_ms: now,
            ended_at_ms: None,
            outcome: None,
            sip_code: None,
            error: None,
            talk_secs: None,
        };
        let delta = StatsDelta {
            pending: -1,
            dialing: 1,
            attempts: 1,
            ..StatsDelta::default()
        };
        Ok(self
            .campaigns
            .begin_attempt(&contact, &attempt, &delta)?
            .then_some(attempt))
    }

    /// The caller ID the campaign's next call presents: its own list in turn, or the
    /// trunk's pool in turn.
    fn caller_id(
        &self,
        campaign: &Campaign,
        state: &mut RoundState,
    ) -> Result<Option<String>, StoreError> {
        let pool = if campaign.caller_ids.is_empty() {
            match self.store.trunk(&campaign.trunk)? {
                Some(trunk) => trunk.caller_ids,
                None => Vec::new(),
            }
        } else {
            campaign.caller_ids.clone()
        };
        if pool.is_empty() {
            return Ok(None);
        }
        let turn = state.caller_turn.entry(campaign.id.clone()).or_insert(0);
        let from = pool[*turn % pool.len()].clone();
        *turn = turn.wrapping_add(1);
        Ok(Some(from))
    }

    /// Finishes a pending contact without dialling it.
    fn close(
        &self,
        campaign: &Campaign,
        contact: &Contact,
        result: ContactResult,
        now: u64,
    ) -> Result<bool, StoreError> {
        let delta = StatsDelta {
            pending: -1,
            done: 1,
            result: Some(result),
            ..StatsDelta::default()
        };
        let mut done = contact.clone();
        done.state = ContactState::Done;
        done.result = Some(result);
        done.updated_at_ms = now;
        let mut webhooks = Vec::new();
        if campaign.webhook.is_some() {
            let id = random_id("wh_", 8)?;
            let body = payload::contact_finished(campaign, &done, &[], &id, now);
            webhooks.push(payload::new_delivery(
                campaign,
                WebhookEvent::ContactFinished,
                body,
                id,
                now,
            ));
        }
        let closed = self
            .campaigns
            .close_contact(contact, result, &delta, &webhooks)?;
        if closed && !webhooks.is_empty() {
            self.outbox_wake.notify_one();
        }
        Ok(closed)
    }

    /// Moves a running campaign to a final state with the reason.
    fn end_campaign(
        &self,
        campaign: &Campaign,
        to: CampaignState,
        reason: &str,
        now: u64,
    ) -> Result<(), StoreError> {
        let Some(mut stored) = self.campaigns.campaign(&campaign.tenant_id, &campaign.id)? else {
            return Ok(());
        };
        if stored.state != CampaignState::Running {
            return Ok(());
        }
        stored.state = to;
        stored.state_reason = Some(reason.to_owned());
        stored.finished_at_ms = Some(now);
        stored.updated_at_ms = now;
        self.campaigns.put_campaign(&stored)?;
        tracing::info!(
            tenant = %campaign.tenant_id, campaign = %campaign.id,
            state = to.as_str(), reason, "campaign ended"
        );
        Ok(())
    }
}

/// Rotates each run of equal priorities in `campaigns` (sorted by priority) by `turn`.
fn rotate_within_priorities(campaigns: &mut [Campaign], turn: usize) {
    let mut start = 0;
    while start < campaigns.len() {
        let priority = campaigns[start].priority;
        let end = campaigns[start..]
            .iter()
            .position(|c| c.priority != priority)
            .map_or(campaigns.len(), |n| start + n);
        let run = &mut campaigns[start..end];
        let len = run.len();
        run.rotate_left(turn % len);
        start = end;
    }
}
