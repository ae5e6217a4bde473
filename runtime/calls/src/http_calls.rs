//! A call's outbound HTTP requests, made for its script while the call goes on.
//!
//! The session hands each request over as [`Output::HttpRequest`]; [`HttpCalls`] sends it
//! through the server's [`OutboundHttp`] client with the tenant's policy and secrets, on a
//! task of its own, and [`HttpCalls::next_answer`] yields the answer as the
//! [`CallerInput`] the session expects. Transports wait on it beside their socket and
//! timers, so audio keeps its pace and timers keep firing while a request is in flight.
//! Requests still in flight when the call ends are aborted with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use huashu_contract::{HttpError, HttpRequest, HttpResult};
use huashu_metrics::Metrics;
use huashu_outbound_http::{AllowEntry, Allowlist, HttpPolicy, Origin, OutboundHttp, SecretSource};
use huashu_session::{CallerInput, HttpLimits, Output};
use huashu_store::{Store, Tenant};

/// The origins a tenant's scripts may reach: the operator's entries, narrowed to the
/// tenant's own list if it set one. An entry the API validated cannot fail to parse; one
/// that does (a store written by another version) is left out, and so is a narrowed origin
/// the operator's current list no longer covers.
pub fn effective_allowlist(tenant: &Tenant) -> Allowlist {
    let operator = Allowlist::new(
        tenant
            .http_allowlist
            .iter()
            .filter_map(|entry| {
                let origin = entry.origin.parse::<Origin>().ok()?;
                Some(AllowEntry {
                    origin,
                    private_network: entry.private_network,
                })
            })
            .collect(),
    );
    let Some(narrowed) = &tenant.http_origins else {
        return operator;
    };
    let covered: Vec<Origin> = narrowed
        .iter()
        .filter_map(|origin| origin.parse::<Origin>().ok())
        .filter(|origin| operator.narrowed(std::slice::from_ref(origin)).is_ok())
        .collect();
    operator.narrowed(&covered).unwrap_or_default()
}

/// The request limits the tenant's quotas set, for its sessions.
pub(crate) fn session_limits(tenant: &Tenant) -> HttpLimits {
    HttpLimits {
        per_call: tenant.quotas.http_requests_per_call,
        per_event: tenant.quotas.http_requests_per_event,
    }
}

/// The tenant's policy for the client.
fn policy_for(tenant: &Tenant) -> HttpPolicy {
    let q = &tenant.quotas;
    HttpPolicy {
        allowlist: effective_allowlist(tenant),
        timeout: Duration::from_millis(q.http_timeout_ms),
        max_response_bytes: usize::try_from(q.http_response_bytes).unwrap_or(usize::MAX),
        max_concurrent: q.http_concurrent_requests,
    }
}

/// The tenant's secrets, read from the store when a request names one.
struct StoredSecrets {
    store: Arc<dyn Store>,
    tenant_id: String,
}

impl SecretSource for StoredSecrets {
    fn secret(&self, name: &str) -> Option<String> {
        match self.store.secret_value(&self.tenant_id, name) {
            Ok(value) => value,
            Err(error) => {
                // The script sees "no secret named …"; the operator sees why.
                tracing::warn!(%error, secret = name, "reading a secret failed");
                None
            }
        }
    }
}

/// One call's requests in flight.
pub(crate) struct HttpCalls {
    client: Arc<OutboundHttp>,
    metrics: Arc<Metrics>,
    tenant_id: Arc<str>,
    policy: Arc<HttpPolicy>,
    secrets: Arc<StoredSecrets>,
    in_flight: JoinSet<CallerInput>,
}

impl HttpCalls {
    pub(crate) fn new(
        client: Arc<OutboundHttp>,
        metrics: Arc<Metrics>,
        store: Arc<dyn Store>,
        tenant: &Tenant,
    ) -> Self {
        Self {
            client,
            metrics,
            tenant_id: tenant.id.as_str().into(),
            policy: Arc::new(policy_for(tenant)),
            secrets: Arc::new(StoredSecrets {
                store,
                tenant_id: tenant.id.clone(),
            }),
            in_flight: JoinSet::new(),
        }
    }

    /// Sends the requests among `outputs` and takes them out: they are this stage's
    /// business, not the transport's.
    pub(crate) fn send_requests(&mut self, outputs: &mut Vec<Output>) {
        outputs.retain(|output| match output {
            Output::HttpRequest { request, .. } => {
                self.send(request.clone());
                false
            }
            _ => true,
        });
    }

    fn send(&mut self, request: HttpRequest) {
        let (client, metrics, tenant_id, policy, secrets) = (
            self.client.clone(),
            self.metrics.clone(),
            self.tenant_id.clone(),
            self.policy.clone(),
            self.secrets.clone(),
        );
        self.in_flight.spawn(async move {
            let began = std::time::Instant::now();
            let outcome = client
                .send(&tenant_id, &policy, secrets.as_ref(), &request)
                .await;
            let result = match &outcome {
                Ok(_) => "ok",
                Err(HttpError::Refused(_)) => "refused",
                Err(HttpError::Limited(_)) => "limited",
                Err(HttpError::Timeout) => "timeout",
                Err(HttpError::TooLarge) => "too_large",
                Err(HttpError::Failed(_)) => "failed",
            };
            metrics.http_request(&tenant_id, result, began.elapsed());
            CallerInput::HttpResponse {
                result: HttpResult {
                    id: request.id,
                    outcome,
                    // The session measures it in call time.
                    elapsed_ms: 0,
                },
            }
        });
    }

    /// The next answer, once one is in; pending for ever while nothing is in flight.
    /// Cancel-safe: an answer not taken stays for the next call.
    pub(crate) async fn next_answer(&mut self) -> CallerInput {
        loop {
            match self.in_flight.join_next().await {
                Some(Ok(answer)) => return answer,
                // A request task that panicked: its script is never answered, like a
                // request still in flight at hang-up; the call goes on.
                Some(Err(error)) => {
                    tracing::error!(%error, "an HTTP request task failed");
                }
                None => std::future::pending::<()>().await,
            }
        }
    }

    /// The call ended: drop whatever is still in flight.
    pub(crate) fn abort_all(&mut self) {
        self.in_flight.abort_all();
    }
}
