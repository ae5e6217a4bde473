//! What the API asks of campaigns: create, read, change, start, pause, resume and cancel a
//! campaign, import its contacts, read its results and webhook deliveries, and keep the
//! do-not-call lists. Every method here blocks on the store (durable writes): the API
//! calls them off the async workers.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

use super::calendar::{Calendar, check_time_zone};
use super::draft::CampaignDraft;
use super::error::CampaignError;
use super::import::{ImportFormat, ImportReport, ImportRules, import_contacts};
use super::webhooks::OutboxConfig;
use huashu_calls::CallService;
use huashu_store::campaigns::{
    Campaign, CampaignState, CampaignStats, CampaignStore, TimeOfDay, TimeSpan, WebhookDelivery,
};
use huashu_store::secrets::now_ms;
use huashu_store::{InvalidField, Page, PageRequest, Store, Tenant};

/// The platform's rails and the dialler's pace, set by the operator (`huashu serve`).
#[derive(Debug, Clone)]
pub struct CampaignConfig {
    /// The callee-local hours outside which no campaign calls, whatever its windows say.
    pub calling_hours: TimeSpan,
    /// Most attempts to one number in 24 hours, across every tenant and campaign.
    pub max_dials_per_number_per_day: u32,
    /// How often the dialler looks for due contacts when nothing wakes it.
    pub tick: Duration,
    /// Webhook delivery.
    pub outbox: OutboxConfig,
}

impl Default for CampaignConfig {
    /// 08:00–21:00 callee-local, 3 attempts per number per day (the caps Chinese carriers
    /// and regulators hold outbound marketing to), a one-second tick.
    fn default() -> Self {
        Self {
            calling_hours: TimeSpan {
                start: TimeOfDay::new(8, 0).unwrap_or(TimeOfDay::START_OF_DAY),
                end: TimeOfDay::new(21, 0).unwrap_or(TimeOfDay::END_OF_DAY),
            },
            max_dials_per_number_per_day: 3,
            tick: Duration::from_secs(1),
            outbox: OutboxConfig::default(),
        }
    }
}

/// A start, pause, resume or cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// draft → running.
    Start,
    /// running → paused.
    Pause,
    /// paused → running.
    Resume,
    /// draft, running or paused → cancelled.
    Cancel,
}

impl Transition {
    /// The word in the URL: `start`, `pause`, `resume`, `cancel`.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "start" => Some(Self::Start),
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// A campaign with its counts, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    /// Settings and state.
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Counts.
    pub stats: CampaignStats,
    /// Answered attempts over ended attempts.
    pub answer_rate: f64,
    /// Mean talk time of answered calls, in seconds.
    pub average_talk_secs: f64,
    /// Attempts of this campaign being dialled or talked on this server now.
    pub active_calls: u32,
}

/// The campaigns of the server.
pub struct Campaigns {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) campaigns: Arc<dyn CampaignStore>,
    pub(crate) calls: Arc<CallService>,
    pub(crate) config: CampaignConfig,
    /// Rouses the dialler when a campaign starts or contacts arrive.
    pub(crate) wake: Notify,
    /// Rouses the webhook outbox when deliveries are queued.
    pub(crate) outbox_wake: Arc<Notify>,
    pub(crate) active: crate::dialer::ActiveAttempts,
    /// The calls attempts are waiting on.
    pub(crate) endings: Arc<crate::dialer::CallEndings>,
}

