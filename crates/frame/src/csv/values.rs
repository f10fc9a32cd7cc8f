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

/// Parses `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by a time and
/// an offset, into Unix seconds (UTC): see [`acctscore_core::Timestamp::parse_iso8601`].
#[inline]
pub(crate) fn parse_timestamp(b: &[u8]) -> Option<i64> {
    acctscore_core::Timestamp::parse_iso8601(b).map(acctscore_core::Timestamp::unix_seconds)
}

// ---------------------------------------------------------------------------
// Inference.
