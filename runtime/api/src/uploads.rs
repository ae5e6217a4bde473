//! Module uploads that outlive their request. Compiling a Python or JavaScript component
//! takes seconds (15–18 s for a large one on a small machine); an upload request answers
//! 202 with an upload id at once (or, with `?wait=`, once that many seconds have passed
//! without the compile ending), and the compile goes on in the background. This table
//! remembers each such upload until it is done and for a while after, so the tenant can ask
//! how it went (`GET /v1/modules/{name}/uploads/{id}`), and so a call asked of a module
//! whose first version is still compiling is told so (409 `module_compiling`) rather than
//! that the module does not exist.
//!
//! The table is in memory: an upload still compiling when the server stops is lost (its
//! id then answers 404, and nothing was stored), which is what a client that polls must
//! be ready for anyway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use huashu_store::ModuleVersion;

/// How long a finished upload's outcome stays readable: long enough for a CI pipeline
/// that polls once a minute.
const KEEP_FINISHED: Duration = Duration::from_secs(3600);

/// Uploads remembered at most per tenant: bounds what one tenant's upload loop can make
/// the server hold. The oldest finished ones go first.
pub const MAX_UPLOADS_PER_TENANT: usize = 64;

/// Uploads one tenant may have compiling at once. Each holds its bytes (up to the tenant's
/// module size, 32 MiB by default) and waits its turn at the compiler; a CI pipeline uploads
/// a few modules together, a loop uploading hundreds is refused rather than queued.
pub const MAX_COMPILING_PER_TENANT: usize = 4;

/// Where an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Still compiling (or waiting its turn to).
    Compiling,
    /// Compiled, checked and stored: `version` says which.
    Ready,
    /// Refused: `error` says why, as the upload request would have.
    Failed,
}

/// Why an upload failed, as the synchronous answer would have put it.
#[derive(Debug, Clone, Serialize)]
pub struct UploadError {
    /// The HTTP status the upload would have answered with.
    pub status: u16,
    /// The error code (`invalid_module`, …).
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}

/// One upload, as `GET /v1/modules/{name}/uploads/{id}` answers.
#[derive(Debug, Clone, Serialize)]
pub struct UploadStatus {
    /// The upload's id (`up_…`).
    pub upload_id: String,
    /// The module it is a version of.
    pub module: String,
    /// Compiling, ready or failed.
    pub state: UploadState,
    /// Hex SHA-256 of the uploaded bytes.
    pub digest: String,
    /// Size of the upload in bytes.
    pub size_bytes: u64,
    /// When the upload arrived (ms since the Unix epoch).
    pub started_at_ms: u64,
    /// When it finished, if it has.
    pub finished_at_ms: Option<u64>,
    /// The stored version, once ready.
    pub version: Option<ModuleVersion>,
    /// Why it failed, if it did.
    pub error: Option<UploadError>,
    /// Why the module's voice calls may not work on this server (a language without a
    /// recogniser); empty when nothing is amiss.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

struct Entry {
    tenant: String,
    status: UploadStatus,
    finished: Option<Instant>,
}

/// Uploads that answered 202, by id.
#[derive(Default)]
pub struct Uploads {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Uploads {
    /// Remembers `status` (compiling) for `tenant`, dropping expired and, over the
    /// tenant's cap, its oldest finished uploads. Refused (with the ids still compiling)
    /// while the tenant has [`MAX_COMPILING_PER_TENANT`] uploads compiling.
    pub fn start(&self, tenant: &str, status: UploadStatus) -> Result<(), Vec<String>> {
        let Ok(mut entries) = self.entries.lock() else {
            return Ok(());
        };
        entries.retain(|_, e| e.finished.is_none_or(|at| at.elapsed() < KEEP_FINISHED));
        let compiling: Vec<String> = entries
            .iter()
            .filter(|(_, e)| e.tenant == tenant && e.status.state == UploadState::Compiling)
            .map(|(id, _)| id.clone())
            .collect();
        if compiling.len() >= MAX_COMPILING_PER_TENANT {
            return Err(compiling);
        }
        let mut finished: Vec<(String, Instant)> = entries
            .iter()
            .filter(|(_, e)| e.tenant == tenant)
            .filter_map(|(id, e)| e.finished.map(|at| (id.clone(), at)))
            .collect();
        let held = entries.values().filter(|e| e.tenant == tenant).count();
        if held >= MAX_UPLOADS_PER_TENANT {
            finished.sort_by_key(|(_, at)| *at);
            for (id, _) in finished.iter().take(held + 1 - MAX_UPLOADS_PER_TENANT) {
                entries.remove(id);
            }
        }
        entries.insert(
            status.upload_id.clone(),
            Entry {
                tenant: tenant.to_owned(),
                status,
                finished: None,
            },
        );
        Ok(())
    }

