//! `huashu loadgen`: opens many calls against a running server, on loopback or over the
//! network, as Twilio Media Streams calls or (with `--sip`) as SIP calls with RTP, streams
//! real-time customer audio on each, and reports whether the server kept up: calls held,
//! outbound frames late or dropped, turn latency, and who used the CPU (the server, this
//! generator, the rest of the machine). Both kinds of call report the same figures.
//!
//! A Twilio call plays Twilio exactly ([`twilio_client`]): `connected`, `start` with the
//! tenant's key (or a call token from `POST /v1/calls`) in `customParameters`, a 20 ms
//! mu-law frame on a drift-free schedule for as long as the call is held, a turn every
//! `--turn-every` seconds once the bot is silent (a DTMF digit, or `--speech FILE.wav`),
//! marks echoed once the audio before them has arrived, and `stop` at the end. A SIP call
//! plays a carrier calling a routed number ([`sip_client`]): INVITE, ACK, G.711 RTP on the
//! same schedule, keys as RFC 4733 telephone-events, and BYE at the end. The default turn
//! is a keypad digit: running a speech recogniser for thousands of calls is not what this
//! measures.
//!
//! # Layout
//! - [`call_figures`] — what every call shares and brings back, and the bot's frames
//!   measured in runs.
//! - [`twilio_client`] — one Twilio call.
//! - [`connect`] — getting a Twilio call on the line: key or call token, TCP, WebSocket
//!   handshake.
//! - [`sip_client`] — one SIP call: its sockets, the INVITE transaction, RTP, BYE.
//! - [`sip_signalling`] — the SIP messages and retransmission timers, without sockets.
//! - [`rtp_stream`] — the customer's RTP packets (audio and key presses), and the server's.
//! - [`customer_audio`] — the customer's frames, encoded once for all calls.
//! - [`stats`] — the shared latency histogram and the analysis of one run of bot frames.
//! - [`metrics_scrape`] — the server's own counters from `GET /metrics`, before and after.
//! - [`process_usage`] — CPU and memory of the generator, the server and the machine.
//! - [`report`] — the figures summed up (printed as JSON) and the verdict.
//! - [`table`] — the report as a table.
//!
//! Exit code 0 when every call was held with no frame dropped and p99 lateness under
//! 20 ms, 1 when not (the report says why), 2 when the run could not start.

mod call_figures;
mod connect;
mod customer_audio;
mod metrics_scrape;
mod process_usage;
mod report;
mod rtp_stream;
mod sip_client;
mod sip_signalling;
mod stats;
mod table;
mod twilio_client;

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod sip_client_tests;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Args;
use tokio::time::Instant;

use call_figures::{CallResult, Plan, SharedFigures};
use connect::{Auth, TwilioLine};
use customer_audio::CustomerAudio;
use metrics_scrape::ServerFigures;
use process_usage::{Snapshot, UsageFigures};
use report::{Report, Server, Settings, Usage};
use sip_client::SipLine;

