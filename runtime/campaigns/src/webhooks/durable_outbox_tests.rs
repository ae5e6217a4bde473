//! The outbox over the real store (sled in a temporary directory): deliveries owed to a
//! receiver that is down survive a restart and each arrives once when it is back.

use std::sync::Arc;

use huashu_store::campaigns::{CampaignStore, WebhookEvent, WebhookState};
use huashu_store_sled::SledStore;

use super::outbox::Outbox;
use super::outbox_tests::{NOW_MS, SECRET, campaign, quick};
use super::payload::new_delivery;
use super::signing::{self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::test_receiver::{Answer, TestReceiver};

fn open(dir: &tempfile::TempDir) -> Arc<dyn CampaignStore> {
    Arc::new(SledStore::open(dir.path()).expect("a store in a temporary directory"))
}

#[tokio::test]
async fn queued_deliveries_outlive_a_dead_receiver_and_a_restart_and_arrive_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let port = TestReceiver::closed_port();
    let url = format!("http://127.0.0.1:{port}/hooks/huashu");
    let campaign = campaign(Some(url));
    let mut ids = Vec::new();
    let retry_at = {
        let store = open(&dir);
        store.put_campaign(&campaign).expect("stored");
        for n in 0..3 {
            let id = format!("wh_{n:016x}");
            let body = format!(r#"{{"id":"{id}","event":"contact.finished","n":{n}}}"#);
            let delivery = new_delivery(
                &campaign,
                WebhookEvent::ContactFinished,
                body,
                id.clone(),
                NOW_MS,
            );
            store.enqueue_webhook(&delivery).expect("queued");
            ids.push(id);
        }
        let outbox = Outbox::new(Arc::clone(&store), quick(true));
        assert_eq!(outbox.deliver_due(NOW_MS).await.expect("a round"), 3);
        assert!(store.due_webhooks(NOW_MS, 10).expect("read").is_empty());
        let waiting = store.due_webhooks(u64::MAX, 10).expect("read");
        assert_eq!(waiting.len(), 3, "all still owed");
        assert_eq!(
            waiting.iter().map(|d| d.tries).sum::<u32>(),
            1,
            "one try in all"
        );
        waiting[0].next_try_at_ms
        // The store closes here, like a server stopping.
    };

    let mut receiver = TestReceiver::start_on(port, vec![Answer::status(200)]);
    let store = open(&dir);
    let outbox = Outbox::new(Arc::clone(&store), quick(true));
    assert_eq!(outbox.deliver_due(retry_at).await.expect("a round"), 3);
    assert_eq!(outbox.deliver_due(u64::MAX / 2).await.expect("a round"), 0);

    let mut received = Vec::new();
    for _ in 0..ids.len() {
        let request = receiver.next().await;
        let timestamp: u64 = request.header(TIMESTAMP_HEADER).parse().expect("seconds");
        signing::verify(
            SECRET,
            request.header(SIGNATURE_HEADER),
            timestamp,
            &request.body,
            timestamp,
            0,
        )
        .expect("signed with the campaign's secret");
        received.push(request.header(ID_HEADER).to_owned());
    }
    received.sort();
    assert_eq!(received, ids);
    assert_eq!(receiver.pending_count(), 0, "nothing was sent twice");
    let page = huashu_store::PageRequest {
        after: None,
        limit: 10,
    };
    let stored = store
        .campaign_webhooks(&campaign.tenant_id, &campaign.id, &page)
        .expect("read");
    assert_eq!(stored.items.len(), 3);
    assert!(
        stored
            .items
            .iter()
            .all(|d| d.state == WebhookState::Delivered && d.delivered_at_ms.is_some())
    );
}
