//! The timestamp formats Immich uses (`2025-12-23T21:13:21.000Z`, `2025-12-23T21:13:21+00:00`), and
//! the date check of Immich 3.1's search filters. All times are milliseconds or seconds since the
//! Unix epoch, UTC; the calendar is jiff's.

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Broken-down UTC time: (year, month, day, hour, minute, second).
pub fn parts(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let at = Timestamp::from_second(secs)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC)
        .datetime();
    (
        i64::from(at.year()),
        at.month() as u32,
        at.day() as u32,
        at.hour() as u32,
        at.minute() as u32,
        at.second() as u32,
    )
}

/// `2025-12-23T21:13:21.000Z`
pub fn iso_ms(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(ms.div_euclid(1000));
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        ms.rem_euclid(1000)
    )
}

/// `2025-12-23T21:13:21+00:00`
pub fn iso_offset(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00")
}

/// `2026-11-23T19:53:15.173000+00:00` (the microsecond form Immich uses for nested people).
pub fn iso_micros_offset(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(ms.div_euclid(1000));
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}+00:00",
        ms.rem_euclid(1000) * 1000
    )
}

/// Milliseconds since the epoch at midnight UTC of a date; `None` for a day the calendar lacks.
pub fn date_ms(y: i64, m: u32, d: u32) -> Option<i64> {
    let date = Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    let midnight = date.to_zoned(TimeZone::UTC).ok()?;
    Some(midnight.timestamp().as_millisecond())
}

/// The current wall-clock time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parse a datetime the way Immich 3.1 validates its date filters (zod's `z.iso.datetime()` with its
/// defaults): `YYYY-MM-DDTHH:MM`, optional `:SS` and then optional `.` with any number of digits, and
/// a final `Z`; the date must exist. A date alone, a missing `Z` or an offset such as `+02:00` are
/// refused (`None`). Returns milliseconds since the epoch (a fraction counts to the millisecond).
pub fn parse_iso_datetime_ms(s: &str) -> Option<i64> {
    static ZOD: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9])(?:\.([0-9]+))?)?Z$",
        )
        .expect("a fixed expression")
    });
    let parts = ZOD.captures(s)?;
    let number = |i: usize| {
        parts
            .get(i)
            .map_or(Some(0), |m| m.as_str().parse::<i64>().ok())
    };
    let day = date_ms(number(1)?, number(2)? as u32, number(3)? as u32)?;
    let (h, mi, sec) = (number(4)?, number(5)?, number(6)?);
    let frac_ms = match parts.get(7) {
        Some(digits) => format!("{:0<3}", &digits.as_str()[..digits.len().min(3)])
            .parse::<i64>()
            .ok()?,
        None => 0,
    };
    Some(day + ((h * 60 + mi) * 60 + sec) * 1000 + frac_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates() {
        let ms = date_ms(2025, 12, 23).unwrap() + ((21 * 60 + 13) * 60 + 21) * 1000;
        assert_eq!(iso_ms(ms), "2025-12-23T21:13:21.000Z");
        assert_eq!(iso_ms(ms + 7), "2025-12-23T21:13:21.007Z");
        assert_eq!(iso_offset(ms / 1000), "2025-12-23T21:13:21+00:00");
        assert_eq!(
            iso_micros_offset(ms + 173),
            "2025-12-23T21:13:21.173000+00:00"
        );
        assert_eq!(parts(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(date_ms(1970, 1, 2), Some(86_400_000));
        assert_eq!(date_ms(2023, 2, 29), None);
    }

    #[test]
    fn datetimes_are_accepted_as_zod_iso_datetime_does() {
        let ms = date_ms(2025, 12, 23).unwrap() + ((21 * 60 + 13) * 60 + 21) * 1000;
        let parse = parse_iso_datetime_ms;
        assert_eq!(parse("2025-12-23T21:13:21.000Z"), Some(ms));
        assert_eq!(parse("2025-12-23T21:13:21Z"), Some(ms));
        assert_eq!(
            parse("2025-12-23T21:13Z"),
            Some(ms - 21_000),
            "seconds are optional"
        );
        assert_eq!(
            parse("2024-02-29T00:00:00.5Z"),
            Some(date_ms(2024, 2, 29).unwrap() + 500)
        );
        assert_eq!(
            parse("2024-02-29T00:00:00.123456789Z"),
            Some(date_ms(2024, 2, 29).unwrap() + 123)
        );
        for refused in [
            "2025-12-23",
            "2025-12-23T21:13:21",
            "2025-12-23T22:13:21+01:00",
            "2025-12-23t21:13:21z",
            "2025-12-23 21:13:21Z",
            "2025-12-23T21:13:21.Z",
            "2025-12-23T24:00:00Z",
            "2025-12-23T21:60Z",
            "2025-12-23T21:13:60Z",
            "2023-02-29T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "yesterday",
            "",
        ] {
            assert_eq!(parse(refused), None, "{refused}");
        }
    }
}
