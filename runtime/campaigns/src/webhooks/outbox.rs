//! The outbox task: takes due deliveries from the store, sends each one, and records what
//! came of it, so a receiver that is down for hours loses nothing and gets nothing twice
//! once it answers 2xx.
//!
//! # A round
//!
//! Each round takes up to `batch` due deliveries and groups them by receiver (scheme, host
//! and port). Receivers are served side by side, at most [`MAX_RECEIVERS_AT_ONCE`] at a
//! time; one receiver gets its deliveries one after another. When a receiver fails a try
//! (no answer, a refused address, 3xx, 429, 5xx) the rest of its deliveries in the round
//! are not tried: they wait until the failed one's retry, so a dead receiver costs one
//! timeout per round and its backlog does not crowd out everyone else's.
//!
//! # Retries
//!
//! A failed try is retried after 1 s, 2 s, 4 s … up to `max_backoff`, each shortened by up
//! to a tenth at random so deliveries that failed together do not retry in lockstep. A
//! delivery still failing `give_up_after` after it was queued is marked failed. A delivery
//! whose campaign no longer exists or has no webhook is failed at once, saying so.
//!
//! Delivery is at least once: a crash between a receiver's 2xx and the store's write sends
//! it again, with the same `Huashu-Webhook-Id`, which receivers use to drop repeats.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use huashu_store::StoreError;
use huashu_store::campaigns::{CampaignStore, WebhookDelivery, WebhookState};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::delivery::WebhookClient;
use super::retries::{abandon, after_try, jitter, millis, receiver_unwell};

/// Receivers served at once: enough that one slow receiver does not hold up the others,
/// few enough that the outbox never ties up more than a handful of blocking threads.
pub const MAX_RECEIVERS_AT_ONCE: usize = 8;

/// How the outbox runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Send to loopback, private, link-local and CGNAT addresses too. Off by default:
    /// a tenant's URL must not reach the platform's own network (link-local includes the
    /// metadata service of most clouds). Turn on only where receivers live on the
    /// operator's network.
    pub allow_private_targets: bool,
    /// Longest one try may take, from name lookup to the last byte of the answer.
    pub request_timeout: Duration,
    /// Longest wait between two tries of one delivery.
    pub max_backoff: Duration,
    /// How long after it was queued a delivery is given up on.
    pub give_up_after: Duration,
    /// How often the outbox looks for due deliveries when nothing wakes it.
    pub poll_interval: Duration,
    /// Most deliveries taken from the store per round.
    pub batch: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            // Receivers answer in milliseconds; ten seconds allows a cold start and caps
            // what a hanging receiver costs each round.
            request_timeout: Duration::from_secs(10),
            // A receiver back from an outage gets its backlog within five minutes.
            max_backoff: Duration::from_secs(5 * 60),
            // Covers a receiver down over a long weekend.
            give_up_after: Duration::from_secs(3 * 24 * 3600),
            // Deliveries are queued with a wake-up; the poll only catches retries.
            poll_interval: Duration::from_secs(1),
            // Enough to keep the receivers busy between polls, small enough that one
            // round's writes finish quickly.
            batch: 64,
        }
    }
}

/// Why the outbox stopped early in a round; it tries again at the next poll.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// Reading or writing the outbox failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A delivery thread panicked or was cancelled.
    #[error("a webhook delivery thread stopped unexpectedly: {0}")]
    Thread(String),
}

/// The outbox: a store, an HTTP client and the rules above.
pub struct Outbox {
    store: Arc<dyn CampaignStore>,
    client: WebhookClient,
    config: OutboxConfig,
}

impl Outbox {
    /// An outbox over `store`.
    pub fn new(store: Arc<dyn CampaignStore>, config: OutboxConfig) -> Self {
        let client = WebhookClient::new(config.request_timeout, config.allow_private_targets);
        Self {
            store,
            client,
            config,
        }
    }

    /// One round at `now_ms`: tries every due delivery (up to `batch`) once, and records
    /// each outcome. Answers how many deliveries were due.
    pub async fn deliver_due(&self, now_ms: u64) -> Result<usize, OutboxError> {
        self.round(now_ms, None).await
    }

