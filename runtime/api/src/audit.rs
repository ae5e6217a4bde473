//! The audit of deletions, newest first: a tenant reads its own (`GET /v1/audit`), the
//! operator any tenant's (`GET /v1/tenants/{id}/audit`). Entries name calls by id and
//! numbers by their SHA-256, never the number.

use axum::Json as JsonResponse;
use axum::extract::State;

use super::AppState;
use super::auth::{Operator, TenantAuth};
use super::error::{ApiError, ApiResult};
use super::extract::{Path, Query};
use super::pagination::PageQuery;
use huashu_store::{AuditEntry, Page};

pub async fn list_own(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<AuditEntry>>> {
    Ok(JsonResponse(
        state.store.audit_entries(&tenant.id, &page.request()?)?,
    ))
}

pub async fn list_for_tenant(
    _: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<AuditEntry>>> {
    if state.store.tenant(&id)?.is_none() {
        return Err(ApiError::not_found(format!("no tenant `{id}`")));
    }
    Ok(JsonResponse(
        state.store.audit_entries(&id, &page.request()?)?,
    ))
}
