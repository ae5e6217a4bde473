//! Call summaries and records.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `calls` | tenant `\0` call id | JSON [`CallSummary`] |
//! | `call_records` | same | the record's JSON bytes, as given |
//! | `calls_newest_first` | tenant `\0` (`u64::MAX` − created ms, big-endian) call id | JSON [`CallSummary`] |
//! | `calls_live` | tenant `\0` call id | JSON [`CallSummary`] |
//!
//! `put_call` writes all four in one transaction. The newest-first index carries the
//! summary so a listing filters while it scans without a second lookup per call; the live
//! index holds exactly the calls whose status is `Live`, so finding them after a crash
//! reads only them. Deleting calls, and the scans that find what to delete, are in
//! [`call_deletion`](super::call_deletion).

use std::ops::Bound;

use sled::Transactional;

use super::keys::{
    abort, backend, corrupt, decode_cursor, empty_page, encode_cursor, from_json, prefix_end,
    refuse, tenant_name_key, tenant_prefix, to_json, transaction_error,
};
use huashu_store::{CallFilter, CallStatus, CallSummary, Page, PageRequest, StoreError};

/// Most index entries one `list_calls` page examines. A selective filter (say, intent A
/// over a year of calls) may match nothing for a long stretch; past this many entries the
/// page ends early, possibly short or empty, with a cursor to continue from. 10,000
/// summaries decode in a few milliseconds, which bounds one request's work.
pub const MAX_SCANNED_PER_PAGE: usize = 10_000;

pub struct CallTrees {
    pub summaries: sled::Tree,
    pub records: sled::Tree,
    pub newest_first: sled::Tree,
    pub live: sled::Tree,
}

/// `tenant\0` then the creation time inverted, so newer calls sort first.
pub fn time_prefix(tenant_prefix: &[u8], created_at_ms: u64) -> Vec<u8> {
    [tenant_prefix, &(u64::MAX - created_at_ms).to_be_bytes()[..]].concat()
}

fn matches(filter: &CallFilter, call: &CallSummary) -> bool {
    filter.module.as_ref().is_none_or(|m| *m == call.module)
        && filter.intent.as_ref().is_none_or(|i| {
            call.intent
                .as_ref()
                .is_some_and(|c| c.eq_ignore_ascii_case(i))
        })
        && filter.status.is_none_or(|s| s == call.status)
        && filter.since_ms.is_none_or(|t| call.created_at_ms >= t)
        && filter.until_ms.is_none_or(|t| call.created_at_ms < t)
        && filter
            .callee
            .as_ref()
            .is_none_or(|c| call.callee.as_ref() == Some(c))
        && filter
            .campaign
            .as_ref()
            .is_none_or(|c| call.campaign_id.as_ref() == Some(c))
        && filter
            .tag
            .as_ref()
            .is_none_or(|t| call.tags.iter().any(|have| have == t))
}

impl CallTrees {
    pub fn put(&self, call: &CallSummary, record_json: &[u8]) -> Result<(), StoreError> {
        let (Some(prefix), Some(key)) = (
            tenant_prefix(&call.tenant_id),
            tenant_name_key(&call.tenant_id, &call.call_id),
        ) else {
            return Err(refuse(
                "call",
                &format!("{}/{}", call.tenant_id, call.call_id),
            ));
        };
        let json = to_json(call)?;
        let index_key = [
            time_prefix(&prefix, call.created_at_ms),
            call.call_id.as_bytes().to_vec(),
        ]
        .concat();
        (
            &self.summaries,
            &self.records,
            &self.newest_first,
            &self.live,
        )
            .transaction(|(summaries, records, newest_first, live)| {
                if let Some(old) = summaries.insert(key.as_slice(), json.as_slice())? {
                    let what = || format!("call {}/{}", call.tenant_id, call.call_id);
                    let old: CallSummary = from_json(&old, what).map_err(abort)?;
                    if old.created_at_ms != call.created_at_ms {
                        let old_index = [
                            time_prefix(&prefix, old.created_at_ms),
                            call.call_id.as_bytes().to_vec(),
                        ];
                        newest_first.remove(old_index.concat())?;
                    }
                }
                records.insert(key.as_slice(), record_json)?;
                newest_first.insert(index_key.as_slice(), json.as_slice())?;
                if call.status == CallStatus::Live {
                    live.insert(key.as_slice(), json.as_slice())?;
                } else {
                    live.remove(key.as_slice())?;
                }
                Ok(())
            })
            .map_err(transaction_error)
    }

