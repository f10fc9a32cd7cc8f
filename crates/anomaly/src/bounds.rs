//! Plausibility bounds on revenue per employee by industry (TOML).

use crate::error::{AnomalyError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default bounds table, embedded at compile time; its comments
/// document every key.
pub const DEFAULT_BOUNDS_TOML: &str = include_str!("bounds.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    min_revenue_per_employee: Option<f64>,
    max_revenue_per_employee: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBounds {
    default: RawEntry,
    #[serde(default)]
    industries: BTreeMap<String, RawEntry>,
}

/// Plausible monthly revenue per employee: `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Lowest plausible monthly revenue per employee (0 = no lower bound).
    pub min: f64,
    /// Highest plausible monthly revenue per employee.
    pub max: f64,
}

/// Plausibility bounds by industry, with a default.
///
/// ```
/// use acctscore_anomaly::BoundsTable;
/// let t = BoundsTable::default();
/// assert_eq!(t.for_industry(Some("Software")).max, 1_000_000.0);
/// assert_eq!(t.for_industry(Some("healthcare")).max, 500_000.0);
/// let mine = BoundsTable::from_toml_str("[default]\nmax_revenue_per_employee = 2e5")?;
/// assert_eq!(mine.for_industry(None).max, 200_000.0);
/// # Ok::<(), acctscore_anomaly::AnomalyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundsTable {
    default: Bounds,
    industries: BTreeMap<String, Bounds>,
}

impl Default for BoundsTable {
    /// The embedded [`DEFAULT_BOUNDS_TOML`].
    fn default() -> Self {
        BoundsTable::from_toml_str(DEFAULT_BOUNDS_TOML).unwrap_or_else(|_| BoundsTable {
            default: Bounds { min: 0.0, max: 1_000_000.0 },
            industries: BTreeMap::new(),
        })
    }
}

fn validate(key: &str, b: Bounds) -> Result<Bounds> {
    if b.min.is_finite() && b.min >= 0.0 && !b.max.is_nan() && b.max > b.min {
        Ok(b)
    } else {
        Err(AnomalyError::BoundsValue { key: key.to_string(), min: b.min, max: b.max })
    }
}

impl BoundsTable {
    /// Parses and validates a table in the format of [`DEFAULT_BOUNDS_TOML`]
    /// (a missing default key means min 0, max +inf).
    ///
    /// # Errors
    /// [`AnomalyError::BoundsParse`] for bad TOML or unknown keys,
    /// [`AnomalyError::BoundsValue`] unless `0 <= min < max`.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let raw: RawBounds = toml::from_str(text).map_err(|e| AnomalyError::BoundsParse { message: e.to_string() })?;
        let default = validate(
            "default",
            Bounds {
                min: raw.default.min_revenue_per_employee.unwrap_or(0.0),
                max: raw.default.max_revenue_per_employee.unwrap_or(f64::INFINITY),
            },
        )?;
        let mut industries = BTreeMap::new();
        for (k, e) in raw.industries {
            let b = Bounds {
                min: e.min_revenue_per_employee.unwrap_or(default.min),
                max: e.max_revenue_per_employee.unwrap_or(default.max),
            };
            industries.insert(k.trim().to_string(), validate(&k, b)?);
        }
        Ok(BoundsTable { default, industries })
    }

    /// The industries with bounds of their own.
    pub(crate) fn industries(&self) -> impl Iterator<Item = &str> + '_ {
        self.industries.keys().map(String::as_str)
    }

    /// The bounds for an industry (the default when unknown or absent).
    /// Exact label first, then trimmed and case-insensitive.
    pub fn for_industry(&self, industry: Option<&str>) -> Bounds {
        let Some(i) = industry else { return self.default };
        if let Some(b) = self.industries.get(i) {
            return *b;
        }
        let t = i.trim();
        self.industries.iter().find(|(k, _)| k.eq_ignore_ascii_case(t)).map_or(self.default, |(_, b)| *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parses_and_bad_tables_fail() {
        let t = BoundsTable::from_toml_str(DEFAULT_BOUNDS_TOML).expect("valid");
        assert_eq!(t, BoundsTable::default());
        assert_eq!(t.for_industry(Some("  EDUCATION ")).max, 500_000.0);
        assert!(matches!(BoundsTable::from_toml_str("[default"), Err(AnomalyError::BoundsParse { .. })));
        assert!(matches!(
            BoundsTable::from_toml_str("[default]\nmin_revenue_per_employee = 5.0\nmax_revenue_per_employee = 1.0"),
            Err(AnomalyError::BoundsValue { .. })
        ));
        assert!(matches!(
            BoundsTable::from_toml_str("[default]\nmax_revenue_per_employee = nan"),
            Err(AnomalyError::BoundsValue { .. })
        ));
        assert!(BoundsTable::from_toml_str("[default]\nbogus = 1").is_err());
    }
}
