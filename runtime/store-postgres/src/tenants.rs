//! The operator token, tenants and API keys.
//!
//! Tables `meta` (the operator token's hash), `tenants` and `api_keys`; a key's secret hash
//! is unique in the table, so two keys can never share a secret even when two nodes issue
//! them at once.

use huashu_store::{ApiKey, Page, PageRequest, StoreError, Tenant, valid_name};

use crate::sql::{
    backend, db_error, decode_cursor, empty_page, encode_cursor, from_json, limit_plus_one,
    page_of, to_json,
};
use crate::worker::Worker;

const OPERATOR_TOKEN_KEY: &str = "operator_token_sha256";

/// Refuses to write under an id that is not a valid name. The API validates first, so
/// reaching this is a caller's bug, reported rather than stored.
pub fn refuse(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!(
        "{what} {value:?} cannot be stored: ids and names are 1 to 64 of A-Z a-z 0-9 . _ -"
    ))
}

pub fn operator_token_sha256(worker: &Worker) -> Result<Option<String>, StoreError> {
    worker.run(|client| async move {
        let row = client
            .query_opt(
                "SELECT value FROM meta WHERE key = $1",
                &[&OPERATOR_TOKEN_KEY],
            )
            .await
            .map_err(backend)?;
        Ok(row.map(|row| row.get(0)))
    })
}

pub fn set_operator_token_sha256(worker: &Worker, sha256: &str) -> Result<(), StoreError> {
    let sha256 = sha256.to_owned();
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&OPERATOR_TOKEN_KEY, &sha256],
            )
            .await
            .map_err(backend)?;
        Ok(())
    })
}

pub fn create(worker: &Worker, tenant: &Tenant) -> Result<(), StoreError> {
    if !valid_name(&tenant.id) {
        return Err(refuse("tenant id", &tenant.id));
    }
    let (id, doc) = (tenant.id.clone(), to_json(tenant)?);
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO tenants (id, doc) VALUES ($1, $2)",
                &[&id, &doc],
            )
            .await
            .map_err(db_error(&format!("tenant {id}")))?;
        Ok(())
    })
}

pub fn get(worker: &Worker, id: &str) -> Result<Option<Tenant>, StoreError> {
    if !valid_name(id) {
        return Ok(None);
    }
    let id = id.to_owned();
    worker.run(move |client| async move {
        let row = client
            .query_opt("SELECT doc FROM tenants WHERE id = $1", &[&id])
            .await
            .map_err(backend)?;
        row.map(|row| from_json(row.get(0), || format!("tenant {id}")))
            .transpose()
    })
}

/// Replaces the tenant's record (creating it if it was missing), as the embedded store does.
pub fn update(worker: &Worker, tenant: &Tenant) -> Result<(), StoreError> {
    if !valid_name(&tenant.id) {
        return Err(refuse("tenant id", &tenant.id));
    }
    let (id, doc) = (tenant.id.clone(), to_json(tenant)?);
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO tenants (id, doc) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc",
                &[&id, &doc],
            )
            .await
            .map_err(backend)?;
        Ok(())
    })
}

pub fn list(worker: &Worker, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
    let after = match &page.after {
        Some(cursor) => match decode_cursor(cursor) {
            Some(after) => after,
            None => return Ok(empty_page()),
        },
        None => String::new(),
    };
    let limit = page.limit.max(1);
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT id, doc FROM tenants WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after, &limit_plus_one(limit)],
            )
            .await
            .map_err(backend)?;
        let tenants = rows
            .iter()
            .map(|row| {
                from_json::<Tenant>(row.get(1), || format!("tenant {}", row.get::<_, &str>(0)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(tenants, limit, |t| encode_cursor(&t.id)))
    })
}

/// Creates or replaces a key; a secret hash another key has is a conflict.
pub fn put_api_key(worker: &Worker, key: &ApiKey) -> Result<(), StoreError> {
    if !valid_name(&key.tenant_id) {
        return Err(refuse("tenant id", &key.tenant_id));
    }
    if !valid_name(&key.id) {
        return Err(refuse("API key id", &key.id));
    }
    if key.secret_sha256.is_empty() {
        return Err(refuse("API key secret hash", ""));
    }
    let doc = to_json(key)?;
    let key = key.clone();
    worker.run(move |client| async move {
        client
            .execute(
                "INSERT INTO api_keys (id, tenant_id, secret_sha256, doc) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,
                     secret_sha256 = EXCLUDED.secret_sha256, doc = EXCLUDED.doc",
                &[&key.id, &key.tenant_id, &key.secret_sha256, &doc],
            )
            .await
            .map_err(db_error("an API key with this secret"))?;
        Ok(())
    })
}

fn decode_key(row: &tokio_postgres::Row) -> Result<ApiKey, StoreError> {
    from_json(row.get(1), || format!("API key {}", row.get::<_, &str>(0)))
}

pub fn api_key_by_secret_sha256(
    worker: &Worker,
    sha256: &str,
) -> Result<Option<ApiKey>, StoreError> {
    if sha256.is_empty() || sha256.contains('\0') {
        return Ok(None);
    }
    let sha256 = sha256.to_owned();
    worker.run(move |client| async move {
        let row = client
            .query_opt(
                "SELECT id, doc FROM api_keys WHERE secret_sha256 = $1",
                &[&sha256],
            )
            .await
            .map_err(backend)?;
        row.as_ref().map(decode_key).transpose()
    })
}

pub fn api_key(worker: &Worker, id: &str) -> Result<Option<ApiKey>, StoreError> {
    if !valid_name(id) {
        return Ok(None);
    }
    let id = id.to_owned();
    worker.run(move |client| async move {
        let row = client
            .query_opt("SELECT id, doc FROM api_keys WHERE id = $1", &[&id])
            .await
            .map_err(backend)?;
        row.as_ref().map(decode_key).transpose()
    })
}

/// The tenant's keys, ordered by id, revoked ones included.
pub fn list_api_keys(worker: &Worker, tenant_id: &str) -> Result<Vec<ApiKey>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(Vec::new());
    }
    let tenant_id = tenant_id.to_owned();
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT id, doc FROM api_keys WHERE tenant_id = $1 ORDER BY id",
                &[&tenant_id],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(decode_key).collect()
    })
}
