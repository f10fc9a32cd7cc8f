//! The [`Router`]: picks an estimator chain by business model and falls back
//! along it; attaches the log-normal interval.

use crate::benchmarks::BenchmarkTable;
use crate::error::{Result, check_positive};
use crate::estimate::{Interval, Method, RevenueEstimate, SkipTrail, Skipped};
use crate::estimators::{
    EmployeeBenchmarkEstimator, PriorEstimator, ReportedEstimator, RevenueEstimator, TrafficBenchmarkEstimator,
    TrafficConversionEstimator,
};
use crate::inputs::{BusinessModel, RevenueInputs};
use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::Arc;

/// Default coverage of the interval.
pub const DEFAULT_INTERVAL_LEVEL: f64 = 0.8;

/// Default log-scale spread per method, in [`Method::ALL`] order:
/// reported 0.15, traffic × conversion 0.7, employee benchmark 0.9,
/// traffic benchmark 1.2, prior 2.0.
pub const DEFAULT_LOG_SIGMAS: [f64; 5] = [0.15, 0.7, 0.9, 1.2, 2.0];

/// The standard normal quantile for a central interval at `level`.
pub(crate) fn z_for_level(level: f64) -> Result<f64> {
    if !(level.is_finite() && level > 0.0 && level < 1.0) {
        return Err(acctscore_core::CoreError::ParameterOutOfRange {
            name: "interval_level",
            value: level,
            reason: "must be in (0, 1)",
        }
        .into());
    }
    let p = 0.5 * (1.0 + level);
    // `p` is in (0.5, 1): inverse_cdf cannot panic here.
    let n = Normal::standard();
    Ok(n.inverse_cdf(p))
}

/// Builds a [`Router`]; every setting has a documented default.
#[derive(Debug, Clone)]
pub struct RouterBuilder {
    table: Arc<BenchmarkTable>,
    log_sigmas: [f64; 5],
    level: f64,
    chains: [Option<Vec<Arc<dyn RevenueEstimator>>>; 5],
}

impl Default for RouterBuilder {
    fn default() -> Self {
        RouterBuilder {
            table: Arc::new(BenchmarkTable::default()),
            log_sigmas: DEFAULT_LOG_SIGMAS,
            level: DEFAULT_INTERVAL_LEVEL,
            chains: Default::default(),
        }
    }
}

impl RouterBuilder {
    /// Uses this benchmark table (default: [`BenchmarkTable::default`]).
    pub fn benchmarks(mut self, table: BenchmarkTable) -> Self {
        self.table = Arc::new(table);
        self
    }
    /// Sets the log-scale spread of a built-in method (default [`DEFAULT_LOG_SIGMAS`]).
    pub fn log_sigma(mut self, method: Method, sigma: f64) -> Self {
        self.log_sigmas[method.index()] = sigma;
        self
    }
    /// Sets the interval coverage, in `(0, 1)` (default 0.8).
    pub fn interval_level(mut self, level: f64) -> Self {
        self.level = level;
        self
    }
    /// Replaces the chain of one business model by these estimators, tried
    /// in order. A [`Method::Prior`] estimator is appended when the chain
    /// does not end with one, so that every account gets an estimate.
    #[cfg(test)]
    pub(crate) fn chain(mut self, model: BusinessModel, estimators: Vec<Arc<dyn RevenueEstimator>>) -> Self {
        self.chains[model.index()] = Some(estimators);
        self
    }

