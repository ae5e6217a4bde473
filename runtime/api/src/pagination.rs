//! `?after=<cursor>&limit=<n>` on list endpoints.

use serde::Deserialize;

use huashu_store::PageRequest;

/// Page size when the client does not say.
const DEFAULT_LIMIT: usize = 50;
/// Largest page served: bounds memory and response size per request.
const MAX_LIMIT: usize = 500;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub after: Option<String>,
    pub limit: Option<usize>,
}

impl PageQuery {
    pub fn request(&self) -> PageRequest {
        PageRequest {
            after: self.after.clone().filter(|a| !a.is_empty()),
            limit: self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        }
    }
}
