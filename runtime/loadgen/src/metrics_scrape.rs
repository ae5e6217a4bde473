//! The server's own view of the run: `GET /metrics` (OpenMetrics text, operator token)
//! scraped before and after, reported as the difference. The media and turn metrics are the
//! authoritative count of dropped frames; what is missing from the scrape is reported as
//! not available rather than as zero.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;

/// Counters the report shows, as exposed (OpenMetrics counters end in `_total`).
pub const FRAMES_SENT: &str = "huashu_media_frames_sent_total";
pub const FRAMES_LATE: &str = "huashu_media_frames_late_total";
pub const FRAMES_DROPPED: &str = "huashu_media_frames_dropped_total";
/// Histograms, by their family name (samples are `_bucket`, `_sum`, `_count`).
pub const FRAME_LATENESS: &str = "huashu_media_frame_lateness_seconds";
pub const TURN_LATENCY: &str = "huashu_turn_latency_seconds";
pub const SPEECH_TURN_LATENCY: &str = "huashu_speech_turn_latency_seconds";
/// The server process's own figures (the standard `process_*` metrics).
pub const PROCESS_CPU: &str = "process_cpu_seconds_total";
pub const PROCESS_RESIDENT: &str = "process_resident_memory_bytes";

/// Why the scrape failed; the run goes on without server figures.
#[derive(Debug, Error)]
pub enum ScrapeError {
    #[error("GET {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("GET {url} answered {status} (is the operator token right?)")]
    Status { url: String, status: u16 },
}

/// One scrape: every sample summed over its label sets, except `le`, which histogram
/// buckets keep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    values: BTreeMap<String, f64>,
    /// Family name → upper bound → cumulative count.
    buckets: BTreeMap<String, Vec<(f64, f64)>>,
    /// When the answer arrived (`None` for parsed text), to turn CPU seconds into a share.
    at: Option<Instant>,
}

