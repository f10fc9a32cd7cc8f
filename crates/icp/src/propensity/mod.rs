//! The ICP propensity model as a GTM team uses it: pick a family (or let
//! `auto` pick), fit the encoders and the model, map the raw score to a
//! probability with a cross-fitted calibrator, and explain every score.
//!
//! - **Families**: weighted rules (given or mined), logistic regression,
//!   boosted trees, look-alike, and a hybrid (logistic + mined-rule points +
//!   custom signal columns, combined in log-odds).
//! - **Sufficiency guard**: with fewer positive examples than
//!   `min_positives` (default 100) no learned model is fitted; `auto` falls
//!   back to the given rules, or to rules mined from the data, and says so
//!   in [`FittedIcp::choice`]. Asking for a learned family explicitly with too
//!   few positives is an error ([`crate::IcpError::TooFewPositives`]).
//! - **`auto` by cross-validation**: with enough positives, `auto` compares
//!   logistic regression and boosted trees by their mean fold AUC in a
//!   seeded, stratified k-fold cross-validation (default
//!   [`AUTO_CV_FOLDS`] folds) on the fit data, or on a seeded stratified
//!   subsample of at most [`AUTO_CV_ROWS`] rows when the data is larger, and
//!   keeps logistic regression unless trees beat it by at least
//!   [`AUTO_TREES_MARGIN`]. The figures are stamped in the model
//!   ([`ChoiceReason::CrossValidated`]); the choice does not depend on the
//!   thread count.
//! - **Calibration**: the raw score (points, log-odds or similarity) is
//!   mapped to a probability by a calibrator fitted on out-of-fold scores
//!   (k folds, stratified, seeded), so the calibrator never sees scores of
//!   rows its model was trained on. The hybrid's second stage is itself a
//!   logistic model on out-of-fold first-stage scores: its output is the
//!   probability.
//! - **Explanations**: factors grouped by source column with a stable code
//!   (`industry=software`, `employees=50..200`) and readable text
//!   (`employees 50–200`); baseline plus contributions equal the raw score.

use crate::explain::{Explanation, NumericBins};
use crate::logistic::{FittedLogistic, LogisticParams};
use crate::lookalike::{FittedLookalike, LookalikeParams};
use crate::prepared::{Additive, HybridParts, MAX_REASONS, PreparedIcp, Source};
use crate::rules::RuleSet;
use crate::trees::{FittedGbdt, GbdtParams};
use crate::{FitWarning, IcpError, Result};
use acctscore_calibration::metrics::roc_auc;
use acctscore_calibration::{
    CalibrationMethod, Calibrator, CrossFit, FitCalibrator, FittedCalibrator, PlattParams, stratified_folds,
};
use acctscore_core::{CoreError, Fit, Probability, Score, check, ndarray};
use acctscore_features::encode::{FittedPipeline, NumericTransform, PipelineParams};
use acctscore_frame::{Column, Frame};
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// By how much trees' cross-validated AUC must exceed logistic
/// regression's for `auto` to choose trees (default of
/// [`IcpParams::auto_margin`]). Logistic regression is preferred on a tie
/// or a small difference: it is faster to fit and to score, and its
/// reasons are weight × value.
pub const AUTO_TREES_MARGIN: f64 = 0.002;

/// At most this many rows take part in `auto`'s cross-validation (default
/// of [`IcpParams::auto_cv_rows`]); larger fit data is subsampled, seeded
/// and stratified, so that choosing the family stays a small part of the fit.
pub const AUTO_CV_ROWS: usize = 20_000;

/// Folds of `auto`'s cross-validation (default of [`IcpParams::auto_cv_folds`]).
pub const AUTO_CV_FOLDS: usize = 3;

/// The family a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FamilyChoice {
    /// With enough positives, logistic regression or boosted trees, whichever
    /// has the better cross-validated AUC (logistic unless trees beat it by
    /// the margin); with too few, rules.
    #[default]
    Auto,
    /// Weighted rules: the given rules, or rules mined from the data.
    Rules,
    /// Logistic regression.
    Logistic,
    /// Gradient-boosted trees.
    Trees,
    /// Look-alike similarity to converted accounts.
    Lookalike,
    /// Logistic + mined-rule points + custom signals, in log-odds.
    Hybrid,
}

