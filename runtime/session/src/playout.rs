//! How long a play or say takes. The session owns playback timing (so barge-in can tell how
//! far a prompt got); media reports lengths through [`Playout`].
//!
//! A `say-parts` is one joined clip: [`Playout::parts_ms`] gives its length, by default
//! the sum of its prompts' and texts' lengths (joining overlaps them by a few milliseconds
//! on voice calls, which give the joined clip's own length).
//!
//! [`EstimatedPlayout`] is the text-only implementation used by the offline runner and text
//! calls: speech length estimated from the text, prompt lengths configured. Voice calls use
//! one backed by real audio (`calls::voice`), which synthesises and loads a reply's audio in
//! [`Playout::prepare`] so the lengths it then gives are the audio's own.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use huashu_contract::{Action, Millis, Play, Say, SayParts, SpeechPart};

/// What [`Playout::prepare`] returns: boxed, so `Box<dyn Playout>` works. Its output is
/// how many milliseconds the preparation took.
pub type Prepared<'a> = Pin<Box<dyn Future<Output = u32> + Send + 'a>>;

/// Gives the length of what the script asks to play, or why it cannot be played.
pub trait Playout: Send {
    /// Gets the audio of a reply's `play` and `say` actions ready, before the session asks
    /// for their lengths: text-to-speech and loading a prompt are slow the first time, and
    /// the session must not hold an executor thread while they run. `now` is the call time
    /// the reply began at.
    ///
    /// Returns how long that took, in milliseconds: the audio starts only then, so the
    /// session's clock moves on by it (0 when everything was ready). The default has
    /// nothing to prepare.
    fn prepare<'a>(&'a mut self, now: Millis, actions: &'a [Action]) -> Prepared<'a> {
        let _ = (now, actions);
        Box::pin(std::future::ready(0))
    }
    /// Length of a recorded prompt in milliseconds, or why it cannot be played (the script
    /// then fails with an invalid action).
    fn prompt_ms(&self, play: &Play) -> Result<u32, String>;
    /// Length of a `say` in milliseconds, or why it cannot be spoken (the script then fails
    /// with an invalid action).
    fn speech_ms(&self, say: &Say) -> Result<u32, String>;
    /// Length of a `say-parts` played as one clip, in milliseconds, or why it cannot be
    /// played (the script then fails with an invalid action). The default adds up
    /// [`Self::prompt_ms`] of each prompt and [`Self::speech_ms`] of each text in the
    /// action's voice, so a playout that checks prompts checks these too.
    fn parts_ms(&self, say: &SayParts) -> Result<u32, String> {
        let mut total: u32 = 0;
        for part in &say.parts {
            let ms = match part {
                SpeechPart::Prompt(name) => self.prompt_ms(&Play {
                    prompt: name.clone(),
                    id: say.id.clone(),
                    barge_in: say.barge_in,
                })?,
                SpeechPart::Text(text) => self.speech_ms(&Say {
                    text: text.clone(),
                    voice: say.voice.clone(),
                    id: say.id.clone(),
                    barge_in: say.barge_in,
                })?,
            };
            total = total.saturating_add(ms);
        }
        Ok(total)
    }
}

/// Lengths without audio: 4 Chinese characters or 2.5 English words a second (typical TTS
/// speaking rates), and configured or default prompt lengths.
#[derive(Debug, Clone)]
pub struct EstimatedPlayout {
    /// Length of each prompt by name, in milliseconds.
    pub prompts: HashMap<String, u32>,
    /// Length of a prompt not in `prompts`, in milliseconds (3000 by default).
    pub default_prompt_ms: u32,
}

impl Default for EstimatedPlayout {
    fn default() -> Self {
        Self {
            prompts: HashMap::new(),
            default_prompt_ms: 3_000,
        }
    }
}

/// Milliseconds per CJK character at about 4 characters a second.
const MS_PER_CJK_CHAR: u32 = 250;
/// Milliseconds per Latin word at about 150 words a minute.
const MS_PER_WORD: u32 = 400;
/// Even a one-word prompt takes a moment to say.
const MIN_SPEECH_MS: u32 = 400;

