//! The rules a stored campaign keeps. What needs more than the campaign itself (that the
//! module and trunk exist, that a time zone is in the zone database) is checked by the
//! campaigns stage.

use super::settings::{CallingWindow, Campaign, RetryRule, Schedule, TimeSpan};
use crate::telephony::{E164_RULE, InvalidField, normalize_e164};
use crate::{NAME_RULE, valid_name};

/// Most calls one campaign may have up at once: above the channels of any trunk a carrier
/// sells to one customer, so it only catches typos.
pub const MAX_CAMPAIGN_CONCURRENCY: u32 = 10_000;
/// Most new calls per second one campaign may place; like the trunk's own bound.
pub const MAX_CAMPAIGN_CALLS_PER_SECOND: u32 = 1_000;
/// Most attempts per contact: regulators and carriers treat more as harassment.
pub const MAX_ATTEMPTS: u32 = 10;
/// Longest ring before no-answer, in seconds: carriers cut a ringing call at 60–180 s.
pub const MAX_RING_TIMEOUT_SECS: u32 = 180;
/// Longest wait before a retry: a week.
pub const MAX_RETRY_WAIT_SECS: u64 = 7 * 24 * 3600;
/// Most calling windows, breaks or blackout dates in one campaign.
pub const MAX_WINDOWS: usize = 64;
/// Longest campaign name, in characters (a Chinese name is as long as an English one).
const MAX_NAME_CHARS: usize = 200;
/// Longest webhook URL, in bytes.
const MAX_URL_BYTES: usize = 2048;
/// Shortest webhook secret, in bytes: 128 bits of hex.
const MIN_SECRET_BYTES: usize = 16;
/// Longest webhook secret, in bytes.
const MAX_SECRET_BYTES: usize = 256;

