//! Recorded prompts.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `prompts` | tenant `\0` name | JSON [`PromptMeta`] |
//! | `prompt_wav` | same | WAV bytes |
//!
//! Metadata and bytes are written and deleted together in one transaction.

use sled::Transactional;

use super::keys::{
    backend, corrupt, empty_page, from_json, refuse, scan_page, tenant_name_key, tenant_prefix,
    to_json, transaction_error,
};
use huashu_store::{Page, PageRequest, PromptMeta, StoreError};

pub struct PromptTrees {
    pub meta: sled::Tree,
    pub wav: sled::Tree,
}

impl PromptTrees {
    /// Creates or replaces the prompt named in `meta`.
    pub fn put(&self, meta: &PromptMeta, wav: &[u8]) -> Result<(), StoreError> {
        let Some(key) = tenant_name_key(&meta.tenant_id, &meta.name) else {
            return Err(refuse(
                "prompt",
                &format!("{}/{}", meta.tenant_id, meta.name),
            ));
        };
        let json = to_json(meta)?;
        (&self.meta, &self.wav)
            .transaction(|(metas, wavs)| {
                metas.insert(key.as_slice(), json.as_slice())?;
                wavs.insert(key.as_slice(), wav)?;
                Ok(())
            })
            .map_err(transaction_error)
    }

    pub fn get(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<(PromptMeta, Vec<u8>)>, StoreError> {
        let Some(key) = tenant_name_key(tenant_id, name) else {
            return Ok(None);
        };
        let Some(meta) = self.meta.get(&key).map_err(backend)? else {
            return Ok(None);
        };
        let meta = from_json(&meta, || format!("prompt {tenant_id}/{name}"))?;
        let wav = self.wav.get(&key).map_err(backend)?.ok_or_else(|| {
            corrupt(
                format!("prompt {tenant_id}/{name}"),
                "the WAV bytes are missing",
            )
        })?;
        Ok(Some((meta, wav.to_vec())))
    }

    /// Ordered by name; the cursor is the last name returned (hex).
    pub fn list(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PromptMeta>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(empty_page());
        };
        scan_page(&self.meta, &prefix, page, |key, value| {
            from_json(value, || {
                format!("prompt {}", String::from_utf8_lossy(key).replace('\0', "/"))
            })
        })
    }

    /// Whether there was such a prompt.
    pub fn delete(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        let Some(key) = tenant_name_key(tenant_id, name) else {
            return Ok(false);
        };
        (&self.meta, &self.wav)
            .transaction(|(metas, wavs)| {
                let existed = metas.remove(key.as_slice())?.is_some();
                wavs.remove(key.as_slice())?;
                Ok(existed)
            })
            .map_err(transaction_error)
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::{PageRequest, PromptMeta, Store};

    fn meta(tenant_id: &str, name: &str) -> PromptMeta {
        PromptMeta {
            tenant_id: tenant_id.into(),
            name: name.into(),
            size_bytes: 4,
            duration_ms: 250,
            sample_rate: 8_000,
            channels: 1,
            created_at_ms: 9,
        }
    }

    #[test]
    fn prompts_are_stored_replaced_and_deleted() {
        let store = SledStore::temporary().unwrap();
        store.put_prompt(&meta("t_01", "hello"), b"one").unwrap();
        store.put_prompt(&meta("t_01", "hello"), b"two").unwrap();
        assert_eq!(
            store.prompt("t_01", "hello").unwrap(),
            Some((meta("t_01", "hello"), b"two".to_vec()))
        );
        assert_eq!(store.prompt("t_02", "hello").unwrap(), None);
        assert_eq!(store.prompt("t_01", "../hello").unwrap(), None);
        assert!(store.delete_prompt("t_01", "hello").unwrap());
        assert!(!store.delete_prompt("t_01", "hello").unwrap());
        assert_eq!(store.prompt("t_01", "hello").unwrap(), None);
        assert!(store.put_prompt(&meta("t_01", "a/b"), b"x").is_err());
    }

    #[test]
    fn prompts_are_listed_by_name_across_pages_for_one_tenant_only() {
        let store = SledStore::temporary().unwrap();
        for name in ["c", "a", "e", "b", "d"] {
            store.put_prompt(&meta("t_1", name), b"x").unwrap();
        }
        store.put_prompt(&meta("t_12", "a0"), b"x").unwrap();
        store.put_prompt(&meta("t_0", "zz"), b"x").unwrap();
        let mut names = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = store
                .list_prompts("t_1", &PageRequest { after, limit: 2 })
                .unwrap();
            pages += 1;
            names.extend(page.items.into_iter().map(|p| p.name));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        assert_eq!(pages, 3);
        let all = store
            .list_prompts(
                "t_12",
                &PageRequest {
                    after: None,
                    limit: 10,
                },
            )
            .unwrap();
        assert_eq!((all.items.len(), all.next), (1, None));
    }
}
