//! A listen's phrase hints as a JSGF grammar for PocketSphinx.
//!
//! With hints the decoder searches only the grammar "one of these phrases", which is what
//! makes a short answer ("yes", "no", "call me tomorrow") come out right where the general
//! language model would guess among 130,000 words. The price: anything else said comes out
//! as the closest hint; the decoder then checks the result against a free [`phone_loop`]
//! (`rejection`), which turns such forced matches into "no match".
//!
//! Hints are normalised to the dictionary's spelling (lower case, letters, digits and
//! apostrophes). A hint with a word the dictionary lacks (a name, Chinese text for this
//! English model) cannot be in the grammar and is left out; when no hint is usable the
//! decoder falls back to the full language model.

/// At most this many phrases go into one grammar: a listen offers a handful of answers, and
/// the grammar's size (and the decoder's search) grows with every phrase.
const MAX_PHRASES: usize = 100;

/// At most this many words in one phrase: hints are short answers, not sentences.
const MAX_WORDS: usize = 12;

/// A grammar of phrase hints and the words it uses (which the decoder must know).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct HintGrammar {
    pub jsgf: String,
    pub words: Vec<String>,
}

/// The grammar for `hints` and the hints left out; no grammar when no hint is usable.
pub(super) fn hints(
    hints: &[String],
    mut known: impl FnMut(&str) -> bool,
) -> (Option<HintGrammar>, Vec<String>) {
    let mut phrases: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut skipped = Vec::new();
    for hint in hints {
        let hint_words = normalise(hint);
        let usable = !hint_words.is_empty()
            && hint_words.len() <= MAX_WORDS
            && hint_words.iter().all(|w| known(w))
            && phrases.len() < MAX_PHRASES;
        if !usable {
            skipped.push(hint.clone());
            continue;
        }
        let phrase = hint_words.join(" ");
        if !phrases.contains(&phrase) {
            phrases.push(phrase);
        }
        for word in hint_words {
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    if phrases.is_empty() {
        return (None, skipped);
    }
    let jsgf = format!(
        "#JSGF V1.0;\ngrammar hints;\npublic <hint> = {};\n",
        phrases.join(" | ")
    );
    (Some(HintGrammar { jsgf, words }), skipped)
}

/// The 39 phones of CMUdict and the en-us acoustic model (silence aside).
pub(super) const PHONES: [&str; 39] = [
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
];

/// The pseudo-word for a phone in the phone loop. The underscore keeps it apart from
/// dictionary words and from normalised hints.
pub(super) fn phone_word(phone: &str) -> String {
    format!("ph_{}", phone.to_ascii_lowercase())
}

/// A free loop of phones: what any speech looks like without the hints' constraint. The
/// hint grammar's score against this one is how well the utterance fits a hint.
pub(super) fn phone_loop() -> String {
    let words: Vec<String> = PHONES.iter().map(|p| phone_word(p)).collect();
    format!(
        "#JSGF V1.0;\ngrammar phones;\npublic <phones> = ( {} )*;\n",
        words.join(" | ")
    )
}

/// Words of a hint as the dictionary spells them; everything else separates words (so no
/// JSGF syntax can get through).
fn normalise(hint: &str) -> Vec<String> {
    hint.to_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_phone_loop_covers_every_phone() {
        let phone_loop = phone_loop();
        assert!(phone_loop.contains("( ph_aa | ph_ae |") && phone_loop.ends_with("ph_zh )*;\n"));
    }

    #[test]
    fn hints_become_one_alternative_each() {
        let known = |w: &str| ["yes", "no", "call", "me", "tomorrow"].contains(&w);
        let (grammar, skipped) = hints(&list(&["Yes!", "no", "call me  tomorrow", "No"]), known);
        let grammar = grammar.expect("a grammar");
        assert_eq!(
            grammar.jsgf,
            "#JSGF V1.0;\ngrammar hints;\npublic <hint> = yes | no | call me tomorrow;\n"
        );
        assert_eq!(
            grammar.words,
            list(&["yes", "no", "call", "me", "tomorrow"])
        );
        assert!(skipped.is_empty());
    }

    #[test]
    fn unknown_words_and_syntax_are_left_out() {
        let known = |w: &str| w == "yes";
        let (grammar, skipped) = hints(&list(&["yes", "方便", "yes <x> = |", "zork"]), known);
        // "yes <x> = |" normalises to "yes x", and "x" is not a known word.
        assert_eq!(
            grammar.map(|g| g.jsgf).as_deref(),
            Some("#JSGF V1.0;\ngrammar hints;\npublic <hint> = yes;\n")
        );
        assert_eq!(skipped, list(&["方便", "yes <x> = |", "zork"]));
        assert_eq!(hints(&list(&["方便"]), known).0, None);
    }
}
