//! Monitoring: score drift (population stability index) and tier migration.

use crate::BinningParams;
use crate::metrics::bin_of;
use crate::rank::sort_finite;
use crate::{CalibrationError, Result};
use acctscore_core::{CoreError, check};
use serde::{Deserialize, Serialize};

/// Parameters of the population stability index.
///
/// Bins come from the baseline scores (quantiles by default, so each holds
/// about a tenth of the baseline; or equal width over the baseline's range);
/// a score falls in bin `(e_k, e_{k+1}]`, the outer bins open-ended. Shares
/// below `epsilon` are raised to it so that an empty bin gives a large but
/// finite term. `PSI = Σ (current − baseline) · ln(current / baseline)`;
/// rule of thumb: < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted.
///
/// ```
/// use acctscore_calibration::{BinStrategy, BinningParams, monitor::PsiParams};
///
/// let baseline: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
/// let shifted: Vec<f64> = baseline.iter().map(|s| s + 0.3).collect();
/// // Five equal-width bins over the baseline's range.
/// let psi = PsiParams::new().binning(BinningParams::new().bins(5).strategy(BinStrategy::Uniform));
/// let same = psi.compute(&baseline, &baseline)?;
/// assert!(same.psi.abs() < 1e-12);
/// let drift = psi.compute(&baseline, &shifted)?;
/// assert_eq!(drift.current_shares.len(), 5);
/// assert!(drift.psi > 0.25); // "shifted" by the rule of thumb
/// # Ok::<(), acctscore_calibration::CalibrationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsiParams {
    binning: BinningParams,
    epsilon: f64,
}

impl Default for PsiParams {
    fn default() -> Self {
        PsiParams::new()
    }
}

/// The population stability index and its per-bin terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsiReport {
    /// The index.
    pub psi: f64,
    /// Interior bin edges (strictly increasing; tied quantiles collapsed).
    pub edges: Vec<f64>,
    /// Share of baseline scores per bin.
    pub baseline_shares: Vec<f64>,
    /// Share of current scores per bin.
    pub current_shares: Vec<f64>,
    /// Each bin's term of the sum.
    pub contributions: Vec<f64>,
}

impl PsiParams {
    /// Ten quantile bins, `epsilon = 1e-4`.
    pub fn new() -> Self {
        PsiParams { binning: BinningParams::new(), epsilon: 1e-4 }
    }

    /// How the baseline's scores are binned: the bins of a binning
    /// calibrator fitted on them, before empty ones are merged (default
    /// [`BinningParams::new`], ten quantile bins).
    pub fn binning(mut self, binning: BinningParams) -> Self {
        self.binning = binning;
        self
    }

    /// Floor for a bin's share (finite, in `(0, 1)`).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Compares `current` scores with `baseline` scores.
    ///
    /// # Errors
    /// Invalid parameters, either input empty, or a non-finite score.
    pub fn compute(&self, baseline: &[f64], current: &[f64]) -> Result<PsiReport> {
        self.binning.check()?;
        check::param(self.epsilon > 0.0 && self.epsilon < 1.0, "epsilon", "must be in (0, 1)")?;
        if baseline.is_empty() {
            return Err(CoreError::Empty { what: "baseline scores" }.into());
        }
        if current.is_empty() {
            return Err(CoreError::Empty { what: "current scores" }.into());
        }
        check::finite_slice("baseline scores", baseline)?;
        check::finite_slice("current scores", current)?;
        let mut sorted = baseline.to_vec();
        sort_finite(&mut sorted);
        let all = self.binning.edges(&sorted)?;
        // Interior edges only: the outer bins are open-ended.
        let mut edges: Vec<f64> = all
            .get(1..all.len().saturating_sub(1))
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|e| e.is_finite())
            .collect();
        edges.dedup();
        let shares = |values: &[f64]| {
            let mut counts = vec![0u64; edges.len() + 1];
            for &v in values {
                counts[bin_of(&edges, v)] += 1;
            }
            counts.iter().map(|&c| c as f64 / values.len() as f64).collect::<Vec<f64>>()
        };
        let baseline_shares = shares(baseline);
        let current_shares = shares(current);
        let contributions: Vec<f64> = baseline_shares
            .iter()
            .zip(&current_shares)
            .map(|(&b, &c)| {
                let (b, c) = (b.max(self.epsilon), c.max(self.epsilon));
                (c - b) * (c / b).ln()
            })
            .collect();
        let psi = crate::rank::compensated_sum(contributions.iter().copied());
        Ok(PsiReport { psi, edges, baseline_shares, current_shares, contributions })
    }
}

/// The population stability index with default parameters ([`PsiParams::new`]).
///
/// # Errors
/// As [`PsiParams::compute`].
pub fn population_stability_index(baseline: &[f64], current: &[f64]) -> Result<f64> {
    PsiParams::new().compute(baseline, current).map(|r| r.psi)
}

/// Tier cut points: a score `>=` the `k`-th cut (0-based) is in tier `k + 1`
/// or higher; tier 0 is below every cut. With cuts `[0.3, 0.7]`: tier 0 =
/// low, 1 = medium, 2 = high.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Tiers {
    cuts: Vec<f64>,
}

impl TryFrom<Vec<f64>> for Tiers {
    type Error = CalibrationError;
    fn try_from(cuts: Vec<f64>) -> Result<Self> {
        Tiers::new(cuts)
    }
}

impl From<Tiers> for Vec<f64> {
    fn from(t: Tiers) -> Vec<f64> {
        t.cuts
    }
}

