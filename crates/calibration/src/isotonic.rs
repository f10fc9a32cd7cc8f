//! Isotonic regression: the best non-decreasing step function, interpolated.

use crate::calibrator::{Calibrator, FitCalibrator, check_fit_input};
use crate::rank::for_each_group;
use crate::{CalibrationError, Result};
use acctscore_core::{InvalidModel, Problem};
use serde::{Deserialize, Serialize};

/// Parameters of isotonic calibration (increasing), fitted by
/// pool-adjacent-violators.
///
/// Behaves as scikit-learn's
/// `IsotonicRegression(increasing=True, out_of_bounds="clip")`: tied scores
/// are pooled into one point whose target is their positive rate (scores
/// closer than `1e-15` count as tied, as in scikit-learn), points whose value
/// equals both neighbours' are dropped, predictions interpolate linearly
/// between the remaining points and clamp to the end values outside the
/// fitted range.
///
/// ```
/// use acctscore_calibration::{Calibrator, FitCalibrator, IsotonicParams};
///
/// let scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
/// let converted = [false, true, false, false, true, false, true, true];
/// let iso = IsotonicParams::new().fit(&scores, &converted)?;
/// let grid: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
/// let probs: Vec<f64> = iso.calibrate_batch(&grid)?.into_iter().map(f64::from).collect();
/// assert!(probs.windows(2).all(|w| w[0] <= w[1])); // non-decreasing in the score
/// // Clamped to the end values outside the fitted range [0.1, 0.8].
/// assert_eq!((probs[0], probs[10]), (0.0, 1.0));
/// # Ok::<(), acctscore_calibration::CalibrationError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IsotonicParams {}

impl IsotonicParams {
    /// The only configuration: increasing, clipped, linear interpolation.
    pub fn new() -> Self {
        IsotonicParams {}
    }
}

/// A fitted isotonic calibrator: strictly increasing thresholds `x` with
/// non-decreasing values `y` in `[0, 1]`, interpolated linearly.
///
/// Evaluation uses a uniform-grid index over the thresholds (rebuilt on
/// deserialisation), so one call costs O(1) on typical data and never more
/// than a binary search.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "IsotonicRepr", into = "IsotonicRepr")]
pub struct IsotonicCalibrator {
    x: Vec<f64>,
    y: Vec<f64>,
    /// `slope[i]` of the segment `x[i]..x[i + 1]`, computed as SciPy/NumPy do.
    slope: Vec<f64>,
    index: GridIndex,
}

impl PartialEq for IsotonicCalibrator {
    fn eq(&self, other: &Self) -> bool {
        self.x == other.x && self.y == other.y
    }
}

/// Serialised form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IsotonicRepr {
    pub(crate) x: Vec<f64>,
    pub(crate) y: Vec<f64>,
}

impl From<IsotonicCalibrator> for IsotonicRepr {
    fn from(c: IsotonicCalibrator) -> Self {
        IsotonicRepr { x: c.x, y: c.y }
    }
}

impl TryFrom<IsotonicRepr> for IsotonicCalibrator {
    type Error = CalibrationError;
    fn try_from(r: IsotonicRepr) -> Result<Self> {
        IsotonicCalibrator::from_points(r.x, r.y)
    }
}

const PART: &str = "isotonic calibrator";

/// Checks the points of an isotonic calibrator: `x` non-empty, finite and
/// strictly increasing, `y` of the same length, in `[0, 1]` and
/// non-decreasing.
pub(crate) fn check_points(x: &[f64], y: &[f64]) -> std::result::Result<(), InvalidModel> {
    use acctscore_core::envelope::{check_len, check_sorted};
    if x.is_empty() {
        return Err(InvalidModel::new(PART, "x", Problem::Length { expected: 1, found: 0 }));
    }
    check_len(PART, "y", x.len(), y.len())?;
    check_sorted(PART, "x", x, true)?;
    check_sorted(PART, "y", y, false)?;
    if let Some(&value) = y.iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(InvalidModel::new(PART, "y", Problem::OutOfRange { value, min: 0.0, max: 1.0 }));
    }
    Ok(())
}