    /// Runs rounds until `shutdown` turns true (or its sender is dropped): again at once
    /// after a full batch, otherwise after `poll_interval` or when `wake` is notified.
    /// A round under way when `shutdown` comes finishes the tries already started.
    pub async fn run(self, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let full = match self.round(now_ms(), Some(&shutdown)).await {
                Ok(due) => due >= self.config.batch.max(1),
                Err(error) => {
                    tracing::warn!(%error, "webhook outbox round failed; trying again at the next poll");
                    false
                }
            };
            if full {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.poll_interval) => {}
                () = wake.notified() => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    async fn round(
        &self,
        now_ms: u64,
        shutdown: Option<&watch::Receiver<bool>>,
    ) -> Result<usize, OutboxError> {
        let store = Arc::clone(&self.store);
        let batch = self.config.batch.max(1);
        let due = tokio::task::spawn_blocking(move || store.due_webhooks(now_ms, batch))
            .await
            .map_err(|error| OutboxError::Thread(error.to_string()))??;
        let count = due.len();
        let started = Instant::now();
        let mut running = JoinSet::new();
        let mut failure = None;
        for group in by_receiver(due) {
            while running.len() >= MAX_RECEIVERS_AT_ONCE {
                note(&mut failure, running.join_next().await);
            }
            let store = Arc::clone(&self.store);
            let client = self.client.clone();
            let config = self.config.clone();
            let shutdown = shutdown.cloned();
            running.spawn_blocking(move || {
                let clock = || now_ms.saturating_add(elapsed_ms(started));
                let stop = || shutdown.as_ref().is_some_and(|rx| *rx.borrow());
                deliver_group(&*store, &client, &config, group, clock, stop)
            });
        }
        while let Some(done) = running.join_next().await {
            note(&mut failure, Some(done));
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(count),
        }
    }
}

/// Runs the outbox until `shutdown` turns true; see [`Outbox::run`].
pub async fn run_outbox(
    store: Arc<dyn CampaignStore>,
    config: OutboxConfig,
    wake: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
) {
    Outbox::new(store, config).run(wake, shutdown).await;
}

/// Keeps the first failure of a round's receiver groups.
fn note(
    failure: &mut Option<OutboxError>,
    done: Option<Result<Result<(), StoreError>, tokio::task::JoinError>>,
) {
    let error = match done {
        Some(Ok(Err(error))) => OutboxError::Store(error),
        Some(Err(error)) => OutboxError::Thread(error.to_string()),
        Some(Ok(Ok(()))) | None => return,
    };
    failure.get_or_insert(error);
}

/// One receiver's due deliveries, tried in order (blocking). Stops at the first store
/// failure, leaving the rest due.
fn deliver_group(
    store: &dyn CampaignStore,
    client: &WebhookClient,
    config: &OutboxConfig,
    group: Vec<WebhookDelivery>,
    clock: impl Fn() -> u64,
    stop: impl Fn() -> bool,
) -> Result<(), StoreError> {
    let mut secrets: HashMap<(String, String), Result<String, &'static str>> = HashMap::new();
    let mut receiver_retry_at = None;
    for delivery in group {
        if stop() {
            return Ok(());
        }
        if let Some(retry_at) = receiver_retry_at {
            // The receiver failed moments ago: wait for its retry without counting a try.
            let waiting = WebhookDelivery {
                next_try_at_ms: retry_at,
                ..delivery
            };
            store.update_webhook(&waiting)?;
            continue;
        }
        let key = (delivery.tenant_id.clone(), delivery.campaign_id.clone());
        let secret = match secrets.get(&key) {
            Some(secret) => secret.clone(),
            None => {
                let secret = match store.campaign(&delivery.tenant_id, &delivery.campaign_id)? {
                    None => Err("the campaign was deleted before this delivery was sent"),
                    Some(campaign) => campaign
                        .webhook
                        .map(|webhook| webhook.secret)
                        .ok_or("the campaign's webhook was removed before this delivery was sent"),
                };
                secrets.insert(key, secret.clone());
                secret
            }
        };
        let secret = match secret {
            Ok(secret) => secret,
            Err(reason) => {
                tracing::warn!(
                    tenant = %delivery.tenant_id,
                    campaign = %delivery.campaign_id,
                    delivery = %delivery.id,
                    "webhook delivery dropped: {reason}"
                );
                store.update_webhook(&abandon(delivery, reason))?;
                continue;
            }
        };
        let outcome = client.send(&delivery, &secret, clock() / 1000);
        let unwell = receiver_unwell(&outcome);
        let after = after_try(delivery, &outcome, clock(), config, jitter());
        log_failure(&after);
        store.update_webhook(&after)?;
        if unwell && after.state == WebhookState::Pending {
            receiver_retry_at = Some(after.next_try_at_ms);
        }
    }
    Ok(())
}

fn log_failure(delivery: &WebhookDelivery) {
    let error = delivery.last_error.as_deref().unwrap_or_default();
    match delivery.state {
        WebhookState::Delivered => {}
        WebhookState::Pending => tracing::warn!(
            tenant = %delivery.tenant_id,
            campaign = %delivery.campaign_id,
            delivery = %delivery.id,
            url = %delivery.url,
            tries = delivery.tries,
            "webhook delivery failed, will retry: {error}"
        ),
        WebhookState::Failed => tracing::warn!(
            tenant = %delivery.tenant_id,
            campaign = %delivery.campaign_id,
            delivery = %delivery.id,
            url = %delivery.url,
            tries = delivery.tries,
            "webhook delivery given up: {error}"
        ),
    }
}

/// Due deliveries grouped by receiver (`scheme://host:port`, case-folded), each group in
/// the order the store gave them.
fn by_receiver(due: Vec<WebhookDelivery>) -> Vec<Vec<WebhookDelivery>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<WebhookDelivery>> = Vec::new();
    for delivery in due {
        let key = receiver_of(&delivery.url);
        match index.get(&key) {
            Some(&at) => groups[at].push(delivery),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![delivery]);
            }
        }
    }
    groups
}

fn receiver_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

fn elapsed_ms(since: Instant) -> u64 {
    millis(since.elapsed())
}

fn now_ms() -> u64 {
    huashu_store::secrets::now_ms()
}

#[cfg(test)]
mod tests {
    use huashu_store::campaigns::WebhookEvent;

    use super::*;

    fn delivery_to(url: &str) -> WebhookDelivery {
        WebhookDelivery {
            id: "wh_00112233aabbccdd".into(),
            tenant_id: "t_1".into(),
            campaign_id: "cp_1".into(),
            event: WebhookEvent::ContactFinished,
            url: url.into(),
            body: "{}".into(),
            created_at_ms: 0,
            state: WebhookState::Pending,
            tries: 0,
            next_try_at_ms: 0,
            last_status: None,
            last_error: None,
            delivered_at_ms: None,
        }
    }

    #[test]
    fn deliveries_are_grouped_by_scheme_host_and_port() {
        let due = vec![
            delivery_to("https://crm.example/a"),
            delivery_to("http://crm.example/a"),
            delivery_to("https://CRM.example/b?x=1"),
            delivery_to("https://crm.example:8443/a"),
        ];
        let sizes: Vec<usize> = by_receiver(due).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 1, 1]);
    }
}
