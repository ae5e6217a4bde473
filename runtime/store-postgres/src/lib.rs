//! The shared backend: [`Store`] (with tenants' secrets, [`SecretStore`]) and
//! [`KeyValueStore`] on PostgreSQL, so several nodes serve the same tenants, modules and
//! calls. The embedded sled store stays the single-node default; this one implements the
//! same traits and passes the same conformance suite.
//!
//! # How a synchronous trait talks to an async client
//!
//! The storage traits are synchronous; the server calls them from blocking threads and
//! directly from async handlers. The store therefore owns a small tokio runtime of its own
//! (two threads) that owns the connection pool: every method hands its queries to that
//! runtime and waits on a plain channel for the answer ([`worker`]). The caller's thread
//! waits one round trip to the database, as it waits on a disk flush with the embedded
//! store, and the caller's runtime is never blocked from inside nor entered twice.
//!
//! # Durability
//!
//! Every method that writes commits its transaction before it returns, and PostgreSQL
//! acknowledges a commit once it is in its write-ahead log (`synchronous_commit`, on by
//! default): a client that got a 2xx keeps its data through a crash of this node or of the
//! database. [`Store::flush`] has nothing left to do.
//!
//! # Layout
//!
//! - [`worker`] — the store's runtime and connection pool, and how a method waits on it.
//! - [`migrations`] — the versioned schema (`migrations/*.sql`), applied at open under an
//!   advisory lock so nodes starting together do not race.
//! - [`sql`] — error, number, JSON and cursor conversions every part shares.
//! - [`tenants`] — the operator token, tenants and API keys.
//! - [`modules`] — module versions and their bytes; version numbers taken under a row lock.
//! - [`prompts`] — recorded prompts.
//! - [`calls`] — call summaries, records and recordings; listings and the live calls.
//! - [`deletion`] — deleting calls with the audit entry that counts them, the retention
//!   and erasure scans, and the audit itself.
//! - [`kv`] — the tenants' key-value space and its per-tenant quota.
//! - [`secrets`] — tenants' write-only secrets.
//! - [`telephony`] — SIP trunks and routed numbers.
//! - [`traits`] — the storage traits' methods, each handed to the part above that owns it.
//! - [`test_cluster`] — a throwaway PostgreSQL server in a temporary directory, for tests.
//!
//! Records are kept whole as JSON beside the columns queries use (see the first
//! migration), so a field added to a model type needs no schema change.
//!
//! Not here yet: the campaign store (`huashu_store::campaigns::CampaignStore`) and TLS to
//! the database.

mod calls;
mod deletion;
mod kv;
mod migrations;
mod modules;
mod prompts;
mod secrets;
mod sql;
mod telephony;
mod tenants;
pub mod test_cluster;
mod traits;
mod worker;

use std::str::FromStr;

use huashu_store::StoreError;

use worker::Worker;

/// Tenants, keys, modules, prompts, calls, the audit of their deletion, tenant key-value,
/// secrets, trunks and numbers in one PostgreSQL database, shared by every node.
pub struct PgStore {
    pub(crate) worker: Worker,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// or the key=value form) and brings its schema up to date, waiting for another node
    /// that is migrating it. Fails if the database cannot be reached, or was migrated by a
    /// newer build.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Open(format!(
                "{} is not a PostgreSQL connection string: {e}",
                redact(url)
            ))
        })?;
        let worker = Worker::start(config)?;
        worker.run_with_pool(migrations::migrate)?;
        Ok(Self { worker })
    }

    /// The schema version the database is at (the latest this build knows, once opened).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.worker.run_with_pool(migrations::current_version)
    }

    /// Every migration recorded as applied to the database, in order: each version once.
    pub fn applied_migrations(&self) -> Result<Vec<u32>, StoreError> {
        self.worker.run_with_pool(migrations::applied)
    }

    /// The schema version this build migrates databases to.
    pub fn latest_schema_version() -> u32 {
        migrations::latest_version()
    }
}

/// `url` without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].find(':') {
            Some(colon) => format!("{}:…{}", &url[..scheme + 3 + colon], &url[at..]),
            None => url.to_owned(),
        },
        _ if url.contains("password") => "the connection string".to_owned(),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_connection_string_in_an_error_never_shows_its_password() {
        assert_eq!(
            redact("postgres://huashu:s3cret@db:5432/huashu"),
            "postgres://huashu:…@db:5432/huashu"
        );
        assert_eq!(redact("postgres://db/huashu"), "postgres://db/huashu");
        assert_eq!(redact("host=db password=s3cret"), "the connection string");
    }
}
