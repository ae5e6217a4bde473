//! Tenant endpoints for recorded prompts (WAV): upload, list, download, delete.

use crate::blocking::off_worker;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use super::auth::TenantAuth;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Path, Query};
use super::pagination::PageQuery;
use huashu_media::wav;
use huashu_store::secrets::now_ms;
use huashu_store::{NAME_RULE, Page, PromptMeta, valid_name};

/// Largest prompt: about 10 minutes of 16 kHz mono PCM.
const MAX_PROMPT_BYTES: usize = 20 << 20;

pub async fn upload(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body,
) -> ApiResult<(StatusCode, JsonResponse<PromptMeta>)> {
    if !valid_name(&name) {
        return Err(ApiError::bad_request(format!(
            "`{name}` is not a valid name: {NAME_RULE}"
        )));
    }
    if body.len() > MAX_PROMPT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "prompt_too_large",
            format!("prompts may be at most {MAX_PROMPT_BYTES} bytes"),
        ));
    }
    let info = wav::parse(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_prompt",
            e.to_string(),
        )
    })?;
    let meta = PromptMeta {
        tenant_id: tenant.id.clone(),
        name,
        size_bytes: body.len() as u64,
        duration_ms: info.duration_ms(),
        sample_rate: info.sample_rate,
        channels: info.channels,
        created_at_ms: now_ms(),
    };
    let (store, stored) = (state.store.clone(), meta.clone());
    off_worker(move || store.put_prompt(&stored, &body)).await?;
    if let Some(voice) = state.calls.voice() {
        voice.prompt_changed(&tenant.id, &meta.name);
    }
    Ok((StatusCode::CREATED, JsonResponse(meta)))
}

pub async fn list(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<JsonResponse<Page<PromptMeta>>> {
    Ok(JsonResponse(
        state.store.list_prompts(&tenant.id, &page.request()?)?,
    ))
}

pub async fn download(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let (_, wav) = state
        .store
        .prompt(&tenant.id, &name)?
        .ok_or_else(|| ApiError::not_found(format!("no prompt named `{name}`")))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], wav))
}

pub async fn remove(
    TenantAuth { tenant }: TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if let Some(voice) = state.calls.voice() {
        voice.prompt_changed(&tenant.id, &name);
    }
    let (store, tenant_id, prompt) = (state.store.clone(), tenant.id.clone(), name.clone());
    if off_worker(move || store.delete_prompt(&tenant_id, &prompt)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no prompt named `{name}`")))
    }
}
