//! Histogram binning: the positive rate of the training bin a score falls in.

use crate::calibrator::{Calibrator, FitCalibrator, check_fit_input};
use crate::metrics::BinStrategy;
use crate::metrics::{bin_of, numpy_percentile};
use crate::rank::sort_finite;
use crate::{CalibrationError, Result};
use acctscore_core::{CoreError, check};
use acctscore_core::{InvalidModel, Problem};
use serde::{Deserialize, Serialize};

/// Parameters of histogram binning.
///
/// Bin edges come from the training scores: equal-width over their range
/// ([`BinStrategy::Uniform`]) or at their quantiles
/// ([`BinStrategy::Quantile`], the default). A score falls in bin
/// `(e_k, e_{k+1}]` (the lowest bin also takes everything below, the highest
/// everything above). Bins left empty by the training scores (or collapsed
/// by tied quantiles) are merged into their upper neighbour (the last into
/// its lower one), so every bin's value is an observed positive rate.
///
/// ```
/// use acctscore_calibration::{BinStrategy, BinningParams, Calibrator, FitCalibrator};
///
/// let scores = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
/// let converted = [false, false, true, false, true, false, true, true];
/// // Two equal-width bins over the training range, split at 0.5.
/// let binning = BinningParams::new().bins(2).strategy(BinStrategy::Uniform).fit(&scores, &converted)?;
/// assert_eq!(binning.values(), &[0.25, 0.75][..]); // each bin's positive rate
/// assert_eq!(binning.calibrate(0.35)?.get(), 0.25);
/// assert_eq!(binning.calibrate(5.0)?.get(), 0.75); // beyond the range: the top bin
/// # Ok::<(), acctscore_calibration::CalibrationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinningParams {
    n_bins: usize,
    strategy: BinStrategy,
}

impl Default for BinningParams {
    fn default() -> Self {
        BinningParams::new()
    }
}

impl BinningParams {
    /// Ten quantile bins.
    pub fn new() -> Self {
        BinningParams { n_bins: 10, strategy: BinStrategy::Quantile }
    }

    /// Number of bins before merging empty ones (at least 1).
    pub fn bins(mut self, n: usize) -> Self {
        self.n_bins = n;
        self
    }

    /// How edges are placed.
    pub fn strategy(mut self, strategy: BinStrategy) -> Self {
        self.strategy = strategy;
        self
    }
}

/// A fitted histogram binning: interior edges and one value per bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BinningRepr", into = "BinningRepr")]
pub struct BinningCalibrator {
    edges: Vec<f64>,
    values: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BinningRepr {
    pub(crate) edges: Vec<f64>,
    pub(crate) values: Vec<f64>,
}

impl From<BinningCalibrator> for BinningRepr {
    fn from(c: BinningCalibrator) -> Self {
        BinningRepr { edges: c.edges, values: c.values }
    }
}

impl TryFrom<BinningRepr> for BinningCalibrator {
    type Error = CalibrationError;
    fn try_from(r: BinningRepr) -> Result<Self> {
        BinningCalibrator::from_bins(r.edges, r.values)
    }
}

/// Checks a binning's parts: interior edges finite and strictly
/// increasing, one more value than edges, values in `[0, 1]`.
pub(crate) fn check_bins(edges: &[f64], values: &[f64]) -> std::result::Result<(), InvalidModel> {
    const PART: &str = "binning calibrator";
    acctscore_core::envelope::check_len(PART, "values", edges.len() + 1, values.len())?;
    acctscore_core::envelope::check_sorted(PART, "edges", edges, true)?;
    if let Some(&value) = values.iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(InvalidModel::new(PART, "values", Problem::OutOfRange { value, min: 0.0, max: 1.0 }));
    }
    Ok(())
}

impl BinningCalibrator {
    /// Builds one from interior edges (finite, strictly increasing) and
    /// `edges.len() + 1` values in `[0, 1]`.
    ///
    /// # Errors
    /// [`CalibrationError::Invalid`] when those invariants fail.
    pub(crate) fn from_bins(edges: Vec<f64>, values: Vec<f64>) -> Result<Self> {
        check_bins(&edges, &values)?;
        Ok(BinningCalibrator { edges, values })
    }

