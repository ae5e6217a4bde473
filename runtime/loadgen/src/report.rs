//! The load generator's report: every call's result summed up, the shared distributions,
//! CPU and memory, the server's own figures, and the verdict against the design's bar (every
//! call held, no frame dropped, p99 outbound lateness under 20 ms). Printed as a table
//! ([`super::table`]), or as one JSON object with `--json`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::call_figures::{CallResult, SharedFigures};
use super::metrics_scrape::ServerFigures;
use super::process_usage::UsageFigures;
use super::stats::LatencySummary;

/// The design's bar for outbound frame lateness at the 99th percentile.
pub const P99_LATENESS_GOAL_MS: f64 = 20.0;

/// The generator's own timer p99 from which the report warns that the generator, not only
/// the server, was short of CPU: half the lateness goal.
pub const GENERATOR_LATE_MS: f64 = P99_LATENESS_GOAL_MS / 2.0;

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// `twilio` or `sip`.
    pub transport: &'static str,
    /// Twilio: the server's URL. SIP: the number called and the SIP address, and the URL
    /// scraped for `/metrics`.
    pub server: String,
    pub calls: u64,
    pub ramp_per_sec: f64,
    pub hold_secs: f64,
    pub turn_every_secs: Option<f64>,
    /// `dtmf`, or the speech file's path and length.
    pub turn: String,
    pub threads: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Calls {
    pub attempted: u64,
    /// Twilio: the WebSocket is open. SIP: the INVITE was answered 200.
    pub connected: u64,
    pub held: u64,
    pub failed: u64,
    /// Held calls the server did not close within 5 s of `stop` (Twilio), or whose BYE it
    /// did not answer within 5 s (SIP).
    pub not_closed_after_stop: u64,
    /// Failures by kind, most frequent first.
    pub failures: Vec<Count>,
    /// How the server closed calls after `stop` (Twilio: the close's `code reason`) or
    /// answered their BYE (SIP: `200 OK`) → calls.
    pub closes: Vec<Count>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub what: String,
    pub calls: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Frames {
    /// Customer frames this generator sent (SIP: RTP packets, key presses included).
    pub sent: u64,
    /// Bot frames received from the server.
    pub received: u64,
    /// Received frames whose payload was not 160 bytes of audio.
    pub bad: u64,
    /// Utterances (runs of frames ended by a mark, a clear, or half a second of quiet).
    pub runs: u64,
    /// Client-side estimate of frames missing inside utterances.
    pub dropped: u64,
    pub marks_received: u64,
    pub marks_echoed: u64,
    pub clears: u64,
    /// Twilio: messages that were not JSON or not a known event. SIP: RTP of a payload
    /// type that was not negotiated, and requests other than BYE, OPTIONS, INFO, NOTIFY.
    pub unknown_messages: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Turns {
    pub taken: u64,
    /// Turns the bot had not started answering by the next turn (or the end of the call).
    pub unanswered: u64,
    /// Turn sent (DTMF, or the end of speech: the speech file's last loud frame) → first
    /// frame of the reply.
    pub latency: LatencySummary,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Usage {
    /// While every call was live (from the last connect to the first `stop`); `None` when
    /// the ramp took longer than a call is held.
    pub steady: Option<UsageFigures>,
    pub whole_run: UsageFigures,
    pub server_rss_peak_mib: Option<f64>,
    pub load_average_before: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Server {
    /// Whether `/metrics` was scraped at all (needs `--operator-token`).
    pub scraped: bool,
    pub error: Option<String>,
    pub figures: Option<ServerFigures>,
}

/// The stretch with every call live (after the ramp, before the first `stop`): the cost of
/// holding the calls, without the cost of setting them up or tearing them down.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Steady {
    pub seconds: f64,
    /// Bot frames in utterances that ended in the stretch.
    pub frames: u64,
    /// Client-side estimate, as for the whole run.
    pub frames_dropped: u64,
    pub frame_lateness: LatencySummary,
    pub loadgen_timer_lateness: LatencySummary,
    /// The server's counters over the stretch (scraped at its start and end).
    pub server: Option<ServerFigures>,
    pub server_error: Option<String>,
    /// No drops (by the server's counter, or the client's estimate without one) and p99
    /// lateness under the goal, in the stretch.
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub all_held: bool,
    /// No drops by the server's counter, which is authoritative; by the client's estimate
    /// when the server has no counter (or was not scraped). The estimate can see gaps the
    /// server did not make: both ends share the machine, and a late read looks like a gap.
    pub zero_drops: bool,
    pub p99_lateness_under_goal: bool,
    pub passed: bool,
    /// The generator's own frame timer was [`GENERATOR_LATE_MS`] or more late at p99: the
    /// lateness it measured includes its own delays (not a verdict on the server).
    pub generator_late: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub settings: Settings,
    pub calls: Calls,
    pub frames: Frames,
    /// Lateness of the server's frames within their utterance, as this client saw them.
    pub frame_lateness: LatencySummary,
    pub turns: Turns,
    /// How late this generator's own frame timer fired (its own health).
    pub loadgen_timer_lateness: LatencySummary,
    pub usage: Usage,
    pub server: Server,
    /// `None` when the ramp took longer than a call is held.
    pub steady: Option<Steady>,
    pub verdict: Verdict,
}

impl Report {
    pub fn new(
        settings: Settings,
        results: &[CallResult],
        figures: &SharedFigures,
        usage: Usage,
        server: Server,
        steady_server: Option<Result<ServerFigures, String>>,
    ) -> Report {
        let mut calls = Calls {
            attempted: settings.calls,
            ..Calls::default()
        };
        let mut frames = Frames::default();
        let mut turns = Turns::default();
        let mut failures: BTreeMap<String, u64> = BTreeMap::new();
        let mut closes: BTreeMap<String, u64> = BTreeMap::new();
        for r in results {
            calls.connected += u64::from(r.connected);
            calls.held += u64::from(r.held);
            calls.not_closed_after_stop += u64::from(r.not_closed);
            if let Some(failure) = &r.failure {
                calls.failed += 1;
                *failures.entry(failure.kind()).or_default() += 1;
            }
            if let Some((code, reason)) = &r.close {
                *closes
                    .entry(format!("{code} {reason}").trim().to_owned())
                    .or_default() += 1;
            }
            frames.sent += r.frames_sent;
            frames.received += r.frames_received;
            frames.bad += r.bad_frames;
            frames.runs += r.runs;
            frames.dropped += r.frames_dropped;
            frames.marks_received += r.marks_received;
            frames.marks_echoed += r.marks_echoed;
            frames.clears += r.clears;
            frames.unknown_messages += r.unknown_messages;
            turns.taken += r.turns;
            turns.unanswered += r.turns_unanswered;
        }
        // Calls that never came back (a task that panicked) count as failed too.
        let missing = calls.attempted.saturating_sub(results.len() as u64);
        if missing > 0 {
            calls.failed += missing;
            *failures
                .entry("the call's task ended abnormally".into())
                .or_default() += missing;
        }
        calls.failures = by_count(failures);
        calls.closes = by_count(closes);
        turns.latency = figures.turn_latency.summary();
        let frame_lateness = figures.frame_lateness.summary();
        let all_held = calls.held == calls.attempted && calls.failed == 0;
        let zero_drops = no_drops(
            server.figures.as_ref().and_then(|f| f.frames_dropped),
            frames.dropped,
        );
        let p99_lateness_under_goal = frame_lateness
            .p99_ms
            .is_some_and(|p99| p99 < P99_LATENESS_GOAL_MS);
        let loadgen_timer_lateness = figures.send_lateness.summary();
        let generator_late = loadgen_timer_lateness
            .p99_ms
            .is_some_and(|p99| p99 >= GENERATOR_LATE_MS);
        let steady = usage.steady.map(|stretch| {
            let figures = &figures.steady;
            let (server, server_error) = match steady_server {
                Some(Ok(server)) => (Some(server), None),
                Some(Err(error)) => (None, Some(error)),
                None => (None, None),
            };
            let frames_dropped = figures.frames_dropped.load(Ordering::Relaxed);
            let frame_lateness = figures.frame_lateness.summary();
            let zero_drops = no_drops(
                server.as_ref().and_then(|s| s.frames_dropped),
                frames_dropped,
            );
            Steady {
                seconds: stretch.seconds,
                frames: figures.frames.load(Ordering::Relaxed),
                frames_dropped,
                frame_lateness,
                loadgen_timer_lateness: figures.send_lateness.summary(),
                server,
                server_error,
                passed: zero_drops
                    && frame_lateness
                        .p99_ms
                        .is_some_and(|p99| p99 < P99_LATENESS_GOAL_MS),
            }
        });
        Report {
            settings,
            calls,
            frames,
            frame_lateness,
            turns,
            loadgen_timer_lateness,
            usage,
            server,
            steady,
            verdict: Verdict {
                all_held,
                zero_drops,
                p99_lateness_under_goal,
                passed: all_held && zero_drops && p99_lateness_under_goal,
                generator_late,
            },
        }
    }
}

/// The server's count when it has one, else the client's estimate.
fn no_drops(server: Option<u64>, client_estimate: u64) -> bool {
    server.unwrap_or(client_estimate) == 0
}

fn by_count(map: BTreeMap<String, u64>) -> Vec<Count> {
    let mut counts: Vec<Count> = map
        .into_iter()
        .map(|(what, calls)| Count { what, calls })
        .collect();
    counts.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.what.cmp(&b.what)));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call_figures::Failure;

    fn settings(calls: u64) -> Settings {
        Settings {
            transport: "twilio",
            server: "http://127.0.0.1:7070".into(),
            calls,
            ramp_per_sec: 200.0,
            hold_secs: 5.0,
            turn_every_secs: Some(2.0),
            turn: "dtmf".into(),
            threads: 1,
        }
    }

    fn held(frames_received: u64) -> CallResult {
        CallResult {
            connected: true,
            held: true,
            frames_sent: 250,
            frames_received,
            runs: 2,
            marks_received: 2,
            marks_echoed: 2,
            turns: 2,
            close: Some((1000, "call ended".into())),
            ..CallResult::default()
        }
    }

    #[test]
    fn a_clean_run_passes_and_sums_every_call() {
        let figures = SharedFigures::default();
        for _ in 0..100 {
            figures.frame_lateness.record_us(1_000);
        }
        for _ in 0..4 {
            figures.turn_latency.record_us(30_000);
        }
        let results = [held(50), held(60)];
        let report = Report::new(
            settings(2),
            &results,
            &figures,
            Usage::default(),
            Server::default(),
            None,
        );
        assert!(report.verdict.passed, "{}", crate::table::render(&report));
        assert_eq!(report.calls.held, 2);
        assert_eq!(report.frames.received, 110);
        assert_eq!(report.turns.taken, 4);
        assert_eq!(report.turns.unanswered, 0);
        assert_eq!(report.calls.closes[0].calls, 2);
        let table = crate::table::render(&report);
        assert!(table.contains("verdict: PASS"), "{table}");
        assert!(table.contains("not scraped"), "{table}");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["calls"]["held"], 2);
        assert_eq!(json["verdict"]["passed"], true);
    }

    #[test]
    fn failures_are_grouped_by_kind_and_fail_the_verdict() {
        let figures = SharedFigures::default();
        figures.frame_lateness.record_us(1_000);
        let early = |reason: &str| CallResult {
            connected: true,
            failure: Some(Failure::ClosedEarly {
                code: 1011,
                reason: reason.into(),
            }),
            ..CallResult::default()
        };
        let results = [held(10), early("script failed"), early("script failed")];
        let report = Report::new(
            settings(4),
            &results,
            &figures,
            Usage::default(),
            Server::default(),
            None,
        );
        assert!(!report.verdict.passed);
        assert_eq!(
            report.calls.failed, 3,
            "two closed early, one never returned"
        );
        assert_eq!(
            report.calls.failures[0].what,
            "closed early: 1011 script failed"
        );
        assert_eq!(report.calls.failures[0].calls, 2);
    }

    #[test]
    fn the_servers_drop_count_decides_over_the_clients_estimate() {
        assert!(no_drops(Some(0), 3));
        assert!(!no_drops(Some(2), 0));
        assert!(!no_drops(None, 3));
        assert!(no_drops(None, 0));
    }

    #[test]
    fn server_drops_fail_the_verdict_even_when_the_client_saw_none() {
        let figures = SharedFigures::default();
        figures.frame_lateness.record_us(1_000);
        let server = Server {
            scraped: true,
            error: None,
            figures: Some(ServerFigures {
                frames_dropped: Some(4),
                ..ServerFigures::default()
            }),
        };
        let report = Report::new(
            settings(1),
            &[held(5)],
            &figures,
            Usage::default(),
            server,
            None,
        );
        assert!(!report.verdict.zero_drops);
        assert!(
            crate::table::render(&report).contains("dropped 4"),
            "{}",
            crate::table::render(&report)
        );
    }

    #[test]
    fn a_late_generator_is_named_in_the_verdict() {
        let figures = SharedFigures::default();
        for _ in 0..100 {
            figures.frame_lateness.record_us(25_000);
            figures.send_lateness.record_us(22_000);
        }
        let report = Report::new(
            settings(1),
            &[held(5)],
            &figures,
            Usage::default(),
            Server::default(),
            None,
        );
        assert!(!report.verdict.passed);
        assert!(report.verdict.generator_late);
        let table = crate::table::render(&report);
        assert!(
            table.contains("the generator's own timer was late"),
            "{table}"
        );
    }

    #[test]
    fn a_sip_run_counts_refused_invites_by_code_and_shows_how_bye_was_answered() {
        let figures = SharedFigures::default();
        figures.frame_lateness.record_us(1_000);
        let sip_held = CallResult {
            close: Some((200, "OK".into())),
            ..held(5)
        };
        let refused = CallResult {
            failure: Some(Failure::Refused {
                code: 503,
                reason: "Service Unavailable".into(),
            }),
            ..CallResult::default()
        };
        let settings = Settings {
            transport: "sip",
            server: "sip:+8610000000000@127.0.0.1:5070".into(),
            ..settings(3)
        };
        let results = [sip_held.clone(), sip_held, refused];
        let report = Report::new(
            settings,
            &results,
            &figures,
            Usage::default(),
            Server::default(),
            None,
        );
        assert!(!report.verdict.passed);
        assert_eq!(
            report.calls.failures[0].what,
            "INVITE refused: 503 Service Unavailable"
        );
        let table = crate::table::render(&report);
        assert!(table.contains("3 SIP calls held"), "{table}");
        assert!(table.contains("answers to BYE: 2 × 200 OK"), "{table}");
        assert!(table.contains("1 × INVITE refused: 503"), "{table}");
    }
}