    pub fn get(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Option<(CallSummary, Vec<u8>)>, StoreError> {
        let Some(key) = tenant_name_key(tenant_id, call_id) else {
            return Ok(None);
        };
        let what = || format!("call {tenant_id}/{call_id}");
        let Some(summary) = self.summaries.get(&key).map_err(backend)? else {
            return Ok(None);
        };
        let summary = from_json(&summary, what)?;
        let record = self
            .records
            .get(&key)
            .map_err(backend)?
            .ok_or_else(|| corrupt(what(), "the record is missing"))?;
        Ok(Some((summary, record.to_vec())))
    }

    /// Newest first, filtered while scanning. The time range bounds the scan itself; the
    /// other filters are checked per entry, at most [`MAX_SCANNED_PER_PAGE`] per page.
    pub fn list(
        &self,
        tenant_id: &str,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError> {
        let limit = page.limit.max(1);
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(empty_page());
        };
        if let (Some(since), Some(until)) = (filter.since_ms, filter.until_ms)
            && since >= until
        {
            return Ok(empty_page());
        }
        // Newest allowed first: created before `until` means created at or before until-1.
        let mut start = match filter.until_ms {
            Some(0) => return Ok(empty_page()),
            Some(until) => Bound::Included(time_prefix(&prefix, until - 1)),
            None => Bound::Included(prefix.clone()),
        };
        if let Some(cursor) = &page.after {
            let Some(after) = decode_cursor(cursor) else {
                return Ok(empty_page());
            };
            let after = [prefix.as_slice(), &after].concat();
            if matches!(&start, Bound::Included(s) if after >= *s) {
                start = Bound::Excluded(after);
            }
        }
        let end = match filter.since_ms {
            Some(since) => prefix_end(&time_prefix(&prefix, since)),
            None => prefix_end(&prefix),
        }
        .map_or(Bound::Unbounded, Bound::Excluded);

        let cursor = |key: &[u8]| Some(encode_cursor(&key[prefix.len()..]));
        let mut items = Vec::new();
        let mut last_returned = sled::IVec::default();
        let mut last_examined = sled::IVec::default();
        for (scanned, entry) in self.newest_first.range((start, end)).enumerate() {
            if scanned == MAX_SCANNED_PER_PAGE {
                // Everything up to `last_examined` was returned or did not match.
                return Ok(Page {
                    items,
                    next: cursor(&last_examined),
                });
            }
            let (key, value) = entry.map_err(backend)?;
            let call: CallSummary = from_json(&value, || format!("call index of {tenant_id}"))?;
            if matches(filter, &call) {
                if items.len() == limit {
                    return Ok(Page {
                        items,
                        next: cursor(&last_returned),
                    });
                }
                items.push(call);
                last_returned = key.clone();
            }
            last_examined = key;
        }
        Ok(Page { items, next: None })
    }

    /// Every call still marked live, across tenants.
    pub fn live(&self) -> Result<Vec<CallSummary>, StoreError> {
        self.live
            .iter()
            .map(|entry| {
                let (key, value) = entry.map_err(backend)?;
                from_json(&value, || {
                    format!(
                        "live call {}",
                        String::from_utf8_lossy(&key).replace('\0', "/")
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::{CallFilter, CallStatus, CallSummary, PageRequest, Store, StoreError};

    fn call(tenant_id: &str, id: &str, created_at_ms: u64) -> CallSummary {
        CallSummary {
            call_id: id.into(),
            tenant_id: tenant_id.into(),
            module: "bot".into(),
            module_version: 1,
            status: CallStatus::Completed,
            created_at_ms,
            ended_at_ms: Some(created_at_ms + 5),
            intent: None,
            disposition: None,
            has_recording: false,
            progress: None,
            opted_out: false,
            callee: None,
            campaign_id: None,
            tags: Vec::new(),
        }
    }

    /// Every call id the filter lists, following cursors, with pages of `limit`.
    fn all_ids(store: &SledStore, tenant: &str, filter: &CallFilter, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_calls(tenant, filter, &PageRequest { after, limit })
                .unwrap();
            assert!(page.items.len() <= limit);
            ids.extend(page.items.into_iter().map(|c| c.call_id));
            match page.next {
                Some(next) => after = Some(next),
                None => return ids,
            }
        }
    }

    #[test]
    fn a_selective_filter_stops_at_the_scan_cap_and_continues_by_cursor() {
        let store = SledStore::temporary().unwrap();
        let total = super::MAX_SCANNED_PER_PAGE as u64 + 50;
        let mut wanted = call("t_1", "c_oldest", 1);
        wanted.intent = Some("A".into());
        store.put_call(&wanted, b"{}").unwrap();
        for i in 0..total {
            store
                .calls
                .put(&call("t_1", &format!("c_{i:06}"), 10 + i), b"{}")
                .unwrap();
        }
        let filter = CallFilter {
            intent: Some("A".into()),
            ..CallFilter::default()
        };
        let first = store
            .list_calls(
                "t_1",
                &filter,
                &PageRequest {
                    after: None,
                    limit: 5,
                },
            )
            .unwrap();
        assert!(first.items.is_empty());
        let next = PageRequest {
            after: first.next,
            limit: 5,
        };
        assert!(next.after.is_some());
        let second = store.list_calls("t_1", &filter, &next).unwrap();
        assert_eq!(second.items, vec![wanted]);
        assert_eq!(second.next, None);
    }

    #[test]
    fn the_live_index_holds_exactly_the_live_calls() {
        let store = SledStore::temporary().unwrap();
        let mut a = call("t_1", "c_a", 1);
        a.status = CallStatus::Live;
        let mut b = call("t_2", "c_b", 2);
        b.status = CallStatus::Live;
        store.put_call(&a, b"null").unwrap();
        store.put_call(&b, b"null").unwrap();
        store.put_call(&call("t_1", "c_c", 3), b"{}").unwrap();
        let mut live: Vec<_> = store
            .live_calls()
            .unwrap()
            .into_iter()
            .map(|c| c.call_id)
            .collect();
        live.sort();
        assert_eq!(live, ["c_a", "c_b"]);

        a.status = CallStatus::Completed;
        store.put_call(&a, b"{\"done\":true}").unwrap();
        assert_eq!(store.live_calls().unwrap(), vec![b.clone()]);
        assert_eq!(
            store.call("t_1", "c_a").unwrap(),
            Some((a, b"{\"done\":true}".to_vec()))
        );
        assert_eq!(store.call("t_2", "c_a").unwrap(), None);
        // Replacing a call does not list it twice.
        assert_eq!(
            all_ids(&store, "t_1", &CallFilter::default(), 10),
            ["c_c", "c_a"]
        );
    }

    #[test]
    fn a_call_whose_creation_time_changes_moves_in_the_index() {
        let store = SledStore::temporary().unwrap();
        store.put_call(&call("t_1", "c_a", 1), b"{}").unwrap();
        store.put_call(&call("t_1", "c_b", 2), b"{}").unwrap();
        store.put_call(&call("t_1", "c_a", 3), b"{}").unwrap();
        assert_eq!(
            all_ids(&store, "t_1", &CallFilter::default(), 10),
            ["c_a", "c_b"]
        );
    }

    #[test]
    fn a_corrupt_call_index_entry_is_reported() {
        let store = SledStore::temporary().unwrap();
        store.put_call(&call("t_1", "c_a", 1), b"{}").unwrap();
        let (key, _) = store.calls.newest_first.first().unwrap().unwrap();
        store.calls.newest_first.insert(key, &b"{}"[..]).unwrap();
        let page = store.list_calls(
            "t_1",
            &CallFilter::default(),
            &PageRequest {
                after: None,
                limit: 5,
            },
        );
        assert!(matches!(page, Err(StoreError::Corrupt { .. })));
    }
}
