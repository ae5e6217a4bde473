//! Tests of [`parse_date`] with the phrases customers actually use, in Chinese and English.

use super::{Date, parse_date};

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::new(y, m, d).expect("valid test date")
}

/// Monday, 23 November 2026.
fn monday() -> Date {
    date(2026, 11, 23)
}

/// A phrase and the date it must give, as (year, month, day).
type Case<'a> = (&'a str, Option<(i32, u8, u8)>);

fn check(today: Date, cases: &[Case<'_>]) {
    for (text, expected) in cases {
        let expected = expected.map(|(y, m, d)| date(y, m, d));
        assert_eq!(
            parse_date(text, today),
            expected,
            "{text:?} said on {today}"
        );
    }
}

#[test]
fn relative_days() {
    check(
        monday(),
        &[
            ("今天", Some((2026, 11, 23))),
            ("明天", Some((2026, 11, 24))),
            ("明天5点", Some((2026, 11, 24))),
            ("后天", Some((2026, 11, 25))),
            ("大后天", Some((2026, 11, 26))),
            ("Tomorrow.", Some((2026, 11, 24))),
            ("the day after tomorrow", Some((2026, 11, 25))),
            ("today", Some((2026, 11, 23))),
        ],
    );
}

#[test]
fn weekdays() {
    check(
        monday(),
        &[
            ("下周一", Some((2026, 11, 30))),
            ("下周五", Some((2026, 12, 4))),
            ("下个星期天", Some((2026, 12, 6))),
            ("下礼拜三", Some((2026, 12, 2))),
            ("下下周一", Some((2026, 12, 7))),
            ("这周五", Some((2026, 11, 27))),
            ("本周日", Some((2026, 11, 29))),
            ("周五", Some((2026, 11, 27))),
            ("星期一", Some((2026, 11, 23))),
            ("周末", Some((2026, 11, 28))),
            ("next Monday", Some((2026, 11, 30))),
            ("on friday", Some((2026, 11, 27))),
            ("Friday", Some((2026, 11, 27))),
        ],
    );
    // On a Sunday, "next Monday" is tomorrow and "this Monday" has passed.
    check(
        date(2026, 11, 29),
        &[
            ("下周一", Some((2026, 11, 30))),
            ("周一", Some((2026, 11, 30))),
            ("这周一", Some((2026, 11, 23))),
        ],
    );
}

#[test]
fn offsets() {
    check(
        monday(),
        &[
            ("三天后", Some((2026, 11, 26))),
            ("3天内", Some((2026, 11, 26))),
            ("一周后", Some((2026, 11, 30))),
            ("两个星期以内", Some((2026, 12, 7))),
            ("十天之后", Some((2026, 12, 3))),
            ("in 3 days", Some((2026, 11, 26))),
            ("within three days", Some((2026, 11, 26))),
            ("in a week", Some((2026, 11, 30))),
            ("two days from now", Some((2026, 11, 25))),
            ("两三天后", None),
        ],
    );
}

#[test]
fn days_of_the_month() {
    check(
        monday(),
        &[
            ("5号", Some((2026, 12, 5))),
            ("五号", Some((2026, 12, 5))),
            ("25号", Some((2026, 11, 25))),
            ("二十三号", Some((2026, 11, 23))),
            ("三十日", Some((2026, 11, 30))),
            ("31号", None),
            ("the 5th", Some((2026, 12, 5))),
            ("下个月5号", Some((2026, 12, 5))),
            ("下月十号", Some((2026, 12, 10))),
            ("本月30号", Some((2026, 11, 30))),
        ],
    );
}

#[test]
fn month_and_day() {
    check(
        monday(),
        &[
            ("12月5号", Some((2026, 12, 5))),
            ("12月5日", Some((2026, 12, 5))),
            ("十二月五号", Some((2026, 12, 5))),
            ("１２月５号", Some((2026, 12, 5))),
            ("12 月 5 号", Some((2026, 12, 5))),
            ("1月3日", Some((2027, 1, 3))),
            ("11月20号", Some((2026, 11, 20))),
            ("2月30号", None),
            ("December 5", Some((2026, 12, 5))),
            ("Dec. 5th", Some((2026, 12, 5))),
            ("5th of December", Some((2026, 12, 5))),
            ("january 3rd", Some((2027, 1, 3))),
        ],
    );
}

#[test]
fn month_ends() {
    check(
        monday(),
        &[
            ("月底", Some((2026, 11, 30))),
            ("这个月底", Some((2026, 11, 30))),
            ("下个月底", Some((2026, 12, 31))),
            ("12月底", Some((2026, 12, 31))),
            ("2月底", Some((2027, 2, 28))),
            ("end of the month", Some((2026, 11, 30))),
            ("end of next month", Some((2026, 12, 31))),
        ],
    );
}

#[test]
fn full_dates() {
    check(
        monday(),
        &[
            ("2026-12-05", Some((2026, 12, 5))),
            ("2026/12/5", Some((2026, 12, 5))),
            ("20261205", Some((2026, 12, 5))),
            ("2026年12月5日", Some((2026, 12, 5))),
            ("二零二六年十二月五日", Some((2026, 12, 5))),
            ("27年1月2号", Some((2027, 1, 2))),
            ("Dec 5, 2027", Some((2027, 12, 5))),
            ("2026-02-30", None),
            ("202612051", None),
        ],
    );
}

#[test]
fn dates_inside_sentences_and_corrections() {
    check(
        monday(),
        &[
            ("我明天就还", Some((2026, 11, 24))),
            ("下周一之前一定还上", Some((2026, 11, 30))),
            ("今天不行，明天吧", Some((2026, 11, 24))),
            ("不是明天，是后天", Some((2026, 11, 25))),
            ("我12月5号发工资，那天还", Some((2026, 12, 5))),
            ("I can pay tomorrow, I promise", Some((2026, 11, 24))),
            ("Maybe next Friday?", Some((2026, 12, 4))),
        ],
    );
}

#[test]
fn no_date_named() {
    check(
        monday(),
        &[
            ("", None),
            ("我没钱", None),
            ("过几天吧", None),
            ("还3000块", None),
            ("我在3号线上", None),
            ("yesterday", None),
            ("I may pay", None),
            ("星期", None),
        ],
    );
}

#[test]
fn year_end_rolls_into_next_year() {
    check(
        date(2026, 12, 28),
        &[
            ("明天", Some((2026, 12, 29))),
            ("下周一", Some((2027, 1, 4))),
            ("5号", Some((2027, 1, 5))),
            ("1月5号", Some((2027, 1, 5))),
            ("三天后", Some((2026, 12, 31))),
        ],
    );
}
