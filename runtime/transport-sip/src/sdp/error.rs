//! [`SdpError`]: why a description could not be read or agreed on, worded for whoever
//! reads the SIP trace, with the response code that refuses the offer.

use thiserror::Error;

/// Why a session description could not be read or agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    /// The body is larger than any audio call needs.
    #[error("SDP body is {size} bytes, above the {limit}-byte limit; answer 400 or 413")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// [`MAX_SDP_BYTES`](super::MAX_SDP_BYTES).
        limit: usize,
    },
    /// More `m=` sections than any sane call carries.
    #[error("SDP has more than {limit} media sections; refusing to negotiate it")]
    TooManyMediaSections {
        /// [`MAX_MEDIA_SECTIONS`](super::MAX_MEDIA_SECTIONS).
        limit: usize,
    },
    /// A line breaks the SDP grammar.
    #[error("SDP line {line} `{text}`: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// The line, cut to 80 characters.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A line every description must have is missing.
    #[error("SDP has no `{0}` line, which RFC 4566 requires")]
    Missing(&'static str),
    /// An audio section we would use has no `c=` address at either level.
    #[error("SDP media section {index} has no connection address (`c=`) at media or session level")]
    MissingConnection {
        /// 0-based index of the section.
        index: usize,
    },
    /// No offered audio stream carries a codec we support: the SIP layer answers 488.
    #[error("no common codec: the offer has [{offered}], we support {supported}; answer 488")]
    NoCommonCodec {
        /// A one-line summary of each offered section (media, proto, codecs).
        offered: String,
        /// The codecs we support, comma-separated.
        supported: String,
    },
    /// The answer to our offer declined our audio stream.
    #[error(
        "the SDP answer has no audio stream with a non-zero port: the far end declined our audio"
    )]
    AudioDeclined,
    /// The answer picked a codec that was not in our offer (RFC 3264 §6.1 forbids it).
    #[error("the SDP answer chose payload type {payload_type} ({name}), which we did not offer")]
    CodecNotOffered {
        /// The payload type the answer listed first.
        payload_type: u8,
        /// Its encoding name, or `unknown`.
        name: String,
    },
    /// An offer was asked for without a codec to put in it.
    #[error("cannot write an SDP offer without at least one codec")]
    NoCodecs,
}

impl SdpError {
    /// The SIP status that refuses an offer for this reason: 488 Not Acceptable Here when
    /// the description is readable but holds nothing we can use (RFC 3261 §21.4.26), 413
    /// for an oversized body, 400 for a malformed one, 500 for our own mistake.
    pub fn sip_status(&self) -> u16 {
        match self {
            SdpError::TooLarge { .. } => 413,
            SdpError::Malformed { .. } | SdpError::Missing(_) => 400,
            SdpError::NoCodecs => 500,
            SdpError::TooManyMediaSections { .. }
            | SdpError::MissingConnection { .. }
            | SdpError::NoCommonCodec { .. }
            | SdpError::AudioDeclined
            | SdpError::CodecNotOffered { .. } => 488,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offer_we_cannot_use_is_refused_with_488_and_a_broken_one_with_400() {
        let none = SdpError::NoCommonCodec {
            offered: String::new(),
            supported: String::new(),
        };
        assert_eq!(none.sip_status(), 488);
        assert_eq!(SdpError::MissingConnection { index: 0 }.sip_status(), 488);
        assert_eq!(SdpError::Missing("o=").sip_status(), 400);
        let big = SdpError::TooLarge { size: 1, limit: 0 };
        assert_eq!(big.sip_status(), 413);
        assert_eq!(SdpError::NoCodecs.sip_status(), 500);
    }
}
