//! Numbers as customers say them: Arabic digits (`25`), Chinese numerals (`二十五`, `两千五`),
//! English words (`twenty-five`); and digit strings read one digit at a time (`幺三八`,
//! `one three eight`).

use crate::text::normalize;

/// The number an utterance consists of: `"5"`, `"五"`, `"二十五"`, `"两千五"`, `"Five"`,
/// `"twenty-one"`. Punctuation and spaces are ignored; anything else (`"五分"`) gives `None`,
/// so use an [`IntentMatcher`](crate::IntentMatcher) for answers with more words around the
/// number.
pub fn parse_number(text: &str) -> Option<u32> {
    let text = normalize(text);
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    if let Some(n) = parse_chinese_numeral(&text) {
        return Some(n);
    }
    take_english_number(&text).and_then(|(n, len)| (len == text.len()).then_some(n))
}

/// A digit string read out digit by digit (card numbers, dates keyed as words): `"幺三八 零零"`
/// gives `"13800"`, `"one two three"` gives `"123"`. `None` if anything but digits was said.
pub fn parse_digits(text: &str) -> Option<String> {
    let text = normalize(text);
    let mut digits = String::new();
    let mut rest = text.as_str();
    while let Some(c) = rest.chars().next() {
        if let Some(d) = c.to_digit(10).or_else(|| chinese_digit(c)) {
            digits.push(char::from_digit(d, 10)?);
            rest = &rest[c.len_utf8()..];
        } else if c == ' ' {
            rest = &rest[1..];
        } else {
            let word_len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let d = ENGLISH_DIGITS.iter().position(|w| *w == &rest[..word_len]);
            let d = d.or((&rest[..word_len] == "oh").then_some(0))?;
            digits.push(char::from_digit(u32::try_from(d).ok()?, 10)?);
            rest = &rest[word_len..];
        }
    }
    (!digits.is_empty()).then_some(digits)
}

/// A number written in Chinese numerals, in counting form (`十五`, `一百零五`, `三百二` = 320,
/// `一万五` = 15000) or read digit by digit (`二零二六` = 2026, three digits or more).
pub fn parse_chinese_numeral(text: &str) -> Option<u32> {
    let chars: Vec<char> = text.chars().collect();
    if chars.iter().all(|&c| chinese_digit(c).is_some()) {
        return match chars.as_slice() {
            [] => None,
            [c] => chinese_digit(*c),
            // Two digits in a row (`三四天`) mean "three or four", not 34.
            [_, _] => None,
            _ if chars.contains(&'两') => None,
            _ => chars.iter().try_fold(0u32, |n, &c| {
                n.checked_mul(10)?.checked_add(chinese_digit(c)?)
            }),
        };
    }
    counting_form(&chars)
}

fn counting_form(chars: &[char]) -> Option<u32> {
    let mut wan: u32 = 0;
    let mut section: u32 = 0;
    let mut pending: Option<u32> = None;
    // The last unit written, for the colloquial `三百二` (= 三百二十).
    let mut last_unit: u32 = 0;
    // The smallest unit so far in this section: units must come in decreasing order.
    let mut section_unit = u32::MAX;
    let mut after_zero = false;
    for &c in chars {
        match (chinese_digit(c), c) {
            (Some(0), _) => {
                if pending.is_some() {
                    return None;
                }
                after_zero = true;
            }
            (Some(d), _) => {
                if pending.replace(d).is_some() {
                    return None;
                }
            }
            (None, '十' | '百' | '千') => {
                let unit = match c {
                    '十' => 10,
                    '百' => 100,
                    _ => 1000,
                };
                if unit >= section_unit {
                    return None;
                }
                let n = match pending.take() {
                    Some(n) => n,
                    None if unit == 10 => 1,
                    None => return None,
                };
                section = section.checked_add(n * unit)?;
                (last_unit, section_unit, after_zero) = (unit, unit, false);
            }
            (None, '万') => {
                if wan != 0 {
                    return None;
                }
                section = section.checked_add(pending.take().unwrap_or(0))?;
                if section == 0 {
                    return None;
                }
                wan = section.checked_mul(10_000)?;
                (section, last_unit, section_unit, after_zero) = (0, 10_000, u32::MAX, false);
            }
            _ => return None,
        }
    }
    if let Some(n) = pending {
        let scale = if last_unit >= 100 && !after_zero {
            last_unit / 10
        } else {
            1
        };
        section = section.checked_add(n.checked_mul(scale)?)?;
    }
    wan.checked_add(section)
}

fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn is_chinese_numeral(c: char) -> bool {
    chinese_digit(c).is_some() || matches!(c, '十' | '百' | '千' | '万')
}

/// True if `c` can be part of a number [`take_number`] reads.
pub(crate) fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || is_chinese_numeral(c)
}

/// The number at the start of `s` (Arabic digits or Chinese numerals) and its length in
/// bytes.
pub(crate) fn take_number(s: &str) -> Option<(u32, usize)> {
    let arabic = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if arabic > 0 {
        return Some((s[..arabic].parse().ok()?, arabic));
    }
    let chinese = s.find(|c: char| !is_chinese_numeral(c)).unwrap_or(s.len());
    if chinese > 0 {
        return Some((parse_chinese_numeral(&s[..chinese])?, chinese));
    }
    None
}

const ENGLISH_DIGITS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];
const ENGLISH_TEENS: [&str; 10] = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const ENGLISH_TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// An English number from 0 to 99 at the start of `s` (lowercase, words separated by one
/// space) and its length in bytes. `a`/`an` count as one (`in a week`).
pub(crate) fn take_english_number(s: &str) -> Option<(u32, usize)> {
    let word = |s: &str| -> Option<(u32, usize)> {
        let len = s
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(s.len());
        let w = &s[..len];
        let value = ENGLISH_DIGITS
            .iter()
            .position(|x| *x == w)
            .or_else(|| ENGLISH_TEENS.iter().position(|x| *x == w).map(|i| i + 10))
            .or_else(|| {
                ENGLISH_TENS
                    .iter()
                    .position(|x| *x == w)
                    .map(|i| i * 10 + 20)
            })
            .or_else(|| matches!(w, "a" | "an").then_some(1))?;
        Some((u32::try_from(value).ok()?, len))
    };
    let (n, len) = word(s)?;
    if n >= 20
        && n % 10 == 0
        && let Some(next) = s[len..].strip_prefix([' ', '-'])
        && let Some((units @ 1..=9, more)) = word(next)
    {
        return Some((n + units, len + 1 + more));
    }
    Some((n, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_chinese_and_english_numbers() {
        for (text, n) in [
            ("5", 5),
            ("２５", 25),
            ("五", 5),
            ("两", 2),
            ("十", 10),
            ("十五", 15),
            ("二十", 20),
            ("三十一", 31),
            ("一百零五", 105),
            ("三百二", 320),
            ("两千五百", 2500),
            ("两千五", 2500),
            ("一万五", 15000),
            ("三万零五十", 30050),
            ("二零二六", 2026),
            ("Five", 5),
            ("twenty-one", 21),
            ("thirty one.", 31),
        ] {
            assert_eq!(parse_number(text), Some(n), "{text}");
        }
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in [
            "",
            "五分",
            "三四",
            "百",
            "十十",
            "五五五万万",
            "fivefold",
            "twenty twenty",
        ] {
            assert_eq!(parse_number(text), None, "{text}");
        }
    }

    #[test]
    fn digits_read_one_by_one() {
        assert_eq!(parse_digits("幺三八，零零一").as_deref(), Some("138001"));
        assert_eq!(parse_digits("2026 12 05").as_deref(), Some("20261205"));
        assert_eq!(parse_digits("one two oh five").as_deref(), Some("1205"));
        assert_eq!(parse_digits("一二三四五"), Some("12345".into()));
        assert_eq!(parse_digits("十二"), None);
        assert_eq!(parse_digits("my number"), None);
        assert_eq!(parse_digits("  "), None);
    }

    #[test]
    fn take_number_reads_a_prefix() {
        assert_eq!(take_number("12月5号"), Some((12, 2)));
        assert_eq!(take_number("十二月"), Some((12, "十二".len())));
        assert_eq!(take_number("号"), None);
        assert_eq!(take_english_number("twenty five days"), Some((25, 11)));
        assert_eq!(take_english_number("a week"), Some((1, 1)));
        assert_eq!(take_english_number("another"), None);
    }
}
