//! Callees who opt out on a telephone call no campaign placed (a call placed over the API,
//! a call to a routed number): the customer's number goes on the tenant's do-not-call
//! list, as a campaign attempt's does in its own finishing write. Calls without a
//! telephone number (console, Twilio streams) have nobody to list.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::Campaigns;
use huashu_store::campaigns::{DncEntry, DncScope, DncSource};
use huashu_store::secrets::now_ms;
use huashu_store::{CallSummary, normalize_e164};

impl Campaigns {
    /// Lists every opting-out customer of a telephone call that no campaign placed, until
    /// the call service goes away.
    pub(crate) fn listen_for_opt_outs(self: &Arc<Self>) {
        let mut ended = self.calls.subscribe_ended();
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                match ended.recv().await {
                    Ok(summary) if summary.opted_out && summary.campaign_id.is_none() => {
                        let Some(number) = customer_number(&summary) else {
                            continue;
                        };
                        let this = this.clone();
                        let listed = tokio::task::spawn_blocking(move || {
                            this.list_opt_out(&summary, number)
                        })
                        .await;
                        if !matches!(listed, Ok(Ok(()))) {
                            tracing::error!(
                                "could not put an opting-out caller on the do-not-call list"
                            );
                        }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "call endings were missed: opt-outs among them are not listed"
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    fn list_opt_out(
        &self,
        summary: &CallSummary,
        number: String,
    ) -> Result<(), huashu_store::StoreError> {
        let reason = self
            .store
            .call(&summary.tenant_id, &summary.call_id)?
            .and_then(|(_, record)| {
                let record: serde_json::Value = serde_json::from_slice(&record).ok()?;
                record["outcome"]["opt_out_reason"]
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        self.campaigns.put_dnc(&DncEntry {
            scope: DncScope::Tenant(summary.tenant_id.clone()),
            number,
            reason,
            source: DncSource::Script,
            call_id: Some(summary.call_id.clone()),
            added_at_ms: now_ms(),
        })?;
        tracing::info!(
            tenant = %summary.tenant_id, call_id = %summary.call_id,
            "the customer opted out: their number is on the tenant's do-not-call list"
        );
        Ok(())
    }
}

/// The customer's number on a telephone call: whom a placed call (one with a trunk) went
/// to, or who called in.
fn customer_number(summary: &CallSummary) -> Option<String> {
    let progress = summary.progress.as_ref()?;
    let number = if progress.trunk.is_some() {
        &progress.to
    } else {
        &progress.from
    };
    normalize_e164(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_store::{CallProgress, CallStatus, ProgressState};

    fn summary(trunk: Option<&str>) -> CallSummary {
        CallSummary {
            call_id: "c_1".into(),
            tenant_id: "t_1".into(),
            module: "m".into(),
            module_version: 1,
            status: CallStatus::Completed,
            created_at_ms: 0,
            ended_at_ms: Some(1),
            intent: None,
            disposition: None,
            has_recording: false,
            progress: Some(CallProgress {
                state: ProgressState::Answered,
                sip_code: Some(200),
                trunk: trunk.map(str::to_owned),
                from: "+8675512345678".into(),
                to: "+8613800138000".into(),
                dialed_at_ms: 0,
                ringing_at_ms: None,
                answered_at_ms: Some(0),
            }),
            opted_out: true,
            callee: None,
            campaign_id: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn the_customer_is_the_callee_of_a_placed_call_and_the_caller_of_an_inbound_one() {
        assert_eq!(
            customer_number(&summary(Some("carrier"))).as_deref(),
            Some("+8613800138000")
        );
        assert_eq!(
            customer_number(&summary(None)).as_deref(),
            Some("+8675512345678")
        );
        let mut console = summary(None);
        console.progress = None;
        assert_eq!(customer_number(&console), None);
    }
}
