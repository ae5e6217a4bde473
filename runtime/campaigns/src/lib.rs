//! Outbound campaigns: a tenant's contact list called by one script through one trunk,
//! inside calling windows, within caps, with retries, do-not-call lists, results and signed
//! webhooks.
//!
//! # Layout
//!
//! The rules are pure (a clock comes in, a decision comes out) and tested without sockets;
//! the dialler and the outbox are the only parts that run on their own.
//!
//! - [`calendar`] — when a contact may be called: the campaign's windows, breaks, blackout
//!   dates and start/end dates, the platform's calling hours, all in the callee's time
//!   zone.
//! - [`retry`] — what an attempt's outcome means for its contact: try again when, or done
//!   with which result.
//! - [`import`] — contact lists as CSV or JSON Lines, streamed: numbers normalised to
//!   E.164, duplicates, do-not-call and bad rows reported by line.
//! - [`webhooks`] — the signed POSTs a campaign sends, and the outbox task that delivers
//!   them with retries.
//! - `dialer` — the task that fills free capacity with due contacts and records what each
//!   attempt came to; it resumes after a restart without losing or over-dialling anyone.
//! - `service` — what the API calls: create, change, start, pause, resume, cancel and
//!   import; `draft` — the settings a tenant sends and how PATCH lays them over a
//!   campaign; `results` — the per-contact export; `dnc` — the do-not-call lists;
//!   `error` — why a request failed; `opt_outs` — customers who opt out on telephone
//!   calls no campaign placed go on their tenant's do-not-call list.

pub mod calendar;
mod dialer;
mod dnc;
mod draft;
mod error;
pub mod import;
mod opt_outs;
mod results;
pub mod retry;
mod service;
pub mod webhooks;

pub use dnc::{DncProblem, DncUploadReport};
pub use draft::{CampaignDraft, WebhookDraft};
pub use error::CampaignError;
pub use results::{ResultRow, ResultsFormat};
pub use service::{CampaignConfig, CampaignView, Campaigns, Transition};
