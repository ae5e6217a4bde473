//! The seam between calls and a telephony transport that places calls itself (SIP). The
//! API asks the call service to place a call; the service hands it to the [`Dialer`] the
//! server installed, which checks its trunk's rules, creates the call and dials. Calls
//! that are never answered still get a record ([`CallService::record_unanswered`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::service::{CallError, CallService, CreatedCall, NewCall, PendingCall};
use huashu_store::{CallProgress, CallStatus, Tenant};

/// Where and how to dial an outbound telephone call.
#[derive(Debug, Clone)]
pub struct DialRequest {
    /// The number to call, E.164.
    pub to: String,
    /// The trunk to dial through, by name.
    pub trunk: String,
    /// The calling number; must be in the trunk's caller-ID pool. Default: one from the
    /// pool.
    pub from: Option<String>,
    /// How long the far end may ring before the call is cancelled as `no-answer`.
    pub ring_timeout: Duration,
}

/// Why a telephone call could not be placed. Each is the tenant's to fix (a name, a
/// number) or to wait out (a busy trunk).
#[derive(Debug, Error)]
pub enum DialError {
    /// The server was started without a SIP listener.
    #[error("this server places no telephone calls: start it with --sip-listen")]
    Unavailable,
    /// No trunk of that name is granted to the tenant.
    #[error("no trunk `{0}` is available to this tenant")]
    NoSuchTrunk(String),
    /// The `from` number is not one of the trunk's caller IDs.
    #[error("`{number}` is not a caller ID of trunk `{trunk}`")]
    CallerIdNotInPool {
        /// The number asked for.
        number: String,
        /// The trunk.
        trunk: String,
    },
    /// The trunk has no caller IDs and none was given.
    #[error("trunk `{0}` has no caller IDs to call from")]
    NoCallerId(String),
    /// `to` is not a telephone number.
    #[error("`{0}` is not an E.164 telephone number (like +8613800138000)")]
    InvalidNumber(String),
    /// Every channel of the trunk is in use.
    #[error("trunk `{trunk}` has all {limit} channels in use")]
    TrunkBusy {
        /// The trunk.
        trunk: String,
        /// Its `max_channels`.
        limit: u32,
    },
    /// The trunk's calls-per-second limit was reached this second.
    #[error("trunk `{trunk}` takes at most {per_second} new calls per second")]
    TrunkRateLimited {
        /// The trunk.
        trunk: String,
        /// Its `max_calls_per_second`.
        per_second: u32,
    },
}

/// A future a [`Dialer`] returns.
pub type DialFuture = Pin<Box<dyn Future<Output = Result<CreatedCall, CallError>> + Send>>;

/// Places outbound telephone calls (the SIP transport implements it).
pub trait Dialer: Send + Sync {
    /// Checks `dial` against the trunk, creates the call with `calls` and starts dialing.
    /// Answers once the call exists; the call's progress then shows in its record.
    fn place(
        &self,
        calls: Arc<CallService>,
        tenant: Tenant,
        call: NewCall,
        dial: DialRequest,
    ) -> DialFuture;
}

impl CallService {
    /// Installs the transport that places telephone calls. Once only; later calls are
    /// ignored (the server wires one SIP transport at start).
    pub fn set_dialer(&self, dialer: Arc<dyn Dialer>) {
        let _ = self.dialer.set(dialer);
    }

    /// Whether a transport that places telephone calls is installed.
    pub fn places_calls(&self) -> bool {
        self.dialer.get().is_some()
    }

    /// Places a telephone call for `tenant` through the installed [`Dialer`].
    pub async fn place_call(
        self: &Arc<Self>,
        tenant: &Tenant,
        call: NewCall,
        dial: DialRequest,
    ) -> Result<CreatedCall, CallError> {
        let dialer = self
            .dialer
            .get()
            .cloned()
            .ok_or(CallError::Dial(DialError::Unavailable))?;
        dialer.place(self.clone(), tenant.clone(), call, dial).await
    }

    /// Creates a call and takes it at once, for transports that start calls themselves
    /// (SIP: a placed call, or an INVITE to a routed number) rather than waiting for a
    /// client to connect with the token.
    pub async fn create_and_claim(
        self: &Arc<Self>,
        tenant: &Tenant,
        call: NewCall,
    ) -> Result<(CreatedCall, PendingCall), CallError> {
        let channel = call.channel;
        let created = self.create_call(tenant, call).await?;
        let pending = self
            .claim(&created.call_id, &created.token, &[channel])
            .await?;
        Ok((created, pending))
    }

    /// Records a telephone call that was never answered (busy, no answer…) with its
    /// progress, and frees its place in the tenant's quota. The script never ran.
    pub async fn record_unanswered(
        self: &Arc<Self>,
        mut pending: PendingCall,
        progress: CallProgress,
    ) {
        pending.progress = Some(progress);
        let this = self.clone();
        if let Err(error) = tokio::task::spawn_blocking(move || {
            this.record_unstarted(vec![pending], CallStatus::Unanswered)
        })
        .await
        {
            tracing::error!(%error, "recording an unanswered call failed");
        }
    }
}
