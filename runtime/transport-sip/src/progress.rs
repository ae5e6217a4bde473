//! Call progress: what a SIP final response means for a call that was placed, in the
//! words call records and campaign retry rules use (`busy`, `no-answer`, …). Pure: a
//! status code in, a [`ProgressState`] out.

use huashu_store::ProgressState;

/// What a final response to our INVITE says about the call. 2xx is answered; the rest is
/// why it was not: busy (486 Busy Here, 600 Busy Everywhere), no answer (480 Temporarily
/// Unavailable, 408 Request Timeout — the callee's phone is off or out of reach),
/// rejected (603 Decline), a number that does not exist (404 Not Found, 484 Address
/// Incomplete, 604 Does Not Exist Anywhere), the network or trunk unable to take it
/// (5xx), and anything else as a failure (other 4xx and 6xx: a trunk that refuses our
/// credentials, a codec mismatch…).
pub fn final_response(code: u16) -> ProgressState {
    match code {
        200..=299 => ProgressState::Answered,
        486 | 600 => ProgressState::Busy,
        408 | 480 => ProgressState::NoAnswer,
        603 => ProgressState::Rejected,
        404 | 484 | 604 => ProgressState::InvalidNumber,
        500..=599 => ProgressState::Unavailable,
        _ => ProgressState::Failed,
    }
}

/// Whether a provisional response means the far end is alerting the callee: 180 Ringing
/// and 183 Session Progress (early media, often the ring-back or a carrier announcement).
/// 100 Trying is only the next hop's receipt.
pub fn is_ringing(code: u16) -> bool {
    matches!(code, 180..=183)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_codes_are_busy_and_declines_are_rejections() {
        assert_eq!(final_response(486), ProgressState::Busy);
        assert_eq!(final_response(600), ProgressState::Busy);
        assert_eq!(final_response(603), ProgressState::Rejected);
    }

    #[test]
    fn numbers_that_do_not_exist_are_invalid_and_are_never_confused_with_busy() {
        for code in [404, 484, 604] {
            assert_eq!(final_response(code), ProgressState::InvalidNumber, "{code}");
        }
    }

    #[test]
    fn unreachable_callees_are_no_answer_and_network_errors_unavailable() {
        assert_eq!(final_response(480), ProgressState::NoAnswer);
        assert_eq!(final_response(408), ProgressState::NoAnswer);
        assert_eq!(final_response(503), ProgressState::Unavailable);
        assert_eq!(final_response(502), ProgressState::Unavailable);
    }

    #[test]
    fn any_success_is_answered_and_other_refusals_are_failures() {
        assert_eq!(final_response(200), ProgressState::Answered);
        assert_eq!(final_response(202), ProgressState::Answered);
        assert_eq!(final_response(403), ProgressState::Failed);
        assert_eq!(final_response(488), ProgressState::Failed);
        assert_eq!(final_response(606), ProgressState::Failed);
    }

    #[test]
    fn ringing_and_early_media_ring_but_trying_does_not() {
        assert!(is_ringing(180));
        assert!(is_ringing(183));
        assert!(!is_ringing(100));
    }
}
