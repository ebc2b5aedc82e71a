//! Rolling dates in job files: `taken_within: 30d` and relative values in inline filters
//! (`takenAfter: "-30d"`). A span is a whole number and a unit: `d` days, `w` weeks, `m` calendar
//! months, `y` calendar years. It is turned into an absolute ISO datetime when the job file is read,
//! which is at the start of every run, counted back from that moment in UTC (a month back from
//! 31 March is the last day of February).

/// A span of time back from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub count: u32,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// What a span looks like, for messages.
pub const SPAN_EXAMPLES: &str = "30d, 12w, 6m or 1y (days, weeks, calendar months, years)";

impl Span {
    /// `30d`, `12w`, `6m`, `1y`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Span> {
        let text = text.trim();
        let unit = match text.chars().last()? {
            'd' => Unit::Days,
            'w' => Unit::Weeks,
            'm' => Unit::Months,
            'y' => Unit::Years,
            _ => return None,
        };
        let digits = &text[..text.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let count: u32 = digits.parse().ok()?;
        (count > 0).then_some(Span { count, unit })
    }

    /// The moment this span after `now`.
    pub fn after(self, now: i64) -> i64 {
        let n = i64::from(self.count);
        match self.unit {
            Unit::Days => now + n * 86_400,
            Unit::Weeks => now + n * 7 * 86_400,
            Unit::Months => months_before(now, -n),
            Unit::Years => months_before(now, -12 * n),
        }
    }

    /// The moment this span before `now` (seconds since the epoch, UTC).
    pub fn before(self, now: i64) -> i64 {
        let n = i64::from(self.count);
        match self.unit {
            Unit::Days => now - n * 86_400,
            Unit::Weeks => now - n * 7 * 86_400,
            Unit::Months => months_before(now, n),
            Unit::Years => months_before(now, 12 * n),
        }
    }
}

/// A relative date value in an inline filter: `-30d` (a span back from now).
pub fn parse_relative(text: &str) -> Option<Span> {
    Span::parse(text.trim().strip_prefix('-')?)
}

/// `2026-10-31T09:15:00.000Z`, the form Immich's date fields take.
pub fn iso(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Seconds since the epoch of an ISO datetime such as `2027-01-01T00:00:00.000Z`, as Immich writes
/// them; read as UTC (an offset, if any, is not applied).
pub fn parse_iso(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (h, mi, s) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + s)
}

fn months_before(now: i64, months: i64) -> i64 {
    let (days, rest) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let index = y * 12 + (m as i64 - 1) - months;
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let d = d.min(days_in_month(y, m));
    days_from_civil(y, m, d) * 86_400 + rest
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-31T12:00:00Z
    const NOW: i64 = 1_774_958_400;

    #[test]
    fn spans_count_back_in_utc_with_calendar_months() {
        assert_eq!(iso(NOW), "2026-03-31T12:00:00.000Z");
        let back = |text: &str| iso(Span::parse(text).unwrap().before(NOW));
        assert_eq!(back("30d"), "2026-03-01T12:00:00.000Z");
        assert_eq!(back("2w"), "2026-03-17T12:00:00.000Z");
        assert_eq!(
            back("1m"),
            "2026-02-28T12:00:00.000Z",
            "clamped to February's end"
        );
        assert_eq!(back("13m"), "2025-02-28T12:00:00.000Z");
        assert_eq!(back("1y"), "2025-03-31T12:00:00.000Z");
        assert_eq!(back("26m"), "2024-01-31T12:00:00.000Z");
        let ahead = |text: &str| iso(Span::parse(text).unwrap().after(NOW));
        assert_eq!(ahead("90d"), "2026-06-29T12:00:00.000Z");
        assert_eq!(
            ahead("1m"),
            "2026-04-30T12:00:00.000Z",
            "clamped to April's end"
        );
        assert_eq!(ahead("1y"), "2027-03-31T12:00:00.000Z");
        assert_eq!(
            iso(Span::parse("1m").unwrap().before(1_709_208_000)),
            "2024-01-29T12:00:00.000Z"
        );
    }

    #[test]
    fn only_whole_positive_spans_parse() {
        for bad in ["30x", "d", "-3d", "0d", "1.5m", "", "30 days", "m1"] {
            assert_eq!(Span::parse(bad), None, "{bad}");
        }
        assert_eq!(parse_relative("-12w").map(|s| s.count), Some(12));
        assert_eq!(
            parse_relative("12w"),
            None,
            "a relative value starts with -"
        );
        assert_eq!(parse_relative("2023-06-01T00:00:00.000Z"), None);
    }

    #[test]
    fn iso_datetimes_read_back_as_written() {
        assert_eq!(parse_iso(&iso(NOW)), Some(NOW));
        assert_eq!(parse_iso("1970-01-01T00:00:01.000Z"), Some(1));
        assert_eq!(parse_iso("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-02-00T00:00:00Z",
            "2024-02-29",
            "soon",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_round_trip_through_days() {
        for days in [-719_468, -1, 0, 59, 365, 10_957, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
