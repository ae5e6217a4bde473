//! The tenants' key-value space, reached by scripts through the `kv` import.
//!
//! Table `kv` holds the values under byte keys (a script's key may hold any byte, a 0
//! included, and lists in byte order); `kv_usage` the bytes each tenant uses, keys plus
//! values. A write locks the tenant's usage row, reads its quota (`quotas.kv_bytes`;
//! [`Quotas::default`] for a tenant the store does not know, as in tests), and changes the
//! value and the usage in one transaction, so writers on several nodes cannot together
//! pass the quota.

use huashu_store::{KvEntry, KvError, Page, PageRequest, Quotas, StoreError, Tenant, valid_name};

use crate::sql::{backend, from_json, limit_plus_one};
use crate::worker::Worker;

fn unavailable(error: impl ToString) -> KvError {
    KvError::Unavailable(error.to_string())
}

fn pg(error: tokio_postgres::Error) -> KvError {
    unavailable(backend(error))
}

fn check_tenant(tenant: &str) -> Result<String, KvError> {
    if valid_name(tenant) {
        Ok(tenant.to_owned())
    } else {
        Err(unavailable(format!("{tenant:?} is not a tenant id")))
    }
}

/// Runs key-value work on the store's runtime; a store failure is "unavailable".
fn run<T, F, Fut>(worker: &Worker, work: F) -> Result<T, KvError>
where
    F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, KvError>> + Send + 'static,
    T: Send + 'static,
{
    worker
        .run(move |client| async move { Ok(work(client).await) })
        .map_err(unavailable)?
}

pub fn get(worker: &Worker, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
    let (tenant, key) = (check_tenant(tenant)?, key.as_bytes().to_vec());
    run(worker, move |client| async move {
        let row = client
            .query_opt(
                "SELECT value FROM kv WHERE tenant_id = $1 AND key = $2",
                &[&tenant, &key],
            )
            .await
            .map_err(pg)?;
        Ok(row.map(|row| row.get(0)))
    })
}

/// Stores the value if the tenant's usage stays within its quota. Replacing a value
/// counts only the difference; a write that shrinks usage is allowed even over quota
/// (after the operator lowered it), so a script can always make room.
pub fn set(worker: &Worker, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
    let tenant = check_tenant(tenant)?;
    let (key, value) = (key.as_bytes().to_vec(), value.to_vec());
    run(worker, move |mut client| async move {
        let transaction = client.transaction().await.map_err(pg)?;
        let quota = match transaction
            .query_opt("SELECT doc FROM tenants WHERE id = $1", &[&tenant])
            .await
            .map_err(pg)?
        {
            Some(row) => {
                from_json::<Tenant>(row.get(0), || format!("tenant {tenant}"))
                    .map_err(unavailable)?
                    .quotas
                    .kv_bytes
            }
            None => Quotas::default().kv_bytes,
        };
        let used = locked_usage(&transaction, &tenant).await?;
        let old_size = transaction
            .query_opt(
                "SELECT octet_length(value) FROM kv WHERE tenant_id = $1 AND key = $2",
                &[&tenant, &key],
            )
            .await
            .map_err(pg)?
            .map_or(0, |row| {
                key.len() as u64 + row.get::<_, i32>(0).unsigned_abs() as u64
            });
        let new_size = (key.len() + value.len()) as u64;
        let now = used.saturating_sub(old_size).saturating_add(new_size);
        if now > quota && now > used {
            return Err(KvError::QuotaExceeded);
        }
        transaction
            .execute(
                "INSERT INTO kv (tenant_id, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant_id, key) DO UPDATE SET value = EXCLUDED.value",
                &[&tenant, &key, &value],
            )
            .await
            .map_err(pg)?;
        store_usage(&transaction, &tenant, now).await?;
        transaction.commit().await.map_err(pg)
    })
}

