//! One contact as a reader found it, before any check, and the checks every format shares
//! (the number, the time zone, the size limits a stored contact keeps) that turn it into a
//! [`NewContact`] or a [`RowProblem`]. How a row is cut out of a file is each reader's job.

use std::collections::HashMap;
use std::io;

use huashu_store::campaigns::{MAX_REFERENCE_BYTES, MAX_VARIABLE_BYTES, MAX_VARIABLES, NewContact};

use super::phone::normalize_phone;
use super::report::{RowProblem, clip};

/// Longest time zone name looked up: the longest IANA name is 32 bytes
/// (`America/Argentina/ComodRivadavia`); anything longer is not one.
const MAX_ZONE_NAME_BYTES: usize = 64;
/// Distinct time zone names whose answer is remembered: a real list uses a handful, so the
/// lookup is made once per name, and a file of junk zones cannot grow the memory.
const MAX_REMEMBERED_ZONES: usize = 256;
/// Longest value repeated in a problem's reason.
const MAX_ECHOED_VALUE_CHARS: usize = 40;

/// A row as read: cells trimmed, empty ones left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RawRow {
    /// The line it starts on, 1-based.
    pub line: u64,
    /// The number as written.
    pub number: String,
    /// The tenant's reference, if the row has one.
    pub reference: Option<String>,
    /// The contact's own time zone, if the row names one.
    pub time_zone: Option<String>,
    /// Name/value pairs for the script, in column order.
    pub variables: Vec<(String, String)>,
}

/// What a reader hands over for each row: a row to check, or one it already refused.
pub(super) type ReadRow = Result<RawRow, RowProblem>;

/// Why a reader cannot go on: the rest of the file cannot be read.
#[derive(Debug)]
pub(super) enum Broken {
    /// The stream failed after the row on `after_line` (0: before any row).
    Io {
        /// The last line of the file fully read.
        after_line: u64,
        /// What failed.
        source: io::Error,
    },
    /// A row ran past the size any real row has (in CSV, a quote never closed).
    RowTooLong {
        /// The line the row starts on.
        line: u64,
        /// The bound it ran past, in bytes.
        limit: usize,
    },
}

/// A file of contacts, read row by row.
pub(super) trait RowSource {
    /// The next row; `None` at the end of the file.
    fn next_row(&mut self) -> Result<Option<ReadRow>, Broken>;
}

/// Checks `row` and makes it a contact to store.
pub(super) fn check(row: RawRow, zones: &mut ZoneCheck) -> Result<NewContact, RowProblem> {
    let refuse = |reason: String| RowProblem::new(row.line, &row.number, reason);
    let number = normalize_phone(&row.number).map_err(|p| refuse(p.to_string()))?;
    if let Some(reference) = &row.reference
        && reference.len() > MAX_REFERENCE_BYTES
    {
        return Err(refuse(format!(
            "the reference is {} bytes long; at most {MAX_REFERENCE_BYTES} are kept",
            reference.len()
        )));
    }
    if let Some(zone) = &row.time_zone
        && !zones.exists(zone)
    {
        return Err(refuse(format!(
            "{:?} is not a time zone: use an IANA name such as Asia/Shanghai or \
             America/New_York, or leave the cell empty for the campaign's own",
            clip(zone, MAX_ECHOED_VALUE_CHARS)
        )));
    }
    if row.variables.len() > MAX_VARIABLES {
        return Err(refuse(format!(
            "the row has {} variables (non-empty cells besides the number, reference and time \
             zone); at most {MAX_VARIABLES} are kept: drop the columns the script does not read",
            row.variables.len()
        )));
    }
    if let Some((name, value)) = row
        .variables
        .iter()
        .find(|(name, value)| name.len() + value.len() > MAX_VARIABLE_BYTES)
    {
        return Err(refuse(format!(
            "variable {:?} is {} bytes with its name; at most {MAX_VARIABLE_BYTES} are kept",
            clip(name, MAX_ECHOED_VALUE_CHARS),
            name.len() + value.len()
        )));
    }
    Ok(NewContact {
        number,
        reference: row.reference,
        variables: row.variables,
        time_zone: row.time_zone,
    })
}

/// Whether time zone names are in the zone database, remembered per name.
#[derive(Debug, Default)]
pub(super) struct ZoneCheck {
    known: HashMap<String, bool>,
}

impl ZoneCheck {
    /// Whether `name` is an IANA time zone this build knows.
    pub fn exists(&mut self, name: &str) -> bool {
        if let Some(known) = self.known.get(name) {
            return *known;
        }
        let exists = zone_exists(name);
        if self.known.len() < MAX_REMEMBERED_ZONES {
            self.known.insert(name.to_owned(), exists);
        }
        exists
    }
}

/// Whether the zone database has `name`.
fn zone_exists(name: &str) -> bool {
    name.len() <= MAX_ZONE_NAME_BYTES && jiff::tz::TimeZone::get(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: &str) -> RawRow {
        RawRow {
            line: 7,
            number: number.into(),
            ..RawRow::default()
        }
    }

    fn reason(row: RawRow) -> String {
        check(row, &mut ZoneCheck::default())
            .expect_err("should be refused")
            .reason
    }

    #[test]
    fn a_good_row_becomes_a_contact_with_its_number_in_e164() {
        let mut r = row("138-0013-8000");
        r.reference = Some("C-1".into());
        r.time_zone = Some("Asia/Shanghai".into());
        r.variables = vec![("name".into(), "王先生".into())];
        let contact = check(r, &mut ZoneCheck::default()).expect("valid");
        assert_eq!(contact.number, "+8613800138000");
        assert_eq!(contact.reference.as_deref(), Some("C-1"));
        assert_eq!(contact.time_zone.as_deref(), Some("Asia/Shanghai"));
        assert_eq!(contact.variables, vec![("name".into(), "王先生".into())]);
    }

    #[test]
    fn a_refused_row_keeps_its_line_and_number_as_written() {
        let problem = check(row("10086"), &mut ZoneCheck::default()).expect_err("service");
        assert_eq!(problem.line, 7);
        assert_eq!(problem.number.as_deref(), Some("10086"));
        assert!(
            problem.reason.contains("service number"),
            "{}",
            problem.reason
        );
    }

    #[test]
    fn an_unknown_time_zone_is_refused() {
        let mut r = row("13800138000");
        r.time_zone = Some("Asia/Beijing".into());
        assert!(reason(r).contains("not a time zone"));
    }

    #[test]
    fn oversized_references_and_variables_and_too_many_variables_are_refused() {
        let mut r = row("13800138000");
        r.reference = Some("x".repeat(MAX_REFERENCE_BYTES + 1));
        assert!(reason(r).contains("reference"));

        let mut r = row("13800138000");
        r.variables = vec![("note".into(), "x".repeat(MAX_VARIABLE_BYTES))];
        assert!(reason(r).contains("\"note\""));

        let mut r = row("13800138000");
        r.variables = (0..=MAX_VARIABLES)
            .map(|i| (format!("v{i}"), "1".into()))
            .collect();
        assert!(reason(r).contains("variables"));
    }

    #[test]
    fn a_zone_is_looked_up_once_and_remembered() {
        let mut zones = ZoneCheck::default();
        assert!(zones.exists("Europe/Berlin"));
        assert!(!zones.exists("Mars/Olympus"));
        assert_eq!(zones.known.len(), 2);
        assert!(zones.exists("Europe/Berlin"));
        assert_eq!(zones.known.len(), 2);
    }
}
