//! Operator endpoints for the stored telephony configuration: SIP trunks (`/v1/trunks`) and
//! the numbers routed to tenants' scripts (`/v1/numbers`).
//!
//! A trunk's password goes in and never comes out: answers carry [`TrunkView`], which says
//! `has_password` instead; the request body has no `Debug`; log lines name the trunk and
//! its host only. Replacing a trunk without a `password` field keeps the stored one, so an
//! operator edits a trunk without having the password at hand; `"password": null` clears
//! it.
//!
//! A rule broken by the body is 422 with the code `invalid_trunk` or `invalid_number` and
//! a message that starts with the field (`` `caller_ids[1]` "138…" is not an E.164
//! number…``). The rules themselves live with the types, in `huashu_store::telephony`.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};

use super::AppState;
use super::auth::Operator;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
use huashu_store::secrets::now_ms;
use huashu_store::telephony::{
    DEFAULT_MAX_CALLS_PER_SECOND, DEFAULT_MAX_CHANNELS, DEFAULT_SIP_PORT, E164_RULE,
};
use huashu_store::{InvalidField, RoutedNumber, SipTransport, Trunk, TrunkCodec, normalize_e164};

/// The body of `PUT /v1/trunks/{name}`: every setting but the name (from the path) and the
/// times (the server's). No `Debug`: it holds the password.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkInput {
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    #[serde(default)]
    transport: SipTransport,
    #[serde(default)]
    outbound_proxy: Option<String>,
    #[serde(default)]
    username: Option<String>,
    /// Absent: keep the stored password; `null`: clear it; a string: set it.
    #[serde(default, deserialize_with = "present")]
    password: Option<Option<String>>,
    #[serde(default)]
    caller_ids: Vec<String>,
    #[serde(default = "default_max_channels")]
    max_channels: u32,
    #[serde(default = "default_max_calls_per_second")]
    max_calls_per_second: u32,
    #[serde(default = "default_codecs")]
    codecs: Vec<TrunkCodec>,
    #[serde(default)]
    tenants: Vec<String>,
}

fn default_port() -> u16 {
    DEFAULT_SIP_PORT
}

fn default_max_channels() -> u32 {
    DEFAULT_MAX_CHANNELS
}

fn default_max_calls_per_second() -> u32 {
    DEFAULT_MAX_CALLS_PER_SECOND
}

fn default_codecs() -> Vec<TrunkCodec> {
    TrunkCodec::DEFAULT_PREFERENCE.to_vec()
}

/// A field that was sent, `null` included, as `Some`; an absent one stays `None` (the
/// field's `default`).
fn present<'de, D: Deserializer<'de>>(fields: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(fields).map(Some)
}

/// A trunk as the operator sees it: everything but the password.
#[derive(Debug, Serialize)]
pub struct TrunkView {
    name: String,
    host: String,
    port: u16,
    transport: SipTransport,
    outbound_proxy: Option<String>,
    username: Option<String>,
    /// Whether a password is stored; the password itself is never shown.
    has_password: bool,
    caller_ids: Vec<String>,
    max_channels: u32,
    max_calls_per_second: u32,
    codecs: Vec<TrunkCodec>,
    tenants: Vec<String>,
    created_at_ms: u64,
    updated_at_ms: u64,
}

impl From<Trunk> for TrunkView {
    fn from(trunk: Trunk) -> Self {
        Self {
            has_password: trunk.password.is_some(),
            name: trunk.name,
            host: trunk.host,
            port: trunk.port,
            transport: trunk.transport,
            outbound_proxy: trunk.outbound_proxy,
            username: trunk.username,
            caller_ids: trunk.caller_ids,
            max_channels: trunk.max_channels,
            max_calls_per_second: trunk.max_calls_per_second,
            codecs: trunk.codecs,
            tenants: trunk.tenants,
            created_at_ms: trunk.created_at_ms,
            updated_at_ms: trunk.updated_at_ms,
        }
    }
}

/// The body of `PUT /v1/numbers/{number}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberInput {
    tenant_id: String,
    module: String,
}

/// 422 `code` for a field that breaks a rule.
fn invalid(code: &'static str, error: InvalidField) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, error.to_string())
}

/// 422 unless the tenant `tenant_id` (sent in `field`) exists.
fn check_tenant(
    state: &AppState,
    code: &'static str,
    field: String,
    tenant_id: &str,
) -> ApiResult<()> {
    match state.store.tenant(tenant_id)? {
        Some(_) => Ok(()),
        None => Err(invalid(
            code,
            InvalidField::new(field, format!("no tenant `{tenant_id}`")),
        )),
    }
}

fn no_trunk(name: &str) -> ApiError {
    ApiError::not_found(format!("no trunk named `{name}`"))
}

