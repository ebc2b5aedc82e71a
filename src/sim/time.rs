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

/// Parse `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff…]]` followed by `Z` or `±HH:MM` (a missing zone
/// means UTC), into milliseconds since the epoch.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&mo) {
        return None;
    }
    if !(1..=31).contains(&d) {
        return None;
    }
    let day_ms = date_ms(y, mo as u32, d as u32);
    if b.len() == 10 {
        return Some(day_ms);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11, 2)?, num(14, 2)?);
    let mut pos = 16;
    let mut sec = 0;
    if b.get(pos) == Some(&b':') {
        sec = num(pos + 1, 2)?;
        pos += 3;
    }
    let mut frac_ms = 0;
    if b.get(pos) == Some(&b'.') {
        let digits = b[pos + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &s[pos + 1..pos + 1 + digits.min(3)]);
        frac_ms = padded.parse::<i64>().ok()?;
        pos += 1 + digits;
    }
    let offset_min = match b.get(pos) {
        None => 0,
        Some(b'Z' | b'z') if b.len() == pos + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == pos + 6 && b[pos + 3] == b':' => {
            let m = num(pos + 1, 2)? * 60 + num(pos + 4, 2)?;
            if *sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(day_ms + ((h * 60 + mi - offset_min) * 60 + sec) * 1000 + frac_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates() {
        let ms = date_ms(2025, 12, 23) + ((21 * 60 + 13) * 60 + 21) * 1000;
        assert_eq!(iso_ms(ms), "2025-12-23T21:13:21.000Z");
        assert_eq!(iso_offset(ms / 1000), "2025-12-23T21:13:21+00:00");
        assert_eq!(parse_rfc3339_ms("2025-12-23T21:13:21.000Z"), Some(ms));
        assert_eq!(parse_rfc3339_ms("2025-12-23T22:13:21+01:00"), Some(ms));
        assert_eq!(parse_rfc3339_ms("2025-12-23"), Some(date_ms(2025, 12, 23)));
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00.5Z"),
            Some(date_ms(2024, 2, 29) + 500)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
        assert_eq!(parse_rfc3339_ms("2024-13-01"), None);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
