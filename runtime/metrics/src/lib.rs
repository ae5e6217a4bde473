//! Prometheus metrics: calls per tenant, campaigns' dials, answers and active calls, instantiate and per-event script latency, voice
//! calls' outbound frame timing, turn latency and end-of-speech → reply latency, and the standard `process_*` figures
//! (CPU, memory, threads, file descriptors). Served as text at `GET /metrics`.
//!
//! - [`Metrics`] — the registry and one method per thing that happened.
//! - [`process_stats`] — what the OS says about a process (CPU time, resident memory,
//!   threads, descriptors), shared with the load generator.

pub mod process_stats;

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpResultLabel {
    tenant: String,
    /// `ok` (any status), `refused`, `limited`, `timeout`, `too_large` or `failed`.
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CampaignLabel {
    tenant: String,
    campaign: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    calls_active: Family<TenantLabel, Gauge>,
    calls_started: Family<TenantLabel, Counter>,
    calls_ended: Family<TenantLabel, Counter>,
    calls_failed: Family<TenantLabel, Counter>,
    instantiate_seconds: Histogram,
    event_cpu_seconds: Histogram,
    frames_sent: Counter,
    frames_late: Counter,
    frames_dropped: Counter,
    frame_lateness_seconds: Histogram,
    turn_latency_seconds: Histogram,
    speech_turn_latency_seconds: Histogram,
    store_writable: Gauge,
    campaign_dials: Family<CampaignLabel, Counter>,
    campaign_attempts_ended: Family<CampaignLabel, Counter>,
    campaign_answered: Family<CampaignLabel, Counter>,
    campaign_calls_active: Family<CampaignLabel, Gauge>,
    http_requests: Family<HttpResultLabel, Counter>,
    http_request_seconds: Histogram,
}

/// Upper bounds of the frame lateness buckets: the pacer's own (1, 5, 10, 20, 50, 100 ms).
const LATENESS_BUCKETS_SECONDS: [f64; 6] = [0.001, 0.005, 0.010, 0.020, 0.050, 0.100];

/// Turn latency buckets from 0.5 ms to ~1 s: the goal is 5 ms at p99 with cached audio; an
/// uncached sentence waits for text-to-speech, tens to hundreds of milliseconds.
fn turn_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(5e-4, 2.0, 12)
}

/// End-of-speech → reply buckets, 50 ms to 5 s: a spoken turn waits for a silence (250 ms
/// after a hinted answer, 800 ms by default) and the recogniser's last pass, so the
/// interesting range is 0.2–1.5 s, with bounds at the 300 ms and 500 ms goals.
const SPEECH_TURN_BUCKETS_SECONDS: [f64; 15] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 5.0,
];

