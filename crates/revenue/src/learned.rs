//! Learned P(revenue in range): a logistic model on the log estimate and
//! firmographics, fitted where true revenue is known.

use crate::error::{Result, RevenueError};
use crate::estimate::{Method, RevenueEstimate};
use crate::inputs::{BusinessModel, RevenueInputs};
use crate::range::RevenueRange;
use crate::router::Router;
use acctscore_calibration::{CalibrationMethod, Calibrator, FitCalibrator, FittedCalibrator, PlattParams};
use acctscore_core::envelope::{self, Envelope, check_finite, check_len, check_positive};
use acctscore_core::numeric::sigmoid;
use acctscore_core::{CoreError, EnvelopeError, InvalidModel, Probability, Problem};
use serde::{Deserialize, Serialize};

/// Format version of the serialised learned model.
pub(crate) const LEARNED_FORMAT_VERSION: u32 = 2;

/// The format name in the learned model file's envelope.
pub(crate) const LEARNED_FORMAT_NAME: &str = "acctscore-learned-revenue";

const PART: &str = "learned revenue model";

const N_FEATURES: usize = 20;

/// Settings of the learned model's fit; [`LearnedParams::fit`] checks them
/// once and returns the [`LearnedRangeModel`] (example there).
///
/// ```
/// use acctscore_core::CoreError;
/// use acctscore_revenue::{LearnedParams, RevenueError, RevenueRange, Router};
/// let p = LearnedParams::new().with_l2(0.5).with_max_iter(30).with_folds(1);
/// let err = p.fit(&Router::new(), RevenueRange::default(), &[]).unwrap_err();
/// assert!(matches!(err, RevenueError::Core(CoreError::ParameterOutOfRange { name: "folds", .. })));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedParams {
    l2: f64,
    max_iter: usize,
    folds: usize,
    calibration: CalibrationMethod,
    max_rows: usize,
}

impl Default for LearnedParams {
    fn default() -> Self {
        LearnedParams {
            l2: 1.0,
            max_iter: 50,
            folds: 5,
            calibration: CalibrationMethod::Platt(PlattParams::new()),
            max_rows: usize::MAX,
        }
    }
}

impl LearnedParams {
    /// Defaults: L2 penalty 1.0 on standardised weights, 50 Newton
    /// iterations at most, 5 cross-fitting folds, Platt calibration, every
    /// usable row.
    pub fn new() -> Self {
        Self::default()
    }
    /// Fits on at most `n` (≥ 1) of the usable rows, evenly spaced in their
    /// order (deterministic, no seed): a model of 20 features is as good on
    /// a few hundred thousand rows as on millions, at a fraction of the time.
    pub fn with_max_rows(mut self, n: usize) -> Self {
        self.max_rows = n;
        self
    }
    /// Sets the number of cross-fitting folds (≥ 2): the calibrator is fitted
    /// on out-of-fold scores, so it never sees a score of a row its model
    /// trained on.
    pub fn with_folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }
    /// Sets the calibration method (acctscore-calibration's Platt, isotonic
    /// or binning).
    pub fn with_calibration(mut self, method: CalibrationMethod) -> Self {
        self.calibration = method;
        self
    }
    /// Sets the L2 penalty (≥ 0, finite).
    pub fn with_l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    /// Sets the maximum number of Newton iterations (≥ 1).
    pub fn with_max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Checks the settings once and fits on accounts whose true monthly
    /// revenue is known. Rows whose truth is NaN or ±inf are ignored; the
    /// label is "truth in `range`"; `router` gives the estimates the model
    /// learns from.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) for a bad L2, iteration, fold or row count;
    /// [`CoreError::Empty`] when no row is usable; [`CoreError::SingleClass`]
    /// when every usable row is on the same side; [`RevenueError::NotConverged`]
    /// when the weights do not stay finite; [`RevenueError::Calibration`]
    /// when the calibrator cannot be fitted (for example a fold holding a
    /// single class).
    pub fn fit(
        &self,
        router: &Router,
        range: RevenueRange,
        rows: &[(RevenueInputs<'_>, f64)],
    ) -> Result<LearnedRangeModel> {
        self.validate()?;
        LearnedRangeModel::fit_checked(router, range, rows, self)
    }

    /// Checks every setting (what [`LearnedParams::fit`] runs first).
    fn validate(&self) -> Result<()> {
        let params = self;
        if !(params.l2.is_finite() && params.l2 >= 0.0) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "l2",
                value: params.l2,
                reason: "must be ≥ 0 and finite",
            }
            .into());
        }
        if params.max_iter == 0 {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "max_iter",
                value: 0.0,
                reason: "must be ≥ 1",
            }
            .into());
        }
        if params.folds < 2 {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "folds",
                value: params.folds as f64,
                reason: "must be ≥ 2",
            }
            .into());
        }
        if params.max_rows == 0 {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "max_rows",
                value: 0.0,
                reason: "must be ≥ 1",
            }
            .into());
        }
        Ok(())
    }
}

