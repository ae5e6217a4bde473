//! Answering calls: an INVITE to a number the operator routed (`PUT /v1/numbers/…`) runs
//! that number's module on the call. Refusals follow what a carrier expects: 404 for a
//! number routed nowhere, 403 for a disabled tenant, 488 for an offer with no codec in
//! common, 503 when the tenant or the server has no room (the carrier then tries another
//! route), 400 for an INVITE without a usable body.

use std::sync::Arc;

use rsipstack::sip::{Header, HeadersExt, StatusCode};
use rsipstack::transaction::transaction::Transaction;

use super::media_wire::{CallMedia, RtpSockets};
use super::sdp::{self, Codec, SdpError};
use super::user_agent::Agent;
use huashu_calls::{CallError, CallService, NewCall, PendingCall};
use huashu_contract::{Channel, Direction};
use huashu_store::secrets::now_ms;
use huashu_store::{CallProgress, ProgressState, normalize_e164};

/// What we answer with, best first: A-law is what most carriers outside North America and
/// Japan run natively (mainland China included), so no transcoding happens on their side.
const ANSWER_CODECS: [Codec; 2] = [Codec::Pcma, Codec::Pcmu];

/// Answers one new INVITE, and runs the call if it is accepted.
pub(crate) async fn answer(agent: Arc<Agent>, calls: Arc<CallService>, mut tx: Transaction) {
    let (media, pending) = match accept(&agent, &calls, &tx).await {
        Ok(accepted) => accepted,
        Err(status) => {
            if let Err(error) = tx.reply(status).await {
                tracing::debug!(%error, "refusing an INVITE failed");
            }
            return;
        }
    };
    // The INVITE transaction runs beside the call: it retransmits our 200 until the ACK
    // arrives, and hands that ACK to the dialog.
    let mut dialog = media.dialog.clone();
    tokio::spawn(async move {
        if let Err(error) = dialog.handle(&mut tx).await {
            tracing::debug!(%error, "the INVITE transaction ended with an error");
        }
    });
    media.run(calls, pending).await;
}

/// Checks an INVITE, creates its call and sends 200 with our answer.
async fn accept(
    agent: &Arc<Agent>,
    calls: &Arc<CallService>,
    tx: &Transaction,
) -> Result<(CallMedia, PendingCall), StatusCode> {
    let request = &tx.original;
    let dialed = request.uri().user().unwrap_or_default().to_owned();
    let number = normalize_e164(&dialed)
        .or_else(|| normalize_e164(&format!("+{dialed}")))
        .ok_or(StatusCode::NotFound)?;
    let caller = request
        .from_header()
        .ok()
        .and_then(|from| from.uri().ok())
        .and_then(|uri| uri.user().map(str::to_owned))
        .unwrap_or_default();
    let store = calls.store().clone();
    let route = store
        .number(&number)
        .map_err(|_| StatusCode::ServiceUnavailable)?
        .ok_or(StatusCode::NotFound)?;
    let tenant = store
        .tenant(&route.tenant_id)
        .map_err(|_| StatusCode::ServiceUnavailable)?
        .ok_or(StatusCode::NotFound)?;
    if tenant.disabled {
        return Err(StatusCode::Forbidden);
    }
    let offer = std::str::from_utf8(request.body())
        .map_err(|_| StatusCode::BadRequest)
        .and_then(|text| {
            sdp::SessionDescription::parse(text).map_err(|_| StatusCode::BadRequest)
        })?;
    let peer_ip = offer.media.iter().find_map(|m| offer.connection_of(m));
    let local_ip = agent.local_ip_towards(peer_ip);
    let sockets = RtpSockets::bind(&agent.ports, local_ip)
        .await
        .ok_or(StatusCode::ServiceUnavailable)?;
    let session_id = u64::from(rand::random::<u32>());
    let (answer_sdp, negotiated) = sdp::answer(
        &offer,
        local_ip,
        sockets.rtp_port(),
        &ANSWER_CODECS,
        session_id,
    )
    .map_err(|error| match error {
        SdpError::NoCommonCodec { .. } => StatusCode::NotAcceptableHere,
        _ => StatusCode::BadRequest,
    })?;
    let call = NewCall {
        module: route.module.clone(),
        version: None,
        variables: Vec::new(),
        channel: Channel::Sip,
        direction: Direction::Inbound,
        caller: caller.clone(),
        callee: number.clone(),
        campaign_id: None,
    };
    let (created, mut pending) = calls
        .create_and_claim(&tenant, call)
        .await
        .map_err(|error| {
            tracing::info!(%number, %error, "an inbound call was refused");
            match error {
                CallError::ModuleNotFound(_) | CallError::VersionNotFound { .. } => {
                    StatusCode::NotFound
                }
                CallError::TenantDisabled => StatusCode::Forbidden,
                _ => StatusCode::ServiceUnavailable,
            }
        })?;
    let (state_tx, states) = agent.dialogs.new_dialog_state_channel();
    let contact = format!("sip:{number}@{}", agent.sip_addr)
        .as_str()
        .try_into()
        .ok();
    let dialog = match agent
        .dialogs
        .get_or_create_server_invite(tx, state_tx, None, contact)
    {
        Ok(dialog) => dialog,
        Err(error) => {
            tracing::warn!(%error, "an inbound dialog could not be created");
            calls
                .record_unanswered(pending, progress(&caller, &number, ProgressState::Failed))
                .await;
            return Err(StatusCode::ServerInternalError);
        }
    };
    let mut answered = progress(&caller, &number, ProgressState::Answered);
    answered.answered_at_ms = Some(answered.dialed_at_ms);
    pending.progress = Some(answered);
    let headers = vec![Header::ContentType("application/sdp".into())];
    if let Err(error) = dialog.accept(Some(headers), Some(answer_sdp.into_bytes())) {
        tracing::warn!(call_id = %created.call_id, %error, "the 200 OK could not be sent");
    }
    let media = CallMedia {
        agent: agent.clone(),
        dialog,
        states,
        sockets,
        negotiated,
        local_ip,
        session_id,
        trunk: None,
    };
    Ok((media, pending))
}

fn progress(caller: &str, number: &str, state: ProgressState) -> CallProgress {
    CallProgress {
        state,
        sip_code: Some(200).filter(|_| state == ProgressState::Answered),
        trunk: None,
        from: caller.into(),
        to: number.into(),
        dialed_at_ms: now_ms(),
        ringing_at_ms: None,
        answered_at_ms: None,
    }
}
