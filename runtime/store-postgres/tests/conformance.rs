//! The storage conformance suite (`huashu_store::conformance`) on PostgreSQL: the same
//! cases the embedded store runs, each in a fresh database of one throwaway server.

use huashu_store::conformance;
use huashu_store_postgres::PgStore;
use huashu_store_postgres::test_cluster::TestCluster;

#[test]
fn the_storage_conformance_suite_passes_on_postgres() {
    let cluster = TestCluster::start().expect("a PostgreSQL server starts");
    conformance::run_all(&mut || {
        let url = cluster.create_database().expect("a fresh database");
        Box::new(PgStore::connect(&url).expect("the store opens"))
    })
    .assert_all_passed("PostgreSQL");
}
