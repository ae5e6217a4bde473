//! A damaged data directory through the real binary: `huashu serve` on a store whose files
//! were truncated, bit-flipped or replaced must exit with 2 after an `error: …` line that
//! names the directory (docs/operator-guide.md, "A damaged data directory"), never panic,
//! hang or start on what is left. An intact store restarts with its data.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::server::{OPERATOR_TOKEN, Server, create_tenant};

/// How long a refused start may take before the test gives up on it (it takes well under a
/// second; this only bounds a hang).
const START_LIMIT: Duration = Duration::from_secs(60);

/// Bigger than sled's blob threshold (a quarter of its 512 KiB segment), so sled keeps the
/// prompt in a file of its own under `blobs/`.
const PROMPT_SAMPLES: usize = 100_000;

fn prompt_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..PROMPT_SAMPLES)
        .map(|i| i16::try_from(i % 2_000).expect("small") - 1_000)
        .collect();
    huashu_media::wav::encode_pcm16(&samples, 16_000)
}

/// A store with real data in a fresh directory: a tenant with a key and a prompt, written
/// through the API by a server that then stopped cleanly. Returns the directory and the
/// tenant's id and key.
fn store_with_data() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path());
    let (tenant, key) = create_tenant(&server, "Acme");
    let (status, body) = server
        .client(&key)
        .put_bytes("/v1/prompts/greeting", &prompt_wav());
    assert_eq!(status, 201, "{body}");
    assert_eq!(server.terminate(), Some(0), "a clean stop");
    (dir, tenant, key)
}

/// How a start on a damaged store ended: its exit code and everything it wrote on stderr.
struct Refusal {
    code: Option<i32>,
    stderr: String,
}

/// Starts `huashu serve` on `data` and waits for it to exit, failing at once if it starts
/// listening instead and after [`START_LIMIT`] if it does neither (then it is killed).
fn start_refused(data: &Path) -> Refusal {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huashu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("HUASHU_OPERATOR_TOKEN", OPERATOR_TOKEN)
        .env("HUASHU_LOG", "warn")
        // A panic would print its backtrace: the assertions below must see none.
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start huashu serve");
    let pid = child.id();
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let listening = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("huashu listening on ") {
                let _ = listening.send(None);
            }
        }
    });
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let code = child.wait().ok().and_then(|status| status.code());
        let _ = tx.send(Some(Refusal { code, stderr: text }));
    });
    let kill = || {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    };
    match rx.recv_timeout(START_LIMIT) {
        Ok(Some(refusal)) => refusal,
        Ok(None) => {
            kill();
            panic!(
                "the server started on the damaged store in {}",
                data.display()
            );
        }
        Err(_) => {
            kill();
            panic!("the server neither exited nor started within {START_LIMIT:?}");
        }
    }
}

/// Asserts the start on `data` was refused as the operator guide says: exit code 2, an
/// `error:` line naming the directory, no panic. Returns the stderr.
fn assert_refused(data: &Path) -> String {
    let Refusal { code, stderr } = start_refused(data);
    assert_eq!(code, Some(2), "exit code; stderr:\n{stderr}");
    let error = stderr
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("no `error:` line; stderr:\n{stderr}"));
    assert!(
        error.contains(&data.display().to_string()),
        "the error names the data directory {}: {error}",
        data.display()
    );
    assert!(!stderr.contains("panicked"), "a panic on stderr:\n{stderr}");
    assert!(
        !stderr.contains("stack backtrace"),
        "a backtrace:\n{stderr}"
    );
    stderr
}

fn db_file(data: &Path) -> PathBuf {
    data.join("db")
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for truncating")
        .set_len(len)
        .expect("truncate");
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).expect("metadata").len()
}

/// Bytes that are nothing sled would write, in a fixed pseudo-random pattern.
fn garbage(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 151 + 89) % 251).expect("below 251") ^ 0x5A)
        .collect()
}

