//! Text normalisation shared by intent matching and date parsing, so that what the
//! recogniser writes (full-width digits, mixed case, punctuation, stray spaces between
//! Chinese characters) compares equal to what the script author typed.

/// Width and case folding: full-width ASCII (`ＯＫ`, `１２`) and the ideographic space become
/// their half-width forms, and letters become lowercase.
pub(crate) fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `c` belongs to a script written with spaces between words (Latin, digits,
/// Cyrillic…), as opposed to Chinese, Japanese and Korean, which are written without. Only
/// for the former do word boundaries and spaces carry meaning.
pub(crate) fn is_word_char(c: char) -> bool {
    // U+2E80 is where the CJK blocks begin; everything alphabetic below it is spaced.
    c.is_alphanumeric() && (c as u32) < 0x2E80
}

/// The form phrases are matched in: [`fold`]ed, punctuation and whitespace dropped, except
/// that a single space is kept between two words of a spaced script (`not interested`).
pub(crate) fn normalize(text: &str) -> String {
    tidy(&fold(text), |c| c.is_alphanumeric())
}

/// [`fold`]ed, with whitespace tidied the way [`normalize`] does but punctuation kept, so
/// that `2026-12-05` and `12/5` survive for the date parser.
pub(crate) fn fold_keeping_punctuation(text: &str) -> String {
    tidy(&fold(text), |c| !c.is_whitespace())
}

/// Keeps the characters `keep` accepts; a run of the others becomes one space if it stands
/// between two word characters and disappears otherwise.
fn tidy(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if !keep(c) {
            gap = true;
            continue;
        }
        if gap && is_word_char(c) && out.chars().next_back().is_some_and(is_word_char) {
            out.push(' ');
        }
        gap = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_width_and_case_and_drops_punctuation() {
        assert_eq!(normalize("好的，ＯＫ！"), "好的ok");
        assert_eq!(normalize("不 需 要 。"), "不需要");
        assert_eq!(normalize("Not, interested!"), "not interested");
        assert_eq!(normalize("I don't  know"), "i don t know");
        assert_eq!(normalize("我要 coupon 谢谢"), "我要coupon谢谢");
        assert_eq!(normalize("１２月５号"), "12月5号");
    }

    #[test]
    fn fold_keeping_punctuation_keeps_date_separators() {
        assert_eq!(fold_keeping_punctuation(" 2026-12-05 "), "2026-12-05");
        assert_eq!(fold_keeping_punctuation("下 周一"), "下周一");
        assert_eq!(fold_keeping_punctuation("Next   Monday"), "next monday");
    }
}
