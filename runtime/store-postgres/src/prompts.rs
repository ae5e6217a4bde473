//! Recorded prompts: metadata and WAV bytes in one row of `prompts`, written and deleted
//! together.

use huashu_store::{Page, PageRequest, PromptMeta, StoreError, valid_name};

use crate::sql::{
    backend, decode_cursor, empty_page, encode_cursor, from_json, limit_plus_one, page_of, to_json,
};
use crate::tenants::refuse;
use crate::worker::Worker;

/// Creates or replaces the prompt named in `meta`.
pub fn put(worker: &Worker, meta: &PromptMeta, wav: &[u8]) -> Result<(), StoreError> {
    if !valid_name(&meta.tenant_id) || !valid_name(&meta.name) {
        return Err(refuse(
            "prompt",
            &format!("{}/{}", meta.tenant_id, meta.name),
        ));
    }
    let (tenant_id, name, doc, wav) = (
        meta.tenant_id.clone(),
        meta.name.clone(),
        to_json(meta)?,
        wav.to_vec(),
    );
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO prompts (tenant_id, name, doc, wav) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET doc = EXCLUDED.doc,
                     wav = EXCLUDED.wav",
                &[&tenant_id, &name, &doc, &wav],
            )
            .await
            .map_err(backend)?;
        Ok(())
    })
}

pub fn get(
    worker: &Worker,
    tenant_id: &str,
    name: &str,
) -> Result<Option<(PromptMeta, Vec<u8>)>, StoreError> {
    if !valid_name(tenant_id) || !valid_name(name) {
        return Ok(None);
    }
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    worker.run(move |client| async move {
        let row = client
            .query_opt(
                "SELECT doc, wav FROM prompts WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await
            .map_err(backend)?;
        row.map(|row| {
            let meta = from_json(row.get(0), || format!("prompt {tenant_id}/{name}"))?;
            Ok((meta, row.get(1)))
        })
        .transpose()
    })
}

/// Ordered by name; the cursor is the last name returned.
pub fn list(
    worker: &Worker,
    tenant_id: &str,
    page: &PageRequest,
) -> Result<Page<PromptMeta>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(empty_page());
    }
    let after = match &page.after {
        Some(cursor) => match decode_cursor(cursor) {
            Some(after) => after,
            None => return Ok(empty_page()),
        },
        None => String::new(),
    };
    let (tenant_id, limit) = (tenant_id.to_owned(), page.limit.max(1));
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT name, doc FROM prompts WHERE tenant_id = $1 AND name > $2
                 ORDER BY name LIMIT $3",
                &[&tenant_id, &after, &limit_plus_one(limit)],
            )
            .await
            .map_err(backend)?;
        let metas = rows
            .iter()
            .map(|row| {
                from_json::<PromptMeta>(row.get(1), || {
                    format!("prompt {tenant_id}/{}", row.get::<_, &str>(0))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(metas, limit, |m| encode_cursor(&m.name)))
    })
}

/// Whether there was such a prompt.
pub fn delete(worker: &Worker, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
    if !valid_name(tenant_id) || !valid_name(name) {
        return Ok(false);
    }
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    worker.run(move |client| async move {
        let deleted = client
            .execute(
                "DELETE FROM prompts WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await
            .map_err(backend)?;
        Ok(deleted == 1)
    })
}
