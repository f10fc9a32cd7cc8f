//! The calibrator traits, the closed set of calibrators, and their file format.

use crate::binning::{BinningCalibrator, BinningParams};
use crate::isotonic::{IsotonicCalibrator, IsotonicParams};
use crate::platt::{PlattCalibrator, PlattParams};
use crate::{CalibrationError, Result};
use acctscore_core::{CoreError, Probability};
use serde::{Deserialize, Serialize};

/// A fitted calibrator: maps a raw model score to a probability.
///
/// Plain data, cheap to clone, `Send + Sync`; one call does not allocate.
pub trait Calibrator: Send + Sync {
    /// The calibrated value as a plain `f64` in `[0, 1]`, without the NaN
    /// check: for hot loops over scores already known to be non-NaN. ±inf
    /// map to the calibrator's extreme values; NaN gives NaN.
    fn calibrate_value(&self, raw: f64) -> f64;

    /// The calibrated probability of one raw score. ±inf map to the
    /// calibrator's extreme values.
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] for NaN.
    fn calibrate(&self, raw: f64) -> Result<Probability> {
        if raw.is_nan() {
            return Err(CoreError::NonFinite { what: "raw score", index: 0, value: raw }.into());
        }
        Ok(Probability::clamped(self.calibrate_value(raw))?)
    }

    /// Calibrates every score, in order; equal to calling
    /// [`Calibrator::calibrate`] on each. Runs in parallel with the
    /// `parallel` feature (the result does not depend on thread count).
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] naming the first NaN.
    fn calibrate_batch(&self, raw: &[f64]) -> Result<Vec<Probability>> {
        if let Some(index) = raw.iter().position(|v| v.is_nan()) {
            return Err(CoreError::NonFinite { what: "raw scores", index, value: raw[index] }.into());
        }
        // No NaN left, so `clamped` cannot fail; the fallback is never taken.
        Ok(map_batch(raw, |v| Probability::clamped(self.calibrate_value(v)).unwrap_or(Probability::ZERO)))
    }

    /// Writes the calibrated value of each score into `out` (same length),
    /// without allocating; sequential. Equal to
    /// [`Calibrator::calibrate`] on each score.
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when the lengths differ,
    /// [`CoreError::NonFinite`] naming the first NaN (then `out` is untouched).
    fn calibrate_into(&self, raw: &[f64], out: &mut [f64]) -> Result<()> {
        acctscore_core::check::same_len("output vs scores", raw.len(), out.len())?;
        if let Some(index) = raw.iter().position(|v| v.is_nan()) {
            return Err(CoreError::NonFinite { what: "raw scores", index, value: raw[index] }.into());
        }
        for (o, &v) in out.iter_mut().zip(raw) {
            *o = self.calibrate_value(v).clamp(0.0, 1.0);
        }
        Ok(())
    }
}

#[cfg(feature = "parallel")]
fn map_batch<F>(raw: &[f64], f: F) -> Vec<Probability>
where
    F: Fn(f64) -> Probability + Sync + Send,
{
    use rayon::prelude::*;
    const MIN_PARALLEL: usize = 1 << 15;
    if raw.len() < MIN_PARALLEL {
        return raw.iter().map(|&v| f(v)).collect();
    }
    raw.par_iter().with_min_len(MIN_PARALLEL / 4).map(|&v| f(v)).collect()
}

#[cfg(not(feature = "parallel"))]
fn map_batch<F>(raw: &[f64], f: F) -> Vec<Probability>
where
    F: Fn(f64) -> Probability,
{
    raw.iter().map(|&v| f(v)).collect()
}

/// Calibrator parameters that fit on raw scores and binary labels.
///
/// `fit` validates the parameters and the data once and returns the fitted
/// calibrator; the parameters can be fitted again.
pub trait FitCalibrator {
    /// The fitted calibrator.
    type Fitted: Calibrator;

    /// Fits on raw scores and labels (`true` = positive).
    ///
    /// # Errors
    /// Empty input, length mismatch, a non-finite score, single-class
    /// labels, or invalid parameters.
    fn fit(&self, scores: &[f64], labels: &[bool]) -> Result<Self::Fitted>;
}