/// A fitted logistic model of P(true revenue in range).
///
/// Features: the logit of the analytic probability, the log estimate
/// (centred on the range's geometric middle) and its square, the method's
/// spread, log employees and log traffic (with missing indicators) with
/// their squares and product, the e-commerce flag, one-hot business model
/// and method. "In range" is a band of log revenue, so the squares let the
/// linear model express a bump. It is fitted by
/// penalised Newton–Raphson (IRLS) on standardised features. The fit hides
/// the reported revenue of each training row, so the model learns how the
/// *indirect* estimates relate to the truth; at scoring time an estimate
/// based on reported revenue keeps its analytic probability.
///
/// Calibration: the logistic model's log-odds pass through an
/// acctscore-calibration calibrator (Platt by default, or isotonic /
/// binning) fitted on out-of-fold scores (k-fold cross-fitting, rows
/// assigned to folds by position), so the probability is honest.
///
/// ```
/// use acctscore_revenue::{BusinessModel, LearnedParams, LearnedRangeModel, RevenueInputs, RevenueRange, Router};
/// let router = Router::new();
/// let range = RevenueRange::default();
/// // A toy training set: revenue ≈ 2,000 × employees.
/// let rows: Vec<(RevenueInputs<'static>, f64)> = (1..200)
///     .map(|i| (RevenueInputs::new(BusinessModel::Saas).with_employees(i as f64), 2_000.0 * i as f64))
///     .collect();
/// let model = LearnedParams::new().fit(&router, range, &rows)?;
/// let row = RevenueInputs::new(BusinessModel::Saas).with_employees(20.0);
/// let p = model.probability(&row, &router.estimate(&row));
/// assert!(p.get() > 0.5); // 20 employees → ~$40k, in range
/// let json = model.to_json()?;
/// assert_eq!(LearnedRangeModel::from_json(&json)?, model);
/// # Ok::<(), acctscore_revenue::RevenueError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LearnedParts", into = "LearnedParts")]
pub struct LearnedRangeModel {
    range: RevenueRange,
    means: Vec<f64>,
    scales: Vec<f64>,
    weights: Vec<f64>,
    calibrator: FittedCalibrator,
}

/// The serde form of a [`LearnedRangeModel`] inside another model file
/// (validated when read, as [`LearnedRangeModel::from_json`] does).
#[derive(Serialize, Deserialize)]
struct LearnedParts {
    range: RevenueRange,
    means: Vec<f64>,
    scales: Vec<f64>,
    weights: Vec<f64>,
    calibrator: FittedCalibrator,
}

impl From<LearnedRangeModel> for LearnedParts {
    fn from(m: LearnedRangeModel) -> Self {
        LearnedParts { range: m.range, means: m.means, scales: m.scales, weights: m.weights, calibrator: m.calibrator }
    }
}

impl TryFrom<LearnedParts> for LearnedRangeModel {
    type Error = RevenueError;
    fn try_from(m: LearnedParts) -> Result<Self> {
        check_parts(&m.means, &m.scales, &m.weights, &m.calibrator).map_err(EnvelopeError::from)?;
        Ok(LearnedRangeModel {
            range: m.range,
            means: m.means,
            scales: m.scales,
            weights: m.weights,
            calibrator: m.calibrator,
        })
    }
}

/// The invariants of a fitted learned model: `N_FEATURES` finite means,
/// finite scales > 0, `N_FEATURES + 1` finite weights, a non-decreasing
/// calibrator.
fn check_parts(
    means: &[f64],
    scales: &[f64],
    weights: &[f64],
    calibrator: &FittedCalibrator,
) -> std::result::Result<(), InvalidModel> {
    check_len(PART, "means", N_FEATURES, means.len())?;
    check_len(PART, "scales", N_FEATURES, scales.len())?;
    check_len(PART, "weights", N_FEATURES + 1, weights.len())?;
    check_finite(PART, "means", means)?;
    check_positive(PART, "scales", scales)?;
    check_finite(PART, "weights", weights)?;
    calibrator.validate()?;
    if !calibrator.is_non_decreasing() {
        return Err(InvalidModel::new(PART, "calibrator", Problem::Inconsistent { reason: "must not decrease" }));
    }
    Ok(())
}

