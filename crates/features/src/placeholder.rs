//! Placeholder values: form defaults and "no value" spellings (`Select`,
//! `N/A`, `unknown`, `nonexistent`, `-`) and sentinel numbers (`999`, `-1`
//! for "never").
//!
//! They are **detected and reported, never silently turned into missing**:
//! a form default can carry signal of its own (the lead who never opened
//! the drop-down). The encoder keeps them as their own level unless asked
//! otherwise ([`crate::encode::PipelineParams::placeholders_as_missing`]).
//!
//! A string value is a placeholder when, trimmed and lower-cased, it is one
//! of [`PlaceholderRules::tokens`]. A number is a sentinel when it is one
//! of [`PlaceholderRules::sentinels`], appears in at least
//! [`PlaceholderRules::min_sentinel_share`] of the rows, and stands apart
//! from the other values: a negative sentinel in a column whose other
//! values are all ≥ 0, or a positive one larger than every other value.
//!
//! ```
//! use acctscore_features::{Column, placeholder::{PlaceholderRules, detect}};
//!
//! let c = Column::categorical([Some("Select"), Some("Finance"), Some("select"), None]);
//! let found = detect(&c, &PlaceholderRules::default());
//! assert_eq!(found[0].count, 2);
//! let days = Column::numeric(vec![Some(-1.0), Some(30.0), Some(-1.0), Some(200.0)]);
//! assert_eq!(detect(&days, &PlaceholderRules::default())[0].value, "-1");
//! ```

use crate::{Column, NumericColumn};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Strings read as placeholders by default (compared trimmed and lower-cased).
pub const DEFAULT_TOKENS: &[&str] = &[
    "select", "select one", "please select", "choose", "-- select --", "n/a", "na", "n.a.", "#n/a", "none", "null",
    "nil", "nan", "unknown", "nonexistent", "not specified", "not provided", "not available", "undefined", "missing",
    "tbd", "-", "--", "?", ".",
];

/// Numbers read as sentinels by default (subject to the share and
/// apartness conditions of the module docs).
pub const DEFAULT_SENTINELS: &[f64] = &[-1.0, -9.0, -99.0, -999.0, -9999.0, 99.0, 999.0, 9999.0, 99999.0, 999999.0];

/// What counts as a placeholder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceholderRules {
    /// Lower-case string placeholders.
    pub tokens: Vec<String>,
    /// Candidate sentinel numbers.
    pub sentinels: Vec<f64>,
    /// Least share of rows a sentinel must cover (default 0.005).
    pub min_sentinel_share: f64,
}

impl Default for PlaceholderRules {
    fn default() -> Self {
        PlaceholderRules {
            tokens: DEFAULT_TOKENS.iter().map(|s| s.to_string()).collect(),
            sentinels: DEFAULT_SENTINELS.to_vec(),
            min_sentinel_share: 0.005,
        }
    }
}

impl PlaceholderRules {
    /// Whether a string is a placeholder token.
    pub fn is_token(&self, value: &str) -> bool {
        let v = value.trim();
        // Tokens are short: most values are rejected on length alone, without allocating.
        if self.tokens.iter().all(|t| t.len() != v.len()) {
            return false;
        }
        if v.is_ascii() {
            return self.tokens.iter().any(|t| t.eq_ignore_ascii_case(v));
        }
        let v = v.to_lowercase();
        self.tokens.contains(&v)
    }
}

/// Whether a finding is a string placeholder or a sentinel number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceholderKind {
    /// A string such as `Select` or `N/A`.
    Token,
    /// A number such as `-1` or `999`.
    Sentinel,
}

/// One placeholder value found in a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceholderFinding {
    /// The value as written (first spelling seen for strings).
    pub value: String,
    /// Token or sentinel.
    pub kind: PlaceholderKind,
    /// Rows holding it.
    pub count: usize,
    /// `count` / rows.
    pub share: f64,
}

/// Finds the placeholder values of a column, most frequent first.
pub fn detect(column: &Column, rules: &PlaceholderRules) -> Vec<PlaceholderFinding> {
    let n = column.len().max(1) as f64;
    let mut out: Vec<PlaceholderFinding> = Vec::new();
    let mut strings = |pairs: &mut dyn Iterator<Item = (&str, usize)>| {
        let mut by_fold: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for (s, c) in pairs {
            if c > 0 && rules.is_token(s) {
                let e = by_fold.entry(s.trim().to_lowercase()).or_insert_with(|| (s.to_string(), 0));
                e.1 += c;
            }
        }
        for (_, (value, count)) in by_fold {
            out.push(PlaceholderFinding { value, kind: PlaceholderKind::Token, count, share: count as f64 / n });
        }
    };
    match column {
        Column::Categorical(c) => {
            let counts = c.level_counts();
            strings(&mut c.levels().iter().map(String::as_str).zip(counts));
        }
        Column::Text(v) => {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for s in v.iter().flatten() {
                if rules.is_token(s) {
                    *counts.entry(s).or_insert(0) += 1;
                }
            }
            let mut pairs: Vec<(&str, usize)> = counts.into_iter().collect();
            pairs.sort();
            strings(&mut pairs.into_iter());
        }
        Column::Numeric(v) => out.extend(detect_sentinels(v, rules)),
        _ => {}
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

/// Sentinel numbers of a numeric column (see the module docs).
pub fn detect_sentinels(values: &NumericColumn, rules: &PlaceholderRules) -> Vec<PlaceholderFinding> {
    let n = values.len().max(1) as f64;
    let mut out = Vec::new();
    for &s in &rules.sentinels {
        let mut count = 0usize;
        let mut other_min = f64::INFINITY;
        let mut other_max = f64::NEG_INFINITY;
        for x in values.iter().flatten() {
            if x == s {
                count += 1;
            } else {
                other_min = other_min.min(x);
                other_max = other_max.max(x);
            }
        }
        if count == 0 || (count as f64) < rules.min_sentinel_share * n || other_min > other_max {
            continue;
        }
        let apart = if s < 0.0 { other_min >= 0.0 } else { s > other_max };
        if apart {
            out.push(PlaceholderFinding {
                value: format_number(s),
                kind: PlaceholderKind::Sentinel,
                count,
                share: count as f64 / n,
            });
        }
    }
    out
}

fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fold_case_and_space() {
        let r = PlaceholderRules::default();
        assert!(r.is_token(" N/A "));
        assert!(r.is_token("Select"));
        assert!(!r.is_token("Finance"));
        let c = Column::text(vec![Some("unknown"), Some("Unknown"), Some("x"), None]);
        let f = detect(&c, &r);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].count, 2);
        assert!((f[0].share - 0.5).abs() < 1e-12);
    }

    #[test]
    fn sentinels_must_stand_apart() {
        let r = PlaceholderRules::default();
        // -1 among negatives is a value, not a sentinel.
        let v: NumericColumn = vec![Some(-1.0), Some(-3.0), Some(2.0)].into();
        assert!(detect_sentinels(&v, &r).is_empty());
        // 999 above everything else is a sentinel; 99 below the max is not.
        let v: NumericColumn = vec![Some(999.0), Some(99.0), Some(120.0), Some(5.0)].into();
        let f = detect_sentinels(&v, &r);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].value, "999");
    }
}
