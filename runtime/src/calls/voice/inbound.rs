//! The customer's audio on its way in: decoded to canonical frames, judged by the voice
//! activity detector and the turn detector, and recognised utterance by utterance.
//!
//! What comes out is session input: `SpeechStarted` the moment a turn starts (that is
//! what stops a barge-in-able prompt), partial transcripts while the recogniser guesses,
//! and one final transcript per utterance once it has ended. An utterance the recogniser
//! could not handle (no decoder free, an engine error) still ends with a final transcript,
//! an empty one, so the script hears that something was said and can ask again.

use std::future::pending;
use std::sync::Arc;

use crate::contract::{Listen, Transcript};
use crate::media::pcm::FRAME_SAMPLES;
use crate::media::transport_codec::{CodecError, InboundDecoder, TransportCodec};
use crate::session::CallerInput;
use crate::speech::asr::{AsrError, AsrEvent, Recognition, RecognitionOptions, SpeechRecognizer};
use crate::speech::turn::{Endpointer, TurnConfig, TurnEvent};
use crate::speech::vad::VoiceDetector;

/// One call's inbound audio; see the module docs.
pub struct InboundAudio {
    decoder: InboundDecoder,
    /// Canonical samples decoded but not yet a whole frame.
    samples: Vec<i16>,
    /// The whole frames the latest payload completed.
    frames: Vec<i16>,
    endpointer: Endpointer,
    recognizer: Arc<dyn SpeechRecognizer>,
    options: RecognitionOptions,
    /// The utterance being spoken, fed frame by frame.
    active: Option<Recognition>,
    /// The utterance that ended, waiting for its final transcript.
    finishing: Option<Recognition>,
    /// The utterance being spoken has no working recognition: it ends in an empty final.
    unrecognised: bool,
}

impl InboundAudio {
    pub fn new(
        codec: TransportCodec,
        recognizer: Arc<dyn SpeechRecognizer>,
    ) -> Result<Self, CodecError> {
        Ok(Self {
            decoder: InboundDecoder::new(codec)?,
            samples: Vec::with_capacity(2 * FRAME_SAMPLES),
            frames: Vec::with_capacity(2 * FRAME_SAMPLES),
            endpointer: Endpointer::new(VoiceDetector::default(), TurnConfig::default()),
            recognizer,
            options: RecognitionOptions::default(),
            active: None,
            finishing: None,
            unrecognised: false,
        })
    }

    /// The script listens: its phrase hints steer the next utterances' recognition, its
    /// timings decide when they end.
    pub fn listen(&mut self, listen: &Listen) {
        self.options.hints = listen.hints.clone();
        self.endpointer.set_config(TurnConfig::for_listen(listen));
    }

    /// Takes one payload from the transport; what the customer's side did because of it
    /// goes to `out`. Returns the whole canonical frames the payload completed (for the
    /// call's recording). A payload the codec rejects is an error and changes nothing.
    pub fn push(
        &mut self,
        payload: &[u8],
        out: &mut Vec<CallerInput>,
    ) -> Result<&[i16], CodecError> {
        self.decoder.decode(payload, &mut self.samples)?;
        let whole = self.samples.len() / FRAME_SAMPLES * FRAME_SAMPLES;
        let mut frames = std::mem::take(&mut self.frames);
        frames.clear();
        frames.extend(self.samples.drain(..whole));
        for frame in frames.chunks_exact(FRAME_SAMPLES) {
            self.judge(frame, out);
        }
        self.frames = frames;
        Ok(&self.frames)
    }

    fn judge(&mut self, frame: &[i16], out: &mut Vec<CallerInput>) {
        let event = match self.endpointer.push_frame(frame) {
            Ok(event) => event,
            Err(error) => {
                // Frames are always whole here; a rejection is the detector's own failure.
                tracing::warn!(%error, "voice activity detection failed on a frame");
                return;
            }
        };
        match event {
            Some(TurnEvent::SpeechStarted { .. }) => {
                out.push(CallerInput::SpeechStarted);
                self.start_recognition();
            }
            Some(TurnEvent::UtteranceEnded { .. }) => {
                if let Some(active) = &self.active {
                    let _ = feed(active, frame);
                }
                self.end_utterance(out);
            }
            None => {
                if let Some(active) = &self.active
                    && let Err(error) = feed(active, frame)
                {
                    tracing::warn!(%error, "the recogniser cannot keep up; this utterance is lost");
                    self.active = None;
                    self.unrecognised = true;
                }
            }
        }
    }

    fn start_recognition(&mut self) {
        self.unrecognised = false;
        let onset = self.endpointer.take_onset_frames();
        match self.recognizer.start(self.options.clone()) {
            Ok(recognition) => {
                for frame in &onset {
                    let _ = feed(&recognition, frame);
                }
                self.active = Some(recognition);
            }
            Err(error) => {
                tracing::warn!(%error, "speech could not be recognised");
                self.active = None;
                self.unrecognised = true;
            }
        }
    }

    fn end_utterance(&mut self, out: &mut Vec<CallerInput>) {
        match self.active.take() {
            Some(mut recognition) => {
                recognition.finish();
                if self.finishing.replace(recognition).is_some() {
                    tracing::warn!("an utterance ended before the previous one was recognised");
                }
            }
            None if self.unrecognised => {
                self.unrecognised = false;
                out.push(heard_nothing());
            }
            None => {}
        }
    }

    /// The next recognition result: a partial of the utterance being spoken, or the final
    /// transcript of the one that ended. Waits forever when nothing is being recognised.
    /// Cancel-safe: nothing changes until a result has arrived.
    pub async fn next_result(&mut self) -> CallerInput {
        loop {
            tokio::select! {
                event = next_event(&mut self.finishing) => match event {
                    // A late guess about an utterance already over: only its final counts.
                    Some(Ok(AsrEvent::Partial(_))) => {}
                    Some(Ok(AsrEvent::Final(transcript))) => {
                        self.finishing = None;
                        return CallerInput::Final { transcript };
                    }
                    Some(Err(error)) => {
                        tracing::warn!(%error, "recognition failed");
                        self.finishing = None;
                        return heard_nothing();
                    }
                    None => {
                        self.finishing = None;
                        return heard_nothing();
                    }
                },
                event = next_event(&mut self.active) => match event {
                    Some(Ok(AsrEvent::Partial(transcript))) => {
                        return CallerInput::Partial { transcript };
                    }
                    Some(Ok(AsrEvent::Final(transcript))) => {
                        // The backend ended the utterance itself.
                        self.active = None;
                        return CallerInput::Final { transcript };
                    }
                    Some(Err(error)) => {
                        tracing::warn!(%error, "recognition failed mid-utterance");
                        self.active = None;
                        self.unrecognised = true;
                    }
                    None => {
                        self.active = None;
                        self.unrecognised = true;
                    }
                },
            }
        }
    }
}

fn feed(recognition: &Recognition, frame: &[i16]) -> Result<(), AsrError> {
    match recognition.feed(frame) {
        // The worker stopped; its reason arrives as an event.
        Err(AsrError::Finished) => Ok(()),
        other => other,
    }
}

async fn next_event(recognition: &mut Option<Recognition>) -> Option<Result<AsrEvent, AsrError>> {
    match recognition {
        Some(recognition) => recognition.next_event().await,
        None => pending().await,
    }
}

/// What an utterance nobody could recognise becomes.
fn heard_nothing() -> CallerInput {
    CallerInput::Final {
        transcript: Transcript {
            text: String::new(),
            confidence: 0.0,
            alternatives: Vec::new(),
        },
    }
}
