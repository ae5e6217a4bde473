//! `huashu test`: runs a script against scenario files offline and reports, exiting 1 if any
//! scenario failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;

use super::guest_build::build_guest_dir;
use huashu_sandbox::{ArtifactCache, CallSetup, Limits, Sandbox, SandboxConfig, TenantKv};
use huashu_scenario::{Scenario, report, run_scenario};
use huashu_session::{CallRecord, SessionConfig};
use huashu_store::MemoryKeyValue;

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The script: a component (`.wasm`), or a script's source directory, built first: a
    /// Rust crate for wasm32-wasip2, any other with its `build.sh` (as `huashu new` makes).
    module: PathBuf,
    /// Scenario files, or directories of them (every `*.yaml` inside). Default: the
    /// `scenarios/` directory beside the module (or inside the crate directory).
    scenarios: Vec<PathBuf>,
    /// Write each call record as JSON: to this file for one scenario, or into this
    /// directory (as `<scenario>.json`) for several.
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
    /// Compile the module even if a precompiled copy is cached.
    #[arg(long)]
    no_cache: bool,
}

pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let (wasm_path, home) = resolve_module(&args.module)?;
    let scenario_paths = if args.scenarios.is_empty() {
        yaml_files(&home.join("scenarios"))?
    } else {
        // A directory stands for the scenario files in it.
        let mut paths = Vec::new();
        for path in &args.scenarios {
            if path.is_dir() {
                paths.extend(yaml_files(path)?);
            } else {
                paths.push(path.clone());
            }
        }
        paths
    };
    let scenarios = scenario_paths
        .iter()
        .map(|p| Scenario::load(p))
        .collect::<Result<Vec<_>, _>>()?;

    let wasm = std::fs::read(&wasm_path)
        .with_context(|| format!("cannot read {}", wasm_path.display()))?;
    let sandbox = Sandbox::new(&SandboxConfig::single_call())?;
    let module = match (args.no_cache, ArtifactCache::default_dir()) {
        (false, Some(dir)) => ArtifactCache::new(dir).load(&sandbox, &wasm),
        _ => sandbox.compile(&wasm).map(|c| c.module),
    }
    .with_context(|| format!("{} cannot be used as a call script", wasm_path.display()))?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let kv: Arc<MemoryKeyValue> = Arc::new(MemoryKeyValue::default());
    println!("{} — {} scenario(s)", wasm_path.display(), scenarios.len());
    let (mut passed, mut failed) = (0, 0);
    let mut records: Vec<(String, CallRecord)> = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let call_id = format!("test-{}", i + 1);
        let result = runtime.block_on(async {
            let setup = CallSetup {
                call_id: call_id.clone(),
                limits: Limits::default(),
                kv: TenantKv {
                    tenant: "local".into(),
                    store: kv.clone(),
                },
                started_at_ms: scenario.call_started(call_id.clone()).started_at_ms,
                random_seed: 42,
                turns: None,
            };
            match sandbox.instantiate(&module, setup).await {
                Ok(instance) => Ok(run_scenario(scenario, instance, call_id).await),
                Err(failure) => Err(failure),
            }
        });
        match result {
            Ok(result) => {
                print!("{}", report::render(&result));
                if result.passed() {
                    passed += 1;
                } else {
                    failed += 1;
                }
                records.push((scenario.name.clone(), result.record));
            }
            Err(failure) => {
                println!("  FAIL  {}\n        {failure}", scenario.name);
                failed += 1;
            }
        }
    }
    if let Some(path) = &args.record {
        write_records(path, &records)?;
    }
    println!("{passed} passed, {failed} failed");
    let _ = SessionConfig::default();
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The component to test and the directory its scenarios live in.
fn resolve_module(path: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    if path.is_dir() {
        return Ok((build_guest_dir(path)?, path.to_path_buf()));
    }
    if !path.is_file() {
        bail!("{} does not exist", path.display());
    }
    let home = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((path.to_path_buf(), home))
}

/// The `.yaml` (or `.yml`) scenario files in `dir`, by name.
fn yaml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "no scenarios found in {}: pass scenario files or a directory of them",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("{} has no .yaml scenario files", dir.display());
    }
    Ok(paths)
}

fn write_records(path: &Path, records: &[(String, CallRecord)]) -> anyhow::Result<()> {
    if let [(_, record)] = records
        && !path.is_dir()
    {
        let json = serde_json::to_string_pretty(record)?;
        return std::fs::write(path, json)
            .with_context(|| format!("cannot write {}", path.display()));
    }
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))?;
    for (name, record) in records {
        let file = path.join(format!(
            "{}.json",
            name.trim_end_matches(".yaml").trim_end_matches(".yml")
        ));
        std::fs::write(&file, serde_json::to_string_pretty(record)?)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(())
}
