//! Placing calls: `POST /v1/calls` with `"channel": "sip"` lands here. Admission checks
//! the trunk (granted to the tenant, caller ID in its pool, channels and calls per second
//! free) and creates the call; then the call is dialled in its own task:
//!
//! ```text
//! INVITE ──► 100 ──► 180/183 (ringing) ──► 200 (answered: the script runs on RTP)
//!   │ 401/407: again with digest credentials         │ ring timeout: CANCEL (no-answer)
//!   └──► 486/603/404/5xx… : the record says busy, rejected, invalid-number, unavailable…
//! ```
//!
//! A call that is never answered still gets its record, with its progress and the SIP
//! code; the script runs only once the far end answers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::DialogState;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::transport::SipAddr;

use super::media_wire::{CallMedia, RtpSockets};
use super::progress;
use super::sdp::{self, Codec, Offer};
use super::trunk_limits::Channel;
use super::user_agent::Agent;
use huashu_calls::{
    CallError, CallService, CreatedCall, DialError, DialFuture, DialRequest, Dialer, NewCall,
    PendingCall,
};
use huashu_store::secrets::now_ms;
use huashu_store::{
    CallProgress, ProgressState, SipTransport as TrunkTransport, Tenant, Trunk, TrunkCodec,
    normalize_e164,
};

/// The SIP transport's [`Dialer`].
pub(crate) struct SipDialer {
    pub(crate) agent: Arc<Agent>,
}

impl Dialer for SipDialer {
    fn place(
        &self,
        calls: Arc<CallService>,
        tenant: Tenant,
        call: NewCall,
        dial: DialRequest,
    ) -> DialFuture {
        let agent = self.agent.clone();
        Box::pin(async move { place(agent, calls, tenant, call, dial).await })
    }
}

/// A call admitted to a trunk, ready to dial.
struct Admitted {
    trunk: Trunk,
    from: String,
    to: String,
    channel: Channel,
}

async fn place(
    agent: Arc<Agent>,
    calls: Arc<CallService>,
    tenant: Tenant,
    mut call: NewCall,
    dial: DialRequest,
) -> Result<CreatedCall, CallError> {
    let admitted = admit(&agent, &calls, &tenant, &dial)?;
    call.caller = admitted.from.clone();
    call.callee = admitted.to.clone();
    let (created, pending) = calls.create_and_claim(&tenant, call).await?;
    tokio::spawn(dial_call(agent, calls, pending, admitted, dial));
    Ok(created)
}

fn admit(
    agent: &Arc<Agent>,
    calls: &CallService,
    tenant: &Tenant,
    dial: &DialRequest,
) -> Result<Admitted, CallError> {
    let to = normalize_e164(&dial.to).ok_or_else(|| DialError::InvalidNumber(dial.to.clone()))?;
    let trunk = calls
        .store()
        .trunk(&dial.trunk)?
        .filter(|t| t.allows_tenant(&tenant.id))
        .ok_or_else(|| DialError::NoSuchTrunk(dial.trunk.clone()))?;
    let from = match &dial.from {
        Some(asked) => {
            let number = normalize_e164(asked).unwrap_or_else(|| asked.clone());
            if !trunk.has_caller_id(&number) {
                return Err(DialError::CallerIdNotInPool {
                    number: asked.clone(),
                    trunk: trunk.name.clone(),
                }
                .into());
            }
            number
        }
        None => {
            if trunk.caller_ids.is_empty() {
                return Err(DialError::NoCallerId(trunk.name.clone()).into());
            }
            let turn = agent.rotation.fetch_add(1, Ordering::Relaxed);
            trunk.caller_ids[turn % trunk.caller_ids.len()].clone()
        }
    };
    let channel = agent.trunks.admit(
        &trunk.name,
        trunk.max_channels,
        trunk.max_calls_per_second,
        Instant::now(),
    )?;
    Ok(Admitted {
        trunk,
        from,
        to,
        channel,
    })
}

