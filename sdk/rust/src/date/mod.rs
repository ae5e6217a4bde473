//! Calendar dates for scripts: [`Date`] (what "today" is for a call, arithmetic, ISO and
//! Chinese formatting) and [`parse_date`], which turns what a customer says ("明天",
//! "下周一", "12月5号", "tomorrow", "2026-12-05") into a date.
//!
//! Everything here is pure: "today" always comes from the call
//! ([`CallStarted::local_date`](crate::CallStarted::local_date)), never from a clock, so
//! replays of a call give the same dates.

mod calendar;
mod chinese;
mod cursor;
mod english;
mod phrase;

pub use calendar::{Date, Weekday};
pub use phrase::parse_date;

/// UTC offset of Beijing time (China Standard Time), in minutes, for
/// [`CallStarted::local_date`](crate::CallStarted::local_date).
pub const BEIJING: i32 = 8 * 60;

#[cfg(test)]
mod phrase_tests;
