//! How many requests each tenant has in flight, across all its calls, and the guard that
//! counts one.
//!
//! A request holds its place from the moment it is let through until its exchange with the
//! remote server has really ended. The guard travels with the exchange onto the blocking
//! thread that runs it, so a request whose caller went away (the call ended, the future
//! was dropped) keeps its place until the exchange gives up at its timeout: what the limit
//! bounds is the threads and sockets a tenant occupies, which an abandoned request still
//! does. Dropping the guard (however the exchange ends, a panic included) frees the place.
//!
//! Not here: what the limit is (the tenant's `HttpPolicy`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Requests in flight per tenant.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// Tenants with at least one request in flight; others have no entry.
    counts: Mutex<HashMap<String, u32>>,
    /// Woken whenever a place is freed.
    freed: Notify,
}

impl Shared {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        // The map is only counted up and down under the lock, never left half-changed, so
        // a panic elsewhere while holding it leaves it usable.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One tenant's place for one request; freed when dropped.
#[derive(Debug)]
pub(crate) struct Place {
    shared: Arc<Shared>,
    tenant_id: String,
}

impl InFlight {
    /// A place for one more of `tenant_id`'s requests, or how many it already has when
    /// that would be more than `max`.
    pub(crate) fn take(&self, tenant_id: &str, max: u32) -> Result<Place, u32> {
        let mut counts = self.shared.counts();
        let count = counts.entry(tenant_id.to_owned()).or_insert(0);
        if *count >= max {
            let held = *count;
            if held == 0 {
                counts.remove(tenant_id);
            }
            return Err(held);
        }
        *count += 1;
        Ok(Place {
            shared: Arc::clone(&self.shared),
            tenant_id: tenant_id.to_owned(),
        })
    }

    /// How many requests `tenant_id` has in flight.
    pub(crate) fn count(&self, tenant_id: &str) -> u32 {
        self.shared.counts().get(tenant_id).copied().unwrap_or(0)
    }

    /// Waits until `tenant_id` has no request in flight.
    #[cfg(test)]
    pub(crate) async fn idle(&self, tenant_id: &str) {
        loop {
            let freed = self.shared.freed.notified();
            if self.count(tenant_id) == 0 {
                return;
            }
            freed.await;
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.shared.counts();
        if let Some(count) = counts.get_mut(&self.tenant_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.tenant_id);
            }
        }
        drop(counts);
        self.shared.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_gets_places_up_to_its_limit_and_each_dropped_place_frees_one() {
        let in_flight = InFlight::default();
        let first = in_flight.take("acme", 2).expect("a first place");
        let _second = in_flight.take("acme", 2).expect("a second place");
        assert_eq!(in_flight.take("acme", 2).expect_err("full"), 2);
        assert!(
            in_flight.take("other", 2).is_ok(),
            "tenants are counted apart"
        );
        drop(first);
        assert_eq!(in_flight.count("acme"), 1);
        assert!(in_flight.take("acme", 2).is_ok());
    }

    #[test]
    fn a_limit_of_zero_refuses_every_request() {
        let in_flight = InFlight::default();
        assert_eq!(in_flight.take("acme", 0).expect_err("no places"), 0);
        assert_eq!(in_flight.count("acme"), 0);
    }
}