impl FamilyChoice {
    /// Every choice, in the order of the documentation.
    pub const ALL: [FamilyChoice; 6] = [
        FamilyChoice::Auto,
        FamilyChoice::Rules,
        FamilyChoice::Logistic,
        FamilyChoice::Trees,
        FamilyChoice::Lookalike,
        FamilyChoice::Hybrid,
    ];

    /// The choice's name as written in files and on command lines (`auto`, `rules`, …).
    pub fn name(self) -> &'static str {
        match self {
            FamilyChoice::Auto => "auto",
            FamilyChoice::Rules => "rules",
            FamilyChoice::Logistic => "logistic",
            FamilyChoice::Trees => "trees",
            FamilyChoice::Lookalike => "lookalike",
            FamilyChoice::Hybrid => "hybrid",
        }
    }
}

impl std::fmt::Display for FamilyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads a choice by its [`name`](FamilyChoice::name).
///
/// ```
/// use acctscore_icp::propensity::FamilyChoice;
///
/// assert_eq!("trees".parse::<FamilyChoice>()?, FamilyChoice::Trees);
/// let err = "forest".parse::<FamilyChoice>().unwrap_err();
/// assert!(err.to_string().contains("auto, rules, logistic, trees, lookalike, hybrid"));
/// # Ok::<(), acctscore_icp::IcpError>(())
/// ```
impl std::str::FromStr for FamilyChoice {
    type Err = IcpError;

    fn from_str(s: &str) -> Result<Self, IcpError> {
        FamilyChoice::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| IcpError::UnknownFamily { found: s.to_string() })
    }
}

/// The family of a fitted model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Family {
    /// Weighted rules; raw score = points.
    Rules,
    /// Logistic regression; raw score = log-odds.
    Logistic,
    /// Gradient-boosted trees; raw score = log-odds.
    Trees,
    /// Look-alike; raw score = log similarity to the nearest centroid of converted accounts.
    Lookalike,
    /// Hybrid; raw score = log-odds.
    Hybrid,
}

impl Family {
    /// The family's name as the examples print it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Rules => "rules",
            Family::Logistic => "logistic",
            Family::Trees => "trees",
            Family::Lookalike => "lookalike",
            Family::Hybrid => "hybrid",
        }
    }
}

/// Tier cut points on the calibrated probability: A at or above `a`, B at
/// or above `b`, C at or above `c`, else D. Defaults: 3×, 1.5× and 1× the
/// training base rate (capped below 1), so tiers mean "well above average",
/// "above average", "average or better" whatever the base rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierCuts {
    a: f64,
    b: f64,
    c: f64,
}

impl TierCuts {
    /// Explicit cut points; they must satisfy `1 ≥ a > b > c ≥ 0`.
    ///
    /// # Errors
    /// [`CoreError::InvalidParameter`] otherwise.
    pub fn new(a: f64, b: f64, c: f64) -> Result<Self> {
        check::param(a <= 1.0 && a > b && b > c && c >= 0.0, "tiers", "need 1 >= a > b > c >= 0")?;
        Ok(TierCuts { a, b, c })
    }

    fn from_base_rate(rate: f64) -> Self {
        let c = rate.clamp(1e-6, 0.3);
        TierCuts { a: (3.0 * c).min(0.99), b: (1.5 * c).min(0.9), c }
    }

    /// The cut points `(a, b, c)`.
    pub fn cuts(&self) -> (f64, f64, f64) {
        (self.a, self.b, self.c)
    }

    /// The tier letter of a probability.
    pub fn tier(&self, p: f64) -> char {
        acctscore_core::tier_letter(p, self.a, self.b, self.c)
    }
}

