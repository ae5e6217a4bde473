//! The stage's public face: [`OutboundHttp::send`] carries out one script request under
//! the tenant's [`HttpPolicy`], with secrets read through a [`SecretSource`].
//!
//! In order: the request is checked (method, URL, allowlist, headers, secrets) before any
//! name lookup or connection; the tenant's concurrency limit is applied without queueing;
//! then the exchange runs on tokio's blocking pool, because the HTTP client is a blocking
//! one (the one the webhooks already use, whose resolver carries the address check), and a
//! script request is rare and short enough that a thread for its duration costs little. The
//! answer comes back at the latest at the request's deadline, whatever the thread is doing.
//!
//! Every request leaves one `debug` line: tenant, method, origin (never the path, query,
//! headers or body), status or error, and duration. Not here: building the policy from
//! the store, numbering requests or recording their answers (the calls stage and the
//! session do that).

use std::time::{Duration, Instant};

use huashu_contract::{HttpError, HttpRequest, HttpResponse};

use crate::allowlist::Allowlist;
use crate::exchange;
use crate::in_flight::InFlight;
use crate::request_check::{origin_text, parse_url, permitted, prepare};

/// What a tenant's scripts may do over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    /// The origins they may reach.
    pub allowlist: Allowlist,
    /// The tenant's default timeout and its cap: a request's own `timeout_ms` (0 for the
    /// default) is never allowed longer than this. It bounds the whole exchange, redirects
    /// and body included.
    pub timeout: Duration,
    /// The largest response body handed back, in bytes; a larger one is
    /// [`HttpError::TooLarge`].
    pub max_response_bytes: usize,
    /// Requests the tenant may have in flight at once, across all its calls; one more is
    /// [`HttpError::Limited`] at once rather than queued.
    pub max_concurrent: u32,
}

/// The tenant's secrets, by name, for secret headers.
pub trait SecretSource: Send + Sync {
    /// The value of the secret called `name`, if the tenant has one.
    fn secret(&self, name: &str) -> Option<String>;
}

/// Sends scripts' requests; one per server process, shared by all calls, because it counts
/// each tenant's requests in flight across them.
#[derive(Debug, Default)]
pub struct OutboundHttp {
    in_flight: InFlight,
}

impl OutboundHttp {
    /// A client with no request in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many requests `tenant_id` has in flight (for metrics and status pages).
    pub fn in_flight(&self, tenant_id: &str) -> u32 {
        self.in_flight.count(tenant_id)
    }

    /// Carries out `request` for `tenant_id` under `policy`: the response whatever its
    /// status, or why there is none.
    ///
    /// Dropping the future gives up waiting, but the exchange already under way ends on its
    /// own (at the latest at its deadline) and keeps its place in the tenant's limit until
    /// then.
    pub async fn send(
        &self,
        tenant_id: &str,
        policy: &HttpPolicy,
        secrets: &dyn SecretSource,
        request: &HttpRequest,
    ) -> Result<HttpResponse, HttpError> {
        let started = Instant::now();
        let outcome = self.exchange(tenant_id, policy, secrets, request).await;
        let origin =
            parse_url(&request.url).map_or_else(|_| "(not a URL)".into(), |url| origin_text(&url));
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &outcome {
            Ok(response) => tracing::debug!(
                tenant = tenant_id,
                method = %request.method,
                origin = %origin,
                status = response.status,
                elapsed_ms,
                "script http request answered"
            ),
            Err(error) => tracing::debug!(
                tenant = tenant_id,
                method = %request.method,
                origin = %origin,
                %error,
                elapsed_ms,
                "script http request got no response"
            ),
        }
        outcome
    }

    async fn exchange(
        &self,
        tenant_id: &str,
        policy: &HttpPolicy,
        secrets: &dyn SecretSource,
        request: &HttpRequest,
    ) -> Result<HttpResponse, HttpError> {
        let timeout = effective_timeout(request.timeout_ms, policy.timeout);
        let deadline = Instant::now() + timeout;
        let prepared = prepare(request, secrets)?;
        permitted(&policy.allowlist, &prepared.url)?;
        let place = self
            .in_flight
            .take(tenant_id, policy.max_concurrent)
            .map_err(|held| {
                HttpError::Limited(format!(
                    "the tenant has {held} requests in flight (at most {} at once)",
                    policy.max_concurrent
                ))
            })?;
        let allowlist = policy.allowlist.clone();
        let max_response_bytes = policy.max_response_bytes;
        let work = tokio::task::spawn_blocking(move || {
            let _place = place;
            exchange::run(prepared, &allowlist, deadline, max_response_bytes)
        });
        match tokio::time::timeout_at(deadline.into(), work).await {
            Err(_) => Err(HttpError::Timeout),
            Ok(Err(_)) => Err(HttpError::Failed(
                "the request stopped unexpectedly on the server; try again".into(),
            )),
            Ok(Ok(outcome)) => outcome,
        }
    }

    /// Waits until `tenant_id` has no request in flight.
    #[cfg(test)]
    pub(crate) async fn idle(&self, tenant_id: &str) {
        self.in_flight.idle(tenant_id).await;
    }
}

/// The time a request gets: its own `timeout_ms`, or the tenant's default when 0, never
/// more than the tenant's cap.
fn effective_timeout(timeout_ms: u32, cap: Duration) -> Duration {
    if timeout_ms == 0 {
        cap
    } else {
        Duration::from_millis(u64::from(timeout_ms)).min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requests_timeout_is_the_tenants_default_when_unset_and_never_above_its_cap() {
        let cap = Duration::from_secs(5);
        assert_eq!(effective_timeout(0, cap), cap);
        assert_eq!(effective_timeout(800, cap), Duration::from_millis(800));
        assert_eq!(effective_timeout(60_000, cap), cap);
    }
}
