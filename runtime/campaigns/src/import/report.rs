//! What an import tells the tenant: how many rows it read and where each went, and the
//! first rows it refused, by line, with what to fix. Counting only; the driver in
//! [`super`] decides what each row is.

use serde::Serialize;

/// Most refused rows listed one by one: enough to show a systematic mistake (a wrong
/// column, a spreadsheet that mangled the numbers) and a page of odd rows, while the
/// counts cover the rest and a report stays under about 200 KB.
pub const MAX_REPORTED_PROBLEMS: usize = 1_000;
/// Longest number, as written, repeated in a problem: enough for any real number with its
/// separators, short enough that a stray paragraph in the number column stays readable.
const MAX_ECHOED_NUMBER_CHARS: usize = 40;

/// What one import did. Every row read lands in exactly one of `accepted`, `duplicate`,
/// `invalid` and `do_not_call`, so they add up to `lines`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows read: contacts the file offered, good or bad (the CSV header and blank lines
    /// not counted).
    pub lines: u64,
    /// Contacts added to the campaign.
    pub accepted: u64,
    /// Numbers the campaign already had, from an earlier import or earlier in this file:
    /// skipped.
    pub duplicate: u64,
    /// Rows refused: see `problems`.
    pub invalid: u64,
    /// Numbers on the platform's or the tenant's do-not-call list: not stored.
    pub do_not_call: u64,
    /// Of the accepted, those whose number already had the platform's daily maximum of
    /// attempts in the last 24 hours (by any tenant): imported, but dialled only once the
    /// number is under the cap again.
    pub over_frequency_cap: u64,
    /// The first [`MAX_REPORTED_PROBLEMS`] refused rows, in file order.
    pub problems: Vec<RowProblem>,
    /// More rows were refused than `problems` lists.
    pub problems_truncated: bool,
}

/// A refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The line it starts on, 1-based (a CSV header is line 1).
    pub line: u64,
    /// Its number as written, if it had one (long ones are cut short).
    pub number: Option<String>,
    /// What is wrong, and what to do about it.
    pub reason: String,
}

impl RowProblem {
    /// The row on `line`, with `number` as written (empty: none), is refused for `reason`.
    pub(super) fn new(line: u64, number: &str, reason: impl Into<String>) -> Self {
        let number = number.trim();
        Self {
            line,
            number: (!number.is_empty()).then(|| clip(number, MAX_ECHOED_NUMBER_CHARS)),
            reason: reason.into(),
        }
    }
}

impl ImportReport {
    /// Counts a refused row and lists it while there is room.
    pub(super) fn refuse(&mut self, problem: RowProblem) {
        self.invalid += 1;
        if self.problems.len() < MAX_REPORTED_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.problems_truncated = true;
        }
    }
}

/// `text` cut to `max` characters, with `…` when something was cut.
pub(super) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_past_the_cap_are_counted_but_not_listed() {
        let mut report = ImportReport::default();
        for line in 0..(MAX_REPORTED_PROBLEMS as u64 + 5) {
            report.refuse(RowProblem::new(line + 2, "", "bad"));
        }
        assert_eq!(report.invalid, MAX_REPORTED_PROBLEMS as u64 + 5);
        assert_eq!(report.problems.len(), MAX_REPORTED_PROBLEMS);
        assert!(report.problems_truncated);
    }

    #[test]
    fn a_long_number_is_echoed_cut_short_and_an_empty_one_not_at_all() {
        let long = "1".repeat(100);
        let problem = RowProblem::new(3, &long, "bad");
        assert_eq!(
            problem.number.as_deref(),
            Some(format!("{}…", "1".repeat(MAX_ECHOED_NUMBER_CHARS)).as_str())
        );
        assert_eq!(RowProblem::new(3, "  ", "bad").number, None);
        assert_eq!(clip("王先生", 2), "王先…");
        assert_eq!(clip("王先生", 3), "王先生");
    }
}
