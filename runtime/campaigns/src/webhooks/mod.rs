//! Campaign webhooks: the signed JSON POSTs a campaign sends its tenant's receiver when a
//! contact finishes (and, with `per_call`, when each call ends), and the outbox task that
//! delivers them with retries.
//!
//! The dialler builds a body ([`payload`]) when the event happens and queues it with the
//! attempt's record in one store write; the outbox ([`outbox`]) sends what is due, signed
//! ([`signing`]) with the campaign's secret, only to addresses outside the platform's
//! network (`huashu_outbound_http::address_policy`, shared with scripts' requests), one try
//! at a time ([`delivery`]).
//!
//! - [`signing`] — the `Huashu-*` headers and the HMAC-SHA256 signature; the receiver's
//!   check.
//! - [`payload`] — the `contact.finished` and `call.ended` bodies, and the outbox entry.
//! - [`delivery`] — one signed POST and what its answer means.
//! - [`outbox`] — the task: due deliveries, receivers side by side.
//! - `retries` — what a try's outcome means: delivered, retried after a backoff, or given
//!   up on.
//!
//! Not here: when an event is due (the dialler), and the store's layout of the outbox
//! (`huashu_store::campaigns`).

pub mod delivery;
pub mod outbox;
pub mod payload;
mod retries;
pub mod signing;

#[cfg(test)]
mod durable_outbox_tests;
#[cfg(test)]
mod outbox_tests;
#[cfg(test)]
mod test_receiver;
#[cfg(test)]
mod test_store;

pub use delivery::{TryOutcome, WebhookClient};
pub use outbox::{Outbox, OutboxConfig, OutboxError, run_outbox};
pub use signing::{SignatureError, sign, verify};
