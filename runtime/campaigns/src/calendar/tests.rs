//! The calendar driven by an injected clock: wall times in, openings out.

use huashu_store::campaigns::Weekday::{self, Fri, Mon, Thu, Tue, Wed};
use jiff::civil::DateTime;

use super::*;

const EVERY_DAY: &[Weekday] = &Weekday::ALL;
const WEEKDAYS: &[Weekday] = &[Mon, Tue, Wed, Thu, Fri];
const SHANGHAI: &str = "Asia/Shanghai";
const NEW_YORK: &str = "America/New_York";

fn time(text: &str) -> TimeOfDay {
    text.parse().expect("a time of day")
}

fn span(start: &str, end: &str) -> TimeSpan {
    TimeSpan {
        start: time(start),
        end: time(end),
    }
}

/// A schedule in `zone` with `windows` (days, start, end) and nothing else.
fn schedule(zone: &str, windows: &[(&[Weekday], &str, &str)]) -> Schedule {
    Schedule {
        time_zone: zone.into(),
        windows: windows
            .iter()
            .map(
                |(days, start, end)| huashu_store::campaigns::CallingWindow {
                    days: days.to_vec(),
                    start: time(start),
                    end: time(end),
                },
            )
            .collect(),
        ..Schedule::default()
    }
}

fn calendar(schedule: &Schedule) -> Calendar {
    Calendar::new(schedule, default_platform_hours()).expect("a valid schedule")
}

/// The instant `zone`'s wall clock shows `local` (`2027-03-10 09:30`).
fn ms(zone: &str, local: &str) -> u64 {
    let wall: DateTime = local.replace(' ', "T").parse().expect("a wall time");
    let instant = wall
        .to_zoned(TimeZone::get(zone).expect("a zone"))
        .expect("in range")
        .timestamp()
        .as_millisecond();
    u64::try_from(instant).expect("after 1970")
}

/// `ms` on `zone`'s wall clock: `2027-03-10 09:30 Wed`.
fn local(zone: &str, ms: u64) -> String {
    Timestamp::from_millisecond(i64::try_from(ms).expect("in range"))
        .expect("in range")
        .to_zoned(TimeZone::get(zone).expect("a zone"))
        .strftime("%Y-%m-%d %H:%M %a")
        .to_string()
}

fn utc(text: &str) -> u64 {
    let instant = text.parse::<Timestamp>().expect("an instant");
    u64::try_from(instant.as_millisecond()).expect("after 1970")
}

/// The opening at `now` (a wall time in `zone`) for a contact in `contact`, told on
/// `zone`'s wall clock: `now`, `never` or `at 2027-03-10 13:30 Wed`.
fn next(cal: &Calendar, zone: &str, now: &str, contact: Option<&str>) -> String {
    match cal.next_opening(ms(zone, now), contact) {
        Opening::Now => "now".into(),
        Opening::At(at) => format!("at {}", local(zone, at)),
        Opening::Never => "never".into(),
    }
}

fn until(cal: &Calendar, zone: &str, now: &str, contact: Option<&str>) -> Option<String> {
    cal.open_until(ms(zone, now), contact)
        .map(|end| local(zone, end))
}

#[test]
fn a_contact_inside_a_window_may_be_called_now_and_until_it_closes() {
    let cal = calendar(&schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]));
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 09:00", None), "now");
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 17:59", None), "now");
    assert_eq!(
        until(&cal, SHANGHAI, "2027-03-10 17:59", None).as_deref(),
        Some("2027-03-10 18:00 Wed")
    );
}

#[test]
fn a_contact_outside_a_window_waits_for_the_next_one() {
    let cal = calendar(&schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]));
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 08:30", None),
        "at 2027-03-10 09:00 Wed"
    );
    // The end is exclusive.
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 18:00", None),
        "at 2027-03-11 09:00 Thu"
    );
    assert_eq!(until(&cal, SHANGHAI, "2027-03-10 18:00", None), None);
}