    /// Interior bin edges.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// The value (training positive rate) of each bin.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

impl Calibrator for BinningCalibrator {
    #[inline]
    fn calibrate_value(&self, raw: f64) -> f64 {
        if raw.is_nan() {
            return f64::NAN;
        }
        self.values[bin_of(&self.edges, raw)]
    }
}

impl BinningParams {
    pub(crate) fn check(&self) -> Result<()> {
        check::param(self.n_bins >= 1, "n_bins", "must be at least 1").map_err(Into::into)
    }

    /// The `n_bins + 1` edges over `sorted` (ascending, finite, not empty),
    /// from its smallest to its largest value; a value belongs to bin
    /// `(e_k, e_{k+1}]`. Shared by the calibrator and the drift index, so a
    /// calibration bin and a PSI bin are the same bin.
    pub(crate) fn edges(&self, sorted: &[f64]) -> Result<Vec<f64>> {
        self.check()?;
        let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
            return Err(CoreError::Empty { what: "scores" }.into());
        };
        let nb = self.n_bins;
        Ok(match self.strategy {
            BinStrategy::Uniform => {
                let step = (hi - lo) / nb as f64;
                (0..=nb).map(|i| if i == nb { hi } else { lo + i as f64 * step }).collect()
            }
            BinStrategy::Quantile => {
                let qstep = 1.0 / nb as f64;
                (0..=nb)
                    .map(|i| {
                        let q = if i == nb { 1.0 } else { i as f64 * qstep };
                        numpy_percentile(sorted, q * 100.0)
                    })
                    .collect()
            }
        })
    }
}

impl FitCalibrator for BinningParams {
    type Fitted = BinningCalibrator;

    fn fit(&self, scores: &[f64], labels: &[bool]) -> Result<BinningCalibrator> {
        check_fit_input(scores, labels)?;
        let nb = self.n_bins;
        let mut sorted = scores.to_vec();
        sort_finite(&mut sorted);
        let edges = self.edges(&sorted)?;
        if edges.iter().any(|e| !e.is_finite()) {
            return Err(
                CoreError::InvalidParameter { name: "scores", reason: "range too wide for uniform bins" }.into()
            );
        }
        let interior = &edges[1..edges.len() - 1];
        let mut count = vec![0u64; nb];
        let mut pos = vec![0u64; nb];
        for (&s, &y) in scores.iter().zip(labels) {
            let b = bin_of(interior, s);
            count[b] += 1;
            pos[b] += u64::from(y);
        }
        // Merge empty bins into their upper neighbour (trailing ones downward).
        let mut out_edges: Vec<f64> = Vec::new();
        let mut seg: Vec<(u64, u64)> = Vec::new();
        let (mut acc_c, mut acc_p) = (0u64, 0u64);
        for b in 0..nb {
            acc_c += count[b];
            acc_p += pos[b];
            if acc_c > 0 && b + 1 < nb {
                seg.push((acc_c, acc_p));
                out_edges.push(interior[b]);
                acc_c = 0;
                acc_p = 0;
            }
        }
        if acc_c > 0 || seg.is_empty() {
            seg.push((acc_c, acc_p));
        } else {
            // trailing empty bins: the last closed segment becomes the top one
            out_edges.pop();
        }
        let values: Vec<f64> = seg.iter().map(|&(c, p)| if c == 0 { 0.0 } else { p as f64 / c as f64 }).collect();
        BinningCalibrator::from_bins(out_edges, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bins_are_merged() {
        let scores = [0.0, 0.05, 0.1, 0.95, 1.0, 1.0];
        let labels = [false, false, true, true, true, false];
        let c = BinningParams::new().bins(10).strategy(BinStrategy::Uniform).fit(&scores, &labels).expect("fit");
        // uniform edges 0, .1, ..., 1: bins (.., .1] and (.9, ..] only
        assert_eq!(c.values().len(), 2);
        assert_eq!(c.calibrate(0.0).expect("p").get(), 1.0 / 3.0);
        assert_eq!(c.calibrate(0.5).expect("p").get(), 2.0 / 3.0);
        assert_eq!(c.calibrate(f64::NEG_INFINITY).expect("p").get(), 1.0 / 3.0);
        let q = BinningParams::new().bins(3).fit(&scores, &labels).expect("fit");
        assert!(q.values().iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(BinningParams::new().bins(0).fit(&scores, &labels).is_err());
    }
}
