//! From the wall clock to instants: which moment a local date and time of day names in a
//! time zone, including on the days daylight saving time starts and ends, and reading the
//! schedule's `YYYY-MM-DD` dates.
//!
//! A time the clock skips (02:30 on a spring-forward night) names the instant the clock
//! jumps, the first one that exists after it; a time the clock shows twice (01:30 on a
//! fall-back night) names the first of the two.

use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// The instant, in ms since the Unix epoch, at which `date`'s wall clock in `zone` shows
/// `minute` minutes past midnight (1440: the next day's midnight). `None` only at the ends
/// of the representable calendar.
pub(super) fn instant_ms(zone: &TimeZone, date: Date, minute: u16) -> Option<i64> {
    let (date, minute) = if minute >= 24 * 60 {
        (date.tomorrow().ok()?, minute - 24 * 60)
    } else {
        (date, minute)
    };
    let hour = i8::try_from(minute / 60).ok()?;
    let minute = i8::try_from(minute % 60).ok()?;
    let wall = date.to_datetime(Time::new(hour, minute, 0, 0).ok()?);
    let ambiguous = zone.to_ambiguous_timestamp(wall);
    let instant = match ambiguous.offset() {
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the offset in force after the jump, the skipped time falls just
            // before the jump; the zone's next transition is the jump itself.
            let before_jump = after.to_timestamp(wall).ok()?;
            match zone.following(before_jump).next() {
                Some(jump) => jump.timestamp(),
                None => ambiguous.compatible().ok()?,
            }
        }
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().ok()?
        }
    };
    Some(instant.as_millisecond())
}

/// A schedule date, `YYYY-MM-DD`, that exists on the calendar. The error says what is wrong
/// in words a tenant can act on.
pub(super) fn parse_date(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(format!("{text:?} is not a date: write `YYYY-MM-DD`"));
    }
    let number = |range: std::ops::Range<usize>| -> Option<u16> {
        text.get(range).and_then(|digits| digits.parse().ok())
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return Err(format!("{text:?} is not a date: write `YYYY-MM-DD`"));
    };
    let year = i16::try_from(year).map_err(|_| format!("{text:?}: the year is out of range"))?;
    let month = i8::try_from(month)
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| format!("{text:?} has no month {month:02}: months are 01 to 12"))?;
    let first = Date::new(year, month, 1)
        .map_err(|_| format!("{text:?}: the year {year} is out of range"))?;
    let last = first.days_in_month();
    i8::try_from(day)
        .ok()
        .filter(|d| (1..=last).contains(d))
        .and_then(|d| Date::new(year, month, d).ok())
        .ok_or_else(|| {
            format!(
                "{text:?} is not a day on the calendar: {year}-{month:02} has days 01 to {last}"
            )
        })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("a zone in the bundled database")
    }

    fn utc(text: &str) -> i64 {
        text.parse::<Timestamp>()
            .expect("an instant")
            .as_millisecond()
    }

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn a_plain_wall_time_names_one_instant() {
        let shanghai = zone("Asia/Shanghai");
        assert_eq!(
            instant_ms(&shanghai, date("2027-03-10"), 9 * 60 + 30),
            Some(utc("2027-03-10T01:30:00Z"))
        );
        assert_eq!(
            instant_ms(&shanghai, date("2027-03-10"), 24 * 60),
            Some(utc("2027-03-10T16:00:00Z"))
        );
    }

    #[test]
    fn a_skipped_wall_time_names_the_instant_the_clock_jumps() {
        // New York, 2027-03-14: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
        let new_york = zone("America/New_York");
        assert_eq!(
            instant_ms(&new_york, date("2027-03-14"), 2 * 60 + 30),
            Some(utc("2027-03-14T07:00:00Z"))
        );
        assert_eq!(
            instant_ms(&new_york, date("2027-03-14"), 3 * 60),
            Some(utc("2027-03-14T07:00:00Z"))
        );
    }

    #[test]
    fn a_repeated_wall_time_names_the_first_of_the_two() {
        // New York, 2027-11-07: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
        let new_york = zone("America/New_York");
        assert_eq!(
            instant_ms(&new_york, date("2027-11-07"), 60 + 30),
            Some(utc("2027-11-07T05:30:00Z"))
        );
    }

    #[test]
    fn dates_must_exist_on_the_calendar() {
        assert_eq!(parse_date("2028-02-29"), Ok(date("2028-02-29")));
        let err = parse_date("2027-02-30").expect_err("February 2027 has 28 days");
        assert!(err.contains("01 to 28"), "{err}");
        for bad in [
            "2027-13-01",
            "2027-1-01",
            "20270101",
            "2027/01/01",
            "+2027-01-0",
            "",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