    /// Validates the settings and builds the router.
    ///
    /// Default chains: e-commerce and marketplace try reported →
    /// traffic × conversion → employee benchmark → traffic benchmark →
    /// prior; SaaS, services and other try reported → employee benchmark →
    /// traffic benchmark → prior.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) for a spread that is not positive
    /// and finite or a level outside `(0, 1)`.
    pub fn build(self) -> Result<Router> {
        for (m, s) in Method::ALL.iter().zip(self.log_sigmas) {
            check_positive(
                match m {
                    Method::Reported => "log_sigma.reported",
                    Method::TrafficConversion => "log_sigma.traffic_conversion",
                    Method::EmployeeBenchmark => "log_sigma.employee_benchmark",
                    Method::TrafficBenchmark => "log_sigma.traffic_benchmark",
                    Method::Prior => "log_sigma.prior",
                },
                s,
            )?;
        }
        let z = z_for_level(self.level)?;
        let s = self.log_sigmas;
        let t = &self.table;
        let reported: Arc<dyn RevenueEstimator> = Arc::new(ReportedEstimator::new(s[0]));
        let traffic_conv: Arc<dyn RevenueEstimator> = Arc::new(TrafficConversionEstimator::new(s[1]));
        let employee: Arc<dyn RevenueEstimator> = Arc::new(EmployeeBenchmarkEstimator::new(t.clone(), s[2]));
        let traffic: Arc<dyn RevenueEstimator> = Arc::new(TrafficBenchmarkEstimator::new(t.clone(), s[3]));
        let prior: Arc<dyn RevenueEstimator> = Arc::new(PriorEstimator::new(t.clone(), s[4]));
        let online = vec![reported.clone(), traffic_conv, employee.clone(), traffic.clone(), prior.clone()];
        let offline = vec![reported, employee, traffic, prior.clone()];
        let mut chains: [Vec<Arc<dyn RevenueEstimator>>; 5] = Default::default();
        for (m, custom) in BusinessModel::ALL.iter().zip(self.chains) {
            let mut chain = custom.unwrap_or_else(|| match m {
                BusinessModel::Ecommerce | BusinessModel::Marketplace => online.clone(),
                _ => offline.clone(),
            });
            if chain.last().map(|e| e.method()) != Some(Method::Prior) {
                chain.push(prior.clone());
            }
            chains[m.index()] = chain;
        }
        let factors = s.map(|sigma| (sigma, (z * sigma).exp()));
        Ok(Router { chains, z, level: self.level, prior_sigma: s[4], table: self.table, factors })
    }
}

/// Picks the estimator chain by business model and returns the first
/// estimate that applies, with its log-normal interval and the trail of
/// skipped estimators.
///
/// ```
/// use acctscore_revenue::{BusinessModel, Method, RevenueInputs, Router};
/// let router = Router::new();
/// // No reported revenue: e-commerce falls back to traffic × conversion × price.
/// let row = RevenueInputs::new(BusinessModel::Ecommerce)
///     .with_web_traffic_monthly(40_000.0)
///     .with_conversion_rate(0.02)
///     .with_sku_avg_price(50.0);
/// let est = router.estimate(&row);
/// assert_eq!(est.method, Method::TrafficConversion);
/// assert!((est.point - 40_000.0).abs() < 1e-6);
/// assert!(est.interval.low < est.point && est.point < est.interval.high);
/// assert_eq!(est.skipped.as_slice().len(), 1); // reported revenue was missing
/// ```
#[derive(Debug, Clone)]
pub struct Router {
    chains: [Vec<Arc<dyn RevenueEstimator>>; 5],
    z: f64,
    level: f64,
    prior_sigma: f64,
    table: Arc<BenchmarkTable>,
    /// Per built-in method: (log sigma, exp(z × log sigma)), to skip an `exp`.
    factors: [(f64, f64); 5],
}

impl Default for Router {
    fn default() -> Self {
        Router::new()
    }
}

impl Router {
    /// A router with every default (embedded benchmark table, 80% intervals).
    pub fn new() -> Router {
        // Defaults are valid (unit-tested); fall back to a hand-built router
        // rather than panic.
        RouterBuilder::default().build().unwrap_or_else(|_| Router {
            chains: Default::default(),
            z: 1.2815515655446004,
            level: DEFAULT_INTERVAL_LEVEL,
            prior_sigma: 2.0,
            table: Arc::new(BenchmarkTable::default()),
            factors: DEFAULT_LOG_SIGMAS.map(|s| (s, (1.2815515655446004 * s).exp())),
        })
    }

    /// A builder starting from the defaults.
    pub fn builder() -> RouterBuilder {
        RouterBuilder::default()
    }

    /// The interval coverage.
    pub fn interval_level(&self) -> f64 {
        self.level
    }

    /// The benchmark table in use.
    pub fn benchmarks(&self) -> &BenchmarkTable {
        &self.table
    }

