//! Creating, claiming and starting calls; counting live calls against tenant quotas; and
//! recording how they ended.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::sync::{Notify, watch};

use super::driver::CallDriver;
use super::http_calls::{HttpCalls, session_limits};
use super::metered_script::MeteredScript;
use super::module_cache::{LoadError, ModuleCache};
use super::stored_prompts::StoredPrompts;
use super::telephony::{DialError, Dialer};
use super::voice::VoiceServices;
use huashu_contract::{CallStarted, Channel, Direction, ScriptFailure};
use huashu_metrics::Metrics;
use huashu_outbound_http::OutboundHttp;
use huashu_sandbox::{CallSetup, Limits, ModuleError, Sandbox, ScriptModule, TenantKv};
use huashu_session::{EstimatedPlayout, InstantPlayout, Playout, Session, SessionConfig};
use huashu_store::secrets::{now_ms, random_id, sha256_hex};
use huashu_store::{
    CallProgress, CallStatus, CallSummary, KeyValueStore, MemoryKeyValue, Store, StoreError, Tenant,
};

/// Final summaries a slow [`CallService::subscribe_ended`] listener may fall behind by
/// before it misses some (and must read the store instead): a few seconds of call
/// endings at the busiest rate one node reaches.
const ENDED_BACKLOG: usize = 4096;

/// Server-wide call settings.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How long a created call waits for its transport to connect.
    pub connect_timeout: Duration,
    /// The telephony rules every session keeps (call length, no-input, fallback).
    pub session: SessionConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(60),
            session: SessionConfig::default(),
        }
    }
}

/// What a tenant asks for when creating a call.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// The module (script) to run, by name.
    pub module: String,
    /// A specific version; default the module's active one.
    pub version: Option<u32>,
    /// Key/value pairs the script reads in `call-started` (a contact's name, an amount…).
    pub variables: Vec<(String, String)>,
    /// How the call reaches the server (console socket, Twilio…).
    pub channel: Channel,
    /// Whether the customer called in or the bot called out.
    pub direction: Direction,
    /// The calling party's number or name, as the script sees it.
    pub caller: String,
    /// The called party's number or name.
    pub callee: String,
    /// The campaign placing the call, if one is: kept in its summary for listings.
    pub campaign_id: Option<String>,
}

/// A call created and waiting for its transport.
#[derive(Debug, Clone)]
pub struct CreatedCall {
    /// The call's id (`c_…`), for its record.
    pub call_id: String,
    /// The single-use secret the transport presents to connect.
    pub token: String,
    /// The module version the call will run.
    pub module_version: u32,
    /// When the token expires unused (ms since the Unix epoch).
    pub expires_at_ms: u64,
}