/// The options of `huashu loadgen`: the target server, the calls to open and how the
/// customer behaves on them.
#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// The server's base URL (plain HTTP): Twilio calls connect to ws://HOST/v1/calls/twilio;
    /// with --sip it is only scraped for /metrics.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:7070")]
    server: String,
    /// Place SIP calls (RTP both ways) to the server's SIP address (its --sip-listen)
    /// instead of Twilio calls.
    #[arg(long, value_name = "ADDR:PORT")]
    sip: Option<String>,
    /// With --sip: the number every call dials. The operator routes it to a tenant and
    /// module with `PUT /v1/numbers/{number}`; that route, not --module, picks the script.
    #[arg(long, value_name = "E164", default_value = "+8610000000000")]
    number: String,
    /// Twilio calls: the tenant's API key (default: `$HUASHU_KEY`); its
    /// `max_concurrent_calls` quota must allow `--calls`. Not needed with --sip.
    #[arg(long)]
    key: Option<String>,
    /// Twilio calls: the module every call runs (e.g. the `load-bot` test guest). Not used
    /// with --sip: the number's route names the module.
    #[arg(long)]
    module: Option<String>,
    /// Twilio calls: mint a call token with `POST /v1/calls` (`channel: twilio`) for each
    /// call just before it connects, instead of connecting with the API key and module.
    #[arg(long)]
    create_calls: bool,
    /// How many calls to open.
    #[arg(long, default_value_t = 100)]
    calls: u64,
    /// Calls opened per second (the ramp). Default: 200 for Twilio calls; 40 for SIP
    /// calls, under the 50 new INVITEs a second the server takes from one address.
    #[arg(long, value_name = "R")]
    ramp_per_sec: Option<f64>,
    /// How long each call is held after it connects, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    duration: f64,
    /// The customer takes a turn this often, in seconds, once the bot is silent (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    turn_every: f64,
    /// A WAV file streamed as the customer's turn instead of a DTMF digit (the server must
    /// then recognise speech on every call).
    #[arg(long, value_name = "FILE.wav")]
    speech: Option<PathBuf>,
    /// The operator token (default: `$HUASHU_OPERATOR_TOKEN`), to scrape `GET /metrics`
    /// before and after the run and report the server's own frame and turn figures.
    #[arg(long)]
    operator_token: Option<String>,
    /// The server's process id, to report its CPU and resident memory from /proc.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Worker threads for the calls (1: a single-threaded runtime, the cheapest; the
    /// generator then never takes more than one core from the server).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// Print the report as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// The default ramp of Twilio calls.
const TWILIO_RAMP_PER_SEC: f64 = 200.0;
/// The default ramp of SIP calls: the server answers 503 to a source that sends more than
/// 50 new INVITEs in a second (its flood guard), and every call of this generator comes
/// from one address.
const SIP_RAMP_PER_SEC: f64 = 40.0;
/// The server's flood guard: new INVITEs a second it takes from one source address.
const SIP_INVITES_PER_SOURCE_PER_SEC: f64 = 50.0;

/// What the calls are placed on.
#[derive(Clone)]
enum Line {
    Twilio(Arc<TwilioLine>),
    Sip(Arc<SipLine>),
}

/// Progress goes to stderr this often during a run.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Server counters are updated as calls end; wait this long after the last call before the
/// closing scrape.
const SETTLE: Duration = Duration::from_millis(500);

