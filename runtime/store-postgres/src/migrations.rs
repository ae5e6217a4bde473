//! Versioned schema migrations, run when a store opens.
//!
//! Each migration is one SQL file under `migrations/`, compiled into the binary, applied
//! in its own transaction together with its row in `schema_migrations`, so a crash
//! leaves the schema at one version or the next, never between. Opening holds a
//! session-level `pg_advisory_lock` from reading the version to the last migration: when
//! several nodes start together one migrates and the others wait, then find nothing left
//! to do. A database migrated by a newer build (a version this build does not know) is
//! refused rather than misread.

use deadpool_postgres::Pool;
use huashu_store::StoreError;

use crate::sql::backend;

/// Every migration, in order: (version, name, SQL). Versions start at 1 and never skip.
const MIGRATIONS: &[(i32, &str, &str)] =
    &[(1, "initial", include_str!("../migrations/0001_initial.sql"))];

/// The advisory lock key that serializes migrations across nodes: any constant unlikely
/// to be used by something else in the same database (the bytes of "huashu-m").
const MIGRATION_LOCK: i64 = 0x6875_6173_6875_2d6d;

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |(v, _, _)| v.unsigned_abs())
}

/// Brings the database's schema up to [`latest_version`]; returns the migrations this call
/// applied (none when another node had applied them).
pub async fn migrate(pool: Pool) -> Result<Vec<u32>, StoreError> {
    let mut client = pool
        .get()
        .await
        .map_err(|e| StoreError::Open(format!("cannot connect to the database: {e}")))?;
    let open = |e: tokio_postgres::Error| StoreError::Open(backend(e).to_string());
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(open)?;
    let applied = apply_pending(&mut client).await;
    // Released before the connection returns to the pool, also after a failure; closing
    // the connection would release it too.
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(open);
    let applied = applied?;
    unlocked?;
    Ok(applied)
}

async fn apply_pending(client: &mut deadpool_postgres::Object) -> Result<Vec<u32>, StoreError> {
    let open = |e: tokio_postgres::Error| StoreError::Open(backend(e).to_string());
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(open)?;
    let current: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(open)?
        .get(0);
    if current.unsigned_abs() > latest_version() {
        return Err(StoreError::Open(format!(
            "the database has schema version {current}; this build knows versions up to {}: \
             run a build at least as new as the one that migrated it",
            latest_version()
        )));
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        let transaction = client.transaction().await.map_err(open)?;
        transaction.batch_execute(sql).await.map_err(|e| {
            StoreError::Open(format!(
                "migration {version} ({name}) failed: {}",
                backend(e)
            ))
        })?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .await
            .map_err(open)?;
        transaction.commit().await.map_err(open)?;
        applied.push(version.unsigned_abs());
    }
    Ok(applied)
}

/// The schema version the database is at.
pub async fn current_version(pool: Pool) -> Result<u32, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::Backend(format!("cannot get a database connection: {e}")))?;
    let version: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(backend)?
        .get(0);
    Ok(version.unsigned_abs())
}

/// The versions recorded in `schema_migrations`, in order.
pub async fn applied(pool: Pool) -> Result<Vec<u32>, StoreError> {
    let client = pool
        .get()
        .await
        .map_err(|e| StoreError::Backend(format!("cannot get a database connection: {e}")))?;
    let rows = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(backend)?;
    Ok(rows
        .iter()
        .map(|row| row.get::<_, i32>(0).unsigned_abs())
        .collect())
}