/// Parameters of an ICP propensity model. Build with [`IcpParams::new`].
///
/// ```
/// use acctscore_frame::{Column, Frame};
/// use acctscore_icp::propensity::{Family, FamilyChoice, IcpParams};
///
/// let n = 300;
/// let frame = Frame::new(vec![
///     ("employees".into(), Column::numeric((0..n).map(|i| Some((i % 50) as f64)).collect())),
///     ("industry".into(), Column::categorical((0..n).map(|i| Some(["software", "retail", "logistics"][i % 3])))),
/// ])?;
/// let y: Vec<bool> = (0..n).map(|i| i % 3 == 0 && i % 50 > 10).collect();
/// let icp = IcpParams::new().family(FamilyChoice::Logistic).min_positives(20).top_reasons(2).fit(&frame, &y)?;
/// assert_eq!(icp.family(), Family::Logistic);
/// let scores = icp.score_rows(&frame, 45..47, true)?; // 45: software, 45 staff; 46: retail
/// assert!(scores[0].probability.get() > scores[1].probability.get());
/// let top = &scores[0].explanation.factors[0];
/// assert!(top.code.starts_with("industry") && top.contribution > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct IcpParams {
    family: FamilyChoice,
    min_positives: usize,
    rules: Option<RuleSet>,
    logistic: LogisticParams,
    gbdt: GbdtParams,
    lookalike: LookalikeParams,
    calibration: CalibrationMethod,
    folds: usize,
    seed: u64,
    pipeline: PipelineParams,
    exclude: Vec<String>,
    signals: Vec<String>,
    tiers: Option<TierCuts>,
    top_reasons: usize,
    target: Option<String>,
    auto_margin: f64,
    auto_cv_rows: usize,
    auto_cv_folds: usize,
}

impl Default for IcpParams {
    fn default() -> Self {
        Self::new()
    }
}

impl IcpParams {
    /// `auto` family (logistic or trees by a 3-fold cross-validation on at
    /// most 20 000 rows, trees needing 0.002 more AUC), guard at 100
    /// positives, Platt calibration on 5 cross-fitted folds (seed 0), levels
    /// seen fewer than 10 times pooled, tiers from the base rate, 3 reasons.
    ///
    /// Platt is the default because it is strictly increasing: the ranking
    /// of accounts is the model's own, with no ties introduced by the steps
    /// of an isotonic map. Choose isotonic with [`IcpParams::calibration`]
    /// when the raw score is far from log-odds-shaped.
    pub fn new() -> Self {
        IcpParams {
            family: FamilyChoice::Auto,
            min_positives: 100,
            rules: None,
            logistic: LogisticParams::new(),
            gbdt: GbdtParams::new(),
            lookalike: LookalikeParams::new(),
            calibration: CalibrationMethod::Platt(PlattParams::new()),
            folds: 5,
            seed: 0,
            pipeline: PipelineParams::new().numeric_transform(NumericTransform::Standardize),
            exclude: Vec::new(),
            signals: Vec::new(),
            tiers: None,
            top_reasons: 3,
            target: None,
            auto_margin: AUTO_TREES_MARGIN,
            auto_cv_rows: AUTO_CV_ROWS,
            auto_cv_folds: AUTO_CV_FOLDS,
        }
    }

    /// How much higher trees' cross-validated AUC must be than logistic
    /// regression's for `auto` to choose trees (finite; default
    /// [`AUTO_TREES_MARGIN`]).
    pub fn auto_margin(mut self, margin: f64) -> Self {
        self.auto_margin = margin;
        self
    }

    /// At most this many rows in `auto`'s cross-validation (≥ 2 × its
    /// folds; default [`AUTO_CV_ROWS`]). Larger fit data is subsampled:
    /// seeded, each class in proportion (but at least a tenth of the rows,
    /// when it has them).
    pub fn auto_cv_rows(mut self, rows: usize) -> Self {
        self.auto_cv_rows = rows;
        self
    }

    /// Folds of `auto`'s cross-validation (≥ 2; default [`AUTO_CV_FOLDS`]).
    pub fn auto_cv_folds(mut self, k: usize) -> Self {
        self.auto_cv_folds = k;
        self
    }

    /// The family to fit.
    pub fn family(mut self, family: FamilyChoice) -> Self {
        self.family = family;
        self
    }

