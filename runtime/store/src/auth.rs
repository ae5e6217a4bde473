//! Who holds a secret: the one way an API key becomes its tenant, for the HTTP API and for
//! every call transport alike.
//!
//! A store that cannot answer is reported as such, never as an unknown key: a client told
//! "unknown key" during an outage would throw away a valid key.

use thiserror::Error;

use crate::secrets::sha256_hex;
use crate::{ApiKey, Store, StoreError, Tenant};

/// Why a secret does not name a tenant.
#[derive(Debug, Error)]
pub enum AuthError {
    /// No key has this secret, or the key was revoked.
    #[error("unknown or revoked API key")]
    UnknownKey,
    /// The key exists but its tenant was deleted.
    #[error("the key's tenant no longer exists")]
    TenantGone,
    /// The store could not answer; the key may well be valid.
    #[error("cannot check the key now: {0}")]
    Store(#[from] StoreError),
}

/// The tenant whose live (unrevoked) API key `secret` is.
pub fn authenticate(store: &dyn Store, secret: &str) -> Result<Tenant, AuthError> {
    authenticate_key(store, secret).map(|(_, tenant)| tenant)
}

/// [`authenticate`], with the key that matched: for actions recorded under the key's id.
pub fn authenticate_key(store: &dyn Store, secret: &str) -> Result<(ApiKey, Tenant), AuthError> {
    let key = store
        .api_key_by_secret_sha256(&sha256_hex(secret))?
        .filter(|key| !key.revoked)
        .ok_or(AuthError::UnknownKey)?;
    let tenant = store.tenant(&key.tenant_id)?.ok_or(AuthError::TenantGone)?;
    Ok((key, tenant))
}
