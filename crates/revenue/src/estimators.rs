//! The [`RevenueEstimator`] trait and the built-in estimators.

use crate::benchmarks::BenchmarkTable;
use crate::estimate::{Input, Method, PointEstimate, SkipReason, UsedInputs};
use crate::inputs::RevenueInputs;
use std::sync::Arc;

/// An estimator of monthly revenue from plain inputs.
///
/// `estimate` returns a point with its log-scale spread, or why it does not
/// apply to these inputs (so that a router can fall back). It must not panic
/// on any input values.
pub(crate) trait RevenueEstimator: Send + Sync + std::fmt::Debug {
    /// The method this estimator implements.
    fn method(&self) -> Method;

    /// Estimates monthly revenue, or says why it cannot.
    ///
    /// # Errors
    /// A [`SkipReason`] naming the missing or unusable input.
    fn estimate(&self, inputs: &RevenueInputs<'_>) -> Result<PointEstimate, SkipReason>;
}

#[inline]
fn positive(v: Option<f64>, input: Input) -> Result<f64, SkipReason> {
    match v {
        None => Err(SkipReason::Missing(input)),
        Some(x) if x.is_finite() && x > 0.0 => Ok(x),
        Some(_) => Err(SkipReason::Invalid(input)),
    }
}

#[inline]
fn finish(value: f64, log_sigma: f64, pairs: &[(Input, f64)]) -> Result<PointEstimate, SkipReason> {
    // Products of finite positive inputs can still overflow or underflow.
    if value.is_finite() && value > 0.0 {
        Ok(PointEstimate { monthly_revenue: value, log_sigma, inputs: UsedInputs::from_pairs(pairs) })
    } else {
        Err(SkipReason::Invalid(pairs.first().map_or(Input::Employees, |p| p.0)))
    }
}

/// Reported or public-record revenue, taken at face value with a small spread.
///
/// Applies when the reported monthly revenue is positive and finite; zero,
/// negative or non-finite revenue is skipped (the anomaly crate reports it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ReportedEstimator {
    log_sigma: f64,
}

impl ReportedEstimator {
    /// With the log-scale spread `log_sigma` (validated by the router builder).
    pub(crate) fn new(log_sigma: f64) -> Self {
        ReportedEstimator { log_sigma }
    }
}

impl RevenueEstimator for ReportedEstimator {
    fn method(&self) -> Method {
        Method::Reported
    }
    fn estimate(&self, i: &RevenueInputs<'_>) -> Result<PointEstimate, SkipReason> {
        let r = positive(i.reported_monthly_revenue, Input::ReportedMonthlyRevenue)?;
        finish(r, self.log_sigma, &[(Input::ReportedMonthlyRevenue, r)])
    }
}

/// E-commerce: monthly visits × conversion rate × average order / SKU price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TrafficConversionEstimator {
    log_sigma: f64,
}

impl TrafficConversionEstimator {
    /// With the log-scale spread `log_sigma`.
    pub(crate) fn new(log_sigma: f64) -> Self {
        TrafficConversionEstimator { log_sigma }
    }
}

impl RevenueEstimator for TrafficConversionEstimator {
    fn method(&self) -> Method {
        Method::TrafficConversion
    }
    fn estimate(&self, i: &RevenueInputs<'_>) -> Result<PointEstimate, SkipReason> {
        let t = positive(i.web_traffic_monthly, Input::WebTrafficMonthly)?;
        let c = positive(i.conversion_rate, Input::ConversionRate)?;
        if c > 1.0 {
            return Err(SkipReason::Invalid(Input::ConversionRate));
        }
        let p = positive(i.sku_avg_price, Input::SkuAvgPrice)?;
        finish(
            t * c * p,
            self.log_sigma,
            &[(Input::WebTrafficMonthly, t), (Input::ConversionRate, c), (Input::SkuAvgPrice, p)],
        )
    }
}

/// Established companies without reported revenue: employees × the
/// industry's revenue per employee × the business model's multiplier.
#[derive(Debug, Clone)]
pub(crate) struct EmployeeBenchmarkEstimator {
    table: Arc<BenchmarkTable>,
    log_sigma: f64,
}

impl EmployeeBenchmarkEstimator {
    /// With a benchmark table and the log-scale spread `log_sigma`.
    pub(crate) fn new(table: Arc<BenchmarkTable>, log_sigma: f64) -> Self {
        EmployeeBenchmarkEstimator { table, log_sigma }
    }
}

impl RevenueEstimator for EmployeeBenchmarkEstimator {
    fn method(&self) -> Method {
        Method::EmployeeBenchmark
    }
    fn estimate(&self, i: &RevenueInputs<'_>) -> Result<PointEstimate, SkipReason> {
        let e = positive(i.employees, Input::Employees)?;
        let rpe = self.table.revenue_per_employee(i.industry) * self.table.business_model_multiplier(i.business_model);
        finish(e * rpe, self.log_sigma, &[(Input::Employees, e), (Input::RevenuePerEmployeeBenchmark, rpe)])
    }
}

/// Fallback when the head count is unknown: visits × the business model's
/// revenue per visit.
#[derive(Debug, Clone)]
pub(crate) struct TrafficBenchmarkEstimator {
    table: Arc<BenchmarkTable>,
    log_sigma: f64,
}

impl TrafficBenchmarkEstimator {
    /// With a benchmark table and the log-scale spread `log_sigma`.
    pub(crate) fn new(table: Arc<BenchmarkTable>, log_sigma: f64) -> Self {
        TrafficBenchmarkEstimator { table, log_sigma }
    }
}

impl RevenueEstimator for TrafficBenchmarkEstimator {
    fn method(&self) -> Method {
        Method::TrafficBenchmark
    }
    fn estimate(&self, i: &RevenueInputs<'_>) -> Result<PointEstimate, SkipReason> {
        let t = positive(i.web_traffic_monthly, Input::WebTrafficMonthly)?;
        let rpv = self.table.revenue_per_visit(i.business_model);
        finish(t * rpv, self.log_sigma, &[(Input::WebTrafficMonthly, t), (Input::RevenuePerVisitBenchmark, rpv)])
    }
}

/// Last resort: the business model's typical revenue with a very wide
/// spread. Always applies.
#[derive(Debug, Clone)]
pub(crate) struct PriorEstimator {
    table: Arc<BenchmarkTable>,
    log_sigma: f64,
}

impl PriorEstimator {
    /// With a benchmark table and the log-scale spread `log_sigma`.
    pub(crate) fn new(table: Arc<BenchmarkTable>, log_sigma: f64) -> Self {
        PriorEstimator { table, log_sigma }
    }
}

impl RevenueEstimator for PriorEstimator {
    fn method(&self) -> Method {
        Method::Prior
    }
    fn estimate(&self, i: &RevenueInputs<'_>) -> Result<PointEstimate, SkipReason> {
        let r = self.table.prior_monthly_revenue(i.business_model);
        finish(r, self.log_sigma, &[(Input::PriorMonthlyRevenue, r)])
    }
}
