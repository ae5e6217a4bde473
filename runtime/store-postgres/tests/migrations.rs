//! Opening a store migrates its database: once, however many nodes open it at once, and
//! never a database a newer build migrated.

use std::sync::Barrier;

use huashu_store::{Store, StoreError};
use huashu_store_postgres::PgStore;
use huashu_store_postgres::test_cluster::TestCluster;

/// Runs one statement with one integer parameter on the database at `url`, outside any
/// store: what another build or an operator would do.
fn run_sql(url: &str, sql: &str, param: i32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connects");
        let driver = tokio::spawn(connection);
        client
            .execute(sql, &[&param])
            .await
            .expect("the statement runs");
        drop(client);
        let _ = driver.await;
    });
}

#[test]
fn two_stores_opening_a_fresh_database_together_both_open_and_migrate_it_once() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    let url = cluster.create_database().expect("a fresh database");
    let start = Barrier::new(2);
    let stores: Vec<PgStore> = std::thread::scope(|scope| {
        let openers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    PgStore::connect(&url)
                })
            })
            .collect();
        openers
            .into_iter()
            .map(|opener| {
                opener
                    .join()
                    .expect("the opening thread finished")
                    .expect("the store opens")
            })
            .collect()
    });
    let latest = PgStore::latest_schema_version();
    assert!(latest >= 1);
    for store in &stores {
        assert_eq!(store.schema_version().expect("read"), latest);
    }
    assert_eq!(
        stores[0].applied_migrations().expect("read"),
        (1..=latest).collect::<Vec<_>>(),
        "each migration is recorded once"
    );
    // Both see the same data: what one writes the other reads.
    stores[0]
        .set_operator_token_sha256("ab")
        .expect("written through one store");
    assert_eq!(
        stores[1]
            .operator_token_sha256()
            .expect("read through the other"),
        Some("ab".into())
    );
    // Opening again later finds nothing to do.
    let again = PgStore::connect(&url).expect("the store opens again");
    assert_eq!(
        again.applied_migrations().expect("read").len(),
        latest as usize
    );
}

#[test]
fn a_database_migrated_by_a_newer_build_is_refused() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    let url = cluster.create_database().expect("a fresh database");
    let store = PgStore::connect(&url).expect("the store opens");
    drop(store);
    let newer = i32::try_from(PgStore::latest_schema_version() + 1).expect("a small version");
    run_sql(
        &url,
        "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')",
        newer,
    );
    match PgStore::connect(&url) {
        Err(StoreError::Open(why)) => {
            assert!(why.contains("newer") || why.contains("build"), "{why}")
        }
        Err(other) => panic!("expected an open error, got {other}"),
        Ok(_) => panic!("a database from a newer build was opened"),
    }
}

#[test]
fn an_unreachable_database_fails_to_open_with_a_message_naming_the_connection() {
    // A port nothing listens on: the cluster's, after it stopped.
    let url = {
        let cluster = TestCluster::start().expect("a PostgreSQL server starts");
        cluster.url("postgres")
    };
    match PgStore::connect(&url) {
        Err(StoreError::Open(why)) => assert!(why.contains("connect"), "{why}"),
        Err(other) => panic!("expected an open error, got {other}"),
        Ok(_) => panic!("opened a database that is not there"),
    }
}
