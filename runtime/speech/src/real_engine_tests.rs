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
use huashu_contract::{NotUnderstood, Transcript};
use huashu_media::pcm::{CANONICAL_RATE, FRAME_MS, FRAME_SAMPLES};

/// English voices the recogniser is tested with, so its thresholds are not tuned to one
/// speaker: American, British, Scottish, RP, Lancashire and Caribbean English.
const ENGLISH_VOICES: [&str; 6] = [
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-029",
];

/// Canonical audio of `text` spoken by eSpeak NG (`voice`: one of [`ENGLISH_VOICES`] or
/// `cmn`, Mandarin).
fn say(voice: &str, text: &str) -> Vec<i16> {
    let mut voices = ENGLISH_VOICES.to_vec();
    voices.push("cmn");
    let tts = EspeakTts::default()
        .with_voices(&voices)
        .expect("valid voice names");
    match tts.synthesize_blocking(voice, text) {
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
            ..TurnConfig::default()
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
        ..TurnConfig::default()
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

/// The answers a listen offers in the rejection tests (issue #16).
const ANSWERS: [&str; 3] = ["yes please", "no thank you", "call me later"];

#[tokio::test]
async fn pocketsphinx_with_hints_hears_the_hinted_answer_confidently() {
    let engine = recogniser(2, 0);
    let mut heard = 0;
    for voice in ENGLISH_VOICES {
        for said in ANSWERS {
            let audio = frames(&say(voice, said), 300, 300);
            let (partials, transcript) = recognise(&engine, &ANSWERS, &audio).await;
            assert_eq!(transcript.text, said, "{voice} {said:?}: {transcript:?}");
            assert_eq!(transcript.not_understood, None, "{voice} {said:?}");
            assert!(
                transcript.confidence >= 0.5 && transcript.confidence <= 1.0,
                "{voice} {said:?}: {transcript:?}"
            );
            assert_eq!(partials.last().map(String::as_str), Some(said));
            heard += 1;
        }
    }
    assert_eq!(heard, ENGLISH_VOICES.len() * ANSWERS.len());
    let hints = ["yes", "no", "tomorrow"];
    for said in hints {
        let audio = frames(&say("en-us", said), 300, 300);
        let (_, transcript) = recognise(&engine, &hints, &audio).await;
        assert_eq!(transcript.text, said, "{transcript:?}");
        assert!(transcript.confidence > 0.6, "{said:?}: {transcript:?}");
    }
}

/// True when `transcript` does not claim one of the hints: no match, or a hint too
/// unsure for a script to act on.
fn not_claimed(transcript: &Transcript) -> bool {
    let no_match = transcript.not_understood == Some(NotUnderstood::NoMatch)
        && transcript.text.is_empty()
        && transcript.confidence == 0.0;
    no_match || transcript.confidence < 0.5
}

#[tokio::test]
async fn english_that_is_none_of_the_hints_is_no_match() {
    let engine = recogniser(1, 0);
    let others = [
        "what is the weather tomorrow",
        "I am driving right now",
        "maybe later",
        "hello who is this",
        "how much does it cost",
    ];
    let mut no_match = 0;
    for voice in ENGLISH_VOICES {
        for said in others {
            let audio = frames(&say(voice, said), 300, 300);
            let (_, transcript) = recognise(&engine, &ANSWERS, &audio).await;
            assert!(not_claimed(&transcript), "{voice} {said:?}: {transcript:?}");
            no_match += usize::from(transcript.not_understood.is_some());
        }
    }
    // Every clip above was measured as a clean "no match", not merely an unsure hint.
    assert_eq!(no_match, ENGLISH_VOICES.len() * others.len());
    // Short words a hint covers in time.
    let hints = ["yes", "no", "tomorrow"];
    for said in ["what", "maybe later", "hello who is this"] {
        for voice in ["en-us", "en-gb"] {
            let audio = frames(&say(voice, said), 300, 300);
            let (_, transcript) = recognise(&engine, &hints, &audio).await;
            assert!(not_claimed(&transcript), "{voice} {said:?}: {transcript:?}");
        }
    }
}

#[tokio::test]
async fn mandarin_against_english_hints_is_no_match() {
    let engine = recogniser(1, 0);
    let mandarin = [
        "不需要，谢谢",
        "好的，可以",
        "你是谁",
        "我现在很忙",
        "请稍后再打来",
        "喂，你好",
        "对，是我",
        "没问题",
    ];
    for said in mandarin {
        let audio = frames(&say("cmn", said), 300, 300);
        for hints in [&ANSWERS[..], &["yes", "no", "tomorrow"][..]] {
            let (_, transcript) = recognise(&engine, hints, &audio).await;
            assert_eq!(
                transcript,
                Transcript::not_understood(NotUnderstood::NoMatch),
                "{said:?} with {hints:?}"
            );
        }
    }
}

#[tokio::test]
async fn silence_is_nothing_heard_not_a_failed_match() {
    let engine = recogniser(1, 0);
    let (_, transcript) = recognise(&engine, &ANSWERS, &frames(&[], 1_000, 0)).await;
    assert_eq!(transcript.text, "");
    assert_eq!(transcript.not_understood, None);
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
