//! Calendar arithmetic and the timestamp formats Immich uses (`2025-12-23T21:13:21.000Z`,
//! `2025-12-23T21:13:21+00:00`), plus a small RFC 3339 parser for search filters. All times are
//! milliseconds or seconds since the Unix epoch, UTC.

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date for a number of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Broken-down UTC time: (year, month, day, hour, minute, second).
pub fn parts(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    (
        y,
        m,
        d,
        (s / 3600) as u32,
        (s / 60 % 60) as u32,
        (s % 60) as u32,
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

/// Milliseconds since the epoch at midnight UTC of the given date.
pub fn date_ms(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400_000
}

/// The current wall-clock time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parse a datetime the way Immich 3.1 validates its date filters (zod's `z.iso.datetime()` with its
/// defaults): `YYYY-MM-DDTHH:MM`, optional `:SS` and then optional `.` with any number of digits, and
/// a final `Z`; the date must exist. A date alone, a missing `Z` or an offset such as `+02:00` are
/// refused (`None`). Returns milliseconds since the epoch.
pub fn parse_iso_datetime_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let date_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && (1..=12).contains(&mo)
        && (1..=days_in_month(y, mo as u32) as i64).contains(&d);
    if !date_ok || b.get(10) != Some(&b'T') || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11, 2)?, num(14, 2)?);
    if h > 23 || mi > 59 {
        return None;
    }
    let mut pos = 16;
    let mut sec = 0;
    let mut frac_ms = 0;
    if b.get(pos) == Some(&b':') {
        sec = num(pos + 1, 2)?;
        if sec > 59 {
            return None;
        }
        pos += 3;
        if b.get(pos) == Some(&b'.') {
            let digits = b[pos + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            frac_ms = format!("{:0<3}", &s[pos + 1..pos + 1 + digits.min(3)])
                .parse::<i64>()
                .ok()?;
            pos += 1 + digits;
        }
    }
    if &s[pos..] != "Z" {
        return None;
    }
    Some(date_ms(y, mo as u32, d as u32) + ((h * 60 + mi) * 60 + sec) * 1000 + frac_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates() {
        let ms = date_ms(2025, 12, 23) + ((21 * 60 + 13) * 60 + 21) * 1000;
        assert_eq!(iso_ms(ms), "2025-12-23T21:13:21.000Z");
        assert_eq!(iso_offset(ms / 1000), "2025-12-23T21:13:21+00:00");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn datetimes_are_accepted_as_zod_iso_datetime_does() {
        let ms = date_ms(2025, 12, 23) + ((21 * 60 + 13) * 60 + 21) * 1000;
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
            Some(date_ms(2024, 2, 29) + 500)
        );
        assert_eq!(
            parse("2024-02-29T00:00:00.123456789Z"),
            Some(date_ms(2024, 2, 29) + 123)
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
