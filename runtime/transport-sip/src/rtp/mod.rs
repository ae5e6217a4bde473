//! RTP for one G.711 call (RFC 3550, RFC 3551): the packets, the keys pressed in them
//! (RFC 4733), putting arrivals back in order, and the RTCP reports that go beside them.
//!
//! Everything here is plain data in, plain data out: no sockets, no timers, no clock.
//! Time enters as arguments ([`std::time::Duration`]s since an origin the caller picks, one
//! origin for everything fed to one [`rtcp::RtcpStats`]), so every rule is tested
//! without waiting. The transport owns the sockets, the 20 ms send grid and symmetric-RTP
//! latching; this module does not.
//!
//! # Layout
//! - [`packet`] — the RTP header ([`RtpHeader`]) read and written, and [`RtpSender`],
//!   which numbers and stamps our outgoing 20 ms frames.
//! - [`telephone_event`] — RFC 4733 events: [`DtmfReceiver`] reports each key once,
//!   [`DtmfSender`] writes the packets of one key press.
//! - [`jitter`] — [`JitterBuffer`], which releases arrivals in sequence order and says
//!   which packets were lost.
//! - [`rtcp`] — sender and receiver reports, their parsing (for liveness and BYE), and
//!   telling RTP from RTCP on a shared port.

pub mod jitter;
pub mod packet;
pub mod rtcp;
pub mod telephone_event;

use thiserror::Error;

pub use jitter::{JitterBuffer, JitterConfig, JitterStats, Playout, PushOutcome};
pub use packet::{RtpExtension, RtpHeader, RtpSender};
pub use telephone_event::{DtmfKey, DtmfReceiver, DtmfSender, TelephoneEvent};

/// The RTP clock of G.711 and of telephone-events on a G.711 call (RFC 3551 §4.5.14).
pub const CLOCK_RATE: u32 = 8_000;

/// Samples in one 20 ms G.711 frame: the RTP timestamp step between our packets, and the
/// duration step of a telephone-event's updates.
pub const FRAME_SAMPLES: u32 = 160;

/// Why a packet could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RtpError {
    /// The datagram ends before a field it announces.
    #[error("truncated {what}: needs {needed} bytes, the datagram has {available}")]
    Truncated {
        /// The part being read (`RTP header`, `CSRC list`, `RTCP packet`…).
        what: &'static str,
        /// Bytes the part needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// The version bits are not 2: not RTP/RTCP, or a STUN/DTLS packet on the media port.
    #[error("RTP/RTCP version {0}, expected 2 (is something else sending to the media port?)")]
    Version(u8),
    /// The padding count is zero or longer than the payload it pads.
    #[error("padding of {padding} bytes in a payload of {available}: the packet is corrupt")]
    Padding {
        /// The count in the last byte.
        padding: usize,
        /// Bytes after the header.
        available: usize,
    },
    /// A header field we were asked to write does not fit its bits.
    #[error("cannot write RTP header: {0}")]
    Unwritable(&'static str),
    /// An RTCP compound packet breaks RFC 3550 §6.1 / A.2.
    #[error("invalid RTCP: {0}")]
    Rtcp(&'static str),
    /// A key that is not a DTMF key (`0`-`9`, `*`, `#`, `A`-`D`).
    #[error("`{0}` is not a DTMF key: use 0-9, *, #, A-D")]
    NotAKey(char),
    /// A tone length RFC 4733 cannot carry in one event.
    #[error("a {0} ms key press is outside 40-8000 ms (ITU-T Q.24 minimum, one RFC 4733 event)")]
    ToneLength(u32),
}
