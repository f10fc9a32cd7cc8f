//! Parsing one field's bytes as a number, a boolean or a timestamp, without
//! allocating (the loader's fast path).

pub(crate) const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Parses a finite number. Plain decimals of at most 15 digits take an exact
/// fast path (an exactly representable mantissa divided by an exact power
/// of ten is correctly rounded); everything else goes to the standard parser.
pub(crate) fn parse_f64(b: &[u8]) -> Option<f64> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    // Digits before and after an optional dot (wrapping: a long mantissa
    // overflows harmlessly and goes to the standard parser).
    let mut mant: u64 = 0;
    let mut i = 0;
    let digits = |i: &mut usize, mant: &mut u64| {
        while let Some(d) = rest.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            *mant = mant.wrapping_mul(10).wrapping_add(u64::from(d));
            *i += 1;
        }
    };
    digits(&mut i, &mut mant);
    let int_digits = i;
    let mut frac = 0;
    if rest.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i, &mut mant);
        frac = i - int_digits - 1;
    }
    if i == rest.len() && (1..=15).contains(&(int_digits + frac)) {
        // At most 15 digits: below 2^53, a signed conversion (one instruction);
        // `frac` is at most 15, inside `POW10` (checked reads cost 5% here).
        let v = mant as i64 as f64 / POW10[frac];
        return Some(if neg { -v } else { v });
    }
    let s = std::str::from_utf8(b).ok()?;
    // The standard parser accepts "inf" and "nan": those are not numbers here.
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

pub(crate) fn parse_bool(b: &[u8], yes_no: bool) -> Option<bool> {
    if b.eq_ignore_ascii_case(b"true") || (yes_no && b.eq_ignore_ascii_case(b"yes")) {
        Some(true)
    } else if b.eq_ignore_ascii_case(b"false") || (yes_no && b.eq_ignore_ascii_case(b"no")) {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by `T` or a
/// space, `HH:MM[:SS[.fff]]`, and `Z` or an offset `±HH[:MM]`, into Unix seconds (UTC).
pub(crate) fn parse_timestamp(b: &[u8]) -> Option<i64> {
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

// ---------------------------------------------------------------------------
// Inference.
