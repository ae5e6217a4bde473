//! What one try means for its delivery: delivered, retried after a backoff, or given up
//! on; and whether the receiver's other deliveries should wait for that retry.
//!
//! Pure: the time of the try and the jitter come in, the delivery's next state comes out.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use huashu_store::campaigns::{WebhookDelivery, WebhookState};

use super::delivery::TryOutcome;
use super::outbox::OutboxConfig;

/// The wait after a first failed try; each further failure doubles it.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Most of a wait taken off at random: spreads retries of deliveries that failed together.
const JITTER_SHARE: f64 = 0.1;

/// What a delivery becomes after one try that came to `outcome` at `now_ms`; `jitter` is
/// in `[0, 1)` and takes up to [`JITTER_SHARE`] off the wait.
pub(crate) fn after_try(
    delivery: WebhookDelivery,
    outcome: &TryOutcome,
    now_ms: u64,
    config: &OutboxConfig,
    jitter: f64,
) -> WebhookDelivery {
    let tries = delivery.tries.saturating_add(1);
    let (last_status, error) = match outcome {
        TryOutcome::Delivered { status } => {
            return WebhookDelivery {
                state: WebhookState::Delivered,
                tries,
                last_status: Some(*status),
                last_error: None,
                delivered_at_ms: Some(now_ms),
                ..delivery
            };
        }
        TryOutcome::Answered { status, error } => (Some(*status), error.clone()),
        TryOutcome::Unreachable { error } | TryOutcome::Refused { error } => (None, error.clone()),
    };
    let give_up_at = delivery
        .created_at_ms
        .saturating_add(millis(config.give_up_after));
    if now_ms >= give_up_at {
        let hours = config.give_up_after.as_secs() / 3600;
        return WebhookDelivery {
            state: WebhookState::Failed,
            tries,
            last_status,
            last_error: Some(format!(
                "{error}; gave up after {tries} tries over {hours} h"
            )),
            ..delivery
        };
    }
    let wait = backoff(tries, config.max_backoff, jitter);
    WebhookDelivery {
        tries,
        last_status,
        last_error: Some(error),
        next_try_at_ms: now_ms.saturating_add(millis(wait)),
        ..delivery
    }
}

/// A delivery that cannot be sent any more, failed with `reason` (no try counted).
pub(crate) fn abandon(delivery: WebhookDelivery, reason: &str) -> WebhookDelivery {
    WebhookDelivery {
        state: WebhookState::Failed,
        last_error: Some(reason.to_owned()),
        ..delivery
    }
}

/// The wait after the `tries`-th failed try: 1 s doubled per earlier failure, at most
/// `max`, less up to a tenth by `jitter` (in `[0, 1)`).
pub(crate) fn backoff(tries: u32, max: Duration, jitter: f64) -> Duration {
    // 2^20 s is past any sane `max_backoff`; the shift stops there so it cannot overflow.
    let doublings = tries.saturating_sub(1).min(20);
    let full = FIRST_BACKOFF.saturating_mul(1 << doublings).min(max);
    full.mul_f64(1.0 - JITTER_SHARE * jitter.clamp(0.0, 1.0))
}

/// Whether an outcome says the receiver as a whole is not taking deliveries now (rather
/// than refusing this one): its other deliveries then wait for the retry.
pub(crate) fn receiver_unwell(outcome: &TryOutcome) -> bool {
    match outcome {
        TryOutcome::Delivered { .. } => false,
        TryOutcome::Unreachable { .. } | TryOutcome::Refused { .. } => true,
        TryOutcome::Answered { status, .. } => {
            *status == 429 || *status >= 500 || (300..400).contains(status)
        }
    }
}

