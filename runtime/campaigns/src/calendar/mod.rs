//! When a contact may be called: a campaign's calling windows, breaks, blackout dates and
//! start and end dates, cut to the platform's calling hours, read on the callee's wall
//! clock. Pure: a clock reading comes in (ms since the Unix epoch), a decision comes out;
//! nothing here dials, stores or sleeps.
//!
//! # The rules
//!
//! On a day the campaign may call, the open time is the union of that weekday's windows,
//! cut to the platform's hours (an operator's ceiling the tenant cannot widen, 08:00–21:00
//! by default), minus the breaks. No day is open before `starts_on` or on a blackout date.
//! All of that is read in the callee's time zone: the contact's own when it has one, the
//! campaign's otherwise. `ends_on` is different: it is the tenant's calendar, read in the
//! campaign's zone, so the campaign ends at the campaign-zone midnight after `ends_on`
//! for every contact, wherever they live.
//!
//! # Daylight saving time
//!
//! Windows are wall-clock times: a 09:00 window opens at 09:00 local time on both sides of
//! a clock change, so its instant moves by an hour. A window edge the clock skips (02:30 on
//! a spring-forward night) falls on the instant the clock jumps, the first valid one after
//! it; an edge the clock shows twice (01:30 on a fall-back night) falls on the earlier of
//! the two instants. Under the default platform hours no edge is ever near a change.
//!
//! # Use
//!
//! Build a [`Calendar`] once per campaign (it resolves the zone and parses the dates, and
//! says which field is wrong if one is), then ask it per dial decision:
//! [`Calendar::next_opening`] (now, later, or never), [`Calendar::open_until`] (when the
//! current opening closes) and [`Calendar::has_ended`].

mod minutes;
mod wall;

use std::collections::HashMap;
use std::sync::Mutex;

use huashu_store::InvalidField;
use huashu_store::campaigns::{Schedule, TimeOfDay, TimeSpan};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use thiserror::Error;

use minutes::{Minutes, open_minutes, weekday_index};

/// Most contact time zones one calendar remembers. There are about 600 IANA names, and the
/// importer refuses unknown ones, so this only bounds memory against a store holding
/// garbage; a zone past the bound is still honoured, just looked up on every call.
const MAX_CACHED_ZONES: usize = 1024;

/// The platform's default calling hours, callee-local: 08:00–21:00, the hours consumer
/// protection rules commonly allow for sales calls (the US rule is 8 a.m. to 9 p.m. at the
/// called party's location). Stricter local rules are the tenant's windows to set.
pub fn default_platform_hours() -> TimeSpan {
    TimeSpan {
        start: TimeOfDay::new(8, 0).expect("08:00 is a time of day"),
        end: TimeOfDay::new(21, 0).expect("21:00 is a time of day"),
    }
}

/// Checks that `name` is a time zone this server knows (an IANA name like `Asia/Shanghai`),
/// for a campaign's zone and a contact's own at import. The error is a sentence a tenant
/// can act on.
pub fn check_time_zone(name: &str) -> Result<(), String> {
    resolve_zone(name)
        .map(|_| ())
        .ok_or_else(|| unknown_zone(name))
}

/// When a contact may next be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Now: the callee's local time is inside an open span.
    Now,
    /// Not now; the next open span starts at this instant (ms since the Unix epoch).
    At(u64),
    /// Never: the campaign ends before another span opens, or no window can ever open.
    Never,
}

/// A schedule that cannot be read: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// The campaign's time zone is not in the zone database.
    #[error("`{field}`: {}", unknown_zone(zone))]
    UnknownTimeZone {
        /// `schedule.time_zone`.
        field: String,
        /// The name given.
        zone: String,
    },
    /// A date is not `YYYY-MM-DD` or does not exist.
    #[error("`{field}`: {problem}")]
    BadDate {
        /// `schedule.starts_on`, `schedule.blackout_dates[2]`, …
        field: String,
        /// What is wrong, quoting the value.
        problem: String,
    },
    /// The operator's calling hours end before they start.
    #[error(
        "`{field}`: the platform's calling hours {start}–{end} are empty: the end must be \
         after the start"
    )]
    PlatformHours {
        /// The operator setting's name.
        field: String,
        /// Its start.
        start: TimeOfDay,
        /// Its end.
        end: TimeOfDay,
    },
}

impl CalendarError {
    /// The field at fault, as the API names it.
    pub fn field(&self) -> &str {
        match self {
            Self::UnknownTimeZone { field, .. }
            | Self::BadDate { field, .. }
            | Self::PlatformHours { field, .. } => field,
        }
    }

