//! Erasing one telephone number from a tenant's campaigns, at its customer's request
//! (`POST /v1/erasures`, beside the calls it deletes): what
//! [`CampaignStore::erase_number`](super::CampaignStore::erase_number) answers, and the
//! fixed text an erased value is replaced with.
//!
//! An erased contact keeps its place (sequence number, attempts, result, its last call's
//! id) so the campaign's counts and results still add up; everything that names or
//! describes the customer goes. Two things keep the number on purpose: the do-not-call
//! lists (a number erased from them could be dialled again, against the objection the
//! customer made) and the platform's dial log behind the 24-hour frequency cap (shared by
//! every tenant, keyed by number alone, and pruned within a day).

use serde::{Deserialize, Serialize};

/// What an erased contact's `number`, and the `to` of each of its attempts, becomes. Not a
/// telephone number, so no import can bring in a contact that looks like an erased one.
pub const ERASED_NUMBER: &str = "erased";

/// The body an erased webhook delivery keeps instead of its report on the customer.
pub const ERASED_WEBHOOK_BODY: &str = r#"{"erased":true}"#;

/// Why a delivery still pending when its body was erased was given up on.
pub const ERASED_WEBHOOK_ERROR: &str = "erased on the tenant's request";

/// What erasing a number from a tenant's campaigns came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactErasure {
    /// Contacts erased (one per campaign at most: a number is unique within a campaign).
    pub contacts_erased: u64,
    /// Contacts passed over because an attempt at them was being dialled or talked: the
    /// call is live. Erase again once it has ended.
    pub contacts_skipped_dialing: u64,
}
