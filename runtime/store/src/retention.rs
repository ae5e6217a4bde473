//! Retention: how long calls are kept, and the sweep that deletes the ones past it.
//!
//! A tenant's `retention_days` quota, or the server's default when it has none, says how
//! many days a call's summary, record and recording are kept after the call ended; 0 keeps
//! them forever. [`TenantSweep`] deletes one tenant's calls past that, a bounded batch at a
//! time, and accounts for them in one [`AuditEntry`] (stored only if something was
//! deleted). Live calls are never swept.
//!
//! Nothing here reads a clock or starts a thread: a sweep is given its "now", and whoever
//! drives it decides where each batch runs (the server runs each on the blocking pool, so
//! a sweep of a million calls never holds up a call). What the tenant's scripts keep in
//! key-value is the tenant's to delete; retention does not touch it, nor the audit.

use crate::audit::{AuditAction, AuditEntry};
use crate::{PageRequest, Store, StoreError, Tenant};

/// The longest retention a tenant may have: ten years, beyond any record-keeping duty we
/// know of. Past that, "keep forever" (0) says what is meant.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// The server's default retention when the operator gives none: 180 days, half a year of
/// call history for disputes and quality review.
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

/// Calls deleted per batch: one flush each. Deleting a call reads the leaf its recording
/// sits in (up to 38 MB), so a batch stays small enough to take well under a second on a
/// slow disk when its calls have no recordings, and bounded when they do.
pub const SWEEP_BATCH: usize = 256;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The server's retention setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days calls are kept for tenants with no `retention_days` of their own; 0 keeps
    /// them forever.
    pub default_days: u32,
    /// Added to the clock sweeps read: 0 but in end-to-end tests, which cannot wait days
    /// for a call to age.
    pub clock_ahead_ms: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            default_days: DEFAULT_RETENTION_DAYS,
            clock_ahead_ms: 0,
        }
    }
}

impl Retention {
    /// The days `tenant`'s calls are kept; 0 for ever.
    pub fn days(&self, tenant: &Tenant) -> u32 {
        tenant.quotas.retention_days.unwrap_or(self.default_days)
    }

    /// Calls of `tenant` that ended before this time (ms since the Unix epoch) are past
    /// retention at `now_ms`; `None` if the tenant keeps its calls forever.
    pub fn cutoff_ms(&self, tenant: &Tenant, now_ms: u64) -> Option<u64> {
        match self.days(tenant) {
            0 => None,
            days => Some(now_ms.saturating_sub(u64::from(days) * DAY_MS)),
        }
    }

    /// The time sweeps run at: the wall clock, plus [`Self::clock_ahead_ms`].
    pub fn now_ms(&self) -> u64 {
        crate::secrets::now_ms().saturating_add(self.clock_ahead_ms)
    }
}

/// One tenant's sweep, a batch at a time: each [`Self::step`] finds up to [`SWEEP_BATCH`]
/// calls past the cutoff, oldest first, and deletes them (durably) with their recordings.
#[derive(Debug, Clone)]
pub struct TenantSweep {
    cutoff_ms: u64,
    /// Where the next batch's scan continues.
    after: Option<String>,
    audit: AuditEntry,
    finished: bool,
}

impl TenantSweep {
    /// The sweep of `tenant` as of `now_ms`, deleting on behalf of `actor`; `None` if the
    /// tenant keeps its calls forever.
    pub fn new(
        tenant: &Tenant,
        retention: &Retention,
        now_ms: u64,
        actor: &str,
    ) -> Result<Option<Self>, StoreError> {
        let Some(cutoff_ms) = retention.cutoff_ms(tenant, now_ms) else {
            return Ok(None);
        };
        let subject = format!("ended-before:{cutoff_ms}");
        let audit = AuditEntry::new(&tenant.id, actor, AuditAction::Retention, subject, now_ms)?;
        Ok(Some(Self {
            cutoff_ms,
            after: None,
            audit,
            finished: false,
        }))
    }

    /// Deletes the next batch; returns whether the sweep is finished. A step after the
    /// last does nothing.
    pub fn step(&mut self, store: &dyn Store) -> Result<bool, StoreError> {
        if self.finished {
            return Ok(true);
        }
        let page = PageRequest {
            after: self.after.take(),
            limit: SWEEP_BATCH,
        };
        let page = store.calls_ended_before(&self.audit.tenant_id, self.cutoff_ms, &page)?;
        let ids: Vec<String> = page.items.into_iter().map(|call| call.call_id).collect();
        if !ids.is_empty() {
            store.delete_calls(&mut self.audit, &ids)?;
        }
        self.after = page.next;
        self.finished = self.after.is_none();
        Ok(self.finished)
    }

    /// Runs every remaining step here, blocking; returns the audit entry.
    pub fn run(mut self, store: &dyn Store) -> Result<AuditEntry, StoreError> {
        while !self.step(store)? {}
        Ok(self.audit)
    }

    /// What the sweep deleted so far, as its audit entry (stored once it deleted
    /// anything).
    pub fn audit(&self) -> &AuditEntry {
        &self.audit
    }

    /// Calls that ended before this (ms since the Unix epoch) are deleted.
    pub fn cutoff_ms(&self) -> u64 {
        self.cutoff_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quotas;

    fn tenant(retention_days: Option<u32>) -> Tenant {
        Tenant {
            id: "t_1".into(),
            name: "Acme".into(),
            created_at_ms: 0,
            disabled: false,
            quotas: Quotas {
                retention_days,
                ..Quotas::default()
            },
            record_calls: false,
            http_allowlist: Vec::new(),
            http_origins: None,
            language: None,
        }
    }

    #[test]
    fn the_cutoff_is_now_less_the_tenants_days_or_else_the_servers() {
        let retention = Retention {
            default_days: 30,
            clock_ahead_ms: 0,
        };
        let now = 100 * DAY_MS;
        assert_eq!(retention.cutoff_ms(&tenant(None), now), Some(70 * DAY_MS));
        assert_eq!(
            retention.cutoff_ms(&tenant(Some(1)), now),
            Some(99 * DAY_MS)
        );
        assert_eq!(retention.cutoff_ms(&tenant(Some(0)), now), None);
        // Early in the epoch nothing is old enough: no underflow.
        assert_eq!(retention.cutoff_ms(&tenant(Some(1)), 5), Some(0));
        let forever = Retention {
            default_days: 0,
            clock_ahead_ms: 0,
        };
        assert_eq!(forever.cutoff_ms(&tenant(None), now), None);
        assert_eq!(forever.cutoff_ms(&tenant(Some(7)), now), Some(93 * DAY_MS));
    }

    #[test]
    fn a_tenant_that_keeps_calls_forever_has_no_sweep() {
        let retention = Retention::default();
        assert!(
            TenantSweep::new(&tenant(Some(0)), &retention, DAY_MS, "retention")
                .unwrap()
                .is_none()
        );
        let sweep = TenantSweep::new(&tenant(Some(2)), &retention, 5 * DAY_MS, "retention")
            .unwrap()
            .unwrap();
        assert_eq!(sweep.cutoff_ms(), 3 * DAY_MS);
        assert_eq!(
            sweep.audit().subject,
            format!("ended-before:{}", 3 * DAY_MS)
        );
        assert_eq!(sweep.audit().action, AuditAction::Retention);
    }

    #[test]
    fn the_sweeps_clock_runs_ahead_by_the_configured_amount() {
        let ahead = Retention {
            default_days: 1,
            clock_ahead_ms: 2 * DAY_MS,
        };
        let before = crate::secrets::now_ms();
        assert!(ahead.now_ms() >= before + 2 * DAY_MS);
    }
}
