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

use crate::explain::{Explanation, Factor, FactorPlan, NumericBins};
use crate::logistic::{FittedLogistic, LogisticParams};
use crate::lookalike::{FittedLookalike, LookalikeParams};
use crate::prepared::{PreparedIcp, Source};
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
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
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

/// Why a family was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum ChoiceReason {
    /// The caller asked for this family.
    Requested,
    /// `auto` with enough positives, in models fitted before `auto` chose by
    /// cross-validation: logistic regression was the default learned family.
    /// Kept so that such model files still read.
    EnoughPositives {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
    },
    /// `auto` with too few positives: rules instead of a learned model.
    TooFewPositives {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
        /// Whether the rules were mined from the data (otherwise given).
        mined: bool,
    },
    /// `auto` with enough positives: logistic regression and boosted trees
    /// compared by cross-validated AUC; trees chosen only when
    /// `trees_auc >= logistic_auc + margin`.
    CrossValidated {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
        /// Logistic regression's mean fold AUC.
        logistic_auc: f64,
        /// Boosted trees' mean fold AUC.
        trees_auc: f64,
        /// Folds of the cross-validation.
        folds: usize,
        /// Rows the cross-validation used (all training rows, or a subsample).
        rows: usize,
        /// The AUC margin trees needed.
        margin: f64,
        /// The out-of-time check: both families fitted on the earlier rows
        /// of the cross-validation (in file order) and scored on its last
        /// fifth. Informs the drift warning, not the choice. Absent from
        /// model files written before the check existed, or when the last
        /// fifth holds one class.
        #[serde(default)]
        recent: Option<RecentAuc>,
    },
}

/// How far below its cross-validated AUC the chosen family's out-of-time
/// AUC may fall before the fit warns of drift ([`FitWarning::RecentRowsWeaker`]).
pub const DRIFT_AUC_GAP: f64 = 0.05;

/// AUCs of `auto`'s out-of-time check: each family fitted on the rows
/// before the last fifth of its cross-validation rows (in file order) and
/// scored on that fifth. Files are often in time order, so a figure well
/// below the cross-validated one means the data drifts and the model may
/// not hold for newer accounts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecentAuc {
    /// Logistic regression's AUC on the last fifth.
    pub logistic_auc: f64,
    /// Boosted trees' AUC on the last fifth.
    pub trees_auc: f64,
    /// Rows in the last fifth.
    pub rows: usize,
}

/// The family chosen and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// What the caller asked for.
    pub requested: FamilyChoice,
    /// What was fitted.
    pub family: Family,
    /// Why.
    pub reason: ChoiceReason,
}

impl Choice {
    /// [`FitWarning::RecentRowsWeaker`] when `auto`'s out-of-time check put
    /// the chosen family more than [`DRIFT_AUC_GAP`] below its
    /// cross-validated AUC.
    fn drift_warning(&self) -> Option<FitWarning> {
        let ChoiceReason::CrossValidated { logistic_auc, trees_auc, recent: Some(r), .. } = &self.reason else {
            return None;
        };
        let (cv_auc, recent_auc) = match self.family {
            Family::Trees => (*trees_auc, r.trees_auc),
            _ => (*logistic_auc, r.logistic_auc),
        };
        (recent_auc < cv_auc - DRIFT_AUC_GAP).then(|| FitWarning::RecentRowsWeaker {
            family: self.family.name().to_string(),
            cv_auc,
            recent_auc,
            rows: r.rows,
        })
    }
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            ChoiceReason::Requested => write!(f, "{} (requested)", self.family.name()),
            ChoiceReason::EnoughPositives { positives, required } => write!(
                f,
                "{} (auto: {positives} positive examples ≥ {required}, a learned model is supported)",
                self.family.name()
            ),
            ChoiceReason::TooFewPositives { positives, required, mined } => write!(
                f,
                "{} (auto: only {positives} positive examples < {required}; {} rules instead of a learned model)",
                self.family.name(),
                if *mined { "mined" } else { "the given" }
            ),
            ChoiceReason::CrossValidated {
                positives,
                required,
                logistic_auc,
                trees_auc,
                folds,
                rows,
                margin,
                recent,
            } => {
                write!(
                    f,
                    "{} (auto: {positives} positive examples ≥ {required}; {folds}-fold cross-validated AUC on \
                     {rows} rows: logistic {logistic_auc:.4}, trees {trees_auc:.4}; trees chosen only when \
                     ahead by ≥ {margin}",
                    self.family.name()
                )?;
                if let Some(r) = recent {
                    write!(
                        f,
                        "; on the last {} rows in file order, fitted on the rows before: logistic {:.4}, trees {:.4}",
                        r.rows, r.logistic_auc, r.trees_auc
                    )?;
                }
                write!(f, ")")
            }
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
        if !(a <= 1.0 && a > b && b > c && c >= 0.0) {
            return Err(CoreError::InvalidParameter { name: "tiers", reason: "need 1 >= a > b > c >= 0" }.into());
        }
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
    min_frequency: usize,
    max_levels: Option<usize>,
    numeric_transform: NumericTransform,
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
            min_frequency: 10,
            max_levels: None,
            numeric_transform: NumericTransform::Standardize,
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

