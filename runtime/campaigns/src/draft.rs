//! What a tenant sends to create or change a campaign, and how it becomes a stored
//! [`Campaign`]: defaults for what it leaves out, a generated webhook secret, and PATCH as
//! "replace the fields given".

use serde::{Deserialize, Serialize};
use serde_json::Value;

use huashu_store::campaigns::{
    Campaign, CampaignWebhook, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_CALLS_PER_SECOND,
    DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_PRIORITY, DEFAULT_RING_TIMEOUT_SECS, RetryRules,
    Schedule,
};
use huashu_store::secrets::random_id;
use huashu_store::{InvalidField, StoreError};

/// The body of `POST /v1/campaigns` (and, merged over the stored campaign, of PATCH).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignDraft {
    /// A name for people.
    pub name: String,
    /// The module every call runs.
    pub module: String,
    /// A fixed module version; default: the active one when the campaign starts.
    #[serde(default)]
    pub module_version: Option<u32>,
    /// The trunk calls go out through.
    pub trunk: String,
    /// Caller IDs to present, in turn; default: the trunk's pool.
    #[serde(default)]
    pub caller_ids: Vec<String>,
    /// Calls up at once.
    #[serde(default = "default_concurrency")]
    pub max_concurrent_calls: u32,
    /// New calls per second.
    #[serde(default = "default_cps")]
    pub max_calls_per_second: u32,
    /// Seconds a phone rings before no-answer.
    #[serde(default = "default_ring")]
    pub ring_timeout_secs: u32,
    /// When calls may be placed.
    #[serde(default)]
    pub schedule: Schedule,
    /// What to do after an unanswered call.
    #[serde(default)]
    pub retry: RetryRules,
    /// Most attempts per contact.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// 0–9, higher first.
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// Where finished contacts are reported.
    #[serde(default)]
    pub webhook: Option<WebhookDraft>,
}

/// A campaign's webhook as the tenant writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookDraft {
    /// Where to POST.
    pub url: String,
    /// The signing key; generated (`whsec_…`) when not given.
    #[serde(default)]
    pub secret: Option<String>,
    /// Also POST each call, not only each finished contact.
    #[serde(default)]
    pub per_call: bool,
}

fn default_concurrency() -> u32 {
    DEFAULT_MAX_CONCURRENT_CALLS
}
fn default_cps() -> u32 {
    DEFAULT_MAX_CALLS_PER_SECOND
}
fn default_ring() -> u32 {
    DEFAULT_RING_TIMEOUT_SECS
}
fn default_attempts() -> u32 {
    DEFAULT_MAX_ATTEMPTS
}
fn default_priority() -> u8 {
    DEFAULT_PRIORITY
}

impl CampaignDraft {
    /// The draft a stored campaign was made from (with its secret filled in): what a PATCH
    /// is merged over.
    pub fn of(campaign: &Campaign) -> Self {
        Self {
            name: campaign.name.clone(),
            module: campaign.module.clone(),
            module_version: campaign.module_version,
            trunk: campaign.trunk.clone(),
            caller_ids: campaign.caller_ids.clone(),
            max_concurrent_calls: campaign.max_concurrent_calls,
            max_calls_per_second: campaign.max_calls_per_second,
            ring_timeout_secs: campaign.ring_timeout_secs,
            schedule: campaign.schedule.clone(),
            retry: campaign.retry.clone(),
            max_attempts: campaign.max_attempts,
            priority: campaign.priority,
            webhook: campaign.webhook.as_ref().map(|w| WebhookDraft {
                url: w.url.clone(),
                secret: Some(w.secret.clone()),
                per_call: w.per_call,
            }),
        }
    }

    /// `patch` (a JSON object) laid over this draft: each field it names replaces the
    /// draft's whole (`schedule` is replaced, not merged), `null` clears an optional field.
    pub fn patched(&self, patch: Value) -> Result<Self, InvalidField> {
        let Value::Object(changes) = patch else {
            return Err(InvalidField::new(
                "body",
                "must be a JSON object of fields to change",
            ));
        };
        let mut merged =
            serde_json::to_value(self).map_err(|e| InvalidField::new("body", e.to_string()))?;
        if let Value::Object(fields) = &mut merged {
            for (name, value) in changes {
                fields.insert(name, value);
            }
        }
        serde_json::from_value(merged).map_err(|e| InvalidField::new("body", e.to_string()))
    }

    /// Applies the draft's settings to `campaign` (state, ids and times untouched),
    /// normalising caller IDs and generating a webhook secret where none was given.
    pub fn apply_to(self, campaign: &mut Campaign) -> Result<(), StoreError> {
        campaign.name = self.name;
        campaign.module = self.module;
        campaign.module_version = self.module_version;
        campaign.trunk = self.trunk;
        campaign.caller_ids = self
            .caller_ids
            .into_iter()
            .map(|n| huashu_store::normalize_e164(&n).unwrap_or(n))
            .collect();
        campaign.max_concurrent_calls = self.max_concurrent_calls;
        campaign.max_calls_per_second = self.max_calls_per_second;
        campaign.ring_timeout_secs = self.ring_timeout_secs;
        campaign.schedule = self.schedule;
        campaign.retry = self.retry;
        campaign.max_attempts = self.max_attempts;
        campaign.priority = self.priority;
        campaign.webhook = match self.webhook {
            None => None,
            Some(w) => Some(CampaignWebhook {
                url: w.url,
                secret: match w.secret {
                    Some(secret) => secret,
                    None => random_id("whsec_", 24)?,
                },
                per_call: w.per_call,
            }),
        };
        Ok(())
    }

    /// A new draft campaign for `tenant_id` from these settings.
    pub fn into_campaign(self, tenant_id: &str, now_ms: u64) -> Result<Campaign, StoreError> {
        let mut campaign = Campaign::draft(random_id("cp_", 8)?, tenant_id, "", "", "", now_ms);
        self.apply_to(&mut campaign)?;
        Ok(campaign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_store::campaigns::CampaignState;
    use serde_json::json;

    fn draft() -> CampaignDraft {
        serde_json::from_value(json!({
            "name": "Coupons", "module": "birthday", "trunk": "carrier",
            "webhook": {"url": "http://crm.example/hook"}
        }))
        .expect("a minimal draft reads")
    }

    #[test]
    fn a_minimal_draft_gets_the_defaults_and_a_generated_secret() {
        let campaign = draft().into_campaign("t_1", 7).expect("campaign");
        assert_eq!(campaign.max_attempts, DEFAULT_MAX_ATTEMPTS);
        assert_eq!(campaign.state, CampaignState::Draft);
        let secret = campaign.webhook.expect("webhook").secret;
        assert!(
            secret.starts_with("whsec_") && secret.len() > 40,
            "{secret}"
        );
        campaign_validates(&draft());
    }

    fn campaign_validates(d: &CampaignDraft) {
        d.clone()
            .into_campaign("t_1", 0)
            .expect("campaign")
            .validate()
            .expect("valid");
    }

    #[test]
    fn a_patch_replaces_only_the_fields_it_names_and_null_clears() {
        let base = draft();
        let patched = base
            .patched(json!({"max_concurrent_calls": 50, "webhook": null}))
            .expect("patch applies");
        assert_eq!(patched.max_concurrent_calls, 50);
        assert!(patched.webhook.is_none());
        assert_eq!(patched.trunk, "carrier");
        let err = base
            .patched(json!({"colour": "red"}))
            .expect_err("unknown field");
        assert_eq!(err.field, "body");
        assert!(err.problem.contains("colour"), "{}", err.problem);
    }
}
