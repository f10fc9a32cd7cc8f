//! The benchmark table: revenue per employee by industry and per-model
//! factors, human-edited as TOML.

use crate::error::{Result, RevenueError};
use crate::inputs::BusinessModel;
use rustc_hash::FxHashMap as FxMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default benchmark table, embedded at compile time. Its comments
/// document every key; print it to start your own file.
pub const DEFAULT_BENCHMARKS_TOML: &str = include_str!("benchmarks.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    default_revenue_per_employee: f64,
    #[serde(default)]
    revenue_per_employee: BTreeMap<String, f64>,
    business_model_multiplier: PerModel,
    revenue_per_visit: PerModel,
    prior_monthly_revenue: PerModel,
}

/// One positive value per business model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PerModel {
    /// Value for [`BusinessModel::Ecommerce`].
    pub ecommerce: f64,
    /// Value for [`BusinessModel::Saas`].
    pub saas: f64,
    /// Value for [`BusinessModel::Services`].
    pub services: f64,
    /// Value for [`BusinessModel::Marketplace`].
    pub marketplace: f64,
    /// Value for [`BusinessModel::Other`].
    pub other: f64,
}

impl PerModel {
    /// The value for `model`.
    pub(crate) fn get(&self, model: BusinessModel) -> f64 {
        match model {
            BusinessModel::Ecommerce => self.ecommerce,
            BusinessModel::Saas => self.saas,
            BusinessModel::Services => self.services,
            BusinessModel::Marketplace => self.marketplace,
            BusinessModel::Other => self.other,
        }
    }

    fn validate(&self, section: &str) -> Result<()> {
        for m in BusinessModel::ALL {
            let v = self.get(m);
            if !(v.is_finite() && v > 0.0) {
                return Err(RevenueError::BenchmarkValue { key: format!("{section}.{m}"), value: v });
            }
        }
        Ok(())
    }
}

/// Revenue benchmarks: monthly revenue per employee by industry (with a
/// default), a multiplier per business model, revenue per web visit and a
/// last-resort prior per business model.
///
/// Industry lookups are case-insensitive on the exact label.
///
/// ```
/// use acctscore_revenue::{BenchmarkTable, BusinessModel};
/// let table = BenchmarkTable::default();
/// assert_eq!(table.revenue_per_employee(Some("Software")), 20_000.0);
/// assert_eq!(table.revenue_per_employee(Some("unknown")), 15_000.0);
/// let mine = BenchmarkTable::from_toml_str(r#"
///     default_revenue_per_employee = 500.0
///     [business_model_multiplier]
///     ecommerce = 1.0
///     saas = 1.0
///     services = 1.0
///     marketplace = 1.0
///     other = 1.0
///     [revenue_per_visit]
///     ecommerce = 1.0
///     saas = 1.0
///     services = 1.0
///     marketplace = 1.0
///     other = 1.0
///     [prior_monthly_revenue]
///     ecommerce = 5e3
///     saas = 5e3
///     services = 5e3
///     marketplace = 5e3
///     other = 5e3
/// "#)?;
/// assert_eq!(mine.revenue_per_employee(None), 500.0);
/// # Ok::<(), acctscore_revenue::RevenueError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkTable {
    default_revenue_per_employee: f64,
    /// Keys trimmed, as written.
    revenue_per_employee: FxMap<String, f64>,
    business_model_multiplier: PerModel,
    revenue_per_visit: PerModel,
    prior_monthly_revenue: PerModel,
}

impl Default for BenchmarkTable {
    /// The embedded [`DEFAULT_BENCHMARKS_TOML`].
    fn default() -> Self {
        // The embedded table is checked by a unit test; a fallback keeps
        // this infallible without a panic path.
        BenchmarkTable::from_toml_str(DEFAULT_BENCHMARKS_TOML).unwrap_or_else(|_| BenchmarkTable {
            default_revenue_per_employee: 15_000.0,
            revenue_per_employee: FxMap::default(),
            business_model_multiplier: PerModel {
                ecommerce: 1.0,
                saas: 1.0,
                services: 1.0,
                marketplace: 1.0,
                other: 1.0,
            },
            revenue_per_visit: PerModel { ecommerce: 1.5, saas: 2.0, services: 3.0, marketplace: 1.0, other: 2.0 },
            prior_monthly_revenue: PerModel {
                ecommerce: 60_000.0,
                saas: 80_000.0,
                services: 50_000.0,
                marketplace: 60_000.0,
                other: 40_000.0,
            },
        })
    }
}

