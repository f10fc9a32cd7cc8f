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
use acctscore_calibration::{
    CalibrationMethod, Calibrator, CrossFit, FitCalibrator, FittedCalibrator, PlattParams, stratified_folds,
};
use acctscore_core::{CoreError, Fit, Probability, Score, check, ndarray};
use acctscore_features::encode::{FittedPipeline, NumericTransform, PipelineParams};
use acctscore_features::{Column, Frame};
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The family a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FamilyChoice {
    /// Logistic regression when there are enough positives, else rules.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum ChoiceReason {
    /// The caller asked for this family.
    Requested,
    /// `auto` with enough positives: logistic regression is the default learned family.
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
}

/// The family chosen and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// What the caller asked for.
    pub requested: FamilyChoice,
    /// What was fitted.
    pub family: Family,
    /// Why.
    pub reason: ChoiceReason,
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
        if p >= self.a {
            'A'
        } else if p >= self.b {
            'B'
        } else if p >= self.c {
            'C'
        } else {
            'D'
        }
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
}

impl Default for IcpParams {
    fn default() -> Self {
        Self::new()
    }
}

impl IcpParams {
    /// `auto` family, guard at 100 positives, Platt calibration on 5
    /// cross-fitted folds (seed 0), levels seen fewer than 10 times pooled,
    /// tiers from the base rate, 3 reasons.
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
        }
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
        let positives = y.iter().filter(|&&v| v).count();
        if positives == 0 || positives == y.len() {
            return Err(CoreError::SingleClass { positives, negatives: y.len() - positives }.into());
        }
        let required = self.min_positives;
        let enough = positives >= required;
        let (family, reason) = match self.family {
            FamilyChoice::Auto if enough => (Family::Logistic, ChoiceReason::EnoughPositives { positives, required }),
            FamilyChoice::Auto => {
                (Family::Rules, ChoiceReason::TooFewPositives { positives, required, mined: self.rules.is_none() })
            }
            FamilyChoice::Rules => (Family::Rules, ChoiceReason::Requested),
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
                (family, ChoiceReason::Requested)
            }
        };
        let choice = Choice { requested: self.family, family, reason };
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
        let warnings = match (&model, &self.rules) {
            (Fitted::Rules { .. }, Some(given)) => given.unseen_levels(frame),
            _ => Vec::new(),
        };
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

fn signal_column(frame: &Frame, name: &str) -> Result<Vec<f64>> {
    match frame.column(name)? {
        Column::Numeric(v) => Ok(v.iter().map(|x| x.unwrap_or(0.0)).collect()),
        Column::Boolean(v) => Ok(v.iter().map(|x| f64::from(u8::from(x.unwrap_or(false)))).collect()),
        other => Err(acctscore_features::FeaturesError::WrongKind {
            column: name.to_string(),
            expected: acctscore_features::ColumnKind::Numeric,
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
    pub fn explanation_in_probability(&self, e: &Explanation, raw: f64, p: f64) -> Explanation {
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
                self.score_explained(model, calibrator, frame, rows, plan.as_ref(), &mut out)?;
            }
            Fitted::Trees { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan.as_ref(), &mut out)?;
            }
            Fitted::Lookalike { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan.as_ref(), &mut out)?;
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
                    let Some(plan) = &plan else {
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
