//! One try at one webhook: the signed POST and what the receiver's answer (or silence)
//! means. Blocking; the outbox runs it off the async workers and decides what happens next.
//!
//! The client follows no redirects (a receiver that answers 3xx has moved, and following
//! it would send a signed body somewhere the tenant never named), ignores proxy settings
//! from the environment (a proxy would connect to the target itself, past the address
//! check), and gives each try one time budget from name lookup to the last byte.
//!
//! https URLs need the HTTP client's TLS support compiled in (its `rustls` feature); the
//! code here is the same either way.

use std::io::Read;
use std::time::Duration;

use huashu_outbound_http::address_policy::{CheckedResolver, RefusedAddress};
use huashu_store::campaigns::WebhookDelivery;
use ureq::Agent;

use super::signing::{self, EVENT_HEADER, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// Most bytes of a failing receiver's answer kept in `last_error`: enough for an error
/// message or the start of an HTML error page, small enough to list many deliveries.
const ANSWER_EXCERPT_BYTES: u64 = 256;
/// Idle connections kept per receiver: the outbox sends to one receiver one delivery at a
/// time, so one connection is all it can reuse.
const IDLE_CONNECTIONS_PER_HOST: usize = 1;

/// What one try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryOutcome {
    /// The receiver answered 2xx: delivered.
    Delivered {
        /// The status it answered.
        status: u16,
    },
    /// The receiver answered something else (3xx, 4xx, 5xx): tried again later.
    Answered {
        /// The status it answered.
        status: u16,
        /// What that means, for `last_error`.
        error: String,
    },
    /// No answer: the host did not resolve, the connection failed or timed out.
    Unreachable {
        /// Why, for `last_error`.
        error: String,
    },
    /// The URL's host resolves to an address webhooks may not go to: nothing was sent.
    Refused {
        /// Why, for `last_error`.
        error: String,
    },
}

/// Sends signed webhook POSTs; cheap to clone (clones share idle connections).
#[derive(Debug, Clone)]
pub struct WebhookClient {
    agent: Agent,
    timeout: Duration,
}

impl WebhookClient {
    /// A client whose tries each take at most `timeout`, and that sends to internal
    /// addresses only when `allow_private_targets` is set.
    pub fn new(timeout: Duration, allow_private_targets: bool) -> Self {
        let config = Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .proxy(None)
            .max_idle_connections_per_host(IDLE_CONNECTIONS_PER_HOST)
            .user_agent(concat!("huashu-webhooks/", env!("CARGO_PKG_VERSION")))
            .build();
        let connector = ureq::unversioned::transport::DefaultConnector::default();
        let agent = Agent::with_parts(
            config,
            connector,
            CheckedResolver::new(allow_private_targets),
        );
        Self { agent, timeout }
    }

    /// POSTs `delivery` to its URL, signed with `secret` at `now_secs`.
    pub fn send(&self, delivery: &WebhookDelivery, secret: &str, now_secs: u64) -> TryOutcome {
        let signature = signing::sign(secret, now_secs, delivery.body.as_bytes());
        let sent = self
            .agent
            .post(delivery.url.as_str())
            .header("Content-Type", "application/json")
            .header(ID_HEADER, delivery.id.as_str())
            .header(EVENT_HEADER, delivery.event.as_str())
            .header(TIMESTAMP_HEADER, now_secs.to_string())
            .header(SIGNATURE_HEADER, signature)
            .send(delivery.body.as_str());
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return self.failure(&error),
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            return TryOutcome::Delivered { status };
        }
        let error = if response.status().is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("nowhere");
            format!(
                "the receiver answered {status}, a redirect to {location}; webhooks do not \
                 follow redirects: set the campaign's webhook URL to the final address"
            )
        } else {
            let mut excerpt = Vec::new();
            let read = response
                .body_mut()
                .as_reader()
                .take(ANSWER_EXCERPT_BYTES)
                .read_to_end(&mut excerpt);
            let said = String::from_utf8_lossy(&excerpt);
            let said = said.trim();
            if read.is_err() || said.is_empty() {
                format!("the receiver answered {status}")
            } else {
                format!("the receiver answered {status}: {said}")
            }
        };
        TryOutcome::Answered { status, error }
    }

    fn failure(&self, error: &ureq::Error) -> TryOutcome {
        if let Some(refused) = RefusedAddress::within(error) {
            return TryOutcome::Refused {
                error: refused.to_string(),
            };
        }
        let error = match error {
            ureq::Error::Timeout(_) => format!(
                "the receiver did not answer within {} s",
                self.timeout.as_secs_f32()
            ),
            ureq::Error::HostNotFound => "the URL's host name does not resolve".to_owned(),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                "the connection was refused: nothing listens at the URL's host and port".to_owned()
            }
            ureq::Error::BadUri(why) => format!("the webhook URL cannot be used: {why}"),
            other => format!("the receiver could not be reached: {other}"),
        };
        TryOutcome::Unreachable { error }
    }
}
