//! The store as the server uses it: called from inside async handlers, dropped there, and
//! carrying on when the database restarts or answering "not ready" while it is down.

use huashu_store::{Store, StoreError};
use huashu_store_postgres::PgStore;
use huashu_store_postgres::test_cluster::TestCluster;

#[test]
fn a_store_is_used_and_dropped_inside_async_tasks_of_either_runtime_flavour() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    let url = cluster.create_database().expect("a fresh database");
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let url_for_task = url.clone();
    current_thread.block_on(async move {
        // Opened, used and dropped on the only thread of the caller's runtime: nothing
        // blocks that runtime from inside, nothing panics.
        let store = PgStore::connect(&url_for_task).expect("the store opens");
        store.set_operator_token_sha256("aa").expect("written");
        assert_eq!(
            store.operator_token_sha256().expect("read"),
            Some("aa".into())
        );
        drop(store);
    });
    let multi_thread = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    multi_thread.block_on(async move {
        let store = std::sync::Arc::new(PgStore::connect(&url).expect("the store opens"));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.operator_token_sha256() })
            })
            .collect();
        for task in tasks {
            let token = task.await.expect("the task finished").expect("read");
            assert_eq!(token, Some("aa".into()));
        }
        store.writable().expect("a primary takes writes");
    });
}

#[test]
fn a_store_carries_on_after_the_database_restarts_and_is_not_ready_while_it_is_down() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    let url = cluster.create_database().expect("a fresh database");
    let store = PgStore::connect(&url).expect("the store opens");
    store.set_operator_token_sha256("before").expect("written");

    cluster.restart().expect("the server restarts");
    // The pooled connections were cut; the store opens new ones.
    store
        .set_operator_token_sha256("after")
        .expect("written after the restart");
    assert_eq!(
        store.operator_token_sha256().expect("read"),
        Some("after".into())
    );

    cluster.stop().expect("the server stops");
    match store.writable() {
        Err(StoreError::Backend(why)) => assert!(why.contains("cannot be reached"), "{why}"),
        other => panic!("expected not ready, got {other:?}"),
    }
    assert!(store.operator_token_sha256().is_err());
}
