//! Turning an answer into a promise-to-pay date, and deciding whether that date can be
//! accepted. Pure functions, so the rules are unit-tested without a call.

use huashu_sdk::date::{Date, parse_date};

/// The latest promise we register, in days from today. Further out is a rescheduling
/// request that collectors handle themselves.
pub const MAX_PROMISE_DAYS: i64 = 30;

/// A date the customer named, checked against the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateCheck {
    Accepted(Date),
    /// Before today.
    Past,
    /// Later than [`MAX_PROMISE_DAYS`] from today.
    TooFar,
}

pub fn check(date: Date, today: Date) -> DateCheck {
    match today.days_until(date) {
        days if days < 0 => DateCheck::Past,
        days if days > MAX_PROMISE_DAYS => DateCheck::TooFar,
        _ => DateCheck::Accepted(date),
    }
}

/// The date named by speech ("明天", "下周一", "12月5号"), if any.
pub fn spoken(text: &str, today: Date) -> Option<Date> {
    parse_date(text, today)
}

/// What a key pressed at the promise question means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKey {
    /// 1: pay today.
    Today,
    /// 2: pay within three days (registered as the third day).
    WithinThreeDays,
    /// 3: key in a date.
    EnterDate,
}

pub fn menu_key(digits: &str) -> Option<MenuKey> {
    match digits {
        "1" => Some(MenuKey::Today),
        "2" => Some(MenuKey::WithinThreeDays),
        "3" => Some(MenuKey::EnterDate),
        _ => None,
    }
}

impl MenuKey {
    /// The promise date the key stands for (`None` for [`MenuKey::EnterDate`]).
    pub fn date(self, today: Date) -> Option<Date> {
        match self {
            MenuKey::Today => Some(today),
            MenuKey::WithinThreeDays => Some(today.add_days(3)),
            MenuKey::EnterDate => None,
        }
    }
}

/// A date keyed as eight digits, `YYYYMMDD` (`20261205`).
pub fn keyed(digits: &str) -> Option<Date> {
    (digits.len() == 8)
        .then(|| Date::parse_iso(digits))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 23).expect("valid date")
    }

    #[test]
    fn dates_from_today_to_thirty_days_are_accepted() {
        let t = today();
        assert_eq!(check(t, t), DateCheck::Accepted(t));
        assert_eq!(
            check(t.add_days(30), t),
            DateCheck::Accepted(t.add_days(30))
        );
        assert_eq!(check(t.add_days(31), t), DateCheck::TooFar);
        assert_eq!(check(t.add_days(-1), t), DateCheck::Past);
    }

    #[test]
    fn spoken_dates() {
        let t = today();
        assert_eq!(spoken("明天吧", t), Date::new(2026, 11, 24));
        assert_eq!(spoken("我下周一还", t), Date::new(2026, 11, 30));
        assert_eq!(
            spoken("十二月五号发工资，那天还", t),
            Date::new(2026, 12, 5)
        );
        assert_eq!(spoken("11月20号", t), Date::new(2026, 11, 20));
        assert_eq!(spoken("过几天", t), None);
    }

    #[test]
    fn keys() {
        let t = today();
        assert_eq!(menu_key("1").and_then(|k| k.date(t)), Some(t));
        assert_eq!(
            menu_key("2").and_then(|k| k.date(t)),
            Date::new(2026, 11, 26)
        );
        assert_eq!(menu_key("3"), Some(MenuKey::EnterDate));
        assert_eq!(menu_key("9"), None);
        assert_eq!(keyed("20261205"), Date::new(2026, 12, 5));
        assert_eq!(keyed("20261340"), None);
        assert_eq!(keyed("2026125"), None);
        assert_eq!(keyed(""), None);
    }
}