impl Campaigns {
    /// The campaigns kept in `campaigns`, dialling through `calls`.
    pub fn new(
        store: Arc<dyn Store>,
        campaigns: Arc<dyn CampaignStore>,
        calls: Arc<CallService>,
        config: CampaignConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            campaigns,
            calls,
            config,
            wake: Notify::new(),
            outbox_wake: Arc::new(Notify::new()),
            active: Default::default(),
            endings: Default::default(),
        })
    }

    /// The store campaigns live in.
    pub fn store(&self) -> &Arc<dyn CampaignStore> {
        &self.campaigns
    }

    /// The operator's settings.
    pub fn config(&self) -> &CampaignConfig {
        &self.config
    }

    /// Creates a draft campaign for `tenant`.
    pub fn create(
        &self,
        tenant: &Tenant,
        draft: CampaignDraft,
    ) -> Result<CampaignView, CampaignError> {
        let campaign = draft.into_campaign(&tenant.id, now_ms())?;
        self.check(&campaign)?;
        self.campaigns.put_campaign(&campaign)?;
        tracing::info!(tenant = %tenant.id, campaign = %campaign.id, "campaign created");
        self.view(campaign)
    }

    /// The tenant's campaign with its counts.
    pub fn get(&self, tenant_id: &str, campaign_id: &str) -> Result<CampaignView, CampaignError> {
        let campaign = self.find(tenant_id, campaign_id)?;
        self.view(campaign)
    }

    /// The tenant's campaigns, newest first, with their counts.
    pub fn list(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<CampaignView>, CampaignError> {
        let page = self.campaigns.list_campaigns(tenant_id, page)?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|c| self.view(c))
                .collect::<Result<_, _>>()?,
            next: page.next,
        })
    }

    /// Changes the settings named in `patch` (a JSON object). A draft takes any change; a
    /// running or paused campaign keeps its module and trunk; a finished one takes none.
    pub fn update(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        patch: serde_json::Value,
    ) -> Result<CampaignView, CampaignError> {
        let mut campaign = self.find(tenant_id, campaign_id)?;
        if campaign.state.is_final() {
            return Err(CampaignError::WrongState(format!(
                "campaign {campaign_id} is {}: it can no longer be changed",
                campaign.state.as_str()
            )));
        }
        let draft = CampaignDraft::of(&campaign).patched(patch)?;
        if campaign.state != CampaignState::Draft {
            let locked = [
                ("module", draft.module != campaign.module),
                (
                    "module_version",
                    draft.module_version != campaign.module_version,
                ),
                ("trunk", draft.trunk != campaign.trunk),
            ];
            if let Some((field, _)) = locked.iter().find(|(_, changed)| *changed) {
                return Err(CampaignError::WrongState(format!(
                    "`{field}` cannot change once the campaign has started; create a new \
                     campaign instead"
                )));
            }
        }
        draft.apply_to(&mut campaign)?;
        campaign.updated_at_ms = now_ms();
        self.check(&campaign)?;
        self.campaigns.put_campaign(&campaign)?;
        self.wake.notify_one();
        self.view(campaign)
    }

    /// Starts, pauses, resumes or cancels a campaign. Starting pins the module version
    /// and checks the trunk and caller IDs once more; it needs at least one contact.
    pub fn transition(
        &self,
        tenant: &Tenant,
        campaign_id: &str,
        transition: Transition,
    ) -> Result<CampaignView, CampaignError> {
        let mut campaign = self.find(&tenant.id, campaign_id)?;
        let now = now_ms();
        let from = campaign.state;
        let to = match (transition, from) {
            (Transition::Start, CampaignState::Draft) => CampaignState::Running,
            (Transition::Pause, CampaignState::Running) => CampaignState::Paused,
            (Transition::Resume, CampaignState::Paused) => CampaignState::Running,
            (
                Transition::Cancel,
                CampaignState::Draft | CampaignState::Running | CampaignState::Paused,
            ) => CampaignState::Cancelled,
            (_, state) => {
                return Err(CampaignError::WrongState(format!(
                    "campaign {campaign_id} is {}; {} applies to {}",
                    state.as_str(),
                    match transition {
                        Transition::Start => "start",
                        Transition::Pause => "pause",
                        Transition::Resume => "resume",
                        Transition::Cancel => "cancel",
                    },
                    match transition {
                        Transition::Start => "a draft",
                        Transition::Pause => "a running campaign",
                        Transition::Resume => "a paused campaign",
                        Transition::Cancel => "a draft, running or paused campaign",
                    }
                )));
            }
        };
        if transition == Transition::Start {
            self.prepare_start(tenant, &mut campaign)?;
            campaign.started_at_ms = Some(now);
        }
        campaign.state = to;
        campaign.state_reason = None;
        campaign.updated_at_ms = now;
        if to.is_final() {
            campaign.finished_at_ms = Some(now);
        }
        self.campaigns.put_campaign(&campaign)?;
        tracing::info!(
            tenant = %tenant.id, campaign = %campaign.id,
            from = from.as_str(), to = to.as_str(), "campaign state changed"
        );
        self.wake.notify_one();
        self.view(campaign)
    }

    /// Imports contacts into a campaign that is not finished, streamed from `reader`.
    pub fn import(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        format: ImportFormat,
        reader: impl std::io::Read,
    ) -> Result<ImportReport, CampaignError> {
        let campaign = self.find(tenant_id, campaign_id)?;
        if campaign.state.is_final() {
            return Err(CampaignError::WrongState(format!(
                "campaign {campaign_id} is {}: it takes no more contacts",
                campaign.state.as_str()
            )));
        }
        let rules = ImportRules {
            max_dials_per_number_per_day: self.config.max_dials_per_number_per_day,
            now_ms: now_ms(),
        };
        let report = import_contacts(self.campaigns.as_ref(), &campaign, format, reader, &rules)?;
        tracing::info!(
            tenant = %tenant_id, campaign = %campaign_id,
            accepted = report.accepted, invalid = report.invalid, "contacts imported"
        );
        self.wake.notify_one();
        Ok(report)
    }

    /// A campaign's webhook deliveries, newest first.
    pub fn deliveries(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        page: &PageRequest,
    ) -> Result<Page<WebhookDelivery>, CampaignError> {
        self.find(tenant_id, campaign_id)?;
        Ok(self
            .campaigns
            .campaign_webhooks(tenant_id, campaign_id, page)?)
    }

    /// The tenant's campaign, or `NotFound`.
    pub(crate) fn find(
        &self,
        tenant_id: &str,
        campaign_id: &str,
    ) -> Result<Campaign, CampaignError> {
        self.campaigns
            .campaign(tenant_id, campaign_id)?
            .ok_or_else(|| CampaignError::NotFound(campaign_id.to_owned()))
    }

    fn view(&self, campaign: Campaign) -> Result<CampaignView, CampaignError> {
        let stats = self.campaigns.campaign_stats(&campaign.id)?;
        let answer_rate = stats.answer_rate();
        let average_talk_secs = if stats.answered == 0 {
            0.0
        } else {
            stats.talk_secs as f64 / stats.answered as f64
        };
        let active_calls = self.active.count(&campaign.id);
        Ok(CampaignView {
            campaign,
            stats,
            answer_rate,
            average_talk_secs,
            active_calls,
        })
    }

    /// The rules a campaign keeps that need more than the campaign: its time zone and
    /// dates read, its trunk is granted to the tenant and its caller IDs are in the
    /// trunk's pool.
    fn check(&self, campaign: &Campaign) -> Result<(), CampaignError> {
        campaign.validate()?;
        check_time_zone(&campaign.schedule.time_zone)
            .map_err(|why| InvalidField::new("schedule.time_zone", why))?;
        Calendar::new(&campaign.schedule, self.config.calling_hours)?;
        let trunk = self
            .store
            .trunk(&campaign.trunk)?
            .filter(|t| t.allows_tenant(&campaign.tenant_id))
            .ok_or_else(|| {
                InvalidField::new(
                    "trunk",
                    format!(
                        "no trunk `{}` is available to this tenant; ask the operator to grant one",
                        campaign.trunk
                    ),
                )
            })?;
        for (i, number) in campaign.caller_ids.iter().enumerate() {
            if !trunk.has_caller_id(number) {
                return Err(InvalidField::new(
                    format!("caller_ids[{i}]"),
                    format!("{number} is not a caller ID of trunk `{}`", trunk.name),
                )
                .into());
            }
        }
        if campaign.caller_ids.is_empty() && trunk.caller_ids.is_empty() {
            return Err(InvalidField::new(
                "caller_ids",
                format!(
                    "trunk `{}` has no caller IDs of its own, so the campaign must name some",
                    trunk.name
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Before a draft runs: the settings still hold, the module has a version to pin, and
    /// there is someone to call.
    fn prepare_start(&self, tenant: &Tenant, campaign: &mut Campaign) -> Result<(), CampaignError> {
        if tenant.disabled {
            return Err(CampaignError::WrongState(
                "the tenant is disabled: its campaigns cannot start".into(),
            ));
        }
        if !self.calls.places_calls() {
            return Err(CampaignError::WrongState(
                "this server places no telephone calls (it was started without \
                 --sip-listen), so campaigns cannot run on it"
                    .into(),
            ));
        }
        self.check(campaign)?;
        let module = self
            .store
            .module(&tenant.id, &campaign.module)?
            .ok_or_else(|| {
                InvalidField::new(
                    "module",
                    format!("no module `{}`: upload it before starting", campaign.module),
                )
            })?;
        let version = match campaign.module_version {
            Some(v) if module.versions.iter().any(|m| m.version == v) => v,
            Some(v) => {
                return Err(InvalidField::new(
                    "module_version",
                    format!("module `{}` has no version {v}", campaign.module),
                )
                .into());
            }
            None => {
                module
                    .active()
                    .ok_or_else(|| {
                        InvalidField::new(
                            "module",
                            format!("module `{}` has no version yet", campaign.module),
                        )
                    })?
                    .version
            }
        };
        campaign.module_version = Some(version);
        let stats = self.campaigns.campaign_stats(&campaign.id)?;
        if stats.contacts == 0 {
            return Err(CampaignError::WrongState(
                "the campaign has no contacts: upload some before starting".into(),
            ));
        }
        Ok(())
    }
}