/// Why a call cannot be created or connected. Each maps to one HTTP status or WebSocket
/// close code at the edge.
#[derive(Debug, Error)]
pub enum CallError {
    /// The tenant has no module of that name.
    #[error("no module named `{0}`")]
    ModuleNotFound(String),
    /// The module exists but not in that version.
    #[error("module `{module}` has no version {version}")]
    VersionNotFound {
        /// The module's name.
        module: String,
        /// The version asked for.
        version: u32,
    },
    /// The operator disabled the tenant.
    #[error("the tenant is disabled")]
    TenantDisabled,
    /// The tenant is at its concurrent-call quota.
    #[error("the tenant already has {limit} live calls, its quota")]
    QuotaExceeded {
        /// The tenant's `max_concurrent_calls`.
        limit: u32,
    },
    /// No call with that id is waiting (unknown, expired or already connected).
    #[error("no call `{0}` is waiting to connect")]
    NotWaiting(String),
    /// The connect token does not match the call.
    #[error("the call token is wrong")]
    BadToken,
    /// The call was created for another channel than the endpoint it was presented to; its
    /// token stays valid for the right one.
    #[error("this call was created for the `{0}` channel; connect it there")]
    WrongChannel(&'static str),
    /// The server takes no new calls while it drains.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The module's component could not be loaded into the sandbox.
    #[error("the module could not be loaded: {0}")]
    Load(String),
    /// A voice call on a server started without speech engines.
    #[error("this server has no speech engines configured, so it takes no voice calls")]
    VoiceUnavailable,
    /// The call's codec, recogniser or pacer could not be set up.
    #[error("the call's audio could not be set up: {0}")]
    Media(String),
    /// A telephone call could not be placed.
    #[error(transparent)]
    Dial(#[from] DialError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A call whose connect token was accepted.
pub struct PendingCall {
    /// The call's id.
    pub call_id: String,
    /// The tenant whose call it is.
    pub tenant: Tenant,
    /// The module it runs, by name.
    pub module: String,
    /// The module version it runs.
    pub version: u32,
    /// The language its listens expect when they name none: the module's, else the
    /// tenant's, or empty for the server's default.
    pub(super) language: String,
    digest: String,
    token_sha256: String,
    pub(super) call: CallStarted,
    pub(super) created_at_ms: u64,
    pub(super) expires: Instant,
    /// For telephone calls: how far the call got, kept in its summary.
    pub progress: Option<CallProgress>,
    /// The campaign that placed it, if one did.
    pub(super) campaign_id: Option<String>,
}

/// The server's calls.
pub struct CallService {
    pub(super) store: Arc<dyn Store>,
    kv: Arc<dyn KeyValueStore>,
    sandbox: Arc<Sandbox>,
    pub(super) metrics: Arc<Metrics>,
    config: ServiceConfig,
    voice: Option<Arc<VoiceServices>>,
    pub(super) dialer: OnceLock<Arc<dyn Dialer>>,
    /// Each tenant's turns at running guest code: see [`Self::tenant_turns`].
    turns: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    modules: ModuleCache,
    pub(super) pending: Mutex<HashMap<String, PendingCall>>,
    pub(super) live: Mutex<HashMap<String, u32>>,
    pub(super) accepting: AtomicBool,
    pub(super) idle: Notify,
    pub(super) shutdown: watch::Sender<bool>,
    /// Every call's final summary, once stored: see [`Self::subscribe_ended`].
    pub(super) ended: tokio::sync::broadcast::Sender<CallSummary>,
    /// The client every call's script requests go through (tenants' concurrency counted
    /// across calls).
    outbound_http: Arc<OutboundHttp>,
}

impl CallService {
    /// A service that takes text calls; [`Self::with_voice`] adds voice calls.
    pub fn new(
        store: Arc<dyn Store>,
        kv: Arc<dyn KeyValueStore>,
        sandbox: Arc<Sandbox>,
        metrics: Arc<Metrics>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            store,
            kv,
            sandbox,
            metrics,
            config,
            voice: None,
            dialer: OnceLock::new(),
            turns: Mutex::new(HashMap::new()),
            modules: ModuleCache::default(),
            pending: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
            accepting: AtomicBool::new(true),
            idle: Notify::new(),
            shutdown: watch::channel(false).0,
            ended: tokio::sync::broadcast::channel(ENDED_BACKLOG).0,
            outbound_http: Arc::new(OutboundHttp::new()),
        }
    }

    /// Lets the server take voice calls, with these speech engines.
    pub fn with_voice(mut self, voice: Arc<VoiceServices>) -> Self {
        self.voice = Some(voice);
        self
    }

    /// The speech engines, if the server takes voice calls.
    pub fn voice(&self) -> Option<&Arc<VoiceServices>> {
        self.voice.as_ref()
    }

    pub(super) fn session_config(&self) -> &SessionConfig {
        &self.config.session
    }

    /// The store calls and their records live in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The tenants' key-value space the scripts use.
    pub fn kv(&self) -> &Arc<dyn KeyValueStore> {
        &self.kv
    }

    /// The sandbox calls' scripts run in (and uploads compile in).
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Instantiates `module` once under `tenant`'s limits, running no event: a module that
    /// cannot even start (its initial linear memory is over the tenant's cap, its start-up
    /// traps) is refused at upload instead of failing every call. The trial instance has an
    /// empty key-value space of its own and is dropped at once.
    pub async fn check_starts(
        &self,
        tenant: &Tenant,
        module: &ScriptModule,
    ) -> Result<(), ModuleError> {
        let setup = CallSetup {
            call_id: "upload-check".into(),
            limits: limits_for(tenant),
            kv: TenantKv {
                tenant: tenant.id.clone(),
                store: Arc::new(MemoryKeyValue::default()),
            },
            started_at_ms: now_ms(),
            random_seed: 0,
            turns: None,
        };
        match self.sandbox.instantiate(module, setup).await {
            Ok(_) => Ok(()),
            Err(ScriptFailure::Memory { limit_bytes }) => Err(ModuleError::DoesNotStart(format!(
                "it needs more than your memory limit of {limit_bytes} bytes before its first \
                 event (its initial linear memory); ask the operator for a higher \
                 `memory_bytes` quota, or make the module smaller"
            ))),
            Err(failure) => Err(ModuleError::DoesNotStart(failure.to_string())),
        }
    }

    /// Remembers a freshly compiled module so its first call does not load it again.
    pub fn module_uploaded(&self, tenant: &str, name: &str, version: u32, module: ScriptModule) {
        self.modules.insert(tenant, name, version, module);
    }

    /// Every call's final summary from now on, as soon as it is stored (answered, failed,
    /// unanswered, interrupted): what a campaign's dialler waits on. A listener that falls
    /// more than a few thousand endings behind gets `Lagged` and should read the store.
    pub fn subscribe_ended(&self) -> tokio::sync::broadcast::Receiver<CallSummary> {
        self.ended.subscribe()
    }

    /// Live calls (waiting or connected) of a tenant.
    pub fn live_calls(&self, tenant: &str) -> u32 {
        self.live
            .lock()
            .map_or(0, |l| l.get(tenant).copied().unwrap_or(0))
    }

    /// The tenant's turns at running guest code: one fewer than the machine's cores (at
    /// least one). Guests yield every epoch tick, but a tenant with more busy calls than
    /// there are cores (a dozen memory bombs, a runaway loop in a campaign's script) would
    /// still keep every worker busy and make other tenants' turns wait behind them; with
    /// a core always out of its reach, another tenant's event starts within a tick.
    pub(crate) fn tenant_turns(&self, tenant: &str) -> Arc<tokio::sync::Semaphore> {
        let permits = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1);
        let mut turns = self
            .turns
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        turns
            .entry(tenant.to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(permits)))
            .clone()
    }