impl Campaign {
    /// Checks every rule a stored campaign keeps; the error names the first field that
    /// breaks one.
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_NAME_CHARS {
            return Err(InvalidField::new(
                "name",
                format!("must be 1 to {MAX_NAME_CHARS} characters, not only spaces"),
            ));
        }
        if !valid_name(&self.module) {
            return Err(InvalidField::new(
                "module",
                format!("{:?} is not a valid module name: {NAME_RULE}", self.module),
            ));
        }
        if self.module_version == Some(0) {
            return Err(InvalidField::new("module_version", "versions start at 1"));
        }
        if !valid_name(&self.trunk) {
            return Err(InvalidField::new(
                "trunk",
                format!("{:?} is not a valid trunk name: {NAME_RULE}", self.trunk),
            ));
        }
        for (i, number) in self.caller_ids.iter().enumerate() {
            if normalize_e164(number).as_deref() != Some(number.as_str()) {
                return Err(InvalidField::new(
                    format!("caller_ids[{i}]"),
                    format!("{number:?} is not an E.164 number: {E164_RULE}"),
                ));
            }
        }
        range(
            "max_concurrent_calls",
            self.max_concurrent_calls,
            MAX_CAMPAIGN_CONCURRENCY,
        )?;
        range(
            "max_calls_per_second",
            self.max_calls_per_second,
            MAX_CAMPAIGN_CALLS_PER_SECOND,
        )?;
        if !(5..=MAX_RING_TIMEOUT_SECS).contains(&self.ring_timeout_secs) {
            return Err(InvalidField::new(
                "ring_timeout_secs",
                format!("must be 5 to {MAX_RING_TIMEOUT_SECS}"),
            ));
        }
        range("max_attempts", self.max_attempts, MAX_ATTEMPTS)?;
        if self.priority > 9 {
            return Err(InvalidField::new("priority", "must be 0 to 9"));
        }
        check_schedule(&self.schedule)?;
        for (name, rule) in [
            ("busy", &self.retry.busy),
            ("no_answer", &self.retry.no_answer),
            ("rejected", &self.retry.rejected),
            ("unavailable", &self.retry.unavailable),
            ("failed", &self.retry.failed),
        ] {
            if let Some(rule) = rule {
                check_retry(name, rule)?;
            }
        }
        if let Some(webhook) = &self.webhook {
            let url = webhook.url.as_str();
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            let host_ok = url
                .split_once("://")
                .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
                .is_some_and(|authority| !authority.is_empty() && !authority.contains('@'));
            if !scheme_ok
                || !host_ok
                || url.len() > MAX_URL_BYTES
                || url.contains(char::is_whitespace)
            {
                return Err(InvalidField::new(
                    "webhook.url",
                    format!(
                        "must be an http:// or https:// URL with a host and no user info, at \
                         most {MAX_URL_BYTES} bytes"
                    ),
                ));
            }
            if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&webhook.secret.len())
                || webhook
                    .secret
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(InvalidField::new(
                    "webhook.secret",
                    format!(
                        "must be {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes without spaces \
                         or control characters"
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn range(field: &str, value: u32, max: u32) -> Result<(), InvalidField> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(InvalidField::new(field, format!("must be 1 to {max}")))
    }
}

fn check_schedule(schedule: &Schedule) -> Result<(), InvalidField> {
    let zone = &schedule.time_zone;
    if zone.is_empty()
        || zone.len() > 64
        || !zone
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
    {
        return Err(InvalidField::new(
            "schedule.time_zone",
            format!("{zone:?} is not an IANA time zone name (like `Asia/Shanghai`)"),
        ));
    }
    if schedule.windows.is_empty() {
        return Err(InvalidField::new(
            "schedule.windows",
            "must list at least one calling window",
        ));
    }
    for (what, len) in [
        ("schedule.windows", schedule.windows.len()),
        ("schedule.breaks", schedule.breaks.len()),
        ("schedule.blackout_dates", schedule.blackout_dates.len()),
    ] {
        if len > MAX_WINDOWS {
            return Err(InvalidField::new(
                what,
                format!("may list at most {MAX_WINDOWS}"),
            ));
        }
    }
    for (i, window) in schedule.windows.iter().enumerate() {
        check_window(i, window)?;
    }
    for (i, span) in schedule.breaks.iter().enumerate() {
        check_span(&format!("schedule.breaks[{i}]"), span)?;
    }
    for (i, date) in schedule.blackout_dates.iter().enumerate() {
        check_date(&format!("schedule.blackout_dates[{i}]"), date)?;
    }
    if let Some(date) = &schedule.starts_on {
        check_date("schedule.starts_on", date)?;
    }
    if let Some(date) = &schedule.ends_on {
        check_date("schedule.ends_on", date)?;
    }
    if let (Some(start), Some(end)) = (&schedule.starts_on, &schedule.ends_on)
        && end < start
    {
        return Err(InvalidField::new(
            "schedule.ends_on",
            "must not be before `starts_on`",
        ));
    }
    Ok(())
}

fn check_window(i: usize, window: &CallingWindow) -> Result<(), InvalidField> {
    if window.days.is_empty() {
        return Err(InvalidField::new(
            format!("schedule.windows[{i}].days"),
            "must list at least one day (`mon` … `sun`)",
        ));
    }
    check_span(
        &format!("schedule.windows[{i}]"),
        &TimeSpan {
            start: window.start,
            end: window.end,
        },
    )
}

fn check_span(field: &str, span: &TimeSpan) -> Result<(), InvalidField> {
    if span.start >= span.end {
        return Err(InvalidField::new(
            format!("{field}.end"),
            format!("{} is not after the start, {}", span.end, span.start),
        ));
    }
    Ok(())
}

/// `YYYY-MM-DD` with a month 01–12 and a day 01–31 (whether the day exists in that month
/// is the calendar's to say).
fn check_date(field: &str, date: &str) -> Result<(), InvalidField> {
    let b = date.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let month = date.get(5..7).and_then(|m| m.parse::<u8>().ok());
    let day = date.get(8..10).and_then(|d| d.parse::<u8>().ok());
    if shape && matches!(month, Some(1..=12)) && matches!(day, Some(1..=31)) {
        Ok(())
    } else {
        Err(InvalidField::new(
            field,
            format!("{date:?} is not a date: write `YYYY-MM-DD`"),
        ))
    }
}

fn check_retry(name: &str, rule: &RetryRule) -> Result<(), InvalidField> {
    if !(1..=MAX_RETRY_WAIT_SECS).contains(&rule.wait_secs) {
        return Err(InvalidField::new(
            format!("retry.{name}.wait_secs"),
            format!("must be 1 to {MAX_RETRY_WAIT_SECS} (a week)"),
        ));
    }
    if rule.max_retries >= MAX_ATTEMPTS {
        return Err(InvalidField::new(
            format!("retry.{name}.max_retries"),
            format!("must be 0 to {}", MAX_ATTEMPTS - 1),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::settings::{TimeOfDay, Weekday};
    use super::*;

    fn campaign() -> Campaign {
        Campaign {
            caller_ids: vec!["+8610012345678".into()],
            max_concurrent_calls: 50,
            max_calls_per_second: 5,
            ..Campaign::draft(
                "cp_0123456789abcdef",
                "t_1",
                "Birthday coupons",
                "birthday",
                "carrier",
                0,
            )
        }
    }

    fn field_of(c: &Campaign) -> String {
        c.validate().expect_err("should be refused").field
    }

    #[test]
    fn the_defaults_are_valid() {
        campaign().validate().expect("valid");
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let mut c = campaign();
        c.max_concurrent_calls = 0;
        assert_eq!(field_of(&c), "max_concurrent_calls");
        let mut c = campaign();
        c.caller_ids = vec!["13800138000".into()];
        assert_eq!(field_of(&c), "caller_ids[0]");
        let mut c = campaign();
        c.schedule.windows[1].end = TimeOfDay::new(13, 0).expect("time");
        assert_eq!(field_of(&c), "schedule.windows[1].end");
        let mut c = campaign();
        c.schedule.windows[0].days = Vec::<Weekday>::new();
        assert_eq!(field_of(&c), "schedule.windows[0].days");
        let mut c = campaign();
        c.schedule.blackout_dates = vec!["2027-13-01".into()];
        assert_eq!(field_of(&c), "schedule.blackout_dates[0]");
        let mut c = campaign();
        c.schedule.time_zone = "Asia/Shang hai".into();
        assert_eq!(field_of(&c), "schedule.time_zone");
        let mut c = campaign();
        c.retry.busy = Some(RetryRule {
            wait_secs: 0,
            max_retries: 1,
        });
        assert_eq!(field_of(&c), "retry.busy.wait_secs");
        let mut c = campaign();
        c.webhook = Some(super::super::CampaignWebhook {
            url: "ftp://crm.example/hook".into(),
            secret: "0123456789abcdef".into(),
            per_call: false,
        });
        assert_eq!(field_of(&c), "webhook.url");
        let mut c = campaign();
        c.schedule.starts_on = Some("2027-01-10".into());
        c.schedule.ends_on = Some("2027-01-09".into());
        assert_eq!(field_of(&c), "schedule.ends_on");
    }

    #[test]
    fn times_of_day_read_and_print_as_hh_mm() {
        let t: TimeOfDay = "09:05".parse().expect("time");
        assert_eq!((t.minutes(), t.to_string()), (545, "09:05".to_string()));
        assert_eq!("24:00".parse::<TimeOfDay>(), Ok(TimeOfDay::END_OF_DAY));
        for bad in ["9:05", "24:01", "12:60", "ab:cd", "12-00", ""] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
    }
}
