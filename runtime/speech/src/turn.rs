//! Turn-taking: when the customer starts speaking and when their utterance is over, from
//! the voice activity detector's frame-by-frame verdicts.
//!
//! [`TurnDetector`] is the pure logic, with hysteresis both ways: speech starts when
//! [`START_VOICED_FRAMES`] of the last [`START_WINDOW_FRAMES`] frames are voiced (a click
//! or a cough is not a turn), and ends after `end_silence_ms` without a voiced frame (a
//! pause between words is not the end), or is cut at `max_speech_ms`. A listen with phrase
//! hints ends sooner: once the recogniser's latest guess is one of the hints, a short
//! silence ([`HINT_END_SILENCE_MS`]) is enough, because the answer the script asked for is
//! already in hand; a guess that is no hint, and open speech, wait for the full
//! `end_silence_ms`. That short silence is counted from the last *loud* voiced frame
//! (within [`TAIL_LEVEL_RATIO`] of the utterance's loudest): the detector holds "voiced"
//! for about 120 ms after a word ends (its hangover), which would otherwise be half of it.
//! [`Endpointer`] runs it behind a [`VoiceDetector`] on raw frames, judges each frame's
//! level, and keeps the frames since the onset, so the recogniser hears the utterance from
//! its first syllable.
//!
//! Times are stream milliseconds: 20 ms per frame pushed, from 0 at the first frame. The
//! session maps them to call time. `SpeechStarted` drives barge-in; `UtteranceEnded` tells
//! the recogniser to finish; their absence lets the no-input timer run (both `session`'s).

use std::collections::VecDeque;

use super::vad::{VadError, VoiceDetector};
use huashu_contract::Listen;
use huashu_media::pcm::{FRAME_MS, rms};

/// Voiced frames needed in the window to start a turn: 5 × 20 ms = 100 ms of speech, longer
/// than a click or a line burst, short enough that barge-in feels instant.
pub const START_VOICED_FRAMES: usize = 5;

/// The window those frames are counted in: 8 frames (160 ms) tolerates the detector
/// missing a frame or three inside a real onset.
pub const START_WINDOW_FRAMES: usize = 8;

/// End-of-speech silence when a listen says 0: 800 ms is past the pauses people leave
/// between words and clauses on the phone (200–500 ms), yet not a noticeable wait.
pub const DEFAULT_END_SILENCE_MS: u32 = 800;

/// Utterance cap when a listen says 0: 15 s is more than any answer to a bot's question;
/// past it the caller is talking to someone else or the line is noise.
pub const DEFAULT_MAX_SPEECH_MS: u32 = 15_000;

/// Silence that ends a hinted listen's utterance once the recogniser's latest guess is one
/// of the hints, counted from the last loud frame: 200 ms is past the closure of a stop
/// consonant and the gap between the words of a short answer ("yes please", "call me
/// tomorrow") read as one phrase, yet a quarter of the open-speech default, so the reply
/// starts 600 ms sooner, near the few hundred milliseconds people leave between turns. A
/// longer pause between a hint and more speech ("yes ... but not today") is cut there: the
/// recogniser's guess already was that hint, and the customer's next words are a new turn.
pub const HINT_END_SILENCE_MS: u32 = 200;

/// A voiced frame quieter than this share of the utterance's loudest frame's RMS level
/// (−30 dB) is the detector's hangover or a breath, not a word, for [`HINT_END_SILENCE_MS`]:
/// measured on eSpeak NG's "yes please" over a mu-law line, the detector called six frames
/// voiced after the last one above −26 dB, all of them 35 dB or more below the peak, while
/// the word's own soft tail stayed within 25 dB. Line hiss sits 40–50 dB under speech.
pub const TAIL_LEVEL_RATIO: f64 = 0.031_6;

/// Frames kept before the onset the detector found: 60 ms, the soft start of a word
/// (a fricative, an unvoiced stop) that the detector often scores as silence.
const PRE_ROLL_FRAMES: usize = 3;

/// The settings of one turn detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnConfig {
    /// Silence after the last voiced frame that ends an utterance, in ms.
    pub end_silence_ms: u32,
    /// Longest utterance, in ms from its onset; it is cut there.
    pub max_speech_ms: u32,
    /// Silence after the last loud frame that ends an utterance the recogniser already
    /// heard as one of the hints, in ms.
    pub hint_silence_ms: u32,
}

