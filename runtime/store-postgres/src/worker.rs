//! The store's own runtime: a small tokio runtime that owns the connection pool and runs
//! every query, so the synchronous storage traits never block their caller's runtime.
//!
//! The traits are called from blocking threads and directly from async handlers. Running
//! a query with `block_on` on the caller's runtime would panic in the second case (a
//! runtime cannot block inside itself) and starve its workers in the first. Instead each
//! method hands its async work to [`Worker::run`], which spawns it here and waits on a
//! plain channel for the answer: the caller's thread blocks for one round trip to the
//! database, as it blocks on a disk flush with the embedded store, and no runtime is
//! entered twice.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Timeouts};
use huashu_store::StoreError;
use tokio_postgres::NoTls;

/// Threads of the store's runtime. Queries spend their time waiting on the database, not
/// computing, so two threads drive every connection of the pool; a second one keeps a
/// slow decode of a large row from holding up the rest.
const WORKER_THREADS: usize = 2;

/// Connections one node keeps open at most. A call writes a handful of rows in its life
/// and reads are short, so 16 serve thousands of calls; three nodes then use 48 of
/// PostgreSQL's default 100 connections, leaving room for the operator's own tools.
const POOL_SIZE: usize = 16;

/// How long a query waits for a free connection, or for a new one to be opened, before
/// it fails. Past 10 s the database is gone or overloaded: answering an error lets the API
/// say so (503) instead of holding the client.
const CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// How long a readiness check waits for a connection. A load balancer's probe gives up
/// after a few seconds; answering "not ready" within 2 s tells it why instead of timing
/// out, and is far longer than a healthy pool ever takes.
const READINESS_WAIT: Duration = Duration::from_secs(2);

/// The runtime and the pool it owns.
pub struct Worker {
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
}

impl Worker {
    /// Starts the runtime and a pool of connections to `config`'s database (opened on
    /// first use, not here).
    pub fn start(config: tokio_postgres::Config) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("huashu-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Open(format!("cannot start the database runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_WAIT))
            .create_timeout(Some(CONNECTION_WAIT))
            .build()
            .map_err(|e| StoreError::Open(format!("cannot set up the connection pool: {e}")))?;
        Ok(Self {
            runtime: Some(runtime),
            pool,
        })
    }

    /// Runs `work` on a pooled connection on the store's runtime and waits for its answer.
    pub fn run<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        self.run_with_pool(move |pool| async move {
            let client = pool.get().await.map_err(|e| {
                StoreError::Backend(format!("cannot get a database connection: {e}"))
            })?;
            work(client).await
        })
    }

    /// Whether the database takes writes now: reachable within [`READINESS_WAIT`], and not
    /// a standby in recovery (after a failover that has not reached this node's address).
    pub fn writable(&self) -> Result<(), StoreError> {
        self.run_with_pool(|pool| async move {
            let timeouts = Timeouts {
                wait: Some(READINESS_WAIT),
                create: Some(READINESS_WAIT),
                recycle: Some(READINESS_WAIT),
            };
            let client = pool
                .timeout_get(&timeouts)
                .await
                .map_err(|e| StoreError::Backend(format!("the database cannot be reached: {e}")))?;
            let standby: bool = client
                .query_one("SELECT pg_is_in_recovery()", &[])
                .await
                .map_err(crate::sql::backend)?
                .get(0);
            if standby {
                return Err(StoreError::Backend(
                    "the database is a read-only standby: point the store at the primary".into(),
                ));
            }
            Ok(())
        })
    }

    /// Runs `work` with the pool itself (to hold one connection across steps, as the
    /// migrations do) and waits for its answer.
    pub fn run_with_pool<T, F, Fut>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(Pool) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::Backend("the store is shutting down".into()))?;
        let (answer, answered) = mpsc::sync_channel(1);
        let pool = self.pool.clone();
        runtime.spawn(async move {
            // The caller waits on the other end; if it is gone there is nobody to tell.
            let _ = answer.send(work(pool).await);
        });
        answered.recv().map_err(|_| {
            StoreError::Backend("the database runtime stopped before answering".into())
        })?
    }
}

impl Drop for Worker {
    /// Stops the runtime without waiting for it: a store dropped inside an async task must
    /// not block there (and its queries have all been answered by then).
    fn drop(&mut self) {
        self.pool.close();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
