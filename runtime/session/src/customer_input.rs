//! Input from the customer's side: barge-in over interruptible prompts, dropping input over
//! ones that cannot be interrupted, DTMF collection, transfer answers and hang-ups.

use super::dtmf_collector::is_dtmf_digit;
use super::{CallerInput, Playout, Session, Speaker, TranscriptLine};
use huashu_contract::{CallScript, Event, Party, Transcript, TransferResult};

impl<S: CallScript, P: Playout> Session<S, P> {
    /// Customer-side input: barge-in, then the event for the script.
    pub(super) fn on_input(&mut self, input: CallerInput) {
        match input {
            CallerInput::HangUp { reason } => self.end_call(Party::Customer, reason),
            CallerInput::TransferResult { result } => self.on_transfer_result(result),
            CallerInput::HttpResponse { result } => match self.http.answered(result, self.now) {
                Some(result) => self.pending.push_back(Event::HttpResponse(result)),
                None => self.ignore(
                    "http response".into(),
                    "no request with its id is in flight",
                ),
            },
            CallerInput::Audio { frame } => {
                if self.audio_rate == Some(frame.sample_rate) {
                    self.pending.push_back(Event::AudioFrame(frame));
                }
            }
            CallerInput::SpeechStarted => {
                if self.customer_interrupts("speech") {
                    self.pending.push_back(Event::SpeechStarted);
                }
            }
            CallerInput::Partial { transcript } => {
                if self.customer_interrupts("partial transcript") {
                    self.pending.push_back(Event::PartialTranscript(transcript));
                }
            }
            CallerInput::Final { transcript } => self.on_final(transcript),
            CallerInput::Dtmf { digit } => self.on_dtmf(digit),
        }
    }

    fn on_final(&mut self, transcript: Transcript) {
        if !self.customer_interrupts("final transcript") {
            return;
        }
        self.record.transcript.push(TranscriptLine {
            at_ms: self.now,
            speaker: Speaker::Customer,
            text: transcript.text.clone(),
        });
        // A listen is answered by one utterance.
        self.listening = None;
        self.dtmf.configure(None);
        self.pending.push_back(Event::FinalTranscript(transcript));
    }

    fn on_dtmf(&mut self, digit: char) {
        if !is_dtmf_digit(digit) {
            self.ignore(format!("key `{digit}`"), "not a DTMF key");
            return;
        }
        if !self.customer_interrupts("key press") {
            return;
        }
        self.record.transcript.push(TranscriptLine {
            at_ms: self.now,
            speaker: Speaker::Customer,
            text: format!("[按键 {digit}]"),
        });
        if let Some(dtmf) = self.dtmf.press(digit, self.now) {
            self.listening = None;
            self.pending.push_back(Event::Dtmf(dtmf));
        }
    }

    fn on_transfer_result(&mut self, result: TransferResult) {
        if !self.awaiting_transfer {
            self.ignore("transfer result".into(), "no transfer was under way");
            return;
        }
        self.awaiting_transfer = false;
        let connected = result == TransferResult::Connected;
        if self.script.is_some() {
            self.pending.push_back(Event::TransferResult(result));
        }
        if connected {
            self.end_call(Party::Host, "transferred".into());
        } else if self.script.is_none() {
            self.end_call(Party::Host, "fallback-transfer-failed".into());
        }
    }

    /// The customer spoke or pressed a key: stop a barge-in-able playback and cancel the
    /// no-input timer. Returns false if the input must be dropped because what is playing
    /// cannot be interrupted.
    fn customer_interrupts(&mut self, what: &str) -> bool {
        match self.playback.current_barge_in() {
            Some(false) => {
                self.ignore(what.into(), "the prompt playing cannot be interrupted");
                return false;
            }
            Some(true) => self.stop_playback(),
            None => {}
        }
        self.no_input_at = None;
        true
    }
}
