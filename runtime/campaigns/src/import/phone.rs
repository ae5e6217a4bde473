//! Phone numbers as a Chinese company's CRM export holds them, turned into E.164: mainland
//! mobiles and landlines written nationally (`138-0013-8000`, `(010)12345678`), with the
//! country code in any of its usual spellings (`+86`, `0086`, `86`), and other countries'
//! numbers written internationally. What cannot be dialled is refused with a reason the
//! tenant can act on. Whether a number is on a do-not-call list is not this module's
//! question.

use huashu_store::telephony::{E164_RULE, normalize_e164};
use thiserror::Error;

/// Digits in a mainland mobile number (`13800138000`).
const MOBILE_DIGITS: usize = 11;
/// Shortest and longest subscriber number after a mainland area code: 7 digits in smaller
/// cities, 8 in the large ones (MIIT numbering plan).
const SUBSCRIBER_DIGITS: std::ops::RangeInclusive<usize> = 7..=8;
/// Longest number that is a service code rather than a subscriber: emergency (`110`),
/// carrier (`10086`) and bank (`95555`) lines have 3 to 6 digits.
const MAX_SERVICE_DIGITS: usize = 6;

/// Why a number cannot be imported, in words the tenant can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneProblem {
    /// Nothing was written.
    #[error("there is no number: fill in the phone number, or delete the row")]
    Empty,
    /// A spreadsheet turned the number into `1.38001E+10` and lost its digits.
    #[error(
        "the number was saved in scientific notation (like 1.38E+10), which loses digits: \
         format the column as text in the spreadsheet and export the file again"
    )]
    ScientificNotation,
    /// Letters (an extension such as `转801`, a note, a name in the wrong column).
    #[error(
        "the number contains letters: write only the digits (spaces, dashes, brackets and a \
         leading + are fine), and put extensions or notes in another column"
    )]
    Letters,
    /// A character that has no place in a number.
    #[error(
        "the number contains {0:?}: write only the digits (spaces, dashes, brackets and a \
         leading + are fine)"
    )]
    Symbol(char),
    /// A service code (`110`, `10086`, `95555`), not a subscriber.
    #[error(
        "{0} is a short service number (emergency, carrier or bank line), which campaigns \
         do not call"
    )]
    ServiceNumber(String),
    /// Starts like a mainland mobile but has the wrong number of digits.
    #[error("a mainland mobile number has 11 digits (13800138000); this one has {0}")]
    MobileLength(usize),
    /// 11 digits starting `10`, `11` or `12`: no mainland mobile starts that way.
    #[error("this is not a mainland mobile number: mobile numbers start with 13 to 19")]
    NotMobile,
    /// A landline whose part after the area code is too short or too long.
    #[error(
        "a mainland landline is 0, the area code and a 7- or 8-digit number (010-12345678, \
         0755-1234567); after the area code {area} this one has {digits} digits"
    )]
    LandlineLength {
        /// The area code read.
        area: String,
        /// How many digits followed it.
        digits: usize,
    },
    /// Digits that may be a local landline number, written without its area code.
    #[error(
        "a mainland landline needs its area code: write 0, the area code and the number \
         (010-12345678), or a mobile as its 11 digits"
    )]
    MissingAreaCode,
    /// `+86` followed by neither a mobile nor a landline.
    #[error(
        "after +86 comes an 11-digit mobile number (+86 138 0013 8000) or an area code and \
         a landline number (+86 10 1234 5678); this is neither"
    )]
    NotMainland,
    /// Written internationally but not a valid E.164 number.
    #[error("this is not an international number: {E164_RULE}")]
    NotInternational,
}

/// `input` as an E.164 number: mainland mobiles and landlines in any of the spellings CRM
/// exports use, other countries' numbers with `+` or `00` and their country code.
///
/// `13800138000`, `138-0013-8000`, `+86 138 0013 8000`, `0086 13800138000` and
/// `8613800138000` all give `+8613800138000`; `(010)12345678` gives `+861012345678`;
/// `+1 415 555 0100` gives `+14155550100`. Full-width digits and brackets (`１３８…`,
/// `（010）`) read like their ASCII forms.
pub fn normalize_phone(input: &str) -> Result<String, PhoneProblem> {
    let compact = compact(input)?;
    if let Some(international) = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))
    {
        return match international.strip_prefix("86") {
            Some(national) => mainland(national.strip_prefix('0').unwrap_or(national))
                .ok_or(PhoneProblem::NotMainland),
            None => {
                normalize_e164(&format!("+{international}")).ok_or(PhoneProblem::NotInternational)
            }
        };
    }
    national(&compact)
}

