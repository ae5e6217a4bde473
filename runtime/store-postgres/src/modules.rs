//! Module versions: metadata, component bytes and precompiled artifacts.
//!
//! Table `modules` holds each module's head (latest version number, pin, language);
//! `module_versions` one row per version with its bytes. An upload creates the head if
//! needed, locks it (`SELECT … FOR UPDATE`), takes `latest + 1` and inserts the version in
//! one transaction, so uploads through any number of nodes at once get distinct numbers
//! and no version is ever without its bytes. Versions are never deleted.

use deadpool_postgres::Object;
use huashu_store::{ModuleSummary, ModuleVersion, StoreError, valid_name};

use crate::sql::{backend, from_json, int, to_json, unsigned32};
use crate::tenants::refuse;
use crate::worker::Worker;

pub fn add_version(
    worker: &Worker,
    version: ModuleVersion,
    wasm: &[u8],
    artifact: &[u8],
) -> Result<ModuleVersion, StoreError> {
    if !valid_name(&version.tenant_id) || !valid_name(&version.name) {
        return Err(refuse(
            "module",
            &format!("{}/{}", version.tenant_id, version.name),
        ));
    }
    let (wasm, artifact) = (wasm.to_vec(), artifact.to_vec());
    worker.run(move |mut client| async move {
        let (tenant_id, name) = (&version.tenant_id, &version.name);
        let transaction = client.transaction().await.map_err(backend)?;
        transaction
            .execute(
                "INSERT INTO modules (tenant_id, name, latest) VALUES ($1, $2, 0)
                 ON CONFLICT (tenant_id, name) DO NOTHING",
                &[tenant_id, name],
            )
            .await
            .map_err(backend)?;
        let latest: i32 = transaction
            .query_one(
                "SELECT latest FROM modules WHERE tenant_id = $1 AND name = $2 FOR UPDATE",
                &[tenant_id, name],
            )
            .await
            .map_err(backend)?
            .get(0);
        let number = latest.checked_add(1).ok_or_else(|| {
            StoreError::Backend(format!("module {name} has run out of version numbers"))
        })?;
        let stored = ModuleVersion {
            version: unsigned32(number, || format!("module head {tenant_id}/{name}"))?,
            ..version.clone()
        };
        transaction
            .execute(
                "UPDATE modules SET latest = $3 WHERE tenant_id = $1 AND name = $2",
                &[tenant_id, name, &number],
            )
            .await
            .map_err(backend)?;
        transaction
            .execute(
                "INSERT INTO module_versions (tenant_id, name, version, doc, wasm, artifact)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    tenant_id,
                    name,
                    &number,
                    &to_json(&stored)?,
                    &wasm,
                    &artifact,
                ],
            )
            .await
            .map_err(backend)?;
        transaction.commit().await.map_err(backend)?;
        Ok(stored)
    })
}

/// The summaries of the tenant's modules named `only` (all of them when `None`), by name.
async fn summaries(
    client: &Object,
    tenant_id: &str,
    only: Option<&str>,
) -> Result<Vec<ModuleSummary>, StoreError> {
    let heads = client
        .query(
            "SELECT name, pinned, language FROM modules
             WHERE tenant_id = $1 AND ($2::text IS NULL OR name = $2) ORDER BY name",
            &[&tenant_id, &only],
        )
        .await
        .map_err(backend)?;
    let versions = client
        .query(
            "SELECT name, doc FROM module_versions
             WHERE tenant_id = $1 AND ($2::text IS NULL OR name = $2) ORDER BY name, version",
            &[&tenant_id, &only],
        )
        .await
        .map_err(backend)?;
    let mut modules = Vec::with_capacity(heads.len());
    for head in &heads {
        let name: String = head.get(0);
        let pinned = head
            .get::<_, Option<i32>>(1)
            .map(|v| unsigned32(v, || format!("module head {tenant_id}/{name}")))
            .transpose()?;
        let mut listed = Vec::new();
        for row in versions.iter().filter(|row| row.get::<_, &str>(0) == name) {
            listed.push(from_json(row.get(1), || {
                format!("module version of {name}")
            })?);
        }
        modules.push(ModuleSummary {
            versions: listed,
            pinned,
            language: head.get(2),
            name,
        });
    }
    Ok(modules)
}

