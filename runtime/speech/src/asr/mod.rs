//! Speech recognition: the streaming [`SpeechRecognizer`] interface and its backends.
//!
//! - [`pocketsphinx::PocketSphinx`] — Debian's PocketSphinx through our own FFI, on
//!   decoder threads of its own; works offline. English.
//! - [`vosk_ws::VoskWs`] — an operator's streaming ASR server speaking the Vosk WebSocket
//!   protocol.
//! - [`funasr_ws::FunAsrWs`] — an operator's FunASR runtime server (Mandarin, real-time
//!   two-pass), over its WebSocket protocol.
//!
//! One [`Recognition`] covers one utterance: the call's driver [`Recognition::feed`]s it
//! canonical 20 ms frames as they arrive (from the turn detector's speech start), calls
//! [`Recognition::finish`] when the turn detector says the utterance ended, and reads
//! [`AsrEvent`]s — partial hypotheses as they change, then one final transcript.
//!
//! Feeding never blocks and never decodes on the caller's thread: frames go into a bounded
//! queue that the backend's own worker (an OS thread, or a task waiting on a socket)
//! drains, so a slow decode delays only its own call. A backend that falls
//! [`AUDIO_QUEUE_FRAMES`] behind makes `feed` fail with [`AsrError::Overloaded`] rather than
//! buffer without bound. Dropping a `Recognition` abandons it.
//!
//! [`languages::Recognizers`] picks the recogniser for an utterance's language and refuses
//! a language that has none.
//!
//! Typed text from the console never comes here: the transports deliver it as a final
//! transcript directly.

pub mod funasr_ws;
pub mod languages;
mod pcm_chunks;
pub mod pocketsphinx;
pub mod vosk_ws;

use thiserror::Error;
use tokio::sync::mpsc;

use huashu_contract::Transcript;
use huashu_media::pcm::FRAME_SAMPLES;

/// How far a backend may fall behind before `feed` refuses frames: 1,000 frames is 20 s of
/// audio (640 kB), longer than the default utterance cap, so a backend still starting (a
/// decoder being built, a socket connecting) loses nothing, while a stuck one is noticed.
pub const AUDIO_QUEUE_FRAMES: usize = 1_000;

/// What to recognise, from the script's `listen`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecognitionOptions {
    /// Words and phrases the customer is likely to say; the recogniser favours them.
    pub hints: Vec<String>,
}

/// What a recognition reports.
#[derive(Debug, Clone, PartialEq)]
pub enum AsrEvent {
    /// The best guess so far (becomes `CallerInput::Partial`). Sent when it changes.
    Partial(Transcript),
    /// What was said (becomes `CallerInput::Final`); the last event of a recognition.
    /// Empty text when nothing intelligible was heard.
    Final(Transcript),
}

/// A streaming speech recogniser: one [`Recognition`] per utterance, any number at once.
pub trait SpeechRecognizer: Send + Sync {
    /// Starts recognising one utterance. Returns at once: slow set-up (building a decoder,
    /// connecting) happens on the backend's worker while frames queue.
    fn start(&self, options: RecognitionOptions) -> Result<Recognition, AsrError>;
}

