//! Writes survive closing and reopening the directory, and a process abort right after
//! they were acknowledged.

use crate::SledStore;
use huashu_store::{
    ApiKey, AuditAction, AuditEntry, CallStatus, CallSummary, KeyValueStore, PageRequest,
    PromptMeta, Quotas, Store, StoreError, Tenant,
};

#[test]
fn everything_written_survives_closing_and_reopening_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = Tenant {
        id: "t_00aa".into(),
        name: "Acme".into(),
        created_at_ms: 1,
        disabled: false,
        quotas: Quotas::default(),
        record_calls: true,
        http_allowlist: Vec::new(),
        http_origins: None,
        language: None,
    };
    let key = ApiKey {
        id: "k_01".into(),
        tenant_id: tenant.id.clone(),
        secret_sha256: "ab".repeat(32),
        label: "ci".into(),
        created_at_ms: 2,
        revoked: false,
    };
    let prompt = PromptMeta {
        tenant_id: tenant.id.clone(),
        name: "hello".into(),
        size_bytes: 4,
        duration_ms: 10,
        sample_rate: 16_000,
        channels: 1,
        created_at_ms: 3,
    };
    let call = CallSummary {
        call_id: "c_01".into(),
        tenant_id: tenant.id.clone(),
        module: "bot".into(),
        module_version: 1,
        status: CallStatus::Live,
        created_at_ms: 4,
        ended_at_ms: None,
        intent: None,
        disposition: None,
        has_recording: false,
        progress: None,
        opted_out: false,
        callee: None,
        campaign_id: None,
        tags: Vec::new(),
    };
    {
        let store = SledStore::open(dir.path()).unwrap();
        store.set_operator_token_sha256("cd").unwrap();
        store.create_tenant(&tenant).unwrap();
        store.put_api_key(&key).unwrap();
        store
            .add_module_version(&tenant.id, "bot", "dd", 5, b"wasm", b"art")
            .unwrap();
        store.put_prompt(&prompt, b"RIFF").unwrap();
        store.put_call(&call, b"null").unwrap();
        store
            .put_recording(&tenant.id, &call.call_id, b"RIFF")
            .unwrap();
        store.set(&tenant.id, "k", b"v").unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.operator_token_sha256().unwrap().as_deref(),
        Some("cd")
    );
    assert_eq!(store.tenant(&tenant.id).unwrap(), Some(tenant.clone()));
    assert_eq!(
        store.api_key_by_secret_sha256(&key.secret_sha256).unwrap(),
        Some(key)
    );
    let module = store.module(&tenant.id, "bot").unwrap().unwrap();
    assert_eq!(module.active().map(|v| v.version), Some(1));
    assert_eq!(
        store
            .module_artifact(&tenant.id, "bot", 1)
            .unwrap()
            .as_deref(),
        Some(&b"art"[..])
    );
    assert_eq!(
        store.prompt(&tenant.id, "hello").unwrap(),
        Some((prompt, b"RIFF".to_vec()))
    );
    assert_eq!(
        store.recording(&tenant.id, &call.call_id).unwrap(),
        Some(b"RIFF".to_vec())
    );
    assert_eq!(store.live_calls().unwrap(), vec![call]);
    assert_eq!(store.get(&tenant.id, "k").unwrap(), Some(b"v".to_vec()));
}

/// Set in a child process of the abort tests: the directory to write into before the
/// child aborts.
const CHILD_DIR_VAR: &str = "HUASHU_SLED_ABORT_CHILD_DIR";

/// In the child process of an abort test: the directory to write into.
fn child_dir() -> Option<std::path::PathBuf> {
    std::env::var_os(CHILD_DIR_VAR).map(Into::into)
}

/// Runs the test `name` (in this module) again as a child process that writes into a fresh
/// directory and aborts (no drop, no exit handlers: like `kill -9` right after the 2xx);
/// returns the directory it left.
fn run_aborting_child(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &format!("durability_tests::{name}")])
        .env(CHILD_DIR_VAR, dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child should have aborted");
    dir
}

#[test]
fn acknowledged_writes_survive_a_process_abort() {
    if let Some(dir) = child_dir() {
        let store = SledStore::open(&dir).unwrap();
        store
            .add_module_version("t_01", "bot", "d", 1, b"wasm", b"art")
            .unwrap();
        store.set("t_01", "k", b"v").unwrap();
        std::process::abort();
    }
    let dir = run_aborting_child("acknowledged_writes_survive_a_process_abort");
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.module_wasm("t_01", "bot", 1).unwrap(),
        Some(b"wasm".to_vec())
    );
    assert_eq!(store.get("t_01", "k").unwrap(), Some(b"v".to_vec()));
}

/// What a recorded call's end writes: the recording, then the summary that points at it.
fn ended_recorded_call() -> CallSummary {
    CallSummary {
        call_id: "c_02".into(),
        tenant_id: "t_01".into(),
        module: "bot".into(),
        module_version: 1,
        status: CallStatus::Completed,
        created_at_ms: 4,
        ended_at_ms: Some(9),
        intent: None,
        disposition: None,
        has_recording: true,
        progress: None,
        opted_out: false,
        callee: None,
        campaign_id: None,
        tags: Vec::new(),
    }
}

#[test]
fn a_recorded_call_survives_a_process_abort_with_its_recording() {
    // A second of 16 kHz 16-bit audio's worth of bytes: big enough that sled keeps it apart
    // from small values. The store keeps bytes; it does not read WAV.
    let wav = vec![7u8; 32_044];
    if let Some(dir) = child_dir() {
        let store = SledStore::open(&dir).unwrap();
        store.put_recording("t_01", "c_02", &wav).unwrap();
        store.put_call(&ended_recorded_call(), b"{}").unwrap();
        std::process::abort();
    }
    let dir = run_aborting_child("a_recorded_call_survives_a_process_abort_with_its_recording");
    let store = SledStore::open(dir.path()).unwrap();
    let (summary, _) = store.call("t_01", "c_02").unwrap().unwrap();
    assert!(summary.has_recording);
    assert_eq!(store.recording("t_01", "c_02").unwrap(), Some(wav));
}

#[test]
fn a_deletion_and_its_audit_entry_survive_a_process_abort() {
    let wav = vec![7u8; 32_044];
    if let Some(dir) = child_dir() {
        let store = SledStore::open(&dir).unwrap();
        store.put_recording("t_01", "c_02", &wav).unwrap();
        store.put_call(&ended_recorded_call(), b"{}").unwrap();
        let mut entry = AuditEntry::new(
            "t_01",
            "tenant-key:k_01",
            AuditAction::DeleteCall,
            "c_02".into(),
            10,
        )
        .unwrap();
        store.delete_calls(&mut entry, &["c_02".into()]).unwrap();
        std::process::abort();
    }
    let dir = run_aborting_child("a_deletion_and_its_audit_entry_survive_a_process_abort");
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.call("t_01", "c_02").unwrap(), None);
    assert_eq!(store.recording("t_01", "c_02").unwrap(), None);
    let page = PageRequest {
        after: None,
        limit: 10,
    };
    let audit = store.audit_entries("t_01", &page).unwrap().items;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].calls_deleted, audit[0].recordings_deleted),
        (1, 1)
    );
}

#[test]
fn a_directory_in_use_by_another_handle_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledStore::open(dir.path()).unwrap();
    match SledStore::open(dir.path()) {
        Err(StoreError::Open(message)) => {
            assert!(message.contains(&dir.path().display().to_string()))
        }
        Err(other) => panic!("expected an open error, got {other}"),
        Ok(_) => panic!("a second handle opened a locked directory"),
    }
}