impl IsotonicCalibrator {
    /// Builds one from its points.
    ///
    /// # Errors
    /// [`CalibrationError::Invalid`] unless `x` is non-empty, finite and
    /// strictly increasing and `y` has the same length, lies in `[0, 1]` and
    /// is non-decreasing.
    pub(crate) fn from_points(x: Vec<f64>, y: Vec<f64>) -> Result<Self> {
        check_points(&x, &y)?;
        let index = GridIndex::new(&x);
        let slope = x.windows(2).zip(y.windows(2)).map(|(xw, yw)| (yw[1] - yw[0]) / (xw[1] - xw[0])).collect();
        Ok(IsotonicCalibrator { x, y, slope, index })
    }

    /// The thresholds (scikit-learn's `X_thresholds_`).
    pub fn x_thresholds(&self) -> &[f64] {
        &self.x
    }

    /// The values at the thresholds (scikit-learn's `y_thresholds_`).
    pub fn y_thresholds(&self) -> &[f64] {
        &self.y
    }
}

impl Calibrator for IsotonicCalibrator {
    #[inline]
    fn calibrate_value(&self, raw: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        let last = x.len() - 1;
        if raw.is_nan() {
            return f64::NAN;
        }
        if raw <= x[0] {
            return y[0];
        }
        if raw >= x[last] {
            return y[last];
        }
        // x[0] < raw < x[last]: pos in 1..=last.
        let pos = self.index.lower_bound(x, raw);
        if x[pos] == raw {
            return y[pos];
        }
        let lo = pos - 1;
        (self.slope[lo] * (raw - x[lo]) + y[lo]).clamp(0.0, 1.0)
    }
}

/// Uniform grid over `[x₀, x_last]`: `starts[b]` is the number of thresholds
/// whose grid cell is below `b`. Since the cell function is monotone, the
/// first threshold `>= v` lies in `starts[cell(v)] ..= starts[cell(v) + 1]`.
#[derive(Debug, Clone)]
struct GridIndex {
    origin: f64,
    scale: f64,
    starts: Vec<usize>,
}

impl GridIndex {
    fn new(x: &[f64]) -> GridIndex {
        let cells = (2 * x.len()).clamp(1, 1 << 22);
        let origin = x[0];
        let span = x[x.len() - 1] - origin;
        let scale = cells as f64 / span;
        let scale = if scale.is_finite() && scale > 0.0 { scale } else { 0.0 };
        let mut index = GridIndex { origin, scale, starts: vec![0; cells + 1] };
        for &v in x {
            let c = index.cell(v);
            index.starts[c + 1] += 1;
        }
        for b in 1..=cells {
            index.starts[b] += index.starts[b - 1];
        }
        index
    }

    #[inline]
    fn cell(&self, v: f64) -> usize {
        // `as` saturates (and maps NaN to 0); monotone in v.
        (((v - self.origin) * self.scale) as usize).min(self.starts.len() - 2)
    }

    /// First index `i` with `x[i] >= v`.
    #[inline]
    fn lower_bound(&self, x: &[f64], v: f64) -> usize {
        let c = self.cell(v);
        let (lo, hi) = (self.starts[c], self.starts[c + 1]);
        lo + x[lo..hi].partition_point(|&t| t < v)
    }
}

/// scikit-learn's tie tolerance in `_make_unique` (`np.finfo(float64).resolution`).
const TIE_RESOLUTION: f64 = 1e-15;

impl FitCalibrator for IsotonicParams {
    type Fitted = IsotonicCalibrator;