impl Default for TurnConfig {
    fn default() -> Self {
        Self {
            end_silence_ms: DEFAULT_END_SILENCE_MS,
            max_speech_ms: DEFAULT_MAX_SPEECH_MS,
            hint_silence_ms: HINT_END_SILENCE_MS,
        }
    }
}

impl TurnConfig {
    /// A listen's settings, with the host defaults where it says 0.
    pub fn for_listen(listen: &Listen) -> Self {
        let or = |value: u32, default: u32| if value == 0 { default } else { value };
        Self {
            end_silence_ms: or(listen.end_silence_ms, DEFAULT_END_SILENCE_MS),
            max_speech_ms: or(listen.max_speech_ms, DEFAULT_MAX_SPEECH_MS),
            hint_silence_ms: or(listen.hint_silence_ms, HINT_END_SILENCE_MS),
        }
    }
}

/// Why an utterance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// `end_silence_ms` of silence.
    Silence,
    /// It reached `max_speech_ms`.
    MaxSpeech,
    /// `hint_silence_ms` after the last loud frame, with the recogniser's guess a hint.
    HintMatched,
}

/// What the turn detector saw. Times in stream milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnEvent {
    /// The customer started speaking at `onset_ms`; detected at `at_ms`.
    SpeechStarted {
        /// Start of the first voiced frame of the onset window, in stream ms.
        onset_ms: u64,
        /// End of the frame that confirmed the onset, in stream ms.
        at_ms: u64,
    },
    /// The utterance that started at `onset_ms` is over: speech last heard at
    /// `speech_end_ms`; detected at `at_ms`. For [`EndReason::HintMatched`] the speech end
    /// is the last loud voiced frame, from which its short silence was counted.
    UtteranceEnded {
        /// The `onset_ms` its `SpeechStarted` reported, in stream ms.
        onset_ms: u64,
        /// End of the last voiced frame, in stream ms.
        speech_end_ms: u64,
        /// End of the frame on which the end was decided, in stream ms.
        at_ms: u64,
        /// Silence or the length cap.
        reason: EndReason,
    },
}

#[derive(Debug)]
enum State {
    /// Waiting for speech: the verdicts of the last frames (oldest first).
    Quiet { recent: VecDeque<bool> },
    Speaking {
        onset_ms: u64,
        speech_end_ms: u64,
        /// End of the last frame both voiced and loud.
        loud_end_ms: u64,
    },
}

/// Turn detection on voiced/unvoiced verdicts, one per 20 ms frame.
#[derive(Debug)]
pub struct TurnDetector {
    config: TurnConfig,
    frames: u64,
    state: State,
    /// The listen's phrase hints, normalised with [`comparable`]; empty for open speech.
    hints: Vec<String>,
    /// Whether the recogniser's latest guess about the utterance under way is a hint.
    hint_heard: bool,
}

impl TurnDetector {
    /// A detector waiting for speech, at stream time 0.
    pub fn new(config: TurnConfig) -> Self {
        Self {
            config,
            frames: 0,
            state: State::Quiet {
                recent: VecDeque::with_capacity(START_WINDOW_FRAMES),
            },
            hints: Vec::new(),
            hint_heard: false,
        }
    }

    /// Stream time: the end of the last frame pushed.
    pub fn now_ms(&self) -> u64 {
        self.frames * u64::from(FRAME_MS)
    }

    /// New settings (the script listens again with other timings); an utterance under way
    /// is judged by them from the next frame on.
    pub fn set_config(&mut self, config: TurnConfig) {
        self.config = config;
    }

    /// The listen's phrase hints (none: open speech); from the next frame on, an utterance
    /// the recogniser already heard as one of them ends after `hint_silence_ms`.
    pub fn set_hints(&mut self, hints: &[String]) {
        self.hints = hints
            .iter()
            .map(|hint| comparable(hint))
            .filter(|hint| !hint.is_empty())
            .collect();
        self.hint_heard = false;
    }

    /// The recogniser's latest guess about the utterance under way (each partial result
    /// replaces the one before). Ignored while no utterance is under way.
    pub fn heard(&mut self, guess: &str) {
        if !self.is_speaking() {
            return;
        }
        let guess = comparable(guess);
        self.hint_heard = !guess.is_empty() && self.hints.contains(&guess);
    }

    /// Whether an utterance is under way (started and not yet ended).
    pub fn is_speaking(&self) -> bool {
        matches!(self.state, State::Speaking { .. })
    }

