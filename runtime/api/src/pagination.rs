//! `?after=<cursor>&limit=<n>` on list endpoints.

use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use huashu_store::PageRequest;

/// Page size when the client does not say.
const DEFAULT_LIMIT: usize = 50;
/// Largest page served: bounds memory and response size per request. The OpenAPI document
/// states the same bound as the `limit` parameter's `maximum`.
const MAX_LIMIT: usize = 500;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub after: Option<String>,
    pub limit: Option<usize>,
}

impl PageQuery {
    /// The page asked for; a `limit` outside 1 to [`MAX_LIMIT`] is refused (400
    /// `bad_query`), not quietly changed, so that a client learns the bound.
    pub fn request(&self) -> ApiResult<PageRequest> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "bad_query",
                format!("`limit` must be 1 to {MAX_LIMIT}, not {limit}"),
            ));
        }
        Ok(PageRequest {
            after: self.after.clone().filter(|a| !a.is_empty()),
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(limit: Option<usize>) -> ApiResult<PageRequest> {
        PageQuery { after: None, limit }.request()
    }

    #[test]
    fn a_limit_past_the_largest_page_is_refused_not_clamped() {
        assert_eq!(page(Some(500)).expect("500 is allowed").limit, 500);
        let refused = page(Some(501)).expect_err("501 is too many");
        assert_eq!(refused.code, "bad_query");
        assert!(page(Some(0)).is_err());
        assert_eq!(page(None).expect("the default").limit, DEFAULT_LIMIT);
    }
}