#[test]
fn an_intact_store_restarts_with_its_tenant_and_prompt() {
    let (dir, tenant, key) = store_with_data();
    for _ in 0..2 {
        let mut server = Server::start(dir.path());
        let (status, body) = server.operator().get(&format!("/v1/tenants/{tenant}"));
        assert_eq!(
            (status, body["name"].as_str()),
            (200, Some("Acme")),
            "{body}"
        );
        let (status, _, wav) = server.client(&key).get_bytes("/v1/prompts/greeting");
        assert_eq!((status, wav == prompt_wav()), (200, true));
        assert_eq!(server.terminate(), Some(0));
    }
}

#[test]
fn a_db_file_cut_to_half_is_refused_and_stays_refused() {
    let (dir, _, _) = store_with_data();
    let db = db_file(dir.path());
    truncate(&db, len(&db) / 2);
    let stderr = assert_refused(dir.path());
    assert!(stderr.contains("restore"), "says what to do:\n{stderr}");
    // The refused start changed nothing that would let a second one through.
    assert_refused(dir.path());
}

#[test]
fn a_db_file_cut_to_nothing_or_to_a_few_bytes_is_refused() {
    for cut in [0, 7] {
        let (dir, _, _) = store_with_data();
        truncate(&db_file(dir.path()), cut);
        assert_refused(dir.path());
    }
}

#[test]
fn flipped_bytes_in_the_middle_of_the_db_file_are_refused() {
    let (dir, _, _) = store_with_data();
    let db = db_file(dir.path());
    let mut bytes = std::fs::read(&db).expect("read db");
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 16] {
        *byte ^= 0xFF;
    }
    std::fs::write(&db, bytes).expect("write db");
    assert_refused(dir.path());
}

/// The one damage with a way out that keeps the data: sled's `conf` is the same for every
/// huashu directory, and deleting it lets the next start write it again.
#[test]
fn a_garbage_conf_is_refused_with_its_way_out_and_that_way_works() {
    let (dir, tenant, _) = store_with_data();
    let conf = dir.path().join("conf");
    std::fs::write(&conf, garbage(62)).expect("write conf");
    let stderr = assert_refused(dir.path());
    assert!(stderr.contains("conf"), "names the file:\n{stderr}");
    assert!(stderr.contains("deleting"), "says what to do:\n{stderr}");
    std::fs::remove_file(&conf).expect("delete conf");
    let mut server = Server::start(dir.path());
    let (status, body) = server.operator().get(&format!("/v1/tenants/{tenant}"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn a_garbage_snapshot_is_refused() {
    let (dir, _, _) = store_with_data();
    std::fs::write(dir.path().join("snap.0000000000000000"), garbage(500)).expect("write");
    assert_refused(dir.path());
}

/// Damage that makes sled itself panic while opening: here a blob file rewritten with a
/// valid checksum but another message kind (sled asserts the kind matches its log). The
/// operator must see the `error:` line only, not the panic.
#[test]
fn a_panic_inside_sled_is_reported_as_an_error_without_the_panic() {
    let (dir, _, _) = store_with_data();
    let blobs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("blobs"))
        .expect("the prompt is in blobs/")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert!(!blobs.is_empty(), "the prompt is kept in a blob file");
    for blob in blobs {
        // A blob file: CRC-32 (little endian) of the rest, the message kind, the bytes.
        let mut bytes = std::fs::read(&blob).expect("read blob");
        assert_eq!(
            u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")),
            crc32(&bytes[4..]),
            "the blob layout is what this test expects"
        );
        // BlobNode (9) and BlobLink (11), sled's two kinds of blob page.
        bytes[4] = if bytes[4] == 9 { 11 } else { 9 };
        let crc = crc32(&bytes[4..]);
        bytes[..4].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(&blob, bytes).expect("write blob");
    }
    let stderr = assert_refused(dir.path());
    assert!(stderr.contains("sled cannot recover"), "{stderr}");
}

/// CRC-32 (IEEE), as sled checksums its files.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & 0u32.wrapping_sub(crc & 1));
        }
    }
    !crc
}