/// The number with separators dropped and full-width forms made ASCII: digits, with at
/// most a leading `+`.
fn compact(input: &str) -> Result<String, PhoneProblem> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneProblem::Empty);
    }
    if scientific(trimmed) {
        return Err(PhoneProblem::ScientificNotation);
    }
    let mut out = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        let c = ascii_form(c);
        match c {
            '0'..='9' => out.push(c),
            '+' if out.is_empty() => out.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            c if c.is_whitespace() => {}
            c if c.is_alphabetic() => return Err(PhoneProblem::Letters),
            c => return Err(PhoneProblem::Symbol(c)),
        }
    }
    if out.is_empty() || out == "+" {
        return Err(PhoneProblem::Empty);
    }
    Ok(out)
}

/// Full-width digits, plus, dash and brackets (typed with a Chinese input method) as ASCII.
fn ascii_form(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '＋' => '+',
        '－' | '—' => '-',
        '（' => '(',
        '）' => ')',
        other => other,
    }
}

/// `1.38001E+10` and the like: what a spreadsheet writes for a long number it took for an
/// amount.
fn scientific(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let mantissa_ok = !mantissa.is_empty()
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().any(|b| b.is_ascii_digit());
    mantissa_ok && !exponent.is_empty() && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// A number written without `+` or `00`: a mainland number, possibly with `86` in front.
fn national(digits: &str) -> Result<String, PhoneProblem> {
    if digits.len() <= MAX_SERVICE_DIGITS {
        return Err(PhoneProblem::ServiceNumber(digits.to_owned()));
    }
    // `8613800138000`: the country code without its `+`, as some exports write it.
    if let Some(rest) = digits.strip_prefix("86")
        && is_mobile(rest)
    {
        return Ok(format!("+86{rest}"));
    }
    if let Some(rest) = digits.strip_prefix('0') {
        // A mobile dialled with the long-distance 0 in front is still the mobile.
        if is_mobile(rest) {
            return Ok(format!("+86{rest}"));
        }
        return landline(rest);
    }
    if digits.starts_with('1') {
        return if digits.len() != MOBILE_DIGITS {
            Err(PhoneProblem::MobileLength(digits.len()))
        } else if is_mobile(digits) {
            Ok(format!("+86{digits}"))
        } else {
            Err(PhoneProblem::NotMobile)
        };
    }
    Err(PhoneProblem::MissingAreaCode)
}

/// What follows `+86` (a leading trunk 0 already dropped): a mobile or an area code and a
/// landline number.
fn mainland(national: &str) -> Option<String> {
    if is_mobile(national) {
        return Some(format!("+86{national}"));
    }
    landline(national).ok()
}

/// 11 digits, `1`, then 3 to 9.
fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == MOBILE_DIGITS
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// An area code and a subscriber number, the trunk 0 already dropped. Area codes are two
/// digits for Beijing (`10`) and `20`–`29`, three digits elsewhere (`755`, `571`…).
fn landline(rest: &str) -> Result<String, PhoneProblem> {
    let area_len = match rest.as_bytes() {
        [b'1', b'0', ..] | [b'2', ..] => 2,
        [b'3'..=b'9', ..] => 3,
        // `01…` other than `010`, or `00` after a `+86`: no area code starts like this.
        _ => return Err(PhoneProblem::MissingAreaCode),
    };
    let Some((area, subscriber)) = rest.split_at_checked(area_len) else {
        return Err(PhoneProblem::MissingAreaCode);
    };
    if !SUBSCRIBER_DIGITS.contains(&subscriber.len()) {
        return Err(PhoneProblem::LandlineLength {
            area: format!("0{area}"),
            digits: subscriber.len(),
        });
    }
    Ok(format!("+86{area}{subscriber}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        normalize_phone(input).unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
    }

    fn refused(input: &str) -> PhoneProblem {
        normalize_phone(input).expect_err("should be refused")
    }

    #[test]
    fn mainland_mobiles_in_every_usual_spelling_become_the_same_number() {
        for input in [
            "13800138000",
            "138-0013-8000",
            "138 0013 8000",
            "+86 138 0013 8000",
            "+86-138-0013-8000",
            "0086 13800138000",
            "8613800138000",
            "+86 (0)138 0013 8000",
            " 13800138000\t",
            "１３８００１３８０００",
            "＋86 138 0013 8000",
        ] {
            assert_eq!(ok(input), "+8613800138000", "{input:?}");
        }
    }

    #[test]
    fn mainland_landlines_lose_the_trunk_zero_and_keep_the_area_code() {
        assert_eq!(ok("010-12345678"), "+861012345678");
        assert_eq!(ok("(010)12345678"), "+861012345678");
        assert_eq!(ok("（010）12345678"), "+861012345678");
        assert_eq!(ok("020 8765 4321"), "+862087654321");
        assert_eq!(ok("0755-12345678"), "+8675512345678");
        assert_eq!(ok("075512345678"), "+8675512345678");
        assert_eq!(ok("0755-1234567"), "+867551234567");
        assert_eq!(ok("+86 10 1234 5678"), "+861012345678");
        assert_eq!(ok("+86 (0)755 1234 5678"), "+8675512345678");
        assert_eq!(ok("0086 571 8888 7777"), "+8657188887777");
    }

    #[test]
    fn numbers_abroad_written_internationally_are_kept() {
        assert_eq!(ok("+1 415 555 0100"), "+14155550100");
        assert_eq!(ok("00 44 20 7946 0958"), "+442079460958");
        assert_eq!(ok("+852 2123 4567"), "+85221234567");
    }

    #[test]
    fn an_empty_cell_is_refused() {
        assert_eq!(refused(""), PhoneProblem::Empty);
        assert_eq!(refused("   "), PhoneProblem::Empty);
        assert_eq!(refused("--"), PhoneProblem::Empty);
        assert_eq!(refused("+"), PhoneProblem::Empty);
    }

    #[test]
    fn letters_and_stray_symbols_are_refused() {
        assert_eq!(refused("138abc00000"), PhoneProblem::Letters);
        assert_eq!(refused("010-12345678转801"), PhoneProblem::Letters);
        assert_eq!(refused("n/a"), PhoneProblem::Letters);
        assert_eq!(refused("138#0013#8000"), PhoneProblem::Symbol('#'));
        assert_eq!(refused("138+00138000"), PhoneProblem::Symbol('+'));
    }

    #[test]
    fn a_number_a_spreadsheet_wrote_in_scientific_notation_is_refused_with_how_to_fix_it() {
        assert_eq!(refused("1.38001E+10"), PhoneProblem::ScientificNotation);
        assert_eq!(refused("1.38e10"), PhoneProblem::ScientificNotation);
        assert!(
            refused("1.38E+10")
                .to_string()
                .contains("format the column as text")
        );
    }

    #[test]
    fn short_service_numbers_are_refused() {
        for input in ["95555", "10086", "110", "12315", "114"] {
            assert_eq!(
                refused(input),
                PhoneProblem::ServiceNumber(input.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn mainland_numbers_of_the_wrong_length_are_refused() {
        assert_eq!(refused("1380013800"), PhoneProblem::MobileLength(10));
        assert_eq!(refused("138001380001"), PhoneProblem::MobileLength(12));
        assert_eq!(refused("12345678901"), PhoneProblem::NotMobile);
        assert_eq!(
            refused("010-123456"),
            PhoneProblem::LandlineLength {
                area: "010".into(),
                digits: 6
            }
        );
        assert_eq!(
            refused("0755-123456789"),
            PhoneProblem::LandlineLength {
                area: "0755".into(),
                digits: 9
            }
        );
        assert_eq!(refused("87654321"), PhoneProblem::MissingAreaCode);
        assert_eq!(refused("01512345678"), PhoneProblem::MissingAreaCode);
    }

    #[test]
    fn plus_86_followed_by_neither_a_mobile_nor_a_landline_is_refused() {
        assert_eq!(refused("+86 1380013800"), PhoneProblem::NotMainland);
        assert_eq!(refused("+86 123 4567 8901"), PhoneProblem::NotMainland);
        assert_eq!(refused("+86 10 123"), PhoneProblem::NotMainland);
        assert_eq!(refused("0086 0012345678"), PhoneProblem::NotMainland);
    }

    #[test]
    fn international_numbers_that_are_not_e164_are_refused() {
        assert_eq!(refused("+1 415"), PhoneProblem::NotInternational);
        assert_eq!(refused("+0 123 456 789"), PhoneProblem::NotInternational);
        assert_eq!(refused("+1234567890123456"), PhoneProblem::NotInternational);
    }

    #[test]
    fn every_refusal_says_what_to_do_in_words() {
        for input in ["", "abc", "95555", "1380013800", "010-123", "+86 1", "+1 4"] {
            let reason = refused(input).to_string();
            assert!(reason.len() > 20, "{input:?}: {reason}");
        }
    }
}
