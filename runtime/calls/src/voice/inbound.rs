//! The customer's audio on its way in: decoded to canonical frames, judged by the voice
//! activity detector and the turn detector, and recognised utterance by utterance.
//!
//! What comes out is session input: `SpeechStarted` the moment a turn starts (that is
//! what stops a barge-in-able prompt), partial transcripts while the recogniser guesses,
//! and one final transcript per utterance once it has ended. An utterance the recogniser
//! could not handle (no recogniser for the listen's language, no decoder free, an engine
//! error) still ends with a final transcript, an empty one with confidence 0 that says why
//! (`not-understood`), so the script hears that something was said and can ask again.
//!
//! Each utterance goes to the recogniser of the listen's language: the one the listen
//! names, else the call's (the module's or the tenant's), else the server's default.
//!
//! Each partial transcript also goes to the turn detector: in a listen with phrase hints,
//! a partial that already is one of the hints lets the utterance end after a short silence
//! instead of the listen's full end-of-speech silence (see `huashu_speech::turn`).

use std::future::pending;
use std::sync::Arc;
use std::time::{Duration, Instant};

use thiserror::Error;

use huashu_contract::{AudioFrame, Listen, NotUnderstood, Transcript};
use huashu_media::transport_codec::{CodecError, LineDecoder, LineResampler, TransportCodec};
use huashu_session::CallerInput;
use huashu_speech::asr::languages::Recognizers;
use huashu_speech::asr::{AsrError, AsrEvent, Recognition, RecognitionOptions};
use huashu_speech::turn::{Endpointer, TurnConfig, TurnEvent};
use huashu_speech::vad::{Aggressiveness, VadError, VoiceDetector};

/// Why a call's inbound audio could not be set up.
#[derive(Debug, Error)]
pub enum InboundError {
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error(transparent)]
    Vad(#[from] VadError),
}

/// One call's inbound audio; see the module docs.
///
/// The detector judges the audio at the line's own rate; only what the recogniser hears
/// (each utterance, from just before its onset) and what a recording keeps is converted to
/// canonical 16 kHz. Most of a call is the customer listening, and converting that silence
/// was most of the server's work per call.
pub struct InboundAudio {
    decoder: LineDecoder,
    /// Line-rate samples decoded but not yet a whole frame.
    line: Vec<i16>,
    /// Samples in one 20 ms frame at the line rate.
    line_frame: usize,
    endpointer: Endpointer,
    /// Line frames to canonical ones for the recogniser, reset as each utterance starts.
    for_recognition: LineResampler,
    /// For a recorded call: every line frame to canonical, without a break.
    for_recording: Option<LineResampler>,
    /// The canonical frames the latest payload completed, for the recording.
    recorded: Vec<i16>,
    /// The script's audio subscription: its rate, and line frames converted to it.
    subscription: Option<(u32, LineResampler)>,
    recognizers: Arc<Recognizers>,
    /// The call's language, for listens that name none; empty for the server's default.
    call_language: String,
    /// The language of the current listen's utterances, resolved.
    language: String,
    options: RecognitionOptions,
    /// The utterance being spoken, fed frame by frame.
    active: Option<Recognition>,
    /// The utterance that ended, waiting for its final transcript.
    finishing: Option<Recognition>,
    /// The utterance being spoken has no working recognition, and why: it ends in an empty
    /// final that says so.
    unrecognised: Option<NotUnderstood>,
    /// When the customer stopped speaking, for the utterance in `finishing`.
    finishing_speech_end: Option<Instant>,
    /// When the customer stopped speaking, for the latest final transcript returned (see
    /// [`Self::take_speech_end`]).
    delivered_speech_end: Option<Instant>,
}