    /// Takes the verdict on the next frame, a voiced frame counting as loud.
    pub fn push(&mut self, voiced: bool) -> Option<TurnEvent> {
        self.push_with_level(voiced, voiced)
    }

    /// Takes the verdicts on the next frame: whether it is voiced, and whether it is also
    /// loud (near the utterance's level; see [`TAIL_LEVEL_RATIO`]).
    pub fn push_with_level(&mut self, voiced: bool, loud: bool) -> Option<TurnEvent> {
        let frame_start = self.now_ms();
        self.frames += 1;
        let now = self.now_ms();
        match &mut self.state {
            State::Quiet { recent } => {
                if recent.len() == START_WINDOW_FRAMES {
                    recent.pop_front();
                }
                recent.push_back(voiced);
                if recent.iter().filter(|v| **v).count() < START_VOICED_FRAMES {
                    return None;
                }
                // The onset is the first voiced frame of the window.
                let first_voiced = recent.iter().position(|v| *v).unwrap_or(0);
                let window_start = now - recent.len() as u64 * u64::from(FRAME_MS);
                let onset_ms = window_start + first_voiced as u64 * u64::from(FRAME_MS);
                self.state = State::Speaking {
                    onset_ms,
                    speech_end_ms: now,
                    loud_end_ms: now,
                };
                self.hint_heard = false;
                Some(TurnEvent::SpeechStarted {
                    onset_ms,
                    at_ms: now,
                })
            }
            State::Speaking {
                onset_ms,
                speech_end_ms,
                loud_end_ms,
            } => {
                if voiced {
                    *speech_end_ms = now;
                    if loud {
                        *loud_end_ms = now;
                    }
                }
                let (onset_ms, mut speech_end_ms, loud_end_ms) =
                    (*onset_ms, *speech_end_ms, *loud_end_ms);
                // Silence so far: none while this frame is voiced.
                let silence = if frame_start >= speech_end_ms {
                    now - speech_end_ms
                } else {
                    0
                };
                let reason = if now - onset_ms >= u64::from(self.config.max_speech_ms) {
                    EndReason::MaxSpeech
                } else if silence > 0 && silence >= u64::from(self.config.end_silence_ms) {
                    EndReason::Silence
                } else if self.hint_heard
                    && !(voiced && loud)
                    && now - loud_end_ms >= u64::from(self.config.hint_silence_ms)
                {
                    speech_end_ms = loud_end_ms;
                    EndReason::HintMatched
                } else {
                    return None;
                };
                self.state = State::Quiet {
                    recent: VecDeque::with_capacity(START_WINDOW_FRAMES),
                };
                self.hint_heard = false;
                Some(TurnEvent::UtteranceEnded {
                    onset_ms,
                    speech_end_ms,
                    at_ms: now,
                    reason,
                })
            }
        }
    }
}

/// A phrase or a recogniser's guess reduced to what decides whether they are the same
/// answer: lower-case letters and digits, without spaces or punctuation ("Yes, please!" and
/// "yes please" are one answer; so are Chinese text with and without spaces).
fn comparable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A voice activity detector and a turn detector on one stream of 20 ms frames, at
/// whatever rate the detector was made for (the line's own).
pub struct Endpointer {
    vad: VoiceDetector,
    turns: TurnDetector,
    /// The latest frames while quiet, to hand the recogniser the utterance's start.
    recent: VecDeque<Vec<i16>>,
    /// Buffers of frames that left `recent`, reused so a quiet line allocates nothing.
    spare: Vec<Vec<i16>>,
    /// The loudest frame's RMS level in the utterance under way.
    peak: f64,
}

impl Endpointer {
    /// Turn detection with `config` on the verdicts of `vad`, at stream time 0.
    pub fn new(vad: VoiceDetector, config: TurnConfig) -> Self {
        Self {
            vad,
            turns: TurnDetector::new(config),
            recent: VecDeque::with_capacity(START_WINDOW_FRAMES + PRE_ROLL_FRAMES),
            spare: Vec::new(),
            peak: 0.0,
        }
    }

