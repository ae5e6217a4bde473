//! Outbound HTTP for call scripts: the stage that carries out a script's `http-request`
//! action and produces the `http-response` event's payload.
//!
//! # Layout
//! - [`allowlist`]: which origins (scheme, host, port) a tenant's scripts may reach, as the
//!   operator set them and the tenant narrowed them, and whether an origin may be on a
//!   private network.
//! - [`address_policy`]: which addresses a request may connect to (loopback, private,
//!   link-local… only where allowed), checked in the HTTP client's resolver on the very
//!   addresses connected to; campaign webhooks use it too.
//! - `client`: [`OutboundHttp::send`], the public face: a request, the tenant's
//!   [`HttpPolicy`] and its [`SecretSource`] in, a response or an error value out.
//! - `request_check`: the checks before anything is sent (method, URL, allowlist, headers,
//!   secrets), and the prepared request that keeps secret values out of its `Debug`.
//! - `exchange`: one request's blocking exchange: a client per hop, redirects followed and
//!   re-checked by hand, the response read within the cap.
//! - `in_flight`: each tenant's requests in flight, and the guard that holds one place.
//!
//! Nothing here knows about sessions or calls: the calls stage hands a request, the
//! tenant's policy and a way to read its secrets, and gets a response or an error value.

pub mod address_policy;
pub mod allowlist;
mod client;
mod exchange;
mod in_flight;
mod request_check;

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod redirect_tests;
#[cfg(test)]
mod test_server;

pub use allowlist::{AllowEntry, Allowlist, AllowlistError, Origin};
pub use client::{HttpPolicy, OutboundHttp, SecretSource};
