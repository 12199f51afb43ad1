//! Working-day calendar: weekends and U.S. federal holidays (5 U.S.C. 6103, with observed dates:
//! a holiday on Saturday is observed on Friday, one on Sunday on Monday). Every regulatory clock
//! counts with this calendar.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    (1..=5)
        .rev()
        .find_map(|n| nth_weekday(year, month, weekday, n))
}

fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// The observed federal holidays that fall in `year` (including 31 December when the next New
/// Year's Day is a Saturday).
pub fn federal_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).map(observed);
    let mut days: Vec<NaiveDate> = [
        fixed(1, 1),
        nth_weekday(year, 1, Weekday::Mon, 3),
        nth_weekday(year, 2, Weekday::Mon, 3),
        last_weekday(year, 5, Weekday::Mon),
        if year >= 2021 { fixed(6, 19) } else { None },
        fixed(7, 4),
        nth_weekday(year, 9, Weekday::Mon, 1),
        nth_weekday(year, 10, Weekday::Mon, 2),
        fixed(11, 11),
        nth_weekday(year, 11, Weekday::Thu, 4),
        fixed(12, 25),
        NaiveDate::from_ymd_opt(year + 1, 1, 1).map(observed),
    ]
    .into_iter()
    .flatten()
    .filter(|d| d.year() == year)
    .collect();
    days.sort();
    days.dedup();
    days
}

/// Whether `d` is a working day.
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !federal_holidays(d.year()).contains(&d)
}

/// The date `n` working days after `start` (the start day itself is not counted).
pub fn add_working_days(start: NaiveDate, n: u32) -> NaiveDate {
    let mut d = start;
    let mut left = n;
    while left > 0 {
        d += Duration::days(1);
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// Working days after `from` up to and including `to` (0 when `to` <= `from`).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut d = from;
    let mut n = 0;
    while d < to {
        d += Duration::days(1);
        if is_working_day(d) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn observed_holidays() {
        let h2026 = federal_holidays(2026);
        assert!(
            h2026.contains(&d(2026, 7, 3)),
            "4 July 2026 is a Saturday: observed Friday 3 July"
        );
        assert!(h2026.contains(&d(2026, 11, 26)), "Thanksgiving 2026");
        assert!(h2026.contains(&d(2026, 1, 19)), "MLK day 2026");
        assert!(h2026.contains(&d(2026, 5, 25)), "Memorial day 2026");
        assert_eq!(h2026.len(), 11);
        // New Year's Day 2028 is a Saturday: observed Friday 31 December 2027.
        assert!(federal_holidays(2027).contains(&d(2027, 12, 31)));
        assert!(!federal_holidays(2028).contains(&d(2027, 12, 31)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Wednesday 25 Nov 2026 + 2 working days: Thu 26 is Thanksgiving, Fri 27 counts, Mon 30.
        assert_eq!(add_working_days(d(2026, 11, 25), 2), d(2026, 11, 30));
        // Friday + 1 = Monday
        assert_eq!(add_working_days(d(2026, 11, 20), 1), d(2026, 11, 23));
        // 4 working days from Tuesday 22 Dec 2026: 23, 24, (25 holiday), 28, 29
        assert_eq!(add_working_days(d(2026, 12, 22), 4), d(2026, 12, 29));
        assert_eq!(working_days_between(d(2026, 12, 22), d(2026, 12, 29)), 4);
        assert_eq!(working_days_between(d(2026, 12, 29), d(2026, 12, 22)), 0);
        assert!(!is_working_day(d(2026, 12, 25)));
    }
}
