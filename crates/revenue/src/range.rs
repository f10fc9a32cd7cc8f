//! The preferred revenue range, P(revenue in range) from an estimate, and
//! the anomaly penalty.

use crate::error::{Result, RevenueError};
use crate::estimate::RevenueEstimate;
use acctscore_core::{CoreError, Probability};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Default lower end of the preferred range: $10k a month.
pub const DEFAULT_RANGE_LOW: f64 = 10_000.0;
/// Default upper end of the preferred range: $100k a month.
pub const DEFAULT_RANGE_HIGH: f64 = 100_000.0;

/// The preferred monthly revenue range `[low, high]`, with
/// `0 < low < high` (`high` may be `+inf`).
///
/// ```
/// use acctscore_revenue::{BusinessModel, RevenueInputs, RevenueRange, Router};
/// let range = RevenueRange::default(); // $10k–$100k a month
/// let est = Router::new().estimate(
///     &RevenueInputs::new(BusinessModel::Saas).with_reported_monthly_revenue(30_000.0));
/// let p = range.probability(&est);
/// assert!(p.get() > 0.99);
/// // An anomaly penalty of 0.5 halves it (see `apply_penalty`).
/// let q = range.probability_with_penalty(&est, 0.5)?;
/// assert!((q.get() - 0.5 * p.get()).abs() < 1e-12);
/// # Ok::<(), acctscore_revenue::RevenueError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawRange", into = "RawRange")]
pub struct RevenueRange {
    low: f64,
    high: f64,
    ln_low: f64,
    ln_high: f64,
}

#[derive(Serialize, Deserialize)]
struct RawRange {
    low: f64,
    high: f64,
}

impl TryFrom<RawRange> for RevenueRange {
    type Error = RevenueError;
    fn try_from(r: RawRange) -> Result<Self> {
        RevenueRange::new(r.low, r.high)
    }
}

impl From<RevenueRange> for RawRange {
    fn from(r: RevenueRange) -> Self {
        RawRange { low: r.low, high: r.high }
    }
}

impl Default for RevenueRange {
    fn default() -> Self {
        RevenueRange {
            low: DEFAULT_RANGE_LOW,
            high: DEFAULT_RANGE_HIGH,
            ln_low: DEFAULT_RANGE_LOW.ln(),
            ln_high: DEFAULT_RANGE_HIGH.ln(),
        }
    }
}

/// Standard normal CDF via statrs, saturated beyond ±7 (where it is within
/// 1.3e-12 of 0 or 1) to skip the special-function call for most accounts.
#[inline]
fn phi(n: &Normal, z: f64) -> f64 {
    if z <= -7.0 {
        0.0
    } else if z >= 7.0 {
        1.0
    } else {
        n.cdf(z)
    }
}

impl RevenueRange {
    /// A range of monthly revenue.
    ///
    /// # Errors
    /// [`RevenueError::InvalidRange`] unless `0 < low < high` with `low`
    /// finite and `high` not NaN.
    pub fn new(low: f64, high: f64) -> Result<Self> {
        if low.is_finite() && low > 0.0 && !high.is_nan() && high > low {
            Ok(RevenueRange { low, high, ln_low: low.ln(), ln_high: high.ln() })
        } else {
            Err(RevenueError::InvalidRange { low, high })
        }
    }

    /// Lower end.
    pub fn low(&self) -> f64 {
        self.low
    }

    /// Upper end.
    pub fn high(&self) -> f64 {
        self.high
    }

    /// Whether `revenue` lies in the range (NaN: no).
    pub fn contains(&self, revenue: f64) -> bool {
        revenue >= self.low && revenue <= self.high
    }

    /// P(revenue in range) under the estimate's log-normal, analytically:
    /// `Φ((ln high − μ)/σ) − Φ((ln low − μ)/σ)` (Φ from statrs; arguments
    /// beyond ±7 are taken as 0 or 1, an error below 1.3e-12).
    pub fn probability(&self, est: &RevenueEstimate) -> Probability {
        Probability::clamped(self.probability_raw(est.log_mu, est.log_sigma)).unwrap_or(Probability::ZERO)
    }

    /// The same, on raw log-normal parameters; NaN parameters give NaN.
    pub(crate) fn probability_raw(&self, log_mu: f64, log_sigma: f64) -> f64 {
        let n = Normal::standard();
        let upper = phi(&n, (self.ln_high - log_mu) / log_sigma);
        let lower = phi(&n, (self.ln_low - log_mu) / log_sigma);
        upper - lower
    }

