//! The server's recognisers by language: which [`SpeechRecognizer`] hears a listen in
//! `zh-CN`, which one in `en-US`, and which language a listen means when it names none.
//!
//! An utterance goes only to a recogniser configured for its language. A language with
//! none is answered with [`NoRecogniser`], never with a guess from another language's
//! model: an English grammar hears Mandarin "不需要" as some English hint, with high
//! apparent confidence, and a wrong "yes" is worse than "I didn't catch that".

use std::fmt;
use std::sync::Arc;

use thiserror::Error;

use super::SpeechRecognizer;
use huashu_contract::LanguageTag;

/// The language of a listen that names none, on a module and tenant that name none either:
/// the embedded recogniser's.
pub const DEFAULT_LANGUAGE: &str = "en-US";

/// No recogniser on this server handles the language.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "no speech recogniser on this server handles `{language}` (it has: {available}); the \
     operator adds one with `huashu serve --asr {language}=…`"
)]
pub struct NoRecogniser {
    /// The language asked for.
    pub language: String,
    /// The languages that are configured, for the message.
    pub available: String,
}

/// One configured recogniser.
struct Entry {
    language: LanguageTag,
    engine: Arc<dyn SpeechRecognizer>,
    /// What the operator configured, for logs (`pocketsphinx`, the server's URL).
    name: String,
}

/// The recognisers voice calls use, by language (see the module documentation).
pub struct Recognizers {
    entries: Vec<Entry>,
    default_language: LanguageTag,
}

impl Recognizers {
    /// No recognisers yet; listens that name no language mean `default_language`.
    pub fn new(default_language: LanguageTag) -> Self {
        Self {
            entries: Vec::new(),
            default_language,
        }
    }

    /// Adds `engine` for `language` (`name` says what it is, for logs). A later entry for
    /// the same language replaces the earlier one.
    pub fn add(
        &mut self,
        language: LanguageTag,
        name: impl Into<String>,
        engine: Arc<dyn SpeechRecognizer>,
    ) {
        self.entries.retain(|entry| entry.language != language);
        self.entries.push(Entry {
            language,
            engine,
            name: name.into(),
        });
    }

    /// The language a listen means: `requested` if it names one (already validated by the
    /// session), else the server's default.
    pub fn language_of(&self, requested: &str) -> String {
        match LanguageTag::parse(requested) {
            Ok(tag) => tag.to_string(),
            Err(_) => self.default_language.to_string(),
        }
    }

    /// The recogniser for `language`: the one configured for exactly that tag, else one
    /// configured for the language alone (`zh` serves `zh-CN` and `zh-TW`). A recogniser
    /// for `zh-CN` never serves `zh-TW` or `zh`: a region can be another spoken language.
    pub fn for_language(&self, language: &str) -> Result<&Arc<dyn SpeechRecognizer>, NoRecogniser> {
        let wanted = LanguageTag::parse(language).map_err(|_| self.none_for(language))?;
        self.entries
            .iter()
            .find(|entry| entry.language == wanted)
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|entry| entry.language.as_str() == wanted.primary())
            })
            .map(|entry| &entry.engine)
            .ok_or_else(|| self.none_for(wanted.as_str()))
    }

    /// Whether some recogniser handles `language`.
    pub fn handles(&self, language: &str) -> bool {
        self.for_language(language).is_ok()
    }

    /// The configured languages, in the order they were added.
    pub fn languages(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|entry| entry.language.to_string())
            .collect()
    }

    /// True when no recogniser is configured at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn none_for(&self, language: &str) -> NoRecogniser {
        NoRecogniser {
            language: language.into(),
            available: if self.entries.is_empty() {
                "none".into()
            } else {
                self.languages().join(", ")
            },
        }
    }
}

impl fmt::Debug for Recognizers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .entries
            .iter()
            .map(|entry| format!("{}={}", entry.language, entry.name))
            .collect();
        f.debug_struct("Recognizers")
            .field("entries", &entries)
            .field("default_language", &self.default_language.as_str())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::{AsrError, Recognition, RecognitionOptions};

    /// A recogniser that only says which one it is, through its error.
    struct Named(&'static str);

    impl SpeechRecognizer for Named {
        fn start(&self, _: RecognitionOptions) -> Result<Recognition, AsrError> {
            Err(AsrError::Engine(self.0.into()))
        }
    }

    fn tag(text: &str) -> LanguageTag {
        LanguageTag::parse(text).expect("a tag")
    }

    fn which(recognizers: &Recognizers, language: &str) -> Result<String, NoRecogniser> {
        let engine = recognizers.for_language(language)?;
        match engine.start(RecognitionOptions::default()) {
            Err(AsrError::Engine(name)) => Ok(name),
            _ => panic!("the test recogniser only names itself"),
        }
    }

    fn english_and_mandarin() -> Recognizers {
        let mut recognizers = Recognizers::new(tag(DEFAULT_LANGUAGE));
        recognizers.add(tag("en-US"), "pocketsphinx", Arc::new(Named("english")));
        recognizers.add(tag("zh"), "ws://asr", Arc::new(Named("mandarin")));
        recognizers
    }

    #[test]
    fn an_utterance_goes_to_the_recogniser_of_its_language() {
        let recognizers = english_and_mandarin();
        assert_eq!(which(&recognizers, "en-US").as_deref(), Ok("english"));
        assert_eq!(which(&recognizers, "en-us").as_deref(), Ok("english"));
        assert_eq!(which(&recognizers, "zh-CN").as_deref(), Ok("mandarin"));
        assert_eq!(which(&recognizers, "zh").as_deref(), Ok("mandarin"));
    }

    #[test]
    fn a_language_without_a_recogniser_is_refused_never_guessed() {
        let recognizers = english_and_mandarin();
        let refused = which(&recognizers, "ja-JP").expect_err("no Japanese recogniser");
        assert_eq!(refused.language, "ja-JP");
        assert!(refused.to_string().contains("en-US, zh"), "{refused}");
        assert!(refused.to_string().contains("--asr ja-JP="), "{refused}");
        // A recogniser for one region does not serve the bare language or another region.
        let mut regional = Recognizers::new(tag("zh-CN"));
        regional.add(tag("zh-CN"), "ws://asr", Arc::new(Named("mandarin")));
        assert!(regional.handles("zh-CN"));
        assert!(!regional.handles("zh-TW"));
        assert!(!regional.handles("zh"));
        assert!(!Recognizers::new(tag("en-US")).handles("en-US"));
    }

    #[test]
    fn a_listen_that_names_no_language_means_the_default() {
        let recognizers = Recognizers::new(tag("zh-CN"));
        assert_eq!(recognizers.language_of(""), "zh-CN");
        assert_eq!(recognizers.language_of("en-us"), "en-US");
    }

    #[test]
    fn a_later_recogniser_for_a_language_replaces_the_earlier_one() {
        let mut recognizers = english_and_mandarin();
        recognizers.add(tag("en-US"), "ws://other", Arc::new(Named("other english")));
        assert_eq!(which(&recognizers, "en-US").as_deref(), Ok("other english"));
        assert_eq!(recognizers.languages(), ["zh", "en-US"]);
    }
}
