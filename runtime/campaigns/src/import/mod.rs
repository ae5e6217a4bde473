//! Contact lists into a campaign, streamed: a CSV or JSON Lines upload is read row by row
//! from whatever `Read` the caller hands over (the API feeds one from the request body), so
//! a list of millions never sits in memory. Each number is normalised to E.164
//! ([`normalize_phone`]); rows that cannot be used are refused by line with what to fix;
//! numbers on the platform's or the tenant's do-not-call list are dropped; the rest are
//! added in batches, the store skipping numbers the campaign already has. The
//! [`ImportReport`] says where every row went.
//!
//! This module does not decide whether a campaign may take contacts (its state, the
//! tenant's rights): the service asks that before calling [`import_contacts`]. Calls to it
//! block on the store: run them off the async workers.
//!
//! - `phone` — numbers as CRM exports write them, to E.164.
//! - `csv_rows`, `csv_lines` — CSV: the header's column names, rows by line.
//! - `json_lines` — JSON Lines: one object per line, read with a bound.
//! - `row` — the checks both formats share.
//! - `report` — the counts and the refused rows.

mod csv_lines;
mod csv_rows;
#[cfg(test)]
mod fake_store;
mod json_lines;
mod phone;
mod report;
mod row;
#[cfg(test)]
mod tests;

use std::io::{self, Read};

use huashu_store::StoreError;
use huashu_store::campaigns::{Campaign, CampaignStore, DncScope, NewContact};
use thiserror::Error;

pub use phone::{PhoneProblem, normalize_phone};
pub use report::{ImportReport, MAX_REPORTED_PROBLEMS, RowProblem};

use csv_rows::CsvRows;
use json_lines::JsonLineRows;
use row::{Broken, RowSource, ZoneCheck};

/// Contacts added to the store in one write: large enough that the per-write flush is a
/// small share of the time, small enough that a write stays well under a megabyte and a
/// broken upload loses nothing already read for long.
const BATCH: usize = 1_000;
/// Most rows one import reads. Five million contacts is more than a campaign dials in a
/// month at any trunk's pace, so a larger file is almost always the wrong file (a whole CRM
/// dump) rather than a call list; the bound also caps how long one upload holds a blocking
/// thread (minutes at the measured import rate, see `benches/import.rs`).
pub const MAX_IMPORT_LINES: u64 = 5_000_000;
/// The window of the platform's per-number frequency cap.
const DAY_MS: u64 = 24 * 3600 * 1000;

/// The format of an uploaded list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl ImportFormat {
    /// The format a request's `Content-Type` names (parameters such as `; charset=utf-8`
    /// ignored); `None` for any other type.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("text/csv") {
            Some(Self::Csv)
        } else if [
            "application/x-ndjson",
            "application/jsonl",
            "application/json-lines",
        ]
        .iter()
        .any(|t| essence.eq_ignore_ascii_case(t))
        {
            Some(Self::JsonLines)
        } else {
            None
        }
    }
}

/// The platform's rules an import applies, and its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportRules {
    /// Attempts one number may get in 24 hours across the platform; contacts whose number
    /// is already there are imported but counted in
    /// [`ImportReport::over_frequency_cap`]. 0: no cap.
    pub max_dials_per_number_per_day: u32,
    /// Now, in ms since the Unix epoch: when imported contacts fall due.
    pub now_ms: u64,
}

/// Why an import stopped. Rows imported before it stopped stay imported; where the error
/// carries a report, it covers them.
#[derive(Debug, Error)]
pub enum ImportError {
    /// Nothing was uploaded.
    #[error(
        "the file is empty: its first line must be a header naming the columns, like \
         `phone,reference,name`"
    )]
    Empty,
    /// The CSV header is not UTF-8.
    #[error(
        "the header row is not UTF-8 text: save the file as \"CSV UTF-8\" (Excel: Save As, \
         CSV UTF-8) and upload it again"
    )]
    HeaderNotUtf8,
    /// The CSV header names no column of numbers.
    #[error(
        "the header row has no column of phone numbers (it has {found}): name that column \
         `phone` (or number, phone_number, mobile, tel, 手机, 手机号, 电话, 号码)"
    )]
    NoNumberColumn {
        /// The header names found, quoted.
        found: String,
    },
    /// The upload broke off; rows read before the break were imported.
    #[error(
        "the upload was cut off after line {after_line} ({source}); the {} contacts accepted \
         before the break stay imported: upload the whole file again, and the numbers \
         already imported are skipped as duplicates",
        .report.accepted
    )]
    CutOff {
        /// The last line read whole.
        after_line: u64,
        /// What the stream reported.
        source: io::Error,
        /// What the rows before the break came to.
        report: Box<ImportReport>,
    },
    /// A CSV row ran far past any real row's size: a quote opened and never closed.
    #[error(
        "the row starting on line {line} runs past {limit} bytes, most likely a double quote \
         (\") opened and never closed, which runs the rest of the file into one value: fix \
         it and upload the file again; the {} contacts accepted before it stay imported",
        .report.accepted
    )]
    RowTooLong {
        /// The line the row starts on.
        line: u64,
        /// The bound, in bytes.
        limit: usize,
        /// What the rows before it came to.
        report: Box<ImportReport>,
    },
    /// The file has more rows than one import reads.
    #[error(
        "the file has more than {limit} rows; the first {limit} were read and {} contacts \
         imported: put the rest in another file",
        .report.accepted
    )]
    TooManyLines {
        /// [`MAX_IMPORT_LINES`].
        limit: u64,
        /// What the rows read came to.
        report: Box<ImportReport>,
    },
    /// The store failed; batches written before it stay imported.
    #[error("the contacts could not be stored: {0}")]
    Store(#[from] StoreError),
}

