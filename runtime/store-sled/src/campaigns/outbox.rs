//! The webhook outbox: each delivery by id, the due index of pending ones (soonest first)
//! and each campaign's deliveries newest first.
//!
//! A delivery and its two index entries change together: [`OutboxTx::put`] runs inside
//! whichever transaction queues or updates it (its own, or an attempt's or contact's
//! close), removes the entries its previous version had, and writes the new ones. A
//! delivery erased at its tenant's request keeps its erased body whatever writes it next.

use std::ops::Bound;

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::CampaignTrees;
use super::erasure::erase_delivery;
use super::layout::{TxResult, U64_BYTES, bad_key, newest_first};
use crate::keys::{
    abort, backend, corrupt, empty_page, from_json, refuse, scan_page, tenant_name_key, to_json,
    transaction_error, valid_name, with_sep,
};
use huashu_store::campaigns::{ERASED_WEBHOOK_BODY, WebhookDelivery, WebhookState};
use huashu_store::{Page, PageRequest, StoreError};

/// Where a delivery is stored and indexed.
struct DeliveryKeys {
    id: Vec<u8>,
    /// `next try ms, id`, for a pending delivery only.
    due: Option<Vec<u8>>,
    /// `tenant\0 campaign\0 (u64::MAX − created ms) id`.
    listed: Vec<u8>,
}

/// The keys of `delivery`; refused if a part cannot be a key.
fn keys_of(delivery: &WebhookDelivery) -> Result<DeliveryKeys, StoreError> {
    if !valid_name(&delivery.id) {
        return Err(refuse("webhook delivery id", &delivery.id));
    }
    let Some(campaign) = tenant_name_key(&delivery.tenant_id, &delivery.campaign_id) else {
        return Err(refuse(
            "webhook delivery campaign",
            &format!("{}/{}", delivery.tenant_id, delivery.campaign_id),
        ));
    };
    let id = delivery.id.as_bytes();
    let due = (delivery.state == WebhookState::Pending)
        .then(|| [&delivery.next_try_at_ms.to_be_bytes()[..], id].concat());
    let listed = [
        with_sep(campaign).as_slice(),
        &newest_first(delivery.created_at_ms),
        id,
    ]
    .concat();
    Ok(DeliveryKeys {
        id: id.to_vec(),
        due,
        listed,
    })
}

/// A delivery ready to write: its record and its keys.
pub struct PreparedDelivery {
    keys: DeliveryKeys,
    json: Vec<u8>,
    /// The delivery itself, for a write that meets an erased version (see
    /// [`OutboxTx::put`]).
    delivery: WebhookDelivery,
}

/// Checks and encodes `delivery` before a transaction writes it.
pub fn prepare(delivery: &WebhookDelivery) -> Result<PreparedDelivery, StoreError> {
    Ok(PreparedDelivery {
        keys: keys_of(delivery)?,
        json: to_json(delivery)?,
        delivery: delivery.clone(),
    })
}

/// The outbox's trees inside a transaction.
pub struct OutboxTx<'a> {
    pub deliveries: &'a TransactionalTree,
    pub due: &'a TransactionalTree,
    pub by_campaign: &'a TransactionalTree,
}

impl OutboxTx<'_> {
    /// Stores the delivery and moves its index entries from where its previous version had
    /// them. A delivery whose body was erased stays erased: a write that still carries the
    /// old body (the deliverer's result of a try it began before the erasure) is stored
    /// with its body erased and, if it would be tried again, given up on.
    pub fn put(&self, delivery: &PreparedDelivery) -> TxResult<()> {
        let keys = &delivery.keys;
        if let Some(old) = self.deliveries.get(&keys.id)? {
            let what = || format!("webhook delivery {}", String::from_utf8_lossy(&keys.id));
            let old: WebhookDelivery = from_json(&old, what).map_err(abort)?;
            if old.body == ERASED_WEBHOOK_BODY && delivery.delivery.body != ERASED_WEBHOOK_BODY {
                let mut erased = delivery.delivery.clone();
                erase_delivery(&mut erased);
                return self.put(&prepare(&erased).map_err(abort)?);
            }
            let old = keys_of(&old).map_err(abort)?;
            if let Some(old_due) = old.due {
                self.due.remove(old_due)?;
            }
            self.by_campaign.remove(old.listed)?;
        }
        self.deliveries
            .insert(keys.id.as_slice(), delivery.json.as_slice())?;
        if let Some(due) = &keys.due {
            self.due.insert(due.as_slice(), &[])?;
        }
        self.by_campaign.insert(keys.listed.as_slice(), &[])?;
        Ok(())
    }
}

impl CampaignTrees {
    /// Queues a delivery, or replaces one with the same id.
    pub fn put_webhook(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        let prepared = prepare(delivery)?;
        (&self.outbox, &self.outbox_due, &self.outbox_by_campaign)
            .transaction(|(deliveries, due, by_campaign)| {
                let outbox = OutboxTx {
                    deliveries,
                    due,
                    by_campaign,
                };
                outbox.put(&prepared)
            })
            .map_err(transaction_error)
    }