    fn fit(&self, scores: &[f64], labels: &[bool]) -> Result<IsotonicCalibrator> {
        check_fit_input(scores, labels)?;
        // Unique points (scores closer than scikit-learn's tolerance pooled),
        // fed straight into pool-adjacent-violators on exact rational means.
        let mut ux: Vec<f64> = Vec::new();
        // Each block: (positives, weight, first unique point, number of unique points).
        let mut blocks: Vec<(u64, u64, usize, usize)> = Vec::new();
        let mut push_point = |ux: &mut Vec<f64>, x: f64, p: u64, w: u64| {
            ux.push(x);
            blocks.push((p, w, ux.len() - 1, 1));
            while blocks.len() >= 2 {
                let (p2, w2, _, k2) = blocks[blocks.len() - 1];
                let (p1, w1, s1, k1) = blocks[blocks.len() - 2];
                // pool when mean1 >= mean2, as scikit-learn does
                if (p1 as u128) * (w2 as u128) >= (p2 as u128) * (w1 as u128) {
                    blocks.pop();
                    let last = blocks.len() - 1;
                    blocks[last] = (p1 + p2, w1 + w2, s1, k1 + k2);
                } else {
                    break;
                }
            }
        };
        let mut current: Option<(f64, u64, u64)> = None;
        for_each_group(scores, labels, |x, p, n| match current.as_mut() {
            Some((cx, cp, cw)) if x - *cx < TIE_RESOLUTION => {
                *cp += p;
                *cw += p + n;
            }
            _ => {
                if let Some((cx, cp, cw)) = current.take() {
                    push_point(&mut ux, cx, cp, cw);
                }
                current = Some((x, p, p + n));
            }
        });
        if let Some((cx, cp, cw)) = current.take() {
            push_point(&mut ux, cx, cp, cw);
        }
        // Adjacent blocks have strictly increasing means, so the points whose
        // value differs from a neighbour's are each block's first and last.
        let mut x = Vec::with_capacity(2 * blocks.len());
        let mut y = Vec::with_capacity(2 * blocks.len());
        for &(p, w, start, k) in &blocks {
            let v = p as f64 / w as f64;
            x.push(ux[start]);
            y.push(v);
            if k > 1 {
                x.push(ux[start + k - 1]);
                y.push(v);
            }
        }
        IsotonicCalibrator::from_points(x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_violators_and_interpolates() {
        let c = IsotonicParams::new().fit(&[1.0, 2.0, 3.0, 4.0, 5.0], &[false, true, false, true, true]).expect("fit");
        // sklearn: X_thresholds_ [1 2 3 4 5], y_thresholds_ [0 .5 .5 1 1]
        assert_eq!(c.x_thresholds(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(c.y_thresholds(), &[0.0, 0.5, 0.5, 1.0, 1.0]);
        assert_eq!(c.calibrate(3.5).expect("p").get(), 0.75);
        assert_eq!(c.calibrate(-10.0).expect("p").get(), 0.0);
        assert_eq!(c.calibrate(f64::INFINITY).expect("p").get(), 1.0);
    }

    #[test]
    fn index_agrees_with_binary_search() {
        let x: Vec<f64> = (0..500).map(|i| (i as f64).powi(3) * 1e-3).collect();
        let idx = GridIndex::new(&x);
        for k in 0..5000 {
            let v = k as f64 * 25.0 + 0.3;
            if v > x[x.len() - 1] {
                break;
            }
            assert_eq!(idx.lower_bound(&x, v), x.partition_point(|&t| t < v));
        }
    }

    #[test]
    fn deserialisation_checks_invariants() {
        let c = IsotonicParams::new().fit(&[0.0, 1.0, 2.0], &[false, true, true]).expect("fit");
        let json = serde_json::to_string(&c).expect("ser");
        let back: IsotonicCalibrator = serde_json::from_str(&json).expect("de");
        assert_eq!(back, c);
        assert!(serde_json::from_str::<IsotonicCalibrator>(r#"{"x":[1.0,0.0],"y":[0.0,1.0]}"#).is_err());
        assert!(serde_json::from_str::<IsotonicCalibrator>(r#"{"x":[0.0,1.0],"y":[0.9,0.1]}"#).is_err());
        assert!(serde_json::from_str::<IsotonicCalibrator>(r#"{"x":[],"y":[]}"#).is_err());
    }
}