/// Runs the load test and prints the report (a table, or JSON with `--json`). Exit code 0
/// when the verdict passed and 1 when not; an error when the run could not start (the CLI
/// then exits with 2).
pub fn run(args: LoadgenArgs) -> anyhow::Result<ExitCode> {
    let ramp_per_sec = args.ramp_per_sec.unwrap_or(if args.sip.is_some() {
        SIP_RAMP_PER_SEC
    } else {
        TWILIO_RAMP_PER_SEC
    });
    if args.calls == 0 {
        bail!("--calls must be at least 1");
    }
    if !(ramp_per_sec.is_finite() && ramp_per_sec > 0.0) {
        bail!("--ramp-per-sec must be a positive number");
    }
    if !(args.duration.is_finite() && args.duration > 0.0) {
        bail!("--duration must be a positive number of seconds");
    }
    if !(args.turn_every.is_finite() && args.turn_every >= 0.0) {
        bail!("--turn-every must be 0 (never) or a positive number of seconds");
    }
    if args.threads == 0 {
        bail!("--threads must be at least 1");
    }
    let operator_token = args
        .operator_token
        .clone()
        .or_else(|| std::env::var("HUASHU_OPERATOR_TOKEN").ok());
    let server = args.server.trim_end_matches('/').to_owned();
    let line = match &args.sip {
        Some(sip) => sip_line(&args, sip, ramp_per_sec)?,
        None => twilio_line(&args, &server)?,
    };
    let audio = CustomerAudio::new(args.speech.as_deref())?;
    // A Twilio call holds one socket; a SIP call two (SIP and RTP).
    let sockets_per_call = match line {
        Line::Twilio(_) => 1,
        Line::Sip(_) => 2,
    };
    raise_open_file_limit(args.calls * sockets_per_call);

    let turn = match &args.speech {
        Some(path) => format!(
            "speech ({}, {} ms, speaking for the first {} ms; turn latency from there)",
            path.display(),
            audio.speech_frames() * 20,
            audio.speech_end * 20
        ),
        None => "DTMF".into(),
    };
    let (transport, target) = match &line {
        Line::Twilio(_) => ("twilio", server.clone()),
        Line::Sip(sip) => (
            "sip",
            format!("sip:{}@{} (metrics: {server})", sip.number, sip.server),
        ),
    };
    let settings = Settings {
        transport,
        server: target,
        calls: args.calls,
        ramp_per_sec,
        hold_secs: args.duration,
        turn_every_secs: (args.turn_every > 0.0).then_some(args.turn_every),
        turn,
        threads: args.threads,
    };
    let plan = Arc::new(Plan {
        hold: Duration::from_secs_f64(args.duration),
        turn_every: (args.turn_every > 0.0).then(|| Duration::from_secs_f64(args.turn_every)),
        audio,
        run_id: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
        figures: Arc::new(SharedFigures::default()),
    });

    let scrape = |when: &str| -> Option<Result<metrics_scrape::Scrape, String>> {
        let token = operator_token.as_deref()?;
        Some(metrics_scrape::fetch(&server, token).map_err(|e| format!("{e} ({when} the run)")))
    };
    let before = scrape("before");
    let load_average_before = process_usage::load_average();

    let runtime = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
    };
    let scrape_target = operator_token.clone().map(|token| ScrapeTarget {
        server: server.clone(),
        token,
    });
    let (results, mut usage, steady) = runtime.block_on(drive(
        plan.clone(),
        line,
        args.calls,
        ramp_per_sec,
        args.server_pid,
        scrape_target,
    ));
    drop(runtime);
    usage.load_average_before = load_average_before;

    std::thread::sleep(SETTLE);
    let server_section = match (before, scrape("after")) {
        (None, _) | (_, None) => Server::default(),
        (Some(Err(error)), _) | (_, Some(Err(error))) => Server {
            scraped: true,
            error: Some(error),
            figures: None,
        },
        (Some(Ok(before)), Some(Ok(after))) => Server {
            scraped: true,
            error: None,
            figures: Some(ServerFigures::between(&before, &after)),
        },
    };
    let report = Report::new(
        settings,
        &results,
        &plan.figures,
        usage,
        server_section,
        steady.and_then(|s| s.server),
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table::render(&report));
    }
    Ok(if report.verdict.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Twilio calls: the WebSocket URL, and the key (and module) they connect with.
fn twilio_line(args: &LoadgenArgs, server: &str) -> anyhow::Result<Line> {
    let key = args
        .key
        .clone()
        .or_else(|| std::env::var("HUASHU_KEY").ok())
        .context("give the tenant's API key with --key or HUASHU_KEY")?;
    let module = args.module.clone().context(
        "give the module every Twilio call runs with --module (e.g. --module load-bot), \
         or place SIP calls with --sip ADDR:PORT",
    )?;
    let address = address_of(server)?;
    let auth = if args.create_calls {
        Auth::CallTokens {
            server: server.to_owned(),
            key,
            module,
        }
    } else {
        Auth::Key { key, module }
    };
    Ok(Line::Twilio(Arc::new(TwilioLine {
        ws_url: format!("ws://{address}/v1/calls/twilio"),
        address,
        auth,
    })))
}

/// SIP calls: the server's SIP address, the number, and this machine's address towards it.
fn sip_line(args: &LoadgenArgs, sip: &str, ramp_per_sec: f64) -> anyhow::Result<Line> {
    if args.module.is_some() {
        bail!(
            "--module does not apply to SIP calls: the server runs the module the number is \
             routed to (PUT /v1/numbers/{{number}} with {{\"tenant_id\", \"module\"}}); \
             leave --module out"
        );
    }
    if args.create_calls {
        bail!("--create-calls mints Twilio call tokens; SIP calls dial --number instead");
    }
    let number = args.number.trim();
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--number must be an E.164 number such as +8610000000000, not {number:?}");
    }
    let server = sip
        .to_socket_addrs()
        .with_context(|| format!("--sip {sip}: not an ADDR:PORT"))?
        .next()
        .with_context(|| format!("--sip {sip}: the name has no address"))?;
    if ramp_per_sec > SIP_INVITES_PER_SOURCE_PER_SEC {
        eprintln!(
            "loadgen: warning: --ramp-per-sec {ramp_per_sec} is over the {SIP_INVITES_PER_SOURCE_PER_SEC} \
             new INVITEs a second the server takes from one address; expect 503 answers"
        );
    }
    Ok(Line::Sip(Arc::new(SipLine {
        server,
        number: number.to_owned(),
        local_ip: local_ip_towards(server)
            .with_context(|| format!("no local address reaches {server}"))?,
    })))
}

