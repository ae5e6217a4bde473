//! Outbound campaigns as stored: the campaign (its settings, state and running counts), its
//! contacts, each dialling attempt, the do-not-call lists, the per-number dial log behind
//! the platform's frequency cap, and the webhook outbox. Plain serde types and the rules a
//! stored value keeps; the campaigns stage decides when to dial, each backend decides the
//! layout.
//!
//! [`CampaignStore`] is the interface. Its writes that change a contact are
//! compare-and-set and durable before they return, because the dialler's promise, "no
//! contact gets more attempts than its rules allow, even across a `kill -9`", rests on
//! them: an attempt is counted ([`CampaignStore::begin_attempt`]) before the call is
//! dialled, and finished ([`CampaignStore::finish_attempt`]) with its outcome, the
//! contact's next step, the campaign's counts and the webhook to send, all in one write.
//!
//! A customer's number is erased from every campaign of its tenant by
//! [`CampaignStore::erase_number`] (see [`ContactErasure`] for what stays).

mod contact;
mod dnc;
mod erasure;
mod settings;
mod stats;
mod validate;
mod webhook;

pub use contact::{
    Attempt, AttemptOutcome, Contact, ContactResult, ContactState, MAX_REFERENCE_BYTES,
    MAX_VARIABLE_BYTES, MAX_VARIABLES, NewContact,
};
pub use dnc::{DncEntry, DncScope, DncSource};
pub use erasure::{ContactErasure, ERASED_NUMBER, ERASED_WEBHOOK_BODY, ERASED_WEBHOOK_ERROR};
pub use settings::{
    CallingWindow, Campaign, CampaignState, CampaignWebhook, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_CALLS_PER_SECOND, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_PRIORITY,
    DEFAULT_RING_TIMEOUT_SECS, RetryRule, RetryRules, Schedule, TimeOfDay, TimeSpan, Weekday,
};
pub use stats::{CampaignStats, StatsDelta};
pub use validate::{
    MAX_ATTEMPTS, MAX_CAMPAIGN_CALLS_PER_SECOND, MAX_CAMPAIGN_CONCURRENCY, MAX_RETRY_WAIT_SECS,
    MAX_RING_TIMEOUT_SECS, MAX_WINDOWS,
};
pub use webhook::{WebhookDelivery, WebhookEvent, WebhookState};

use crate::{Page, PageRequest, StoreError};

