//! The pronunciation dictionary (CMUdict, from `pocketsphinx-en-us`), read once and shared
//! by every decoder: grammar decoders start with an empty dictionary and are taught only
//! the hint words they need, which keeps each one at a few megabytes instead of the ~21 MB
//! a decoder spends on the full 134,000-word dictionary. This copy costs ~20 MB once, and
//! reading it ~0.1 s (optimised build).

use std::collections::HashMap;
use std::path::Path;

use crate::asr::AsrError;

/// Word → its pronunciations, one per line (CMUdict lists variants as `word(2)`).
pub(super) struct Lexicon {
    words: HashMap<Box<str>, String>,
}

impl Lexicon {
    /// Reads a dictionary file (`word PH O NES` per line).
    pub fn load(path: &Path) -> Result<Self, AsrError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AsrError::Engine(format!(
                "cannot read the dictionary {}: {e}",
                path.display()
            ))
        })?;
        let mut words: HashMap<Box<str>, String> = HashMap::new();
        for line in text.lines() {
            let Some((word, phones)) = line.trim().split_once(char::is_whitespace) else {
                continue;
            };
            // `word(2)` is a variant of `word`.
            let word = word.split('(').next().unwrap_or(word);
            let pronunciations = words.entry(word.into()).or_default();
            if !pronunciations.is_empty() {
                pronunciations.push('\n');
            }
            pronunciations.push_str(phones.trim());
        }
        Ok(Self { words })
    }

    pub fn contains(&self, word: &str) -> bool {
        self.words.contains_key(word)
    }

    /// The pronunciations of `word` (none if unknown).
    pub fn pronunciations(&self, word: &str) -> impl Iterator<Item = &str> {
        self.words
            .get(word)
            .map(|p| p.lines())
            .into_iter()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_gathered_under_their_word() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("d.dict");
        std::fs::write(
            &path,
            "tomorrow T AH M AA R OW\ntomorrow(2) T UW M AA R OW\nyes Y EH S\n",
        )
        .expect("write");
        let lexicon = Lexicon::load(&path).expect("load");
        assert_eq!(
            lexicon.pronunciations("tomorrow").collect::<Vec<_>>(),
            ["T AH M AA R OW", "T UW M AA R OW"]
        );
        assert!(lexicon.contains("yes") && !lexicon.contains("no"));
        assert_eq!(lexicon.pronunciations("no").count(), 0);
    }
}
