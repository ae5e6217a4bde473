//! Turning a Twilio `start` message into a claimed call. Twilio stream URLs carry no query
//! string, so the call is named in `start.customParameters`:
//!
//! - `huashu_key` = a call token (`ct_…`) from `POST /v1/calls` with `"channel":"twilio"`:
//!   the call created then, with its module and variables; or
//! - `huashu_key` = a tenant API key, and `module` (optionally `module_version`): a call
//!   created now. Every other parameter becomes a call variable; `from` and `to` are also
//!   the caller and callee, and `direction` (`inbound`/`outbound`) the call's direction.

use std::collections::BTreeMap;

use serde_json::Value;

use super::messages::Start;
use std::sync::Arc;

use crate::{
    CLOSE_BAD_TOKEN, CLOSE_FORBIDDEN, CLOSE_GOING_AWAY, CLOSE_INTERNAL, CLOSE_NOT_WAITING,
    CLOSE_POLICY, CLOSE_QUOTA, CLOSE_UNSUPPORTED,
};
use huashu_calls::CallService;
use huashu_calls::{CallError, NewCall, PendingCall};
use huashu_contract::{Channel, Direction};
use huashu_media::transport_codec::TransportCodec;
use huashu_store::{AuthError, authenticate};

/// Parameters that steer admission and are not call variables.
const RESERVED: [&str; 3] = ["huashu_key", "module", "module_version"];

/// Why a stream is turned away: a close code and a reason for the gateway's logs.
#[derive(Debug)]
pub struct Refusal {
    pub code: u16,
    pub reason: String,
}

fn refuse(code: u16, reason: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
}

/// The codec of the stream's media format (Twilio: `audio/x-mulaw` at 8000 Hz, mono).
pub fn codec(start: &Start) -> Result<TransportCodec, Refusal> {
    let Some(format) = &start.media_format else {
        return Ok(TransportCodec::Mulaw8k);
    };
    let codec = match format.encoding.as_str() {
        "audio/x-mulaw" => TransportCodec::Mulaw8k,
        "audio/x-alaw" => TransportCodec::Alaw8k,
        other => {
            return Err(refuse(
                CLOSE_UNSUPPORTED,
                format!("media encoding `{other}` is not supported; send audio/x-mulaw"),
            ));
        }
    };
    if format.sample_rate != 8_000 || format.channels != 1 {
        return Err(refuse(
            CLOSE_UNSUPPORTED,
            format!(
                "media must be 8000 Hz mono, not {} Hz with {} channels",
                format.sample_rate, format.channels
            ),
        ));
    }
    Ok(codec)
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Claims the call `start` names.
pub async fn admit(calls: &Arc<CallService>, start: &Start) -> Result<PendingCall, Refusal> {
    let params = &start.custom_parameters;
    let key = params
        .get("huashu_key")
        .and_then(text)
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| {
            refuse(
                CLOSE_BAD_TOKEN,
                "start.customParameters.huashu_key is missing: pass a call token or an API key",
            )
        })?;
    if key.starts_with("ct_") {
        return calls
            .claim_by_token(&key, Channel::Twilio)
            .await
            .map_err(call_refusal);
    }
    let tenant = authenticate(calls.store().as_ref(), &key).map_err(|error| match error {
        AuthError::Store(error) => refuse(CLOSE_INTERNAL, error.to_string()),
        unknown => refuse(CLOSE_BAD_TOKEN, format!("huashu_key: {unknown}")),
    })?;
    let module = params.get("module").and_then(text).ok_or_else(|| {
        refuse(
            CLOSE_POLICY,
            "start.customParameters.module is missing: name the module to run",
        )
    })?;
    let version = match params.get("module_version").and_then(text) {
        Some(v) => Some(v.trim().parse::<u32>().map_err(|_| {
            refuse(
                CLOSE_POLICY,
                format!("module_version `{v}` is not a number"),
            )
        })?),
        None => None,
    };
    let request = NewCall {
        module,
        version,
        variables: variables(params)?,
        channel: Channel::Twilio,
        direction: match params.get("direction").and_then(text).as_deref() {
            Some("inbound") => Direction::Inbound,
            _ => Direction::Outbound,
        },
        caller: params.get("from").and_then(text).unwrap_or_default(),
        callee: params.get("to").and_then(text).unwrap_or_default(),
        campaign_id: None,
    };
    let created = calls
        .create_call(&tenant, request)
        .await
        .map_err(call_refusal)?;
    calls
        .claim(&created.call_id, &created.token, &[Channel::Twilio])
        .await
        .map_err(call_refusal)
}

/// Every custom parameter but the reserved ones, as call variables.
fn variables(params: &BTreeMap<String, Value>) -> Result<Vec<(String, String)>, Refusal> {
    params
        .iter()
        .filter(|(name, _)| !RESERVED.contains(&name.as_str()))
        .map(|(name, value)| {
            text(value).map(|v| (name.clone(), v)).ok_or_else(|| {
                refuse(
                    CLOSE_POLICY,
                    format!("custom parameter `{name}` must be a string or number"),
                )
            })
        })
        .collect()
}

fn call_refusal(error: CallError) -> Refusal {
    let code = match &error {
        CallError::BadToken => CLOSE_BAD_TOKEN,
        CallError::ModuleNotFound(_)
        | CallError::VersionNotFound { .. }
        | CallError::NotWaiting(_)
        | CallError::WrongChannel(_) => CLOSE_NOT_WAITING,
        CallError::TenantDisabled => CLOSE_FORBIDDEN,
        CallError::QuotaExceeded { .. } => CLOSE_QUOTA,
        CallError::ShuttingDown => CLOSE_GOING_AWAY,
        CallError::Load(_)
        | CallError::VoiceUnavailable
        | CallError::Media(_)
        | CallError::Dial(_)
        | CallError::Store(_) => CLOSE_INTERNAL,
    };
    let reason = match error {
        CallError::BadToken => "unknown, used or expired call token".to_owned(),
        other => other.to_string(),
    };
    refuse(code, reason)
}
