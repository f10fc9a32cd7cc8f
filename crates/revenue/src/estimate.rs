//! What an estimate carries: method, inputs used, point, interval, and the
//! fallback trail.

use serde::{Deserialize, Serialize};

/// The estimation method that produced an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Reported or public-record monthly revenue.
    Reported,
    /// Monthly web traffic × conversion rate × average order / SKU price.
    TrafficConversion,
    /// Employees × industry revenue-per-employee benchmark × business-model multiplier.
    EmployeeBenchmark,
    /// Monthly web traffic × revenue-per-visit benchmark of the business model.
    TrafficBenchmark,
    /// The business model's typical revenue, with a very wide interval.
    Prior,
}

impl Method {
    /// Every method, in a fixed order.
    pub const ALL: [Method; 5] = [
        Method::Reported,
        Method::TrafficConversion,
        Method::EmployeeBenchmark,
        Method::TrafficBenchmark,
        Method::Prior,
    ];

    /// A stable snake_case code (`reported`, `traffic_conversion`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Reported => "reported",
            Method::TrafficConversion => "traffic_conversion",
            Method::EmployeeBenchmark => "employee_benchmark",
            Method::TrafficBenchmark => "traffic_benchmark",
            Method::Prior => "prior",
        }
    }

    /// Position in [`Method::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named input (or benchmark factor) an estimate used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Input {
    /// Reported monthly revenue.
    ReportedMonthlyRevenue,
    /// Monthly web visits.
    WebTrafficMonthly,
    /// Conversion rate.
    ConversionRate,
    /// Average order value or SKU price.
    SkuAvgPrice,
    /// Head count.
    Employees,
    /// Revenue-per-employee benchmark (industry × business model) from the table.
    RevenuePerEmployeeBenchmark,
    /// Revenue-per-visit benchmark from the table.
    RevenuePerVisitBenchmark,
    /// Typical revenue of the business model from the table.
    PriorMonthlyRevenue,
}

impl Input {
    /// A stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Input::ReportedMonthlyRevenue => "reported_monthly_revenue",
            Input::WebTrafficMonthly => "web_traffic_monthly",
            Input::ConversionRate => "conversion_rate",
            Input::SkuAvgPrice => "sku_avg_price",
            Input::Employees => "employees",
            Input::RevenuePerEmployeeBenchmark => "revenue_per_employee_benchmark",
            Input::RevenuePerVisitBenchmark => "revenue_per_visit_benchmark",
            Input::PriorMonthlyRevenue => "prior_monthly_revenue",
        }
    }
}

const MAX_USED: usize = 4;

/// The inputs (name and value) an estimate used: at most four, stored
/// inline (no allocation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsedInputs {
    items: [(Input, f64); MAX_USED],
    len: u8,
}

impl UsedInputs {
    /// Builds from up to four pairs (extra pairs are ignored).
    pub(crate) fn from_pairs(pairs: &[(Input, f64)]) -> Self {
        let mut items = [(Input::Employees, 0.0); MAX_USED];
        let len = pairs.len().min(MAX_USED);
        items[..len].copy_from_slice(&pairs[..len]);
        UsedInputs { items, len: len as u8 }
    }
    /// The pairs, in the order the method uses them.
    pub fn as_slice(&self) -> &[(Input, f64)] {
        &self.items[..usize::from(self.len)]
    }
    /// The value of one input, if used.
    pub fn get(&self, input: Input) -> Option<f64> {
        self.as_slice().iter().find(|(i, _)| *i == input).map(|(_, v)| *v)
    }
}

impl Serialize for UsedInputs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(usize::from(self.len)))?;
        for (k, v) in self.as_slice() {
            m.serialize_entry(k.as_str(), v)?;
        }
        m.end()
    }
}

/// Why an estimator in the chain did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "input")]
pub enum SkipReason {
    /// A required input is missing.
    Missing(Input),
    /// A required input is present but unusable (NaN, ±inf, zero or negative,
    /// a conversion rate above 1).
    Invalid(Input),
}

/// One estimator skipped by the router, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The skipped method.
    pub method: Method,
    /// Why it was skipped.
    pub reason: SkipReason,
}

const MAX_SKIPPED: usize = 6;

/// The estimators the router tried before the one that applied (inline, no allocation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkipTrail {
    items: [Skipped; MAX_SKIPPED],
    len: u8,
}

impl Default for SkipTrail {
    fn default() -> Self {
        let filler = Skipped { method: Method::Prior, reason: SkipReason::Missing(Input::Employees) };
        SkipTrail { items: [filler; MAX_SKIPPED], len: 0 }
    }
}

impl SkipTrail {
    pub(crate) fn push(&mut self, s: Skipped) {
        if usize::from(self.len) < MAX_SKIPPED {
            self.items[usize::from(self.len)] = s;
            self.len += 1;
        }
    }
    /// The skipped estimators, in chain order.
    pub fn as_slice(&self) -> &[Skipped] {
        &self.items[..usize::from(self.len)]
    }
    /// Whether the first choice applied.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Serialize for SkipTrail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

/// What a single estimator returns: a point (the median of its log-normal)
/// with the log-scale spread of its method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointEstimate {
    /// Point estimate of monthly revenue (positive, finite).
    pub monthly_revenue: f64,
    /// Standard deviation of log revenue for this method (positive).
    pub log_sigma: f64,
    /// The inputs used.
    pub inputs: UsedInputs,
}

/// A central interval of the estimate's log-normal distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower end (monthly revenue).
    pub low: f64,
    /// Upper end (monthly revenue).
    pub high: f64,
    /// Coverage, e.g. 0.8.
    pub level: f64,
}

/// A revenue estimate: method, inputs used, point value, log-normal
/// uncertainty, interval and the fallback trail.
///
/// Monthly revenue is modelled as log-normal with `ln R ~ N(log_mu,
/// log_sigma²)`; the point value is its median `exp(log_mu)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RevenueEstimate {
    /// The method that applied.
    pub method: Method,
    /// The inputs it used.
    pub inputs: UsedInputs,
    /// Point estimate (median) of monthly revenue.
    pub point: f64,
    /// Mean of log revenue.
    pub log_mu: f64,
    /// Standard deviation of log revenue.
    pub log_sigma: f64,
    /// Central interval at the router's level (default 80%).
    pub interval: Interval,
    /// Estimators skipped before this one.
    pub skipped: SkipTrail,
}
