//! Module versions: metadata, component bytes and precompiled artifacts.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `module_heads` | tenant `\0` name | JSON `Head`: latest version number, pin, language |
//! | `module_versions` | tenant `\0` name `\0` version (u32 big-endian) | JSON [`ModuleVersion`] |
//! | `module_wasm` | same | component bytes |
//! | `module_artifacts` | same | precompiled artifact bytes |
//!
//! The head is the version counter: an upload reads it, writes `latest + 1` and the three
//! version entries in one transaction, so two concurrent uploads get distinct numbers and
//! a crash never leaves a version without its bytes. Big-endian version numbers make a
//! prefix scan list versions in order. Versions are never deleted, so a version exists
//! exactly when it is between 1 and the head's `latest`.

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::keys::{
    abort, backend, from_json, refuse, tenant_name_key, tenant_prefix, to_json, transaction_error,
    with_sep,
};
use huashu_store::{ModuleSummary, ModuleVersion, StoreError};

pub struct ModuleTrees {
    pub heads: sled::Tree,
    pub versions: sled::Tree,
    pub wasm: sled::Tree,
    pub artifacts: sled::Tree,
}

/// Per module: the highest version number given out, the pinned version, and the
/// language its listens expect.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Head {
    latest: u32,
    pinned: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    language: Option<String>,
}

fn version_key(module_key: &[u8], version: u32) -> Vec<u8> {
    [&with_sep(module_key.to_vec()), &version.to_be_bytes()[..]].concat()
}

fn decode_head(bytes: &[u8], tenant_id: &str, name: &str) -> Result<Head, StoreError> {
    from_json(bytes, || format!("module head {tenant_id}/{name}"))
}

impl ModuleTrees {
    pub fn add_version(
        &self,
        tenant_id: &str,
        name: &str,
        digest: &str,
        created_at_ms: u64,
        wasm: &[u8],
        artifact: &[u8],
    ) -> Result<ModuleVersion, StoreError> {
        let Some(module_key) = tenant_name_key(tenant_id, name) else {
            return Err(refuse("module", &format!("{tenant_id}/{name}")));
        };
        (&self.heads, &self.versions, &self.wasm, &self.artifacts)
            .transaction(|(heads, versions, wasms, artifacts)| {
                let mut head = match heads.get(&module_key)? {
                    Some(bytes) => decode_head(&bytes, tenant_id, name).map_err(abort)?,
                    None => Head::default(),
                };
                head.latest = head.latest.checked_add(1).ok_or_else(|| {
                    abort(StoreError::Backend(format!(
                        "module {name} has run out of version numbers"
                    )))
                })?;
                let version = ModuleVersion {
                    tenant_id: tenant_id.to_owned(),
                    name: name.to_owned(),
                    version: head.latest,
                    digest: digest.to_owned(),
                    size_bytes: wasm.len() as u64,
                    created_at_ms,
                };
                let key = version_key(&module_key, head.latest);
                heads.insert(module_key.as_slice(), to_json(&head).map_err(abort)?)?;
                versions.insert(key.as_slice(), to_json(&version).map_err(abort)?)?;
                wasms.insert(key.as_slice(), wasm)?;
                artifacts.insert(key, artifact)?;
                Ok(version)
            })
            .map_err(transaction_error)
    }

