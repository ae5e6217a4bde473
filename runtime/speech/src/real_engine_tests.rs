//! The speech stage with its real engines: audio made at test time by eSpeak NG, heard by
//! the WebRTC VAD, the turn detector and PocketSphinx.
//!
//! These need the Debian packages `./scripts/setup` installs (espeak-ng,
//! libpocketsphinx-dev, pocketsphinx-en-us); without them they fail, naming the package.

use std::sync::Arc;

use super::asr::pocketsphinx::{Decoders, PocketSphinx};
use super::asr::{AsrError, AsrEvent, RecognitionOptions, SpeechRecognizer};
use super::tts::cache::{DEFAULT_BUDGET_BYTES, TtsCache};
use super::tts::espeak::EspeakTts;
use super::tts::{TextToSpeech, synthesize};
use super::turn::{EndReason, Endpointer, TurnConfig, TurnEvent};
use super::vad::VoiceDetector;
use huashu_contract::Transcript;
use huashu_media::pcm::{CANONICAL_RATE, FRAME_MS, FRAME_SAMPLES};

/// Canonical audio of `text` spoken by eSpeak NG.
fn say(voice: &str, text: &str) -> Vec<i16> {
    match EspeakTts::default().synthesize_blocking(voice, text) {
        Ok(speech) => speech.samples().to_vec(),
        Err(e) => panic!("eSpeak NG could not say {text:?}: {e}"),
    }
}

