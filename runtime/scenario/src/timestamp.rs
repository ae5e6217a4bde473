//! RFC 3339 UTC timestamps (`2026-11-23T09:30:00Z`) to Unix milliseconds, for scenario
//! files. Only the UTC `Z` form is accepted: a scenario's clock must not depend on where it
//! runs.

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
pub(crate) fn parse_utc_timestamp(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a UTC time like 2026-11-23T09:30:00Z");
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (date, time) = body.split_once('T').ok_or_else(bad)?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (year, month, day) = (
        d.next().ok_or_else(bad)??,
        d.next().ok_or_else(bad)??,
        d.next().ok_or_else(bad)??,
    );
    let (hms, millis) = match time.split_once('.') {
        Some((hms, frac)) => {
            let digits: String = frac.chars().chain("000".chars()).take(3).collect();
            (hms, digits.parse::<i64>().map_err(|_| bad())?)
        }
        None => (time, 0),
    };
    let mut t = hms.split(':').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (hour, minute, second) = (
        t.next().ok_or_else(bad)??,
        t.next().ok_or_else(bad)??,
        t.next().ok_or_else(bad)??,
    );
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
        || year < 1970
    {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    let ms = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
    u64::try_from(ms).map_err(|_| bad())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_instants() {
        assert_eq!(parse_utc_timestamp("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse_utc_timestamp("2000-03-01T00:00:00.5Z"),
            Ok(951_868_800_500)
        );
        assert_eq!(
            parse_utc_timestamp("2026-11-23T09:30:00Z"),
            Ok(1_795_426_200_000)
        );
    }

    #[test]
    fn rejects_local_times_and_garbage() {
        assert!(parse_utc_timestamp("2026-11-23T09:30:00+08:00").is_err());
        assert!(parse_utc_timestamp("tomorrow").is_err());
        assert!(parse_utc_timestamp("2026-13-01T00:00:00Z").is_err());
    }
}