/// The body of the learned model file, before its invariants are checked.
#[derive(Deserialize)]
struct RawLearned {
    range: RawRange,
    means: Vec<f64>,
    scales: Vec<f64>,
    weights: Vec<f64>,
    calibrator: Box<serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct RawRange {
    low: f64,
    high: f64,
}

impl RawLearned {
    fn check(self, calibrator: FittedCalibrator) -> Result<LearnedRangeModel> {
        let range = RevenueRange::new(self.range.low, self.range.high).map_err(|_| {
            EnvelopeError::from(InvalidModel::new(
                PART,
                "range",
                Problem::Inconsistent { reason: "needs a finite low > 0 and high > low" },
            ))
        })?;
        check_parts(&self.means, &self.scales, &self.weights, &calibrator).map_err(EnvelopeError::from)?;
        Ok(LearnedRangeModel { range, means: self.means, scales: self.scales, weights: self.weights, calibrator })
    }
}

/// Version 1: no checksum, the calibrator in its own envelope as a string.
#[derive(Deserialize)]
struct V1 {
    format_version: u32,
    kind: String,
    range: RawRange,
    means: Vec<f64>,
    scales: Vec<f64>,
    weights: Vec<f64>,
    calibrator: String,
}

fn features(range: &RevenueRange, inputs: &RevenueInputs<'_>, est: &RevenueEstimate) -> [f64; N_FEATURES] {
    let p = range.probability(est).get().clamp(1e-6, 1.0 - 1e-6);
    let mid = if range.high().is_finite() { 0.5 * (range.low().ln() + range.high().ln()) } else { range.low().ln() };
    let u = (est.log_mu - mid).clamp(-50.0, 50.0);
    let (le, le_missing) = match inputs.employees {
        Some(e) if e.is_finite() && e >= 0.0 => (e.ln_1p(), 0.0),
        _ => (0.0, 1.0),
    };
    let (lt, lt_missing) = match inputs.web_traffic_monthly {
        Some(t) if t.is_finite() && t >= 0.0 => (t.ln_1p(), 0.0),
        _ => (0.0, 1.0),
    };
    let ecom = match inputs.has_ecommerce {
        Some(true) => 1.0,
        Some(false) => 0.0,
        None => 0.5,
    };
    let bm = inputs.business_model;
    let m = est.method;
    let ind = |b: bool| if b { 1.0 } else { 0.0 };
    [
        (p / (1.0 - p)).ln(),
        u,
        u * u,
        est.log_sigma,
        le,
        le_missing,
        lt,
        lt_missing,
        ecom,
        ind(bm == BusinessModel::Ecommerce),
        ind(bm == BusinessModel::Saas),
        ind(bm == BusinessModel::Services),
        ind(bm == BusinessModel::Marketplace),
        ind(m == Method::TrafficConversion),
        ind(m == Method::EmployeeBenchmark),
        ind(m == Method::TrafficBenchmark),
        ind(m == Method::Prior),
        le * le,
        lt * lt,
        le * lt,
    ]
}

/// Solves `a x = b` for a symmetric positive-definite `a` (Cholesky);
/// `None` when not positive definite.
fn cholesky_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * y[k];
        }
        y[i] = s / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    Some(x)
}

