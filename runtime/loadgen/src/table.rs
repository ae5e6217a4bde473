//! The report as a table for people: the settings, the calls, the client-side and
//! server-side figures, CPU and memory, and the verdict.

use std::fmt::Write as _;

use super::metrics_scrape::{HistogramDelta, ServerFigures};
use super::process_usage::UsageFigures;
use super::report::{P99_LATENESS_GOAL_MS, Report};

/// The report as a human-readable table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.settings;
    let turn = match s.turn_every_secs {
        Some(every) => format!("a {} turn every {every} s", s.turn),
        None => "no turns".into(),
    };
    let sip = s.transport == "sip";
    let _ = writeln!(
        out,
        "huashu loadgen: {} {} calls held {} s each, opened at {}/s, {turn}, against {} ({} thread{})",
        s.calls,
        if sip { "SIP" } else { "Twilio" },
        s.hold_secs,
        s.ramp_per_sec,
        s.server,
        s.threads,
        if s.threads == 1 { "" } else { "s" }
    );
    let c = &report.calls;
    let _ = writeln!(
        out,
        "\ncalls    attempted {}   {} {}   held {}   failed {}   {} {}",
        c.attempted,
        if sip { "answered" } else { "connected" },
        c.connected,
        c.held,
        c.failed,
        if sip {
            "BYE unanswered"
        } else {
            "not closed after stop"
        },
        c.not_closed_after_stop
    );
    for failure in &c.failures {
        let _ = writeln!(out, "         {} × {}", failure.calls, failure.what);
    }
    if !c.closes.is_empty() {
        let closes: Vec<String> = c
            .closes
            .iter()
            .map(|x| format!("{} × {}", x.calls, x.what))
            .collect();
        let label = if sip {
            "answers to BYE"
        } else {
            "closed after stop"
        };
        let _ = writeln!(out, "         {label}: {}", closes.join(", "));
    }
    let f = &report.frames;
    let _ = writeln!(
        out,
        "frames   sent {}   received {} in {} utterances   dropped (client estimate) {}   malformed {}",
        f.sent, f.received, f.runs, f.dropped, f.bad
    );
    if sip {
        let _ = writeln!(
            out,
            "rtp      unexpected packets or SIP requests {}",
            f.unknown_messages
        );
    } else {
        let _ = writeln!(
            out,
            "marks    received {}   echoed {}   clears {}   unknown messages {}",
            f.marks_received, f.marks_echoed, f.clears, f.unknown_messages
        );
    }
    let _ = writeln!(
        out,
        "turns    taken {}   unanswered {}",
        report.turns.taken, report.turns.unanswered
    );

    let _ = writeln!(
        out,
        "\n{:<34}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "client side (ms)", "count", "p50", "p99", "max", "mean"
    );
    for (name, l) in [
        ("outbound frame lateness", &report.frame_lateness),
        ("turn latency", &report.turns.latency),
        (
            "generator's own timer lateness",
            &report.loadgen_timer_lateness,
        ),
    ] {
        let _ = writeln!(
            out,
            "{name:<34}{:>10}{:>10}{:>10}{:>10}{:>10}",
            l.count,
            ms(l.p50_ms),
            ms(l.p99_ms),
            ms(l.max_ms),
            ms(l.mean_ms)
        );
    }

    let _ = writeln!(out, "\nserver side (GET /metrics, change over the run)");
    match (&report.server.figures, &report.server.error) {
        (_, Some(error)) => {
            let _ = writeln!(out, "  not available: {error}");
        }
        (None, None) => {
            let _ = writeln!(out, "  not scraped (give --operator-token)");
        }
        (Some(figures), None) => server_table(&mut out, figures),
    }

    if let Some(steady) = &report.steady {
        let _ = writeln!(
            out,
            "\nwith every call live ({:.1} s, after the ramp and before the first stop): {}",
            steady.seconds,
            if steady.passed { "PASS" } else { "FAIL" }
        );
        let _ = writeln!(
            out,
            "  client: {} frames, dropped (estimate) {}",
            steady.frames, steady.frames_dropped
        );
        for (name, l) in [
            ("outbound frame lateness", &steady.frame_lateness),
            (
                "generator's own timer lateness",
                &steady.loadgen_timer_lateness,
            ),
        ] {
            let _ = writeln!(
                out,
                "  {name:<32}{:>10}{:>10}{:>10}{:>10}{:>10}",
                l.count,
                ms(l.p50_ms),
                ms(l.p99_ms),
                ms(l.max_ms),
                ms(l.mean_ms)
            );
        }
        match (&steady.server, &steady.server_error) {
            (_, Some(error)) => {
                let _ = writeln!(out, "  server: not available: {error}");
            }
            (Some(figures), None) => server_table(&mut out, figures),
            (None, None) => {}
        }
    }

    let u = &report.usage;
    let _ = writeln!(
        out,
        "\nCPU in % of one core ({} cores), memory",
        u.whole_run.cores
    );
    if let Some(steady) = &u.steady {
        usage_line(&mut out, "all calls live", steady);
    }
    usage_line(&mut out, "whole run", &u.whole_run);
    if let Some(peak) = u.server_rss_peak_mib {
        let _ = writeln!(out, "  server RSS peak {peak:.0} MiB");
    }
    if let Some(load) = u.load_average_before {
        let _ = writeln!(out, "  load average before the run {load:.2}");
    }

    let v = &report.verdict;
    let _ = writeln!(
        out,
        "\nverdict: {}: every call held: {}, zero frames dropped: {}, p99 lateness {} < {P99_LATENESS_GOAL_MS} ms: {}",
        if v.passed { "PASS" } else { "FAIL" },
        yes(v.all_held),
        yes(v.zero_drops),
        ms(report.frame_lateness.p99_ms),
        yes(v.p99_lateness_under_goal)
    );
    if v.generator_late {
        let _ = writeln!(
            out,
            "note: the generator's own timer was late ({} at p99): the lateness above is partly \
             the generator's; try --threads 2, or run it on another machine",
            ms(report.loadgen_timer_lateness.p99_ms)
        );
    }
    out
}

