//! Priority: account quality (ICP and revenue probabilities) damped by engagement.

use crate::{EngagementError, Result};
use acctscore_core::Probability;
use serde::{Deserialize, Serialize};

/// Parameters of the priority form
///
/// ```text
/// quality  = icp^(a / (a + b)) · revenue^(b / (a + b))      (weighted geometric mean)
/// priority = quality · (1 − d · s)                          (s = saturated engagement in [0, 1])
/// ```
///
/// with `a` = ICP weight, `b` = revenue weight (≥ 0, not both 0; a weight of
/// 0 leaves that input out), and `d` = engagement damping in `[0, 1]`.
/// `s` comes from [`EngagementModel::saturate`](crate::EngagementModel::saturate).
///
/// For `d > 0` and quality > 0, priority strictly decreases with engagement:
/// a good account with low engagement ranks above an equally good, heavily
/// worked one; a heavily worked account keeps at least `1 − d` of its quality,
/// so an excellent worked account still outranks a poor untouched one when
/// its quality is more than `1 / (1 − d)` times higher.
///
/// Defaults: `a = 1`, `b = 1`, `d = 0.5`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorityParams {
    icp_weight: f64,
    revenue_weight: f64,
    engagement_damping: f64,
}

impl Default for PriorityParams {
    fn default() -> Self {
        Self::new()
    }
}

impl PriorityParams {
    /// The defaults: ICP weight 1, revenue weight 1, damping 0.5.
    pub fn new() -> Self {
        PriorityParams { icp_weight: 1.0, revenue_weight: 1.0, engagement_damping: 0.5 }
    }

    /// Sets the ICP weight `a` (≥ 0).
    pub fn icp_weight(mut self, a: f64) -> Self {
        self.icp_weight = a;
        self
    }

    /// Sets the revenue weight `b` (≥ 0).
    pub fn revenue_weight(mut self, b: f64) -> Self {
        self.revenue_weight = b;
        self
    }

    /// Sets the engagement damping `d` in `[0, 1]` (0: engagement ignored; 1: a
    /// saturated account drops to 0).
    pub fn engagement_damping(mut self, d: f64) -> Self {
        self.engagement_damping = d;
        self
    }

    /// Checks the parameters once and returns the [`Priority`] they define.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) for a negative or non-finite
    /// weight, two zero weights, or a damping outside `[0, 1]`.
    pub fn fit(&self) -> Result<Priority> {
        self.validate()?;
        let total = self.icp_weight + self.revenue_weight;
        Ok(Priority {
            icp_exp: self.icp_weight / total,
            revenue_exp: self.revenue_weight / total,
            damping: self.engagement_damping,
        })
    }

    /// Checks every value (what [`PriorityParams::fit`] runs first).
    fn validate(&self) -> Result<()> {
        for (name, v) in [("icp_weight", self.icp_weight), ("revenue_weight", self.revenue_weight)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(acctscore_core::CoreError::ParameterOutOfRange {
                    name,
                    value: v,
                    reason: "must be finite and >= 0",
                }
                .into());
            }
        }
        let total = self.icp_weight + self.revenue_weight;
        if !(total > 0.0 && total.is_finite()) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "icp_weight + revenue_weight",
                value: total,
                reason: "must be finite and > 0",
            }
            .into());
        }
        let d = self.engagement_damping;
        if !(0.0..=1.0).contains(&d) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "engagement_damping",
                value: d,
                reason: "must be in [0, 1]",
            }
            .into());
        }
        Ok(())
    }
}

/// Validated priority form (see [`PriorityParams`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priority {
    icp_exp: f64,
    revenue_exp: f64,
    damping: f64,
}

impl Priority {
    /// Account quality: the weighted geometric mean of the ICP and revenue probabilities.
    #[inline]
    pub fn quality(&self, icp: Probability, revenue: Probability) -> Probability {
        let q = icp.get().powf(self.icp_exp) * revenue.get().powf(self.revenue_exp);
        // Products of values in [0, 1] stay in [0, 1]; clamp guards rounding.
        Probability::clamped(q).unwrap_or(Probability::ZERO)
    }

    /// Priority from a quality and a saturated engagement: `quality · (1 − d · s)`.
    #[inline]
    pub fn from_quality(&self, quality: Probability, saturated_engagement: Probability) -> Probability {
        let p = quality.get() * (1.0 - self.damping * saturated_engagement.get());
        Probability::clamped(p).unwrap_or(Probability::ZERO)
    }

    /// Priority of an account from its ICP and revenue probabilities and its
    /// saturated engagement ([`EngagementModel::saturate`](crate::EngagementModel::saturate)).
    #[inline]
    pub fn score(&self, icp: Probability, revenue: Probability, saturated_engagement: Probability) -> Probability {
        self.from_quality(self.quality(icp, revenue), saturated_engagement)
    }

    /// [`Priority::score`] for every account, in order.
    ///
    /// # Errors
    /// [`EngagementError::LengthMismatch`] unless the three slices have the same length.
    pub fn score_all(
        &self,
        icp: &[Probability],
        revenue: &[Probability],
        saturated_engagement: &[Probability],
    ) -> Result<Vec<Probability>> {
        for (what, found) in [("revenue vs icp", revenue.len()), ("engagement vs icp", saturated_engagement.len())] {
            if found != icp.len() {
                return Err(EngagementError::LengthMismatch { what, expected: icp.len(), found });
            }
        }
        Ok(icp.iter().zip(revenue).zip(saturated_engagement).map(|((&i, &r), &e)| self.score(i, r, e)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: f64) -> Probability {
        Probability::new(v).expect("valid")
    }

    #[test]
    fn low_engagement_ranks_first() {
        let pr = PriorityParams::new().fit().expect("valid");
        let fresh = pr.score(p(0.8), p(0.6), p(0.05));
        let worked = pr.score(p(0.8), p(0.6), p(0.9));
        assert!(fresh > worked);
        let q = pr.quality(p(0.8), p(0.2)).get();
        assert!((q - 0.4).abs() < 1e-12);
        assert_eq!(pr.score(p(0.8), p(0.2), p(0.0)).get(), q);
        assert!((pr.score(p(0.8), p(0.2), p(1.0)).get() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn configurable_and_validated() {
        let icp_only = PriorityParams::new().revenue_weight(0.0).engagement_damping(0.0).fit().expect("valid");
        assert_eq!(icp_only.score(p(0.7), p(0.0), p(1.0)).get(), 0.7);
        assert!(PriorityParams::new().icp_weight(-1.0).fit().is_err());
        assert!(PriorityParams::new().icp_weight(0.0).revenue_weight(0.0).fit().is_err());
        assert!(PriorityParams::new().engagement_damping(1.5).fit().is_err());
        assert!(PriorityParams::new().engagement_damping(f64::NAN).fit().is_err());
        let pr = PriorityParams::new().fit().expect("valid");
        let all = pr.score_all(&[p(0.8), p(0.8)], &[p(0.5), p(0.5)], &[p(0.0), p(0.9)]).expect("same lengths");
        assert_eq!(all, vec![pr.score(p(0.8), p(0.5), p(0.0)), pr.score(p(0.8), p(0.5), p(0.9))]);
        assert!(all[0] > all[1]);
        assert!(matches!(pr.score_all(&[p(0.8)], &[], &[]), Err(EngagementError::LengthMismatch { .. })));
    }
}