impl LearnedRangeModel {
    /// The fit of [`LearnedParams::fit`], on settings already checked.
    fn fit_checked(
        router: &Router,
        range: RevenueRange,
        rows: &[(RevenueInputs<'_>, f64)],
        params: &LearnedParams,
    ) -> Result<Self> {
        let usable: Vec<&(RevenueInputs<'_>, f64)> = rows.iter().filter(|(_, t)| t.is_finite()).collect();
        let n_use = usable.len().min(params.max_rows);
        let mut xs: Vec<[f64; N_FEATURES]> = Vec::with_capacity(n_use);
        let mut ys: Vec<f64> = Vec::with_capacity(n_use);
        // Evenly spaced: row k of the sample is usable row ⌊k·n/m⌋.
        let picked = (0..n_use).filter_map(|k| usable.get(k * usable.len() / n_use.max(1)).copied());
        for (inputs, truth) in picked {
            let hidden = inputs.without_reported();
            xs.push(features(&range, &hidden, &router.estimate(&hidden)));
            ys.push(if range.contains(*truth) { 1.0 } else { 0.0 });
        }
        if xs.is_empty() {
            return Err(CoreError::Empty { what: "rows with a finite true revenue" }.into());
        }
        let positives = ys.iter().filter(|&&y| y > 0.5).count();
        if positives == 0 || positives == ys.len() {
            return Err(CoreError::SingleClass { positives, negatives: ys.len() - positives }.into());
        }
        // Standardise.
        let n = xs.len() as f64;
        let mut means = vec![0.0; N_FEATURES];
        let mut scales = vec![0.0; N_FEATURES];
        for x in &xs {
            for (m, v) in means.iter_mut().zip(x) {
                *m += v / n;
            }
        }
        for x in &xs {
            for ((s, v), m) in scales.iter_mut().zip(x).zip(&means) {
                *s += (v - m).powi(2) / n;
            }
        }
        for s in &mut scales {
            *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
        }
        let all: Vec<usize> = (0..xs.len()).collect();
        let data = Design { xs: &xs, ys: &ys, means: &means, scales: &scales };
        // Out-of-fold raw scores for the calibrator.
        let k = params.folds.min(xs.len());
        let mut oof = vec![0.0; xs.len()];
        for f in 0..k {
            let train: Vec<usize> = all.iter().copied().filter(|i| i % k != f).collect();
            let w = data.irls(&train, params)?;
            for i in all.iter().copied().filter(|i| i % k == f) {
                oof[i] = data.raw(i, &w);
            }
        }
        let labels: Vec<bool> = ys.iter().map(|&y| y > 0.5).collect();
        let calibrator = params.calibration.fit(&oof, &labels)?;
        let weights = data.irls(&all, params)?;
        Ok(LearnedRangeModel { range, means, scales, weights, calibrator })
    }

    /// The range the model was fitted for.
    pub fn range(&self) -> RevenueRange {
        self.range
    }

    /// P(revenue in range) for one account: the learned model for indirect
    /// estimates, the analytic probability for [`Method::Reported`].
    pub fn probability(&self, inputs: &RevenueInputs<'_>, est: &RevenueEstimate) -> Probability {
        if est.method == Method::Reported {
            return self.range.probability(est);
        }
        let x = features(&self.range, inputs, est);
        let mut z = self.weights.first().copied().unwrap_or(0.0);
        for (((v, m), s), w) in x.iter().zip(&self.means).zip(&self.scales).zip(self.weights.iter().skip(1)) {
            z += w * (v - m) / s;
        }
        Probability::clamped(self.calibrator.calibrate_value(z)).unwrap_or(Probability::ZERO)
    }

    /// [`LearnedRangeModel::probability`] lowered by an anomaly penalty
    /// through [`crate::apply_penalty`].
    ///
    /// # Errors
    /// As [`crate::apply_penalty`].
    pub fn probability_with_penalty(
        &self,
        inputs: &RevenueInputs<'_>,
        est: &RevenueEstimate,
        penalty: f64,
    ) -> Result<Probability> {
        crate::apply_penalty(self.probability(inputs, est), penalty)
    }

    /// Serialises to JSON inside the checksummed envelope of
    /// [`acctscore_core::envelope`] (format `acctscore-learned-revenue`, version 2).
    ///
    /// # Errors
    /// [`RevenueError::ModelFile`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        Ok(Envelope::new(LEARNED_FORMAT_NAME, LEARNED_FORMAT_VERSION).seal(self)?)
    }

    /// Reads a model written by [`LearnedRangeModel::to_json`] (or version
    /// 1), checking the envelope and the model's invariants.
    ///
    /// # Errors
    /// [`RevenueError::ModelFile`]: malformed, another format or version, a
    /// checksum mismatch, or [`EnvelopeError::Invalid`] naming the field.
    pub fn from_json(text: &str) -> Result<Self> {
        let malformed = |e: serde_json::Error| EnvelopeError::Malformed {
            format: LEARNED_FORMAT_NAME.into(),
            reason: e.to_string(),
        };
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
        }
        let probe: Probe = serde_json::from_str(text).map_err(malformed)?;
        if probe.format.is_some() {
            let raw: RawLearned = envelope::open(text, LEARNED_FORMAT_NAME, &[LEARNED_FORMAT_VERSION])?.body()?;
            let calibrator = FittedCalibrator::from_body_json(raw.calibrator.get())?;
            return raw.check(calibrator);
        }
        let v1: V1 = serde_json::from_str(text).map_err(malformed)?;
        if v1.format_version != 1 {
            let readable = vec![1, LEARNED_FORMAT_VERSION];
            return Err(EnvelopeError::Version {
                format: LEARNED_FORMAT_NAME.into(),
                found: v1.format_version,
                readable,
            }
            .into());
        }
        if v1.kind != "learned_range_model" {
            let reason = format!("kind `{}` is not `learned_range_model`", v1.kind);
            return Err(EnvelopeError::Malformed { format: LEARNED_FORMAT_NAME.into(), reason }.into());
        }
        let calibrator = FittedCalibrator::from_json(&v1.calibrator)?;
        RawLearned {
            range: v1.range,
            means: v1.means,
            scales: v1.scales,
            weights: v1.weights,
            calibrator: serde_json::value::RawValue::from_string("null".into()).map_err(malformed)?,
        }
        .check(calibrator)
    }
}

/// The standardised training set.
struct Design<'a> {
    xs: &'a [[f64; N_FEATURES]],
    ys: &'a [f64],
    means: &'a [f64],
    scales: &'a [f64],
}

