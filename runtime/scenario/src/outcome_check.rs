//! The `outcome:` check of a scenario: what the call's outcome must contain once it has
//! ended, and the mismatches when it does not.

use super::file::OutcomeSpec;
use super::runner::Mismatch;
use huashu_session::CallRecord;

/// What `record`'s outcome lacks of `spec`; empty if nothing.
pub(crate) fn check_outcome(spec: &OutcomeSpec, record: &CallRecord) -> Vec<Mismatch> {
    let outcome = &record.outcome;
    let mut mismatches = Vec::new();
    let show = |v: Option<String>| v.unwrap_or_else(|| "(not set)".into());
    if let Some(intent) = spec.intent
        && outcome.intent != Some(intent)
    {
        mismatches.push(Mismatch::Outcome {
            what: "intent".into(),
            expected: intent.to_string(),
            actual: show(outcome.intent.map(|i| i.to_string())),
        });
    }
    if let Some(disposition) = &spec.disposition
        && outcome.disposition.as_ref() != Some(disposition)
    {
        mismatches.push(Mismatch::Outcome {
            what: "disposition".into(),
            expected: disposition.clone(),
            actual: show(outcome.disposition.clone()),
        });
    }
    for tag in &spec.tags {
        if !outcome.tags.contains(tag) {
            mismatches.push(Mismatch::Outcome {
                what: "tags".into(),
                expected: format!("includes `{tag}`"),
                actual: format!("[{}]", outcome.tags.join(", ")),
            });
        }
    }
    if let Some(opted_out) = spec.opted_out
        && outcome.opted_out != opted_out
    {
        mismatches.push(Mismatch::Outcome {
            what: "opted_out".into(),
            expected: opted_out.to_string(),
            actual: outcome.opted_out.to_string(),
        });
    }
    for (key, value) in &spec.fields {
        if outcome.field(key) != Some(value.as_str()) {
            mismatches.push(Mismatch::Outcome {
                what: format!("fields.{key}"),
                expected: value.clone(),
                actual: show(outcome.field(key).map(str::to_owned)),
            });
        }
    }
    mismatches
}