    /// What is wrong, without the field's name.
    pub fn problem(&self) -> String {
        match self {
            Self::UnknownTimeZone { zone, .. } => unknown_zone(zone),
            Self::BadDate { problem, .. } => problem.clone(),
            Self::PlatformHours { start, end, .. } => {
                format!("the hours {start}–{end} are empty: the end must be after the start")
            }
        }
    }
}

impl From<CalendarError> for InvalidField {
    fn from(error: CalendarError) -> Self {
        InvalidField::new(error.field(), error.problem())
    }
}

/// A campaign's schedule, resolved and ready to answer "may this contact be called now?".
///
/// Cheap to ask from many threads at once: the only shared state is a small cache of the
/// contacts' time zones.
#[derive(Debug)]
pub struct Calendar {
    /// The campaign's zone name, as the schedule spells it.
    zone_name: String,
    /// The campaign's zone.
    zone: TimeZone,
    /// Each weekday's open minutes, Monday first.
    open: [Vec<Minutes>; 7],
    /// Days with no calls, sorted, each once.
    blackouts: Vec<Date>,
    /// The first day calls may be placed, in the callee's calendar.
    starts_on: Option<Date>,
    /// The campaign-zone midnight after `ends_on`, in ms since the Unix epoch.
    ends_at_ms: Option<i64>,
    /// How many days [`Self::next_opening`] looks ahead before answering `Never`. An
    /// open weekday comes round every 7 days and each blackout date can cover one of
    /// them, so an opening, if there is one, is found within `7 × (blackouts + 2)` days:
    /// the extra week covers the day before today and a span lost to a clock change.
    search_days: usize,
    /// Contact zones already looked up; `None` for a name that is not a zone.
    contact_zones: Mutex<HashMap<String, Option<TimeZone>>>,
}