    /// Estimates one account's monthly revenue. Never fails and never
    /// allocates: the chain always ends with the prior.
    pub fn estimate(&self, inputs: &RevenueInputs<'_>) -> RevenueEstimate {
        let mut skipped = SkipTrail::default();
        for e in &self.chains[inputs.business_model.index()] {
            match e.estimate(inputs) {
                Ok(p)
                    if p.monthly_revenue.is_finite()
                        && p.monthly_revenue > 0.0
                        && p.log_sigma.is_finite()
                        && p.log_sigma > 0.0 =>
                {
                    return self.finish(e.method(), p.monthly_revenue, p.log_sigma, p.inputs, skipped);
                }
                Ok(_) => skipped.push(Skipped {
                    method: e.method(),
                    reason: crate::SkipReason::Invalid(crate::Input::PriorMonthlyRevenue),
                }),
                Err(reason) => skipped.push(Skipped { method: e.method(), reason }),
            }
        }
        let r = self.table.prior_monthly_revenue(inputs.business_model);
        let used = crate::UsedInputs::from_pairs(&[(crate::Input::PriorMonthlyRevenue, r)]);
        self.finish(Method::Prior, r, self.prior_sigma, used, skipped)
    }

    /// Estimates every account, in order (equal to calling [`Router::estimate`] on each).
    pub fn estimate_batch(&self, inputs: &[RevenueInputs<'_>]) -> Vec<RevenueEstimate> {
        inputs.iter().map(|i| self.estimate(i)).collect()
    }

    #[inline]
    fn finish(
        &self,
        method: Method,
        point: f64,
        log_sigma: f64,
        inputs: crate::UsedInputs,
        skipped: SkipTrail,
    ) -> RevenueEstimate {
        let (cached_sigma, cached) = self.factors[method.index()];
        let factor = if cached_sigma == log_sigma { cached } else { (self.z * log_sigma).exp() };
        RevenueEstimate {
            method,
            inputs,
            point,
            log_mu: point.ln(),
            log_sigma,
            interval: Interval { low: point / factor, high: point * factor, level: self.level },
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Input, RevenueError, SkipReason};

    #[test]
    fn defaults_build_and_level_is_validated() {
        assert!(Router::builder().build().is_ok());
        for bad in [0.0, 1.0, -0.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Router::builder().interval_level(bad).build(),
                Err(RevenueError::Core(acctscore_core::CoreError::ParameterOutOfRange { name: "interval_level", .. }))
            ));
        }
        assert!(Router::builder().log_sigma(Method::Prior, 0.0).build().is_err());
        assert!((z_for_level(0.8).expect("valid") - 1.2815515655446004).abs() < 1e-9);
    }

    #[test]
    fn fallback_chain_and_trail() {
        let r = Router::new();
        let saas = RevenueInputs::new(BusinessModel::Saas).with_reported_monthly_revenue(-5.0).with_employees(10.0);
        let e = r.estimate(&saas);
        assert_eq!(e.method, Method::EmployeeBenchmark);
        assert_eq!(e.skipped.as_slice()[0].reason, SkipReason::Invalid(Input::ReportedMonthlyRevenue));
        assert!((e.point - 10.0 * 15_000.0 * 1.2).abs() < 1e-6);
        let nothing = RevenueInputs::new(BusinessModel::Other);
        assert_eq!(r.estimate(&nothing).method, Method::Prior);
        let traffic_only = RevenueInputs::new(BusinessModel::Services).with_web_traffic_monthly(1000.0);
        assert_eq!(r.estimate(&traffic_only).method, Method::TrafficBenchmark);
        let reported = RevenueInputs::new(BusinessModel::Ecommerce).with_reported_monthly_revenue(5e4);
        let e = r.estimate(&reported);
        assert_eq!((e.method, e.point), (Method::Reported, 5e4));
        assert!(e.skipped.is_empty());
        // A conversion rate above 1 is unusable.
        let bad = RevenueInputs::new(BusinessModel::Ecommerce)
            .with_web_traffic_monthly(10.0)
            .with_conversion_rate(2.0)
            .with_sku_avg_price(5.0);
        assert_eq!(r.estimate(&bad).method, Method::TrafficBenchmark);
    }

    #[test]
    fn custom_chain_gets_a_prior() {
        let r = Router::builder()
            .chain(BusinessModel::Saas, vec![Arc::new(ReportedEstimator::new(0.1)) as Arc<dyn RevenueEstimator>])
            .build()
            .expect("valid");
        let e = r.estimate(&RevenueInputs::new(BusinessModel::Saas).with_employees(3.0));
        assert_eq!(e.method, Method::Prior);
    }
}
