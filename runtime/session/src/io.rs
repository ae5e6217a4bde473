//! What flows into a session from the transport and speech stages, and what flows out to
//! media and the transport.

use serde::{Deserialize, Serialize};

use super::playback_queue::PlayItem;
use super::record::CallEnd;
use huashu_contract::{
    AudioFrame, HttpRequest, HttpResult, Listen, Millis, Transcript, Transfer, TransferResult,
};

/// Something the customer's side did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "input")]
pub enum CallerInput {
    /// Voice activity started.
    SpeechStarted,
    /// A running guess of what is being said.
    Partial {
        /// The recogniser's current guess; later partials may change it.
        transcript: Transcript,
    },
    /// What was said (from the recogniser, or typed).
    Final {
        /// The final reading; typed text has confidence 1.0.
        transcript: Transcript,
    },
    /// One keypad key.
    Dtmf {
        /// `0`-`9`, `*`, `#` or `A`-`D`; any other key is ignored (and recorded as such).
        digit: char,
    },
    /// Customer audio at the rate the script subscribed with.
    Audio {
        /// A block of mono 16-bit audio; dropped unless its rate is the subscribed one.
        frame: AudioFrame,
    },
    /// The gateway's answer to a transfer.
    TransferResult {
        /// Whether the call was bridged; ignored when no transfer is under way.
        result: TransferResult,
    },
    /// The answer to an [`Output::HttpRequest`]; its `elapsed_ms` is measured by the session.
    HttpResponse {
        /// The response, or why there is none; ignored unless its id is in flight.
        result: HttpResult,
    },
    /// The customer hung up or the line dropped.
    HangUp {
        /// Why, for the call record (e.g. `customer-hung-up`).
        reason: String,
    },
}

/// Something the session wants media or the transport to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "output")]
pub enum Output {
    /// Start playing this item now (it follows the previous one without a gap).
    Play {
        /// Call time to start at, in ms since the call started.
        at_ms: Millis,
        /// What to play, with its id and length.
        item: PlayItem,
    },
    /// Stop playing at once and drop queued audio (Twilio `clear`).
    StopPlayback {
        /// Call time to stop at, in ms since the call started.
        at_ms: Millis,
    },
    /// The script is listening with these settings (hints and timings for the recogniser).
    Listen {
        /// Call time listening starts (everything queued before it has played), in ms since
        /// the call started.
        at_ms: Millis,
        /// The `listen` action as the script gave it.
        listen: Listen,
    },
    /// Transfer the call; answer with [`CallerInput::TransferResult`].
    Transfer {
        /// Call time of the request (queued prompts have played), in ms since the call
        /// started.
        at_ms: Millis,
        /// Where to transfer, and why.
        transfer: Transfer,
    },
    /// Make an HTTP request for the script; answer with [`CallerInput::HttpResponse`].
    /// Requests still in flight when the call ends are of no use (drop them).
    HttpRequest {
        /// Call time of the request, in ms since the call started.
        at_ms: Millis,
        /// The request as the script gave it, its id filled in. Secret headers carry
        /// secret names: the values are the driver's to put in.
        request: HttpRequest,
    },
    /// Send keypad tones.
    SendDtmf {
        /// Call time to send them at, in ms since the call started.
        at_ms: Millis,
        /// `0`-`9`, `*`, `#`, `A`-`D`, and `w` for a 0.5 s pause.
        digits: String,
    },
    /// Deliver the customer's audio as [`CallerInput::Audio`] 20 ms frames at this rate
    /// (`None`: stop). Frames at another rate are not passed to the script.
    AudioSubscription {
        /// Call time the change takes effect, in ms since the call started.
        at_ms: Millis,
        /// 8000 or 16000 Hz; `None` stops delivery.
        sample_rate: Option<u32>,
    },
    /// The call is over; close the line.
    Ended {
        /// When, by whom and why the call ended.
        end: CallEnd,
    },
}