impl InboundAudio {
    /// The inbound audio of a call whose transport carries `codec`, heard in
    /// `call_language` (empty: the server's default) unless a listen names another;
    /// `record` keeps every frame in canonical form for the call's recording.
    pub fn new(
        codec: TransportCodec,
        recognizers: Arc<Recognizers>,
        call_language: &str,
        record: bool,
    ) -> Result<Self, InboundError> {
        let rate = codec.rate();
        Ok(Self {
            decoder: LineDecoder::new(codec)?,
            line: Vec::with_capacity(2 * codec.frame_samples()),
            line_frame: codec.frame_samples(),
            endpointer: Endpointer::new(
                VoiceDetector::new(rate, Aggressiveness::default())?,
                TurnConfig::default(),
            ),
            for_recognition: LineResampler::to_canonical(rate)?,
            for_recording: record
                .then(|| LineResampler::to_canonical(rate))
                .transpose()?,
            recorded: Vec::new(),
            subscription: None,
            language: recognizers.language_of(call_language),
            call_language: call_language.to_owned(),
            recognizers,
            options: RecognitionOptions::default(),
            active: None,
            finishing: None,
            unrecognised: None,
            finishing_speech_end: None,
            delivered_speech_end: None,
        })
    }

    /// The script listens: its language picks the recogniser of the next utterances, its
    /// phrase hints steer their recognition, its timings decide when they end.
    pub fn listen(&mut self, listen: &Listen) {
        let language = if listen.language.is_empty() {
            &self.call_language
        } else {
            &listen.language
        };
        self.language = self.recognizers.language_of(language);
        self.options.hints = listen.hints.clone();
        self.endpointer.set_config(TurnConfig::for_listen(listen));
        self.endpointer.set_hints(&listen.hints);
    }

    /// When the customer stopped speaking (the end of the last voiced frame) in the
    /// utterance whose final transcript [`Self::next_result`] returned last; `None` once
    /// taken, or when that final did not follow an utterance the turn detector ended. The
    /// start of the end-of-speech → reply latency.
    pub fn take_speech_end(&mut self) -> Option<Instant> {
        self.delivered_speech_end.take()
    }

    /// The script subscribed to the customer's audio at `rate` Hz (`None`: unsubscribed):
    /// from the next frame on, each 20 ms also goes to the session as
    /// [`CallerInput::Audio`] at that rate. A rate the line cannot be converted to is
    /// refused and leaves the subscription as it was.
    pub fn subscribe(&mut self, rate: Option<u32>) -> Result<(), CodecError> {
        self.subscription = match rate {
            None => None,
            Some(rate) => Some((rate, LineResampler::new(self.decoder.codec().rate(), rate)?)),
        };
        Ok(())
    }