    /// The delivery an index entry names; missing is corruption.
    fn indexed_delivery(&self, index: &str, id: &[u8]) -> Result<WebhookDelivery, StoreError> {
        let what = || format!("webhook delivery {}", String::from_utf8_lossy(id));
        match self.outbox.get(id).map_err(backend)? {
            Some(json) => from_json(&json, what),
            None => Err(corrupt(
                format!("{index} index"),
                format!("it lists {} which is not stored", what()),
            )),
        }
    }

    /// Pending deliveries due at or before `now_ms`, soonest first.
    pub fn due_webhooks(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        // Every key of a time up to `now_ms` sorts before the next millisecond's.
        let end = now_ms.checked_add(1).map_or(Bound::Unbounded, |next| {
            Bound::Excluded(next.to_be_bytes().to_vec())
        });
        self.outbox_due
            .range((Bound::<Vec<u8>>::Unbounded, end))
            .keys()
            .take(limit)
            .map(|key| {
                let key = key.map_err(backend)?;
                let id = key
                    .get(U64_BYTES..)
                    .ok_or_else(|| bad_key("webhook due", &key))?;
                self.indexed_delivery("webhook due", id)
            })
            .collect()
    }

    /// A campaign's deliveries, newest first; the cursor is the hex of the listing key
    /// after the campaign's prefix.
    pub fn campaign_webhooks(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        page: &PageRequest,
    ) -> Result<Page<WebhookDelivery>, StoreError> {
        let Some(prefix) = tenant_name_key(tenant_id, campaign_id).map(with_sep) else {
            return Ok(empty_page());
        };
        scan_page(&self.outbox_by_campaign, &prefix, page, |key, _| {
            let id = key
                .get(prefix.len() + U64_BYTES..)
                .ok_or_else(|| bad_key("campaign webhook", key))?;
            self.indexed_delivery("campaign webhook", id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{page, webhook};
    use crate::SledStore;
    use huashu_store::campaigns::{CampaignStore, WebhookState};

    fn ids(deliveries: Vec<huashu_store::campaigns::WebhookDelivery>) -> Vec<String> {
        deliveries.into_iter().map(|d| d.id).collect()
    }

    #[test]
    fn due_deliveries_come_soonest_first_and_only_once_due() {
        let store = SledStore::temporary().unwrap();
        for (id, next_try) in [("wh_c", 30), ("wh_a", 10), ("wh_b", 20), ("wh_d", 40)] {
            store
                .enqueue_webhook(&webhook(id, "t_1", "cp_a", 1, next_try))
                .unwrap();
        }
        assert_eq!(
            ids(store.due_webhooks(30, 10).unwrap()),
            ["wh_a", "wh_b", "wh_c"]
        );
        assert_eq!(ids(store.due_webhooks(30, 2).unwrap()), ["wh_a", "wh_b"]);
        assert!(store.due_webhooks(9, 10).unwrap().is_empty());
        assert_eq!(store.due_webhooks(u64::MAX, 10).unwrap().len(), 4);
    }

    #[test]
    fn a_retried_delivery_moves_in_the_due_index_and_leaves_it_once_settled() {
        let store = SledStore::temporary().unwrap();
        let mut a = webhook("wh_a", "t_1", "cp_a", 1, 10);
        let b = webhook("wh_b", "t_1", "cp_a", 2, 20);
        store.enqueue_webhook(&a).unwrap();
        store.enqueue_webhook(&b).unwrap();

        a.tries = 1;
        a.next_try_at_ms = 50;
        a.last_status = Some(503);
        store.update_webhook(&a).unwrap();
        assert_eq!(ids(store.due_webhooks(60, 10).unwrap()), ["wh_b", "wh_a"]);
        assert_eq!(store.due_webhooks(60, 10).unwrap()[1], a);

        a.state = WebhookState::Delivered;
        a.delivered_at_ms = Some(55);
        store.update_webhook(&a).unwrap();
        let mut b_failed = b.clone();
        b_failed.state = WebhookState::Failed;
        store.update_webhook(&b_failed).unwrap();
        assert!(store.due_webhooks(u64::MAX, 10).unwrap().is_empty());

        let listed = store
            .campaign_webhooks("t_1", "cp_a", &page(None, 10))
            .unwrap();
        assert_eq!(listed.items, vec![b_failed, a]);
    }

    #[test]
    fn a_campaigns_deliveries_are_listed_newest_first_and_apart_from_others() {
        let store = SledStore::temporary().unwrap();
        for (id, created) in [("wh_1", 1), ("wh_3", 3), ("wh_2", 2)] {
            store
                .enqueue_webhook(&webhook(id, "t_1", "cp_a", created, 0))
                .unwrap();
        }
        store
            .enqueue_webhook(&webhook("wh_x", "t_1", "cp_b", 9, 0))
            .unwrap();
        store
            .enqueue_webhook(&webhook("wh_y", "t_2", "cp_a", 9, 0))
            .unwrap();
        let first = store
            .campaign_webhooks("t_1", "cp_a", &page(None, 2))
            .unwrap();
        assert_eq!(ids(first.items), ["wh_3", "wh_2"]);
        let rest = store
            .campaign_webhooks("t_1", "cp_a", &page(first.next, 2))
            .unwrap();
        assert_eq!((ids(rest.items), rest.next), (vec!["wh_1".into()], None));
        let other = store
            .campaign_webhooks("t_2", "cp_a", &page(None, 10))
            .unwrap();
        assert_eq!(ids(other.items), ["wh_y"]);
    }
}