/// The tenant's usage, its row created if missing and locked until the transaction ends.
async fn locked_usage(
    transaction: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
) -> Result<u64, KvError> {
    transaction
        .execute(
            "INSERT INTO kv_usage (tenant_id, used) VALUES ($1, 0)
             ON CONFLICT (tenant_id) DO NOTHING",
            &[&tenant],
        )
        .await
        .map_err(pg)?;
    let used: i64 = transaction
        .query_one(
            "SELECT used FROM kv_usage WHERE tenant_id = $1 FOR UPDATE",
            &[&tenant],
        )
        .await
        .map_err(pg)?
        .get(0);
    u64::try_from(used).map_err(|_| {
        unavailable(StoreError::Corrupt {
            what: format!("key-value usage of {tenant}"),
            detail: format!("negative value {used}"),
        })
    })
}

async fn store_usage(
    transaction: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    used: u64,
) -> Result<(), KvError> {
    let used = i64::try_from(used).unwrap_or(i64::MAX);
    transaction
        .execute(
            "UPDATE kv_usage SET used = $2 WHERE tenant_id = $1",
            &[&tenant, &used],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

/// Deletes the key (if present) and frees its bytes.
pub fn delete(worker: &Worker, tenant: &str, key: &str) -> Result<(), KvError> {
    let (tenant, key) = (check_tenant(tenant)?, key.as_bytes().to_vec());
    run(worker, move |mut client| async move {
        let transaction = client.transaction().await.map_err(pg)?;
        let used = locked_usage(&transaction, &tenant).await?;
        let removed = transaction
            .query_opt(
                "DELETE FROM kv WHERE tenant_id = $1 AND key = $2 RETURNING octet_length(value)",
                &[&tenant, &key],
            )
            .await
            .map_err(pg)?;
        if let Some(row) = removed {
            let size = key.len() as u64 + row.get::<_, i32>(0).unsigned_abs() as u64;
            store_usage(&transaction, &tenant, used.saturating_sub(size)).await?;
        }
        transaction.commit().await.map_err(pg)
    })
}

/// The smallest key greater than every key starting with `prefix`; `None` if there is
/// none (the prefix is empty or all 0xFF).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A page of the tenant's keys starting with `prefix`, after the cursor key (the last
/// key of the previous page, as the embedded store gives it).
pub fn list(
    worker: &Worker,
    tenant: &str,
    prefix: &str,
    page: &PageRequest,
) -> Result<Page<KvEntry>, KvError> {
    let tenant = check_tenant(tenant)?;
    let scope = prefix.as_bytes().to_vec();
    let start = match &page.after {
        // Strictly after the cursor: the cursor with a 0 byte appended is the smallest key
        // greater than it.
        Some(after) => {
            let mut start = after.as_bytes().to_vec();
            start.push(0);
            start.max(scope.clone())
        }
        None => scope.clone(),
    };
    let end = prefix_end(&scope);
    let limit = page.limit.max(1);
    run(worker, move |client| async move {
        let rows = client
            .query(
                "SELECT key, octet_length(value) FROM kv
                 WHERE tenant_id = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3)
                 ORDER BY key LIMIT $4",
                &[&tenant, &start, &end, &limit_plus_one(limit)],
            )
            .await
            .map_err(pg)?;
        let mut items: Vec<KvEntry> = rows
            .iter()
            .map(|row| KvEntry {
                key: String::from_utf8_lossy(row.get::<_, &[u8]>(0)).into_owned(),
                size_bytes: row.get::<_, i32>(1).unsigned_abs() as usize,
            })
            .collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|e| e.key.clone())
        } else {
            None
        };
        Ok(Page { items, next })
    })
}

pub fn used_bytes(worker: &Worker, tenant: &str) -> Result<u64, KvError> {
    let tenant = check_tenant(tenant)?;
    run(worker, move |client| async move {
        let row = client
            .query_opt("SELECT used FROM kv_usage WHERE tenant_id = $1", &[&tenant])
            .await
            .map_err(pg)?;
        Ok(row.map_or(0, |row| row.get::<_, i64>(0).unsigned_abs()))
    })
}
