//! What the store keeps: tenants, their quotas and outbound HTTP allowlists, API keys
//! (hashed), module versions, prompts, call summaries and records (and recordings, which
//! are bare WAV bytes). Plain serde types; each backend decides the layout.

use serde::{Deserialize, Serialize};

/// A tenant's limits, set by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Calls that may be live at once; one more gets HTTP 429.
    pub max_concurrent_calls: u32,
    /// Linear memory per call instance, in bytes.
    pub memory_bytes: u64,
    /// CPU one event may use, in milliseconds.
    pub cpu_per_event_ms: u64,
    /// CPU a whole call may use, in milliseconds.
    pub cpu_per_call_ms: u64,
    /// Wall-clock time the script may take to answer one event, in milliseconds: ends a
    /// script that sleeps or waits on something that never answers.
    pub wall_per_event_ms: u64,
    /// Largest module upload, in bytes.
    pub max_module_bytes: u64,
    /// Key-value space (keys plus values), in bytes.
    pub kv_bytes: u64,
    /// Days a call's record and recording are kept after the call ended: 1 to
    /// [`MAX_RETENTION_DAYS`](crate::retention::MAX_RETENTION_DAYS), or 0 to keep them
    /// forever. `None` follows the server's default (`huashu serve --retention-days`).
    pub retention_days: Option<u32>,
    /// Outbound HTTP requests one call's script may make in all (its `http-request`
    /// actions); one more is answered `limited` without leaving the server.
    pub http_requests_per_call: u32,
    /// Outbound HTTP requests the script may start while handling one event.
    pub http_requests_per_event: u32,
    /// Outbound HTTP requests in flight at once across all the tenant's calls; one more
    /// is answered `limited`.
    pub http_concurrent_requests: u32,
    /// A request's timeout when the script asks for none, and the most it may ask for, in
    /// milliseconds.
    pub http_timeout_ms: u64,
    /// Largest response body a request may read, in bytes; a longer one is answered
    /// `too-large`.
    pub http_response_bytes: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            max_concurrent_calls: 100,
            memory_bytes: 64 << 20,
            cpu_per_event_ms: 50,
            cpu_per_call_ms: 5_000,
            wall_per_event_ms: 500,
            // Rust scripts are ~100 KiB; Python and JavaScript components 12–18 MB.
            max_module_bytes: 32 << 20,
            kv_bytes: 1 << 20,
            retention_days: None,
            // A call looks up a customer, fetches an offer, posts an outcome: a handful of
            // requests. 20 leaves room for retries and paging, and caps what a looping
            // script can send on one call.
            http_requests_per_call: 20,
            // One turn rarely needs more than two look-ups side by side; 4 stops a single
            // event from fanning out into a flood.
            http_requests_per_event: 4,
            // The tenant's backends see at most this many requests at once from all its
            // calls; 10 serves ~100 concurrent calls that ask now and then, and keeps one
            // tenant from tying up the server's outbound connections.
            http_concurrent_requests: 10,
            // A caller hears silence while the script waits for an answer: past 2 s the
            // pause is noticeable, so a slow backend should fail fast and the script say so.
            http_timeout_ms: 2_000,
            // Answers scripts read are JSON records, a few KiB; 256 KiB fits a generous
            // list while bounding the memory one request holds.
            http_response_bytes: 256 << 10,
        }
    }
}

/// A company writing call scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// `t_` followed by 16 hex digits.
    pub id: String,
    /// Display name, as the operator set it.
    pub name: String,
    /// When the tenant was created, in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// A disabled tenant's keys still authenticate, but its calls are refused.
    pub disabled: bool,
    /// The tenant's limits.
    pub quotas: Quotas,
    /// Voice calls keep their mixed audio with the call record (set by the operator; off
    /// unless asked for, since a recording costs 32 KB per second of call).
    #[serde(default)]
    pub record_calls: bool,
    /// The origins the tenant's scripts may send HTTP requests to, as the operator set
    /// them (canonical origin strings, checked by the API). Empty: no outbound HTTP.
    #[serde(default)]
    pub http_allowlist: Vec<HttpAllowEntry>,
    /// The tenant's own narrowing of `http_allowlist`: origins each covered by one of the
    /// operator's entries when set. `None` uses the operator's list as it is. Applied
    /// against the operator's list as it is when a call runs, so an origin the operator
    /// no longer covers drops out.
    #[serde(default)]
    pub http_origins: Option<Vec<String>>,
    /// The language its modules' listens expect when neither the listen nor the module
    /// names one (canonical BCP 47, `zh-CN`); `None` for the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// One entry of a tenant's outbound HTTP allowlist, as stored: plain strings; the API