    pub fn summary(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<ModuleSummary>, StoreError> {
        let Some(module_key) = tenant_name_key(tenant_id, name) else {
            return Ok(None);
        };
        let Some(head) = self.heads.get(&module_key).map_err(backend)? else {
            return Ok(None);
        };
        let head = decode_head(&head, tenant_id, name)?;
        self.summary_from_head(module_key, name, head).map(Some)
    }

    fn summary_from_head(
        &self,
        module_key: Vec<u8>,
        name: &str,
        head: Head,
    ) -> Result<ModuleSummary, StoreError> {
        let mut versions = Vec::with_capacity(head.latest as usize);
        for entry in self.versions.scan_prefix(with_sep(module_key)) {
            let (_, value) = entry.map_err(backend)?;
            versions.push(from_json(&value, || format!("module version of {name}"))?);
        }
        Ok(ModuleSummary {
            name: name.to_owned(),
            versions,
            pinned: head.pinned,
            language: head.language,
        })
    }

    /// The tenant's modules, ordered by name.
    pub fn list(&self, tenant_id: &str) -> Result<Vec<ModuleSummary>, StoreError> {
        let Some(prefix) = tenant_prefix(tenant_id) else {
            return Ok(Vec::new());
        };
        let mut modules = Vec::new();
        for entry in self.heads.scan_prefix(&prefix) {
            let (module_key, head) = entry.map_err(backend)?;
            let name = String::from_utf8_lossy(&module_key[prefix.len()..]).into_owned();
            let head = decode_head(&head, tenant_id, &name)?;
            modules.push(self.summary_from_head(module_key.to_vec(), &name, head)?);
        }
        Ok(modules)
    }

    /// Pins `version` (which must exist), or unpins with `None`. The API checks both
    /// first and answers 404; an error here means the check was skipped.
    pub fn pin(&self, tenant_id: &str, name: &str, version: Option<u32>) -> Result<(), StoreError> {
        self.update_head(tenant_id, name, "pin", |head| {
            if let Some(v) = version
                && !(1..=head.latest).contains(&v)
            {
                return Err(StoreError::Backend(format!(
                    "cannot pin: module {name} has no version {v}"
                )));
            }
            head.pinned = version;
            Ok(())
        })
    }

    /// Sets the language the module's listens expect (`None`: the tenant's). The API
    /// checks that the module exists and the tag is valid first.
    pub fn set_language(
        &self,
        tenant_id: &str,
        name: &str,
        language: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_head(tenant_id, name, "set the language of", |head| {
            head.language = language.map(str::to_owned);
            Ok(())
        })
    }

    /// Changes an existing module's head in one transaction; `what` names the change for
    /// the error when there is no such module.
    fn update_head(
        &self,
        tenant_id: &str,
        name: &str,
        what: &str,
        change: impl Fn(&mut Head) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let Some(module_key) = tenant_name_key(tenant_id, name) else {
            return Err(refuse("module", &format!("{tenant_id}/{name}")));
        };
        self.heads
            .transaction(|heads| {
                let Some(bytes) = heads.get(&module_key)? else {
                    return Err(abort(StoreError::Backend(format!(
                        "cannot {what}: no module {name}"
                    ))));
                };
                let mut head = decode_head(&bytes, tenant_id, name).map_err(abort)?;
                change(&mut head).map_err(abort)?;
                heads.insert(module_key.as_slice(), to_json(&head).map_err(abort)?)?;
                Ok(())
            })
            .map_err(transaction_error)
    }

    pub fn wasm(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Self::blob(&self.wasm, tenant_id, name, version)
    }

    pub fn artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Self::blob(&self.artifacts, tenant_id, name, version)
    }

    fn blob(
        tree: &sled::Tree,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(module_key) = tenant_name_key(tenant_id, name) else {
            return Ok(None);
        };
        Ok(tree
            .get(version_key(&module_key, version))
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    /// Replaces an existing version's artifact; a version that does not exist is an error
    /// (the artifact would be orphaned).
    pub fn replace_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
        artifact: &[u8],
    ) -> Result<(), StoreError> {
        let Some(module_key) = tenant_name_key(tenant_id, name) else {
            return Err(refuse("module", &format!("{tenant_id}/{name}")));
        };
        let key = version_key(&module_key, version);
        (&self.versions, &self.artifacts)
            .transaction(|(versions, artifacts)| {
                if versions.get(&key)?.is_none() {
                    return Err(abort(StoreError::Backend(format!(
                        "cannot replace the artifact: module {name} has no version {version}"
                    ))));
                }
                artifacts.insert(key.as_slice(), artifact)?;
                Ok(())
            })
            .map_err(transaction_error)
    }
}

#[cfg(test)]
mod tests {

    use crate::SledStore;
    use huashu_store::{Store, StoreError};

    #[test]
    fn a_corrupt_module_head_is_reported() {
        let store = SledStore::temporary().unwrap();
        store
            .modules
            .heads
            .insert(&b"t_01\0bot"[..], &b"[1,"[..])
            .unwrap();
        assert!(matches!(
            store.module("t_01", "bot"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            store.list_modules("t_01"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            store.add_module_version("t_01", "bot", "d", 1, b"w", b"a"),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