/// Fetches `/metrics` with the operator token.
pub fn fetch(server: &str, operator_token: &str) -> Result<Scrape, ScrapeError> {
    let url = format!("{}/metrics", server.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(&url)
        .header("Authorization", format!("Bearer {operator_token}"))
        .call()
        .map_err(|e| ScrapeError::Request {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(ScrapeError::Status { url, status });
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_string()
        .map_err(|e| ScrapeError::Request {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    Ok(Scrape {
        at: Some(Instant::now()),
        ..parse(&text)
    })
}

/// Parses the text exposition. Lines it does not understand are skipped: a scrape is a
/// measurement aid, not a validator.
pub fn parse(text: &str) -> Scrape {
    let mut scrape = Scrape::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, labels, rest) = match line.find('{') {
            Some(open) => {
                let Some(close) = line[open..].find('}').map(|c| open + c) else {
                    continue;
                };
                (&line[..open], &line[open + 1..close], &line[close + 1..])
            }
            None => match line.split_once(' ') {
                Some((name, rest)) => (name, "", rest),
                None => continue,
            },
        };
        let Some(value) = rest.split_whitespace().next().and_then(parse_number) else {
            continue;
        };
        match (name.strip_suffix("_bucket"), label(labels, "le")) {
            (Some(family), Some(le)) => {
                let Some(le) = parse_number(le) else { continue };
                let buckets = scrape.buckets.entry(family.to_owned()).or_default();
                match buckets.iter_mut().find(|(bound, _)| *bound == le) {
                    Some((_, count)) => *count += value,
                    None => buckets.push((le, value)),
                }
            }
            _ => *scrape.values.entry(name.to_owned()).or_default() += value,
        }
    }
    for buckets in scrape.buckets.values_mut() {
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    scrape
}

fn parse_number(text: &str) -> Option<f64> {
    match text {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// The value of label `key` in `a="1",le="0.005"` (values without escapes, as bucket
/// bounds are).
fn label<'a>(labels: &'a str, key: &str) -> Option<&'a str> {
    labels.split(',').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"'))
    })
}

impl Scrape {
    pub fn value(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    fn buckets(&self, family: &str) -> Option<&[(f64, f64)]> {
        self.buckets.get(family).map(Vec::as_slice)
    }
}

/// A histogram's observations between two scrapes, summarised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HistogramDelta {
    pub count: u64,
    /// Upper bound of the bucket holding the median, in ms (`None`: the +Inf bucket).
    pub p50_at_most_ms: Option<f64>,
    pub p99_at_most_ms: Option<f64>,
    /// The largest finite bucket bound, for reading a `None` above ("more than this").
    pub largest_bound_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// What the server says happened between `before` and `after`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerFigures {
    /// Every field below is `None` when its metric was not in the scrape (an older server).
    pub frames_sent: Option<u64>,
    pub frames_late: Option<u64>,
    pub frames_dropped: Option<u64>,
    pub frame_lateness: Option<HistogramDelta>,
    pub turn_latency: Option<HistogramDelta>,
    /// The end of the customer's speech → the reply's first frame, as the server saw it.
    pub speech_turn_latency: Option<HistogramDelta>,
    /// The server process's CPU between the scrapes, in % of one core, and its resident
    /// memory at the second: what `--server-pid` reads from `/proc`, for a server on
    /// another machine.
    pub cpu_percent: Option<f64>,
    pub resident_mib: Option<f64>,
}

impl ServerFigures {
    pub fn between(before: &Scrape, after: &Scrape) -> ServerFigures {
        let counter = |name: &str| {
            let after = after.value(name)?;
            let before = before.value(name).unwrap_or(0.0);
            Some((after - before).max(0.0).round() as u64)
        };
        ServerFigures {
            frames_sent: counter(FRAMES_SENT),
            frames_late: counter(FRAMES_LATE),
            frames_dropped: counter(FRAMES_DROPPED),
            frame_lateness: histogram_delta(before, after, FRAME_LATENESS),
            turn_latency: histogram_delta(before, after, TURN_LATENCY),
            speech_turn_latency: histogram_delta(before, after, SPEECH_TURN_LATENCY),
            cpu_percent: cpu_percent(before, after),
            resident_mib: after
                .value(PROCESS_RESIDENT)
                .map(|bytes| bytes / (1 << 20) as f64),
        }
    }
}

fn cpu_percent(before: &Scrape, after: &Scrape) -> Option<f64> {
    let cpu = after.value(PROCESS_CPU)? - before.value(PROCESS_CPU)?;
    let wall = after.at?.checked_duration_since(before.at?)?.as_secs_f64();
    (wall > 0.0).then(|| cpu.max(0.0) / wall * 100.0)
}

fn histogram_delta(before: &Scrape, after: &Scrape, family: &str) -> Option<HistogramDelta> {
    let after_buckets = after.buckets(family)?;
    let before_buckets = before.buckets(family).unwrap_or_default();
    let cumulative: Vec<(f64, f64)> = after_buckets
        .iter()
        .map(|&(le, count)| {
            let earlier = before_buckets
                .iter()
                .find(|(b, _)| *b == le)
                .map_or(0.0, |(_, c)| *c);
            (le, (count - earlier).max(0.0))
        })
        .collect();
    let count = cumulative.last().map_or(0.0, |(_, c)| *c);
    let at_most = |q: f64| -> Option<f64> {
        if count <= 0.0 {
            return None;
        }
        let rank = (q * count).ceil().max(1.0);
        cumulative
            .iter()
            .find(|(_, c)| *c >= rank)
            .map(|(le, _)| *le)
            .filter(|le| le.is_finite())
            .map(|le| le * 1000.0)
    };
    let sum = after.value(&format!("{family}_sum")).unwrap_or(0.0)
        - before.value(&format!("{family}_sum")).unwrap_or(0.0);
    Some(HistogramDelta {
        count: count.round() as u64,
        p50_at_most_ms: at_most(0.50),
        p99_at_most_ms: at_most(0.99),
        largest_bound_ms: cumulative
            .iter()
            .rev()
            .map(|(le, _)| *le)
            .find(|le| le.is_finite())
            .map(|le| le * 1000.0),
        mean_ms: (count > 0.0).then(|| sum / count * 1000.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"# HELP huashu_media_frames_sent Frames sent.
# TYPE huashu_media_frames_sent counter
huashu_media_frames_sent_total{tenant="t_1"} 100
huashu_media_frames_sent_total{tenant="t_2"} 50
huashu_media_frames_dropped_total 0
# TYPE huashu_media_frame_lateness_seconds histogram
huashu_media_frame_lateness_seconds_sum 0.01
huashu_media_frame_lateness_seconds_count 150
huashu_media_frame_lateness_seconds_bucket{le="0.001"} 140
huashu_media_frame_lateness_seconds_bucket{le="0.005"} 150
huashu_media_frame_lateness_seconds_bucket{le="0.02"} 150
huashu_media_frame_lateness_seconds_bucket{le="+Inf"} 150
# EOF
"#;

    const AFTER: &str = r#"huashu_media_frames_sent_total{tenant="t_1"} 1100
huashu_media_frames_sent_total{tenant="t_2"} 50
huashu_media_frames_dropped_total 3
huashu_media_frame_lateness_seconds_sum 1.01
huashu_media_frame_lateness_seconds_count 1150
huashu_media_frame_lateness_seconds_bucket{le="0.001"} 640
huashu_media_frame_lateness_seconds_bucket{le="0.005"} 1140
huashu_media_frame_lateness_seconds_bucket{le="0.02"} 1148
huashu_media_frame_lateness_seconds_bucket{le="+Inf"} 1150
# EOF
"#;

    #[test]
    fn counters_are_summed_over_labels_and_reported_as_deltas() {
        let figures = ServerFigures::between(&parse(BEFORE), &parse(AFTER));
        assert_eq!(figures.frames_sent, Some(1000));
        assert_eq!(figures.frames_dropped, Some(3));
        assert_eq!(figures.frames_late, None, "absent, not zero");
        assert_eq!(figures.turn_latency, None);
    }

    #[test]
    fn histogram_quantiles_come_from_bucket_deltas() {
        let figures = ServerFigures::between(&parse(BEFORE), &parse(AFTER));
        let lateness = figures.frame_lateness.expect("lateness histogram");
        assert_eq!(lateness.count, 1000);
        // 500 of the 1000 new frames are within 1 ms, 990 within 5 ms.
        assert_eq!(lateness.p50_at_most_ms, Some(1.0));
        assert_eq!(lateness.p99_at_most_ms, Some(5.0));
        assert_eq!(lateness.largest_bound_ms, Some(20.0));
        assert!((lateness.mean_ms.unwrap_or_default() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_quantile_in_the_overflow_bucket_has_no_bound() {
        let after = "x_bucket{le=\"0.01\"} 1\nx_bucket{le=\"+Inf\"} 10\nx_sum 5\n";
        let delta = histogram_delta(&Scrape::default(), &parse(after), "x").expect("x");
        assert_eq!(delta.p50_at_most_ms, None);
        assert_eq!(delta.largest_bound_ms, Some(10.0));
    }

    #[test]
    fn a_server_without_the_metrics_reports_nothing() {
        let text = "# TYPE huashu_calls_active gauge\nhuashu_calls_active{tenant=\"t\"} 3\n# EOF\n";
        let figures = ServerFigures::between(&parse(text), &parse(text));
        assert_eq!(figures, ServerFigures::default());
        assert_eq!(parse(text).value("huashu_calls_active"), Some(3.0));
    }

    #[test]
    fn the_server_process_cpu_is_a_share_of_the_time_between_the_scrapes() {
        let start = Instant::now();
        let at = |text: &str, seconds: u64| Scrape {
            at: Some(start + std::time::Duration::from_secs(seconds)),
            ..parse(text)
        };
        let before = at("process_cpu_seconds_total 10.5\n", 0);
        let after = at(
            "process_cpu_seconds_total 25.5\nprocess_resident_memory_bytes 209715200\n",
            20,
        );
        let figures = ServerFigures::between(&before, &after);
        assert!((figures.cpu_percent.expect("cpu") - 75.0).abs() < 1e-9);
        assert_eq!(figures.resident_mib, Some(200.0));
        // Parsed text has no time of its own: no share can be worked out.
        let untimed = ServerFigures::between(&parse("process_cpu_seconds_total 1\n"), &after);
        assert_eq!(untimed.cpu_percent, None);
    }

    #[test]
    fn garbage_lines_are_skipped() {
        let scrape = parse("no_value\nbroken{le=\"1\" 3\nok 2 1700000000\n");
        assert_eq!(scrape.value("ok"), Some(2.0));
        assert_eq!(scrape.value("no_value"), None);
    }
}
