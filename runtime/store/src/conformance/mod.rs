//! The storage conformance suite: behaviour every backend of [`Store`], [`SecretStore`]
//! and [`KeyValueStore`] must show, written once against the traits and run by each
//! backend's own tests against itself (one suite, two backends: sled and PostgreSQL).
//!
//! A backend's test calls [`run_all`] with a function that makes a fresh, empty store;
//! every case gets its own. Cases check what a caller of the traits can see (ordering,
//! paging, conflicts, quotas, atomic counters, what deletion leaves behind), never a
//! backend's layout: tests of a backend's internals (damaged files, indexes) stay beside
//! that backend.
//!
//! # Layout
//!
//! - [`accounts`] — the operator token, tenants and API keys.
//! - [`modules`] — module versions, pins, languages and bytes.
//! - [`prompts`] — recorded prompts.
//! - [`calls`] — call summaries, records, listings and filters, live calls, recordings.
//! - [`deletion`] — deleting calls with the audit, the retention and erasure scans, sweeps.
//! - [`kv`] — the tenants' key-value space and its quota.
//! - [`secrets`] — tenants' secrets.
//! - [`telephony`] — trunks and routed numbers.
//!
//! Only built with the `conformance` feature, which backends turn on for their tests.

pub mod accounts;
pub mod calls;
pub mod deletion;
pub mod kv;
pub mod modules;
pub mod prompts;
pub mod secrets;
pub mod telephony;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::{ApiKey, CallStatus, CallSummary, KeyValueStore, PageRequest, Quotas, Store, Tenant};

/// What the suite runs against: one store that is also the tenants' key-value store.
pub trait Backend: Store + KeyValueStore {
    /// `self` as a [`Store`], for functions that take one.
    fn store(&self) -> &dyn Store;
}

impl<T: Store + KeyValueStore> Backend for T {
    fn store(&self) -> &dyn Store {
        self
    }
}

/// One behaviour: a name that says it, and the check, given a fresh store.
pub type Case = (&'static str, fn(&dyn Backend));

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    [
        accounts::CASES,
        modules::CASES,
        prompts::CASES,
        calls::CASES,
        deletion::CASES,
        kv::CASES,
        secrets::CASES,
        telephony::CASES,
    ]
    .concat()
}

/// What a run of the suite found.
#[derive(Debug, Default)]
pub struct Report {
    /// Names of the cases that passed.
    pub passed: Vec<&'static str>,
    /// Names of the cases that failed, with why.
    pub failed: Vec<(&'static str, String)>,
}

impl Report {
    /// Panics listing every failed case, if any failed; else says how many passed.
    pub fn assert_all_passed(&self, backend: &str) {
        if self.failed.is_empty() {
            println!(
                "storage conformance on {backend}: all {} cases passed",
                self.passed.len()
            );
            return;
        }
        let failures: Vec<String> = self
            .failed
            .iter()
            .map(|(name, why)| format!("  {name}: {why}"))
            .collect();
        panic!(
            "storage conformance on {backend}: {} of {} cases failed:\n{}",
            self.failed.len(),
            self.failed.len() + self.passed.len(),
            failures.join("\n")
        );
    }
}

/// Runs every case (those whose name contains `HUASHU_CONFORMANCE`, when that is set),
/// each on a fresh store from `fresh`, and reports which passed. A failing case does not
/// stop the others.
pub fn run_all(fresh: &mut dyn FnMut() -> Box<dyn Backend>) -> Report {
    let only = std::env::var("HUASHU_CONFORMANCE").ok();
    let mut report = Report::default();
    for (name, case) in cases() {
        if only.as_deref().is_some_and(|only| !name.contains(only)) {
            continue;
        }
        let store = fresh();
        match catch_unwind(AssertUnwindSafe(|| case(store.as_ref()))) {
            Ok(()) => report.passed.push(name),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "panicked".to_owned());
                report.failed.push((name, why));
            }
        }
    }
    report
}

// ── fixtures the cases share ──

/// A tenant with default quotas.
pub fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.into(),
        name: format!("tenant {id}"),
        created_at_ms: 1,
        disabled: false,
        quotas: Quotas::default(),
        record_calls: false,
        http_allowlist: Vec::new(),
        http_origins: None,
        language: None,
    }
}

/// An unrevoked key of `tenant_id` whose secret hashes to `secret`.
pub fn key(id: &str, tenant_id: &str, secret: &str) -> ApiKey {
    ApiKey {
        id: id.into(),
        tenant_id: tenant_id.into(),
        secret_sha256: secret.into(),
        label: "test".into(),
        created_at_ms: 2,
        revoked: false,
    }
}

/// A call of `module` "bot"; completed 5 ms after it was created when `ended_at_ms` is
/// given, else live.
pub fn call(
    tenant_id: &str,
    id: &str,
    created_at_ms: u64,
    ended_at_ms: Option<u64>,
) -> CallSummary {
    CallSummary {
        call_id: id.into(),
        tenant_id: tenant_id.into(),
        module: "bot".into(),
        module_version: 1,
        status: if ended_at_ms.is_some() {
            CallStatus::Completed
        } else {
            CallStatus::Live
        },
        created_at_ms,
        ended_at_ms,
        intent: None,
        disposition: None,
        has_recording: false,
        progress: None,
        callee: None,
        campaign_id: None,
        tags: Vec::new(),
        opted_out: false,
    }
}

/// A page request.
pub fn page(after: Option<String>, limit: usize) -> PageRequest {
    PageRequest { after, limit }
}
