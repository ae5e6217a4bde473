//! The proleptic Gregorian calendar: [`Date`] and [`Weekday`], with day arithmetic done on
//! days since 1970-01-01 (Howard Hinnant's `days_from_civil` algorithm).

use std::fmt;

/// A calendar date (no time, no time zone). Displays as ISO 8601: `2026-12-05`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Monday is 0, Sunday is 6.
    pub fn days_from_monday(self) -> u8 {
        self as u8
    }

    /// The weekday `days` (0 to 6) after Monday.
    pub fn from_days_from_monday(days: u8) -> Option<Weekday> {
        use Weekday::*;
        [
            Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
        ]
        .get(usize::from(days))
        .copied()
    }

    /// `周一` … `周日`.
    pub fn chinese(self) -> &'static str {
        ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][self as usize]
    }
}

impl Date {
    /// The date `year`-`month`-`day`, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The date at `unix_ms` milliseconds since the Unix epoch, in a time zone
    /// `utc_offset_minutes` east of UTC (480 for Beijing).
    pub fn from_unix_ms(unix_ms: u64, utc_offset_minutes: i32) -> Date {
        let local_ms = i128::from(unix_ms) + i128::from(utc_offset_minutes) * 60_000;
        let days = local_ms.div_euclid(86_400_000);
        Date::from_days_since_epoch(i64::try_from(days).unwrap_or(i64::MAX / 2))
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: month as u8,
            day: day as u8,
        }
    }

    /// Days from 1970-01-01 to this date (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let month = i64::from(self.month);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The date `days` later (earlier if negative).
    pub fn add_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// The day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday, three days after a Monday.
        let days = (self.days_since_epoch() + 3).rem_euclid(7);
        Weekday::from_days_from_monday(days as u8).unwrap_or(Weekday::Monday)
    }

    /// The last day of this date's month.
    pub fn end_of_month(self) -> Date {
        Date {
            day: days_in_month(self.year, self.month),
            ..self
        }
    }

    /// Day `day` of the month `months` after this date's month, if it exists.
    pub fn in_month(self, months: u32, day: u8) -> Option<Date> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        Date::new(year, (index.rem_euclid(12) + 1) as u8, day)
    }

    /// Parses `2026-12-05`, `2026/12/5`, `2026.12.05` or the eight digits `20261205` (as keyed
    /// on a phone).
    pub fn parse_iso(text: &str) -> Option<Date> {
        let text = text.trim();
        if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Date::new(
                text[..4].parse().ok()?,
                text[4..6].parse().ok()?,
                text[6..].parse().ok()?,
            );
        }
        let mut parts = text.split(['-', '/', '.']);
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |s: &str, max_len| {
            !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
        };
        if parts.next().is_some()
            || year.len() != 4
            || !digits(year, 4)
            || !digits(month, 2)
            || !digits(day, 2)
        {
            return None;
        }
        Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
    }

    /// The date as a Chinese speaker says it within the year: `12月5日`.
    pub fn chinese(self) -> String {
        format!("{}月{}日", self.month, self.day)
    }
}

/// The Unix epoch, 1970-01-01, so that script state holding a date can derive `Default`.
impl Default for Date {
    fn default() -> Self {
        Date {
            year: 1970,
            month: 1,
            day: 1,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Number of days in `month` (1 to 12) of `year`; 0 for a month that does not exist.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).expect("valid test date")
    }

    #[test]
    fn epoch_conversions_round_trip() {
        assert_eq!(Date::default().days_since_epoch(), 0);
        assert_eq!(date(2000, 3, 1).days_since_epoch(), 11_017);
        for days in [-800_000, -1, 0, 59, 11_016, 20_000, 20_780, 2_932_896] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
    }

    #[test]
    fn unix_ms_respects_the_offset() {
        // 2026-11-23T17:00:00Z
        let ms = 1_795_453_200_000;
        assert_eq!(Date::from_unix_ms(ms, 0), date(2026, 11, 23));
        assert_eq!(Date::from_unix_ms(ms, 480), date(2026, 11, 24));
        assert_eq!(Date::from_unix_ms(0, -60), date(1969, 12, 31));
    }

    #[test]
    fn weekdays() {
        assert_eq!(date(2026, 11, 23).weekday(), Weekday::Monday);
        assert_eq!(date(2026, 11, 29).weekday(), Weekday::Sunday);
        assert_eq!(date(1970, 1, 1).weekday(), Weekday::Thursday);
        assert_eq!(Weekday::Friday.chinese(), "周五");
    }

    #[test]
    fn arithmetic_crosses_months_and_leap_years() {
        assert_eq!(date(2026, 11, 30).add_days(1), date(2026, 12, 1));
        assert_eq!(date(2028, 2, 28).add_days(1), date(2028, 2, 29));
        assert_eq!(date(2100, 2, 28).add_days(1), date(2100, 3, 1));
        assert_eq!(date(2026, 12, 31).add_days(1), date(2027, 1, 1));
        assert_eq!(date(2026, 11, 23).days_until(date(2026, 12, 5)), 12);
        assert_eq!(date(2026, 11, 23).end_of_month(), date(2026, 11, 30));
        assert_eq!(date(2026, 12, 23).in_month(1, 5), Some(date(2027, 1, 5)));
        assert_eq!(date(2026, 1, 31).in_month(1, 30), None);
    }

    #[test]
    fn invalid_dates_do_not_exist() {
        assert_eq!(Date::new(2026, 2, 29), None);
        assert_eq!(Date::new(2026, 13, 1), None);
        assert_eq!(Date::new(2026, 4, 31), None);
        assert_eq!(Date::new(2026, 4, 0), None);
    }

    #[test]
    fn iso_parsing_and_formatting() {
        assert_eq!(Date::parse_iso("2026-12-05"), Some(date(2026, 12, 5)));
        assert_eq!(Date::parse_iso("2026/12/5"), Some(date(2026, 12, 5)));
        assert_eq!(Date::parse_iso("20261205"), Some(date(2026, 12, 5)));
        assert_eq!(Date::parse_iso("20261340"), None);
        assert_eq!(Date::parse_iso("26-12-05"), None);
        assert_eq!(Date::parse_iso("2026-12-05-01"), None);
        assert_eq!(Date::parse_iso("明天"), None);
        assert_eq!(date(2026, 12, 5).to_string(), "2026-12-05");
        assert_eq!(date(2026, 12, 5).chinese(), "12月5日");
    }
}