/// Buckets from 5 µs to ~0.3 s: instantiation and event handling are microseconds when
/// healthy, and the interesting tail is up to the CPU budget.
fn latency_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(5e-6, 3.0, 11)
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Self {
            registry: Mutex::new(Registry::default()),
            calls_active: Family::default(),
            calls_started: Family::default(),
            calls_ended: Family::default(),
            calls_failed: Family::default(),
            instantiate_seconds: Histogram::new(latency_buckets()),
            event_cpu_seconds: Histogram::new(latency_buckets()),
            frames_sent: Counter::default(),
            frames_late: Counter::default(),
            frames_dropped: Counter::default(),
            frame_lateness_seconds: Histogram::new(LATENESS_BUCKETS_SECONDS),
            turn_latency_seconds: Histogram::new(turn_buckets()),
            speech_turn_latency_seconds: Histogram::new(SPEECH_TURN_BUCKETS_SECONDS),
            store_writable: Gauge::default(),
            campaign_dials: Family::default(),
            campaign_attempts_ended: Family::default(),
            campaign_answered: Family::default(),
            campaign_calls_active: Family::default(),
            http_requests: Family::default(),
            // 5 ms to ~10 s: a service on the same network answers in milliseconds, the
            // default timeout is 2 s and the operator's cap at most 30 s.
            http_request_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.005, 2.0, 12),
            ),
        };
        if let Ok(mut root) = metrics.registry.lock() {
            root.register_collector(Box::new(ProcessCollector));
            let r = root.sub_registry_with_prefix("huashu");
            r.register(
                "calls_active",
                "Calls connected or waiting to connect",
                metrics.calls_active.clone(),
            );
            r.register(
                "calls_started",
                "Calls whose script was started",
                metrics.calls_started.clone(),
            );
            r.register(
                "calls_ended",
                "Calls that ended, however they ended",
                metrics.calls_ended.clone(),
            );
            r.register(
                "calls_failed",
                "Calls whose script failed (fallback ran)",
                metrics.calls_failed.clone(),
            );
            r.register(
                "instantiate_seconds",
                "Time to create a call's script instance",
                metrics.instantiate_seconds.clone(),
            );
            r.register(
                "event_cpu_seconds",
                "Script CPU time per event",
                metrics.event_cpu_seconds.clone(),
            );
            r.register(
                "media_frames_sent",
                "Outbound audio frames sent by voice calls",
                metrics.frames_sent.clone(),
            );
            r.register(
                "media_frames_late",
                "Outbound frames sent 5 ms or more after their slot",
                metrics.frames_late.clone(),
            );
            r.register(
                "media_frames_dropped",
                "Outbound frames skipped after a stall or lost to an encoder failure",
                metrics.frames_dropped.clone(),
            );
            r.register(
                "media_frame_lateness_seconds",
                "How late outbound frames left after their 20 ms slot",
                metrics.frame_lateness_seconds.clone(),
            );
            r.register(
                "store_writable",
                "1 while the store accepts writes; 0 while it refuses them (data disk full)",
                metrics.store_writable.clone(),
            );
            r.register(
                "campaign_dials",
                "Attempts a campaign dialled (its dial rate is this counter's rate)",
                metrics.campaign_dials.clone(),
            );
            r.register(
                "campaign_attempts_ended",
                "A campaign's attempts that ended, answered or not",
                metrics.campaign_attempts_ended.clone(),
            );
            r.register(
                "campaign_answered",
                "A campaign's attempts that were answered (answer rate: over attempts_ended)",
                metrics.campaign_answered.clone(),
            );
            r.register(
                "campaign_calls_active",
                "A campaign's attempts being dialled or talked on this server",
                metrics.campaign_calls_active.clone(),
            );
            r.register(
                "http_requests",
                "Scripts' requests to their tenant's systems, by how they ended",
                metrics.http_requests.clone(),
            );
            r.register(
                "http_request_seconds",
                "How long scripts' requests took, refusals included",
                metrics.http_request_seconds.clone(),
            );
            r.register(
                "turn_latency_seconds",
                "From the customer's final input to the first frame of the bot's audio reply",
                metrics.turn_latency_seconds.clone(),
            );
            r.register(
                "speech_turn_latency_seconds",
                "From the end of the customer's speech (the last voiced frame) to the first \
                 frame of the bot's audio reply",
                metrics.speech_turn_latency_seconds.clone(),
            );
        }
        metrics
    }
}

/// The `process_*` figures every Prometheus exporter gives, read from the OS at each
/// scrape (those it cannot read are left out).
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let cpu = ConstCounter::new(process_stats::own_cpu().as_secs_f64());
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "User and system CPU time the server has used",
            None,
            cpu.metric_type(),
        )?)?;
        let mut gauge = |name: &str, help: &str, value: Option<u64>| {
            let Some(value) = value else {
                return Ok(());
            };
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
        };
        let status = process_stats::own_status();
        gauge(
            "process_resident_memory_bytes",
            "Resident memory",
            status.map(|s| s.resident_bytes),
        )?;
        gauge("process_threads", "OS threads", status.map(|s| s.threads))?;
        gauge(
            "process_open_fds",
            "Open file descriptors, sockets included",
            process_stats::open_fds(),
        )?;
        gauge(
            "process_max_fds",
            "The most file descriptors the server may open",
            process_stats::max_fds(),
        )
    }
}

fn campaign_label(tenant: &str, campaign: &str) -> CampaignLabel {
    CampaignLabel {
        tenant: tenant.to_owned(),
        campaign: campaign.to_owned(),
    }
}

fn label(tenant: &str) -> TenantLabel {
    TenantLabel {
        tenant: tenant.to_owned(),
    }
}