    /// Minimum count of a categorical level before it gets its own feature.
    pub fn min_frequency(mut self, n: usize) -> Self {
        self.min_frequency = n;
        self
    }

    /// At most this many levels per categorical column get their own
    /// feature (the most frequent; the rest join the rare bucket). Default: no cap.
    pub fn max_levels(mut self, n: usize) -> Self {
        self.max_levels = Some(n);
        self
    }

    /// How numeric columns are transformed before standardisation (default:
    /// standardise only, as scikit-learn's reference pipeline; heavy-tailed
    /// firmographics such as the account pool's do better with
    /// [`NumericTransform::Log1pStandardize`], which the facade's pool scorer uses).
    pub fn numeric_transform(mut self, t: NumericTransform) -> Self {
        self.numeric_transform = t;
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

    /// How many reasons a score carries (the rest summed as `other`).
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
        if self.folds < 2 {
            return Err(CoreError::InvalidParameter { name: "folds", reason: "must be at least 2" }.into());
        }
        if !self.auto_margin.is_finite() {
            return Err(CoreError::InvalidParameter { name: "auto_margin", reason: "must be finite" }.into());
        }
        if self.auto_cv_folds < 2 {
            return Err(CoreError::InvalidParameter { name: "auto_cv_folds", reason: "must be at least 2" }.into());
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
        let mut pipeline = PipelineParams::new();
        if let Some(m) = self.max_levels {
            pipeline = pipeline.max_levels(m);
        }
        let pipeline = pipeline
            .min_frequency(self.min_frequency)
            .numeric_transform(self.numeric_transform)
            .exclude(&exclude)
            .fit(frame)?;
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

    /// `auto` with enough positives: logistic regression or trees, by mean
    /// fold AUC on (a subsample of) the fit data, encoded by `pipeline`.
    /// Deterministic: the subsample and the folds come from the seed, and
    /// both models fit identically at any thread count.
    fn choose_by_cv(
        &self,
        pipeline: &FittedPipeline,
        frame: &Frame,
        y: &[bool],
        positives: usize,
    ) -> Result<(Family, ChoiceReason)> {
        let rows = cv_rows(y, self.auto_cv_rows, self.seed);
        let (x, y_cv) = if rows.len() == y.len() {
            (pipeline.transform(frame)?, y.to_vec())
        } else {
            let y_cv = rows.iter().filter_map(|&i| y.get(i).copied()).collect::<Vec<_>>();
            (pipeline.transform(&frame.take(&rows))?, y_cv)
        };
        check::same_len("cross-validation labels vs rows", x.nrows(), y_cv.len())?;
        let k = self.auto_cv_folds;
        let folds = stratified_folds(&y_cv, k, self.seed)?;
        let (_, logistic_oof) = self.logistic.fit_cross(x.view(), &y_cv, &folds, k)?;
        let trees_oof = self.trees_out_of_fold(x.view(), &y_cv, &folds, k)?;
        let logistic_auc = mean_fold_auc(&logistic_oof, &y_cv, &folds, k)?;
        let trees_auc = mean_fold_auc(&trees_oof, &y_cv, &folds, k)?;
        let recent = self.recent_aucs(x.view(), &y_cv)?;
        let family = if trees_auc >= logistic_auc + self.auto_margin { Family::Trees } else { Family::Logistic };
        let reason = ChoiceReason::CrossValidated {
            positives,
            required: self.min_positives,
            logistic_auc,
            trees_auc,
            folds: k,
            rows: y_cv.len(),
            margin: self.auto_margin,
            recent,
        };
        Ok((family, reason))
    }

    /// Logistic regression's and trees' AUC on the last fifth of the rows
    /// in file order, each fitted on the rows before it: an out-of-time
    /// check, since files are often in time order. `None` when the last
    /// fifth holds a single class.
    fn recent_aucs(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<Option<RecentAuc>> {
        let cut = y.len() - y.len() / 5;
        let (y_train, y_test) = y.split_at(cut);
        let single = |v: &[bool]| v.iter().all(|&b| b) || !v.iter().any(|&b| b);
        if single(y_train) || single(y_test) {
            return Ok(None);
        }
        let (x_train, x_test) = x.split_at(Axis(0), cut);
        let logistic = self.logistic.fit(x_train, y_train)?.score_batch(x_test)?;
        let trees = self.gbdt.clone().seed(self.seed).fit(x_train, y_train)?.score_batch(x_test)?;
        Ok(Some(RecentAuc {
            logistic_auc: roc_auc(&logistic, y_test)?,
            trees_auc: roc_auc(&trees, y_test)?,
            rows: y_test.len(),
        }))
    }

    /// Each row's trees score from the model fitted on the other folds.
    fn trees_out_of_fold(&self, x: ArrayView2<'_, f64>, y: &[bool], folds: &[usize], k: usize) -> Result<Vec<f64>> {
        let params = self.gbdt.clone().seed(self.seed);
        let mut oof = vec![0.0; y.len()];
        for f in 0..k {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds.get(i) != Some(&f)).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds.get(i) == Some(&f)).collect();
            let y_train: Vec<bool> = train.iter().filter_map(|&i| y.get(i).copied()).collect();
            let model = params.fit(x.select(Axis(0), &train).view(), &y_train)?;
            let scores = model.score_batch(x.select(Axis(0), &test).view())?;
            for (&i, s) in test.iter().zip(scores) {
                if let Some(o) = oof.get_mut(i) {
                    *o = s;
                }
            }
        }
        Ok(oof)
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

/// The rows of `auto`'s cross-validation, ascending: all of them when there
/// are at most `cap`, else a seeded subsample of `cap` rows with each class
/// in proportion, but at least a tenth of `cap` (or all of the class, when
/// smaller) so that a rare class still fills every fold.
fn cv_rows(y: &[bool], cap: usize, seed: u64) -> Vec<usize> {
    let n = y.len();
    if n <= cap {
        return (0..n).collect();
    }
    let mut pos: Vec<usize> = (0..n).filter(|&i| y.get(i) == Some(&true)).collect();
    let mut neg: Vec<usize> = (0..n).filter(|&i| y.get(i) == Some(&false)).collect();
    let floor = cap / 10;
    let share = ((cap as u128 * pos.len() as u128 + n as u128 / 2) / n as u128) as usize;
    let keep_pos = share.max(floor.min(pos.len())).min(pos.len()).min(cap - floor.min(neg.len()));
    let keep_neg = (cap - keep_pos).min(neg.len());
    // A stream of its own, so that the subsample and the folds are not drawn alike.
    let mut rng = acctscore_core::numeric::SplitMix64::new(seed ^ 0xA5A5_5A5A_C0FF_EE00);
    let mut out = Vec::with_capacity(keep_pos + keep_neg);
    for (class, keep) in [(&mut pos, keep_pos), (&mut neg, keep_neg)] {
        // Partial Fisher–Yates: the first `keep` places get a uniform sample.
        for i in 0..keep.min(class.len()) {
            let left = (class.len() - i) as u128;
            let j = i + ((u128::from(rng.next_u64()) * left) >> 64) as usize;
            class.swap(i, j);
        }
        out.extend(class.iter().take(keep));
    }
    out.sort_unstable();
    out
}

/// The mean over folds of the AUC of each fold's out-of-fold scores.
fn mean_fold_auc(scores: &[f64], y: &[bool], folds: &[usize], k: usize) -> Result<f64> {
    let mut total = 0.0;
    for f in 0..k {
        let (s, l): (Vec<f64>, Vec<bool>) =
            scores.iter().zip(y).zip(folds).filter(|&(_, &g)| g == f).map(|((&s, &l), _)| (s, l)).unzip();
        total += roc_auc(&s, &l)?;
    }
    Ok(total / k as f64)
}

fn signal_column(frame: &Frame, name: &str) -> Result<Vec<f64>> {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
enum Fitted {
    Rules { rules: RuleSet, calibrator: FittedCalibrator },
    Logistic { model: FittedLogistic, calibrator: FittedCalibrator },
    Trees { model: FittedGbdt, calibrator: FittedCalibrator },
    Lookalike { model: FittedLookalike, calibrator: FittedCalibrator },
    Hybrid { logistic: FittedLogistic, rules: RuleSet, signals: Vec<String>, combiner: FittedLogistic },
}

impl Fitted {
    /// The map from raw score to probability: the calibrator, or the
    /// hybrid's logistic link.
    fn link(&self, raw: f64) -> f64 {
        match self {
            Fitted::Rules { calibrator, .. }
            | Fitted::Logistic { calibrator, .. }
            | Fitted::Trees { calibrator, .. }
            | Fitted::Lookalike { calibrator, .. } => calibrator.calibrate_value(raw),
            Fitted::Hybrid { .. } => 1.0 / (1.0 + (-raw).exp()),
        }
    }

    /// Refuses a calibrator under which reasons cannot be split in
    /// probability units (see [`Explanation::in_probability`]).
    fn check_monotone(&self) -> Result<()> {
        let calibrator = match self {
            Fitted::Rules { calibrator, .. }
            | Fitted::Logistic { calibrator, .. }
            | Fitted::Trees { calibrator, .. }
            | Fitted::Lookalike { calibrator, .. } => calibrator,
            Fitted::Hybrid { .. } => return Ok(()),
        };
        if calibrator.is_non_decreasing() {
            return Ok(());
        }
        let method = match calibrator {
            FittedCalibrator::Platt(_) => "platt",
            FittedCalibrator::Isotonic(_) => "isotonic",
            _ => "binning",
        };
        Err(IcpError::NonMonotoneCalibrator { method })
    }
}

/// A model whose raw score splits into a baseline plus one contribution
/// per feature.
trait Explained {
    fn baseline(&self) -> f64;
    fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64>;
}

macro_rules! explained {
    ($($t:ty),*) => {$(
        impl Explained for $t {
            fn baseline(&self) -> f64 {
                <$t>::baseline(self)
            }
            fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
                <$t>::contributions(self, row)
            }
        }
    )*};
}
explained!(FittedLogistic, FittedGbdt, FittedLookalike);

/// One account's ICP score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IcpScore {
    /// Calibrated probability of converting.
    pub probability: Probability,
    /// Raw score: points (rules), log-odds (logistic, trees, hybrid) or log similarity (look-alike).
    pub raw: f64,
    /// Tier letter from the probability.
    pub tier: char,
    /// Baseline and the top factors (the rest summed as `other`); they add up to `raw`.
    pub explanation: Explanation,
}

/// A fitted ICP model: plain serde data, `Send + Sync`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedIcp {
    choice: Choice,
    pipeline: FittedPipeline,
    bins: NumericBins,
    model: Fitted,
    tiers: TierCuts,
    top_reasons: usize,
    positives: usize,
    rows: usize,
    /// What the fit noticed (absent from model files written before warnings existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<FitWarning>,
}

impl FittedIcp {
    /// Checks the invariants a fitted ICP model holds (as at fit time):
    /// tier cuts ordered `1 ≥ a > b > c ≥ 0`, numeric bin edges finite and
    /// strictly increasing, the pipeline's encoders valid
    /// ([`FittedPipeline::validate`]), logistic weights finite and of the
    /// pipeline's width, the calibrator valid.
    ///
    /// # Errors
    /// [`InvalidModel`](acctscore_core::InvalidModel) naming the part, the field and the problem.
    pub fn validate(&self) -> std::result::Result<(), acctscore_core::InvalidModel> {
        use acctscore_core::envelope::{check_finite, check_len, check_sorted};
        use acctscore_core::{InvalidModel, Problem};
        const PART: &str = "icp model";
        let TierCuts { a, b, c } = self.tiers;
        check_finite(PART, "tiers", &[a, b, c])?;
        if !(a <= 1.0 && c >= 0.0) {
            let value = if a > 1.0 { a } else { c };
            return Err(InvalidModel::new(PART, "tiers", Problem::OutOfRange { value, min: 0.0, max: 1.0 }));
        }
        check_sorted(PART, "tiers", &[c, b, a], true)?;
        for (column, edges) in self.bins.columns() {
            check_sorted(PART, &format!("bins.{column}"), edges, true)?;
        }
        self.pipeline.validate()?;
        let width = self.pipeline.features().len();
        let logistic = |field: &str, m: &FittedLogistic| {
            check_len(PART, field, width, m.weights().len())?;
            check_finite(PART, field, m.weights())?;
            check_finite(PART, field, &[m.intercept()])
        };
        match &self.model {
            Fitted::Rules { calibrator, .. }
            | Fitted::Trees { calibrator, .. }
            | Fitted::Lookalike { calibrator, .. } => calibrator.validate(),
            Fitted::Logistic { model, calibrator } => {
                logistic("weights", model)?;
                calibrator.validate()
            }
            Fitted::Hybrid { logistic: m, combiner, .. } => {
                logistic("weights", m)?;
                check_finite(PART, "combiner", combiner.weights())
            }
        }
    }

