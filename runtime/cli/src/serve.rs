//! `huashu serve`: the multi-tenant server with its embedded store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::data_dir;
use super::descriptors;
use super::speech_engines::SpeechArgs;
use huashu_calls::{CallService, ServiceConfig};
use huashu_campaigns::webhooks::OutboxConfig;
use huashu_campaigns::{CampaignConfig, Campaigns};
use huashu_metrics::Metrics;
use huashu_sandbox::{Sandbox, SandboxConfig};
use huashu_server::ConnectionLimits;
use huashu_store::retention::{DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS};
use huashu_store::secrets::{random_id, sha256_hex};
use huashu_store::{Retention, Store};
use huashu_store_sled::SledStore;
use huashu_transport_sip::{SipConfig, SipTransport};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7070")]
    listen: SocketAddr,
    /// Data directory of the embedded store (created if missing).
    #[arg(long, default_value = "./huashu-data")]
    data: PathBuf,
    /// Calls that may run at once on this server (sizes the instance pool).
    #[arg(long, default_value_t = 2_000)]
    max_calls: u32,
    /// On SIGTERM, how long live calls may go on before they are hung up.
    #[arg(long, default_value_t = 30)]
    shutdown_grace_secs: u64,
    /// Connections open at once, in all (each call's socket is one). Lowered to fit the
    /// open-file limit, with 64 descriptors kept back.
    #[arg(long, default_value_t = 20_000)]
    max_connections: usize,
    /// Connections open at once from one source address. A telephony gateway carries all
    /// of its calls from a few addresses, so this is high.
    #[arg(long, default_value_t = 10_000)]
    max_connections_per_source: usize,
    /// How long a client may take to send a request's headers; also how long an idle
    /// kept-alive connection stays open.
    #[arg(long, default_value_t = 10)]
    header_timeout_secs: u64,
    /// Free space (MiB) always kept on the data disk: below it writes are refused with 503
    /// `storage_full` and `/readyz` says not ready, while reads and live calls go on. At
    /// least 16: the store writes its log in 8 MiB buffers, and a write must never meet a
    /// full disk (see `docs/operator-guide.md`).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(16..))]
    disk_reserve_mib: u64,
    /// Days a call's record and recording are kept after it ended, for tenants with no
    /// `retention_days` of their own; 0 keeps them forever. At most 3650.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_RETENTION_DAYS)))]
    retention_days: u32,
    /// Minutes between retention sweeps (one also runs at start).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    retention_sweep_mins: u64,
    /// For end-to-end tests, which cannot wait days for a call to age: retention sweeps
    /// read a clock this many days ahead.
    #[arg(long, default_value_t = 0, hide = true)]
    retention_test_clock_ahead_days: u32,
    #[command(flatten)]
    speech: SpeechArgs,
    #[command(flatten)]
    sip: SipArgs,
    #[command(flatten)]
    campaigns: CampaignArgs,
}

/// Outbound campaigns: the platform's rails every tenant's campaign keeps, and webhook
/// delivery.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// The callee-local hours, `HH:MM-HH:MM`, outside which no campaign calls, whatever its
    /// own windows say (`00:00-24:00` lifts the ceiling).
    #[arg(long, default_value = "08:00-21:00", value_parser = parse_hours)]
    calling_hours: huashu_store::campaigns::TimeSpan,
    /// Most campaign attempts to one number in 24 hours, across every tenant.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    max_dials_per_number_per_day: u32,
    /// Let webhooks reach loopback and private addresses (a receiver inside the operator's
    /// own network). Off: a tenant's webhook URL cannot probe the platform's network.
    #[arg(long)]
    webhook_allow_private_targets: bool,
    /// The longest wait between two tries of a webhook delivery.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    webhook_max_backoff_secs: u64,
}

fn parse_hours(text: &str) -> Result<huashu_store::campaigns::TimeSpan, String> {
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not HH:MM-HH:MM"))?;
    let span = huashu_store::campaigns::TimeSpan {
        start: start.trim().parse()?,
        end: end.trim().parse()?,
    };
    if span.start >= span.end {
        return Err(format!("`{text}`: the end must be after the start"));
    }
    Ok(span)
}

/// The SIP transport (off unless `--sip-listen` is given).
#[derive(Debug, Args)]
pub struct SipArgs {
    /// Answer and place telephone calls over SIP, listening on this address on UDP and
    /// TCP (e.g. `0.0.0.0:5060`). Needs speech engines (voice calls).
    #[arg(long)]
    sip_listen: Option<SocketAddr>,
    /// The UDP ports RTP audio may use, `LOW-HIGH`; each call takes an even port and the
    /// odd one above it (RTCP).
    #[arg(long, default_value = "20000-29999", value_parser = parse_port_range)]
    rtp_ports: std::ops::RangeInclusive<u16>,
    /// The address carriers reach this server at, for SDP and Contact, when
    /// `--sip-listen` is a wildcard address or behind a 1:1 NAT.
    #[arg(long)]
    sip_advertise: Option<std::net::IpAddr>,
    /// End a SIP call after this many seconds without a single RTP or RTCP packet from
    /// the far end (a phone that vanished without BYE).
    #[arg(long, default_value_t = 30)]
    sip_media_timeout_secs: u64,
}