/// parses them into the outbound HTTP stage's types before they are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpAllowEntry {
    /// `https://crm.example.com`, `https://*.example.com:8443`, `http://10.0.0.5:8080`.
    pub origin: String,
    /// The origin's host may resolve to a loopback, private or link-local address (a
    /// service on the operator's own network); refused otherwise whatever the list says.
    #[serde(default)]
    pub private_network: bool,
}

/// An API key as stored: only the SHA-256 of the secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// `k_` followed by 12 hex digits; shown in listings, not secret.
    pub id: String,
    /// The tenant the key acts for.
    pub tenant_id: String,
    /// Hex SHA-256 of the full secret key.
    pub secret_sha256: String,
    /// Free text from whoever issued the key, to tell keys apart (may be empty).
    pub label: String,
    /// When the key was issued, in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// A revoked key no longer authenticates; it is kept for listings.
    pub revoked: bool,
}

/// One uploaded version of a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleVersion {
    /// The tenant that uploaded it.
    pub tenant_id: String,
    /// The module's name, unique within the tenant.
    pub name: String,
    /// 1, 2, 3… per (tenant, name), assigned by the store.
    pub version: u32,
    /// Hex SHA-256 of the component bytes.
    pub digest: String,
    /// Size of the component as uploaded, in bytes.
    pub size_bytes: u64,
    /// When the version was uploaded, in ms since the Unix epoch.
    pub created_at_ms: u64,
}

/// A module and its versions, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSummary {
    /// The module's name, unique within the tenant.
    pub name: String,
    /// Every uploaded version.
    pub versions: Vec<ModuleVersion>,
    /// The pinned version, or `None` for "the latest".
    pub pinned: Option<u32>,
    /// The language its listens expect when they name none (BCP 47, `zh-CN`); `None` for
    /// the tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl ModuleSummary {
    /// The version new calls use: the pinned one, else the latest.
    pub fn active(&self) -> Option<&ModuleVersion> {
        match self.pinned {
            Some(v) => self.versions.iter().find(|m| m.version == v),
            None => self.versions.iter().max_by_key(|m| m.version),
        }
    }
}

/// A recorded prompt's metadata (the WAV bytes are stored beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptMeta {
    /// The tenant that uploaded it.
    pub tenant_id: String,
    /// The name scripts play it by, unique within the tenant.
    pub name: String,
    /// Size of the WAV file, in bytes.
    pub size_bytes: u64,
    /// Playing time, in ms.
    pub duration_ms: u32,
    /// The file's own sample rate, in Hz (played resampled to each call's codec).
    pub sample_rate: u32,
    /// Channels in the file: 1 or 2 (stereo is mixed to mono for playing).
    pub channels: u16,
    /// When it was uploaded, in ms since the Unix epoch.
    pub created_at_ms: u64,
}

/// How a call ended, for listings and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Created, not connected yet, or in progress.
    Live,
    /// Ended normally (by either side).
    Completed,
    /// The script failed and the fallback ran.
    Failed,
    /// The server stopped (crash, kill) while the call was live.
    Interrupted,
    /// A telephone call that was never answered (busy, no answer, rejected…): the script
    /// never ran, and the summary's `progress` says why.
    Unanswered,
}

/// How far a placed (or answered) telephone call got, in the terms call-progress reports
/// use. The first three are steps; the others are final reasons a call was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgressState {
    /// The INVITE is out; nothing heard back but `100 Trying`.
    Dialing,
    /// The far end is ringing (180) or playing early media (183).
    Ringing,
    /// The far end answered (200): the script ran.
    Answered,
    /// Busy here or everywhere (486, 600).
    Busy,
    /// Nobody answered before the ring timeout (we sent CANCEL), or 480/408.
    NoAnswer,
    /// The callee declined (603).
    Rejected,
    /// The number does not exist (404, 604, 484).
    InvalidNumber,
    /// The network or trunk could not take the call (503, other 5xx, no response).
    Unavailable,
    /// Any other failure (other 4xx, authentication refused, no RTP port).
    Failed,
}