    /// Judges the next 20 ms frame.
    pub fn push_frame(&mut self, frame: &[i16]) -> Result<Option<TurnEvent>, VadError> {
        let voiced = self.vad.is_voiced(frame)?;
        if !self.turns.is_speaking() {
            let mut kept = if self.recent.len() == START_WINDOW_FRAMES + PRE_ROLL_FRAMES {
                self.recent.pop_front().unwrap_or_default()
            } else {
                self.spare.pop().unwrap_or_default()
            };
            kept.clear();
            kept.extend_from_slice(frame);
            self.recent.push_back(kept);
        }
        // Levels only matter during an utterance; a quiet line computes none.
        let loud = if self.turns.is_speaking() {
            let level = rms(frame);
            self.peak = self.peak.max(level);
            voiced && level >= self.peak * TAIL_LEVEL_RATIO
        } else {
            voiced
        };
        let event = self.turns.push_with_level(voiced, loud);
        if let Some(TurnEvent::SpeechStarted { onset_ms, at_ms }) = event {
            // Keep the frames from the pre-roll before the onset up to now.
            let since_onset = ((at_ms - onset_ms) / u64::from(FRAME_MS)) as usize;
            let keep = (since_onset + PRE_ROLL_FRAMES).min(self.recent.len());
            let older = self.recent.drain(..self.recent.len() - keep);
            self.spare.extend(older);
            self.peak = self.recent.iter().map(|f| rms(f)).fold(0.0, f64::max);
        }
        Ok(event)
    }

    /// Right after `SpeechStarted`: the frames from just before the onset through the
    /// current one, which the recogniser needs first. Empties the buffer.
    pub fn take_onset_frames(&mut self) -> Vec<Vec<i16>> {
        self.recent.drain(..).collect()
    }

    /// Stream time: the end of the last frame pushed, in ms.
    pub fn now_ms(&self) -> u64 {
        self.turns.now_ms()
    }

    /// Whether an utterance is under way (started and not yet ended).
    pub fn is_speaking(&self) -> bool {
        self.turns.is_speaking()
    }

    /// See [`TurnDetector::set_config`].
    pub fn set_config(&mut self, config: TurnConfig) {
        self.turns.set_config(config);
    }

    /// See [`TurnDetector::set_hints`].
    pub fn set_hints(&mut self, hints: &[String]) {
        self.turns.set_hints(hints);
    }

