//! Several stores on one database, as several nodes run: counters and limits hold across
//! them, not only across the threads of one.

use huashu_store::{KeyValueStore, KvError, PageRequest, Store};
use huashu_store_postgres::PgStore;
use huashu_store_postgres::test_cluster::TestCluster;

/// Two stores ("nodes") on one fresh database.
fn two_nodes(cluster: &TestCluster) -> [PgStore; 2] {
    let url = cluster.create_database().expect("a fresh database");
    [
        PgStore::connect(&url).expect("node 1 opens"),
        PgStore::connect(&url).expect("node 2 opens"),
    ]
}

#[test]
fn uploads_through_two_nodes_at_once_get_distinct_version_numbers() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    let nodes = two_nodes(&cluster);
    let mut numbers: Vec<u32> = std::thread::scope(|scope| {
        let uploaders: Vec<_> = nodes
            .iter()
            .flat_map(|node| [node, node])
            .map(|node| {
                scope.spawn(move || {
                    (0..10)
                        .map(|_| {
                            node.add_module_version("t_1", "bot", "d", 1, b"w", b"a")
                                .expect("uploaded")
                                .version
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        uploaders
            .into_iter()
            .flat_map(|u| u.join().expect("the uploading thread finished"))
            .collect()
    });
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
    let module = nodes[1]
        .module("t_1", "bot")
        .expect("read")
        .expect("exists");
    assert_eq!(module.versions.len(), 40);
}

#[test]
fn a_tenants_key_value_quota_holds_across_two_nodes_writing_at_once() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    let nodes = two_nodes(&cluster);
    let mut tenant = huashu_store::conformance::tenant("t_1");
    tenant.quotas.kv_bytes = 100;
    nodes[0].create_tenant(&tenant).expect("created");
    let refused: usize = std::thread::scope(|scope| {
        let writers: Vec<_> = nodes
            .iter()
            .enumerate()
            .map(|(n, node)| {
                scope.spawn(move || {
                    (0..10)
                        .filter(|i| match node.set("t_1", &format!("n{n}-{i}"), &[7; 8]) {
                            Ok(()) => false,
                            Err(KvError::QuotaExceeded) => true,
                            Err(other) => panic!("unexpected: {other}"),
                        })
                        .count()
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().expect("the writing thread finished"))
            .sum()
    });
    let listed = nodes[1]
        .list(
            "t_1",
            "",
            &PageRequest {
                after: None,
                limit: 100,
            },
        )
        .expect("listed");
    let stored: usize = listed
        .items
        .iter()
        .map(|e| e.key.len() + e.size_bytes)
        .sum();
    // Each write takes 12 bytes (a 4-byte key, an 8-byte value): 8 of the 20 fit in 100.
    assert_eq!((listed.items.len(), refused), (8, 12));
    assert!(stored <= 100, "{stored} bytes stored over a quota of 100");
    assert_eq!(nodes[0].used_bytes("t_1").expect("read"), stored as u64);
}