    pub(super) fn total_live(&self) -> u32 {
        self.live.lock().map_or(0, |l| l.values().sum())
    }

    /// Creates a call for `tenant`: checks the module and the quota, stores the call as
    /// live, and returns the token its transport must present.
    pub async fn create_call(
        self: &Arc<Self>,
        tenant: &Tenant,
        request: NewCall,
    ) -> Result<CreatedCall, CallError> {
        if !self.accepting.load(Ordering::SeqCst) {
            return Err(CallError::ShuttingDown);
        }
        if tenant.disabled {
            return Err(CallError::TenantDisabled);
        }
        let this = self.clone();
        let tenant = tenant.clone();
        // Storing the call (and any expired ones) waits for sled's flush: off the async
        // workers, where it would hold up other calls' audio frames. Once spawned it runs to
        // the end even if the caller goes away; a call nobody claims then expires.
        tokio::task::spawn_blocking(move || this.create_call_blocking(&tenant, request))
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, "creating a call failed");
                Err(StoreError::Backend(format!("creating the call failed: {error}")).into())
            })
    }

    /// The part of [`Self::create_call`] that touches the store; blocking.
    fn create_call_blocking(
        &self,
        tenant: &Tenant,
        request: NewCall,
    ) -> Result<CreatedCall, CallError> {
        self.record_unstarted(self.take_expired(), CallStatus::Interrupted);
        let summary = self
            .store
            .module(&tenant.id, &request.module)?
            .ok_or_else(|| CallError::ModuleNotFound(request.module.clone()))?;
        let module_version = match request.version {
            Some(v) => summary.versions.iter().find(|m| m.version == v),
            None => summary.active(),
        }
        .cloned()
        .ok_or(CallError::VersionNotFound {
            module: request.module.clone(),
            version: request.version.unwrap_or(0),
        })?;
        self.reserve(tenant)?;
        let language = (summary.language.clone())
            .or_else(|| tenant.language.clone())
            .unwrap_or_default();
        let created = self.register(
            tenant,
            request,
            (module_version.version, module_version.digest),
            language,
        );
        if created.is_err() {
            self.release(&tenant.id);
        }
        created
    }

    fn register(
        &self,
        tenant: &Tenant,
        request: NewCall,
        (version, digest): (u32, String),
        language: String,
    ) -> Result<CreatedCall, CallError> {
        let call_id = random_id("c_", 12)?;
        let token = random_id("ct_", 24)?;
        let created_at_ms = now_ms();
        let summary = CallSummary {
            call_id: call_id.clone(),
            tenant_id: tenant.id.clone(),
            module: request.module.clone(),
            module_version: version,
            status: CallStatus::Live,
            created_at_ms,
            ended_at_ms: None,
            intent: None,
            disposition: None,
            has_recording: false,
            progress: None,
            opted_out: false,
            callee: Some(request.callee.clone()).filter(|c| !c.is_empty()),
            campaign_id: request.campaign_id.clone(),
            tags: Vec::new(),
        };
        self.store.put_call(&summary, b"null")?;
        // 53 bits, so JavaScript clients read the seed in call records exactly.
        let seed =
            u64::from_str_radix(&call_id[2..18], 16).unwrap_or(created_at_ms) & ((1 << 53) - 1);
        let request_campaign = request.campaign_id.clone();
        let call = CallStarted {
            call_id: call_id.clone(),
            direction: request.direction,
            caller: request.caller,
            callee: request.callee,
            channel: request.channel,
            variables: request.variables,
            started_at_ms: created_at_ms,
            random_seed: seed,
        };
        let expires_at_ms = created_at_ms + self.config.connect_timeout.as_millis() as u64;
        let pending = PendingCall {
            call_id: call_id.clone(),
            tenant: tenant.clone(),
            module: request.module,
            version,
            language,
            digest,
            token_sha256: sha256_hex(&token),
            call,
            created_at_ms,
            expires: Instant::now() + self.config.connect_timeout,
            progress: None,
            campaign_id: request_campaign,
        };
        if let Ok(mut waiting) = self.pending.lock() {
            waiting.insert(call_id.clone(), pending);
        }
        Ok(CreatedCall {
            call_id,
            token,
            module_version: version,
            expires_at_ms,
        })
    }

    /// Takes a waiting call if `token` is its token. Single use: a second connect fails.
    /// Only calls created for one of `channels` are taken: a token is good on its own
    /// channel's endpoint only, and presenting it elsewhere does not use it up.
    pub async fn claim(
        self: &Arc<Self>,
        call_id: &str,
        token: &str,
        channels: &[Channel],
    ) -> Result<PendingCall, CallError> {
        self.expire_pending().await;
        let mut waiting = self
            .pending
            .lock()
            .map_err(|_| StoreError::Backend("call table poisoned".into()))?;
        let Some(pending) = waiting.get(call_id) else {
            return Err(CallError::NotWaiting(call_id.into()));
        };
        if pending.token_sha256 != sha256_hex(token) {
            return Err(CallError::BadToken);
        }
        if !channels.contains(&pending.call.channel) {
            return Err(CallError::WrongChannel(channel_name(pending.call.channel)));
        }
        waiting
            .remove(call_id)
            .ok_or_else(|| CallError::NotWaiting(call_id.into()))
    }

    /// Takes the waiting call whose token is `token`, for transports that present only the
    /// token (Twilio Media Streams: the stream URL carries no call id). Only a call created
    /// for `channel` is taken.
    pub async fn claim_by_token(
        self: &Arc<Self>,
        token: &str,
        channel: Channel,
    ) -> Result<PendingCall, CallError> {
        self.expire_pending().await;
        let sha256 = sha256_hex(token);
        let mut waiting = self
            .pending
            .lock()
            .map_err(|_| StoreError::Backend("call table poisoned".into()))?;
        let call_id = waiting
            .iter()
            .find(|(_, p)| p.token_sha256 == sha256)
            .map(|(id, _)| id.clone())
            .ok_or(CallError::BadToken)?;
        if let Some(pending) = waiting.get(&call_id)
            && pending.call.channel != channel
        {
            return Err(CallError::WrongChannel(channel_name(pending.call.channel)));
        }
        waiting
            .remove(&call_id)
            .ok_or(CallError::NotWaiting(call_id))
    }

    /// Starts a claimed call without audio: a fresh instance of its module and a session
    /// whose playback is timed by the channel (instant for text, estimated for others).
    /// Prompts are checked against the tenant's, as a voice call's audio would be.
    pub async fn start(self: &Arc<Self>, pending: PendingCall) -> Result<CallDriver, CallError> {
        let (store, tenant) = (self.store.clone(), pending.tenant.id.clone());
        let playout: Box<dyn Playout> = match pending.call.channel {
            Channel::Text => Box::new(StoredPrompts::new(InstantPlayout, store, tenant)),
            Channel::Browser | Channel::Twilio | Channel::Sip => Box::new(StoredPrompts::new(
                EstimatedPlayout::default(),
                store,
                tenant,
            )),
        };
        self.start_session(pending, playout).await
    }

    /// Starts a claimed call with `playout` timing its playback. A script that cannot start
    /// still gets a session, which runs the fallback.
    pub(super) async fn start_session(
        self: &Arc<Self>,
        mut pending: PendingCall,
        playout: Box<dyn Playout>,
    ) -> Result<CallDriver, CallError> {
        let tenant = pending.tenant.clone();
        let module = match self.load_module(&pending).await {
            Ok(module) => module,
            Err(error) => {
                self.abandon(pending).await;
                return Err(error);
            }
        };
        pending.call.started_at_ms = now_ms();
        let setup = CallSetup {
            call_id: pending.call_id.clone(),
            limits: limits_for(&tenant),
            kv: TenantKv {
                tenant: tenant.id.clone(),
                store: self.kv.clone(),
            },
            started_at_ms: pending.call.started_at_ms,
            random_seed: pending.call.random_seed,
            turns: Some(self.tenant_turns(&tenant.id)),
        };
        let began = Instant::now();
        let instance = self.sandbox.instantiate(&module, setup).await;
        self.metrics.call_started(&tenant.id, began.elapsed());
        let config = SessionConfig {
            http: session_limits(&tenant),
            ..self.config.session.clone()
        };
        let session = match instance {
            Ok(inner) => Session::new(
                MeteredScript {
                    inner,
                    metrics: self.metrics.clone(),
                    tenant_id: tenant.id.clone(),
                },
                playout,
                pending.call.clone(),
                config,
            ),
            Err(failure) => {
                Session::failed_at_start(playout, pending.call.clone(), config, failure)
            }
        };
        let summary = CallSummary {
            call_id: pending.call_id.clone(),
            tenant_id: tenant.id.clone(),
            module: pending.module.clone(),
            module_version: pending.version,
            status: CallStatus::Live,
            created_at_ms: pending.created_at_ms,
            ended_at_ms: None,
            intent: None,
            disposition: None,
            has_recording: false,
            progress: pending.progress.clone(),
            opted_out: false,
            callee: Some(pending.call.callee.clone()).filter(|c| !c.is_empty()),
            campaign_id: pending.campaign_id.clone(),
            tags: Vec::new(),
        };
        Ok(CallDriver::new(
            session,
            summary,
            self.clone(),
            self.shutdown.subscribe(),
            self.http_calls(&tenant),
        ))
    }

    /// A call's HTTP requests, made with the tenant's policy and secrets.
    pub(crate) fn http_calls(&self, tenant: &Tenant) -> HttpCalls {
        HttpCalls::new(
            self.outbound_http.clone(),
            self.metrics.clone(),
            self.store.clone(),
            tenant,
        )
    }

    /// The call's module, compiled (from the cache, or compiled now on the blocking pool).
    async fn load_module(
        self: &Arc<Self>,
        pending: &PendingCall,
    ) -> Result<ScriptModule, CallError> {
        let this = self.clone();
        let (t, n, v, d) = (
            pending.tenant.id.clone(),
            pending.module.clone(),
            pending.version,
            pending.digest.clone(),
        );
        let loaded = tokio::task::spawn_blocking(move || {
            this.modules
                .get(&this.sandbox, this.store.as_ref(), &t, &n, v, &d)
        })
        .await
        .map_err(|e| CallError::Load(e.to_string()))?;
        match loaded {
            Ok(module) => Ok(module),
            Err(LoadError::Store(e)) => Err(e.into()),
            Err(other) => Err(CallError::Load(other.to_string())),
        }
    }
}

/// The sandbox limits a tenant's quotas allow.
pub(crate) fn limits_for(tenant: &Tenant) -> Limits {
    let q = &tenant.quotas;
    Limits {
        memory_bytes: q.memory_bytes,
        cpu_per_event: Duration::from_millis(q.cpu_per_event_ms),
        cpu_per_call: Duration::from_millis(q.cpu_per_call_ms),
        wall_per_event: Duration::from_millis(q.wall_per_event_ms),
        ..Limits::default()
    }
}

/// A channel's name as the API spells it.
fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Text => "text",
        Channel::Browser => "browser",
        Channel::Twilio => "twilio",
        Channel::Sip => "sip",
    }
}
