//! Do-not-call lists through the service: the tenant's own and the platform's. Numbers are
//! normalised the way contact imports are, so `138 0013 8000` and `+8613800138000` are the
//! same entry.

use std::io::{BufRead, Read};

use serde::Serialize;

use super::error::CampaignError;
use super::import::normalize_phone;
use super::service::Campaigns;
use huashu_store::campaigns::{DncEntry, DncScope, DncSource};
use huashu_store::secrets::now_ms;
use huashu_store::{InvalidField, Page, PageRequest};

/// Numbers written to the store per batch in a bulk upload.
const BATCH: usize = 1_000;
/// Problems listed in a bulk upload's report; the rest are counted.
const MAX_PROBLEMS: usize = 1_000;
/// Longest line of a bulk upload: a number with some spaces and a reason.
const MAX_LINE_BYTES: usize = 4096;

/// What a bulk do-not-call upload did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DncUploadReport {
    /// Lines read.
    pub lines: u64,
    /// Numbers put on the list.
    pub added: u64,
    /// Lines that were not a number, with why (the first thousand).
    pub problems: Vec<DncProblem>,
    /// Lines that were not a number, all together.
    pub invalid: u64,
}

/// One line of a bulk upload that was not a number.
#[derive(Debug, Clone, Serialize)]
pub struct DncProblem {
    /// 1-based line number.
    pub line: u64,
    /// Why it was skipped.
    pub reason: String,
}

impl Campaigns {
    /// Puts `number` on `scope`'s list.
    pub fn add_dnc(
        &self,
        scope: DncScope,
        number: &str,
        reason: String,
    ) -> Result<DncEntry, CampaignError> {
        let number = normalize_phone(number)
            .map_err(|problem| InvalidField::new("number", problem.to_string()))?;
        let entry = DncEntry {
            scope,
            number,
            reason,
            source: DncSource::Api,
            call_id: None,
            added_at_ms: now_ms(),
        };
        self.campaigns.put_dnc(&entry)?;
        Ok(entry)
    }

    /// Takes `number` off `scope`'s list; answers whether it was on it.
    pub fn remove_dnc(&self, scope: &DncScope, number: &str) -> Result<bool, CampaignError> {
        let number = normalize_phone(number)
            .map_err(|problem| InvalidField::new("number", problem.to_string()))?;
        Ok(self.campaigns.delete_dnc(scope, &number)?)
    }

    /// The entry for `number` on `scope`'s list.
    pub fn dnc_entry(
        &self,
        scope: &DncScope,
        number: &str,
    ) -> Result<Option<DncEntry>, CampaignError> {
        let number = normalize_phone(number)
            .map_err(|problem| InvalidField::new("number", problem.to_string()))?;
        Ok(self.campaigns.dnc(scope, &number)?)
    }

    /// One page of `scope`'s list.
    pub fn list_dnc(
        &self,
        scope: &DncScope,
        page: &PageRequest,
    ) -> Result<Page<DncEntry>, CampaignError> {
        Ok(self.campaigns.list_dnc(scope, page)?)
    }

    /// Puts every number in `reader` on `scope`'s list: one number per line, optionally
    /// followed by a comma and a reason; a first line that is not a number (a header) and
    /// blank lines are skipped.
    pub fn upload_dnc(
        &self,
        scope: &DncScope,
        reader: impl Read,
    ) -> Result<DncUploadReport, CampaignError> {
        let mut report = DncUploadReport::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut lines = std::io::BufReader::new(reader);
        let mut line = Vec::new();
        let now = now_ms();
        loop {
            line.clear();
            let read = (&mut lines)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| {
                    CampaignError::Invalid(InvalidField::new(
                        "body",
                        format!(
                            "the upload broke off after {} numbers were added: {e}",
                            report.added
                        ),
                    ))
                })?;
            if read == 0 {
                break;
            }
            report.lines += 1;
            if line.len() > MAX_LINE_BYTES && !line.ends_with(b"\n") {
                // Skip the rest of an overlong line.
                lines.skip_until(b'\n').ok();
                self.problem(&mut report, "the line is longer than 4096 bytes".into());
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim().trim_start_matches('\u{feff}');
            if text.is_empty() {
                continue;
            }
            let (number, reason) = match text.split_once(',') {
                Some((n, r)) => (n.trim().trim_matches('"'), r.trim().trim_matches('"')),
                None => (text, ""),
            };
            match normalize_phone(number) {
                Ok(number) => batch.push(DncEntry {
                    scope: scope.clone(),
                    number,
                    reason: reason.to_owned(),
                    source: DncSource::Api,
                    call_id: None,
                    added_at_ms: now,
                }),
                Err(_) if report.lines == 1 => {} // a header
                Err(problem) => self.problem(&mut report, problem.to_string()),
            }
            if batch.len() == BATCH {
                self.campaigns.put_dnc_batch(&batch)?;
                report.added += batch.len() as u64;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.campaigns.put_dnc_batch(&batch)?;
            report.added += batch.len() as u64;
        }
        Ok(report)
    }

    fn problem(&self, report: &mut DncUploadReport, reason: String) {
        report.invalid += 1;
        if report.problems.len() < MAX_PROBLEMS {
            report.problems.push(DncProblem {
                line: report.lines,
                reason,
            });
        }
    }
}
