//! `huashu replay`: re-runs a recorded call's customer against another module version and
//! prints where the bot's behaviour diverges. Exit code 0 when it does not, 1 when it does.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;

use huashu_sandbox::{ArtifactCache, CallSetup, Limits, Sandbox, SandboxConfig, TenantKv};
use huashu_scenario::report::clock;
use huashu_scenario::{Divergence, replay};
use huashu_session::CallRecord;
use huashu_store::{MemoryKeyValue, Store};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recorded call's id.
    call_id: String,
    /// The module version to replay against (a component `.wasm`).
    #[arg(long)]
    module: PathBuf,
    /// Read the record from a running server (with `--key`, the tenant's API key).
    #[arg(long, value_name = "URL", conflicts_with_all = ["data", "record"])]
    server: Option<String>,
    /// The tenant's API key for `--server`.
    #[arg(long, requires = "server")]
    key: Option<String>,
    /// Read the record from a server's data directory (the server must be stopped).
    #[arg(
        long,
        value_name = "DIR",
        requires = "tenant",
        conflicts_with = "record"
    )]
    data: Option<PathBuf>,
    /// The tenant that owns the call, with `--data`.
    #[arg(long)]
    tenant: Option<String>,
    /// Read the record from a JSON file (`GET /v1/calls/{id}` output, or `huashu test --record`).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
}

fn load_record(args: &ReplayArgs) -> anyhow::Result<CallRecord> {
    let json: serde_json::Value = if let Some(url) = &args.server {
        let key = args.key.as_deref().context("--server needs --key")?;
        let url = format!("{}/v1/calls/{}", url.trim_end_matches('/'), args.call_id);
        let mut response = ureq::get(&url)
            .header("Authorization", format!("Bearer {key}"))
            .call()
            .with_context(|| format!("cannot fetch {url}"))?;
        response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_json()?
    } else if let Some(dir) = &args.data {
        let tenant = args.tenant.as_deref().context("--data needs --tenant")?;
        let store = super::data_dir::open_store(dir).with_context(|| {
            format!(
                "cannot open {} (is the server still running?)",
                dir.display()
            )
        })?;
        let (_, record) = store
            .call(tenant, &args.call_id)?
            .with_context(|| format!("tenant {tenant} has no call {}", args.call_id))?;
        serde_json::from_slice(&record)?
    } else if let Some(file) = &args.record {
        serde_json::from_slice(
            &std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?,
        )?
    } else {
        bail!(
            "say where the record is: --server URL --key KEY, --data DIR --tenant ID, or --record FILE"
        );
    };
    // `GET /v1/calls/{id}` wraps the record; a record file is the record itself.
    let record = json.get("record").cloned().unwrap_or(json);
    if record.is_null() {
        bail!(
            "call {} has no record yet (still live, or never connected)",
            args.call_id
        );
    }
    serde_json::from_value(record).context("the call record is not in the expected format")
}

pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let original = load_record(&args)?;
    let wasm = std::fs::read(&args.module)
        .with_context(|| format!("cannot read {}", args.module.display()))?;
    let sandbox = Sandbox::new(&SandboxConfig::single_call())?;
    let module = match ArtifactCache::default_dir() {
        Some(dir) => ArtifactCache::new(dir).load(&sandbox, &wasm),
        None => sandbox.compile(&wasm).map(|c| c.module),
    }
    .with_context(|| format!("{} cannot be used as a call script", args.module.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let setup = CallSetup {
            call_id: original.call.call_id.clone(),
            limits: Limits::default(),
            kv: TenantKv {
                tenant: "replay".into(),
                store: Arc::new(MemoryKeyValue::default()),
            },
            started_at_ms: original.call.started_at_ms,
            random_seed: original.call.random_seed,
            turns: None,
        };
        let instance = sandbox.instantiate(&module, setup).await?;
        anyhow::Ok(replay(&original, instance).await)
    })?;
    // Answers to the script's HTTP requests are recorded inputs too, but not the customer's.
    let answers = original
        .inputs()
        .filter(|(_, input)| matches!(input, huashu_session::CallerInput::HttpResponse { .. }))
        .count();
    let inputs = original.inputs().count() - answers;
    let answers = match answers {
        0 => String::new(),
        1 => " and 1 recorded HTTP answer".into(),
        n => format!(" and {n} recorded HTTP answers"),
    };
    match result.divergence {
        None => {
            println!(
                "no divergence: {} actions and the outcome match over {inputs} customer inputs{answers}",
                original.actions().count()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Divergence::Action {
            index,
            at_ms,
            original,
            replayed,
            after_customer,
        }) => {
            println!("diverges at action {} ({}):", index + 1, clock(at_ms));
            if let Some(said) = after_customer {
                println!("  after the customer said: {said}");
            }
            let show = |a: Option<huashu_contract::Action>| {
                a.map_or("(nothing)".into(), |a| {
                    serde_json::to_string(&a).unwrap_or_default()
                })
            };
            println!("  original: {}", show(original));
            println!("  replayed: {}", show(replayed));
            Ok(ExitCode::from(1))
        }
        Some(Divergence::Outcome { original, replayed }) => {
            println!("same actions, different outcome:");
            println!(
                "  original: {}",
                serde_json::to_string(&original).unwrap_or_default()
            );
            println!(
                "  replayed: {}",
                serde_json::to_string(&replayed).unwrap_or_default()
            );
            Ok(ExitCode::from(1))
        }
    }
}
