//! What flows into a session from the transport and speech stages, and what flows out to
//! media and the transport.

use serde::{Deserialize, Serialize};

use super::playback_queue::PlayItem;
use super::record::CallEnd;
use huashu_contract::{AudioFrame, Listen, Millis, Transcript, Transfer, TransferResult};

/// Something the customer's side did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "input")]
pub enum CallerInput {
    /// Voice activity started.
    SpeechStarted,
    /// A running guess of what is being said.
    Partial { transcript: Transcript },
    /// What was said (from the recogniser, or typed).
    Final { transcript: Transcript },
    /// One keypad key.
    Dtmf { digit: char },
    /// Customer audio at the rate the script subscribed with.
    Audio { frame: AudioFrame },
    /// The gateway's answer to a transfer.
    TransferResult { result: TransferResult },
    /// The customer hung up or the line dropped.
    HangUp { reason: String },
}

/// Something the session wants media or the transport to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "output")]
pub enum Output {
    /// Start playing this item now (it follows the previous one without a gap).
    Play { at_ms: Millis, item: PlayItem },
    /// Stop playing at once and drop queued audio (Twilio `clear`).
    StopPlayback { at_ms: Millis },
    /// The script is listening with these settings (hints and timings for the recogniser).
    Listen { at_ms: Millis, listen: Listen },
    /// Transfer the call; answer with [`CallerInput::TransferResult`].
    Transfer { at_ms: Millis, transfer: Transfer },
    /// Send keypad tones.
    SendDtmf { at_ms: Millis, digits: String },
    /// Deliver the customer's audio as [`CallerInput::Audio`] 20 ms frames at this rate
    /// (`None`: stop). Frames at another rate are not passed to the script.
    AudioSubscription {
        at_ms: Millis,
        sample_rate: Option<u32>,
    },
    /// The call is over; close the line.
    Ended { end: CallEnd },
}
