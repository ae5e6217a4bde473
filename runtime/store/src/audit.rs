//! The audit of deletions: one [`AuditEntry`] for every erasure, single call deletion and
//! retention sweep that deleted something, saying who asked, what for, and how much went
//! (calls, their recordings, and for an erasure the campaign contacts it erased).
//!
//! An entry never holds what was erased: a call is named by its id, a telephone number by
//! its SHA-256. Changes to a tenant's secrets are audited here too, by name, never value. Entries are the tenant's record that its customers' data was deleted, so
//! they are kept: retention does not sweep them.

use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::secrets::random_id;

/// The actor of deletions the background retention sweeper made.
pub const RETENTION_ACTOR: &str = "retention";
/// The actor of deletions the operator asked for (`POST /v1/retention/sweep`).
pub const OPERATOR_ACTOR: &str = "operator";

/// The actor of deletions a tenant asked for with the API key `key_id`.
pub fn tenant_key_actor(key_id: &str) -> String {
    format!("tenant-key:{key_id}")
}

/// What deleted the calls an entry counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// Every call with one telephone number (`POST /v1/erasures`).
    EraseNumber,
    /// One call (`DELETE /v1/calls/{id}`).
    DeleteCall,
    /// Calls past the tenant's retention.
    Retention,
    /// A tenant set or replaced one of its secrets (`PUT /v1/secrets/{name}`); the subject
    /// is the secret's name, never its value, and nothing is counted.
    PutSecret,
    /// A tenant deleted one of its secrets (`DELETE /v1/secrets/{name}`); the subject is
    /// the secret's name.
    DeleteSecret,
}

/// One deletion, as the audit keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// `a_` followed by 16 hex digits; an erasure's `erasure_id`.
    pub id: String,
    /// When the deletion was asked for, in ms since the Unix epoch.
    pub at_ms: u64,
    /// The tenant whose calls were deleted.
    pub tenant_id: String,
    /// Who asked: `tenant-key:<key id>`, `operator` or `retention`.
    pub actor: String,
    /// What was asked for.
    pub action: AuditAction,
    /// What the deletion was about: the call id, the hex SHA-256 of the erased number, or
    /// for retention `ended-before:<cutoff ms>`. Never the number itself.
    pub subject: String,
    /// Calls deleted (summary, record and index entries).
    pub calls_deleted: u64,
    /// Of those, calls whose recording was deleted with them.
    pub recordings_deleted: u64,
    /// Campaign contacts whose number and details were erased (erasures only; entries
    /// written before campaigns were erased read as 0).
    #[serde(default)]
    pub contacts_erased: u64,
}

impl AuditEntry {
    /// A new entry with a fresh id and nothing deleted yet.
    pub fn new(
        tenant_id: &str,
        actor: &str,
        action: AuditAction,
        subject: String,
        at_ms: u64,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            id: random_id("a_", 8)?,
            at_ms,
            tenant_id: tenant_id.to_owned(),
            actor: actor.to_owned(),
            action,
            subject,
            calls_deleted: 0,
            recordings_deleted: 0,
            contacts_erased: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_their_actions_in_kebab_case_and_get_fresh_ids() {
        let entry = AuditEntry::new(
            "t_1",
            &tenant_key_actor("k_01"),
            AuditAction::EraseNumber,
            "ab".repeat(32),
            7,
        )
        .unwrap();
        let other = AuditEntry::new(
            "t_1",
            RETENTION_ACTOR,
            AuditAction::Retention,
            "x".into(),
            7,
        )
        .unwrap();
        assert_ne!(entry.id, other.id);
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["action"], "erase-number");
        assert_eq!(json["actor"], "tenant-key:k_01");
        assert_eq!(json["calls_deleted"], 0);
        let back: AuditEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
    }

    #[test]
    fn an_entry_stored_before_contacts_were_erased_reads_as_none_erased() {
        let old = serde_json::json!({
            "id": "a_0123456789abcdef", "at_ms": 7, "tenant_id": "t_1",
            "actor": "retention", "action": "retention", "subject": "ended-before:5",
            "calls_deleted": 2, "recordings_deleted": 1,
        });
        let entry: AuditEntry = serde_json::from_value(old).unwrap();
        assert_eq!((entry.calls_deleted, entry.contacts_erased), (2, 0));
    }
}
