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
    /// `30d`, `12w`, `6m`, `1y`; `None` for anything else, and for spans of more than about a
    /// thousand years (a typo, and the limit keeps every date this module makes in the calendar).
    pub fn parse(text: &str) -> Option<Span> {
        let (count, unit) = count_and_unit(text)?;
        let (unit, max) = match unit {
            'd' => (Unit::Days, 366_000),
            'w' => (Unit::Weeks, 52_200),
            'm' => (Unit::Months, 12_000),
            'y' => (Unit::Years, 1_000),
            _ => return None,
        };
        let count = u32::try_from(count).ok()?;
        (1..=max).contains(&count).then_some(Span { count, unit })
    }

    /// The moment this span after `now` (seconds since the epoch, UTC).
    pub fn after(self, now: i64) -> i64 {
        self.shift(now, 1)
    }

    /// The moment this span before `now` (seconds since the epoch, UTC).
    pub fn before(self, now: i64) -> i64 {
        self.shift(now, -1)
    }

    /// `now` moved by this span in the direction of `sign`, on the UTC calendar: a month from the
    /// 31st lands on the month's last day. A result outside the calendar's range (only a clock far
    /// off could make one) is held at the range's end.
    fn shift(self, now: i64, sign: i64) -> i64 {
        let n = sign * i64::from(self.count);
        let span = match self.unit {
            Unit::Days => jiff::Span::new().try_days(n),
            Unit::Weeks => jiff::Span::new().try_weeks(n),
            Unit::Months => jiff::Span::new().try_months(n),
            Unit::Years => jiff::Span::new().try_years(n),
        };
        let moved = span.and_then(|span| {
            let start = timestamp(now).to_zoned(jiff::tz::TimeZone::UTC);
            start.checked_add(span)
        });
        match moved {
            Ok(zoned) => zoned.timestamp().as_second(),
            Err(_) if sign > 0 => jiff::Timestamp::MAX.as_second(),
            Err(_) => jiff::Timestamp::MIN.as_second(),
        }
    }
}

/// `30d` as `(30, 'd')`: ASCII digits, then one letter; `None` for anything else (a sign, a space
/// inside, a fraction, a number too large). Spans here and `sync --every` intervals are written so.
pub fn count_and_unit(text: &str) -> Option<(u64, char)> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if !unit.is_ascii_alphabetic()
        || digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((digits.parse().ok()?, unit))
}

/// A stretch of time: `90s`, `30m`, `6h`, `1d` (`0s` too); `None` for anything else, and where the
/// seconds would overflow.
pub fn interval(text: &str) -> Option<std::time::Duration> {
    let (count, unit) = count_and_unit(text)?;
    let unit = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(count.checked_mul(unit)?))
}

/// A relative date value in an inline filter: `-30d` (a span back from now).
pub fn parse_relative(text: &str) -> Option<Span> {
    Span::parse(text.trim().strip_prefix('-')?)
}

/// `2026-10-31T09:15:00.000Z`, the form Immich's date fields take.
pub fn iso(secs: i64) -> String {
    timestamp(secs)
        .strftime("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

/// `2026-10-31T09:15:00.123Z` from milliseconds: the form Immich 3.x's search takes for
/// `updatedAfter` (it refuses a time without a zone).
pub fn iso_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `2026-05-01 03:15:00 UTC`, for messages.
pub fn utc(secs: i64) -> String {
    timestamp(secs)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// Seconds since the epoch of an ISO datetime such as `2027-01-01T00:00:00.000Z`, as Immich writes
/// them; one without an offset is read as UTC.
pub fn parse_iso(text: &str) -> Option<i64> {
    let text = text.trim();
    let instant = text.parse::<jiff::Timestamp>().ok().or_else(|| {
        let civil = text.parse::<jiff::civil::DateTime>().ok()?;
        civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    })?;
    Some(instant.as_second())
}

/// Seconds since the epoch as a timestamp, held inside the calendar's range.
fn timestamp(secs: i64) -> jiff::Timestamp {
    let secs = secs.clamp(
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
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
        for bad in ["30x", "d", "-3d", "+3d", "0d", "1.5m", "", "30 days", "m1"] {
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
        assert_eq!(utc(NOW + 75), "2026-03-31 12:01:15 UTC");
        assert_eq!(parse_iso("1970-01-01T00:00:01.000Z"), Some(1));
        assert_eq!(parse_iso("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        assert_eq!(
            parse_iso("2024-02-29T23:59:59"),
            Some(1_709_251_199),
            "no offset: UTC"
        );
        assert_eq!(parse_iso("2024-03-01T01:59:59+02:00"), Some(1_709_251_199));
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-02-00T00:00:00Z",
            "29.02.2024",
            "soon",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_count_and_unit_is_digits_then_one_letter() {
        assert_eq!(count_and_unit(" 30d "), Some((30, 'd')));
        assert_eq!(count_and_unit("6h"), Some((6, 'h')));
        for bad in [
            "+3d",
            "-3d",
            "d",
            "3",
            "3 d",
            "1.5h",
            "3é",
            "3%",
            "99999999999999999999d",
            "",
        ] {
            assert_eq!(count_and_unit(bad), None, "{bad}");
        }
    }

    #[test]
    fn weeks_and_years_move_both_ways() {
        let span = |text: &str| Span::parse(text).unwrap();
        assert_eq!(iso(span("3w").after(NOW)), "2026-04-21T12:00:00.000Z");
        assert_eq!(iso(span("3w").before(NOW)), "2026-03-10T12:00:00.000Z");
        assert_eq!(iso(span("2y").after(NOW)), "2028-03-31T12:00:00.000Z");
        assert_eq!(iso(span("3y").before(NOW)), "2023-03-31T12:00:00.000Z");
        assert_eq!(iso(span("3d").after(NOW)), "2026-04-03T12:00:00.000Z");
        assert_eq!(
            iso(span("1y").before(1_709_208_000)),
            "2023-02-28T12:00:00.000Z",
            "29 February a year back is the 28th"
        );
    }

    #[test]
    fn spans_stop_at_a_thousand_years() {
        assert_eq!(Span::parse("1000y").map(|s| s.count), Some(1000));
        assert_eq!(Span::parse("366000d").map(|s| s.count), Some(366_000));
        assert_eq!(Span::parse("52200w").map(|s| s.count), Some(52_200));
        assert_eq!(Span::parse("12000m").map(|s| s.count), Some(12_000));
        for too_long in [
            "1001y",
            "366001d",
            "52201w",
            "12001m",
            "4294967295d",
            "99999999999d",
        ] {
            assert_eq!(Span::parse(too_long), None, "{too_long}");
        }
        let far = Span::parse("1000y").unwrap();
        assert_eq!(iso(far.before(0)), "0970-01-01T00:00:00.000Z");
        assert_eq!(
            far.after(jiff::Timestamp::MAX.as_second()),
            jiff::Timestamp::MAX.as_second(),
            "held at the calendar's end, not a panic"
        );
        assert_eq!(
            far.before(jiff::Timestamp::MIN.as_second()),
            jiff::Timestamp::MIN.as_second(),
            "and at its start"
        );
    }
}