    /// What the fit noticed but did not refuse, such as a given rule's level
    /// that never occurs in the fit data ([`FitWarning::UnseenLevel`]):
    /// worth printing for whoever edits the rules.
    pub fn warnings(&self) -> &[FitWarning] {
        &self.warnings
    }

    /// The family fitted and why it was chosen.
    pub fn choice(&self) -> &Choice {
        &self.choice
    }

    /// The family.
    pub fn family(&self) -> Family {
        self.choice.family
    }

    /// The columns scoring reads: the encoders' columns, then the fields of
    /// the family's rules and its custom signals, each once. A frame to score
    /// needs these (and no other) columns.
    pub fn input_columns(&self) -> Vec<&str> {
        let mut out = self.pipeline.input_columns();
        let (rules, signals): (Option<&RuleSet>, &[String]) = match &self.model {
            Fitted::Rules { rules, .. } => (Some(rules), &[]),
            Fitted::Hybrid { rules, signals, .. } => (Some(rules), signals),
            _ => (None, &[]),
        };
        let extra =
            rules.map(RuleSet::fields).unwrap_or_default().into_iter().chain(signals.iter().map(String::as_str));
        for c in extra {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// The probability of a raw score: the calibrator's map (the hybrid's
    /// logistic link), non-decreasing in the raw score.
    pub fn probability_of_raw(&self, raw: f64) -> f64 {
        self.model.link(raw)
    }

    /// An explanation of a score (in raw units, as [`IcpScore::explanation`]
    /// holds it) in the units of the probability shown, `p`: its baseline is
    /// the probability of the raw baseline and its contributions add up,
    /// with it, to `p` (see [`Explanation::in_probability`]). `raw` is the
    /// score's raw value.
    pub fn explanation_in_probability(&self, e: Explanation, raw: f64, p: f64) -> Explanation {
        let raw0 = e.baseline;
        let p0 = self.model.link(raw0);
        let h = 1e-6 * (1.0 + raw0.abs());
        let slope0 = (self.model.link(raw0 + h) - self.model.link(raw0 - h)) / (2.0 * h);
        e.in_probability(raw, p, p0, if slope0.is_finite() { slope0 } else { 0.0 })
    }

    /// The fitted encoders.
    pub fn pipeline(&self) -> &FittedPipeline {
        &self.pipeline
    }

    /// Tier cut points.
    pub fn tiers(&self) -> TierCuts {
        self.tiers
    }

    /// The rules, for the rules and hybrid families.
    pub fn rules(&self) -> Option<&RuleSet> {
        match &self.model {
            Fitted::Rules { rules, .. } | Fitted::Hybrid { rules, .. } => Some(rules),
            _ => None,
        }
    }

    /// Training rows and positives.
    pub fn training_counts(&self) -> (usize, usize) {
        (self.rows, self.positives)
    }

    /// How many reasons a score carries (the rest summed as `other`).
    pub fn top_reasons(&self) -> usize {
        self.top_reasons
    }

    /// Quintile edges of the numeric columns, for reason bins.
    pub(crate) fn bins(&self) -> &NumericBins {
        &self.bins
    }

    /// Binds the model to `frame` once for fast scoring: every row scored
    /// with its top reasons (as indices) without building a design row or
    /// allocating; see [`crate::prepared`].
    ///
    /// # Errors
    /// [`IcpError::Unsupported`] for the trees, look-alike and hybrid
    /// families and for more than [`crate::prepared::MAX_REASONS`] reasons;
    /// a missing column or a column of another kind; [`IcpError::InvalidModel`]
    /// when the model's parts do not fit together (a damaged file).
    pub fn prepare<'a>(&'a self, frame: &'a Frame) -> Result<PreparedIcp<'a>> {
        let source = match &self.model {
            Fitted::Logistic { model, calibrator } => Source::Logistic(model, calibrator),
            Fitted::Rules { rules, calibrator } => Source::Rules(rules, calibrator),
            Fitted::Trees { .. } | Fitted::Lookalike { .. } | Fitted::Hybrid { .. } => {
                return Err(IcpError::Unsupported { what: format!("the {} family", self.family().name()) });
            }
        };
        PreparedIcp::new(self, source, frame)
    }

    /// Scores every row of `frame` (which needs the training columns), in
    /// order, with explanations.
    ///
    /// # Errors
    /// A missing column or a column of another kind.
    pub fn score_frame(&self, frame: &Frame) -> Result<Vec<IcpScore>> {
        self.score_rows(frame, 0..frame.nrows(), true)
    }

    /// Scores rows `rows` of `frame`, in order. Without `reasons` the
    /// explanations are left empty (baseline only) and nothing is allocated
    /// per row beyond the result: the fast path for ranking a large pool
    /// before explaining its top.
    ///
    /// # Errors
    /// A missing column, a column of another kind, or a range out of bounds.
    pub fn score_rows(&self, frame: &Frame, rows: Range<usize>, reasons: bool) -> Result<Vec<IcpScore>> {
        let plan = reasons.then(|| FactorPlan::new(&self.pipeline, frame, &self.bins));
        self.score_rows_planned(frame, rows, reasons, plan.as_ref())
    }

    /// Binds the model to `frame` for scoring single rows with reasons
    /// through [`FittedIcp::score_rows`]'s path, the per-frame factor tables
    /// built once: the families [`FittedIcp::prepare`] refuses (trees,
    /// look-alike, hybrid) explain a ranked top this way.
    pub fn explainer<'a>(&'a self, frame: &'a Frame) -> IcpExplainer<'a> {
        IcpExplainer { icp: self, frame, plan: FactorPlan::new(&self.pipeline, frame, &self.bins) }
    }

    /// [`FittedIcp::score_rows`] with the factor plan given (built for `frame`).
    fn score_rows_planned(
        &self,
        frame: &Frame,
        rows: Range<usize>,
        reasons: bool,
        plan: Option<&FactorPlan<'_>>,
    ) -> Result<Vec<IcpScore>> {
        let plan = if reasons { plan } else { None };
        let mut out = Vec::with_capacity(rows.len());
        match &self.model {
            Fitted::Rules { rules, calibrator } => {
                let bound = rules.bind(frame)?;
                for i in rows {
                    let (points, e) = if reasons {
                        let e = bound.explain(i);
                        (e.total(), e.top(self.top_reasons))
                    } else {
                        let points = bound.points(i);
                        (points, Explanation { baseline: 0.0, factors: Vec::new() })
                    };
                    out.push(self.finish(points, calibrator.calibrate_value(points), e)?);
                }
            }
            Fitted::Logistic { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan, &mut out)?;
            }
            Fitted::Trees { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan, &mut out)?;
            }
            Fitted::Lookalike { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan, &mut out)?;
            }
            Fitted::Hybrid { logistic, rules, signals, combiner } => {
                let x = self.pipeline.transform_rows(frame, rows.clone())?;
                let bound = rules.bind(frame)?;
                let signal_values: Vec<Vec<f64>> =
                    signals.iter().map(|s| signal_column(frame, s)).collect::<Result<_>>()?;
                let w = combiner.weights();
                let means = combiner.feature_means();
                // A model read from a damaged file may not fit its signal list.
                if w.len() != 2 + signals.len() || means.len() != w.len() {
                    return Err(IcpError::InvalidModel { part: "hybrid combiner", index: w.len() });
                }
                // raw = b2 + w0·z1 + w1·points + Σ wk·sk, with z1 = stage-1 baseline + Σ its
                // contributions and points = Σ fired rules: the baseline collects the constants.
                let baseline = combiner.intercept()
                    + w[0] * logistic.baseline()
                    + (0..signals.len()).map(|k| w[2 + k] * means[2 + k]).sum::<f64>();
                for (r, i) in rows.enumerate() {
                    let row = x.row(r);
                    let z1 = logistic.score_row_unchecked(row);
                    let pts = bound.points(i);
                    let mut raw_row = vec![z1, pts];
                    raw_row.extend(signal_values.iter().map(|v| v[i]));
                    let raw = combiner.score_row_unchecked(ArrayView1::from(&raw_row[..]));
                    let p = 1.0 / (1.0 + (-raw).exp());
                    let Some(plan) = plan else {
                        out.push(self.finish(raw, p, Explanation { baseline, factors: Vec::new() })?);
                        continue;
                    };
                    let mut factors: Vec<Factor> = plan
                        .all_factors(&logistic.contributions(row), i)
                        .into_iter()
                        .map(|mut f| {
                            f.contribution *= w[0];
                            f
                        })
                        .collect();
                    for mut f in bound.explain(i).factors {
                        f.contribution *= w[1];
                        f.code = format!("rule={}", f.code);
                        factors.push(f);
                    }
                    for (k, s) in signals.iter().enumerate() {
                        let v = signal_values[k][i];
                        factors.push(Factor {
                            code: crate::explain::sanitize_code(s),
                            text: format!("{s} {v}"),
                            contribution: w[2 + k] * (v - means[2 + k]),
                        });
                    }
                    out.push(self.finish(raw, p, Explanation::new(baseline, factors))?);
                }
            }
        }
        Ok(out)
    }

