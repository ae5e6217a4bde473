//! One attempt from dial to result: place the call, wait for it to end, and store what it
//! came to with the contact's next step, the campaign's counts and the webhooks, in one
//! write. An attempt the trunk or quota had no room for was never dialled: it is taken
//! back, not counted.

use std::sync::Arc;
use std::time::Duration;

use huashu_calls::{CallError, DialError, DialRequest, NewCall};
use huashu_contract::{Channel, Direction};
use huashu_store::campaigns::{
    Attempt, AttemptOutcome, Campaign, CampaignState, Contact, ContactState, DncEntry, DncScope,
    DncSource, StatsDelta, WebhookEvent,
};
use huashu_store::secrets::{now_ms, random_id};
use huashu_store::{StoreError, Tenant};

use super::active::ActiveGuard;
use super::outcome::{CallResult, call_result};
use crate::Campaigns;
use crate::retry::{Next, after_attempt, result_of};
use crate::webhooks::payload;

/// How long a contact waits when its attempt found no room (trunk, quota) before it is
/// due again: long enough not to spin, short enough that capacity is not left idle.
const NO_ROOM_DELAY_MS: u64 = 2_000;

/// An attempt counted and about to be dialled.
pub(crate) struct Dial {
    pub(crate) campaign: Campaign,
    pub(crate) tenant: Tenant,
    /// The contact as stored by `begin_attempt`: dialling, its attempt counted.
    pub(crate) contact: Contact,
    pub(crate) attempt: Attempt,
    pub(crate) guard: ActiveGuard,
}

