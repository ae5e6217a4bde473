//! The outbox against a real HTTP receiver on 127.0.0.1: signatures, retries, a receiver
//! that comes back, redirects and the address policy.

use std::sync::Arc;
use std::time::Duration;

use huashu_store::campaigns::{
    Campaign, CampaignState, CampaignStore, CampaignWebhook, WebhookDelivery, WebhookEvent,
    WebhookState,
};
use tokio::sync::{Notify, mpsc, watch};

use super::outbox::{Outbox, OutboxConfig, run_outbox};
use super::payload::new_delivery;
use super::signing::{self, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::test_receiver::{Answer, PATIENCE, TestReceiver};
use super::test_store::MemoryOutbox;

pub(super) const SECRET: &str = "whsec_0123456789abcdef";
/// 2026-03-01T09:30:00Z: the tests that drive rounds by hand run on this clock.
pub(super) const NOW_MS: u64 = 1_772_357_400_000;

pub(super) fn campaign(url: Option<String>) -> Campaign {
    Campaign {
        webhook: url.map(|url| CampaignWebhook {
            url,
            secret: SECRET.into(),
            per_call: false,
        }),
        state: CampaignState::Running,
        ..Campaign::draft(
            "cp_0123456789abcdef",
            "t_1",
            "Birthday coupons",
            "birthday",
            "carrier",
            0,
        )
    }
}

/// Tries that fail fast and retry within a fraction of a second.
pub(super) fn quick(allow_private_targets: bool) -> OutboxConfig {
    OutboxConfig {
        allow_private_targets,
        request_timeout: Duration::from_secs(5),
        max_backoff: Duration::from_millis(200),
        poll_interval: Duration::from_millis(50),
        ..OutboxConfig::default()
    }
}

struct Setup {
    store: Arc<MemoryOutbox>,
    writes: mpsc::UnboundedReceiver<WebhookDelivery>,
    ids: Vec<String>,
}

/// A store holding the campaign (webhook at `url`) and `count` deliveries queued at
/// `now_ms` for it.
fn queued(url: &str, count: usize, now_ms: u64) -> Setup {
    let (store, writes) = MemoryOutbox::watched();
    let campaign = campaign(Some(url.to_owned()));
    store.put_campaign(&campaign).expect("in memory");
    let ids = (0..count)
        .map(|n| {
            let id = format!("wh_{n:016x}");
            let body = format!(r#"{{"id":"{id}","event":"contact.finished","n":{n}}}"#);
            let delivery = new_delivery(
                &campaign,
                WebhookEvent::ContactFinished,
                body,
                id.clone(),
                now_ms,
            );
            store.enqueue_webhook(&delivery).expect("in memory");
            id
        })
        .collect();
    Setup {
        store: Arc::new(store),
        writes,
        ids,
    }
}

fn outbox(setup: &Setup, config: OutboxConfig) -> Outbox {
    Outbox::new(Arc::clone(&setup.store) as Arc<dyn CampaignStore>, config)
}

/// Waits for outbox writes until `done` holds for the delivery just written.
async fn wait_for_write(
    writes: &mut mpsc::UnboundedReceiver<WebhookDelivery>,
    done: impl Fn(&WebhookDelivery) -> bool,
) -> WebhookDelivery {
    loop {
        let written = tokio::time::timeout(PATIENCE, writes.recv())
            .await
            .expect("the outbox should write a delivery")
            .expect("the store is alive");
        if done(&written) {
            return written;
        }
    }
}

#[tokio::test]
async fn a_delivery_arrives_with_a_valid_signature_and_is_marked_delivered() {
    let mut receiver = TestReceiver::start(vec![Answer::status(200)]);
    let setup = queued(&receiver.url(), 1, NOW_MS);
    let due = outbox(&setup, quick(true))
        .deliver_due(NOW_MS)
        .await
        .expect("a round");
    assert_eq!(due, 1);

    let request = receiver.next().await;
    let id = &setup.ids[0];
    assert_eq!(request.header(ID_HEADER), id);
    assert_eq!(request.header(EVENT_HEADER), "contact.finished");
    assert_eq!(request.header("content-type"), "application/json");
    let timestamp: u64 = request
        .header(TIMESTAMP_HEADER)
        .parse()
        .expect("a timestamp in seconds");
    // The round's clock starts at NOW_MS and runs on in real time.
    assert!((NOW_MS / 1000..NOW_MS / 1000 + 10).contains(&timestamp));
    signing::verify(
        SECRET,
        request.header(SIGNATURE_HEADER),
        timestamp,
        &request.body,
        NOW_MS / 1000,
        300,
    )
    .expect("the receiver's check passes");
    let stored = setup.store.delivery(id);
    assert_eq!(request.body, stored.body.as_bytes());
    assert_eq!(stored.state, WebhookState::Delivered);
    assert_eq!((stored.tries, stored.last_status), (1, Some(200)));
    assert!(stored.delivered_at_ms.is_some_and(|at| at >= NOW_MS));
}

#[tokio::test]
async fn a_receiver_answering_500_gets_the_delivery_on_the_retry() {
    let mut receiver = TestReceiver::start(vec![Answer::status(500), Answer::status(200)]);
    let setup = queued(&receiver.url(), 1, NOW_MS);
    let outbox = outbox(
        &setup,
        OutboxConfig {
            allow_private_targets: true,
            ..OutboxConfig::default()
        },
    );
    let id = &setup.ids[0];

    outbox.deliver_due(NOW_MS).await.expect("a round");
    let first = receiver.next().await;
    let failed = setup.store.delivery(id);
    assert_eq!(failed.state, WebhookState::Pending);
    assert_eq!((failed.tries, failed.last_status), (1, Some(500)));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("the receiver answered 500")
    );
    // The first retry waits about a second (less up to a tenth), counted from the try.
    assert!((900..2000).contains(&(failed.next_try_at_ms - NOW_MS)));

    assert_eq!(outbox.deliver_due(NOW_MS + 500).await.expect("a round"), 0);
    assert_eq!(receiver.pending_count(), 0, "not due yet");

    outbox
        .deliver_due(failed.next_try_at_ms)
        .await
        .expect("a round");
    let second = receiver.next().await;
    assert_eq!(second.header(ID_HEADER), first.header(ID_HEADER));
    assert_eq!(second.body, first.body);
    let delivered = setup.store.delivery(id);
    assert_eq!(delivered.state, WebhookState::Delivered);
    assert_eq!((delivered.tries, delivered.last_error), (2, None));
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_every_queued_delivery_once_it_is_up() {
    let port = TestReceiver::closed_port();
    let url = format!("http://127.0.0.1:{port}/hooks/huashu");
    let mut setup = queued(&url, 3, huashu_store::secrets::now_ms());
    let store = Arc::clone(&setup.store) as Arc<dyn CampaignStore>;
    let wake = Arc::new(Notify::new());
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(run_outbox(store, quick(true), Arc::clone(&wake), shutdown));

    // Down: two failed tries in a row.
    for _ in 0..2 {
        let failed = wait_for_write(&mut setup.writes, |d| d.last_error.is_some()).await;
        assert_eq!(failed.state, WebhookState::Pending);
        assert!(
            failed
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("connection was refused")),
            "{failed:?}"
        );
    }

    // Up again on the same port.
    let mut receiver = TestReceiver::start_on(port, vec![Answer::status(204)]);
    let mut delivered = Vec::new();
    while delivered.len() < setup.ids.len() {
        let done = wait_for_write(&mut setup.writes, |d| d.state == WebhookState::Delivered).await;
        delivered.push(done.id);
    }
    stop.send(true).expect("the outbox listens");
    task.await.expect("the outbox stops cleanly");

    delivered.sort();
    assert_eq!(delivered, setup.ids, "each delivery once");
    let mut received = Vec::new();
    for _ in 0..setup.ids.len() {
        received.push(receiver.next().await.header(ID_HEADER).to_owned());
    }
    received.sort();
    assert_eq!(received, setup.ids);
    assert_eq!(receiver.pending_count(), 0, "nothing was sent twice");
}

#[tokio::test]
async fn after_a_failure_the_receivers_other_deliveries_wait_for_its_retry() {
    let url = format!(
        "http://127.0.0.1:{}/hooks/huashu",
        TestReceiver::closed_port()
    );
    let setup = queued(&url, 3, NOW_MS);
    outbox(&setup, quick(true))
        .deliver_due(NOW_MS)
        .await
        .expect("a round");
    let after: Vec<WebhookDelivery> = setup
        .ids
        .iter()
        .map(|id| setup.store.delivery(id))
        .collect();
    let tries: Vec<u32> = after.iter().map(|d| d.tries).collect();
    assert_eq!(tries, [1, 0, 0], "one try for the whole receiver");
    assert!(
        after
            .iter()
            .all(|d| d.next_try_at_ms == after[0].next_try_at_ms)
    );
    assert!(after[0].next_try_at_ms > NOW_MS);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let mut elsewhere = TestReceiver::start(vec![Answer::status(200)]);
    let mut receiver = TestReceiver::start(vec![Answer::redirect(&elsewhere.url())]);
    let setup = queued(&receiver.url(), 1, NOW_MS);
    outbox(&setup, quick(true))
        .deliver_due(NOW_MS)
        .await
        .expect("a round");

    receiver.next().await;
    assert_eq!(
        elsewhere.pending_count(),
        0,
        "the redirect was not followed"
    );
    let stored = setup.store.delivery(&setup.ids[0]);
    assert_eq!(stored.state, WebhookState::Pending);
    assert_eq!((stored.tries, stored.last_status), (1, Some(302)));
    let error = stored.last_error.expect("the failure is explained");
    assert!(error.contains("do not follow redirects"), "{error}");
    assert!(error.contains(&elsewhere.url()), "{error}");
}

#[tokio::test]
async fn a_private_target_is_refused_when_not_allowed() {
    let mut receiver = TestReceiver::start(vec![Answer::status(200)]);
    let setup = queued(&receiver.url(), 1, NOW_MS);
    outbox(&setup, quick(false))
        .deliver_due(NOW_MS)
        .await
        .expect("a round");

    assert_eq!(receiver.pending_count(), 0, "nothing was sent");
    let stored = setup.store.delivery(&setup.ids[0]);
    assert_eq!(stored.state, WebhookState::Pending);
    assert_eq!((stored.tries, stored.last_status), (1, None));
    let error = stored.last_error.expect("the refusal is explained");
    assert!(
        error.starts_with("127.0.0.1 resolves to 127.0.0.1, a loopback address"),
        "{error}"
    );
}

#[tokio::test]
async fn a_delivery_whose_campaign_lost_its_webhook_is_failed_unsent() {
    let mut receiver = TestReceiver::start(vec![Answer::status(200)]);
    let setup = queued(&receiver.url(), 1, NOW_MS);
    setup
        .store
        .put_campaign(&campaign(None))
        .expect("in memory");
    outbox(&setup, quick(true))
        .deliver_due(NOW_MS)
        .await
        .expect("a round");

    assert_eq!(receiver.pending_count(), 0, "nothing was sent");
    let stored = setup.store.delivery(&setup.ids[0]);
    assert_eq!((stored.state, stored.tries), (WebhookState::Failed, 0));
    let error = stored.last_error.expect("the reason is given");
    assert!(error.contains("webhook was removed"), "{error}");
}