/// The address this machine sends from to reach `server`: a connected UDP socket sends
/// nothing, it asks the routing table.
fn local_ip_towards(server: SocketAddr) -> std::io::Result<IpAddr> {
    let any: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect(server)?;
    Ok(socket.local_addr()?.ip())
}

/// `HOST:PORT` of an `http://` base URL.
fn address_of(server: &str) -> anyhow::Result<String> {
    let Some(rest) = server.strip_prefix("http://") else {
        bail!(
            "--server must be an http:// URL (the load generator speaks plain ws://), not {server}"
        );
    };
    let host_port = rest.split('/').next().unwrap_or_default();
    if host_port.is_empty() {
        bail!("--server {server} names no host");
    }
    Ok(
        if host_port
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
        {
            host_port.to_owned()
        } else {
            format!("{host_port}:80")
        },
    )
}

/// Each call holds a socket or two; a default soft limit of 1,024 would stop a large run
/// early.
fn raise_open_file_limit(sockets: u64) {
    // SAFETY: getrlimit/setrlimit read and write one `rlimit` we own.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return;
        }
        let wanted = (sockets + 256).min(limit.rlim_max as u64) as libc::rlim_t;
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Where to scrape `/metrics`, if the operator token was given.
#[derive(Clone)]
struct ScrapeTarget {
    server: String,
    token: String,
}

