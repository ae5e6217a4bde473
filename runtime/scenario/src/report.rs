//! Human-readable scenario results: a line per passing scenario, and for a failing one what
//! was expected, what the bot did instead, the conversation so far, the script's HTTP
//! requests and their answers, and any script error. Secret headers appear by secret name:
//! their values are never in a run.

use std::fmt::Write;

use super::runner::{Mismatch, ScenarioResult, shown_request};
use huashu_contract::{Action, Event, Millis};
use huashu_session::{Speaker, TimelineEntry};

/// `mm:ss.t` of call time.
pub fn clock(ms: Millis) -> String {
    format!(
        "{:02}:{:02}.{}",
        ms / 60_000,
        (ms / 1000) % 60,
        (ms % 1000) / 100
    )
}

/// The report for one scenario.
pub fn render(result: &ScenarioResult) -> String {
    let mut out = String::new();
    let call_ms = result.record.end.as_ref().map_or(0, |e| e.at_ms);
    if result.passed() {
        let _ = writeln!(
            out,
            "  ok    {}  ({} of call time in {:.1} ms)",
            result.name,
            clock(call_ms),
            result.wall.as_secs_f64() * 1000.0
        );
        return out;
    }
    let _ = writeln!(out, "  FAIL  {}", result.name);
    for mismatch in &result.mismatches {
        match mismatch {
            Mismatch::Step {
                number,
                expected,
                turn,
            } => {
                let _ = writeln!(out, "        step {number}: expected {expected}");
                if turn.is_empty() {
                    let _ = writeln!(out, "        but the bot did nothing in that turn");
                } else {
                    let _ = writeln!(out, "        but in that turn the bot:");
                    for (at, act) in turn {
                        let _ = writeln!(out, "          {}  {act}", clock(*at));
                    }
                }
            }
            Mismatch::UndeclaredRequest { at_ms, request } => {
                let _ = writeln!(
                    out,
                    "        {}  the bot requested {request}, but the scenario declares no \
                     response for it: add an `http:` entry that matches it (the script got \
                     `refused`)",
                    clock(*at_ms)
                );
            }
            Mismatch::CallEnded { number, step } => {
                let _ = writeln!(
                    out,
                    "        step {number}: {step}, but the call had already ended"
                );
            }
            Mismatch::Outcome {
                what,
                expected,
                actual,
            } => {
                let _ = writeln!(
                    out,
                    "        outcome {what}: expected {expected}, got {actual}"
                );
            }
        }
    }
    if let Some(error) = &result.record.error {
        let _ = writeln!(out, "        the script failed: {error}");
        if let huashu_contract::ScriptFailure::Trap { backtrace, .. } = error {
            for frame in backtrace.iter().take(8) {
                let _ = writeln!(out, "          at {frame}");
            }
        }
    }
    let _ = writeln!(out, "        conversation:");
    for line in &result.record.transcript {
        let who = match line.speaker {
            Speaker::Bot => "bot     ",
            Speaker::Customer => "customer",
        };
        let _ = writeln!(out, "          {}  {who}  {}", clock(line.at_ms), line.text);
    }
    if let Some(end) = &result.record.end {
        let _ = writeln!(
            out,
            "          {}  call ended by {:?} ({})",
            clock(end.at_ms),
            end.by,
            end.reason
        );
    }
    let exchanges: Vec<String> = result
        .record
        .timeline
        .iter()
        .filter_map(|e| match e {
            TimelineEntry::Action {
                at_ms,
                action: Action::HttpRequest(request),
            } => Some(format!(
                "          {}  request  {}",
                clock(*at_ms),
                shown_request(request)
            )),
            TimelineEntry::Event {
                at_ms,
                event: Event::HttpResponse(result),
            } => Some(format!(
                "          {}  answer   {} after {} ms: {}",
                clock(*at_ms),
                result.id,
                result.elapsed_ms,
                match &result.outcome {
                    Ok(response) => format!(
                        "{} with {} bytes of body",
                        response.status,
                        response.body.len()
                    ),
                    Err(error) => error.to_string(),
                }
            )),
            _ => None,
        })
        .collect();
    if !exchanges.is_empty() {
        let _ = writeln!(out, "        http:");
        for line in exchanges {
            let _ = writeln!(out, "{line}");
        }
    }
    let logs: Vec<String> = result
        .record
        .timeline
        .iter()
        .filter_map(|e| match e {
            TimelineEntry::Log { at_ms, line } => Some(format!(
                "          {}  {:?}: {}",
                clock(*at_ms),
                line.level,
                line.message
            )),
            _ => None,
        })
        .collect();
    if !logs.is_empty() {
        let _ = writeln!(out, "        script log:");
        for line in logs.iter().rev().take(10).rev() {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