/// Everything campaigns persist. Like [`Store`](crate::Store), methods are synchronous and
/// block until durable: call them off the async workers.
pub trait CampaignStore: Send + Sync {
    // ── campaigns ──
    /// Creates or replaces a campaign's settings and state (its counts are kept apart,
    /// see [`Self::campaign_stats`]). The caller has validated it ([`Campaign::validate`]).
    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError>;
    /// The tenant's campaign with this id; `None` if the tenant has none.
    fn campaign(&self, tenant_id: &str, campaign_id: &str) -> Result<Option<Campaign>, StoreError>;
    /// The tenant's campaigns, newest first.
    fn list_campaigns(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Campaign>, StoreError>;
    /// Every campaign that is running or paused, across tenants: what the dialler watches.
    fn active_campaigns(&self) -> Result<Vec<Campaign>, StoreError>;
    /// The campaign's running counts (all zero for a campaign with no contacts yet).
    fn campaign_stats(&self, campaign_id: &str) -> Result<CampaignStats, StoreError>;

    // ── contacts ──
    /// Adds a batch of contacts to the campaign, in order, skipping numbers the campaign
    /// already has (this batch included). Each one added gets the next sequence number and
    /// is due at `due_at_ms`; the campaign's counts grow by the ones added. Answers, per
    /// contact in `batch`, its sequence number, or `None` for a duplicate. Atomic and
    /// durable.
    fn add_contacts(
        &self,
        campaign_id: &str,
        batch: &[NewContact],
        due_at_ms: u64,
    ) -> Result<Vec<Option<u64>>, StoreError>;
    /// One contact by its sequence number.
    fn contact(&self, campaign_id: &str, seq: u64) -> Result<Option<Contact>, StoreError>;
    /// The campaign's contacts in sequence order (the order they were imported), one page
    /// at a time (the cursor is the last sequence number, in decimal).
    fn contacts(&self, campaign_id: &str, page: &PageRequest) -> Result<Page<Contact>, StoreError>;
    /// Up to `limit` pending contacts whose next attempt is due at or before `now_ms`,
    /// soonest first (ties in sequence order).
    fn due_contacts(
        &self,
        campaign_id: &str,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError>;
    /// When the campaign's next pending contact falls due; `None` when none is pending.
    fn next_due_at(&self, campaign_id: &str) -> Result<Option<u64>, StoreError>;
    /// Moves a pending contact to a new due time without an attempt (outside its calling
    /// window, over the number's frequency cap). Compare-and-set on `contact.attempts` and
    /// the pending state; answers whether it applied.
    fn defer_contact(&self, contact: &Contact, due_at_ms: u64) -> Result<bool, StoreError>;
    /// Finishes a pending contact without an attempt (found on a do-not-call list at dial
    /// time, or its campaign was cancelled), with `result`; counts it in `delta` and queues
    /// `webhooks`. Compare-and-set like [`Self::defer_contact`].
    fn close_contact(
        &self,
        contact: &Contact,
        result: ContactResult,
        delta: &StatsDelta,
        webhooks: &[WebhookDelivery],
    ) -> Result<bool, StoreError>;

    // ── attempts ──
    /// Counts an attempt before it is dialled: if the contact is still pending with
    /// `contact.attempts` attempts, it becomes `dialing` with one more, `attempt` (number
    /// `contact.attempts + 1`, no outcome) is stored, the dial is written to the number's
    /// dial log at `attempt.started_at_ms`, and `delta` is added to the campaign's counts.
    /// Answers whether it applied (false: the contact changed meanwhile). Atomic and
    /// durable: after a crash the attempt is there, open.
    fn begin_attempt(
        &self,
        contact: &Contact,
        attempt: &Attempt,
        delta: &StatsDelta,
    ) -> Result<bool, StoreError>;
    /// Replaces an open attempt (to note the id of the call placed for it).
    fn update_attempt(&self, attempt: &Attempt) -> Result<(), StoreError>;
    /// Ends an attempt: stores `attempt` (with its outcome), replaces the contact with
    /// `contact` (pending again with a new due time, or done), adds `delta` to the
    /// campaign's counts, and queues `webhooks` (none, the call's, the contact's, or both).
    /// Atomic and durable.
    fn finish_attempt(
        &self,
        attempt: &Attempt,
        contact: &Contact,
        delta: &StatsDelta,
        webhooks: &[WebhookDelivery],
    ) -> Result<(), StoreError>;
    /// A contact's attempts, first to last.
    fn attempts(&self, campaign_id: &str, seq: u64) -> Result<Vec<Attempt>, StoreError>;
    /// Every attempt with no outcome, across campaigns: after a restart, the ones a crash
    /// cut off.
    fn open_attempts(&self) -> Result<Vec<Attempt>, StoreError>;

    // ── the platform's per-number frequency cap ──
    /// How many attempts went to `number` (E.164, any tenant) at or after `since_ms`.
    fn dials_since(&self, number: &str, since_ms: u64) -> Result<u32, StoreError>;
    /// Forgets dial-log entries older than `before_ms` (they can no longer count).
    fn prune_dial_log(&self, before_ms: u64) -> Result<u64, StoreError>;

    // ── do-not-call ──
    /// Adds or replaces a number on a list.
    fn put_dnc(&self, entry: &DncEntry) -> Result<(), StoreError>;
    /// Adds many numbers to one list in one durable write.
    fn put_dnc_batch(&self, entries: &[DncEntry]) -> Result<(), StoreError>;
    /// The entry for `number` on `scope`'s list, if it is there.
    fn dnc(&self, scope: &DncScope, number: &str) -> Result<Option<DncEntry>, StoreError>;
    /// Removes a number from a list; answers whether it was there.
    fn delete_dnc(&self, scope: &DncScope, number: &str) -> Result<bool, StoreError>;
    /// One list, ordered by number.
    fn list_dnc(&self, scope: &DncScope, page: &PageRequest) -> Result<Page<DncEntry>, StoreError>;

    // ── the webhook outbox ──
    /// Queues a delivery (also done by [`Self::finish_attempt`] and [`Self::close_contact`]).
    fn enqueue_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError>;
    /// Up to `limit` pending deliveries whose next try is due at or before `now_ms`,
    /// soonest first.
    fn due_webhooks(&self, now_ms: u64, limit: usize) -> Result<Vec<WebhookDelivery>, StoreError>;
    /// Replaces a delivery after a try (its state, tries, next try, last error).
    fn update_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError>;
    /// A campaign's deliveries, newest first.
    fn campaign_webhooks(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        page: &PageRequest,
    ) -> Result<Page<WebhookDelivery>, StoreError>;

    // ── erasure ──
    /// Erases `number` (E.164) from every campaign of the tenant, whatever its state, as
    /// its customer asked. A contact with the number whose attempt is being dialled or
    /// talked is passed over and counted in `contacts_skipped_dialing`: its call is live;
    /// erase again once it has ended. Every other one is erased in one durable write:
    /// - its `number` becomes [`ERASED_NUMBER`]; its reference, variables, time zone,
    ///   disposition, tags and fields are cleared, and it no longer claims a recording
    ///   (that went with its call, which the call erasure deletes; `last_call_id` stays);
    /// - if it was pending, it is finished as [`ContactResult::NotCalled`] and the
    ///   campaign's counts move with it, so an erased customer is never dialled;
    /// - the campaign forgets it has the number: importing the number again adds a new
    ///   contact rather than a duplicate (the tenant asked to forget the customer, not to
    ///   block them; blocking is what the do-not-call lists are for);
    /// - the `to` of each of its attempts becomes [`ERASED_NUMBER`];
    /// - the campaign's webhook deliveries whose body holds the number keep
    ///   [`ERASED_WEBHOOK_BODY`] instead, and any still pending is given up on
    ///   ([`ERASED_WEBHOOK_ERROR`]).
    ///
    /// The do-not-call lists and the platform's dial log keep the number (see
    /// [`ContactErasure`]).
    fn erase_number(&self, tenant_id: &str, number: &str) -> Result<ContactErasure, StoreError>;
}