fn recogniser(grammar: usize, language_model: usize) -> PocketSphinx {
    PocketSphinx::debian_en_us(Decoders {
        grammar,
        language_model,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Faint line hiss (±16, a deterministic pseudo-random sequence), as a quiet phone line
/// has; digital zeros are not what a call carries.
fn hiss(samples: usize, seed: &mut u32) -> Vec<i16> {
    (0..samples)
        .map(|_| {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((*seed >> 16) % 33) as i16 - 16
        })
        .collect()
}

/// `speech` between `lead_ms` and `tail_ms` of hiss, in 20 ms frames.
fn frames(speech: &[i16], lead_ms: u32, tail_ms: u32) -> Vec<Vec<i16>> {
    let per_ms = (CANONICAL_RATE / 1000) as usize;
    let mut seed = 7;
    let mut audio = hiss(lead_ms as usize * per_ms, &mut seed);
    let noise = hiss(speech.len(), &mut seed);
    audio.extend(speech.iter().zip(noise).map(|(s, n)| s.saturating_add(n)));
    audio.extend(hiss(tail_ms as usize * per_ms, &mut seed));
    audio
        .chunks(FRAME_SAMPLES)
        .map(|c| {
            let mut frame = c.to_vec();
            frame.resize(FRAME_SAMPLES, 0);
            frame
        })
        .collect()
}

fn duration_ms(samples: &[i16]) -> u64 {
    samples.len() as u64 * 1000 / u64::from(CANONICAL_RATE)
}

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}

fn turn_events(frames: &[Vec<i16>], config: TurnConfig) -> Vec<TurnEvent> {
    let mut endpointer = Endpointer::new(VoiceDetector::default(), config);
    frames
        .iter()
        .filter_map(|f| endpointer.push_frame(f).expect("a canonical frame"))
        .collect()
}

/// Recognises `frames` as one utterance; the partials seen and the final transcript.
async fn recognise(
    engine: &dyn SpeechRecognizer,
    hints: &[&str],
    frames: &[Vec<i16>],
) -> (Vec<String>, Transcript) {
    let options = RecognitionOptions {
        hints: hints.iter().map(|h| (*h).to_owned()).collect(),
    };
    let mut recognition = engine.start(options).expect("start");
    for frame in frames {
        recognition.feed(frame).expect("feed");
    }
    recognition.finish();
    let mut partials = Vec::new();
    while let Some(event) = recognition.next_event().await {
        match event.unwrap_or_else(|e| panic!("{e}")) {
            AsrEvent::Partial(t) => partials.push(t.text),
            AsrEvent::Final(t) => return (partials, t),
        }
    }
    panic!("the recognition ended without a final transcript");
}

#[tokio::test]
async fn espeak_speaks_english_and_mandarin_at_plausible_lengths() {
    let tts: Arc<dyn TextToSpeech> = Arc::new(EspeakTts::default());
    let english = synthesize(tts.clone(), "en-us", "call me tomorrow")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // About 1 s of speech at eSpeak's default 175 words a minute.
    assert!(
        (600..=2_500).contains(&english.duration_ms()),
        "{} ms",
        english.duration_ms()
    );
    assert!(rms(english.samples()) > 500.0, "silent English");

    let mandarin = synthesize(tts.clone(), "cmn", "你好，我们明天见")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Seven syllables and a pause.
    assert!(
        (1_000..=5_000).contains(&mandarin.duration_ms()),
        "{} ms",
        mandarin.duration_ms()
    );
    assert!(rms(mandarin.samples()) > 500.0, "silent Mandarin");

    let cache = TtsCache::new(tts, DEFAULT_BUDGET_BYTES);
    let first = cache.synthesize_blocking("", "yes").expect("speech");
    let again = cache.synthesize_blocking("", "yes").expect("speech");
    assert_eq!(first, again);
    assert_eq!(cache.stats().hits, 1);
}

#[test]
fn turns_start_on_spoken_words_and_end_after_the_configured_silence() {
    for text in ["yes", "no thanks", "call me tomorrow"] {
        let speech = say("en-us", text);
        let spoken_ms = duration_ms(&speech);
        let config = TurnConfig {
            end_silence_ms: 700,
            max_speech_ms: 10_000,
        };
        let events = turn_events(&frames(&speech, 500, 1_500), config);
        let [
            TurnEvent::SpeechStarted { onset_ms, at_ms },
            TurnEvent::UtteranceEnded {
                speech_end_ms,
                at_ms: ended_at,
                reason: EndReason::Silence,
                ..
            },
        ] = events[..]
        else {
            panic!("{text:?}: expected a start and an end, got {events:?}");
        };
        // eSpeak leaves a few ms of silence around words; the onset is found within them.
        assert!(
            (480..=640).contains(&onset_ms),
            "{text:?}: onset {onset_ms}"
        );
        assert!(at_ms - onset_ms <= 200, "{text:?}: start detected late");
        assert!(
            speech_end_ms <= 500 + spoken_ms + 40 && speech_end_ms >= 500 + spoken_ms / 2,
            "{text:?}: speech end {speech_end_ms} for {spoken_ms} ms of audio"
        );
        assert_eq!(ended_at - speech_end_ms, 700, "{text:?}");
    }
}

#[test]
fn silence_and_line_hiss_start_no_turn() {
    let zeros = vec![vec![0i16; FRAME_SAMPLES]; 150];
    assert_eq!(turn_events(&zeros, TurnConfig::default()), []);
    assert_eq!(
        turn_events(&frames(&[], 3_000, 0), TurnConfig::default()),
        []
    );
}

#[test]
fn a_long_utterance_is_cut_at_max_speech() {
    let speech = say(
        "en-us",
        "I would like to talk to somebody about my account and my last bill please",
    );
    let config = TurnConfig {
        end_silence_ms: 800,
        max_speech_ms: 1_000,
    };
    let events = turn_events(&frames(&speech, 200, 500), config);
    assert!(
        matches!(
            events.get(1),
            Some(TurnEvent::UtteranceEnded {
                reason: EndReason::MaxSpeech,
                onset_ms,
                at_ms,
                ..
            }) if at_ms - onset_ms == 1_000
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn pocketsphinx_with_hints_hears_the_hinted_answer_confidently() {
    let engine = recogniser(2, 0);
    let hints = ["yes", "no", "tomorrow"];
    for (said, heard) in [
        ("yes", "yes"),
        ("no", "no"),
        ("tomorrow", "tomorrow"),
        ("no thanks", "no"),
        ("call me tomorrow", "tomorrow"),
    ] {
        let audio = frames(&say("en-us", said), 300, 300);
        let (partials, transcript) = recognise(&engine, &hints, &audio).await;
        assert_eq!(transcript.text, heard, "for {said:?}: {transcript:?}");
        // "call me tomorrow" is only one third "tomorrow": less sure, still above 0.5.
        assert!(transcript.confidence > 0.6, "for {said:?}: {transcript:?}");
        assert_eq!(partials.last().map(String::as_str), Some(heard));
    }
    let audio = frames(&say("en-us", "no thanks"), 300, 300);
    let (_, transcript) = recognise(&engine, &["yes please", "no thanks"], &audio).await;
    assert_eq!(transcript.text, "no thanks");
}

#[tokio::test]
async fn speech_matching_no_hint_gets_a_low_confidence() {
    let engine = recogniser(1, 0);
    let hints = ["yes", "no", "tomorrow"];
    for said in ["maybe later", "hello who is this", "what"] {
        let audio = frames(&say("en-us", said), 300, 300);
        let (_, transcript) = recognise(&engine, &hints, &audio).await;
        // Below the 0.5 a script would branch on; the right hints score above 0.6.
        assert!(transcript.confidence < 0.5, "for {said:?}: {transcript:?}");
    }
}

#[tokio::test]
async fn pocketsphinx_without_hints_uses_the_language_model() {
    let engine = recogniser(0, 1);
    let audio = frames(&say("en-us", "call me tomorrow"), 300, 300);
    let (partials, transcript) = recognise(&engine, &[], &audio).await;
    assert!(
        transcript.text.split(' ').any(|w| w == "tomorrow"),
        "{transcript:?}"
    );
    assert!(!partials.is_empty(), "no partial hypotheses");
    // Hints the dictionary cannot spell (Chinese) fall back to the language model too.
    let (_, transcript) = recognise(&engine, &["方便"], &audio).await;
    assert!(transcript.text.contains("tomorrow"), "{transcript:?}");
}

#[tokio::test]
async fn the_turn_detector_drives_the_recogniser() {
    let engine = recogniser(1, 0);
    let audio = frames(&say("en-us", "yes"), 600, 1_200);
    let mut endpointer = Endpointer::new(VoiceDetector::default(), TurnConfig::default());
    let options = RecognitionOptions {
        hints: vec!["yes".into(), "no".into()],
    };
    let mut recognition = None;
    let mut ended = None;
    for frame in &audio {
        match endpointer.push_frame(frame).expect("frame") {
            Some(TurnEvent::SpeechStarted { .. }) => {
                let started = engine.start(options.clone()).expect("start");
                for early in endpointer.take_onset_frames() {
                    started.feed(&early).expect("feed");
                }
                recognition = Some(started);
            }
            Some(TurnEvent::UtteranceEnded { at_ms, .. }) => {
                ended = Some(at_ms);
                break;
            }
            None => {
                if let Some(r) = &recognition {
                    r.feed(frame).expect("feed");
                }
            }
        }
    }
    assert!(ended.is_some(), "no end of utterance");
    let recognition = recognition.expect("speech was detected");
    let transcript = recognition.final_transcript().await.expect("final");
    assert_eq!(transcript.text, "yes");
    assert_eq!(endpointer.now_ms() % u64::from(FRAME_MS), 0);
}

#[tokio::test]
async fn decoders_are_pooled_and_capped() {
    let engine = recogniser(1, 0);
    let one_grammar = Decoders {
        grammar: 1,
        language_model: 0,
    };
    engine.prepare(one_grammar).expect("a decoder");
    assert_eq!(engine.idle_decoders(), one_grammar);
    let hints = RecognitionOptions {
        hints: vec!["yes".into(), "no".into()],
    };
    let first = engine.start(hints.clone()).expect("start");
    assert!(matches!(
        engine.start(hints.clone()),
        Err(AsrError::Busy(1))
    ));
    // Speech without hints needs the other kind, of which there are none.
    assert!(matches!(
        engine.start(RecognitionOptions::default()),
        Err(AsrError::Busy(0))
    ));
    // An empty utterance: nothing heard, and the decoder goes back to the pool.
    let transcript = first.final_transcript().await.expect("final");
    assert_eq!(transcript.text, "");
    let audio = frames(&say("en-us", "yes"), 200, 200);
    let (_, transcript) = recognise(&engine, &["yes", "no"], &audio).await;
    assert_eq!(transcript.text, "yes");
    assert_eq!(engine.idle_decoders(), one_grammar);
    assert!(matches!(
        engine.start(hints).and_then(|r| r.feed(&[0; 10])),
        Err(AsrError::FrameSize(10))
    ));
}

#[tokio::test]
async fn idle_decoders_are_freed_and_rebuilt_on_the_next_listen() {
    let engine = recogniser(1, 0);
    let none = Decoders {
        grammar: 0,
        language_model: 0,
    };
    assert_eq!(engine.idle_decoders(), none, "nothing is built ahead");
    let audio = frames(&say("en-us", "yes"), 200, 200);
    let (_, transcript) = recognise(&engine, &["yes", "no"], &audio).await;
    assert_eq!(transcript.text, "yes");
    let one_grammar = Decoders {
        grammar: 1,
        language_model: 0,
    };
    assert_eq!(engine.idle_decoders(), one_grammar);
    // Not yet idle for the keep-idle time: kept.
    assert_eq!(
        engine.release_idle_decoders(super::asr::pocketsphinx::GRAMMAR_KEEP_IDLE),
        0
    );
    assert_eq!(engine.release_idle_decoders(std::time::Duration::ZERO), 1);
    assert_eq!(engine.idle_decoders(), none);
    let (_, transcript) = recognise(&engine, &["yes", "no"], &audio).await;
    assert_eq!(transcript.text, "yes");
}