    /// See [`TurnDetector::heard`].
    pub fn heard(&mut self, guess: &str) {
        self.turns.heard(guess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(detector: &mut TurnDetector, pattern: &str) -> Vec<TurnEvent> {
        pattern
            .chars()
            .filter(|c| !c.is_whitespace())
            .filter_map(|c| detector.push(c == '#'))
            .collect()
    }

    fn config(end_silence_ms: u32, max_speech_ms: u32) -> TurnConfig {
        TurnConfig {
            end_silence_ms,
            max_speech_ms,
            ..TurnConfig::default()
        }
    }

    #[test]
    fn speech_starts_after_enough_voiced_frames_in_the_window() {
        let mut d = TurnDetector::new(TurnConfig::default());
        // Two clicks and a four-frame burst: no turn.
        assert!(run(&mut d, "..#......#......####..........").is_empty());
        let mut d = TurnDetector::new(TurnConfig::default());
        // Onset at frame 2 (40 ms), with a missed frame; detected at frame 7's end.
        let events = run(&mut d, "..##.###");
        assert_eq!(
            events,
            [TurnEvent::SpeechStarted {
                onset_ms: 40,
                at_ms: 160
            }]
        );
    }

    #[test]
    fn the_utterance_ends_after_the_configured_silence() {
        let mut d = TurnDetector::new(config(100, 10_000));
        // Speech 0–200 ms, a 60 ms pause, more speech to 400 ms, then silence.
        let events = run(&mut d, "##########...##########..........");
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 460,
                at_ms: 560,
                reason: EndReason::Silence
            }
        );
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn long_speech_is_cut_at_the_cap_and_a_new_turn_can_follow() {
        let mut d = TurnDetector::new(config(100, 200));
        let events = run(&mut d, &"#".repeat(20));
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 200,
                at_ms: 200,
                reason: EndReason::MaxSpeech
            }
        );
        // Speech goes on: a new turn starts after the start hysteresis again.
        assert_eq!(
            events[2],
            TurnEvent::SpeechStarted {
                onset_ms: 200,
                at_ms: 300
            }
        );
    }

    fn hinted(hints: &[&str]) -> TurnDetector {
        let mut d = TurnDetector::new(TurnConfig::default());
        d.set_hints(&hints.iter().map(|h| h.to_string()).collect::<Vec<_>>());
        d
    }

    /// Half a second of speech (frames 0–24), then `silent` frames of silence; `guess` is
    /// the recogniser's partial, arriving at the end of the speech.
    fn answer(d: &mut TurnDetector, guess: &str, silent: usize) -> Vec<TurnEvent> {
        let mut events = run(d, &"#".repeat(25));
        d.heard(guess);
        events.extend(run(d, &".".repeat(silent)));
        events
    }

    #[test]
    fn a_hinted_answer_ends_the_turn_after_a_short_silence() {
        let mut d = hinted(&["yes please", "no"]);
        let events = answer(&mut d, "YES please", 60);
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 500,
                at_ms: 500 + u64::from(HINT_END_SILENCE_MS),
                reason: EndReason::HintMatched
            }
        );
        assert_eq!(events.len(), 2);
        assert!(!d.is_speaking());
    }

    #[test]
    fn open_speech_waits_for_the_full_silence() {
        let mut d = hinted(&[]);
        let events = answer(&mut d, "yes please", 60);
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 500,
                at_ms: 500 + u64::from(DEFAULT_END_SILENCE_MS),
                reason: EndReason::Silence
            }
        );
    }

    #[test]
    fn a_partial_that_matches_no_hint_waits_for_the_full_silence() {
        let mut d = hinted(&["yes please", "no"]);
        // Part of a hint is not the hint.
        let events = answer(&mut d, "yes", 60);
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 500,
                at_ms: 500 + u64::from(DEFAULT_END_SILENCE_MS),
                reason: EndReason::Silence
            }
        );
    }

    #[test]
    fn a_later_guess_that_is_no_hint_withdraws_the_early_end() {
        let mut d = hinted(&["no"]);
        let mut events = run(&mut d, &"#".repeat(10));
        d.heard("no");
        d.heard("no way");
        events.extend(run(&mut d, &".".repeat(60)));
        assert!(matches!(
            events[1],
            TurnEvent::UtteranceEnded {
                reason: EndReason::Silence,
                ..
            }
        ));
    }

    #[test]
    fn a_hint_heard_mid_speech_waits_for_the_speech_to_stop() {
        let mut d = hinted(&["no"]);
        let mut events = run(&mut d, &"#".repeat(10));
        d.heard("no");
        // Voiced frames keep the turn open however long ago the hint was heard.
        events.extend(run(&mut d, &"#".repeat(30)));
        assert_eq!(events.len(), 1);
        events.extend(run(&mut d, &".".repeat(13)));
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 800,
                at_ms: 800 + u64::from(HINT_END_SILENCE_MS),
                reason: EndReason::HintMatched
            }
        );
    }

    #[test]
    fn the_short_silence_counts_from_the_last_loud_frame() {
        let mut d = hinted(&["no"]);
        for _ in 0..10 {
            d.push_with_level(true, true);
        }
        d.heard("no");
        // The detector's hangover: voiced but faint.
        let mut events: Vec<TurnEvent> = (0..6)
            .filter_map(|_| d.push_with_level(true, false))
            .collect();
        events.extend(run(&mut d, &".".repeat(10)));
        assert_eq!(
            events,
            [TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 200,
                at_ms: 200 + u64::from(HINT_END_SILENCE_MS),
                reason: EndReason::HintMatched
            }]
        );
    }

    #[test]
    fn a_listen_may_ask_for_a_longer_silence_after_a_hint() {
        let mut d = hinted(&["no"]);
        d.set_config(TurnConfig::for_listen(&Listen {
            hint_silence_ms: 400,
            ..Listen::default()
        }));
        let events = answer(&mut d, "no", 60);
        assert_eq!(
            events[1],
            TurnEvent::UtteranceEnded {
                onset_ms: 0,
                speech_end_ms: 500,
                at_ms: 900,
                reason: EndReason::HintMatched
            }
        );
    }

    #[test]
    fn a_guess_from_the_previous_utterance_does_not_end_the_next_early() {
        let mut d = hinted(&["no"]);
        let events = answer(&mut d, "no", 60);
        assert_eq!(events.len(), 2);
        // The next utterance: no guess yet.
        let events = answer(&mut d, "", 60);
        assert!(matches!(
            events[1],
            TurnEvent::UtteranceEnded {
                reason: EndReason::Silence,
                ..
            }
        ));
    }

    #[test]
    fn listens_zeros_take_the_host_defaults() {
        let listen = Listen {
            end_silence_ms: 0,
            max_speech_ms: 5_000,
            ..Listen::default()
        };
        assert_eq!(
            TurnConfig::for_listen(&listen),
            config(DEFAULT_END_SILENCE_MS, 5_000)
        );
    }
}