    fn score_explained<M: Score + Explained>(
        &self,
        model: &M,
        calibrator: &FittedCalibrator,
        frame: &Frame,
        rows: Range<usize>,
        plan: Option<&FactorPlan<'_>>,
        out: &mut Vec<IcpScore>,
    ) -> Result<()> {
        let start = rows.start;
        let x = self.pipeline.transform_rows(frame, rows)?;
        let baseline = model.baseline();
        for (k, row) in x.rows().into_iter().enumerate() {
            let r = model.score_row_unchecked(row);
            let e = match plan {
                Some(plan) => plan.explain(baseline, &model.contributions(row), start + k, self.top_reasons),
                None => Explanation { baseline, factors: Vec::new() },
            };
            out.push(self.finish_explained(r, calibrator.calibrate_value(r), e)?);
        }
        Ok(())
    }

    fn finish_explained(&self, raw: f64, p: f64, explanation: Explanation) -> Result<IcpScore> {
        let probability = Probability::clamped(p)?;
        Ok(IcpScore { probability, raw, tier: self.tiers.tier(probability.get()), explanation })
    }

    fn finish(&self, raw: f64, p: f64, e: Explanation) -> Result<IcpScore> {
        let probability = Probability::clamped(p)?;
        Ok(IcpScore {
            probability,
            raw,
            tier: self.tiers.tier(probability.get()),
            explanation: e.top(self.top_reasons),
        })
    }
}