/// Estimated speaking time of `text`.
pub fn estimate_speech_ms(text: &str) -> u32 {
    let cjk = text.chars().filter(|c| is_cjk(*c)).count() as u32;
    let words = text
        .split(|c: char| c.is_whitespace() || is_cjk(c))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count() as u32;
    (cjk * MS_PER_CJK_CHAR + words * MS_PER_WORD).max(MIN_SPEECH_MS)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

impl Playout for EstimatedPlayout {
    fn prompt_ms(&self, play: &Play) -> Result<u32, String> {
        Ok(self
            .prompts
            .get(&play.prompt)
            .copied()
            .unwrap_or(self.default_prompt_ms))
    }

    fn speech_ms(&self, say: &Say) -> Result<u32, String> {
        Ok(estimate_speech_ms(&say.text))
    }
}

/// Playouts for tests of the session and of the stages that drive it (replay).
pub mod test_playouts {
    use super::*;

    /// Every clip lasts `length_ms`; the first reply's audio takes `preparing_ms` to get
    /// ready, like text-to-speech on a cache miss.
    pub struct SlowPlayout {
        /// Milliseconds the first `prepare` takes; later ones take none.
        pub preparing_ms: u32,
        /// Length of every prompt and every `say`, in milliseconds.
        pub length_ms: u32,
    }

    impl Playout for SlowPlayout {
        fn prepare<'a>(&'a mut self, _now: Millis, _actions: &'a [Action]) -> Prepared<'a> {
            Box::pin(std::future::ready(std::mem::take(&mut self.preparing_ms)))
        }

        fn prompt_ms(&self, _play: &Play) -> Result<u32, String> {
            Ok(self.length_ms)
        }

        fn speech_ms(&self, _say: &Say) -> Result<u32, String> {
            Ok(self.length_ms)
        }

        fn parts_ms(&self, _say: &SayParts) -> Result<u32, String> {
            Ok(self.length_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_timed_by_characters_and_english_by_words() {
        assert_eq!(estimate_speech_ms("您好，王先生"), 5 * MS_PER_CJK_CHAR);
        assert_eq!(estimate_speech_ms("Hello there, Mr Wang"), 4 * MS_PER_WORD);
        assert_eq!(
            estimate_speech_ms("优惠券 50 元"),
            4 * MS_PER_CJK_CHAR + MS_PER_WORD
        );
        assert_eq!(estimate_speech_ms("嗯"), MIN_SPEECH_MS);
    }

    #[test]
    fn parts_last_as_long_as_their_prompts_and_their_spoken_text() {
        let playout = EstimatedPlayout {
            prompts: [("greeting-a".to_string(), 1_200)].into_iter().collect(),
            default_prompt_ms: 3_000,
        };
        let say = SayParts {
            parts: vec![
                SpeechPart::Prompt("greeting-a".into()),
                SpeechPart::Text("张三".into()),
                SpeechPart::Prompt("greeting-b".into()),
            ],
            voice: String::new(),
            id: "greeting".into(),
            barge_in: false,
        };
        assert_eq!(
            playout.parts_ms(&say),
            Ok(1_200 + estimate_speech_ms("张三") + 3_000)
        );
        assert_eq!(InstantPlayout.parts_ms(&say), Ok(0));
    }
}

/// Zero-length playback, for text chat: the customer reads the bot's reply at once, so the
/// listen timers start right away and there is nothing to barge in on.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstantPlayout;

impl Playout for InstantPlayout {
    fn prompt_ms(&self, _play: &Play) -> Result<u32, String> {
        Ok(0)
    }

    fn speech_ms(&self, _say: &Say) -> Result<u32, String> {
        Ok(0)
    }
}

impl<P: Playout + ?Sized> Playout for Box<P> {
    fn prepare<'a>(&'a mut self, now: Millis, actions: &'a [Action]) -> Prepared<'a> {
        (**self).prepare(now, actions)
    }

    fn prompt_ms(&self, play: &Play) -> Result<u32, String> {
        (**self).prompt_ms(play)
    }

    fn speech_ms(&self, say: &Say) -> Result<u32, String> {
        (**self).speech_ms(say)
    }

    fn parts_ms(&self, say: &SayParts) -> Result<u32, String> {
        (**self).parts_ms(say)
    }
}