impl Tiers {
    /// Checks the cuts: finite and strictly increasing (none gives one tier).
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] or [`CoreError::InvalidParameter`].
    pub fn new(cuts: Vec<f64>) -> Result<Self> {
        check::finite_slice("tier cuts", &cuts)?;
        let increasing = cuts.windows(2).all(|w| matches!(w, [a, b] if a < b));
        check::param(increasing, "tier cuts", "must be strictly increasing")?;
        Ok(Tiers { cuts })
    }

    /// Number of tiers (cuts + 1).
    pub fn len(&self) -> usize {
        self.cuts.len() + 1
    }

    /// Always false: there is at least one tier.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The cuts.
    pub fn cuts(&self) -> &[f64] {
        &self.cuts
    }

    /// The tier of a score (NaN falls in tier 0).
    pub fn tier_of(&self, score: f64) -> usize {
        self.cuts.partition_point(|&c| c <= score)
    }
}

/// Counts of accounts moving from each tier (rows) to each tier (columns)
/// between two scorings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationMatrix {
    counts: Vec<Vec<u64>>,
}

impl MigrationMatrix {
    /// Builds the matrix from tier indices of the same accounts before and after.
    ///
    /// # Errors
    /// Empty input, length mismatch, `n_tiers == 0`, or an index `>= n_tiers`.
    pub fn from_tier_indices(before: &[usize], after: &[usize], n_tiers: usize) -> Result<Self> {
        if before.is_empty() {
            return Err(CoreError::Empty { what: "tiers before" }.into());
        }
        check::same_len("tiers after vs before", before.len(), after.len())?;
        check::param(n_tiers >= 1, "n_tiers", "must be at least 1")?;
        let mut counts = vec![vec![0u64; n_tiers]; n_tiers];
        for (&b, &a) in before.iter().zip(after) {
            check::param(b < n_tiers && a < n_tiers, "tier index", "must be below n_tiers")?;
            counts[b][a] += 1;
        }
        Ok(MigrationMatrix { counts })
    }

    /// Number of tiers.
    pub fn n_tiers(&self) -> usize {
        self.counts.len()
    }

    /// Accounts that moved from tier `from` to tier `to` (0 out of range).
    pub fn count(&self, from: usize, to: usize) -> u64 {
        self.counts.get(from).and_then(|r| r.get(to)).copied().unwrap_or(0)
    }

    /// The rows (from) × columns (to) of counts.
    pub fn counts(&self) -> &[Vec<u64>] {
        &self.counts
    }

    /// All accounts.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Accounts that stayed in their tier.
    pub fn stayed(&self) -> u64 {
        self.counts.iter().enumerate().map(|(i, row)| row.get(i).copied().unwrap_or(0)).sum()
    }

    /// Accounts that moved to a higher tier.
    pub fn upgraded(&self) -> u64 {
        self.sum_where(|from, to| to > from)
    }

    /// Accounts that moved to a lower tier.
    pub fn downgraded(&self) -> u64 {
        self.sum_where(|from, to| to < from)
    }

    /// Share of accounts that stayed in their tier (NaN for an empty matrix,
    /// which only deserialisation can produce).
    pub fn stability(&self) -> f64 {
        self.stayed() as f64 / self.total() as f64
    }

    fn sum_where(&self, keep: impl Fn(usize, usize) -> bool) -> u64 {
        let mut s = 0;
        for (i, row) in self.counts.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                if keep(i, j) {
                    s += c;
                }
            }
        }
        s
    }
}

/// The tier-migration matrix between two scorings of the same accounts.
///
/// # Errors
/// Empty input, length mismatch, or a NaN score.
pub fn tier_migration(tiers: &Tiers, before: &[f64], after: &[f64]) -> Result<MigrationMatrix> {
    for (what, v) in [("scores before", before), ("scores after", after)] {
        if let Some(index) = v.iter().position(|s| s.is_nan()) {
            return Err(CoreError::NonFinite { what, index, value: v[index] }.into());
        }
    }
    let b: Vec<usize> = before.iter().map(|&s| tiers.tier_of(s)).collect();
    let a: Vec<usize> = after.iter().map(|&s| tiers.tier_of(s)).collect();
    MigrationMatrix::from_tier_indices(&b, &a, tiers.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_have_zero_psi() {
        let v: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        assert!(population_stability_index(&v, &v).expect("psi").abs() < 1e-15);
        let shifted: Vec<f64> = v.iter().map(|x| x + 0.5).collect();
        assert!(population_stability_index(&v, &shifted).expect("psi") > 0.25);
        assert!(population_stability_index(&[], &v).is_err());
        assert!(PsiParams::new().epsilon(0.0).compute(&v, &v).is_err());
    }

    #[test]
    fn migration_counts_moves() {
        let tiers = Tiers::new(vec![0.3, 0.7]).expect("tiers");
        assert_eq!((tiers.tier_of(0.1), tiers.tier_of(0.3), tiers.tier_of(0.9)), (0, 1, 2));
        let m = tier_migration(&tiers, &[0.1, 0.5, 0.9, 0.8], &[0.4, 0.5, 0.2, 0.95]).expect("matrix");
        assert_eq!((m.upgraded(), m.downgraded(), m.stayed(), m.total()), (1, 1, 2, 4));
        assert_eq!(m.count(2, 0), 1);
        assert!(Tiers::new(vec![0.5, 0.5]).is_err());
        assert!(tier_migration(&tiers, &[0.1], &[0.1, 0.2]).is_err());
    }
}
