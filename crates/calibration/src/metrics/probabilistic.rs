//! Probability quality: log loss, Brier score, reliability and calibration error.

use crate::Result;
use crate::rank::{check_probabilities, compensated_sum, sort_finite};
use acctscore_core::check;
use serde::{Deserialize, Serialize};

/// Mean log loss (cross-entropy, natural log), as current scikit-learn's
/// `log_loss` (checked against 1.9.1): each probability is clipped to
/// `[ε, 1 − ε]` with `ε = f64::EPSILON` (the machine epsilon of the input's
/// dtype — the old fixed `eps=1e-15` argument no longer exists), the loss of
/// a negative computed from the clipped `1 − p`. Probabilities outside
/// `[0, 1]` are an error, as there. Defined for single-class labels
/// (scikit-learn then needs `labels=[0, 1]`).
///
/// # Errors
/// Empty input, length mismatch, a non-finite value, or a value outside
/// `[0, 1]` ([`CoreError::NotAProbability`](acctscore_core::CoreError::NotAProbability)).
pub fn log_loss(probs: &[f64], labels: &[bool]) -> Result<f64> {
    check_probabilities("probabilities", probs, labels)?;
    let eps = f64::EPSILON;
    let hi = 1.0 - eps;
    let total = compensated_sum(probs.iter().zip(labels).map(|(&p, &y)| {
        let q = if y { p } else { 1.0 - p };
        -q.clamp(eps, hi).ln()
    }));
    Ok(total / probs.len() as f64)
}

/// Brier score: the mean squared difference between probability and label,
/// as scikit-learn's `brier_score_loss`. Defined for single-class labels.
///
/// # Errors
/// As [`log_loss`].
pub fn brier_score(probs: &[f64], labels: &[bool]) -> Result<f64> {
    check_probabilities("probabilities", probs, labels)?;
    let total = compensated_sum(probs.iter().zip(labels).map(|(&p, &y)| {
        let d = if y { 1.0 - p } else { p };
        d * d
    }));
    Ok(total / probs.len() as f64)
}

/// How probabilities are grouped into bins for reliability and calibration
/// error, exactly as scikit-learn's `calibration_curve(strategy=…)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum BinStrategy {
    /// Equal-width bins over `[0, 1]` (edges `i / n_bins`).
    Uniform,
    /// Edges at the quantiles of the probabilities (NumPy's default linear
    /// percentile), so bins hold about equal counts.
    Quantile,
}

/// One point of a reliability curve: a non-empty bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityPoint {
    /// Mean predicted probability in the bin (scikit-learn's `prob_pred`).
    pub mean_predicted: f64,
    /// Observed share of positives in the bin (scikit-learn's `prob_true`).
    pub fraction_positive: f64,
    /// Rows in the bin.
    pub count: u64,
}

/// Expected and maximum calibration error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationErrors {
    /// Expected calibration error: `Σ_b (n_b / n) · |observed_b − predicted_b|`
    /// over non-empty bins.
    pub ece: f64,
    /// Maximum calibration error: `max_b |observed_b − predicted_b|` over non-empty bins.
    pub mce: f64,
}

/// Bin edges (`n_bins + 1` values) as scikit-learn's `calibration_curve` builds them.
pub(crate) fn bin_edges(values: &[f64], n_bins: usize, strategy: BinStrategy) -> Vec<f64> {
    // np.linspace(0, 1, n_bins + 1): i * (1 / n_bins), last exactly 1.
    let step = 1.0 / n_bins as f64;
    let grid: Vec<f64> = (0..=n_bins).map(|i| if i == n_bins { 1.0 } else { i as f64 * step }).collect();
    match strategy {
        BinStrategy::Uniform => grid,
        BinStrategy::Quantile => {
            let mut sorted = values.to_vec();
            sort_finite(&mut sorted);
            grid.iter().map(|&q| numpy_percentile(&sorted, q * 100.0)).collect()
        }
    }
}

/// `np.percentile(sorted, pct)` with the default linear method, replicating
/// NumPy's floating-point steps (`pct / 100`, virtual index `(n − 1)·q`,
/// its two-sided lerp). `sorted` must be non-empty and ascending.
pub(crate) fn numpy_percentile(sorted: &[f64], pct: f64) -> f64 {
    let n = sorted.len();
    let q = pct / 100.0;
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if virtual_index < 0.0 {
        return sorted[0];
    }
    let prev = virtual_index.floor();
    let gamma = virtual_index - prev;
    let i = prev as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let diff = b - a;
    if gamma >= 0.5 { b - diff * (1.0 - gamma) } else { a + diff * gamma }
}

/// Bin index of `p`: the number of interior edges strictly below it
/// (NumPy's `searchsorted(edges[1:-1], p, side="left")`).
#[inline]
pub(crate) fn bin_of(interior: &[f64], p: f64) -> usize {
    interior.partition_point(|&e| e < p)
}

fn check_bins(n_bins: usize) -> Result<()> {
    check::param(n_bins >= 1, "n_bins", "must be at least 1")?;
    Ok(())
}

