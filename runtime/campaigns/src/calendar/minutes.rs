//! The open minutes of one weekday: the calling windows that apply to it, joined, cut to
//! the platform's hours, with the breaks taken out. Plain arithmetic on minutes of the wall
//! clock (0 to 1440); turning them into instants is [`super::wall`]'s job.

use huashu_store::campaigns::{CallingWindow, TimeSpan, Weekday};

/// A span of the wall clock in minutes since midnight, start inclusive, end exclusive.
pub(super) type Minutes = (u16, u16);

/// The open minutes of each weekday, Monday first: sorted, disjoint, never empty, and
/// separated by at least a minute (touching spans are joined).
pub(super) fn open_minutes(
    windows: &[CallingWindow],
    breaks: &[TimeSpan],
    ceiling: TimeSpan,
) -> [Vec<Minutes>; 7] {
    let breaks = union(breaks.iter().map(minutes_of).collect());
    let ceiling = minutes_of(&ceiling);
    Weekday::ALL.map(|day| {
        let windows = windows
            .iter()
            .filter(|window| window.days.contains(&day))
            .map(|window| (window.start.minutes(), window.end.minutes()))
            .collect();
        subtract(&clamp(&union(windows), ceiling), &breaks)
    })
}

/// Monday 0 to Sunday 6, the index of [`open_minutes`]'s answer.
pub(super) fn weekday_index(day: jiff::civil::Weekday) -> usize {
    usize::from(day.to_monday_zero_offset().unsigned_abs())
}

fn minutes_of(span: &TimeSpan) -> Minutes {
    (span.start.minutes(), span.end.minutes())
}

/// The same minutes as sorted, disjoint spans; overlapping or touching spans become one.
fn union(mut spans: Vec<Minutes>) -> Vec<Minutes> {
    spans.retain(|(start, end)| start < end);
    spans.sort_unstable();
    let mut joined: Vec<Minutes> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match joined.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => joined.push((start, end)),
        }
    }
    joined
}

/// Each span cut to `(low, high)`; spans left empty are dropped.
fn clamp(spans: &[Minutes], (low, high): Minutes) -> Vec<Minutes> {
    spans
        .iter()
        .map(|&(start, end)| (start.max(low), end.min(high)))
        .filter(|(start, end)| start < end)
        .collect()
}

/// `spans` without the minutes of `cuts` (both sorted and disjoint).
fn subtract(spans: &[Minutes], cuts: &[Minutes]) -> Vec<Minutes> {
    let mut left = Vec::with_capacity(spans.len());
    for &(start, end) in spans {
        let mut from = start;
        for &(cut_start, cut_end) in cuts {
            if cut_end <= from || cut_start >= end {
                continue;
            }
            if cut_start > from {
                left.push((from, cut_start));
            }
            from = from.max(cut_end);
        }
        if from < end {
            left.push((from, end));
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use huashu_store::campaigns::TimeOfDay;

    use super::*;

    fn at(text: &str) -> TimeOfDay {
        text.parse().expect("a time of day")
    }

    fn window(days: &[Weekday], start: &str, end: &str) -> CallingWindow {
        CallingWindow {
            days: days.to_vec(),
            start: at(start),
            end: at(end),
        }
    }

    fn span(start: &str, end: &str) -> TimeSpan {
        TimeSpan {
            start: at(start),
            end: at(end),
        }
    }

    const H: u16 = 60;

    #[test]
    fn overlapping_and_touching_windows_join_into_one_span() {
        let open = open_minutes(
            &[
                window(&Weekday::ALL, "09:00", "12:00"),
                window(&Weekday::ALL, "11:00", "13:00"),
                window(&Weekday::ALL, "13:00", "14:00"),
                window(&Weekday::ALL, "16:00", "17:00"),
            ],
            &[],
            span("00:00", "24:00"),
        );
        assert_eq!(open[0], vec![(9 * H, 14 * H), (16 * H, 17 * H)]);
    }

    #[test]
    fn a_window_applies_only_to_its_days() {
        let open = open_minutes(
            &[window(&[Weekday::Sat], "10:00", "16:00")],
            &[],
            span("08:00", "21:00"),
        );
        assert_eq!(open[5], vec![(10 * H, 16 * H)]);
        assert!(
            open.iter()
                .enumerate()
                .all(|(i, spans)| i == 5 || spans.is_empty())
        );
    }

    #[test]
    fn the_ceiling_cuts_windows_and_breaks_split_them() {
        let open = open_minutes(
            &[window(&Weekday::ALL, "07:00", "22:00")],
            &[
                span("12:00", "13:30"),
                span("13:00", "14:00"),
                span("20:30", "23:00"),
            ],
            span("08:00", "21:00"),
        );
        assert_eq!(open[3], vec![(8 * H, 12 * H), (14 * H, 20 * H + 30)]);
    }

    #[test]
    fn a_window_wholly_outside_the_ceiling_leaves_nothing_open() {
        let open = open_minutes(
            &[window(&Weekday::ALL, "21:00", "23:00")],
            &[],
            span("08:00", "21:00"),
        );
        assert!(open.iter().all(Vec::is_empty));
    }

    #[test]
    fn weekdays_index_from_monday() {
        assert_eq!(weekday_index(jiff::civil::Weekday::Monday), 0);
        assert_eq!(weekday_index(jiff::civil::Weekday::Sunday), 6);
    }
}
