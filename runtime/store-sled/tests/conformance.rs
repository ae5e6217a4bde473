//! The storage conformance suite (`huashu_store::conformance`) on the embedded store: the
//! same cases the PostgreSQL store runs, each on a fresh temporary database.

use huashu_store::conformance;
use huashu_store_sled::SledStore;

#[test]
fn the_storage_conformance_suite_passes_on_sled() {
    conformance::run_all(&mut || Box::new(SledStore::temporary().expect("a temporary store")))
        .assert_all_passed("sled");
}
