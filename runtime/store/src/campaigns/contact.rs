//! A campaign's contacts and the attempts made to reach them.

use serde::{Deserialize, Serialize};

/// Most variables one contact may carry: more than any call script reads, and it keeps a
/// contact (read on every attempt) small.
pub const MAX_VARIABLES: usize = 64;
/// Longest variable name plus value, in bytes.
pub const MAX_VARIABLE_BYTES: usize = 1024;
/// Longest external reference, in bytes: room for any CRM's id.
pub const MAX_REFERENCE_BYTES: usize = 128;

/// A contact as imported, before the store gives it a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    /// The number to call, E.164.
    pub number: String,
    /// The tenant's own id for this contact (a CRM member id), if it gave one.
    pub reference: Option<String>,
    /// Name/value pairs the script reads in `call-started` (`name`, `coupon_amount`…).
    pub variables: Vec<(String, String)>,
    /// The callee's own IANA time zone, if it differs from the campaign's.
    pub time_zone: Option<String>,
}

/// Where a contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    /// Waiting for its next attempt (the first one included).
    Pending,
    /// An attempt is being dialled or talked.
    Dialing,
    /// Reached a final result.
    Done,
}

/// How a contact finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactResult {
    /// A call was answered (the script ran).
    Answered,
    /// The last attempt was busy and no retry is left.
    Busy,
    /// The last attempt was not answered and no retry is left.
    NoAnswer,
    /// The callee declined and no retry is left.
    Rejected,
    /// The number does not exist; never retried.
    InvalidNumber,
    /// The network could not reach the callee and no retry is left.
    Unavailable,
    /// The last attempt failed for another reason and no retry is left.
    Failed,
    /// On a do-not-call list when its turn came: not dialled.
    DoNotCall,
    /// The campaign was cancelled or expired before the contact was reached.
    NotCalled,
}

impl ContactResult {
    /// The name the API and results files use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Rejected => "rejected",
            Self::InvalidNumber => "invalid-number",
            Self::Unavailable => "unavailable",
            Self::Failed => "failed",
            Self::DoNotCall => "do-not-call",
            Self::NotCalled => "not-called",
        }
    }
}

/// A contact of a campaign, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The campaign it belongs to.
    pub campaign_id: String,
    /// 1, 2, 3… in import order; unique within the campaign.
    pub seq: u64,
    /// The number to call, E.164; unique within the campaign.
    pub number: String,
    /// The tenant's own id for it, if given.
    pub reference: Option<String>,
    /// What the script reads in `call-started`.
    pub variables: Vec<(String, String)>,
    /// Its own time zone, if it differs from the campaign's.
    pub time_zone: Option<String>,
    /// Pending, dialling or done.
    pub state: ContactState,
    /// How it finished, once done.
    pub result: Option<ContactResult>,
    /// Attempts counted so far (an attempt is counted before it is dialled).
    pub attempts: u32,
    /// When a pending contact is next due, in ms since the Unix epoch.
    pub due_at_ms: u64,
    /// The call of the latest attempt, if one was placed.
    pub last_call_id: Option<String>,
    /// What the latest attempt came to.
    pub last_outcome: Option<AttemptOutcome>,
    /// The intent level (`A`…`F`) the script set on the answered call, if any.
    pub intent: Option<String>,
    /// The disposition the script set, if any.
    pub disposition: Option<String>,
    /// The tags the script set.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The fields the script set.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// The last call's audio was recorded (the tenant records calls).
    #[serde(default)]
    pub has_recording: bool,
    /// When it last changed, in ms since the Unix epoch.
    pub updated_at_ms: u64,
}

impl Contact {
    /// A contact as [`CampaignStore::add_contacts`](super::CampaignStore::add_contacts)
    /// stores it: pending, due at `due_at_ms`, no attempts.
    pub fn new(campaign_id: &str, seq: u64, new: &NewContact, due_at_ms: u64) -> Self {
        Self {
            campaign_id: campaign_id.to_owned(),
            seq,
            number: new.number.clone(),
            reference: new.reference.clone(),
            variables: new.variables.clone(),
            time_zone: new.time_zone.clone(),
            state: ContactState::Pending,
            result: None,
            attempts: 0,
            due_at_ms,
            last_call_id: None,
            last_outcome: None,
            intent: None,
            disposition: None,
            tags: Vec::new(),
            fields: Vec::new(),
            has_recording: false,
            updated_at_ms: due_at_ms,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttemptOutcome {
    /// Answered; the script ran.
    Answered,
    /// Busy.
    Busy,
    /// Not answered before the ring timeout.
    NoAnswer,
    /// Declined by the callee.
    Rejected,
    /// The number does not exist.
    InvalidNumber,
    /// The network or trunk could not take the call.
    Unavailable,
    /// Another failure (the call could not be placed, the trunk refused it…).
    Failed,
    /// The server stopped while the attempt was dialling or talking.
    Interrupted,
}

impl AttemptOutcome {
    /// The name the API and results files use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Rejected => "rejected",
            Self::InvalidNumber => "invalid-number",
            Self::Unavailable => "unavailable",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }
}

/// One try at reaching a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The campaign.
    pub campaign_id: String,
    /// The tenant that owns the campaign.
    pub tenant_id: String,
    /// The contact's sequence number.
    pub contact_seq: u64,
    /// 1 for the first attempt at this contact, 2 for the next…
    pub number: u32,
    /// The number dialled.
    pub to: String,
    /// The caller ID presented.
    pub from: String,
    /// The call placed for it, once the call exists.
    pub call_id: Option<String>,
    /// When it was counted (just before dialling), in ms since the Unix epoch.
    pub started_at_ms: u64,
    /// When it ended.
    pub ended_at_ms: Option<u64>,
    /// What it came to; `None` while open.
    pub outcome: Option<AttemptOutcome>,
    /// The SIP status that decided the outcome, if one did.
    pub sip_code: Option<u16>,
    /// Why it failed, in words, when it did not get as far as a SIP answer.
    pub error: Option<String>,
    /// Seconds the callee was connected (answered attempts).
    pub talk_secs: Option<u64>,
}