impl ImportError {
    /// What the rows read before the import stopped came to, when it stopped part-way.
    pub fn partial_report(&self) -> Option<&ImportReport> {
        match self {
            Self::CutOff { report, .. }
            | Self::RowTooLong { report, .. }
            | Self::TooManyLines { report, .. } => Some(report),
            _ => None,
        }
    }
}

/// Reads `reader` as `format` and adds its contacts to `campaign`, due now. Blocks on the
/// store; memory stays at one batch however long the file.
pub fn import_contacts(
    store: &dyn CampaignStore,
    campaign: &Campaign,
    format: ImportFormat,
    reader: impl Read,
    rules: &ImportRules,
) -> Result<ImportReport, ImportError> {
    import_up_to(store, campaign, format, reader, rules, MAX_IMPORT_LINES)
}

/// [`import_contacts`], reading at most `max_lines` rows.
fn import_up_to(
    store: &dyn CampaignStore,
    campaign: &Campaign,
    format: ImportFormat,
    reader: impl Read,
    rules: &ImportRules,
    max_lines: u64,
) -> Result<ImportReport, ImportError> {
    let import = Import {
        store,
        campaign,
        rules,
        report: ImportReport::default(),
        batch: Vec::with_capacity(BATCH),
        zones: ZoneCheck::default(),
        max_lines,
    };
    match format {
        ImportFormat::Csv => import.run(CsvRows::new(reader)?),
        ImportFormat::JsonLines => import.run(JsonLineRows::new(reader)),
    }
}

/// One import under way.
struct Import<'a> {
    store: &'a dyn CampaignStore,
    campaign: &'a Campaign,
    rules: &'a ImportRules,
    report: ImportReport,
    /// Checked contacts not yet written.
    batch: Vec<NewContact>,
    zones: ZoneCheck,
    /// [`MAX_IMPORT_LINES`], lower in tests.
    max_lines: u64,
}

impl Import<'_> {
    fn run(mut self, mut rows: impl RowSource) -> Result<ImportReport, ImportError> {
        loop {
            let row = match rows.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(broken) => {
                    self.flush()?;
                    return Err(whole_file_error(broken, self.report));
                }
            };
            if self.report.lines == self.max_lines {
                self.flush()?;
                return Err(ImportError::TooManyLines {
                    limit: self.max_lines,
                    report: Box::new(self.report),
                });
            }
            self.report.lines += 1;
            match row.and_then(|raw| row::check(raw, &mut self.zones)) {
                Err(problem) => self.report.refuse(problem),
                Ok(contact) => self.offer(contact)?,
            }
        }
        self.flush()?;
        Ok(self.report)
    }

    /// Drops a contact on a do-not-call list; queues the others for the next write.
    fn offer(&mut self, contact: NewContact) -> Result<(), ImportError> {
        let tenant = DncScope::Tenant(self.campaign.tenant_id.clone());
        for scope in [&DncScope::Platform, &tenant] {
            if self.store.dnc(scope, &contact.number)?.is_some() {
                self.report.do_not_call += 1;
                return Ok(());
            }
        }
        self.batch.push(contact);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the queued contacts and counts what the store made of them.
    fn flush(&mut self) -> Result<(), ImportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let added = self
            .store
            .add_contacts(&self.campaign.id, &self.batch, self.rules.now_ms)?;
        let cap = self.rules.max_dials_per_number_per_day;
        let since = self.rules.now_ms.saturating_sub(DAY_MS);
        for (contact, seq) in self.batch.iter().zip(&added) {
            if seq.is_none() {
                self.report.duplicate += 1;
                continue;
            }
            self.report.accepted += 1;
            if cap > 0 && self.store.dials_since(&contact.number, since)? >= cap {
                self.report.over_frequency_cap += 1;
            }
        }
        self.batch.clear();
        Ok(())
    }
}

/// The error for a file that cannot be read on, with what was read before.
fn whole_file_error(broken: Broken, report: ImportReport) -> ImportError {
    let report = Box::new(report);
    match broken {
        Broken::Io { after_line, source } => ImportError::CutOff {
            after_line,
            source,
            report,
        },
        Broken::RowTooLong { line, limit } => ImportError::RowTooLong {
            line,
            limit,
            report,
        },
    }
}
