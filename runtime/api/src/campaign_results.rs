//! `GET /v1/campaigns/{id}/results`: one row per contact, CSV or JSON Lines, streamed as
//! the store is read. The campaigns stage writes the rows on the blocking pool into a
//! [`ChannelWriter`]; its chunks are the response body, so a campaign of a million
//! contacts downloads in bounded memory and a client that stops reading stops the export.
//!
//! The campaign is looked up before the answer starts, so a wrong id is a clean 404. A
//! failure after the 200 went out cannot change the status any more: the body then breaks
//! off, and the client sees an incomplete transfer instead of a file that looks whole.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use huashu_campaigns::ResultsFormat;
use serde::Deserialize;

use super::AppState;
use super::auth::TenantAuth;
use super::blocking::off_worker;
use super::campaigns::service;
use super::error::ApiResult;
use super::extract::{Path, Query};
use super::streamed_response::ChannelWriter;

/// `?format=`: `csv` (the default) or `jsonl`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated, a header row first.
    #[default]
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    fn results(self) -> ResultsFormat {
        match self {
            Self::Csv => ResultsFormat::Csv,
            Self::Jsonl => ResultsFormat::JsonLines,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ResultsQuery {
    #[serde(default)]
    format: Format,
}

pub async fn results(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> ApiResult<Response> {
    let campaigns = service(&state)?;
    let format = query.format;
    let (found, tenant_id) = (campaigns.clone(), tenant.id.clone());
    let view = off_worker(move || found.get(&tenant_id, &id)).await?;
    // The stored id (`cp_` and hex digits): safe inside the quoted file name.
    let campaign_id = view.campaign.id;
    let filename = format!("{campaign_id}-results.{}", format.extension());
    let (mut writer, body) = ChannelWriter::channel();
    tokio::task::spawn_blocking(move || {
        match campaigns.write_results(&tenant.id, &campaign_id, format.results(), &mut writer) {
            Ok(rows) => {
                tracing::debug!(tenant = %tenant.id, campaign = %campaign_id, rows, "results exported");
            }
            // The client went away: nothing to report to anyone.
            Err(_) if writer.is_closed() => {}
            Err(error) => {
                tracing::warn!(
                    tenant = %tenant.id, campaign = %campaign_id, %error,
                    "results export broke off"
                );
                writer.fail(format!("the export broke off: {error}"));
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(query: &str) -> Result<Format, serde_json::Error> {
        serde_json::from_str::<ResultsQuery>(query).map(|q| q.format)
    }

    #[test]
    fn results_are_csv_unless_json_lines_are_asked_for_and_nothing_else_is_taken() {
        assert!(matches!(format("{}"), Ok(Format::Csv)));
        assert!(matches!(format(r#"{"format":"jsonl"}"#), Ok(Format::Jsonl)));
        assert!(format(r#"{"format":"xml"}"#).is_err());
        assert_eq!(Format::Jsonl.content_type(), "application/x-ndjson");
    }
}
