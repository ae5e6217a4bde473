//! Why a campaign request failed, in words a tenant can act on; the API maps each case to
//! one HTTP status.

use thiserror::Error;

use huashu_store::{InvalidField, StoreError};

use crate::calendar::CalendarError;
use crate::import::ImportError;

/// Why a campaign operation failed.
#[derive(Debug, Error)]
pub enum CampaignError {
    /// The tenant has no campaign with that id.
    #[error("no campaign `{0}`")]
    NotFound(String),
    /// A setting breaks a rule; names the field.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The operation does not fit the campaign's state (starting a cancelled campaign,
    /// changing the trunk of a running one); says what would.
    #[error("{0}")]
    WrongState(String),
    /// The contact upload could not be read as a whole.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CalendarError> for CampaignError {
    fn from(error: CalendarError) -> Self {
        Self::Invalid(error.into())
    }
}
