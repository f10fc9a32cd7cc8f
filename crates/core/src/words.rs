//! Small shared pieces of what the crates tell a person: lists of names in
//! messages and tier letters.

/// At most this many names in a message; the rest are counted.
pub(crate) const NAMES_SHOWN: usize = 20;

/// `names` for a message: `"a, b, c"`, at most 20 of them,
/// then `", and N more"`; `"no columns"` when empty.
///
/// ```
/// let names: Vec<String> = (0..23).map(|i| format!("c{i}")).collect();
/// assert!(acctscore_core::names_in_words(&names).ends_with("c19, and 3 more"));
/// assert_eq!(acctscore_core::names_in_words(&[]), "no columns");
/// ```
pub fn names_in_words(names: &[String]) -> String {
    if names.is_empty() {
        return "no columns".to_string();
    }
    let mut out = names.iter().take(NAMES_SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    if names.len() > NAMES_SHOWN {
        out.push_str(&format!(", and {} more", names.len() - NAMES_SHOWN));
    }
    out
}

/// The tier letter of `x` given cut points `a ≥ b ≥ c`: `A` at or above
/// `a`, `B` at or above `b`, `C` at or above `c`, else `D` (NaN is `D`).
///
/// ```
/// assert_eq!(acctscore_core::tier_letter(0.5, 0.6, 0.4, 0.1), 'B');
/// assert_eq!(acctscore_core::tier_letter(f64::NAN, 0.6, 0.4, 0.1), 'D');
/// ```
pub fn tier_letter(x: f64, a: f64, b: f64, c: f64) -> char {
    if x >= a {
        'A'
    } else if x >= b {
        'B'
    } else if x >= c {
        'C'
    } else {
        'D'
    }
}