/// A fitted model bound to one frame by [`FittedIcp::explainer`]: scores
/// single rows with their reasons, the frame's factor tables built once.
#[derive(Debug)]
pub struct IcpExplainer<'a> {
    icp: &'a FittedIcp,
    frame: &'a Frame,
    plan: FactorPlan<'a>,
}

impl IcpExplainer<'_> {
    /// Scores row `i` with its reasons: equal to row `i` of
    /// [`FittedIcp::score_frame`].
    ///
    /// # Errors
    /// A row out of range; as [`FittedIcp::score_rows`].
    pub fn score(&self, i: usize) -> Result<IcpScore> {
        let n = self.frame.nrows();
        if i >= n {
            return Err(CoreError::ShapeMismatch { what: "row index vs rows", expected: n, found: i }.into());
        }
        let mut s = self.icp.score_rows_planned(self.frame, i..i + 1, true, Some(&self.plan))?;
        s.pop().ok_or(IcpError::Core(CoreError::Empty { what: "score" }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acctscore_core::numeric::SplitMix64;

    /// `n` rows of four uniform numbers in [-2, 2] and labels drawn from
    /// `logit(x0, x1)`.
    fn simulate(n: usize, seed: u64, logit: impl Fn(f64, f64) -> f64) -> (Frame, Vec<bool>) {
        let mut rng = SplitMix64::new(seed);
        let mut cols: [Vec<Option<f64>>; 4] = Default::default();
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let x: Vec<f64> = (0..4).map(|_| rng.next_f64() * 4.0 - 2.0).collect();
            for (c, v) in cols.iter_mut().zip(&x) {
                c.push(Some(*v));
            }
            let z = logit(x[0], x[1]);
            y.push(rng.next_f64() < 1.0 / (1.0 + (-z).exp()));
        }
        let columns = cols.into_iter().enumerate().map(|(j, c)| (format!("x{j}"), Column::numeric(c))).collect();
        (Frame::new(columns).expect("valid frame"), y)
    }

    /// A threshold interaction (an XOR of two signs): no linear model ranks it.
    fn interaction(n: usize, seed: u64) -> (Frame, Vec<bool>) {
        simulate(n, seed, |a, b| if (a > 0.0) != (b > 0.0) { 2.0 } else { -2.0 })
    }

    fn linear(n: usize, seed: u64) -> (Frame, Vec<bool>) {
        simulate(n, seed, |a, b| 1.2 * a - 0.8 * b - 0.5)
    }

    fn cv_figures(icp: &FittedIcp) -> (f64, f64, usize, usize, f64) {
        match icp.choice().reason {
            ChoiceReason::CrossValidated { logistic_auc, trees_auc, folds, rows, margin, .. } => {
                (logistic_auc, trees_auc, folds, rows, margin)
            }
            ref other => panic!("expected a cross-validated choice, got {other:?}"),
        }
    }

    #[test]
    fn auto_picks_trees_on_an_interaction_and_logistic_on_linear_data() {
        let (frame, y) = interaction(1500, 1);
        let icp = IcpParams::new().fit(&frame, &y).expect("fits");
        assert_eq!(icp.family(), Family::Trees);
        let (l, t, folds, rows, margin) = cv_figures(&icp);
        assert!(t >= l + margin && t > 0.8 && l < 0.6, "trees {t} vs logistic {l}");
        assert_eq!((folds, rows, margin), (AUTO_CV_FOLDS, 1500, AUTO_TREES_MARGIN));
        assert_eq!(icp.choice().requested, FamilyChoice::Auto);
        let shown = icp.choice().to_string();
        assert!(shown.starts_with("trees (auto: "), "{shown}");
        assert!(shown.contains(&format!("trees {t:.4}")) && shown.contains(&format!("logistic {l:.4}")), "{shown}");
        assert!(shown.contains("3-fold") && shown.contains("1500 rows") && shown.contains("0.002"), "{shown}");

        let (frame, y) = linear(1500, 2);
        let icp = IcpParams::new().fit(&frame, &y).expect("fits");
        assert_eq!(icp.family(), Family::Logistic);
        let (l, t, ..) = cv_figures(&icp);
        assert!(t < l + AUTO_TREES_MARGIN && l > 0.75, "trees {t} vs logistic {l}");
        assert!(icp.choice().to_string().starts_with("logistic (auto: "));

        // The margin decides: with a huge one, logistic even where trees win;
        // with a negative one, trees even where logistic wins.
        let (frame, y) = interaction(1500, 1);
        assert_eq!(IcpParams::new().auto_margin(0.5).fit(&frame, &y).expect("fits").family(), Family::Logistic);
        let (frame, y) = linear(1500, 2);
        assert_eq!(IcpParams::new().auto_margin(-1.0).fit(&frame, &y).expect("fits").family(), Family::Trees);
    }

    #[test]
    fn the_out_of_time_check_warns_when_the_last_rows_drift_and_only_then() {
        let (frame, y) = linear(1500, 2);
        let icp = IcpParams::new().fit(&frame, &y).expect("fits");
        let ChoiceReason::CrossValidated { logistic_auc, recent: Some(r), .. } = icp.choice().reason else {
            panic!("expected an out-of-time check, got {:?}", icp.choice().reason);
        };
        assert_eq!(r.rows, 300);
        assert!((r.logistic_auc - logistic_auc).abs() < DRIFT_AUC_GAP, "{r:?} vs {logistic_auc}");
        assert!(icp.warnings().is_empty(), "{:?}", icp.warnings());
        assert!(icp.choice().to_string().contains("on the last 300 rows in file order"));

        // Rows whose last fifth follows the opposite relation.
        let row = std::cell::Cell::new(0usize);
        let (drifted, y_drifted) = simulate(1500, 2, |a, b| {
            row.set(row.get() + 1);
            let sign = if row.get() > 1200 { -1.0 } else { 1.0 };
            sign * (1.2 * a - 0.8 * b) - 0.5
        });
        let icp = IcpParams::new().fit(&drifted, &y_drifted).expect("fits");
        let warning = icp.warnings().iter().find(|w| matches!(w, FitWarning::RecentRowsWeaker { .. }));
        let Some(FitWarning::RecentRowsWeaker { family, cv_auc, recent_auc, rows }) = warning else {
            panic!("expected a drift warning, got {:?}", icp.warnings());
        };
        assert_eq!((family.as_str(), *rows), (icp.family().name(), 300));
        assert!(*recent_auc < 0.5 && *cv_auc > *recent_auc + DRIFT_AUC_GAP, "{recent_auc} vs {cv_auc}");
        assert!(warning.is_some_and(|w| w.to_string().contains("the data drifts")));
    }

    #[test]
    fn too_few_positives_stay_rules_without_cross_validation() {
        let (frame, y) = interaction(600, 3);
        let positives = y.iter().filter(|&&v| v).count();
        let icp = IcpParams::new().min_positives(positives + 1).folds(3).fit(&frame, &y).expect("fits");
        assert_eq!(icp.family(), Family::Rules);
        assert!(matches!(icp.choice().reason, ChoiceReason::TooFewPositives { mined: true, .. }));
    }

    #[cfg(feature = "parallel")]
    #[test]
    fn cross_validated_choice_is_the_same_on_one_and_two_threads() {
        // More rows than the cap: the subsample is part of what must not vary.
        let (frame, y) = interaction(2000, 4);
        let params = IcpParams::new().auto_cv_rows(900).seed(7).folds(3);
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            pool.install(|| params.fit(&frame, &y).expect("fits"))
        };
        let one = fit_on(1);
        let two = fit_on(2);
        assert_eq!(one, two);
        assert_eq!(one.choice(), two.choice());
        let (l, t, _, rows, _) = cv_figures(&one);
        assert_eq!(rows, 900);
        assert_eq!(one.family(), Family::Trees, "trees {t} vs logistic {l}");
        // Another seed draws another subsample and other folds.
        let other = IcpParams::new().auto_cv_rows(900).seed(8).folds(3).fit(&frame, &y).expect("fits");
        assert_ne!(cv_figures(&other).0, l);
    }

    #[test]
    fn the_choice_and_its_figures_survive_the_model_file() {
        let (frame, y) = interaction(800, 5);
        let icp = IcpParams::new().folds(3).fit(&frame, &y).expect("fits");
        let json = serde_json::to_string(&icp).expect("serialises");
        assert!(json.contains(r#""reason":"cross_validated""#) && json.contains(r#""trees_auc":"#), "{json}");
        let back: FittedIcp = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, icp);
        // Model files written before the cross-validated choice still read.
        let old = r#"{"requested":"auto","family":"logistic","reason":{"reason":"enough_positives","positives":150,"required":100}}"#;
        let choice: Choice = serde_json::from_str(old).expect("reads");
        assert_eq!(choice.reason, ChoiceReason::EnoughPositives { positives: 150, required: 100 });
    }

    #[test]
    fn the_explainer_scores_rows_as_score_frame() {
        let (frame, y) = interaction(600, 9);
        for family in [FamilyChoice::Trees, FamilyChoice::Logistic, FamilyChoice::Lookalike, FamilyChoice::Rules] {
            // Logistic and look-alike see no signal in an XOR: Platt's slope may come
            // out negative, which reasons refuse; isotonic never decreases.
            let iso = CalibrationMethod::Isotonic(acctscore_calibration::IsotonicParams::new());
            let icp = IcpParams::new()
                .family(family)
                .calibration(iso)
                .min_positives(20)
                .folds(3)
                .fit(&frame, &y)
                .expect("fits");
            let all = icp.score_frame(&frame).expect("scores");
            let explainer = icp.explainer(&frame);
            for (i, s) in all.iter().enumerate() {
                assert_eq!(&explainer.score(i).expect("in range"), s, "{family:?} row {i}");
            }
            assert!(matches!(explainer.score(frame.nrows()), Err(IcpError::Core(CoreError::ShapeMismatch { .. }))));
        }
    }

    #[test]
    fn cv_rows_are_a_seeded_stratified_subsample() {
        let y: Vec<bool> = (0..10_000).map(|i| i % 20 == 0).collect();
        let a = cv_rows(&y, 2000, 1);
        assert_eq!(a.len(), 2000);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "ascending and distinct");
        assert_eq!(a.iter().filter(|&&i| y[i]).count(), 200, "5% would be 100: the floor of a tenth of the rows");
        assert_eq!(a, cv_rows(&y, 2000, 1));
        assert_ne!(a, cv_rows(&y, 2000, 2));
        // Proportional when the class is common enough.
        let y: Vec<bool> = (0..10_000).map(|i| i % 4 == 0).collect();
        assert_eq!(cv_rows(&y, 2000, 3).iter().filter(|&&i| y[i]).count(), 500);
        // A rare class keeps at least a tenth of the rows (all of it when smaller).
        let y: Vec<bool> = (0..100_000).map(|i| i % 1000 == 0).collect();
        assert_eq!(cv_rows(&y, 2000, 3).iter().filter(|&&i| y[i]).count(), 100);
        let y: Vec<bool> = (0..100_000).map(|i| i % 100 != 0).collect();
        let rows = cv_rows(&y, 2000, 3);
        assert_eq!((rows.len(), rows.iter().filter(|&&i| !y[i]).count()), (2000, 200));
        // No more rows than the cap: all of them.
        assert_eq!(cv_rows(&[true, false, true], 3, 0), vec![0, 1, 2]);
    }

    #[test]
    fn bad_auto_parameters_are_typed_errors() {
        let (frame, y) = linear(300, 6);
        for p in [
            IcpParams::new().auto_margin(f64::NAN),
            IcpParams::new().auto_cv_folds(1),
            IcpParams::new().auto_cv_rows(5),
        ] {
            assert!(matches!(p.fit(&frame, &y), Err(IcpError::Core(CoreError::InvalidParameter { .. }))));
        }
    }
}
