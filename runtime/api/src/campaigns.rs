//! Tenant endpoints for outbound campaigns: create one, list, read and change them, start,
//! pause, resume and cancel them, and list the webhook deliveries they made. Importing
//! contacts and exporting results stream their bodies and live in [`campaign_contacts`]
//! and [`campaign_results`]; the do-not-call lists in [`dnc`].
//!
//! Every rule is the campaigns stage's (`huashu_campaigns`); this module only authenticates,
//! moves the blocking work off the async workers, and maps the answers. A campaign of
//! another tenant is a 404 like one that does not exist. The webhook secret is in the
//! owner's answers by design: it needs it to verify the signatures.
//!
//! [`campaign_contacts`]: super::campaign_contacts
//! [`campaign_results`]: super::campaign_results
//! [`dnc`]: super::dnc

use std::sync::Arc;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use huashu_campaigns::{CampaignDraft, CampaignView, Campaigns, Transition};
use huashu_store::Page;
use huashu_store::campaigns::WebhookDelivery;

use super::AppState;
use super::auth::TenantAuth;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::pagination::PageQuery;

/// The server's campaigns, or 503 when it runs without them.
pub fn service(state: &AppState) -> ApiResult<Arc<Campaigns>> {
    state.campaigns.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "campaigns_unavailable",
            "this server runs no campaigns",
        )
    })
}

pub async fn create(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Json(draft): Json<CampaignDraft>,
) -> ApiResult<(StatusCode, JsonResponse<CampaignView>)> {
    let campaigns = service(&state)?;
    let view = off_worker(move || campaigns.create(&tenant, draft)).await?;
    Ok((StatusCode::CREATED, JsonResponse(view)))
}

pub async fn list(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<CampaignView>>> {
    let campaigns = service(&state)?;
    let page = page.request()?;
    let listed = off_worker(move || campaigns.list(&tenant.id, &page)).await?;
    Ok(JsonResponse(listed))
}

pub async fn get(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<CampaignView>> {
    let campaigns = service(&state)?;
    let view = off_worker(move || campaigns.get(&tenant.id, &id)).await?;
    Ok(JsonResponse(view))
}

/// `PATCH`: the body names the fields to replace; the service merges it over the
/// campaign's settings and checks the result as a whole.
pub async fn update(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(patch): Json<serde_json::Value>,
) -> ApiResult<JsonResponse<CampaignView>> {
    let campaigns = service(&state)?;
    let view = off_worker(move || campaigns.update(&tenant.id, &id, patch)).await?;
    Ok(JsonResponse(view))
}

async fn transition(
    tenant: huashu_store::Tenant,
    state: AppState,
    id: String,
    transition: Transition,
) -> ApiResult<JsonResponse<CampaignView>> {
    let campaigns = service(&state)?;
    let view = off_worker(move || campaigns.transition(&tenant, &id, transition)).await?;
    Ok(JsonResponse(view))
}

pub async fn start(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<CampaignView>> {
    transition(tenant, state, id, Transition::Start).await
}

pub async fn pause(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<CampaignView>> {
    transition(tenant, state, id, Transition::Pause).await
}

pub async fn resume(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<CampaignView>> {
    transition(tenant, state, id, Transition::Resume).await
}

pub async fn cancel(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonResponse<CampaignView>> {
    transition(tenant, state, id, Transition::Cancel).await
}

/// The campaign's webhook deliveries, newest first. A delivery carries its signed body,
/// never the secret it was signed with.
pub async fn webhooks(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<WebhookDelivery>>> {
    let campaigns = service(&state)?;
    let page = page.request()?;
    let deliveries = off_worker(move || campaigns.deliveries(&tenant.id, &id, &page)).await?;
    Ok(JsonResponse(deliveries))
}