/// Any calibration method's parameters, for code that chooses the method at
/// run time (configuration, cross-fitting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CalibrationMethod {
    /// Platt scaling.
    Platt(PlattParams),
    /// Isotonic regression.
    Isotonic(IsotonicParams),
    /// Histogram binning.
    Binning(BinningParams),
}

impl Default for CalibrationMethod {
    fn default() -> Self {
        CalibrationMethod::Isotonic(IsotonicParams::new())
    }
}

impl FitCalibrator for CalibrationMethod {
    type Fitted = FittedCalibrator;
    fn fit(&self, scores: &[f64], labels: &[bool]) -> Result<FittedCalibrator> {
        Ok(match self {
            CalibrationMethod::Platt(p) => FittedCalibrator::Platt(p.fit(scores, labels)?),
            CalibrationMethod::Isotonic(p) => FittedCalibrator::Isotonic(p.fit(scores, labels)?),
            CalibrationMethod::Binning(p) => FittedCalibrator::Binning(p.fit(scores, labels)?),
        })
    }
}

/// Any fitted calibrator; serialises with the method's name as a tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FittedCalibrator {
    /// A fitted Platt scaling.
    Platt(PlattCalibrator),
    /// A fitted isotonic regression.
    Isotonic(IsotonicCalibrator),
    /// A fitted histogram binning.
    Binning(BinningCalibrator),
}

impl Calibrator for FittedCalibrator {
    #[inline]
    fn calibrate_value(&self, raw: f64) -> f64 {
        match self {
            FittedCalibrator::Platt(c) => c.calibrate_value(raw),
            FittedCalibrator::Isotonic(c) => c.calibrate_value(raw),
            FittedCalibrator::Binning(c) => c.calibrate_value(raw),
        }
    }
}

impl FittedCalibrator {
    /// Whether the map never decreases as the raw score grows: Platt with a
    /// slope ≥ 0, isotonic always, binning when its bin values are sorted.
    /// Only such a map splits a probability into per-factor shares that
    /// keep the factors' signs (see acctscore-icp's explanations).
    pub fn is_non_decreasing(&self) -> bool {
        match self {
            FittedCalibrator::Platt(c) => c.slope() >= 0.0,
            FittedCalibrator::Isotonic(c) => c.y_thresholds().is_sorted_by(|a, b| a <= b),
            FittedCalibrator::Binning(c) => c.values().is_sorted_by(|a, b| a <= b),
        }
    }
}

/// The format version [`FittedCalibrator::to_json`] writes (version 1, a
/// plain `{"format", "version", "calibrator"}` document without checksum,
/// is still read).
pub(crate) const FORMAT_VERSION: u32 = 2;

/// The format name in the calibrator file's envelope.
pub(crate) const FORMAT_NAME: &str = "acctscore-calibrator";

/// The versions [`FittedCalibrator::from_json`] reads.
const READABLE: [u32; 2] = [1, FORMAT_VERSION];

/// A calibrator as written, before its invariants are checked.
#[derive(Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
enum RawCalibrator {
    Platt(PlattCalibrator),
    Isotonic(crate::isotonic::IsotonicRepr),
    Binning(crate::binning::BinningRepr),
}

/// Version 1: the calibrator beside the format name and version, no checksum.
#[derive(Deserialize)]
struct V1 {
    format: String,
    version: u32,
    calibrator: RawCalibrator,
}

impl RawCalibrator {
    /// Builds the calibrator, checking its invariants as at fit time.
    fn check(self) -> Result<FittedCalibrator> {
        let c = match self {
            RawCalibrator::Platt(c) => FittedCalibrator::Platt(c),
            RawCalibrator::Isotonic(r) => FittedCalibrator::Isotonic(IsotonicCalibrator::from_points(r.x, r.y)?),
            RawCalibrator::Binning(r) => FittedCalibrator::Binning(BinningCalibrator::from_bins(r.edges, r.values)?),
        };
        c.validate()?;
        Ok(c)
    }
}