/// Why speech could not be recognised. Messages are for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AsrError {
    /// A file the backend needs is missing; installing the named package provides it.
    #[error(
        "the speech recogniser's {what} is not installed: install the Debian package \
         `{package}` (./scripts/setup does)"
    )]
    NotInstalled {
        /// What is missing, e.g. "US English model".
        what: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The engine could not be set up for this recognition (decoder, grammar, dictionary,
    /// runtime); carries why.
    #[error("the speech recogniser could not start: {0}")]
    Engine(String),
    /// Every decoder is in use; carries the limit.
    #[error("all {0} speech recognisers are busy; allow more decoders or admit fewer calls")]
    Busy(usize),
    /// A frame passed to `feed` was not 20 ms of 16 kHz audio; carries its length in
    /// samples.
    #[error("a frame has {0} samples; canonical frames have {FRAME_SAMPLES} (16 kHz, 20 ms)")]
    FrameSize(usize),
    /// The backend is [`AUDIO_QUEUE_FRAMES`] frames behind and the frame was refused.
    #[error(
        "the speech recogniser is more than {AUDIO_QUEUE_FRAMES} frames behind; the server \
         is overloaded"
    )]
    Overloaded,
    /// A frame was fed after `finish`, or after the backend stopped (its reason follows in
    /// the events).
    #[error("the recognition has already finished")]
    Finished,
    /// The engine failed mid-utterance, or stopped without a final transcript; carries why.
    #[error("decoding failed: {0}")]
    Decode(String),
    /// The ASR server's URL is unusable, or the server could not be reached or broke the
    /// protocol; carries why.
    #[error("the speech recognition server failed: {0}")]
    Server(String),
}

/// One utterance being recognised (see the module documentation).
#[derive(Debug)]
pub struct Recognition {
    /// Frames to the worker; closing it (`finish`) marks the end of the utterance.
    audio: Option<mpsc::Sender<Vec<i16>>>,
    events: mpsc::UnboundedReceiver<Result<AsrEvent, AsrError>>,
}

/// The backend's side of a [`Recognition`]: what a [`SpeechRecognizer`] implementation
/// reads audio from and reports to.
pub struct Worker {
    /// Frames in order; `None` from `recv` once the utterance has ended.
    pub audio: mpsc::Receiver<Vec<i16>>,
    /// Partial and final results, or the error that ended the recognition.
    pub events: mpsc::UnboundedSender<Result<AsrEvent, AsrError>>,
}

impl Worker {
    /// Reports to the caller; false once the caller has gone (stop working then).
    pub fn send(&self, event: Result<AsrEvent, AsrError>) -> bool {
        self.events.send(event).is_ok()
    }

    /// True once the caller dropped its [`Recognition`]: the result is no longer wanted.
    pub fn abandoned(&self) -> bool {
        self.events.is_closed()
    }
}

impl Recognition {
    /// A connected pair: the caller's handle and the backend worker's end.
    pub fn channel() -> (Recognition, Worker) {
        let (audio_tx, audio_rx) = mpsc::channel(AUDIO_QUEUE_FRAMES);
        // Unbounded is bounded in practice: at most one partial per frame fed, plus one final.
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        (
            Recognition {
                audio: Some(audio_tx),
                events: events_rx,
            },
            Worker {
                audio: audio_rx,
                events: events_tx,
            },
        )
    }

    /// Queues one canonical frame ([`FRAME_SAMPLES`] samples). Never blocks.
    pub fn feed(&self, frame: &[i16]) -> Result<(), AsrError> {
        if frame.len() != FRAME_SAMPLES {
            return Err(AsrError::FrameSize(frame.len()));
        }
        let audio = self.audio.as_ref().ok_or(AsrError::Finished)?;
        audio.try_send(frame.to_vec()).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => AsrError::Overloaded,
            // The worker stopped; the reason is waiting in the events.
            mpsc::error::TrySendError::Closed(_) => AsrError::Finished,
        })
    }

    /// Marks the end of the utterance; the final transcript follows. Idempotent.
    pub fn finish(&mut self) {
        // Closing the queue is the end mark: the worker still gets every frame queued.
        self.audio = None;
    }

    /// The next event; `None` after the final one (or if the backend stopped).
    pub async fn next_event(&mut self) -> Option<Result<AsrEvent, AsrError>> {
        self.events.recv().await
    }

    /// Finishes and waits for the final transcript, skipping partials.
    pub async fn final_transcript(mut self) -> Result<Transcript, AsrError> {
        self.finish();
        while let Some(event) = self.next_event().await {
            match event? {
                AsrEvent::Final(transcript) => return Ok(transcript),
                AsrEvent::Partial(_) => {}
            }
        }
        Err(AsrError::Decode(
            "the recogniser stopped without a result".into(),
        ))
    }
}
