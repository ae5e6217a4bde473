//! A damaged directory is refused at open with an error naming it, never a panic and never
//! a silent start on what sled could salvage; damage sled meets only at read time is an
//! error of that read.

use std::path::Path;

use crate::{SledStore, damage};
use huashu_store::{KeyValueStore, Quotas, Store, StoreError, Tenant};

/// Bigger than sled's blob threshold (a quarter segment), so it is kept in `blobs/`.
const BIG: usize = 200_000;

fn tenant() -> Tenant {
    Tenant {
        id: "t_01".into(),
        name: "Acme".into(),
        created_at_ms: 1,
        disabled: false,
        quotas: Quotas::default(),
        record_calls: false,
        http_allowlist: Vec::new(),
        http_origins: None,
        language: None,
    }
}

/// A directory with a few acknowledged writes, closed cleanly.
fn filled() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store.set_operator_token_sha256("cd").unwrap();
    store.create_tenant(&tenant()).unwrap();
    store.set("t_01", "k", b"v").unwrap();
    store
        .add_module_version("t_01", "bot", "d", 1, &vec![7; BIG], b"art")
        .unwrap();
    dir
}

/// Opens `dir` again right after a handle on it was dropped. sled finishes its last
/// writes on its own I/O threads, which keep the directory locked for a moment after the
/// drop; there is nothing to wait on, so this retries (for at most 10 s) while the error
/// is that lock.
fn reopen(dir: &Path) -> Result<SledStore, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open(dir) {
            Err(StoreError::Open(why))
                if why.contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// The error opening `dir` gives, asserting it is the "damaged" one and names `dir`.
fn refused(dir: &Path) -> String {
    match reopen(dir) {
        Ok(_) => panic!("a damaged directory opened"),
        Err(error @ StoreError::Corrupt { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains(&dir.display().to_string()),
                "the message names the directory: {message}"
            );
            message
        }
        Err(other) => panic!("expected a corrupt-data error, got {other}"),
    }
}

fn db_file(dir: &Path) -> std::path::PathBuf {
    dir.join("db")
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

fn flip(path: &Path, at: usize, count: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    for byte in &mut bytes[at..at + count] {
        *byte ^= 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn an_intact_directory_reopens_with_its_data_again_and_again() {
    let dir = filled();
    for _ in 0..3 {
        let store = reopen(dir.path()).unwrap();
        assert_eq!(store.tenant("t_01").unwrap(), Some(tenant()));
        assert_eq!(store.get("t_01", "k").unwrap(), Some(b"v".to_vec()));
    }
}

#[test]
fn a_db_file_cut_to_half_is_refused() {
    let dir = filled();
    let len = std::fs::metadata(db_file(dir.path())).unwrap().len();
    truncate(&db_file(dir.path()), len / 2);
    let message = refused(dir.path());
    assert!(message.contains("restore"), "{message}");
    // Refused again: the first refusal wrote nothing that hides the damage.
    refused(dir.path());
}

#[test]
fn a_db_file_cut_to_nothing_or_a_few_bytes_is_refused() {
    for len in [0, 7] {
        let dir = filled();
        truncate(&db_file(dir.path()), len);
        let message = refused(dir.path());
        assert!(message.contains("no huashu data"), "{message}");
    }
}

#[test]
fn a_deleted_db_file_is_refused() {
    let dir = filled();
    std::fs::remove_file(db_file(dir.path())).unwrap();
    refused(dir.path());
}

#[test]
fn flipped_bytes_in_the_middle_of_the_db_file_are_refused() {
    let dir = filled();
    let len = std::fs::metadata(db_file(dir.path())).unwrap().len();
    flip(&db_file(dir.path()), usize::try_from(len / 2).unwrap(), 16);
    refused(dir.path());
}

#[test]
fn a_garbage_conf_is_refused_with_the_way_out_and_deleting_it_is_that_way() {
    let dir = filled();
    let conf = dir.path().join("conf");
    let garbage: Vec<u8> = (0..62u8).map(|i| i.wrapping_mul(151) ^ 0xA5).collect();
    std::fs::write(&conf, garbage).unwrap();
    let message = refused(dir.path());
    assert!(message.contains("conf"), "{message}");
    assert!(message.contains("deleting that file"), "{message}");
    std::fs::remove_file(&conf).unwrap();
    let store = reopen(dir.path()).unwrap();
    assert_eq!(store.tenant("t_01").unwrap(), Some(tenant()));
}

#[test]
fn an_empty_conf_is_written_again_as_sled_does() {
    let dir = filled();
    truncate(&dir.path().join("conf"), 0);
    let store = reopen(dir.path()).unwrap();
    assert_eq!(store.tenant("t_01").unwrap(), Some(tenant()));
}

#[test]
fn a_garbage_snapshot_is_refused() {
    let dir = filled();
    let garbage: Vec<u8> = (0..500u32).map(|i| (i * 37 % 251) as u8).collect();
    std::fs::write(dir.path().join("snap.0000000000000000"), garbage).unwrap();
    refused(dir.path());
}

#[test]
fn damaged_or_deleted_blobs_are_refused_at_open_or_fail_their_read() {
    for damage in ["truncate", "flip", "delete"] {
        let dir = filled();
        for entry in std::fs::read_dir(dir.path().join("blobs")).unwrap() {
            let path = entry.unwrap().path();
            match damage {
                "truncate" => truncate(&path, 100),
                "flip" => flip(&path, BIG / 2, 16),
                _ => std::fs::remove_file(&path).unwrap(),
            }
        }
        // sled checks the blobs it replays at open; a deleted one it reads as "no value".
        // Whichever way it goes: no panic and no wrong bytes.
        match reopen(dir.path()) {
            Ok(store) => assert!(
                store.module_wasm("t_01", "bot", 1).is_err(),
                "{damage}: a damaged blob must fail its read"
            ),
            Err(StoreError::Corrupt { .. }) => {}
            Err(other) => panic!("{damage}: expected a corrupt-data error, got {other}"),
        }
    }
}

#[test]
fn a_garbage_mark_file_is_refused() {
    let dir = filled();
    std::fs::write(dir.path().join(damage::MARK_FILE), "many\n").unwrap();
    refused(dir.path());
}

#[test]
fn a_directory_without_a_mark_file_opens_and_gets_one() {
    let dir = filled();
    let mark = dir.path().join(damage::MARK_FILE);
    std::fs::remove_file(&mark).unwrap();
    let store = reopen(dir.path()).unwrap();
    assert_eq!(store.tenant("t_01").unwrap(), Some(tenant()));
    // Four acknowledged writes in `filled`.
    assert_eq!(std::fs::read_to_string(&mark).unwrap(), "4\n");
    store.set("t_01", "k", b"w").unwrap();
    drop(store);
    assert_eq!(std::fs::read_to_string(&mark).unwrap(), "5\n");
}

/// A log whose segments sled has reused, cut at a segment boundary: sled 0.34 usually
/// panics while rebuilding its snapshot ("tried to serialize Uninitialized"). The test
/// harness's panic hook prints that panic; the open must still return the error. Which
/// segments sled reuses depends on its background flushes, so on some runs the cut log
/// instead recovers to an empty tree, which the acknowledged-writes mark catches: either
/// way the open is refused with a corrupt-data error naming the directory, never a panic.
#[test]
fn a_panic_inside_sled_becomes_an_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = reopen(dir.path()).unwrap();
        for i in 0..6_000u64 {
            let tenant = Tenant {
                // Spread over the key space, as random ids are.
                id: format!("t_{:016x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                ..tenant()
            };
            store.create_tenant(&tenant).unwrap();
        }
    }
    let segment = 512 * 1024;
    let len = std::fs::metadata(db_file(dir.path())).unwrap().len();
    assert!(len >= 8 * segment, "the log fills eight segments: {len}");
    truncate(&db_file(dir.path()), 4 * segment);
    let message = refused(dir.path());
    assert!(
        message.contains("sled cannot recover") || message.contains("acknowledged writes"),
        "{message}"
    );
}

#[test]
fn catching_turns_a_panic_into_the_damaged_error() {
    let dir = Path::new("/nowhere/data");
    let result: Result<(), StoreError> = damage::catching(dir, || panic!("torn segment"));
    let message = result.unwrap_err().to_string();
    assert!(message.contains("/nowhere/data"), "{message}");
    assert!(message.contains("torn segment"), "{message}");
    assert!(message.contains("restore"), "{message}");
}