#[test]
fn two_windows_a_day_leave_the_lunch_hours_closed() {
    // The default schedule: 09:00–12:00 and 13:30–20:00 every day.
    let cal = calendar(&Schedule::default());
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 11:00", None), "now");
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 12:30", None),
        "at 2027-03-10 13:30 Wed"
    );
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 13:30", None), "now");
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 20:00", None),
        "at 2027-03-11 09:00 Thu"
    );
}

#[test]
fn a_break_inside_a_window_closes_it_for_the_break() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.breaks = vec![span("12:00", "13:00")];
    let cal = calendar(&s);
    assert_eq!(
        until(&cal, SHANGHAI, "2027-03-10 11:00", None).as_deref(),
        Some("2027-03-10 12:00 Wed")
    );
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 12:15", None),
        "at 2027-03-10 13:00 Wed"
    );
    assert_eq!(until(&cal, SHANGHAI, "2027-03-10 12:15", None), None);
}

#[test]
fn a_blackout_date_is_skipped_whole() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.blackout_dates = vec!["2027-03-11".into()];
    let cal = calendar(&s);
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 18:30", None),
        "at 2027-03-12 09:00 Fri"
    );
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-11 10:00", None),
        "at 2027-03-12 09:00 Fri"
    );
}

#[test]
fn nothing_opens_before_starts_on() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.starts_on = Some("2027-04-01".into());
    let cal = calendar(&s);
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 10:00", None),
        "at 2027-04-01 09:00 Thu"
    );
}

#[test]
fn a_start_date_years_away_is_still_found() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.starts_on = Some("2030-01-02".into());
    let cal = calendar(&s);
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 10:00", None),
        "at 2030-01-02 09:00 Wed"
    );
}

#[test]
fn after_ends_on_nothing_opens_and_the_campaign_has_ended() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.ends_on = Some("2027-03-10".into());
    let cal = calendar(&s);
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 17:00", None), "now");
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 18:30", None), "never");
    assert!(!cal.has_ended(ms(SHANGHAI, "2027-03-10 23:59")));
    assert!(cal.has_ended(ms(SHANGHAI, "2027-03-11 00:00")));
    assert_eq!(next(&cal, SHANGHAI, "2027-03-11 10:00", None), "never");
    assert_eq!(cal.ends_at_ms(), Some(ms(SHANGHAI, "2027-03-11 00:00")));
}

#[test]
fn ends_on_is_read_on_the_campaigns_calendar_even_for_a_contact_elsewhere() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.ends_on = Some("2027-03-10".into());
    let cal = calendar(&s);
    let la = Some("America/Los_Angeles");
    // Shanghai's 2027-03-11 00:00 is 08:00 on the 10th in Los Angeles: the contact's
    // last day never opens.
    assert_eq!(
        next(&cal, "America/Los_Angeles", "2027-03-09 17:00", la),
        "now"
    );
    assert_eq!(
        next(&cal, "America/Los_Angeles", "2027-03-09 18:30", la),
        "never"
    );
}

#[test]
fn the_platform_hours_cut_a_wider_tenant_window() {
    let cal = calendar(&schedule(SHANGHAI, &[(EVERY_DAY, "07:00", "22:00")]));
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 07:30", None),
        "at 2027-03-10 08:00 Wed"
    );
    assert_eq!(
        until(&cal, SHANGHAI, "2027-03-10 20:59", None).as_deref(),
        Some("2027-03-10 21:00 Wed")
    );
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 21:30", None),
        "at 2027-03-11 08:00 Thu"
    );
}

#[test]
fn windows_wholly_outside_the_platform_hours_never_open() {
    let cal = calendar(&schedule(SHANGHAI, &[(EVERY_DAY, "21:00", "23:00")]));
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 22:00", None), "never");
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 10:00", None), "never");
}

#[test]
fn a_contact_in_another_zone_is_called_in_its_own_hours() {
    let cal = calendar(&schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]));
    let urumqi = Some("Asia/Urumqi");
    // 09:30 in Shanghai is 07:30 in Urumqi: a Shanghai contact now, an Urumqi one at
    // 09:00 their time, 11:00 in Shanghai.
    assert_eq!(next(&cal, SHANGHAI, "2027-03-10 09:30", None), "now");
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-10 09:30", urumqi),
        "at 2027-03-10 11:00 Wed"
    );
    assert_eq!(
        until(&cal, SHANGHAI, "2027-03-10 19:00", urumqi).as_deref(),
        Some("2027-03-10 20:00 Wed")
    );
    // 15:00 in Shanghai is 23:00 the day before in Los Angeles.
    let la = Some("America/Los_Angeles");
    assert_eq!(
        next(&cal, "America/Los_Angeles", "2027-03-09 23:00", la),
        "at 2027-03-10 09:00 Wed"
    );
}