/// Reliability-curve points, one per non-empty bin in ascending order,
/// equal to scikit-learn's `calibration_curve(y, p, n_bins=…, strategy=…)`
/// (`prob_pred` → `mean_predicted`, `prob_true` → `fraction_positive`).
///
/// # Errors
/// As [`log_loss`], or `n_bins == 0`.
pub fn reliability_curve(
    probs: &[f64],
    labels: &[bool],
    n_bins: usize,
    strategy: BinStrategy,
) -> Result<Vec<ReliabilityPoint>> {
    check_probabilities("probabilities", probs, labels)?;
    check_bins(n_bins)?;
    let edges = bin_edges(probs, n_bins, strategy);
    let interior = &edges[1..edges.len() - 1];
    let mut sums = vec![0.0f64; n_bins];
    let mut pos = vec![0u64; n_bins];
    let mut count = vec![0u64; n_bins];
    for (&p, &y) in probs.iter().zip(labels) {
        let b = bin_of(interior, p);
        sums[b] += p;
        pos[b] += u64::from(y);
        count[b] += 1;
    }
    Ok((0..n_bins)
        .filter(|&b| count[b] > 0)
        .map(|b| ReliabilityPoint {
            mean_predicted: sums[b] / count[b] as f64,
            fraction_positive: pos[b] as f64 / count[b] as f64,
            count: count[b],
        })
        .collect())
}

/// Expected and maximum calibration error over the bins of
/// [`reliability_curve`], weighting each bin by its share of rows.
///
/// # Errors
/// As [`reliability_curve`].
pub fn calibration_errors(
    probs: &[f64],
    labels: &[bool],
    n_bins: usize,
    strategy: BinStrategy,
) -> Result<CalibrationErrors> {
    let points = reliability_curve(probs, labels, n_bins, strategy)?;
    let n = probs.len() as f64;
    let ece =
        compensated_sum(points.iter().map(|p| p.count as f64 / n * (p.fraction_positive - p.mean_predicted).abs()));
    let mce = points.iter().map(|p| (p.fraction_positive - p.mean_predicted).abs()).fold(0.0, f64::max);
    Ok(CalibrationErrors { ece, mce })
}

/// Expected calibration error (see [`calibration_errors`]).
///
/// # Errors
/// As [`reliability_curve`].
pub fn expected_calibration_error(probs: &[f64], labels: &[bool], n_bins: usize, strategy: BinStrategy) -> Result<f64> {
    calibration_errors(probs, labels, n_bins, strategy).map(|e| e.ece)
}

/// Maximum calibration error (see [`calibration_errors`]).
///
/// # Errors
/// As [`reliability_curve`].
pub fn max_calibration_error(probs: &[f64], labels: &[bool], n_bins: usize, strategy: BinStrategy) -> Result<f64> {
    calibration_errors(probs, labels, n_bins, strategy).map(|e| e.mce)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CalibrationError;

    #[test]
    fn percentile_interpolates_as_numpy() {
        // np.percentile([1, 2, 4, 8], q) for q in [0, 10, 40, 50, 90, 100, 120, -5]
        let v = [1.0, 2.0, 4.0, 8.0];
        let want = [(0.0, 1.0), (10.0, 1.3), (40.0, 2.4), (50.0, 3.0), (90.0, 6.8), (100.0, 8.0), (120.0, 8.0)];
        for (q, w) in want {
            let got = numpy_percentile(&v, q);
            assert!(got.is_finite() && (got - w).abs() < 1e-12, "q {q}: {got} vs {w}");
        }
        assert_eq!(numpy_percentile(&v, -5.0), 1.0);
        // NumPy's lerp takes `b − diff·(1 − γ)` from γ = 0.5 on: bit-exact,
        // where `a + diff·γ` would give 0.16999999999999998.
        assert_eq!(numpy_percentile(&[0.1, 0.2], 70.0), 0.17);
        assert_eq!(numpy_percentile(&[0.1, 0.2], 30.0), 0.1 + (0.2 - 0.1) * 0.3);
        assert_eq!(numpy_percentile(&[3.0], 50.0), 3.0);
    }

    #[test]
    fn log_loss_clips_and_rejects_non_probabilities() {
        let l = log_loss(&[0.0, 1.0], &[true, false]).expect("defined");
        assert!((l - (-f64::EPSILON.ln())).abs() < 1e-12);
        // A sure, right prediction is clipped to 1 − ε: a tiny positive loss, exactly.
        let sure = log_loss(&[1.0, 0.0], &[true, false]).expect("defined");
        assert_eq!(sure, -(1.0 - f64::EPSILON).ln());
        assert!(sure > 0.0);
        assert!(matches!(
            log_loss(&[1.5], &[true]),
            Err(CalibrationError::Core(acctscore_core::CoreError::NotAProbability { index: 0, .. }))
        ));
        assert_eq!(brier_score(&[1.0, 0.0], &[true, false]).expect("brier"), 0.0);
    }

    #[test]
    fn perfectly_calibrated_bins_have_zero_error() {
        let probs = [0.25; 4];
        let labels = [true, false, false, false];
        let e = calibration_errors(&probs, &labels, 10, BinStrategy::Uniform).expect("ece");
        assert!(e.ece.abs() < 1e-15 && e.mce.abs() < 1e-15);
        assert!(calibration_errors(&probs, &labels, 0, BinStrategy::Uniform).is_err());
        // Two bins: 0.1 (none positive) off by 0.1, 0.9 (half positive) off by 0.4.
        let (p, y) = ([0.9, 0.9, 0.1, 0.1], [true, false, false, false]);
        let ece = expected_calibration_error(&p, &y, 2, BinStrategy::Uniform).expect("ece");
        let mce = max_calibration_error(&p, &y, 2, BinStrategy::Uniform).expect("mce");
        assert!(ece.is_finite() && (ece - 0.25).abs() < 1e-12, "{ece}");
        assert!(mce.is_finite() && (mce - 0.4).abs() < 1e-12, "{mce}");
    }
}
