//! Platt scaling: a logistic curve fitted to raw scores.

use crate::calibrator::{Calibrator, FitCalibrator, check_fit_input};
use crate::{CalibrationError, Result};
use acctscore_core::check;
use acctscore_core::numeric::sigmoid;
use serde::{Deserialize, Serialize};

/// Parameters of Platt scaling: `p = 1 / (1 + exp(−(a·s + b)))` fitted by
/// maximum likelihood.
///
/// With target smoothing (the default, Platt 1999) the labels become
/// `(N₊ + 1) / (N₊ + 2)` for positives and `1 / (N₋ + 2)` for negatives,
/// which keeps the fit finite on separable data. The solver is Newton's
/// method with a backtracking (Armijo) line search and a ridge on the
/// Hessian (Lin, Lin & Weng 2007), on internally standardised scores.
///
/// Note the sign: scikit-learn's `_sigmoid_calibration` returns
/// `A = −a`, `B = −b`.
///
/// ```
/// use acctscore_calibration::{Calibrator, FitCalibrator, PlattParams};
///
/// let scores = [-2.0, -1.0, -0.5, 0.0, 0.3, 0.8, 1.5, 2.0];
/// let converted = [false, false, true, false, false, true, true, true];
/// let smoothed = PlattParams::new().fit(&scores, &converted)?;
/// // Raw 0/1 targets instead of the smoothed ones, at most 50 Newton steps.
/// let raw = PlattParams::new().target_smoothing(false).max_iter(50).fit(&scores, &converted)?;
/// assert!(0.0 < smoothed.slope() && smoothed.slope() < raw.slope()); // smoothing flattens the curve
/// let (low, high) = (raw.calibrate(-1.0)?.get(), raw.calibrate(1.0)?.get());
/// assert!(low < 0.5 && 0.5 < high);
/// # Ok::<(), acctscore_calibration::CalibrationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlattParams {
    max_iter: usize,
    tolerance: f64,
    target_smoothing: bool,
}

impl Default for PlattParams {
    fn default() -> Self {
        PlattParams::new()
    }
}

impl PlattParams {
    /// Defaults: 100 Newton iterations at most, gradient tolerance `1e-12`
    /// (relative to the number of rows), target smoothing on.
    pub fn new() -> Self {
        PlattParams { max_iter: 100, tolerance: 1e-12, target_smoothing: true }
    }

    /// Maximum Newton iterations (at least 1).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Stop when the largest gradient component per row falls below this (positive).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tolerance = tol;
        self
    }

    /// Use Platt's smoothed targets (default) or the raw 0/1 labels.
    pub fn target_smoothing(mut self, on: bool) -> Self {
        self.target_smoothing = on;
        self
    }

    fn validate(&self) -> Result<()> {
        check::param(self.max_iter >= 1, "max_iter", "must be at least 1")?;
        check::param(self.tolerance.is_finite() && self.tolerance > 0.0, "tolerance", "must be finite and positive")?;
        Ok(())
    }
}

/// A fitted Platt scaling: `p = σ(a·s + b)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlattCalibrator {
    a: f64,
    b: f64,
}

impl PlattCalibrator {
    /// The slope `a`.
    pub fn slope(&self) -> f64 {
        self.a
    }

    /// The intercept `b`.
    pub fn intercept(&self) -> f64 {
        self.b
    }
}

/// `ln(1 + e^z)` without overflow.
#[inline]
fn softplus(z: f64) -> f64 {
    if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() }
}

impl Calibrator for PlattCalibrator {
    #[inline]
    fn calibrate_value(&self, raw: f64) -> f64 {
        if self.a == 0.0 {
            return sigmoid(self.b);
        }
        sigmoid(self.a * raw + self.b)
    }
}

/// Objective `Σ softplus(z) − t·z` at `(a, b)` over standardised scores.
fn objective(s: &[f64], t: &[f64], a: f64, b: f64) -> f64 {
    crate::rank::compensated_sum(s.iter().zip(t).map(|(&x, &ti)| {
        let z = a * x + b;
        softplus(z) - ti * z
    }))
}

impl FitCalibrator for PlattParams {
    type Fitted = PlattCalibrator;

