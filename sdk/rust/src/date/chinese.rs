//! Date expressions in Chinese: weekdays (`下周一`), offsets (`三天后`), month and day
//! (`十二月五号`), day of the month (`5号`, `下个月5号`) and month ends (`月底`).

use super::calendar::Date;
use super::cursor::Cursor;
use super::phrase::{Found, Week, nearest, on_weekday, upcoming_day};

pub(super) fn weekday(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let week = match c.eat_any(&["下下", "下", "这", "本"]) {
        Some(0) => Week::Ahead(2),
        Some(1) => Week::Ahead(1),
        Some(_) => Week::Ahead(0),
        None => Week::Upcoming,
    };
    c.eat("个");
    c.eat_any(&["星期", "礼拜", "周"])?;
    let day = match c.char()? {
        '一' | '1' => 0,
        '二' | '2' => 1,
        '三' | '3' => 2,
        '四' | '4' => 3,
        '五' | '5' => 4,
        '六' | '6' | '末' => 5,
        '日' | '天' | '7' => 6,
        _ => return None,
    };
    c.found(Some(on_weekday(today, week, day)))
}

pub(super) fn offset(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let n = c.number()?;
    c.eat("个");
    let unit = match c.eat_any(&["天", "日", "星期", "礼拜", "周"])? {
        0 | 1 => 1,
        _ => 7,
    };
    c.eat_any(&["以后", "之后", "以内", "之内", "后", "内"])?;
    c.found(Some(today.add_days(i64::from(n) * unit)))
}

pub(super) fn month_day(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let mut year = None;
    let start = c.pos;
    match c.number() {
        Some(y) if c.eat("年") => year = Some(if y < 100 { 2000 + y } else { y }),
        _ => c.pos = start,
    }
    let month = u8::try_from(c.number()?)
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    if !c.eat("月") {
        return None;
    }
    let year = year.and_then(|y| i32::try_from(y).ok());
    if c.eat_any(&["底", "末"]).is_some() {
        let first = match year {
            Some(y) => Date::new(y, month, 1),
            None => nearest(today, month, 1),
        };
        return c.found(first.map(Date::end_of_month));
    }
    let day = u8::try_from(c.number()?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    c.eat_any(&["日", "号"]);
    c.found(match year {
        Some(y) => Date::new(y, month, day),
        None => nearest(today, month, day),
    })
}

pub(super) fn day_in_month(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let months = match c.eat_any(&["下个月", "下月", "这个月", "本月", "这月"])? {
        0 | 1 => 1,
        _ => 0,
    };
    c.eat("的");
    let day = u8::try_from(c.number()?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    c.eat_any(&["日", "号"])?;
    c.found(today.in_month(months, day))
}

pub(super) fn day_of_month(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let day = u8::try_from(c.number()?)
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    c.eat_any(&["日", "号"])?;
    // `3号线`, `5号楼`: a numbered line, building or room, not a day.
    if c.rest()
        .starts_with(['线', '楼', '房', '室', '门', '院', '床', '车'])
    {
        return None;
    }
    c.found(upcoming_day(today, day))
}

pub(super) fn month_end(text: &str, today: Date) -> Option<Found> {
    let mut c = Cursor::new(text);
    let next = matches!(c.eat_any(&["下个", "下", "这个", "本"]), Some(0 | 1));
    c.eat_any(&["月底", "月末"])?;
    c.found(today.in_month(u32::from(next), 1).map(Date::end_of_month))
}