#[test]
fn blackouts_and_starts_on_are_read_on_the_contacts_calendar() {
    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.blackout_dates = vec!["2027-03-10".into()];
    let cal = calendar(&s);
    // 2027-03-10 10:00 in Los Angeles is already the 11th in Shanghai, but the blackout
    // is the contact's own day.
    let la = Some("America/Los_Angeles");
    assert_eq!(
        next(&cal, "America/Los_Angeles", "2027-03-10 10:00", la),
        "at 2027-03-11 09:00 Thu"
    );
}

#[test]
fn an_unknown_contact_zone_falls_back_to_the_campaigns() {
    let cal = calendar(&schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]));
    for _ in 0..2 {
        assert_eq!(
            next(&cal, SHANGHAI, "2027-03-10 08:30", Some("Mars/Olympus")),
            "at 2027-03-10 09:00 Wed"
        );
    }
}

#[test]
fn weekday_windows_skip_the_weekend() {
    let cal = calendar(&schedule(SHANGHAI, &[(WEEKDAYS, "09:00", "18:00")]));
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-12 19:00", None),
        "at 2027-03-15 09:00 Mon"
    );
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-13 10:00", None),
        "at 2027-03-15 09:00 Mon"
    );
}

#[test]
fn a_window_opens_at_the_same_wall_time_across_spring_forward() {
    // New York moves its clocks forward on Sunday 2027-03-14.
    let cal = calendar(&schedule(NEW_YORK, &[(EVERY_DAY, "09:00", "17:00")]));
    let saturday = cal.next_opening(ms(NEW_YORK, "2027-03-13 07:00"), None);
    let sunday = cal.next_opening(ms(NEW_YORK, "2027-03-13 18:00"), None);
    assert_eq!(saturday, Opening::At(utc("2027-03-13T14:00:00Z")));
    assert_eq!(sunday, Opening::At(utc("2027-03-14T13:00:00Z")));
    assert_eq!(
        next(&cal, NEW_YORK, "2027-03-13 18:00", None),
        "at 2027-03-14 09:00 Sun"
    );
}

#[test]
fn a_window_opens_at_the_same_wall_time_across_fall_back() {
    // Berlin moves its clocks back on Sunday 2027-10-31.
    let berlin = "Europe/Berlin";
    let cal = calendar(&schedule(berlin, &[(EVERY_DAY, "09:00", "17:00")]));
    let saturday = cal.next_opening(ms(berlin, "2027-10-30 07:00"), None);
    let sunday = cal.next_opening(ms(berlin, "2027-10-30 18:00"), None);
    assert_eq!(saturday, Opening::At(utc("2027-10-30T07:00:00Z")));
    assert_eq!(sunday, Opening::At(utc("2027-10-31T08:00:00Z")));
}

#[test]
fn a_window_starting_in_the_skipped_hour_opens_when_the_clock_jumps() {
    // An operator who allows the whole day; New York skips 02:00–03:00 on 2027-03-14.
    let cal = Calendar::new(
        &schedule(NEW_YORK, &[(EVERY_DAY, "02:30", "04:00")]),
        span("00:00", "24:00"),
    )
    .expect("a valid schedule");
    let opening = cal.next_opening(ms(NEW_YORK, "2027-03-14 01:00"), None);
    assert_eq!(opening, Opening::At(utc("2027-03-14T07:00:00Z")));
    assert_eq!(
        local(NEW_YORK, utc("2027-03-14T07:00:00Z")),
        "2027-03-14 03:00 Sun"
    );
}