fn parse_port_range(text: &str) -> Result<std::ops::RangeInclusive<u16>, String> {
    let (low, high) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not LOW-HIGH"))?;
    let low: u16 = low
        .trim()
        .parse()
        .map_err(|_| format!("`{low}` is not a port"))?;
    let high: u16 = high
        .trim()
        .parse()
        .map_err(|_| format!("`{high}` is not a port"))?;
    if low == 0 || high <= low {
        return Err(format!("`{text}`: need 0 < LOW < HIGH"));
    }
    Ok(low..=high)
}

pub fn run(args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    // Before the async runtime exists: see `open_store`.
    let store =
        Arc::new(data_dir::open_store(&args.data)?.with_disk_reserve(args.disk_reserve_mib << 20));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, store))?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// The operator token: from `HUASHU_OPERATOR_TOKEN`, or the stored one, or a new one
/// printed once. Only its hash is stored.
fn operator_token(store: &dyn Store) -> anyhow::Result<String> {
    if let Ok(token) = std::env::var("HUASHU_OPERATOR_TOKEN") {
        anyhow::ensure!(
            token.len() >= 16,
            "HUASHU_OPERATOR_TOKEN must be at least 16 characters"
        );
        let hash = sha256_hex(&token);
        store.set_operator_token_sha256(&hash)?;
        return Ok(hash);
    }
    if let Some(hash) = store.operator_token_sha256()? {
        return Ok(hash);
    }
    let token = random_id("op_", 24)?;
    let hash = sha256_hex(&token);
    store.set_operator_token_sha256(&hash)?;
    println!("operator token (shown once, keep it): {token}");
    Ok(hash)
}

async fn serve(args: ServeArgs, store: Arc<SledStore>) -> anyhow::Result<()> {
    let operator_sha256 = operator_token(store.as_ref())?;
    let sandbox = Arc::new(Sandbox::new(&SandboxConfig {
        max_concurrent_calls: args.max_calls,
        ..SandboxConfig::default()
    })?);
    let metrics = Arc::new(Metrics::default());
    let mut service = CallService::new(
        store.clone(),
        store.clone(),
        sandbox,
        metrics,
        ServiceConfig::default(),
    );
    if let Some(voice) = args.speech.voice_services(store.clone())? {
        service = service.with_voice(voice);
    }
    let calls = Arc::new(service);
    let _sip = match args.sip.sip_listen {
        Some(listen) => {
            anyhow::ensure!(
                calls.voice().is_some(),
                "--sip-listen needs speech engines: SIP calls are voice calls"
            );
            let config = SipConfig {
                listen,
                rtp_ports: args.sip.rtp_ports.clone(),
                advertise: args.sip.sip_advertise,
                media_timeout: Duration::from_secs(args.sip.sip_media_timeout_secs.max(1)),
            };
            let sip = SipTransport::start(config, calls.clone()).await?;
            println!("huashu SIP on udp+tcp {}", sip.local_addr());
            Some(sip)
        }
        None => None,
    };
    let interrupted = calls.mark_interrupted_calls()?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "calls that were live when the server stopped are marked interrupted"
        );
    }
    // After the interrupted calls are marked: the dialler reads them to finish the
    // attempts a crash cut off.
    let campaigns = Campaigns::new(
        store.clone(),
        store.clone(),
        calls.clone(),
        CampaignConfig {
            calling_hours: args.campaigns.calling_hours,
            max_dials_per_number_per_day: args.campaigns.max_dials_per_number_per_day,
            outbox: OutboxConfig {
                allow_private_targets: args.campaigns.webhook_allow_private_targets,
                max_backoff: Duration::from_secs(args.campaigns.webhook_max_backoff_secs),
                ..OutboxConfig::default()
            },
            ..CampaignConfig::default()
        },
    );
    let (stop_campaigns, campaigns_stopped) = tokio::sync::watch::channel(false);
    campaigns.spawn(campaigns_stopped);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let limits = ConnectionLimits {
        max_connections: descriptors::connection_cap(
            descriptors::raise_limit(),
            args.max_connections,
        ),
        max_per_source: args.max_connections_per_source,
        header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
    };
    if limits.max_connections < args.max_connections {
        tracing::warn!(
            cap = limits.max_connections,
            asked = args.max_connections,
            "the open-file limit allows fewer connections than --max-connections"
        );
    }
    println!(
        "huashu listening on http://{address} (data in {})",
        args.data.display()
    );
    tracing::info!(%address, "listening");

    let retention = Retention {
        default_days: args.retention_days,
        clock_ahead_ms: u64::from(args.retention_test_clock_ahead_days) * 86_400_000,
    };
    let sweeper = huashu_server::spawn_retention_sweeper(
        store.clone(),
        retention,
        Duration::from_secs(args.retention_sweep_mins * 60),
    );

    let grace = Duration::from_secs(args.shutdown_grace_secs);
    let draining = calls.clone();
    huashu_server::serve(
        listener,
        huashu_server::router(
            store.clone(),
            calls.clone(),
            campaigns,
            operator_sha256,
            retention,
        ),
        limits,
        async move {
            shutdown_signal().await;
            // No new campaign attempts; those in flight end with their calls.
            let _ = stop_campaigns.send(true);
            tracing::info!("shutting down: no new calls; waiting for live calls");
            draining.drain(grace).await;
        },
    )
    .await;
    // A batch already on the blocking pool finishes (and is durable) on its own.
    sweeper.abort();
    store.flush()?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