/// Dials one admitted call and, once answered, runs it to its end.
async fn dial_call(
    agent: Arc<Agent>,
    calls: Arc<CallService>,
    mut pending: PendingCall,
    admitted: Admitted,
    dial: DialRequest,
) {
    let Admitted {
        trunk,
        from,
        to,
        channel: _channel,
    } = admitted;
    let mut progress = CallProgress {
        state: ProgressState::Dialing,
        sip_code: None,
        trunk: Some(trunk.name.clone()),
        from: from.clone(),
        to: to.clone(),
        dialed_at_ms: now_ms(),
        ringing_at_ms: None,
        answered_at_ms: None,
    };
    let target = next_hop(&trunk);
    let peer_ip = target.as_ref().map(|a| a.ip());
    let local_ip = agent.local_ip_towards(peer_ip);
    let Some(sockets) = RtpSockets::bind(&agent.ports, local_ip).await else {
        tracing::warn!(call_id = %pending.call_id, "no free RTP port: the call is not dialled");
        progress.state = ProgressState::Failed;
        return calls.record_unanswered(pending, progress).await;
    };
    let codecs: Vec<Codec> = trunk.codecs.iter().map(|c| codec(*c)).collect();
    let session_id = u64::from(rand::random::<u32>());
    let offer = match Offer::new(local_ip, sockets.rtp_port(), &codecs, session_id, 1).render() {
        Ok(offer) => offer,
        Err(error) => {
            tracing::warn!(call_id = %pending.call_id, %error, "no SDP offer for the trunk's codecs");
            progress.state = ProgressState::Failed;
            return calls.record_unanswered(pending, progress).await;
        }
    };
    let (state_tx, mut states) = agent.dialogs.new_dialog_state_channel();
    let invite = match invite_option(&agent, &trunk, &from, &to, offer.into_bytes(), &pending) {
        Ok(invite) => invite,
        Err(error) => {
            tracing::warn!(call_id = %pending.call_id, %error, "the INVITE could not be built");
            progress.state = ProgressState::Failed;
            return calls.record_unanswered(pending, progress).await;
        }
    };
    let (dialog, mut invite_done) = match agent.dialogs.do_invite_async(invite, state_tx) {
        Ok(started) => started,
        Err(error) => {
            tracing::warn!(call_id = %pending.call_id, %error, "the INVITE could not be sent");
            progress.state = ProgressState::Unavailable;
            return calls.record_unanswered(pending, progress).await;
        }
    };
    let ring_deadline = tokio::time::Instant::now() + dial.ring_timeout;
    let mut cancelled = false;
    let outcome = loop {
        tokio::select! {
            done = &mut invite_done => break done,
            Some(state) = states.recv() => {
                if let DialogState::Early(_, response) = &state
                    && progress::is_ringing(response.status_code.code())
                    && progress.ringing_at_ms.is_none()
                {
                    progress.state = ProgressState::Ringing;
                    progress.ringing_at_ms = Some(now_ms());
                }
            }
            () = tokio::time::sleep_until(ring_deadline), if !cancelled => {
                cancelled = true;
                if let Err(error) = dialog.cancel().await {
                    tracing::debug!(%error, "CANCEL at the ring timeout failed");
                }
            }
        }
    };
    let response = match outcome {
        Ok(Ok((_, response))) => response,
        Ok(Err(error)) => {
            tracing::info!(call_id = %pending.call_id, %error, "the INVITE failed");
            None
        }
        Err(error) => {
            tracing::error!(call_id = %pending.call_id, %error, "the INVITE task failed");
            None
        }
    };
    let code = response.as_ref().map(|r| r.status_code.code());
    progress.sip_code = code;
    progress.state = match code {
        _ if cancelled => ProgressState::NoAnswer,
        Some(code) => progress::final_response(code),
        None => ProgressState::Unavailable,
    };
    if progress.state != ProgressState::Answered {
        tracing::info!(call_id = %pending.call_id, state = ?progress.state, code, "the call was not answered");
        return calls.record_unanswered(pending, progress).await;
    }
    let answer = response.map(|r| r.body().clone()).unwrap_or_default();
    let negotiated = std::str::from_utf8(&answer)
        .ok()
        .and_then(|text| sdp::SessionDescription::parse(text).ok())
        .and_then(|answer| sdp::negotiated_from_answer(&codecs, &answer).ok());
    let Some(negotiated) = negotiated else {
        tracing::warn!(call_id = %pending.call_id, "the answer's SDP is unusable: hanging up");
        let _ = dialog.hangup().await;
        agent.dialogs.remove_dialog(&dialog.id());
        progress.state = ProgressState::Failed;
        return calls.record_unanswered(pending, progress).await;
    };
    progress.answered_at_ms = Some(now_ms());
    pending.progress = Some(progress);
    let media = CallMedia {
        agent: agent.clone(),
        dialog: dialog.clone(),
        states,
        sockets,
        negotiated,
        local_ip,
        session_id,
        trunk: Some(trunk),
    };
    media.run(calls, pending).await;
}

