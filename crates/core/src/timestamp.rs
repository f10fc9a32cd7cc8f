//! [`Timestamp`]: seconds since the Unix epoch.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (UTC), as a small newtype over `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// Seconds in a day.
pub(crate) const SECONDS_PER_DAY: f64 = 86_400.0;

impl Timestamp {
    /// Wraps Unix seconds.
    pub const fn from_unix_seconds(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// The Unix seconds.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        // i64 difference can overflow for extreme values; go through i128.
        (self.0 as i128 - earlier.0 as i128) as f64
    }

    /// Days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        self.seconds_since(earlier) / SECONDS_PER_DAY
    }

    /// Parses an ISO 8601 date or date-time as UTC: `YYYY-MM-DD` (midnight)
    /// or `YYYY/MM/DD`, optionally followed by `T` or a space and
    /// `HH:MM[:SS[.fff]]` (fractions of a second dropped), and `Z` or an
    /// offset `±HH[:MM]` (converted to UTC). A date that does not exist
    /// (`2025-02-29`) or any other form is `None`.
    ///
    /// ```
    /// use acctscore_core::Timestamp;
    /// assert_eq!(Timestamp::parse_iso8601(b"2026-01-01"), Some(Timestamp::from_unix_seconds(1_767_225_600)));
    /// assert_eq!(Timestamp::parse_iso8601(b"2026-01-01T02:00:00+01:00"), Some(Timestamp::from_unix_seconds(1_767_229_200)));
    /// assert_eq!(Timestamp::parse_iso8601(b"2025-02-29"), None);
    /// ```
    pub fn parse_iso8601(text: &[u8]) -> Option<Timestamp> {
        parse_iso8601_seconds(text).map(Timestamp)
    }

    /// The civil (proleptic Gregorian, UTC) year the timestamp falls in.
    ///
    /// ```
    /// use acctscore_core::Timestamp;
    /// assert_eq!(Timestamp::from_unix_seconds(1_767_225_599).year(), 2025);
    /// assert_eq!(Timestamp::from_unix_seconds(-1).year(), 1969);
    /// ```
    pub fn year(self) -> i64 {
        // Howard Hinnant's days-to-civil algorithm.
        let days = self.0.div_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        yoe + era * 400 + i64::from(month <= 2)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by `T` or a
/// space, `HH:MM[:SS[.fff]]`, and `Z` or an offset `±HH[:MM]`, into Unix seconds (UTC).
fn parse_iso8601_seconds(b: &[u8]) -> Option<i64> {
    if b.len() < 10 {
        return None;
    }
    let sep = b[4];
    if (sep != b'-' && sep != b'/') || b[7] != sep {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(secs);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    let t = &rest[1..];
    if t.len() < 5 || t[2] != b':' {
        return None;
    }
    let (hh, mm) = (digits(&t[0..2])?, digits(&t[3..5])?);
    if hh > 23 || mm > 59 {
        return None;
    }
    secs += hh * 3600 + mm * 60;
    let mut t = &t[5..];
    if t.first() == Some(&b':') {
        let ss = digits(t.get(1..3)?)?;
        if ss > 60 {
            return None;
        }
        secs += ss;
        t = &t[3..];
        if t.first() == Some(&b'.') {
            let n = t[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            t = &t[1 + n..];
        }
    }
    match t {
        [] | [b'Z'] | [b'z'] => Some(secs),
        [sign @ (b'+' | b'-'), off @ ..] => {
            let (oh, om) = match off {
                [a, b2] => (digits(&[*a, *b2])?, 0),
                [a, b2, b':', c, d2] | [a, b2, c, d2] => (digits(&[*a, *b2])?, digits(&[*c, *d2])?),
                _ => return None,
            };
            let off = oh * 3600 + om * 60;
            Some(if *sign == b'+' { secs - off } else { secs + off })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_do_not_overflow() {
        let a = Timestamp::from_unix_seconds(i64::MAX);
        let b = Timestamp::from_unix_seconds(i64::MIN);
        assert!(a.seconds_since(b) > 0.0);
        assert!(b.seconds_since(a) < 0.0);
        assert_eq!(Timestamp::from_unix_seconds(86_400).days_since(Timestamp::from_unix_seconds(0)), 1.0);
        let t = Timestamp::from_unix_seconds(1_000);
        assert_eq!(t.seconds_since(Timestamp::from_unix_seconds(400)), 600.0);
        assert_eq!(Timestamp::from_unix_seconds(-43_200).days_since(t), -(44_200.0 / 86_400.0));
        assert_eq!(t.unix_seconds(), 1_000);
        assert_eq!(t.to_string(), "1000");
        assert_eq!(a.seconds_since(b), 2.0f64.powi(64) - 1.0);
    }

    #[test]
    fn iso_dates_and_years() {
        let p = |s: &str| Timestamp::parse_iso8601(s.as_bytes()).map(Timestamp::unix_seconds);
        assert_eq!(p("1970-01-01"), Some(0));
        assert_eq!(p("2026-01-01"), Some(1_767_225_600));
        assert_eq!(p("2026-01-01T01:00:00Z"), Some(1_767_229_200));
        assert_eq!(p("2026-01-01 02:00:00+01:00"), Some(1_767_229_200));
        assert_eq!(p("2026/01/01 01:00"), Some(1_767_229_200));
        assert_eq!(p("2026-01-01T01:00:00.250Z"), Some(1_767_229_200));
        assert_eq!(p("2024-02-29"), Some(1_709_164_800));
        for bad in ["2026-02-30", "2026-13-01", "20260101", "2026-01-01T25:00:00Z", "yesterday", ""] {
            assert_eq!(p(bad), None, "{bad}");
        }
        for (t, y) in [(0, 1970), (1_767_225_600, 2026), (1_767_225_599, 2025), (-1, 1969), (951_782_400, 2000)] {
            assert_eq!(Timestamp::from_unix_seconds(t).year(), y);
        }
    }
}