pub async fn put_trunk(
    _: Operator,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(body): Json<TrunkInput>,
) -> ApiResult<JsonResponse<TrunkView>> {
    let caller_ids = body
        .caller_ids
        .iter()
        .enumerate()
        .map(|(i, number)| {
            normalize_e164(number).ok_or_else(|| {
                invalid(
                    "invalid_trunk",
                    InvalidField::new(
                        format!("caller_ids[{i}]"),
                        format!("{number:?} is not an E.164 number: {E164_RULE}"),
                    ),
                )
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let stored = state.store.trunk(&name)?;
    let now = now_ms();
    let trunk = Trunk {
        host: body.host,
        port: body.port,
        transport: body.transport,
        outbound_proxy: body.outbound_proxy,
        username: body.username,
        password: match body.password {
            Some(password) => password,
            None => stored.as_ref().and_then(|t| t.password.clone()),
        },
        caller_ids,
        max_channels: body.max_channels,
        max_calls_per_second: body.max_calls_per_second,
        codecs: body.codecs,
        tenants: body.tenants,
        created_at_ms: stored.as_ref().map_or(now, |t| t.created_at_ms),
        updated_at_ms: now,
        name,
    };
    trunk.validate().map_err(|e| invalid("invalid_trunk", e))?;
    for (i, tenant_id) in trunk.tenants.iter().enumerate() {
        check_tenant(&state, "invalid_trunk", format!("tenants[{i}]"), tenant_id)?;
    }
    let (store, written) = (state.store.clone(), trunk.clone());
    off_worker(move || store.put_trunk(&written)).await?;
    tracing::info!(
        trunk = %trunk.name,
        host = %trunk.host,
        replaced = stored.is_some(),
        "trunk stored"
    );
    Ok(JsonResponse(trunk.into()))
}

pub async fn get_trunk(
    _: Operator,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<JsonResponse<TrunkView>> {
    let trunk = state.store.trunk(&name)?.ok_or_else(|| no_trunk(&name))?;
    Ok(JsonResponse(trunk.into()))
}

pub async fn list_trunks(
    _: Operator,
    State(state): State<AppState>,
) -> ApiResult<JsonResponse<Vec<TrunkView>>> {
    let trunks = state.store.list_trunks()?;
    Ok(JsonResponse(trunks.into_iter().map(Into::into).collect()))
}

pub async fn delete_trunk(
    _: Operator,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let (store, deleted) = (state.store.clone(), name.clone());
    if !off_worker(move || store.delete_trunk(&deleted)).await? {
        return Err(no_trunk(&name));
    }
    tracing::info!(trunk = %name, "trunk deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn no_route(number: &str) -> ApiError {
    match normalize_e164(number) {
        Some(e164) => ApiError::not_found(format!("no route for {e164}")),
        None => ApiError::not_found(format!(
            "no route for {number:?}: it is not an E.164 number ({E164_RULE}; in a URL, `+` is `%2B`)"
        )),
    }
}

pub async fn put_number(
    _: Operator,
    State(state): State<AppState>,
    Path(number): Path<String>,
    Json(body): Json<NumberInput>,
) -> ApiResult<JsonResponse<RoutedNumber>> {
    let e164 = normalize_e164(&number).ok_or_else(|| {
        invalid(
            "invalid_number",
            InvalidField::new(
                "number",
                format!("{number:?} is not an E.164 number: {E164_RULE}; in a URL, `+` is `%2B`"),
            ),
        )
    })?;
    let route = RoutedNumber {
        number: e164,
        tenant_id: body.tenant_id,
        module: body.module,
        updated_at_ms: now_ms(),
    };
    route.validate().map_err(|e| invalid("invalid_number", e))?;
    check_tenant(
        &state,
        "invalid_number",
        "tenant_id".into(),
        &route.tenant_id,
    )?;
    let (store, written) = (state.store.clone(), route.clone());
    off_worker(move || store.put_number(&written)).await?;
    tracing::info!(
        number = %route.number,
        tenant = %route.tenant_id,
        module = %route.module,
        "number routed"
    );
    Ok(JsonResponse(route))
}

pub async fn get_number(
    _: Operator,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<JsonResponse<RoutedNumber>> {
    let route = match normalize_e164(&number) {
        Some(e164) => state.store.number(&e164)?,
        None => None,
    };
    route.map(JsonResponse).ok_or_else(|| no_route(&number))
}

pub async fn list_numbers(
    _: Operator,
    State(state): State<AppState>,
) -> ApiResult<JsonResponse<Vec<RoutedNumber>>> {
    Ok(JsonResponse(state.store.list_numbers()?))
}

pub async fn delete_number(
    _: Operator,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    let Some(e164) = normalize_e164(&number) else {
        return Err(no_route(&number));
    };
    let (store, deleted) = (state.store.clone(), e164.clone());
    if !off_worker(move || store.delete_number(&deleted)).await? {
        return Err(no_route(&number));
    }
    tracing::info!(number = %e164, "number route deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::TrunkInput;

    fn password(body: &str) -> Option<Option<String>> {
        serde_json::from_str::<TrunkInput>(body)
            .expect("a valid body")
            .password
    }

    #[test]
    fn an_absent_password_keeps_null_clears_and_a_string_sets() {
        assert_eq!(password(r#"{"host":"h"}"#), None);
        assert_eq!(password(r#"{"host":"h","password":null}"#), Some(None));
        assert_eq!(
            password(r#"{"host":"h","password":"pw"}"#),
            Some(Some("pw".into()))
        );
    }

    #[test]
    fn omitted_settings_take_their_defaults_and_unknown_ones_are_refused() {
        let body: TrunkInput = serde_json::from_str(r#"{"host":"h"}"#).expect("a valid body");
        assert_eq!(
            (body.port, body.max_channels, body.max_calls_per_second),
            (5060, 30, 5)
        );
        assert_eq!(body.codecs, huashu_store::TrunkCodec::DEFAULT_PREFERENCE);
        assert!(body.caller_ids.is_empty() && body.tenants.is_empty());
        assert!(serde_json::from_str::<TrunkInput>(r#"{"host":"h","secret":"x"}"#).is_err());
        assert!(serde_json::from_str::<TrunkInput>(r#"{"host":"h","codecs":["g729"]}"#).is_err());
    }
}