    /// Records how upload `id` ended.
    pub fn finish(&self, id: &str, outcome: Result<ModuleVersion, UploadError>, at_ms: u64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if let Some(entry) = entries.get_mut(id) {
            entry.finished = Some(Instant::now());
            entry.status.finished_at_ms = Some(at_ms);
            match outcome {
                Ok(version) => {
                    entry.status.state = UploadState::Ready;
                    entry.status.version = Some(version);
                }
                Err(error) => {
                    entry.status.state = UploadState::Failed;
                    entry.status.error = Some(error);
                }
            }
        }
    }

    /// Forgets upload `id` (its request answered with the outcome itself).
    pub fn forget(&self, id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(id);
        }
    }

    /// The id of an upload of `tenant`'s module `module` that is still compiling, if any.
    pub fn compiling(&self, tenant: &str, module: &str) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        entries
            .values()
            .find(|e| {
                e.tenant == tenant
                    && e.status.module == module
                    && e.status.state == UploadState::Compiling
            })
            .map(|e| e.status.upload_id.clone())
    }

    /// Upload `id` of `tenant`'s module `module`, if remembered. Another tenant's upload
    /// is not found, like one that never was.
    pub fn get(&self, tenant: &str, module: &str, id: &str) -> Option<UploadStatus> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(id)
            .filter(|e| e.tenant == tenant && e.status.module == module)
            .map(|e| e.status.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(id: &str) -> UploadStatus {
        UploadStatus {
            upload_id: id.into(),
            module: "bot".into(),
            state: UploadState::Compiling,
            digest: "d".into(),
            size_bytes: 1,
            started_at_ms: 0,
            finished_at_ms: None,
            version: None,
            error: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn an_upload_is_seen_by_its_tenant_only_and_reports_how_it_ended() {
        let uploads = Uploads::default();
        uploads.start("t1", status("up_1")).expect("room");
        assert_eq!(
            uploads.get("t1", "bot", "up_1").map(|s| s.state),
            Some(UploadState::Compiling)
        );
        assert!(uploads.get("t2", "bot", "up_1").is_none());
        assert!(uploads.get("t1", "other", "up_1").is_none());
        let error = UploadError {
            status: 422,
            code: "invalid_module",
            message: "no".into(),
        };
        uploads.finish("up_1", Err(error), 5);
        let done = uploads.get("t1", "bot", "up_1").expect("kept");
        assert_eq!(done.state, UploadState::Failed);
        assert_eq!(done.finished_at_ms, Some(5));
    }

    #[test]
    fn a_tenant_over_its_cap_loses_its_oldest_finished_uploads_first() {
        let uploads = Uploads::default();
        for i in 0..MAX_UPLOADS_PER_TENANT {
            let id = format!("up_{i}");
            uploads.start("t", status(&id)).expect("room");
            let error = UploadError {
                status: 422,
                code: "invalid_module",
                message: String::new(),
            };
            uploads.finish(&id, Err(error), 0);
        }
        uploads.start("t", status("up_new")).expect("room");
        assert!(uploads.get("t", "bot", "up_0").is_none());
        assert!(uploads.get("t", "bot", "up_new").is_some());
        assert!(
            uploads
                .get("t", "bot", &format!("up_{}", MAX_UPLOADS_PER_TENANT - 1))
                .is_some()
        );
    }

    #[test]
    fn a_tenant_with_its_cap_of_uploads_compiling_is_refused_until_one_finishes() {
        let uploads = Uploads::default();
        for i in 0..MAX_COMPILING_PER_TENANT {
            uploads
                .start("t", status(&format!("up_{i}")))
                .expect("room");
        }
        let refused = uploads
            .start("t", status("up_more"))
            .expect_err("over the cap");
        assert_eq!(refused.len(), MAX_COMPILING_PER_TENANT);
        uploads
            .start("other", status("up_other"))
            .expect("another tenant has its own cap");
        uploads.forget("up_0");
        uploads.start("t", status("up_more")).expect("room again");
    }
}