impl Design<'_> {
    fn row(&self, i: usize, row: &mut [f64]) {
        row[0] = 1.0;
        for (((r, v), m), s) in row[1..].iter_mut().zip(&self.xs[i]).zip(self.means).zip(self.scales) {
            *r = (v - m) / s;
        }
    }

    fn raw(&self, i: usize, w: &[f64]) -> f64 {
        let mut row = [0.0; N_FEATURES + 1];
        self.row(i, &mut row);
        row.iter().zip(w).map(|(a, b)| a * b).sum()
    }

    /// Penalised Newton–Raphson on the rows `idx`; intercept unpenalised.
    fn irls(&self, idx: &[usize], params: &LearnedParams) -> Result<Vec<f64>> {
        let d = N_FEATURES + 1;
        let positives = idx.iter().filter(|&&i| self.ys[i] > 0.5).count();
        if positives == 0 || positives == idx.len() {
            return Err(CoreError::SingleClass { positives, negatives: idx.len() - positives }.into());
        }
        let prior = positives as f64 / idx.len() as f64;
        let mut w = vec![0.0; d];
        w[0] = (prior / (1.0 - prior)).ln();
        let mut row = [0.0; N_FEATURES + 1];
        for _ in 0..params.max_iter {
            let mut h = vec![0.0; d * d];
            let mut g = vec![0.0; d];
            for &i in idx {
                self.row(i, &mut row);
                let z: f64 = row.iter().zip(&w).map(|(a, b)| a * b).sum();
                let p = sigmoid(z);
                let wt = (p * (1.0 - p)).max(1e-10);
                let y = self.ys[i];
                for a in 0..d {
                    g[a] += (p - y) * row[a];
                    let ra = row[a] * wt;
                    for b in 0..=a {
                        h[a * d + b] += ra * row[b];
                    }
                }
            }
            for a in 0..d {
                for b in 0..a {
                    h[b * d + a] = h[a * d + b];
                }
                if a > 0 {
                    h[a * d + a] += params.l2;
                    g[a] += params.l2 * w[a];
                }
                h[a * d + a] += 1e-9;
            }
            let Some(step) = cholesky_solve(&h, &g, d) else {
                return Err(RevenueError::NotConverged { iterations: params.max_iter });
            };
            let mut max_step: f64 = 0.0;
            for (wi, si) in w.iter_mut().zip(&step) {
                *wi -= si;
                max_step = max_step.max(si.abs());
            }
            if w.iter().any(|v| !v.is_finite()) {
                return Err(RevenueError::NotConverged { iterations: params.max_iter });
            }
            if max_step < 1e-8 {
                break;
            }
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<(RevenueInputs<'static>, f64)> {
        (1..300)
            .map(|i| {
                let e = (i % 60 + 1) as f64;
                (
                    RevenueInputs::new(BusinessModel::Services).with_employees(e).with_reported_monthly_revenue(1.0),
                    900.0 * e,
                )
            })
            .collect()
    }

    #[test]
    fn learns_a_shifted_benchmark() {
        // True revenue per employee is 900 (the default table says 12,000 × 0.8):
        // the analytic probability is wrong, the learned one corrects it.
        let router = Router::new();
        let range = RevenueRange::default();
        let m = LearnedParams::new().with_l2(0.01).fit(&router, range, &toy()).expect("fits");
        let small = RevenueInputs::new(BusinessModel::Services).with_employees(3.0); // $2.7k: out
        let mid = RevenueInputs::new(BusinessModel::Services).with_employees(40.0); // $36k: in
        assert!(m.probability(&small, &router.estimate(&small)).get() < 0.2);
        assert!(m.probability(&mid, &router.estimate(&mid)).get() > 0.8);
        assert!(range.probability(&router.estimate(&mid)).get() < 0.3);
    }

    #[test]
    fn errors_and_versions() {
        let router = Router::new();
        let range = RevenueRange::default();
        assert!(matches!(
            LearnedParams::new().fit(&router, range, &[]),
            Err(RevenueError::Core(CoreError::Empty { .. }))
        ));
        let one: Vec<_> = toy().into_iter().map(|(i, _)| (i, 5.0)).collect();
        assert!(matches!(
            LearnedParams::new().fit(&router, range, &one),
            Err(RevenueError::Core(CoreError::SingleClass { .. }))
        ));
        assert!(LearnedParams::new().with_l2(f64::NAN).fit(&router, range, &toy()).is_err());
        assert!(matches!(
            LearnedParams::new().with_folds(1).fit(&router, range, &toy()),
            Err(RevenueError::Core(acctscore_core::CoreError::ParameterOutOfRange { name: "folds", .. }))
        ));
        let iso = LearnedParams::new()
            .with_calibration(CalibrationMethod::Isotonic(acctscore_calibration::IsotonicParams::new()));
        let m_iso = iso.fit(&router, range, &toy()).expect("fits");
        assert_eq!(LearnedRangeModel::from_json(&m_iso.to_json().expect("ok")).expect("reads"), m_iso);
        let m = LearnedParams::new().fit(&router, range, &toy()).expect("fits");
        let json = m.to_json().expect("serialises");
        let v3 = json.replacen("\"format_version\":2", "\"format_version\":3", 1);
        assert!(matches!(
            LearnedRangeModel::from_json(&v3),
            Err(RevenueError::ModelFile(EnvelopeError::Version { found: 3, .. }))
        ));
        let malformed =
            |r: Result<LearnedRangeModel>| matches!(r, Err(RevenueError::ModelFile(EnvelopeError::Malformed { .. })));
        assert!(malformed(LearnedRangeModel::from_json("{not json")));
        assert!(malformed(LearnedRangeModel::from_json(&json[..json.len() / 2])));
        // edits with a recomputed checksum: only validation catches them
        let body = envelope::open(&json, LEARNED_FORMAT_NAME, &[2]).expect("opens").body_json().to_string();
        let reseal = |b: &str| LearnedRangeModel::from_json(&envelope::reseal(&json, b).expect("reseals"));
        let bad_scale = body.replacen("\"scales\":[", "\"scales\":[0.0,", 1);
        assert_eq!(
            reseal(&bad_scale).expect_err("refused").to_string(),
            format!("invalid learned revenue model: `scales` has {} values, expected {N_FEATURES}", N_FEATURES + 1)
        );
        let scales_start = body.find("\"scales\":[").expect("scales") + "\"scales\":[".len();
        let first_end = scales_start + body[scales_start..].find([',', ']']).expect("end");
        let zero_scale = format!("{}0.0{}", &body[..scales_start], &body[first_end..]);
        assert!(matches!(
            reseal(&zero_scale),
            Err(RevenueError::ModelFile(EnvelopeError::Invalid(InvalidModel {
                part: "learned revenue model",
                problem: Problem::NotPositive { index: 0, .. },
                ..
            })))
        ));
        let bad_range = body.replacen("\"range\":{\"low\":", "\"range\":{\"low\":-", 1);
        assert!(matches!(
            reseal(&bad_range),
            Err(RevenueError::ModelFile(EnvelopeError::Invalid(InvalidModel { part: "learned revenue model", .. })))
        ));
    }
}