#[test]
fn a_window_starting_in_the_repeated_hour_opens_the_first_time() {
    // New York shows 01:00–02:00 twice on 2027-11-07: first as EDT, then as EST.
    let cal = Calendar::new(
        &schedule(NEW_YORK, &[(EVERY_DAY, "01:30", "03:00")]),
        span("00:00", "24:00"),
    )
    .expect("a valid schedule");
    let opening = cal.next_opening(ms(NEW_YORK, "2027-11-07 00:30"), None);
    assert_eq!(opening, Opening::At(utc("2027-11-07T05:30:00Z")));
}

#[test]
fn back_to_back_spans_across_midnight_stay_open_as_one() {
    let cal = Calendar::new(
        &schedule(
            SHANGHAI,
            &[(&[Wed], "20:00", "24:00"), (&[Thu], "00:00", "02:00")],
        ),
        span("00:00", "24:00"),
    )
    .expect("a valid schedule");
    assert_eq!(
        until(&cal, SHANGHAI, "2027-03-10 23:00", None).as_deref(),
        Some("2027-03-11 02:00 Thu")
    );
}

#[test]
fn an_unknown_zone_or_an_impossible_date_names_its_field() {
    let s = schedule("Mars/Olympus", &[(EVERY_DAY, "09:00", "18:00")]);
    let err = Calendar::new(&s, default_platform_hours()).expect_err("no such zone");
    assert_eq!(err.field(), "schedule.time_zone");
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");

    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.blackout_dates = vec!["2027-02-10".into(), "2027-02-30".into()];
    let err = Calendar::new(&s, default_platform_hours()).expect_err("no 30 February");
    assert_eq!(err.field(), "schedule.blackout_dates[1]");
    assert!(err.problem().contains("2027-02-30"), "{err}");
    let field = InvalidField::from(err);
    assert_eq!(field.field, "schedule.blackout_dates[1]");

    let mut s = schedule(SHANGHAI, &[(EVERY_DAY, "09:00", "18:00")]);
    s.ends_on = Some("2027/03/01".into());
    let err = Calendar::new(&s, default_platform_hours()).expect_err("not YYYY-MM-DD");
    assert_eq!(err.field(), "schedule.ends_on");
}

#[test]
fn time_zones_are_checked_by_name() {
    assert_eq!(check_time_zone("Asia/Urumqi"), Ok(()));
    assert_eq!(check_time_zone("America/New_York"), Ok(()));
    let err = check_time_zone("Asia/Beijing").expect_err("not an IANA name");
    assert!(err.contains("Asia/Beijing"), "{err}");
}

#[test]
fn many_blackouts_on_the_only_open_weekday_still_find_the_next_one() {
    // Sixty-four Mondays in a row blacked out: the opening is the 65th.
    let mut s = schedule(SHANGHAI, &[(&[Mon], "09:00", "18:00")]);
    let first = Date::new(2027, 3, 15).expect("a Monday");
    s.blackout_dates = (0..64)
        .map(|week| {
            first
                .checked_add(jiff::Span::new().weeks(week))
                .expect("in range")
                .to_string()
        })
        .collect();
    let cal = calendar(&s);
    assert_eq!(
        next(&cal, SHANGHAI, "2027-03-12 10:00", None),
        "at 2028-06-05 09:00 Mon"
    );
}

/// A measurement, not a check: how long one dial decision takes for a contact in its own
/// zone. Run with `--ignored --nocapture`.
#[test]
#[ignore = "a measurement; run with --ignored --nocapture"]
fn a_dial_decision_with_a_contact_zone_is_cheap() {
    let cal = calendar(&Schedule::default());
    let start = ms(SHANGHAI, "2027-03-10 12:30");
    let calls = 100_000u64;
    let began = std::time::Instant::now();
    let mut later = 0;
    for i in 0..calls {
        let zone = if i % 2 == 0 {
            "Asia/Urumqi"
        } else {
            "America/Los_Angeles"
        };
        if matches!(
            cal.next_opening(start + i * 1000, Some(zone)),
            Opening::At(_)
        ) {
            later += 1;
        }
    }
    let per_call = began.elapsed() / u32::try_from(calls).expect("small");
    println!("next_opening with a contact zone: {per_call:?} per call ({later} answered At)");
}
