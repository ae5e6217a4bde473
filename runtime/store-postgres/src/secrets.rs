//! Tenants' secrets: rows of `secrets`, one per tenant and name.
//!
//! A tenant keeps at most [`MAX_SECRETS_PER_TENANT`]: a put takes a transaction-scoped
//! advisory lock on the tenant, then counts and inserts, so two puts at once (on any
//! nodes) cannot both take the last place. Values are stored as given and leave only
//! through `secret_value`.

use huashu_store::secrets::now_ms;
use huashu_store::tenant_secrets::{MAX_SECRETS_PER_TENANT, check_secret_name, check_secret_value};
use huashu_store::{SecretError, SecretInfo, StoreError, valid_name};

use crate::sql::{backend, big, unsigned};
use crate::tenants::refuse;
use crate::worker::Worker;

/// The first key of the advisory locks that order one tenant's secret puts (the second
/// is a hash of the tenant id). Two-key locks never collide with the one-key migration
/// lock; any constant serves, this one spells "se".
const SECRETS_LOCK_CLASS: i32 = 0x7365;

/// Creates or replaces; whether it was created.
pub fn put(worker: &Worker, tenant_id: &str, name: &str, value: &str) -> Result<bool, SecretError> {
    check_secret_name(name)?;
    check_secret_value(value)?;
    if !valid_name(tenant_id) {
        return Err(refuse("tenant id", tenant_id).into());
    }
    let updated = big(now_ms(), "time")?;
    let (tenant_id, name, value) = (tenant_id.to_owned(), name.to_owned(), value.to_owned());
    let limit = i64::try_from(MAX_SECRETS_PER_TENANT).unwrap_or(i64::MAX);
    let created = worker.run(move |mut client| async move {
        let transaction = client.transaction().await.map_err(backend)?;
        transaction
            .execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&SECRETS_LOCK_CLASS, &tenant_id],
            )
            .await
            .map_err(backend)?;
        let exists = transaction
            .query_opt(
                "SELECT 1 FROM secrets WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await
            .map_err(backend)?
            .is_some();
        if !exists {
            let count: i64 = transaction
                .query_one(
                    "SELECT count(*) FROM secrets WHERE tenant_id = $1",
                    &[&tenant_id],
                )
                .await
                .map_err(backend)?
                .get(0);
            if count >= limit {
                return Ok(None);
            }
        }
        transaction
            .execute(
                "INSERT INTO secrets (tenant_id, name, value, updated_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET value = EXCLUDED.value,
                     updated_at_ms = EXCLUDED.updated_at_ms",
                &[&tenant_id, &name, &value, &updated],
            )
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)?;
        Ok(Some(!exists))
    })?;
    created.ok_or(SecretError::TooMany)
}

/// Whether there was such a secret.
pub fn delete(worker: &Worker, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
    if !valid_name(tenant_id) || name.contains('\0') {
        return Ok(false);
    }
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    worker.run(move |client| async move {
        let deleted = client
            .execute(
                "DELETE FROM secrets WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await
            .map_err(backend)?;
        Ok(deleted == 1)
    })
}

/// Ordered by name, without values.
pub fn list(worker: &Worker, tenant_id: &str) -> Result<Vec<SecretInfo>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(Vec::new());
    }
    let tenant_id = tenant_id.to_owned();
    worker.run(move |client| async move {
        let rows = client
            .query(
                "SELECT name, updated_at_ms, octet_length(value) FROM secrets
                 WHERE tenant_id = $1 ORDER BY name",
                &[&tenant_id],
            )
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let name: String = row.get(0);
                Ok(SecretInfo {
                    updated_at_ms: unsigned(row.get(1), || format!("secret {tenant_id}/{name}"))?,
                    bytes: row.get::<_, i32>(2).unsigned_abs() as usize,
                    name,
                })
            })
            .collect()
    })
}

pub fn value(worker: &Worker, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
    if !valid_name(tenant_id) || name.contains('\0') {
        return Ok(None);
    }
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    worker.run(move |client| async move {
        let row = client
            .query_opt(
                "SELECT value FROM secrets WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name],
            )
            .await
            .map_err(backend)?;
        Ok(row.map(|row| row.get(0)))
    })
}
