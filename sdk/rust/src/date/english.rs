//! Date expressions in English: weekdays (`next monday`), offsets (`in 3 days`), month
//! names (`December 5`, `5th of December`), `the 5th` and `end of the month`.

use super::calendar::Date;
use super::cursor::Cursor;
use super::phrase::{Found, Week, nearest, on_weekday, upcoming_day};

const WEEKDAYS_EN: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub(super) fn weekday(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let week = match c.eat_any(&["next ", "this ", "on "]) {
        Some(0) => Week::Ahead(1),
        _ => Week::Upcoming,
    };
    let day = c.eat_word(&WEEKDAYS_EN)?;
    c.found(Some(on_weekday(today, week, u8::try_from(day).ok()?)))
}

pub(super) fn offset(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let within = c.eat_any(&["in ", "within "]).is_some();
    let n = c.english_number()?;
    if !c.eat(" ") {
        return None;
    }
    let unit = match c.eat_word(&["day", "days", "week", "weeks"])? {
        0 | 1 => 1,
        _ => 7,
    };
    if !within && c.eat_any(&[" later", " from now"]).is_none() {
        return None;
    }
    c.found(Some(today.add_days(i64::from(n) * unit)))
}

pub(super) fn month_end(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    if !c.eat("end of ") {
        return None;
    }
    let next = c.eat_any(&["next ", "the ", "this "]) == Some(0);
    c.eat_word(&["month"])?;
    c.found(today.in_month(u32::from(next), 1).map(Date::end_of_month))
}

const MONTHS_EN: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const MONTHS_EN_SHORT: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_name(c: &mut Cursor<'_>) -> Option<u8> {
    let index = if let Some(index) = c.eat_word(&MONTHS_EN) {
        index
    } else if let Some(index) = c.eat_word(&MONTHS_EN_SHORT) {
        c.eat(".");
        index
    } else {
        c.eat_word(&["sept"]).map(|_| 8)?
    };
    u8::try_from(index + 1).ok()
}

fn day_number(c: &mut Cursor<'_>) -> Option<u8> {
    let day = u8::try_from(c.arabic_number(2)?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    c.eat_word(&["st", "nd", "rd", "th"]);
    c.at_word_end().then_some(day)
}

fn with_year(c: &mut Cursor<'_>, today: Date, month: u8, day: u8) -> Option<Date> {
    let start = c.pos;
    // Normalisation drops the space after a comma: `dec 5, 2026` arrives as `dec 5,2026`.
    if (c.eat(",") | c.eat(" "))
        && let Some(year) = c.arabic_number(4).filter(|y| *y >= 1000)
    {
        return Date::new(i32::try_from(year).ok()?, month, day);
    }
    c.pos = start;
    nearest(today, month, day)
}

pub(super) fn month_name_day(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let month = month_name(&mut c)?;
    // No space after an abbreviation's full stop survives normalisation: `dec.5th`.
    if !c.eat(" ") && !c.text_before().ends_with('.') {
        return None;
    }
    c.eat("the ");
    let day = day_number(&mut c)?;
    let date = with_year(&mut c, today, month, day);
    c.found(date)
}

pub(super) fn day_month_name(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let day = day_number(&mut c)?;
    if !c.eat(" ") {
        return None;
    }
    c.eat("of ");
    let month = month_name(&mut c)?;
    let date = with_year(&mut c, today, month, day);
    c.found(date)
}

pub(super) fn the_nth(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    if !c.eat("the ") {
        return None;
    }
    let day = u8::try_from(c.arabic_number(2)?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    c.eat_word(&["st", "nd", "rd", "th"])?;
    c.found(upcoming_day(today, day))
}