impl ScrapeTarget {
    /// Scrapes without holding up the calls on this runtime.
    async fn scrape(&self) -> Result<metrics_scrape::Scrape, String> {
        let target = self.clone();
        tokio::task::spawn_blocking(move || metrics_scrape::fetch(&target.server, &target.token))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

/// What the monitor task learns while calls run.
#[derive(Default)]
struct Monitor {
    steady: Mutex<Option<SteadyStretch>>,
    rss_peak_kib: AtomicU64,
}

/// The stretch with every call live: its CPU and memory, and the server's counters over it.
#[derive(Debug, Clone)]
struct SteadyStretch {
    usage: UsageFigures,
    server: Option<Result<ServerFigures, String>>,
}

/// Opens the calls on the ramp, waits for all of them, and measures CPU along the way.
async fn drive(
    plan: Arc<Plan>,
    line: Line,
    calls: u64,
    ramp_per_sec: f64,
    server_pid: Option<u32>,
    scrape: Option<ScrapeTarget>,
) -> (Vec<CallResult>, Usage, Option<SteadyStretch>) {
    let first = Snapshot::take(server_pid);
    let started = Instant::now();
    let monitor = Arc::new(Monitor::default());
    let watcher = tokio::spawn(watch(
        plan.clone(),
        monitor.clone(),
        calls,
        started,
        server_pid,
        scrape,
    ));
    let mut handles = Vec::with_capacity(usize::try_from(calls).unwrap_or(0));
    for index in 0..calls {
        let at = started + Duration::from_secs_f64(index as f64 / ramp_per_sec);
        tokio::time::sleep_until(at).await;
        handles.push(match &line {
            Line::Twilio(twilio) => {
                tokio::spawn(twilio_client::run_call(plan.clone(), twilio.clone(), index))
            }
            Line::Sip(sip) => tokio::spawn(sip_client::run_call(plan.clone(), sip.clone(), index)),
        });
    }
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(result) = handle.await {
            results.push(result);
        }
    }
    watcher.abort();
    plan.figures
        .in_steady_stretch
        .store(false, Ordering::Relaxed);
    let last = Snapshot::take(server_pid);
    let steady = monitor.steady.lock().ok().and_then(|s| s.clone());
    let peak = monitor.rss_peak_kib.load(Ordering::Relaxed);
    let usage = Usage {
        steady: steady.as_ref().map(|s| s.usage),
        whole_run: first.until(&last),
        server_rss_peak_mib: (peak > 0).then(|| peak as f64 / 1024.0),
        load_average_before: None,
    };
    (results, usage, steady)
}

/// Every second: the server's memory peak; every few seconds, progress on stderr. Once all
/// calls are connected, the steady stretch begins (CPU counters read, `/metrics` scraped,
/// the calls told to record into the steady figures too); it ends a second before the first
/// call is stopped.
async fn watch(
    plan: Arc<Plan>,
    monitor: Arc<Monitor>,
    calls: u64,
    started: Instant,
    server_pid: Option<u32>,
    scrape: Option<ScrapeTarget>,
) {
    let figures = &plan.figures;
    // The first call stops `hold` after it connected, which is just after `started`; leave a
    // second of margin so the stretch never includes a stop.
    let steady_end = started + plan.hold.saturating_sub(Duration::from_secs(1));
    let mut steady_start: Option<(Snapshot, Option<Result<metrics_scrape::Scrape, String>>)> = None;
    let mut last_progress = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = Instant::now();
        let snapshot = Snapshot::take(server_pid);
        if let Some(rss) = snapshot.server_rss_kib() {
            monitor.rss_peak_kib.fetch_max(rss, Ordering::Relaxed);
        }
        let resolved = figures.resolved.load(Ordering::Relaxed);
        if resolved == calls && steady_start.is_none() && now + Duration::from_secs(2) < steady_end
        {
            let before = match &scrape {
                Some(target) => Some(target.scrape().await),
                None => None,
            };
            steady_start = Some((Snapshot::take(server_pid), before));
            figures.in_steady_stretch.store(true, Ordering::Relaxed);
        }
        if now >= steady_end
            && figures.in_steady_stretch.swap(false, Ordering::Relaxed)
            && let Some((start, before)) = steady_start.take()
        {
            let end = Snapshot::take(server_pid);
            let server = match (before, &scrape) {
                (Some(Ok(before)), Some(target)) => Some(
                    target
                        .scrape()
                        .await
                        .map(|after| ServerFigures::between(&before, &after)),
                ),
                (Some(Err(e)), _) => Some(Err(e)),
                _ => None,
            };
            if let Ok(mut steady) = monitor.steady.lock() {
                *steady = Some(SteadyStretch {
                    usage: start.until(&end),
                    server,
                });
            }
        }
        if now.duration_since(last_progress) >= PROGRESS_EVERY {
            last_progress = now;
            let connected = figures.connected.load(Ordering::Relaxed);
            eprintln!(
                "loadgen: {:>4.0} s   {} live   {connected} of {calls} connected   {} did not connect",
                now.duration_since(started).as_secs_f64(),
                figures.live.load(Ordering::Relaxed),
                resolved - connected
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_address_comes_from_the_server_url() {
        assert_eq!(
            address_of("http://127.0.0.1:7070").ok().as_deref(),
            Some("127.0.0.1:7070")
        );
        assert_eq!(
            address_of("http://example.com/base").ok().as_deref(),
            Some("example.com:80")
        );
        assert!(address_of("https://example.com").is_err());
        assert!(address_of("http://").is_err());
    }
}