/// A telephone call's progress, kept in its summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallProgress {
    /// The latest step, or the final reason the call was not answered.
    pub state: ProgressState,
    /// The SIP status that decided `state`, if one did (a ring timeout has none of its
    /// own: the CANCEL's 487 is ours).
    pub sip_code: Option<u16>,
    /// The trunk the call went through (outbound calls).
    pub trunk: Option<String>,
    /// The calling number as sent.
    pub from: String,
    /// The called number.
    pub to: String,
    /// When the INVITE went out or came in (ms since the Unix epoch).
    pub dialed_at_ms: u64,
    /// When the far end started ringing, if it did.
    pub ringing_at_ms: Option<u64>,
    /// When the call was answered, if it was.
    pub answered_at_ms: Option<u64>,
}

/// A call as listed: enough to filter and sort, without the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSummary {
    /// The call's id, unique within the tenant.
    pub call_id: String,
    /// The tenant the call belongs to.
    pub tenant_id: String,
    /// Name of the module (script) that ran the call.
    pub module: String,
    /// Which version of that module ran it.
    pub module_version: u32,
    /// Live, or how the call ended.
    pub status: CallStatus,
    /// When the call was created, in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// When the call ended, in ms since the Unix epoch; `None` while live.
    pub ended_at_ms: Option<u64>,
    /// Intent level letter (`A`…`F`) if the script set one.
    pub intent: Option<String>,
    /// The disposition the script set in its outcome (free text), if any.
    pub disposition: Option<String>,
    /// The call's audio was recorded and is stored beside its record.
    #[serde(default)]
    pub has_recording: bool,
    /// For telephone (SIP) calls: how far the call got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<CallProgress>,
    /// The called party: the number dialled for telephone calls, whatever the creator
    /// named otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee: Option<String>,
    /// The campaign that placed the call, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    /// The tags the script set in its outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The customer asked never to be called again: the script's `opt-out` action
    /// (contract 0.2.0). The campaigns stage puts the number on the tenant's do-not-call
    /// list when it sees this. Summaries stored before it existed read as `false`.
    #[serde(default)]
    pub opted_out: bool,
}

/// What became of one call asked to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDeletion {
    /// Deleted, with its recording if `recording`.
    Deleted {
        /// The call had a recording, deleted with it.
        recording: bool,
    },
    /// The call is live: nothing was deleted (its record is written when it ends).
    Live,
    /// The tenant has no such call.
    Missing,
}

/// Which calls to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    /// Only calls run by the module of this name.
    pub module: Option<String>,
    /// Intent level letter.
    pub intent: Option<String>,
    /// Only calls with this status.
    pub status: Option<CallStatus>,
    /// Created at or after (ms since the Unix epoch).
    pub since_ms: Option<u64>,
    /// Created before.
    pub until_ms: Option<u64>,
    /// Only calls to this party (an E.164 number for telephone calls).
    pub callee: Option<String>,
    /// Only calls placed by this campaign.
    pub campaign: Option<String>,
    /// Only calls whose script set this tag.
    pub tag: Option<String>,
}

/// Cursor pagination: `limit` items after the opaque `after` cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The `next` cursor of the previous page; `None` for the first page.
    pub after: Option<String>,
    /// Most items to return; backends treat 0 as 1.
    pub limit: usize,
}

/// One page and the cursor for the next, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// At most `limit` items, in the listing's order.
    pub items: Vec<T>,
    /// Cursor to pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_stored_before_outbound_http_reads_with_the_default_limits_and_no_allowlist() {
        let old = serde_json::json!({
            "id": "t_0123456789abcdef", "name": "Acme", "created_at_ms": 7, "disabled": false,
            "quotas": {
                "max_concurrent_calls": 5, "memory_bytes": 1048576, "cpu_per_event_ms": 50,
                "cpu_per_call_ms": 5000, "wall_per_event_ms": 500, "max_module_bytes": 1024,
                "kv_bytes": 1024, "retention_days": null
            },
            "record_calls": true
        });
        let tenant: Tenant = serde_json::from_value(old).expect("an old tenant reads");
        assert_eq!(tenant.quotas.max_concurrent_calls, 5);
        assert_eq!(tenant.quotas.http_requests_per_call, 20);
        assert_eq!(tenant.quotas.http_requests_per_event, 4);
        assert_eq!(tenant.quotas.http_concurrent_requests, 10);
        assert_eq!(tenant.quotas.http_timeout_ms, 2_000);
        assert_eq!(tenant.quotas.http_response_bytes, 256 << 10);
        assert!(tenant.http_allowlist.is_empty());
        assert_eq!(tenant.http_origins, None);
    }

    #[test]
    fn an_allow_entry_without_private_network_reads_as_public_only() {
        let entry: HttpAllowEntry =
            serde_json::from_str(r#"{"origin":"https://crm.example.com"}"#).expect("reads");
        assert!(!entry.private_network);
    }
}