/// Where the INVITE goes first: the trunk's outbound proxy, else the trunk itself, when
/// either is an address (a host name is resolved by the SIP stack).
fn next_hop(trunk: &Trunk) -> Option<SocketAddr> {
    let host = trunk.outbound_proxy.clone().unwrap_or_else(|| {
        if trunk.host.contains(':') {
            format!("[{}]:{}", trunk.host, trunk.port)
        } else {
            format!("{}:{}", trunk.host, trunk.port)
        }
    });
    host.parse().ok()
}

fn codec(codec: TrunkCodec) -> Codec {
    match codec {
        TrunkCodec::Pcmu => Codec::Pcmu,
        TrunkCodec::Pcma => Codec::Pcma,
    }
}

/// `sip:USER@HOST:PORT`, with `;transport=tcp` for TCP trunks.
fn trunk_uri(user: &str, trunk: &Trunk) -> String {
    let host = match trunk.host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => trunk.host.clone(),
    };
    let transport = match trunk.transport {
        TrunkTransport::Udp => "",
        TrunkTransport::Tcp => ";transport=tcp",
    };
    format!("sip:{user}@{host}:{}{transport}", trunk.port)
}

fn invite_option(
    agent: &Agent,
    trunk: &Trunk,
    from: &str,
    to: &str,
    offer: Vec<u8>,
    pending: &PendingCall,
) -> Result<InviteOption, rsipstack::sip::Error> {
    let contact_host = match agent.sip_addr {
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        SocketAddr::V4(a) => a.to_string(),
    };
    let transport = match trunk.transport {
        TrunkTransport::Udp => "",
        TrunkTransport::Tcp => ";transport=tcp",
    };
    let credential = trunk.username.as_ref().map(|username| Credential {
        username: username.clone(),
        password: trunk.password.clone().unwrap_or_default(),
        realm: None,
        auth_username: None,
    });
    let destination = trunk
        .outbound_proxy
        .as_deref()
        .and_then(|proxy| proxy.parse::<SocketAddr>().ok())
        .map(|addr| SipAddr {
            r#type: Some(match trunk.transport {
                TrunkTransport::Udp => rsipstack::sip::Transport::Udp,
                TrunkTransport::Tcp => rsipstack::sip::Transport::Tcp,
            }),
            addr: addr.into(),
        });
    Ok(InviteOption {
        caller: trunk_uri(from, trunk).as_str().try_into()?,
        callee: trunk_uri(to, trunk).as_str().try_into()?,
        contact: format!("sip:huashu@{contact_host}{transport}")
            .as_str()
            .try_into()?,
        content_type: Some("application/sdp".into()),
        offer: Some(offer),
        credential,
        destination,
        call_id: Some(format!("{}@huashu", pending.call_id)),
        ..Default::default()
    })
}
