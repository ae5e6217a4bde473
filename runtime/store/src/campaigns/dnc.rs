//! Do-not-call lists: the platform's (kept by the operator, binding on every tenant) and
//! each tenant's own.

use serde::{Deserialize, Serialize};

/// Whose list a number is on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "tenant_id")]
pub enum DncScope {
    /// The operator's list: no tenant's call reaches these numbers.
    Platform,
    /// One tenant's list.
    Tenant(String),
}

/// How a number got on a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DncSource {
    /// Added over the API, one number or a bulk upload.
    Api,
    /// The callee opted out during a call, and the script recorded it.
    Script,
}

/// A number on a do-not-call list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DncEntry {
    /// Whose list.
    pub scope: DncScope,
    /// The number, E.164.
    pub number: String,
    /// Why, in the words of whoever added it (may be empty).
    pub reason: String,
    /// How it was added.
    pub source: DncSource,
    /// The call in which the callee opted out, for [`DncSource::Script`].
    pub call_id: Option<String>,
    /// When it was added, in ms since the Unix epoch.
    pub added_at_ms: u64,
}