    fn fit(&self, scores: &[f64], labels: &[bool]) -> Result<PlattCalibrator> {
        self.validate()?;
        let (n_pos, n_neg) = check_fit_input(scores, labels)?;
        let n = scores.len() as f64;
        // Canonical order (positives ascending, then negatives ascending) so
        // that every floating-point sum, hence the fit, is bitwise the same
        // whatever the order of the rows.
        let canonical = crate::rank::sorted_by_class(scores, labels);
        let (scores, labels) = (&canonical.0[..], &canonical.1[..]);
        // Standardise for conditioning; map back at the end.
        let mean = crate::rank::compensated_sum(scores.iter().copied()) / n;
        let var = crate::rank::compensated_sum(scores.iter().map(|&x| (x - mean) * (x - mean))) / n;
        let sd = if var.is_finite() && var > 0.0 { var.sqrt() } else { 1.0 };
        let s: Vec<f64> = scores.iter().map(|&x| (x - mean) / sd).collect();
        let (t_pos, t_neg) = if self.target_smoothing {
            ((n_pos as f64 + 1.0) / (n_pos as f64 + 2.0), 1.0 / (n_neg as f64 + 2.0))
        } else {
            (1.0, 0.0)
        };
        let t: Vec<f64> = labels.iter().map(|&l| if l { t_pos } else { t_neg }).collect();

        let mut a = 0.0f64;
        let mut b = ((n_pos as f64 + 1.0) / (n_neg as f64 + 1.0)).ln();
        let mut f = objective(&s, &t, a, b);
        const RIDGE: f64 = 1e-12;
        const MIN_STEP: f64 = 1e-10;
        for _ in 0..self.max_iter {
            let (mut g1, mut g2, mut h11, mut h22, mut h21) = (0.0, 0.0, RIDGE, RIDGE, 0.0);
            for (&x, &ti) in s.iter().zip(&t) {
                let p = sigmoid(a * x + b);
                let d1 = p - ti;
                let d2 = p * (1.0 - p);
                g1 += x * d1;
                g2 += d1;
                h11 += x * x * d2;
                h22 += d2;
                h21 += x * d2;
            }
            if g1.abs().max(g2.abs()) < self.tolerance * n {
                break;
            }
            let det = h11 * h22 - h21 * h21;
            if !(det.is_finite() && det > 0.0) {
                break;
            }
            let da = -(h22 * g1 - h21 * g2) / det;
            let db = -(-h21 * g1 + h11 * g2) / det;
            let gd = g1 * da + g2 * db;
            let mut step = 1.0;
            let mut moved = false;
            while step >= MIN_STEP {
                let (na, nb) = (a + step * da, b + step * db);
                let nf = objective(&s, &t, na, nb);
                if nf <= f + 1e-4 * step * gd {
                    a = na;
                    b = nb;
                    f = nf;
                    moved = true;
                    break;
                }
                step /= 2.0;
            }
            if !moved {
                break; // line search failed: as close as floating point allows
            }
        }
        let slope = a / sd;
        let intercept = b - a * mean / sd;
        if !(slope.is_finite() && intercept.is_finite()) {
            return Err(CalibrationError::Undefined { metric: "platt scaling", reason: "the fit diverged" });
        }
        Ok(PlattCalibrator { a: slope, b: intercept })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_data_stays_finite() {
        let c = PlattParams::new().fit(&[0.0, 1.0, 2.0, 3.0], &[false, false, true, true]).expect("fit");
        assert!(c.slope() > 0.0 && c.slope().is_finite());
        let p = c.calibrate(10.0).expect("p").get();
        assert!(p > 0.5 && p < 1.0);
        assert_eq!(c.calibrate(f64::INFINITY).expect("inf").get(), 1.0);
        assert!(c.calibrate(f64::NAN).is_err());
    }

    #[test]
    fn constant_scores_give_the_smoothed_base_rate() {
        let c = PlattParams::new().fit(&[1.0; 4], &[true, false, false, false]).expect("fit");
        // all scores equal: p = mean smoothed target = (2/3 + 3 * 1/5) / 4
        let expected = (2.0 / 3.0 + 3.0 / 5.0) / 4.0;
        assert!((c.calibrate(1.0).expect("p").get() - expected).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_parameters_and_single_class() {
        assert!(PlattParams::new().max_iter(0).fit(&[0.0, 1.0], &[false, true]).is_err());
        assert!(PlattParams::new().tolerance(f64::NAN).fit(&[0.0, 1.0], &[false, true]).is_err());
        assert!(PlattParams::new().fit(&[0.0, 1.0], &[true, true]).is_err());
    }
}
