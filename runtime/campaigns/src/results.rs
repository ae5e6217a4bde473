//! A campaign's results, one row per contact: what the tenant exports into its CRM, as CSV
//! or JSON Lines, written page by page so a campaign of a million contacts streams out in
//! bounded memory.

use std::io::Write;

use serde::Serialize;

use super::error::CampaignError;
use super::service::Campaigns;
use huashu_store::PageRequest;
use huashu_store::campaigns::{Contact, ContactResult, ContactState};

/// Contacts read from the store per page while exporting.
const PAGE: usize = 500;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsFormat {
    /// Comma-separated, a header row first; variables and fields as JSON objects in one
    /// cell each, tags joined with `;`.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// One contact's result.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRow<'a> {
    /// Import order.
    pub seq: u64,
    /// The number called, E.164.
    pub number: &'a str,
    /// The tenant's id for the contact.
    pub reference: Option<&'a str>,
    /// `pending`, `dialing` or `done`.
    pub state: &'static str,
    /// How it finished (`answered`, `busy`, `do-not-call`…), once done.
    pub result: Option<&'static str>,
    /// Attempts made.
    pub attempts: u32,
    /// What the latest attempt came to.
    pub last_outcome: Option<&'static str>,
    /// Intent level `A`…`F`, if the script set one.
    pub intent: Option<&'a str>,
    /// The script's disposition.
    pub disposition: Option<&'a str>,
    /// The script's tags.
    pub tags: &'a [String],
    /// The script's fields, as an object.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The contact's variables, as an object.
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// The latest call, for its record.
    pub last_call_id: Option<&'a str>,
    /// Where the latest call's recording is, if it was recorded.
    pub recording_url: Option<String>,
}

const CSV_HEADER: [&str; 14] = [
    "seq",
    "number",
    "reference",
    "state",
    "result",
    "attempts",
    "last_outcome",
    "intent",
    "disposition",
    "tags",
    "fields",
    "variables",
    "last_call_id",
    "recording_url",
];

fn object(pairs: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect()
}

impl<'a> ResultRow<'a> {
    /// The row of `contact`.
    pub fn of(contact: &'a Contact) -> Self {
        Self {
            seq: contact.seq,
            number: &contact.number,
            reference: contact.reference.as_deref(),
            state: match contact.state {
                ContactState::Pending => "pending",
                ContactState::Dialing => "dialing",
                ContactState::Done => "done",
            },
            result: contact.result.map(|r| r.as_str()),
            attempts: contact.attempts,
            last_outcome: contact.last_outcome.map(|o| o.as_str()),
            intent: contact.intent.as_deref(),
            disposition: contact.disposition.as_deref(),
            tags: &contact.tags,
            fields: object(&contact.fields),
            variables: object(&contact.variables),
            last_call_id: contact.last_call_id.as_deref(),
            recording_url: contact
                .last_call_id
                .as_ref()
                .filter(|_| contact.has_recording)
                .map(|id| format!("/v1/calls/{id}/recording")),
        }
    }

    fn csv_record(&self) -> [String; 14] {
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        [
            self.seq.to_string(),
            self.number.to_owned(),
            text(self.reference),
            self.state.to_owned(),
            text(self.result),
            self.attempts.to_string(),
            text(self.last_outcome),
            text(self.intent),
            text(self.disposition),
            self.tags.join(";"),
            serde_json::Value::Object(self.fields.clone()).to_string(),
            serde_json::Value::Object(self.variables.clone()).to_string(),
            text(self.last_call_id),
            self.recording_url.clone().unwrap_or_default(),
        ]
    }
}

impl Campaigns {
    /// Writes every contact's result of the tenant's campaign to `out`, in import order.
    /// Stops at the first write error (the client went away).
    pub fn write_results(
        &self,
        tenant_id: &str,
        campaign_id: &str,
        format: ResultsFormat,
        out: impl Write,
    ) -> Result<u64, CampaignError> {
        let campaign = self.find(tenant_id, campaign_id)?;
        let ended = campaign.state.is_final();
        let mut sink = match format {
            ResultsFormat::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(CSV_HEADER).map_err(csv_error)?;
                Sink::Csv(Box::new(csv))
            }
            ResultsFormat::JsonLines => Sink::Lines(out),
        };
        let mut after = None;
        let mut rows = 0;
        loop {
            let page = self.campaigns.contacts(
                campaign_id,
                &PageRequest {
                    after: after.take(),
                    limit: PAGE,
                },
            )?;
            for contact in &page.items {
                let mut row = ResultRow::of(contact);
                if ended && row.result.is_none() {
                    // The campaign stopped before this contact was reached.
                    row.result = Some(ContactResult::NotCalled.as_str());
                }
                match &mut sink {
                    Sink::Csv(csv) => csv.write_record(row.csv_record()).map_err(csv_error)?,
                    Sink::Lines(out) => {
                        let mut line = serde_json::to_vec(&row)
                            .map_err(|e| write_error(std::io::Error::other(e)))?;
                        line.push(b'\n');
                        out.write_all(&line).map_err(write_error)?;
                    }
                }
                rows += 1;
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        match &mut sink {
            Sink::Csv(csv) => csv.flush().map_err(write_error)?,
            Sink::Lines(out) => out.flush().map_err(write_error)?,
        }
        Ok(rows)
    }
}

/// Where rows go.
enum Sink<W: Write> {
    /// Boxed: the CSV writer carries its buffer inline.
    Csv(Box<csv::Writer<W>>),
    Lines(W),
}

fn write_error(error: std::io::Error) -> CampaignError {
    CampaignError::Store(huashu_store::StoreError::Backend(format!(
        "writing results: {error}"
    )))
}

fn csv_error(error: csv::Error) -> CampaignError {
    write_error(std::io::Error::other(error))
}