    /// The sufficiency guard: fewest positive examples for a learned model.
    pub fn min_positives(mut self, n: usize) -> Self {
        self.min_positives = n;
        self
    }

    /// Weighted rules to use for the rules family (and `auto`'s fallback).
    pub fn rules(mut self, rules: RuleSet) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Logistic regression parameters (logistic and hybrid families).
    pub fn logistic(mut self, p: LogisticParams) -> Self {
        self.logistic = p;
        self
    }

    /// Boosted-tree parameters.
    pub fn trees(mut self, p: GbdtParams) -> Self {
        self.gbdt = p;
        self
    }

    /// Look-alike parameters.
    pub fn lookalike(mut self, p: LookalikeParams) -> Self {
        self.lookalike = p;
        self
    }

    /// Calibration method for the raw score.
    pub fn calibration(mut self, m: CalibrationMethod) -> Self {
        self.calibration = m;
        self
    }

    /// Number of cross-fitting folds (≥ 2).
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }

    /// Seed of fold assignment and of seeded models.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The encoders' settings (numeric transforms, rare levels, clipping,
    /// placeholders, …; see [`PipelineParams`]). Default:
    /// `PipelineParams::new()` with [`NumericTransform::Standardize`]
    /// (standardise only, as scikit-learn's reference pipeline); heavy-tailed
    /// firmographics such as the account pool's do better with
    /// [`NumericTransform::Log1pStandardize`], the pipeline's own default and
    /// the facade's pool scorer's choice. The columns of
    /// [`IcpParams::exclude`], the signals and the target are added to its
    /// exclusions.
    pub fn pipeline(mut self, p: PipelineParams) -> Self {
        self.pipeline = p;
        self
    }

    /// Columns never used as features (ids, leaky columns).
    pub fn exclude<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.exclude.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Custom signal columns (numeric or boolean) the hybrid adds in log-odds;
    /// they are left out of the first-stage features.
    pub fn signals<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.signals.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Tier cut points (default: from the base rate).
    pub fn tiers(mut self, t: TierCuts) -> Self {
        self.tiers = Some(t);
        self
    }

    /// How many reasons a score carries (the rest summed as `other`;
    /// default 3, at most [`MAX_REASONS`]).
    pub fn top_reasons(mut self, k: usize) -> Self {
        self.top_reasons = k;
        self
    }

    /// The name of the target (label) column, when the fit frame holds it:
    /// it is never a feature, and a given rule that reads it is an error at
    /// fit time ([`crate::RuleProblem::ReadsTarget`]).
    pub fn target_column(mut self, name: impl Into<String>) -> Self {
        self.target = Some(name.into());
        self
    }

    /// Fits on `frame` with labels `y` (`true` = converted).
    ///
    /// # Errors
    /// Bad shapes, a single class, too few positives for an explicitly
    /// requested learned family, invalid parameters, a given rule that reads
    /// the [target column](IcpParams::target_column), or a component's error.
    pub fn fit(&self, frame: &Frame, y: &[bool]) -> Result<FittedIcp> {
        check::same_len("labels vs rows", frame.nrows(), y.len())?;
        if let (Some(rules), Some(target)) = (&self.rules, &self.target) {
            rules.check_target(target)?;
        }
        if frame.nrows() == 0 {
            return Err(CoreError::Empty { what: "training rows" }.into());
        }
        check::param(self.folds >= 2, "folds", "must be at least 2")?;
        check::param(self.auto_margin.is_finite(), "auto_margin", "must be finite")?;
        check::param(self.auto_cv_folds >= 2, "auto_cv_folds", "must be at least 2")?;
        if self.top_reasons > MAX_REASONS {
            return Err(CoreError::ParameterOutOfRange {
                name: "top_reasons",
                value: self.top_reasons as f64,
                reason: "at most 8 reasons (prepared::MAX_REASONS) are kept",
            }
            .into());
        }
        if self.auto_cv_rows < 2 * self.auto_cv_folds {
            return Err(CoreError::InvalidParameter {
                name: "auto_cv_rows",
                reason: "must be at least twice auto_cv_folds",
            }
            .into());
        }
        let positives = y.iter().filter(|&&v| v).count();
        if positives == 0 || positives == y.len() {
            return Err(CoreError::SingleClass { positives, negatives: y.len() - positives }.into());
        }
        let required = self.min_positives;
        let enough = positives >= required;
        // `None`: `auto` with enough positives, decided by cross-validation
        // once the encoders are fitted.
        let decided = match self.family {
            FamilyChoice::Auto if enough => None,
            FamilyChoice::Auto => Some((
                Family::Rules,
                ChoiceReason::TooFewPositives { positives, required, mined: self.rules.is_none() },
            )),
            FamilyChoice::Rules => Some((Family::Rules, ChoiceReason::Requested)),
            other => {
                if !enough {
                    return Err(IcpError::TooFewPositives { positives, required });
                }
                let family = match other {
                    FamilyChoice::Trees => Family::Trees,
                    FamilyChoice::Lookalike => Family::Lookalike,
                    FamilyChoice::Hybrid => Family::Hybrid,
                    _ => Family::Logistic,
                };
                Some((family, ChoiceReason::Requested))
            }
        };
        let base_rate = positives as f64 / y.len() as f64;
        let tiers = self.tiers.unwrap_or_else(|| TierCuts::from_base_rate(base_rate));
        let mut exclude = self.exclude.clone();
        exclude.extend(self.signals.iter().cloned());
        exclude.extend(self.target.iter().cloned());
        let pipeline = self.pipeline.clone().exclude(&exclude).fit(frame)?;
        let bins = NumericBins::fit(frame, &pipeline.input_columns());
        let (family, reason) = match decided {
            Some(d) => d,
            None => self.choose_by_cv(&pipeline, frame, y, positives)?,
        };
        let choice = Choice { requested: self.family, family, reason };
        let folds = stratified_folds(y, self.folds, self.seed)?;
        let model = match family {
            Family::Rules => {
                let rules = match &self.rules {
                    Some(r) => r.clone(),
                    None => self.mine(frame, y, &exclude)?,
                };
                // Cross-fitted calibration: given rules are not learned from
                // the data, so their points on every row are honest;
                // mined rules are re-mined per fold.
                let oof = match &self.rules {
                    Some(r) => {
                        let bound = r.bind(frame)?;
                        (0..frame.nrows()).map(|i| bound.points(i)).collect::<Vec<_>>()
                    }
                    None => self.out_of_fold_mined(frame, y, &folds, &exclude)?,
                };
                let calibrator = self.calibration.fit(&oof, y)?;
                Fitted::Rules { rules, calibrator }
            }
            Family::Logistic => {
                // Cross-fitted without copying the matrix per fold.
                let x = pipeline.transform(frame)?;
                let (model, oof) = self.logistic.fit_cross(x.view(), y, &folds, self.folds)?;
                let calibrator = self.calibration.fit(&oof, y)?;
                Fitted::Logistic { model, calibrator }
            }
            Family::Trees => {
                let (model, calibrator) = self.cross_fit(&self.gbdt.clone().seed(self.seed), &pipeline, frame, y)?;
                Fitted::Trees { model, calibrator }
            }
            Family::Lookalike => {
                let (model, calibrator) =
                    self.cross_fit(&self.lookalike.clone().seed(self.seed), &pipeline, frame, y)?;
                Fitted::Lookalike { model, calibrator }
            }
            Family::Hybrid => self.fit_hybrid(frame, y, &pipeline, &folds, &exclude)?,
        };
        if self.top_reasons > 0 {
            model.check_monotone()?;
        }
        // Given rules are checked against the fit data; mined rules come from it.
        let mut warnings = match (&model, &self.rules) {
            (Fitted::Rules { .. }, Some(given)) => given.unseen_levels(frame),
            _ => Vec::new(),
        };
        warnings.extend(choice.drift_warning());
        Ok(FittedIcp {
            choice,
            pipeline,
            bins,
            model,
            tiers,
            top_reasons: self.top_reasons,
            positives,
            rows: y.len(),
            warnings,
        })
    }

    /// Fits `params` with a calibrator cross-fitted on out-of-fold scores.
    fn cross_fit<P>(
        &self,
        params: &P,
        pipeline: &FittedPipeline,
        frame: &Frame,
        y: &[bool],
    ) -> Result<(P::Fitted, FittedCalibrator)>
    where
        P: Fit,
    {
        let x = pipeline.transform(frame)?;
        let cf = CrossFit::new().folds(self.folds).seed(self.seed).fit(params, &self.calibration, x.view(), y)?;
        Ok(cf.into_calibrated().into_parts())
    }

    fn mine(&self, frame: &Frame, y: &[bool], exclude: &[String]) -> Result<RuleSet> {
        Ok(crate::mining::MiningParams::new().exclude(exclude).mine(frame, y)?.into_rules())
    }

    fn out_of_fold_mined(&self, frame: &Frame, y: &[bool], folds: &[usize], exclude: &[String]) -> Result<Vec<f64>> {
        let mut oof = vec![0.0; y.len()];
        for f in 0..self.folds {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != f).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == f).collect();
            let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let rules = self.mine(&frame.take(&train), &y_train, exclude)?;
            let test_frame = frame.take(&test);
            let bound = rules.bind(&test_frame)?;
            for (k, &i) in test.iter().enumerate() {
                oof[i] = bound.points(k);
            }
        }
        Ok(oof)
    }

    fn fit_hybrid(
        &self,
        frame: &Frame,
        y: &[bool],
        pipeline: &FittedPipeline,
        folds: &[usize],
        exclude: &[String],
    ) -> Result<Fitted> {
        let x = pipeline.transform(frame)?;
        // Stage 1: logistic, with out-of-fold log-odds for stage 2.
        let platt = CalibrationMethod::Platt(PlattParams::new());
        let cf = CrossFit::new().folds(self.folds).seed(self.seed).fit(&self.logistic, &platt, x.view(), y)?;
        let z_oof = cf.out_of_fold_scores().to_vec();
        let logistic = cf.into_calibrated().model().clone();
        // Mined-rule points, out of fold as well.
        let rules = self.mine(frame, y, exclude)?;
        let points_oof = self.out_of_fold_mined(frame, y, folds, exclude)?;
        // Custom signals as numbers (missing = 0).
        let signal_values: Vec<Vec<f64>> =
            self.signals.iter().map(|s| signal_column(frame, s)).collect::<Result<_>>()?;
        let k = 2 + signal_values.len();
        let mut stage2 = Array2::<f64>::zeros((y.len(), k));
        for i in 0..y.len() {
            stage2[[i, 0]] = z_oof[i];
            stage2[[i, 1]] = points_oof[i];
            for (j, v) in signal_values.iter().enumerate() {
                stage2[[i, 2 + j]] = v[i];
            }
        }
        // A weak penalty: stage 2 has a handful of well-determined weights.
        let combiner = LogisticParams::new().c(1e4).fit(stage2.view(), y)?;
        Ok(Fitted::Hybrid { logistic, rules, signals: self.signals.clone(), combiner })
    }
}

// The message of a `top_reasons` above the cap names it.
const _: () = assert!(MAX_REASONS == 8);

pub(crate) fn signal_column(frame: &Frame, name: &str) -> Result<Vec<f64>> {
    match frame.column(name)? {
        Column::Numeric(v) => Ok(v.iter().map(|x| x.unwrap_or(0.0)).collect()),
        Column::Boolean(v) => Ok(v.iter().map(|x| f64::from(u8::from(x.unwrap_or(false)))).collect()),
        other => Err(acctscore_frame::FrameError::WrongKind {
            column: name.to_string(),
            expected: acctscore_frame::ColumnKind::Numeric,
            found: other.kind(),
        }
        .into()),
    }
}

mod choice;
mod fitted;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use choice::{Choice, ChoiceReason, DRIFT_AUC_GAP, RecentAuc};
use fitted::Fitted;
pub use fitted::{FittedIcp, IcpScore};
