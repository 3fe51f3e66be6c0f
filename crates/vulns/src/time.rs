//! UTC timestamps as seconds since 1970, read from and written as the texts the feeds
//! and the NVD API use. Small enough not to need a date library.

/// Seconds since 1970-01-01T00:00:00Z.
pub type Secs = i64;

/// Now, as [`Secs`].
pub fn now() -> Secs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count (Howard Hinnant's civil_from_days).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parts(t: Secs) -> (i64, i64, i64, i64, i64, i64) {
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `2026-11-23T10:00:00Z`.
pub fn rfc3339(t: Secs) -> String {
    let (y, m, d, hh, mm, ss) = parts(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// The form the NVD API takes for `lastModStartDate`/`lastModEndDate`, already
/// URL-encoded: `2026-11-23T10:00:00.000%2B00:00`.
pub fn nvd_param(t: Secs) -> String {
    let (y, m, d, hh, mm, ss) = parts(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.000%2B00:00")
}

/// Reads `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fff]]` and `Z` or `±HH:MM`
/// (a time without a zone is UTC, as NVD writes them). `None` for anything else.
pub fn parse(text: &str) -> Option<Secs> {
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&m) {
        return None;
    }
    if !(1..=31).contains(&d) {
        return None;
    }
    let mut t = days_from_civil(y, m, d) * 86_400;
    let mut i = 10;
    if matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        let (hh, mm) = (num(11..13)?, num(14..16)?);
        if b.get(13) != Some(&b':') || hh > 23 || mm > 59 {
            return None;
        }
        t += hh * 3600 + mm * 60;
        i = 16;
        if b.get(16) == Some(&b':') {
            let ss = num(17..19)?;
            if ss > 60 {
                return None;
            }
            t += ss;
            i = 19;
            if b.get(19) == Some(&b'.') {
                i = 20;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
        }
    }
    match b.get(i) {
        None => Some(t),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(t),
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let off = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            Some(if sign == b'+' { t - off } else { t + off })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_the_feed_forms() {
        let t = parse("2026-11-23T10:20:30Z").unwrap();
        assert_eq!(rfc3339(t), "2026-11-23T10:20:30Z");
        assert_eq!(parse("2026-11-23T10:20:30.123"), Some(t));
        assert_eq!(parse("2026-11-23T11:20:30.000+01:00"), Some(t));
        assert_eq!(parse("2026-11-23"), Some(t - 10 * 3600 - 20 * 60 - 30));
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2000-03-01"), Some(951_868_800));
        assert_eq!(nvd_param(t), "2026-11-23T10:20:30.000%2B00:00");
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-11-23T25:00",
            "2026-11-23Tx",
            "x026-11-23",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let now = now();
        assert_eq!(parse(&rfc3339(now)), Some(now));
    }
}
