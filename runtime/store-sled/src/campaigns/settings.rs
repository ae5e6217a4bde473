//! Campaign records (settings and state), the tenant's newest-first listing, the index of
//! campaigns the dialler watches, and each campaign's running counts.
//!
//! A campaign is keyed by its id alone: contacts, attempts and counts are keyed by campaign
//! id too, so an id belongs to exactly one tenant, and [`CampaignTrees::put_campaign`]
//! refuses one that another tenant already has.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::CampaignTrees;
use super::layout::{TxResult, U64_BYTES, newest_first};
use crate::keys::{
    abort, backend, corrupt, empty_page, from_json, refuse, scan_page, tenant_prefix, to_json,
    transaction_error, valid_name,
};
use huashu_store::campaigns::{Campaign, CampaignState, CampaignStats, StatsDelta};
use huashu_store::{Page, PageRequest, StoreError};

/// `tenant\0 (u64::MAX − created ms) campaign id`: the listing key.
fn listing_key(tenant_prefix: &[u8], campaign: &Campaign) -> Vec<u8> {
    [
        tenant_prefix,
        &newest_first(campaign.created_at_ms),
        campaign.id.as_bytes(),
    ]
    .concat()
}

/// Running or paused: the dialler watches it.
fn is_active(state: CampaignState) -> bool {
    matches!(state, CampaignState::Running | CampaignState::Paused)
}

/// Adds `delta` to the counts of `campaign_id`, inside a transaction.
pub fn add_to_stats(
    stats: &TransactionalTree,
    campaign_id: &str,
    delta: &StatsDelta,
) -> TxResult<()> {
    let mut counts: CampaignStats = match stats.get(campaign_id.as_bytes())? {
        Some(json) => {
            from_json(&json, || format!("counts of campaign {campaign_id}")).map_err(abort)?
        }
        None => CampaignStats::default(),
    };
    counts.apply(delta);
    stats.insert(campaign_id.as_bytes(), to_json(&counts).map_err(abort)?)?;
    Ok(())
}