impl Metrics {
    /// A script of `tenant`'s made an HTTP request that ended with `result` (`ok`,
    /// `refused`, `limited`, `timeout`, `too_large`, `failed`) after `took`.
    pub fn http_request(&self, tenant: &str, result: &str, took: Duration) {
        self.http_requests
            .get_or_create(&HttpResultLabel {
                tenant: tenant.to_owned(),
                result: result.to_owned(),
            })
            .inc();
        self.http_request_seconds.observe(took.as_secs_f64());
    }

    /// A call of `tenant`'s took a concurrent-call slot: one more active call.
    pub fn call_reserved(&self, tenant: &str) {
        self.calls_active.get_or_create(&label(tenant)).inc();
    }

    /// A call of `tenant`'s gave its slot back (ended, or never connected): one fewer
    /// active call.
    pub fn call_released(&self, tenant: &str) {
        self.calls_active.get_or_create(&label(tenant)).dec();
    }

    /// A call of `tenant`'s had its script instantiated, which took `instantiate` (wall
    /// time).
    pub fn call_started(&self, tenant: &str, instantiate: Duration) {
        self.calls_started.get_or_create(&label(tenant)).inc();
        self.instantiate_seconds.observe(instantiate.as_secs_f64());
    }

    /// A call of `tenant`'s ended, however it ended; `failed` if its script failed and the
    /// fallback ran.
    pub fn call_ended(&self, tenant: &str, failed: bool) {
        self.calls_ended.get_or_create(&label(tenant)).inc();
        if failed {
            self.calls_failed.get_or_create(&label(tenant)).inc();
        }
    }

    /// A campaign of `tenant`'s started dialling an attempt.
    pub fn campaign_dialed(&self, tenant: &str, campaign: &str) {
        let label = campaign_label(tenant, campaign);
        self.campaign_dials.get_or_create(&label).inc();
        self.campaign_calls_active.get_or_create(&label).inc();
    }

    /// An attempt a campaign dialled ended; `answered` if the callee picked up.
    pub fn campaign_attempt_ended(&self, tenant: &str, campaign: &str, answered: bool) {
        let label = campaign_label(tenant, campaign);
        self.campaign_attempts_ended.get_or_create(&label).inc();
        self.campaign_calls_active.get_or_create(&label).dec();
        if answered {
            self.campaign_answered.get_or_create(&label).inc();
        }
    }

    /// A script handled one event using `cpu` of CPU time. The tenant is not a label: the
    /// histogram is server-wide.
    pub fn event_handled(&self, _tenant: &str, cpu: Duration) {
        self.event_cpu_seconds.observe(cpu.as_secs_f64());
    }

    /// A voice call sent an outbound frame `lateness` after its slot; `late` is the
    /// pacer's verdict (its own line between on time and late).
    pub fn frame_sent(&self, lateness: Duration, late: bool) {
        self.frames_sent.inc();
        if late {
            self.frames_late.inc();
        }
        self.frame_lateness_seconds.observe(lateness.as_secs_f64());
    }

    /// A voice call skipped `frames` outbound frames (its task was late) or lost them to the
    /// encoder.
    pub fn frames_dropped(&self, frames: u64) {
        self.frames_dropped.inc_by(frames);
    }

    /// One turn of a voice call: the customer's final input to the reply's first frame.
    pub fn turn_answered(&self, latency: Duration) {
        self.turn_latency_seconds.observe(latency.as_secs_f64());
    }

    /// One spoken turn of a voice call: the end of the customer's speech to the reply's
    /// first frame (the silence that ended the turn, recognition and the script included).
    pub fn speech_turn_answered(&self, latency: Duration) {
        self.speech_turn_latency_seconds
            .observe(latency.as_secs_f64());
    }

    /// Whether the store accepts writes now (read at each scrape and each readiness check).
    pub fn store_writable(&self, writable: bool) {
        self.store_writable.set(i64::from(writable));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_the_servers_own_and_the_process_figures() {
        let metrics = Metrics::default();
        metrics.call_started("acme", Duration::from_micros(12));
        let text = metrics.render();
        for name in [
            "huashu_calls_started_total{tenant=\"acme\"} 1",
            "# TYPE process_cpu_seconds counter",
            "process_cpu_seconds_total ",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        if cfg!(target_os = "linux") {
            for name in [
                "process_resident_memory_bytes ",
                "process_threads ",
                "process_open_fds ",
            ] {
                assert!(text.contains(name), "{name} in {text}");
            }
        }
    }
}
