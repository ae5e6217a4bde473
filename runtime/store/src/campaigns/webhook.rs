//! The webhook outbox: each POST a campaign owes its tenant's receiver, kept until it is
//! delivered (or given up on), so a receiver that is down for hours loses nothing.

use serde::{Deserialize, Serialize};

/// What a delivery reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A contact reached its final result.
    ContactFinished,
    /// One attempt ended (campaigns with `per_call` webhooks).
    CallEnded,
}

impl WebhookEvent {
    /// The name in the payload's `event` field: `contact.finished`, `call.ended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContactFinished => "contact.finished",
            Self::CallEnded => "call.ended",
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookState {
    /// Not delivered yet; tried again at `next_try_at_ms`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up on after the last retry.
    Failed,
}

/// One POST owed to a receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// `wh_` and 16 hex digits; also sent to the receiver, so it can drop repeats.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// The campaign it reports on.
    pub campaign_id: String,
    /// What it reports.
    pub event: WebhookEvent,
    /// Where it goes (the campaign's URL when it was queued).
    pub url: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// When it was queued, in ms since the Unix epoch.
    pub created_at_ms: u64,
    /// Where it stands.
    pub state: WebhookState,
    /// Tries so far.
    pub tries: u32,
    /// When the next try is due (pending deliveries).
    pub next_try_at_ms: u64,
    /// The HTTP status of the last try, if the receiver answered.
    pub last_status: Option<u16>,
    /// Why the last try failed, if it did.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at_ms: Option<u64>,
}
