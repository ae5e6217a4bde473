//! Language tags: which language a listen expects the customer to speak, as a module, a
//! tenant, a script's `listen` and the server's `--asr` option name it.
//!
//! A tag is a BCP 47 language tag of the common shapes (`zh`, `zh-CN`, `zh-Hans-CN`,
//! `en-US`, `yue-HK`), written in its canonical case so that `zh-cn` and `zh-CN` are one
//! language to every stage. Extensions and private-use subtags are refused: no recogniser
//! is configured by them, and accepting them would only let two spellings of one language
//! miss each other.

use std::fmt;

/// Longest tag accepted; `zh-Hans-CN` is 10 and the longest common shapes are under 20.
const MAX_TAG_LEN: usize = 35;

/// A language tag in canonical case (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Parses `text` (`zh-CN`, `en_us`…; `_` is read as `-`), or says why it is not a tag.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("a language tag cannot be empty".into());
        }
        if text.len() > MAX_TAG_LEN {
            return Err(format!("`{text}` is longer than {MAX_TAG_LEN} characters"));
        }
        let mut canonical = Vec::new();
        for (index, subtag) in text.split(['-', '_']).enumerate() {
            canonical.push(canonical_subtag(index, subtag).ok_or_else(|| {
                format!(
                    "`{text}` is not a language tag: use a language and an optional script \
                     and region, like `zh-CN`, `zh-Hans-CN` or `en-US`"
                )
            })?);
        }
        Ok(Self(canonical.join("-")))
    }

    /// The tag, e.g. `zh-CN`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language alone, e.g. `zh` for `zh-CN`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

/// Subtag `index` in canonical case: the language (2–3 letters) first, then an optional
/// script (4 letters, `Hans`) and region (2 letters `CN` or 3 digits `419`) in that order.
fn canonical_subtag(index: usize, subtag: &str) -> Option<String> {
    let letters = subtag.chars().all(|c| c.is_ascii_alphabetic());
    match (index, subtag.len()) {
        (0, 2..=3) if letters => Some(subtag.to_ascii_lowercase()),
        (1, 4) if letters => {
            let mut script = subtag.to_ascii_lowercase();
            script[..1].make_ascii_uppercase();
            Some(script)
        }
        (1 | 2, 2) if letters => Some(subtag.to_ascii_uppercase()),
        (1 | 2, 3) if subtag.chars().all(|c| c.is_ascii_digit()) => Some(subtag.into()),
        _ => None,
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        LanguageTag::parse(text).expect("a tag").to_string()
    }

    #[test]
    fn spellings_of_one_language_read_as_one_tag() {
        assert_eq!(canonical("zh-cn"), "zh-CN");
        assert_eq!(canonical("ZH_cn"), "zh-CN");
        assert_eq!(canonical(" en-US "), "en-US");
        assert_eq!(canonical("zh-hans-cn"), "zh-Hans-CN");
        assert_eq!(canonical("es-419"), "es-419");
        assert_eq!(canonical("yue"), "yue");
    }

    #[test]
    fn the_primary_language_is_the_first_subtag() {
        assert_eq!(LanguageTag::parse("zh-CN").expect("a tag").primary(), "zh");
        assert_eq!(LanguageTag::parse("en").expect("a tag").primary(), "en");
    }

    #[test]
    fn what_is_not_a_plain_tag_is_refused_with_an_example() {
        for bad in [
            "",
            "chinese",
            "z",
            "zh-CN-x-private",
            "zh--CN",
            "zh-C",
            "1a",
            "zh-CN-CN-CN",
            "中文",
        ] {
            let error = LanguageTag::parse(bad).expect_err(bad);
            assert!(
                error.contains("zh-CN") || error.contains("empty") || error.contains("longer"),
                "{bad}: {error}"
            );
        }
    }
}