    /// [`RevenueRange::probability`] lowered by an anomaly penalty through
    /// [`apply_penalty`].
    ///
    /// # Errors
    /// As [`apply_penalty`].
    pub fn probability_with_penalty(&self, est: &RevenueEstimate, penalty: f64) -> Result<Probability> {
        apply_penalty(self.probability(est), penalty)
    }
}

/// Lowers a probability by an anomaly penalty in `[0, 1]`:
///
/// `p' = p × (1 − penalty)`
///
/// so a penalty of 0 leaves `p` unchanged, a penalty of 1 gives 0, and bad
/// data can only lower a score, never raise it.
///
/// # Errors
/// [`RevenueError::Core`] with [`CoreError::NonFinite`] for a NaN/±inf
/// penalty or [`CoreError::OutOfRange`] outside `[0, 1]`.
pub fn apply_penalty(p: Probability, penalty: f64) -> Result<Probability> {
    if !penalty.is_finite() {
        return Err(CoreError::NonFinite { what: "anomaly penalty", index: 0, value: penalty }.into());
    }
    if !(0.0..=1.0).contains(&penalty) {
        return Err(CoreError::OutOfRange { what: "anomaly penalty", value: penalty, min: 0.0, max: 1.0 }.into());
    }
    Ok(Probability::clamped(p.get() * (1.0 - penalty))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BusinessModel, RevenueInputs, Router};
    use proptest::prelude::*;

    #[test]
    fn range_validation() {
        assert!(RevenueRange::new(1.0, 2.0).is_ok());
        assert!(RevenueRange::new(1.0, f64::INFINITY).is_ok());
        for (l, h) in [(0.0, 1.0), (2.0, 1.0), (f64::NAN, 1.0), (1.0, f64::NAN), (-1.0, 5.0), (3.0, 3.0)] {
            assert!(matches!(RevenueRange::new(l, h), Err(RevenueError::InvalidRange { .. })));
        }
    }

    #[test]
    fn probability_matches_statrs_lognormal() {
        use statrs::distribution::LogNormal;
        let est = Router::new().estimate(&RevenueInputs::new(BusinessModel::Saas).with_employees(3.0));
        let ln = LogNormal::new(est.log_mu, est.log_sigma).expect("valid");
        let expected = ln.cdf(1e5) - ln.cdf(1e4);
        assert!((RevenueRange::default().probability(&est).get() - expected).abs() < 1e-12);
        let open = RevenueRange::new(1e4, f64::INFINITY).expect("valid");
        assert!((open.probability(&est).get() - (1.0 - ln.cdf(1e4))).abs() < 1e-12);
    }

    #[test]
    fn penalty_is_validated() {
        let p = Probability::new(0.8).expect("valid");
        assert_eq!(apply_penalty(p, 0.0).map(Probability::get).ok(), Some(0.8));
        assert_eq!(apply_penalty(p, 1.0).map(Probability::get).ok(), Some(0.0));
        assert!(apply_penalty(p, f64::NAN).is_err());
        assert!(apply_penalty(p, -0.1).is_err());
        assert!(apply_penalty(p, 1.5).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn penalty_never_raises(p in 0.0f64..=1.0, pen in 0.0f64..=1.0) {
            let q = apply_penalty(Probability::new(p).expect("valid"), pen).expect("valid");
            prop_assert!(q.get() <= p + 1e-15);
        }

        #[test]
        fn any_inputs_give_a_valid_estimate_and_probability(
            rev in proptest::num::f64::ANY, emp in proptest::num::f64::ANY, t in proptest::num::f64::ANY,
            c in proptest::num::f64::ANY, price in proptest::num::f64::ANY, bm in 0usize..5,
        ) {
            let row = RevenueInputs::new(BusinessModel::ALL[bm])
                .with_reported_monthly_revenue(rev).with_employees(emp).with_web_traffic_monthly(t)
                .with_conversion_rate(c).with_sku_avg_price(price);
            let est = Router::new().estimate(&row);
            prop_assert!(est.point.is_finite() && est.point > 0.0);
            prop_assert!(est.interval.low <= est.point && est.point <= est.interval.high);
            let p = RevenueRange::default().probability(&est).get();
            prop_assert!((0.0..=1.0).contains(&p));
        }
    }
}