/// A number in `[0, 1)` that differs on every call (std's hasher keys are random).
pub(crate) fn jitter() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(huashu_store::secrets::now_ms());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use huashu_store::campaigns::WebhookEvent;

    use super::*;

    const CREATED_MS: u64 = 1_000_000;

    fn pending(url: &str) -> WebhookDelivery {
        WebhookDelivery {
            id: "wh_00112233aabbccdd".into(),
            tenant_id: "t_1".into(),
            campaign_id: "cp_1".into(),
            event: WebhookEvent::ContactFinished,
            url: url.into(),
            body: "{}".into(),
            created_at_ms: CREATED_MS,
            state: WebhookState::Pending,
            tries: 0,
            next_try_at_ms: CREATED_MS,
            last_status: None,
            last_error: None,
            delivered_at_ms: None,
        }
    }

    fn server_error() -> TryOutcome {
        TryOutcome::Answered {
            status: 500,
            error: "the receiver answered 500".into(),
        }
    }

    #[test]
    fn waits_double_from_one_second_up_to_the_cap() {
        let max = Duration::from_secs(5 * 60);
        let waits: Vec<u64> = (1..=10).map(|t| backoff(t, max, 0.0).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(backoff(u32::MAX, max, 0.0), max);
    }

    #[test]
    fn jitter_only_shortens_a_wait_and_by_at_most_a_tenth() {
        let max = Duration::from_secs(300);
        let shortest = backoff(3, max, 0.999_999);
        assert!(shortest >= Duration::from_millis(3600) && shortest < Duration::from_millis(3601));
        for _ in 0..100 {
            let wait = backoff(3, max, jitter());
            assert!(
                wait > Duration::from_millis(3599) && wait <= Duration::from_secs(4),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn a_2xx_marks_the_delivery_delivered() {
        let config = OutboxConfig::default();
        let mut failed_once = pending("https://crm.example/hook");
        failed_once.last_error = Some("earlier".into());
        let after = after_try(
            failed_once,
            &TryOutcome::Delivered { status: 204 },
            CREATED_MS + 5,
            &config,
            0.0,
        );
        assert_eq!(after.state, WebhookState::Delivered);
        assert_eq!((after.tries, after.last_status), (1, Some(204)));
        assert_eq!(
            (after.last_error, after.delivered_at_ms),
            (None, Some(CREATED_MS + 5))
        );
    }

    #[test]
    fn a_failed_try_is_counted_and_retried_after_the_backoff() {
        let config = OutboxConfig::default();
        let mut delivery = pending("https://crm.example/hook");
        delivery.tries = 2;
        let now = CREATED_MS + 10_000;
        let after = after_try(delivery, &server_error(), now, &config, 0.0);
        assert_eq!(after.state, WebhookState::Pending);
        assert_eq!((after.tries, after.last_status), (3, Some(500)));
        assert_eq!(after.next_try_at_ms, now + 4_000);
        assert_eq!(
            after.last_error.as_deref(),
            Some("the receiver answered 500")
        );
    }

    #[test]
    fn a_delivery_failing_past_give_up_after_is_failed() {
        let config = OutboxConfig::default();
        let deadline = CREATED_MS + millis(config.give_up_after);
        let before = after_try(pending("u"), &server_error(), deadline - 1, &config, 0.0);
        assert_eq!(before.state, WebhookState::Pending);
        let after = after_try(
            pending("u"),
            &TryOutcome::Unreachable {
                error: "the connection was refused".into(),
            },
            deadline,
            &config,
            0.0,
        );
        assert_eq!(after.state, WebhookState::Failed);
        assert_eq!(after.last_status, None);
        assert_eq!(
            after.last_error.as_deref(),
            Some("the connection was refused; gave up after 1 tries over 72 h")
        );
    }

    #[test]
    fn only_failures_of_the_whole_receiver_hold_back_its_other_deliveries() {
        let answered = |status| TryOutcome::Answered {
            status,
            error: String::new(),
        };
        for status in [302, 429, 500, 503] {
            assert!(receiver_unwell(&answered(status)), "{status}");
        }
        for status in [400, 401, 404, 410] {
            assert!(!receiver_unwell(&answered(status)), "{status}");
        }
        assert!(receiver_unwell(&TryOutcome::Unreachable {
            error: String::new()
        }));
    }
}