impl Calendar {
    /// Resolves `schedule`'s zone and dates. `platform_hours` is the operator's ceiling
    /// ([`default_platform_hours`] unless configured): no window opens outside it.
    pub fn new(schedule: &Schedule, platform_hours: TimeSpan) -> Result<Self, CalendarError> {
        let zone =
            resolve_zone(&schedule.time_zone).ok_or_else(|| CalendarError::UnknownTimeZone {
                field: "schedule.time_zone".into(),
                zone: schedule.time_zone.clone(),
            })?;
        if platform_hours.start >= platform_hours.end {
            return Err(CalendarError::PlatformHours {
                field: "campaigns.calling_hours".into(),
                start: platform_hours.start,
                end: platform_hours.end,
            });
        }
        let date = |field: String, text: &str| {
            wall::parse_date(text).map_err(|problem| CalendarError::BadDate { field, problem })
        };
        let mut blackouts = schedule
            .blackout_dates
            .iter()
            .enumerate()
            .map(|(i, text)| date(format!("schedule.blackout_dates[{i}]"), text))
            .collect::<Result<Vec<_>, _>>()?;
        blackouts.sort_unstable();
        blackouts.dedup();
        let starts_on = match &schedule.starts_on {
            Some(text) => Some(date("schedule.starts_on".into(), text)?),
            None => None,
        };
        let ends_at_ms = match &schedule.ends_on {
            // The last representable day never ends.
            Some(text) => wall::instant_ms(&zone, date("schedule.ends_on".into(), text)?, 24 * 60),
            None => None,
        };
        Ok(Self {
            zone_name: schedule.time_zone.clone(),
            zone,
            open: open_minutes(&schedule.windows, &schedule.breaks, platform_hours),
            search_days: 7 * (blackouts.len() + 2),
            blackouts,
            starts_on,
            ends_at_ms,
            contact_zones: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the contact may be called at `now_ms`, and if not, when next.
    ///
    /// `contact_zone` is the contact's own IANA zone, if it has one: its wall clock then
    /// decides the windows, breaks, blackout dates and `starts_on`. A name that is not a
    /// zone falls back to the campaign's zone; the importer refuses such names
    /// ([`check_time_zone`]), so only a store edited by hand holds one.
    pub fn next_opening(&self, now_ms: u64, contact_zone: Option<&str>) -> Opening {
        let now = clamp_ms(now_ms);
        let mut first = None;
        self.each_open_span(&self.zone_for(contact_zone), now, |start, _| {
            first = Some(start);
            false
        });
        match first {
            None => Opening::Never,
            Some(start) if start <= now => Opening::Now,
            Some(start) => Opening::At(u64::try_from(start).unwrap_or(0)),
        }
    }

    /// When the open span the contact is in at `now_ms` closes (spans that follow without
    /// a gap, such as one window ending at midnight and the next day's starting then, count
    /// as one); `None` if it is not open now. The dialler uses it not to place a call a
    /// moment before a window closes.
    pub fn open_until(&self, now_ms: u64, contact_zone: Option<&str>) -> Option<u64> {
        let now = clamp_ms(now_ms);
        let mut until: Option<i64> = None;
        self.each_open_span(&self.zone_for(contact_zone), now, |start, end| {
            match until {
                None if start <= now => until = Some(end),
                Some(current) if start <= current => until = Some(current.max(end)),
                _ => return false,
            }
            true
        });
        until.map(|end| u64::try_from(end).unwrap_or(0))
    }

    /// Whether `ends_on` has passed at `now_ms`, on the campaign's calendar: from the
    /// campaign-zone midnight after it, the campaign expires.
    pub fn has_ended(&self, now_ms: u64) -> bool {
        self.ends_at_ms.is_some_and(|end| clamp_ms(now_ms) >= end)
    }

    /// The instant the campaign ends (the campaign-zone midnight after `ends_on`), in ms
    /// since the Unix epoch; `None` without an end date.
    pub fn ends_at_ms(&self) -> Option<u64> {
        self.ends_at_ms.map(|end| u64::try_from(end).unwrap_or(0))
    }

    /// Calls `visit(start, end)` with each open span that ends after `now`, in order, in
    /// `zone`'s wall clock, cut at the campaign's end, until `visit` answers false, the
    /// campaign ends or the search runs out of days.
    fn each_open_span(&self, zone: &TimeZone, now: i64, mut visit: impl FnMut(i64, i64) -> bool) {
        let Ok(now_ts) = Timestamp::from_millisecond(now) else {
            return;
        };
        if self.open.iter().all(Vec::is_empty) {
            return;
        }
        let today = zone.to_datetime(now_ts).date();
        // Yesterday too: on a day whose clock goes back past midnight, a span of the
        // previous local date can still be running.
        let mut day = today.yesterday().unwrap_or(today);
        if let Some(first) = self.starts_on
            && first > day
        {
            day = first;
        }
        for _ in 0..self.search_days {
            if let Some(end) = self.ends_at_ms
                && wall::instant_ms(zone, day, 0).is_some_and(|midnight| midnight >= end)
            {
                return;
            }
            if self.blackouts.binary_search(&day).is_err() {
                for &(from, to) in &self.open[weekday_index(day.weekday())] {
                    let (Some(start), Some(mut end)) = (
                        wall::instant_ms(zone, day, from),
                        wall::instant_ms(zone, day, to),
                    ) else {
                        continue;
                    };
                    if let Some(limit) = self.ends_at_ms {
                        if start >= limit {
                            return;
                        }
                        end = end.min(limit);
                    }
                    // Empty when the whole span falls in a skipped hour.
                    if end <= now || end <= start {
                        continue;
                    }
                    if !visit(start, end) {
                        return;
                    }
                }
            }
            let Ok(next) = day.tomorrow() else {
                return;
            };
            day = next;
        }
    }

    /// The zone a contact's windows are read in: its own if it names a known one, the
    /// campaign's otherwise.
    fn zone_for(&self, contact_zone: Option<&str>) -> TimeZone {
        let Some(name) = contact_zone.filter(|name| *name != self.zone_name) else {
            return self.zone.clone();
        };
        let cached = self
            .contact_zones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned();
        let zone = match cached {
            Some(zone) => zone,
            None => {
                let zone = resolve_zone(name);
                let mut cache = self
                    .contact_zones
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if cache.len() < MAX_CACHED_ZONES {
                    cache.insert(name.to_owned(), zone.clone());
                }
                zone
            }
        };
        zone.unwrap_or_else(|| self.zone.clone())
    }
}

/// The zone named `name` in the zone database, if there is one.
fn resolve_zone(name: &str) -> Option<TimeZone> {
    TimeZone::get(name).ok()
}

fn unknown_zone(name: &str) -> String {
    format!(
        "{name:?} is not a time zone this server knows: use an IANA name like `Asia/Shanghai` \
         or `America/New_York`"
    )
}

/// A clock reading as the signed milliseconds the date arithmetic uses; readings past
/// `i64::MAX` (hundreds of millions of years away) read as the latest one.
fn clamp_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