impl BenchmarkTable {
    /// Parses and validates a table in the format of [`DEFAULT_BENCHMARKS_TOML`].
    ///
    /// # Errors
    /// [`RevenueError::BenchmarkParse`] for bad TOML, missing sections or
    /// unknown keys; [`RevenueError::BenchmarkValue`] for a value that is
    /// not positive and finite.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let raw: RawTable =
            toml::from_str(text).map_err(|e| RevenueError::BenchmarkParse { message: e.to_string() })?;
        let d = raw.default_revenue_per_employee;
        if !(d.is_finite() && d > 0.0) {
            return Err(RevenueError::BenchmarkValue { key: "default_revenue_per_employee".into(), value: d });
        }
        let mut rpe = FxMap::default();
        for (k, v) in raw.revenue_per_employee {
            if !(v.is_finite() && v > 0.0) {
                return Err(RevenueError::BenchmarkValue { key: format!("revenue_per_employee.{k}"), value: v });
            }
            rpe.insert(k.trim().to_string(), v);
        }
        raw.business_model_multiplier.validate("business_model_multiplier")?;
        raw.revenue_per_visit.validate("revenue_per_visit")?;
        raw.prior_monthly_revenue.validate("prior_monthly_revenue")?;
        Ok(BenchmarkTable {
            default_revenue_per_employee: d,
            revenue_per_employee: rpe,
            business_model_multiplier: raw.business_model_multiplier,
            revenue_per_visit: raw.revenue_per_visit,
            prior_monthly_revenue: raw.prior_monthly_revenue,
        })
    }

    /// Derives revenue per employee from accounts with known revenue: the
    /// median of `revenue / employees` per industry (industries with fewer
    /// than `min_count` usable rows use the overall median, which also
    /// becomes the default). Rows with missing, non-finite or non-positive
    /// values are ignored. Per-model factors are kept from `self`.
    ///
    /// # Errors
    /// [`RevenueError::Core`] (`Empty`) when no row is usable.
    pub fn from_observed<'a, I>(&self, rows: I, min_count: usize) -> Result<Self>
    where
        I: IntoIterator<Item = (Option<&'a str>, f64, f64)>,
    {
        let mut all: Vec<f64> = Vec::new();
        let mut by: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (industry, employees, revenue) in rows {
            if employees.is_finite() && employees >= 1.0 && revenue.is_finite() && revenue > 0.0 {
                let r = revenue / employees;
                all.push(r);
                if let Some(i) = industry {
                    by.entry(i.trim().to_string()).or_default().push(r);
                }
            }
        }
        let Some(overall) = median(&mut all) else {
            return Err(acctscore_core::CoreError::Empty { what: "rows with revenue and employees" }.into());
        };
        let mut table = self.clone();
        table.default_revenue_per_employee = overall;
        table.revenue_per_employee.clear();
        for (k, mut v) in by {
            if v.len() >= min_count.max(1)
                && let Some(m) = median(&mut v)
            {
                table.revenue_per_employee.insert(k, m);
            }
        }
        Ok(table)
    }

    /// Monthly revenue per employee for an industry (the default when the
    /// industry is unknown or absent from the table).
    pub fn revenue_per_employee(&self, industry: Option<&str>) -> f64 {
        match industry {
            Some(i) => self.lookup(i).unwrap_or(self.default_revenue_per_employee),
            None => self.default_revenue_per_employee,
        }
    }

    fn lookup(&self, industry: &str) -> Option<f64> {
        // Exact match first (no allocation); then trimmed, case-insensitive.
        if let Some(v) = self.revenue_per_employee.get(industry) {
            return Some(*v);
        }
        let t = industry.trim();
        self.revenue_per_employee.iter().find(|(k, _)| k.eq_ignore_ascii_case(t)).map(|(_, v)| *v)
    }

    /// Multiplier on revenue per employee for a business model.
    pub(crate) fn business_model_multiplier(&self, model: BusinessModel) -> f64 {
        self.business_model_multiplier.get(model)
    }
    /// Monthly revenue per monthly web visit for a business model.
    pub(crate) fn revenue_per_visit(&self, model: BusinessModel) -> f64 {
        self.revenue_per_visit.get(model)
    }
    /// Last-resort typical monthly revenue for a business model.
    pub(crate) fn prior_monthly_revenue(&self, model: BusinessModel) -> f64 {
        self.prior_monthly_revenue.get(model)
    }
}

/// Median of finite values (sorts in place); `None` when empty.
pub(crate) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses() {
        let t = BenchmarkTable::from_toml_str(DEFAULT_BENCHMARKS_TOML).expect("default table is valid");
        assert_eq!(t, BenchmarkTable::default());
        assert_eq!(t.revenue_per_employee(Some("software")), 20_000.0);
        assert_eq!(t.revenue_per_employee(Some(" SOFTWARE ")), 20_000.0);
        assert_eq!(t.business_model_multiplier(BusinessModel::Saas), 1.2);
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(matches!(BenchmarkTable::from_toml_str("x = "), Err(RevenueError::BenchmarkParse { .. })));
        let neg = DEFAULT_BENCHMARKS_TOML.replace("\"Software\" = 20000.0", "\"Software\" = -1.0");
        assert!(matches!(BenchmarkTable::from_toml_str(&neg), Err(RevenueError::BenchmarkValue { .. })));
        let nan = DEFAULT_BENCHMARKS_TOML.replace("saas = 1.2", "saas = nan");
        assert!(matches!(BenchmarkTable::from_toml_str(&nan), Err(RevenueError::BenchmarkValue { .. })));
    }

    #[test]
    fn from_observed_uses_medians() {
        let rows = vec![
            (Some("A"), 10.0, 1000.0),
            (Some("A"), 10.0, 3000.0),
            (Some("A"), 1.0, 200.0),
            (Some("B"), 2.0, f64::NAN),
            (None, 0.0, 5.0),
        ];
        let t = BenchmarkTable::default().from_observed(rows, 2).expect("usable rows");
        assert_eq!(t.revenue_per_employee(Some("a")), 200.0);
        assert_eq!(t.revenue_per_employee(Some("B")), 200.0);
        assert!(BenchmarkTable::default().from_observed(Vec::new(), 1).is_err());
    }
}