impl CampaignTrees {
    pub fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        let id = campaign.id.as_str();
        if !valid_name(id) {
            return Err(refuse("campaign id", id));
        }
        let Some(prefix) = tenant_prefix(&campaign.tenant_id) else {
            return Err(refuse("tenant id", &campaign.tenant_id));
        };
        let json = to_json(campaign)?;
        let listed = listing_key(&prefix, campaign);
        (&self.campaigns, &self.campaigns_newest_first, &self.active)
            .transaction(|(campaigns, newest, active)| {
                if let Some(old) = campaigns.get(id.as_bytes())? {
                    let old: Campaign =
                        from_json(&old, || format!("campaign {id}")).map_err(abort)?;
                    if old.tenant_id != campaign.tenant_id {
                        return Err(abort(StoreError::Conflict(format!(
                            "campaign {id} (of another tenant)"
                        ))));
                    }
                    newest.remove(listing_key(&prefix, &old))?;
                }
                campaigns.insert(id.as_bytes(), json.as_slice())?;
                newest.insert(listed.as_slice(), &[])?;
                if is_active(campaign.state) {
                    active.insert(id.as_bytes(), &[])?;
                } else {
                    active.remove(id.as_bytes())?;
                }
                Ok(())
            })
            .map_err(transaction_error)
    }

    /// The campaign `id`, whoever owns it.
    fn campaign_by_id(&self, id: &[u8]) -> Result<Option<Campaign>, StoreError> {
        self.campaigns
            .get(id)
            .map_err(backend)?
            .map(|json| {
                from_json(&json, || {
                    format!("campaign {}", String::from_utf8_lossy(id))
                })
            })
            .transpose()
    }

    /// The campaign an index entry names; missing is corruption.
    fn indexed_campaign(&self, index: &str, id: &[u8]) -> Result<Campaign, StoreError> {
        self.campaign_by_id(id)?.ok_or_else(|| {
            corrupt(
                format!("{index} index"),
                format!(
                    "it lists campaign {} which is not stored",
                    String::from_utf8_lossy(id)
                ),
            )
        })
    }

    pub fn campaign(
        &self,
        tenant_id: &str,
        campaign_id: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        if !valid_name(campaign_id) {
            return Ok(None);
        }
        Ok(self
            .campaign_by_id(campaign_id.as_bytes())?
            .filter(|c| c.tenant_id == tenant_id))
    }

    /// Newest first; the cursor is the hex of the listing key after the tenant prefix.
    pub fn list_campaigns(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Campaign>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(empty_page());
        };
        scan_page(&self.campaigns_newest_first, &prefix, page, |key, _| {
            let id = key.get(prefix.len() + U64_BYTES..).unwrap_or_default();
            self.indexed_campaign("campaign listing", id)
        })
    }

    /// Running and paused campaigns, in id order.
    pub fn active_campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.active
            .iter()
            .keys()
            .map(|id| self.indexed_campaign("active campaign", &id.map_err(backend)?))
            .collect()
    }

    pub fn campaign_stats(&self, campaign_id: &str) -> Result<CampaignStats, StoreError> {
        if !valid_name(campaign_id) {
            return Ok(CampaignStats::default());
        }
        match self.stats.get(campaign_id.as_bytes()).map_err(backend)? {
            Some(json) => from_json(&json, || format!("counts of campaign {campaign_id}")),
            None => Ok(CampaignStats::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{campaign, page};
    use crate::SledStore;
    use huashu_store::StoreError;
    use huashu_store::campaigns::{CampaignState, CampaignStats, CampaignStore};

    #[test]
    fn a_campaign_is_read_back_only_by_its_own_tenant() {
        let store = SledStore::temporary().unwrap();
        let c = campaign("t_1", "cp_a", 10);
        store.put_campaign(&c).unwrap();
        assert_eq!(store.campaign("t_1", "cp_a").unwrap(), Some(c));
        assert_eq!(store.campaign("t_2", "cp_a").unwrap(), None);
        assert_eq!(store.campaign("t_1", "cp_b").unwrap(), None);
        assert_eq!(store.campaign("t_1", "cp\0a").unwrap(), None);
    }

    #[test]
    fn another_tenants_campaign_id_is_refused() {
        let store = SledStore::temporary().unwrap();
        store.put_campaign(&campaign("t_1", "cp_a", 10)).unwrap();
        let taken = store.put_campaign(&campaign("t_2", "cp_a", 11));
        assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
        assert_eq!(store.campaign("t_2", "cp_a").unwrap(), None);
    }

    #[test]
    fn campaigns_are_listed_newest_first_across_pages_per_tenant() {
        let store = SledStore::temporary().unwrap();
        for (id, at) in [
            ("cp_c", 3),
            ("cp_a", 1),
            ("cp_e", 5),
            ("cp_b", 2),
            ("cp_d", 4),
        ] {
            store.put_campaign(&campaign("t_1", id, at)).unwrap();
        }
        store.put_campaign(&campaign("t_12", "cp_x", 9)).unwrap();
        // Replacing one (same creation time) does not list it twice.
        let mut b = campaign("t_1", "cp_b", 2);
        b.name = "renamed".into();
        store.put_campaign(&b).unwrap();

        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let listed = store.list_campaigns("t_1", &page(after, 2)).unwrap();
            assert!(listed.items.len() <= 2);
            ids.extend(listed.items.into_iter().map(|c| c.id));
            match listed.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(ids, ["cp_e", "cp_d", "cp_c", "cp_b", "cp_a"]);
        let first = store.list_campaigns("t_1", &page(None, 0)).unwrap();
        assert_eq!(first.items.len(), 1, "a limit of 0 reads as 1");
        let other = store.list_campaigns("t_12", &page(None, 10)).unwrap();
        assert_eq!(other.items.len(), 1);
        let bad_cursor = page(Some("not hex".into()), 10);
        assert!(
            store
                .list_campaigns("t_1", &bad_cursor)
                .unwrap()
                .items
                .is_empty()
        );
    }

    #[test]
    fn running_and_paused_campaigns_are_active_until_they_end() {
        let store = SledStore::temporary().unwrap();
        let mut a = campaign("t_1", "cp_a", 1);
        let mut b = campaign("t_2", "cp_b", 2);
        store.put_campaign(&a).unwrap();
        assert!(store.active_campaigns().unwrap().is_empty());
        a.state = CampaignState::Running;
        b.state = CampaignState::Paused;
        store.put_campaign(&a).unwrap();
        store.put_campaign(&b).unwrap();
        assert_eq!(
            store.active_campaigns().unwrap(),
            vec![a.clone(), b.clone()]
        );
        a.state = CampaignState::Completed;
        store.put_campaign(&a).unwrap();
        assert_eq!(store.active_campaigns().unwrap(), vec![b]);
    }

    #[test]
    fn a_campaign_without_contacts_has_zero_counts() {
        let store = SledStore::temporary().unwrap();
        assert_eq!(
            store.campaign_stats("cp_none").unwrap(),
            CampaignStats::default()
        );
    }
}
