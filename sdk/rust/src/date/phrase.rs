//! [`parse_date`]: the date a customer names, in Chinese or English, relative to the call's
//! "today".
//!
//! The text is scanned left to right; at each position the longest date expression wins and
//! scanning goes on after it, so `大后天` is not read as `后天` and `12月5号` not as `5号`.
//! When several dates are named, the last one counts: customers correct themselves
//! ("今天不行，明天吧", "不是明天，是后天").

use super::calendar::Date;
use super::cursor::Cursor;
use super::{chinese, english};
use crate::number::is_numeral;
use crate::text::fold_keeping_punctuation;

/// The date named in `text`, relative to `today` (usually
/// [`CallStarted::local_date`](crate::CallStarted::local_date)).
///
/// | said | means (today = Monday 2026-11-23) |
/// |---|---|
/// | `今天` `明天` `后天` `大后天`, `today` `tomorrow` `the day after tomorrow` | 11-23, 11-24, 11-25, 11-26 |
/// | `周五` `星期五` `礼拜五`, `friday` `on friday` | the next Friday, today included: 11-27 |
/// | `这周五` `本周五` | Friday of this week (Monday to Sunday), even if it has passed: 11-27 |
/// | `下周一` `下个星期一` `下礼拜一`, `next monday` | Monday of next week: 11-30 |
/// | `下下周一` | Monday of the week after: 12-07 |
/// | `三天后` `3天内` `一周后` `两个星期内`, `in 3 days` `within three days` `in a week` | 11-26, 11-26, 11-30, 12-07 |
/// | `5号` `五日`, `the 5th` | the next 5th, today included: 12-05 (`25号`: 11-25) |
/// | `12月5号` `十二月五日`, `December 5` `Dec 5th` `5th of December` | the nearest December 5th, past or future: 12-05 (`11月20号`: 2026-11-20) |
/// | `下个月5号` `下月五号`, `本月30号` | day 5 of next month, day 30 of this month |
/// | `月底` `这个月底` `下个月底` `12月底`, `end of the month` `end of next month` | the last day of that month |
/// | `2026-12-05` `2026/12/5` `20261205` `2026年12月5日` `二零二六年十二月五日` `Dec 5, 2026` | 2026-12-05 |
///
/// Input is normalised first (full-width digits, case, spaces between Chinese characters).
/// `None` means no date was named, or the date named does not exist (`2月30号`, `31号` in a
/// 30-day month), or the last date named was vague (`两三天后`): ask again. Whether a date is
/// acceptable (not past, not too far) is the script's decision.
///
/// ```
/// use huashu_sdk::date::{parse_date, Date};
///
/// let today = Date::new(2026, 11, 23).unwrap();
/// assert_eq!(parse_date("我下周一还", today), Date::new(2026, 11, 30));
/// assert_eq!(parse_date("十二月五号吧", today), Date::new(2026, 12, 5));
/// assert_eq!(parse_date("I'll pay tomorrow", today), Date::new(2026, 11, 24));
/// assert_eq!(parse_date("过几天吧", today), None);
/// ```
pub fn parse_date(text: &str, today: Date) -> Option<Date> {
    let text = fold_keeping_punctuation(text);
    let mut last = None;
    let mut pos = 0;
    while let Some(c) = text[pos..].chars().next() {
        let prev = text[..pos].chars().next_back();
        match longest_at(&text[pos..], prev, today) {
            Some((len, date)) => {
                last = Some(date);
                pos += len;
            }
            None => pos += c.len_utf8(),
        }
    }
    last.flatten()
}

/// A date expression found at the start of the text: its length in bytes, and the date
/// (`None` when the expression names a date that does not exist).
pub(super) type Found = (usize, Option<Date>);

type Pattern = fn(&str, Date) -> Option<Found>;

const PATTERNS: [Pattern; 14] = [
    relative_day,
    numeric,
    chinese::weekday,
    chinese::offset,
    chinese::month_day,
    chinese::day_in_month,
    chinese::day_of_month,
    chinese::month_end,
    english::weekday,
    english::offset,
    english::month_end,
    english::month_name_day,
    english::day_month_name,
    english::the_nth,
];

fn longest_at(rest: &str, prev: Option<char>, today: Date) -> Option<Found> {
    let first = rest.chars().next()?;
    let continues_word = match prev {
        Some(p) if first.is_ascii_alphanumeric() => p.is_ascii_alphanumeric(),
        Some(p) if is_numeral(first) => is_numeral(p),
        _ => false,
    };
    if continues_word {
        return None;
    }
    PATTERNS
        .iter()
        .filter_map(|pattern| pattern(rest, today))
        .max_by_key(|(len, _)| *len)
}

fn relative_day(text: &str, today: Date) -> Option<Found> {
    const DAYS: [(&str, i64); 16] = [
        ("大后天", 3),
        ("后天", 2),
        ("明天", 1),
        ("明日", 1),
        ("明儿", 1),
        ("明早", 1),
        ("明晚", 1),
        ("今天", 0),
        ("今日", 0),
        ("今儿", 0),
        ("今晚", 0),
        ("当天", 0),
        ("the day after tomorrow", 2),
        ("day after tomorrow", 2),
        ("tomorrow", 1),
        ("today", 0),
    ];
    let (phrase, days) = DAYS.iter().find(|(phrase, _)| {
        let mut c = Cursor::new(text);
        c.eat(phrase) && (!phrase.is_ascii() || c.at_word_end())
    })?;
    Some((phrase.len(), Some(today.add_days(*days))))
}

fn numeric(text: &str, _today: Date) -> Option<Found> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits == 8 {
        return Some((8, Date::parse_iso(&text[..8])));
    }
    let mut c = Cursor::new(text);
    let year = if digits == 4 {
        c.arabic_number(4)?
    } else {
        return None;
    };
    let separator = c.eat_any(&["-", "/", "."])?;
    let month = c.arabic_number(2)?;
    if !c.eat(["-", "/", "."][separator]) {
        return None;
    }
    let day = c.arabic_number(2)?;
    c.found(Date::new(
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    ))
}

/// Which week a weekday phrase means.
#[derive(Clone, Copy)]
pub(super) enum Week {
    /// The next such day, today included.
    Upcoming,
    /// This week (Monday to Sunday) plus this many weeks.
    Ahead(i64),
}

pub(super) fn on_weekday(today: Date, week: Week, day: u8) -> Date {
    let today_index = i64::from(today.weekday().days_from_monday());
    let day = i64::from(day);
    match week {
        Week::Upcoming => today.add_days((day - today_index).rem_euclid(7)),
        Week::Ahead(weeks) => today.add_days(7 * weeks + day - today_index),
    }
}

/// `month`/`day` in whichever of last, this and next year is closest to `today` (the later
/// one on a tie).
pub(super) fn nearest(today: Date, month: u8, day: u8) -> Option<Date> {
    (today.year() - 1..=today.year() + 1)
        .filter_map(|y| Date::new(y, month, day))
        .min_by_key(|d| (today.days_until(*d).abs(), -today.days_until(*d)))
}

/// Day `day` of this month if it is today or later, else of next month.
pub(super) fn upcoming_day(today: Date, day: u8) -> Option<Date> {
    today.in_month(u32::from(day < today.day()), day)
}