impl Campaigns {
    /// Dials, waits and records one attempt. Runs as its own task.
    pub(crate) async fn run_attempt(self: Arc<Self>, dial: Dial) {
        let Dial {
            campaign,
            tenant,
            contact,
            mut attempt,
            guard,
        } = dial;
        let call = NewCall {
            module: campaign.module.clone(),
            version: campaign.module_version,
            variables: contact.variables.clone(),
            channel: Channel::Sip,
            direction: Direction::Outbound,
            caller: attempt.from.clone(),
            callee: attempt.to.clone(),
            campaign_id: Some(campaign.id.clone()),
        };
        let request = DialRequest {
            to: attempt.to.clone(),
            trunk: campaign.trunk.clone(),
            from: Some(attempt.from.clone()),
            ring_timeout: Duration::from_secs(campaign.ring_timeout_secs.into()),
        };
        let placed = self.calls.place_call(&tenant, call, request).await;
        let result = match placed {
            Ok(created) => {
                self.calls
                    .metrics()
                    .campaign_dialed(&tenant.id, &campaign.id);
                attempt.call_id = Some(created.call_id.clone());
                let write = {
                    let (store, attempt) = (self.campaigns.clone(), attempt.clone());
                    tokio::task::spawn_blocking(move || store.update_attempt(&attempt)).await
                };
                if !matches!(write, Ok(Ok(()))) {
                    tracing::warn!(call_id = %created.call_id, "could not note the attempt's call id");
                }
                let (summary, record) = self
                    .endings
                    .wait(self.calls.store(), &tenant.id, &created.call_id)
                    .await;
                let result = call_result(&summary, &record);
                self.calls.metrics().campaign_attempt_ended(
                    &tenant.id,
                    &campaign.id,
                    result.outcome == Some(AttemptOutcome::Answered),
                );
                result
            }
            Err(error) => match not_dialled(&error) {
                Some(pause) => {
                    let this = self.clone();
                    let why = error.to_string();
                    let _ = tokio::task::spawn_blocking(move || {
                        this.take_back(&campaign, contact, attempt, &why, pause)
                    })
                    .await;
                    drop(guard);
                    return;
                }
                None => {
                    attempt.error = Some(error.to_string());
                    CallResult {
                        outcome: Some(AttemptOutcome::Failed),
                        ..CallResult::default()
                    }
                }
            },
        };
        let this = self.clone();
        let finished = tokio::task::spawn_blocking(move || {
            this.finish(&campaign.tenant_id, &campaign.id, contact, attempt, result)
        })
        .await;
        match finished {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "recording a campaign attempt failed"),
            Err(error) => tracing::error!(%error, "recording a campaign attempt panicked"),
        }
        drop(guard);
        self.wake.notify_one();
    }

    /// Stores what an attempt came to: its outcome, the contact's next step by the
    /// campaign's retry rules, the counts, the webhooks, and the callee's opt-out.
    /// Blocking.
    pub(crate) fn finish(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        mut contact: Contact,
        mut attempt: Attempt,
        result: CallResult,
    ) -> Result<(), StoreError> {
        let campaign = self
            .campaigns
            .campaign(tenant_id, campaign_id)?
            .ok_or_else(|| StoreError::Backend(format!("campaign {campaign_id} vanished")))?;
        let now = now_ms();
        let outcome = result.outcome.unwrap_or(AttemptOutcome::Interrupted);
        attempt.outcome = Some(outcome);
        attempt.ended_at_ms = Some(now);
        attempt.sip_code = result.sip_code;
        attempt.talk_secs = result.talk_secs;

        let mut history: Vec<AttemptOutcome> = self
            .campaigns
            .attempts(campaign_id, contact.seq)?
            .into_iter()
            .filter(|a| a.number < attempt.number)
            .filter_map(|a| a.outcome)
            .collect();
        history.push(outcome);
        let next = after_attempt(&campaign, &history, now);

        contact.last_call_id = attempt.call_id.clone().or(contact.last_call_id);
        contact.last_outcome = Some(outcome);
        contact.updated_at_ms = now;
        let answered = outcome == AttemptOutcome::Answered;
        let mut delta = StatsDelta {
            dialing: -1,
            outcome: Some(outcome),
            ..StatsDelta::default()
        };
        if answered {
            let script = &result.script;
            contact.intent = script.intent.map(|i| i.to_string());
            contact.disposition = script.disposition.clone();
            contact.tags = script.tags.clone();
            contact.fields = script.fields.clone();
            contact.has_recording = result.has_recording;
            delta.answered = 1;
            delta.intent = contact.intent.clone();
            delta.transfers = i64::from(result.transferred);
            delta.opted_out = i64::from(script.opted_out);
            delta.talk_secs = result.talk_secs.map_or(0, |s| s as i64);
        }
        match next {
            Next::RetryAt(due) if !campaign.state.is_final() => {
                contact.state = ContactState::Pending;
                contact.due_at_ms = due;
                delta.pending = 1;
            }
            Next::RetryAt(_) => {
                // The campaign ended meanwhile: no retry will come.
                contact.state = ContactState::Done;
                contact.result = Some(result_of(outcome));
                delta.done = 1;
                delta.result = contact.result;
            }
            Next::Done(result) => {
                contact.state = ContactState::Done;
                contact.result = Some(result);
                delta.done = 1;
                delta.result = Some(result);
            }
        }
        let mut webhooks = Vec::new();
        if let Some(hook) = &campaign.webhook {
            if hook.per_call {
                let id = random_id("wh_", 8)?;
                let body = payload::call_ended(&campaign, &contact, &attempt, &id, now);
                webhooks.push(payload::new_delivery(
                    &campaign,
                    WebhookEvent::CallEnded,
                    body,
                    id,
                    now,
                ));
            }
            if contact.state == ContactState::Done {
                let mut attempts = self.campaigns.attempts(campaign_id, contact.seq)?;
                attempts.retain(|a| a.number < attempt.number);
                attempts.push(attempt.clone());
                let id = random_id("wh_", 8)?;
                let body = payload::contact_finished(&campaign, &contact, &attempts, &id, now);
                webhooks.push(payload::new_delivery(
                    &campaign,
                    WebhookEvent::ContactFinished,
                    body,
                    id,
                    now,
                ));
            }
        }
        self.campaigns
            .finish_attempt(&attempt, &contact, &delta, &webhooks)?;
        if answered && result.script.opted_out {
            self.campaigns.put_dnc(&DncEntry {
                scope: DncScope::Tenant(tenant_id.to_owned()),
                number: contact.number.clone(),
                reason: result.script.opt_out_reason.clone().unwrap_or_default(),
                source: DncSource::Script,
                call_id: attempt.call_id.clone(),
                added_at_ms: now,
            })?;
        }
        if !webhooks.is_empty() {
            self.outbox_wake.notify_one();
        }
        tracing::info!(
            tenant = %tenant_id, campaign = %campaign_id, contact = contact.seq,
            attempt = attempt.number, outcome = outcome.as_str(),
            call_id = attempt.call_id.as_deref().unwrap_or(""), "campaign attempt ended"
        );
        Ok(())
    }

    /// An attempt that was never dialled (no room on the trunk or in the quota, or the
    /// campaign cannot run): the contact is pending again with its attempts as before;
    /// when `pause` says so, the campaign is paused with the reason. Blocking.
    fn take_back(
        &self,
        campaign: &Campaign,
        mut contact: Contact,
        mut attempt: Attempt,
        why: &str,
        pause: Pause,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        attempt.outcome = Some(AttemptOutcome::Failed);
        attempt.ended_at_ms = Some(now);
        attempt.error = Some(format!("not dialled: {why}"));
        contact.state = ContactState::Pending;
        contact.attempts = contact.attempts.saturating_sub(1);
        contact.due_at_ms = now + NO_ROOM_DELAY_MS;
        contact.updated_at_ms = now;
        let delta = StatsDelta {
            dialing: -1,
            pending: 1,
            attempts: -1,
            ..StatsDelta::default()
        };
        self.campaigns
            .finish_attempt(&attempt, &contact, &delta, &[])?;
        if pause == Pause::Campaign
            && let Some(mut stored) = self.campaigns.campaign(&campaign.tenant_id, &campaign.id)?
            && stored.state == CampaignState::Running
        {
            stored.state = CampaignState::Paused;
            stored.state_reason = Some(format!("paused by the server: {why}"));
            stored.updated_at_ms = now;
            self.campaigns.put_campaign(&stored)?;
            tracing::warn!(
                tenant = %campaign.tenant_id, campaign = %campaign.id, reason = why,
                "campaign paused: its calls cannot be placed"
            );
        }
        Ok(())
    }
}

/// Whether a call that could not be placed was never dialled, and whether its campaign
/// should stop until the tenant fixes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pause {
    /// Only this attempt: try the contact again shortly.
    No,
    /// Every call of the campaign would fail the same way.
    Campaign,
}

fn not_dialled(error: &CallError) -> Option<Pause> {
    match error {
        CallError::QuotaExceeded { .. }
        | CallError::ShuttingDown
        | CallError::Dial(DialError::TrunkBusy { .. } | DialError::TrunkRateLimited { .. }) => {
            Some(Pause::No)
        }
        CallError::ModuleNotFound(_)
        | CallError::VersionNotFound { .. }
        | CallError::TenantDisabled
        | CallError::Load(_)
        | CallError::Dial(
            DialError::Unavailable
            | DialError::NoSuchTrunk(_)
            | DialError::CallerIdNotInPool { .. }
            | DialError::NoCallerId(_),
        ) => Some(Pause::Campaign),
        _ => None,
    }
}