    /// Takes one payload from the transport; what the customer's side did because of it
    /// goes to `out`. Returns, for a recorded call, the canonical frames the payload
    /// completed (empty otherwise). A payload the codec rejects is an error and changes
    /// nothing.
    pub fn push(
        &mut self,
        payload: &[u8],
        out: &mut Vec<CallerInput>,
    ) -> Result<&[i16], CodecError> {
        self.decoder.decode(payload, &mut self.line)?;
        let whole = self.line.len() / self.line_frame * self.line_frame;
        let line = std::mem::take(&mut self.line);
        self.recorded.clear();
        for frame in line[..whole].chunks_exact(self.line_frame) {
            if let Some(recording) = &mut self.for_recording {
                match recording.convert(frame) {
                    Ok(canonical) => self.recorded.extend_from_slice(canonical),
                    Err(error) => tracing::warn!(%error, "a frame could not be recorded"),
                }
            }
            if let Some((rate, converter)) = &mut self.subscription {
                match converter.convert(frame) {
                    Ok(samples) => out.push(CallerInput::Audio {
                        frame: AudioFrame {
                            samples: samples.to_vec(),
                            sample_rate: *rate,
                        },
                    }),
                    Err(error) => {
                        tracing::warn!(%error, "a frame could not be converted for the script")
                    }
                }
            }
            self.judge(frame, out);
        }
        self.line = line;
        self.line.drain(..whole);
        Ok(&self.recorded)
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
            Some(TurnEvent::UtteranceEnded {
                speech_end_ms,
                at_ms,
                ..
            }) => {
                let _ = self.recognise(frame);
                // The frame that decided it has just arrived: speech ended that long ago.
                let silence = Duration::from_millis(at_ms.saturating_sub(speech_end_ms));
                let speech_end = Instant::now().checked_sub(silence);
                self.end_utterance(speech_end, out);
            }
            None => {
                if let Err(error) = self.recognise(frame) {
                    tracing::warn!(%error, "the recogniser cannot keep up; this utterance is lost");
                    self.active = None;
                    self.unrecognised = Some(failed(&error));
                }
            }
        }
    }

    /// Hands one line frame of the utterance being spoken to its recognition.
    fn recognise(&mut self, line_frame: &[i16]) -> Result<(), AsrError> {
        let Some(active) = &self.active else {
            return Ok(());
        };
        match self.for_recognition.convert(line_frame) {
            Ok(frame) => feed(active, frame),
            Err(error) => {
                tracing::warn!(%error, "a frame could not be converted for the recogniser");
                Ok(())
            }
        }
    }

    fn start_recognition(&mut self) {
        self.unrecognised = None;
        let onset = self.endpointer.take_onset_frames();
        let engine = match self.recognizers.for_language(&self.language) {
            Ok(engine) => engine,
            Err(none) => {
                tracing::warn!(%none, "an utterance cannot be recognised");
                self.active = None;
                self.unrecognised = Some(NotUnderstood::NoRecogniser(none.language));
                return;
            }
        };
        match engine.start(self.options.clone()) {
            Ok(recognition) => {
                self.active = Some(recognition);
                self.for_recognition.reset();
                for frame in &onset {
                    let _ = self.recognise(frame);
                }
            }
            Err(error) => {
                tracing::warn!(%error, "speech could not be recognised");
                self.active = None;
                self.unrecognised = Some(failed(&error));
            }
        }
    }

    fn end_utterance(&mut self, speech_end: Option<Instant>, out: &mut Vec<CallerInput>) {
        match self.active.take() {
            Some(mut recognition) => {
                recognition.finish();
                if self.finishing.replace(recognition).is_some() {
                    tracing::warn!("an utterance ended before the previous one was recognised");
                }
                self.finishing_speech_end = speech_end;
            }
            None => {
                if let Some(why) = self.unrecognised.take() {
                    self.delivered_speech_end = speech_end;
                    out.push(heard_nothing(why));
                }
            }
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
                        self.delivered_speech_end = self.finishing_speech_end.take();
                        return CallerInput::Final { transcript };
                    }
                    Some(Err(error)) => {
                        tracing::warn!(%error, "recognition failed");
                        self.finishing = None;
                        self.delivered_speech_end = self.finishing_speech_end.take();
                        return heard_nothing(failed(&error));
                    }
                    None => {
                        self.finishing = None;
                        self.delivered_speech_end = self.finishing_speech_end.take();
                        return heard_nothing(stopped());
                    }
                },
                event = next_event(&mut self.active) => match event {
                    Some(Ok(AsrEvent::Partial(transcript))) => {
                        // A guess that is one of the hints lets the turn end sooner.
                        self.endpointer.heard(&transcript.text);
                        return CallerInput::Partial { transcript };
                    }
                    Some(Ok(AsrEvent::Final(transcript))) => {
                        // The backend ended the utterance itself.
                        self.active = None;
                        self.delivered_speech_end = None;
                        return CallerInput::Final { transcript };
                    }
                    Some(Err(error)) => {
                        tracing::warn!(%error, "recognition failed mid-utterance");
                        self.active = None;
                        self.unrecognised = Some(failed(&error));
                    }
                    None => {
                        self.active = None;
                        self.unrecognised = Some(stopped());
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
fn heard_nothing(why: NotUnderstood) -> CallerInput {
    CallerInput::Final {
        transcript: Transcript::not_understood(why),
    }
}

/// Why, for the script, when the recogniser failed: what it said, which is for operators
/// but tells the script whether to blame the server.
fn failed(error: &AsrError) -> NotUnderstood {
    NotUnderstood::Failed(error.to_string())
}

fn stopped() -> NotUnderstood {
    NotUnderstood::Failed("the speech recogniser stopped without a result".into())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use huashu_contract::LanguageTag;
    use huashu_media::g711::Law;
    use huashu_media::pcm::test_signals::speech_like;
    use huashu_media::pcm::{FRAME_MS, FRAME_SAMPLES, rms};
    use huashu_speech::asr::{SpeechRecognizer, Worker};
    use huashu_speech::turn::{DEFAULT_END_SILENCE_MS, HINT_END_SILENCE_MS};

    /// A recogniser that keeps each recognition's worker end, so a test can read what it
    /// was fed.
    #[derive(Default)]
    struct Listening {
        workers: Mutex<Vec<Worker>>,
    }

    impl SpeechRecognizer for Listening {
        fn start(&self, _options: RecognitionOptions) -> Result<Recognition, AsrError> {
            let (recognition, worker) = Recognition::channel();
            self.workers.lock().expect("workers").push(worker);
            Ok(recognition)
        }
    }

    /// `recognizer` as the server's only recogniser, for US English.
    fn english(recognizer: &Arc<Listening>) -> Arc<Recognizers> {
        let english = LanguageTag::parse("en-US").expect("a tag");
        let mut recognizers = Recognizers::new(english.clone());
        recognizers.add(english, "test", recognizer.clone());
        Arc::new(recognizers)
    }

    /// 1 s of silence, 1 s of speech, 1.5 s of silence, as a telephone line carries it:
    /// 20 ms mu-law payloads.
    fn telephone_call() -> Vec<Vec<u8>> {
        let line = [vec![0; 8_000], speech_like(8_000, 8_000), vec![0; 12_000]].concat();
        line.chunks_exact(160)
            .map(|frame| {
                let mut payload = Vec::new();
                Law::Mu.encode(frame, &mut payload);
                payload
            })
            .collect()
    }

    #[test]
    fn a_telephone_utterance_reaches_the_recogniser_in_canonical_frames_and_silence_does_not() {
        let recognizer = Arc::new(Listening::default());
        let mut inbound =
            InboundAudio::new(TransportCodec::Mulaw8k, english(&recognizer), "", false)
                .expect("audio");
        let mut heard = Vec::new();
        for (i, payload) in telephone_call().iter().enumerate() {
            let recorded = inbound.push(payload, &mut heard).expect("decodes");
            assert!(recorded.is_empty(), "nothing kept for an unrecorded call");
            if i < 50 {
                assert!(recognizer.workers.lock().expect("workers").is_empty());
            }
        }
        assert_eq!(heard.len(), 1, "one turn: {heard:?}");
        assert!(matches!(heard[0], CallerInput::SpeechStarted));
        let mut workers = recognizer.workers.lock().expect("workers");
        assert_eq!(workers.len(), 1, "one utterance recognised");
        let mut fed = Vec::new();
        while let Ok(frame) = workers[0].audio.try_recv() {
            assert_eq!(frame.len(), FRAME_SAMPLES);
            fed.push(frame);
        }
        // The second of speech plus the onset's pre-roll, then the 800 ms of silence that
        // ended it: the rest of the call's silence is never converted.
        assert!((88..=100).contains(&fed.len()), "{} frames fed", fed.len());
        let speech = fed[5..50].concat();
        assert!(rms(&speech) > 0.05, "the recogniser hears the speech");
        assert!(inbound.finishing.is_some(), "the utterance was finished");
    }

    /// A listen with `hints`: the call's first two seconds (silence, then speech), the
    /// recogniser's guess `guess` as the speech ends, then silence. Returns the inbound
    /// audio and its recogniser once the utterance has ended, and after how many silent
    /// frames it did.
    async fn utterance_ended_by_silence(
        hints: &[&str],
        guess: &str,
    ) -> (InboundAudio, Arc<Listening>, usize) {
        let recognizer = Arc::new(Listening::default());
        let mut inbound =
            InboundAudio::new(TransportCodec::Mulaw8k, english(&recognizer), "", false)
                .expect("audio");
        inbound.listen(&Listen {
            hints: hints.iter().map(|h| h.to_string()).collect(),
            ..Listen::default()
        });
        let call = telephone_call();
        let mut heard = Vec::new();
        for payload in &call[..100] {
            inbound.push(payload, &mut heard).expect("decodes");
        }
        let guessed = AsrEvent::Partial(Transcript::heard(guess, 0.0));
        assert!(recognizer.workers.lock().expect("workers")[0].send(Ok(guessed)));
        assert!(matches!(
            inbound.next_result().await,
            CallerInput::Partial { .. }
        ));
        for (silent, payload) in call[100..].iter().enumerate() {
            inbound.push(payload, &mut heard).expect("decodes");
            if inbound.finishing.is_some() {
                return (inbound, recognizer, silent + 1);
            }
        }
        panic!("the utterance never ended");
    }

    #[tokio::test]
    async fn a_partial_that_is_a_hint_ends_the_utterance_after_a_short_silence() {
        let (_, _, hinted) = utterance_ended_by_silence(&["yes please", "no"], "yes please").await;
        let (_, _, other) = utterance_ended_by_silence(&["yes please", "no"], "yes").await;
        let (_, _, open) = utterance_ended_by_silence(&[], "yes please").await;
        // The hinted answer ends the short silence after its last loud frame (the end of
        // the signal); the others the full silence after the detector's hangover.
        let short = (HINT_END_SILENCE_MS / FRAME_MS) as usize;
        let full = (DEFAULT_END_SILENCE_MS / FRAME_MS) as usize;
        assert_eq!(hinted, short);
        assert!((full..=full + 8).contains(&other), "{other} silent frames");
        assert_eq!(open, other);
    }

    #[tokio::test]
    async fn the_final_transcript_carries_when_the_customer_stopped_speaking() {
        let (mut inbound, recognizer, silent) = utterance_ended_by_silence(&["no"], "no").await;
        assert_eq!(inbound.take_speech_end(), None, "nothing delivered yet");
        let said = AsrEvent::Final(Transcript::heard("no", 0.9));
        assert!(recognizer.workers.lock().expect("workers")[0].send(Ok(said)));
        assert!(matches!(
            inbound.next_result().await,
            CallerInput::Final { .. }
        ));
        let speech_end = inbound.take_speech_end().expect("the end of speech");
        // The frames went in at once: the speech ended the short silence before the frame
        // that ended the utterance, which was pushed moments ago.
        let ago = Instant::now().saturating_duration_since(speech_end);
        let short = Duration::from_millis(u64::from(HINT_END_SILENCE_MS));
        assert_eq!(silent, short.as_millis() as usize / 20);
        assert!(
            ago >= short && ago < short + Duration::from_secs(1),
            "{ago:?}"
        );
        assert_eq!(inbound.take_speech_end(), None, "taken once");
    }

    #[tokio::test]
    async fn speech_in_a_language_without_a_recogniser_is_not_understood_and_says_why() {
        let recognizer = Arc::new(Listening::default());
        let mut inbound = InboundAudio::new(
            TransportCodec::Mulaw8k,
            english(&recognizer),
            "zh-cn",
            false,
        )
        .expect("audio");
        let mut heard = Vec::new();
        for payload in telephone_call() {
            inbound.push(&payload, &mut heard).expect("decodes");
        }
        assert!(
            recognizer.workers.lock().expect("workers").is_empty(),
            "the English recogniser never hears a Mandarin call"
        );
        let Some(CallerInput::Final { transcript }) = heard.last() else {
            panic!("the utterance ends in a final transcript: {heard:?}");
        };
        assert_eq!((transcript.text.as_str(), transcript.confidence), ("", 0.0));
        assert_eq!(
            transcript.not_understood,
            Some(NotUnderstood::NoRecogniser("zh-CN".into()))
        );

        // A listen that names English is heard by the English recogniser.
        inbound.listen(&Listen {
            language: "en-US".into(),
            ..Listen::default()
        });
        for payload in telephone_call() {
            inbound.push(&payload, &mut heard).expect("decodes");
        }
        assert_eq!(recognizer.workers.lock().expect("workers").len(), 1);
    }

    #[test]
    fn a_recorded_call_keeps_every_frame_in_canonical_form() {
        let recognizer = Arc::new(Listening::default());
        let mut inbound =
            InboundAudio::new(TransportCodec::Mulaw8k, english(&recognizer), "", true)
                .expect("audio");
        let mut heard = Vec::new();
        let mut kept = Vec::new();
        for payload in telephone_call() {
            kept.extend_from_slice(inbound.push(&payload, &mut heard).expect("decodes"));
        }
        assert_eq!(kept.len(), 175 * FRAME_SAMPLES);
        let second = &kept[16_000 + 800..32_000];
        assert!(rms(second) > 0.05);
        assert!(rms(&kept[..15_000]) < 0.001);
    }

    #[test]
    fn a_payload_the_codec_refuses_changes_nothing() {
        let recognizer = Arc::new(Listening::default());
        let mut inbound = InboundAudio::new(TransportCodec::Pcm16k, english(&recognizer), "", true)
            .expect("audio");
        let mut heard = Vec::new();
        assert_eq!(
            inbound.push(&[0; 3], &mut heard).err(),
            Some(CodecError::OddPcmPayload(3))
        );
        assert_eq!(
            inbound.push(&[0; 640], &mut heard).map(<[i16]>::len),
            Ok(320)
        );
    }

    #[test]
    fn a_subscribed_script_gets_every_20_ms_at_its_rate_from_the_next_frame_on() {
        let recognizer = Arc::new(Listening::default());
        let mut inbound =
            InboundAudio::new(TransportCodec::Mulaw8k, english(&recognizer), "", false)
                .expect("audio");
        let call = telephone_call();
        let mut heard = Vec::new();
        let audio = |heard: &mut Vec<CallerInput>| -> Vec<AudioFrame> {
            heard
                .drain(..)
                .filter_map(|input| match input {
                    CallerInput::Audio { frame } => Some(frame),
                    _ => None,
                })
                .collect()
        };
        inbound.push(&call[0], &mut heard).expect("decodes");
        assert!(
            audio(&mut heard).is_empty(),
            "nothing before a subscription"
        );
        inbound.subscribe(Some(8_000)).expect("8 kHz");
        inbound.push(&call[60], &mut heard).expect("decodes");
        let narrow = audio(&mut heard);
        let mut line = Vec::new();
        Law::Mu.decode(&call[60], &mut line);
        assert_eq!(narrow.len(), 1);
        assert_eq!(narrow[0].sample_rate, 8_000);
        assert_eq!(
            narrow[0].samples, line,
            "the line's own samples, unconverted"
        );
        inbound.subscribe(Some(16_000)).expect("16 kHz");
        for payload in &call[61..75] {
            inbound.push(payload, &mut heard).expect("decodes");
        }
        let wide = audio(&mut heard);
        assert_eq!(wide.len(), 14);
        assert!(
            wide.iter()
                .all(|f| f.sample_rate == 16_000 && f.samples.len() == 320)
        );
        assert!(rms(&wide[13].samples) > 0.05, "speech, resampled");
        assert_eq!(
            inbound
                .subscribe(Some(11_025))
                .err()
                .map(|e| e.to_string().contains("11025")),
            Some(true)
        );
        inbound.subscribe(None).expect("unsubscribed");
        inbound.push(&call[80], &mut heard).expect("decodes");
        assert!(audio(&mut heard).is_empty());
    }
}