fn server_table(out: &mut String, figures: &ServerFigures) {
    let count = |v: Option<u64>| v.map_or("not available".into(), |v| v.to_string());
    let _ = writeln!(
        out,
        "  frames sent {}   late {}   dropped {}",
        count(figures.frames_sent),
        count(figures.frames_late),
        count(figures.frames_dropped)
    );
    if let Some(cpu) = figures.cpu_percent {
        let memory = figures
            .resident_mib
            .map_or(String::new(), |mib| format!(", {mib:.0} MiB resident"));
        let _ = writeln!(out, "  server process: {cpu:.0} % of a core{memory}");
    }
    for (name, histogram) in [
        ("outbound frame lateness", &figures.frame_lateness),
        ("turn latency", &figures.turn_latency),
        ("end of speech → reply", &figures.speech_turn_latency),
    ] {
        match histogram {
            None => {
                let _ = writeln!(out, "  {name}: not available");
            }
            Some(h) => {
                let _ = writeln!(
                    out,
                    "  {name}: {} observed, p50 {}, p99 {}, mean {} ms",
                    h.count,
                    bound(h.p50_at_most_ms, h),
                    bound(h.p99_at_most_ms, h),
                    ms(h.mean_ms)
                );
            }
        }
    }
}

fn usage_line(out: &mut String, label: &str, u: &UsageFigures) {
    let pct = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.0} %"));
    let _ = writeln!(
        out,
        "  {label} ({:.1} s): server {}, loadgen {:.0} %, interrupts {}, other processes {}, whole machine {} (in the kernel {}), stolen by the hypervisor {}; server RSS {}",
        u.seconds,
        pct(u.server_cpu_percent),
        u.loadgen_cpu_percent,
        pct(u.interrupts_cpu_percent),
        pct(u.other_processes_cpu_percent),
        pct(u.machine_cpu_percent),
        pct(u.kernel_cpu_percent),
        pct(u.steal_cpu_percent),
        u.server_rss_mib
            .map_or("n/a (give --server-pid)".into(), |m| format!("{m:.0} MiB"))
    );
}

fn bound(value: Option<f64>, h: &HistogramDelta) -> String {
    match (value, h.count) {
        (_, 0) => "-".into(),
        (Some(v), _) => format!("≤ {v} ms"),
        (None, _) => h
            .largest_bound_ms
            .map_or("?".into(), |b| format!("> {b} ms")),
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| {
        if v < 10.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.1}")
        }
    })
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