pub fn summary(
    worker: &Worker,
    tenant_id: &str,
    name: &str,
) -> Result<Option<ModuleSummary>, StoreError> {
    if !valid_name(tenant_id) || !valid_name(name) {
        return Ok(None);
    }
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    worker.run(
        move |client| async move { Ok(summaries(&client, &tenant_id, Some(&name)).await?.pop()) },
    )
}

pub fn list(worker: &Worker, tenant_id: &str) -> Result<Vec<ModuleSummary>, StoreError> {
    if !valid_name(tenant_id) {
        return Ok(Vec::new());
    }
    let tenant_id = tenant_id.to_owned();
    worker.run(move |client| async move { summaries(&client, &tenant_id, None).await })
}

/// Pins `version` (which must exist), or unpins with `None`.
pub fn pin(
    worker: &Worker,
    tenant_id: &str,
    name: &str,
    version: Option<u32>,
) -> Result<(), StoreError> {
    let version = version.map(|v| int(v, "module version")).transpose()?;
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    worker.run(move |client| async move {
        let updated = client
            .execute(
                "UPDATE modules SET pinned = $3 WHERE tenant_id = $1 AND name = $2
                 AND ($3::integer IS NULL OR $3 BETWEEN 1 AND latest)",
                &[&tenant_id, &name, &version],
            )
            .await
            .map_err(backend)?;
        if updated == 1 {
            return Ok(());
        }
        Err(StoreError::Backend(match version {
            Some(v) => format!("cannot pin: module {name} has no version {v}"),
            None => format!("cannot pin: no module {name}"),
        }))
    })
}

/// Sets the language the module's listens expect (`None`: the tenant's).
pub fn set_language(
    worker: &Worker,
    tenant_id: &str,
    name: &str,
    language: Option<&str>,
) -> Result<(), StoreError> {
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    let language = language.map(str::to_owned);
    worker.run(move |client| async move {
        let updated = client
            .execute(
                "UPDATE modules SET language = $3 WHERE tenant_id = $1 AND name = $2",
                &[&tenant_id, &name, &language],
            )
            .await
            .map_err(backend)?;
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "cannot set the language of: no module {name}"
            )))
        }
    })
}

/// One version's `column` (`wasm` or `artifact`).
pub fn bytes(
    worker: &Worker,
    tenant_id: &str,
    name: &str,
    version: u32,
    column: Column,
) -> Result<Option<Vec<u8>>, StoreError> {
    if !valid_name(tenant_id) || !valid_name(name) {
        return Ok(None);
    }
    let Ok(version) = i32::try_from(version) else {
        return Ok(None);
    };
    let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
    let sql = match column {
        Column::Wasm => {
            "SELECT wasm FROM module_versions WHERE tenant_id = $1 AND name = $2 AND version = $3"
        }
        Column::Artifact => {
            "SELECT artifact FROM module_versions
             WHERE tenant_id = $1 AND name = $2 AND version = $3"
        }
    };
    worker.run(move |client| async move {
        let row = client
            .query_opt(sql, &[&tenant_id, &name, &version])
            .await
            .map_err(backend)?;
        Ok(row.map(|row| row.get(0)))
    })
}

/// Which bytes of a version to read.
#[derive(Debug, Clone, Copy)]
pub enum Column {
    /// The component as uploaded.
    Wasm,
    /// The precompiled artifact.
    Artifact,
}

pub fn replace_artifact(
    worker: &Worker,
    tenant_id: &str,
    name: &str,
    version: u32,
    artifact: &[u8],
) -> Result<(), StoreError> {
    let version_number = int(version, "module version")?;
    let (tenant_id, name, artifact) = (tenant_id.to_owned(), name.to_owned(), artifact.to_vec());
    worker.run(move |client| async move {
        let updated = client
            .execute(
                "UPDATE module_versions SET artifact = $4
                 WHERE tenant_id = $1 AND name = $2 AND version = $3",
                &[&tenant_id, &name, &version_number, &artifact],
            )
            .await
            .map_err(backend)?;
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "cannot replace the artifact: module {name} has no version {version}"
            )))
        }
    })
}