impl FittedCalibrator {
    /// Checks the invariants a fitted calibrator holds (as at fit time):
    /// finite Platt coefficients; isotonic and binning calibrators are
    /// checked when built.
    ///
    /// # Errors
    /// [`InvalidModel`](acctscore_core::InvalidModel) naming the part and field.
    pub fn validate(&self) -> std::result::Result<(), acctscore_core::InvalidModel> {
        match self {
            FittedCalibrator::Platt(c) => {
                acctscore_core::envelope::check_finite("platt calibrator", "a", &[c.slope()])?;
                acctscore_core::envelope::check_finite("platt calibrator", "b", &[c.intercept()])
            }
            FittedCalibrator::Isotonic(c) => crate::isotonic::check_points(c.x_thresholds(), c.y_thresholds()),
            FittedCalibrator::Binning(c) => crate::binning::check_bins(c.edges(), c.values()),
        }
    }

    /// Serialises to JSON inside the checksummed envelope of
    /// [`acctscore_core::envelope`] (format `acctscore-calibrator`, version 2).
    ///
    /// # Errors
    /// [`CalibrationError::ModelFile`] if serialisation fails (it does not
    /// for calibrators built by this crate).
    pub fn to_json(&self) -> Result<String> {
        Ok(acctscore_core::envelope::Envelope::new(FORMAT_NAME, FORMAT_VERSION).seal(self)?)
    }

    /// Reads what [`FittedCalibrator::to_json`] wrote (or version 1),
    /// checking the envelope and every invariant of the calibrator.
    ///
    /// # Errors
    /// [`CalibrationError::ModelFile`] with the [`EnvelopeError`](acctscore_core::EnvelopeError):
    /// malformed, another format or version, a checksum mismatch, or
    /// `Invalid` for a calibrator that breaks its invariants.
    pub fn from_json(json: &str) -> Result<Self> {
        use acctscore_core::EnvelopeError;
        let malformed =
            |e: serde_json::Error| EnvelopeError::Malformed { format: FORMAT_NAME.into(), reason: e.to_string() };
        #[derive(Deserialize)]
        struct Probe {
            format_version: Option<u32>,
        }
        let probe: Probe = serde_json::from_str(json).map_err(malformed)?;
        let raw = if probe.format_version.is_none() {
            let v1: V1 = serde_json::from_str(json).map_err(malformed)?;
            if v1.format != FORMAT_NAME {
                return Err(EnvelopeError::Format { expected: FORMAT_NAME.into(), found: v1.format }.into());
            }
            if v1.version != 1 {
                return Err(EnvelopeError::Version {
                    format: FORMAT_NAME.into(),
                    found: v1.version,
                    readable: READABLE.to_vec(),
                }
                .into());
            }
            v1.calibrator
        } else {
            acctscore_core::envelope::open(json, FORMAT_NAME, &READABLE[1..])?.body::<RawCalibrator>()?
        };
        raw.check().map_err(invalid_as_file)
    }

    /// Reads a calibrator's body as [`FittedCalibrator::to_json`] writes it
    /// inside the envelope (`{"method":…}`), checking every invariant: for
    /// model parts that nest a calibrator in their own envelope.
    ///
    /// # Errors
    /// [`CalibrationError::ModelFile`]: malformed, or `Invalid` for a
    /// calibrator that breaks its invariants.
    pub fn from_body_json(json: &str) -> Result<Self> {
        use acctscore_core::EnvelopeError;
        let raw: RawCalibrator = serde_json::from_str(json)
            .map_err(|e| EnvelopeError::Malformed { format: FORMAT_NAME.into(), reason: e.to_string() })?;
        raw.check().map_err(invalid_as_file)
    }
}

fn invalid_as_file(e: CalibrationError) -> CalibrationError {
    {
        use acctscore_core::EnvelopeError;
        match e {
            CalibrationError::Invalid(i) => CalibrationError::ModelFile(EnvelopeError::Invalid(i)),
            other => other,
        }
    }
}

/// Validates calibrator inputs: non-empty, equal lengths, finite scores, both classes.
pub(crate) fn check_fit_input(scores: &[f64], labels: &[bool]) -> Result<(usize, usize)> {
    crate::rank::check_scored("calibration scores", scores, labels)?;
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(CoreError::SingleClass { positives, negatives }.into());
    }
    Ok((positives, negatives))
}
