//! The [`Scorer`]: every model composed into one fitted object that scores
//! an account with its ICP probability, revenue estimate and P(in range),
//! anomaly findings, engagement, priority, tier and reasons.
//!
//! How the numbers combine (all documented defaults, all configurable):
//! - fitting runs the data-quality report on the fit frame first: columns
//!   flagged `leakage` or `id_like` are left out of every model (unless
//!   kept with [`ScorerParams::keep`]), suspect ones are kept; the
//!   [`FitReport`] in the model file says which and why;
//! - ICP: the `acctscore-icp` propensity model (family chosen by
//!   [`IcpParams`], calibrated), with reasons in probability units: the
//!   baseline [`AccountScore::icp_baseline`] plus the reasons'
//!   contributions equal [`AccountScore::icp`];
//! - revenue: the `acctscore-revenue` router's estimate by business model.
//!   An account with a reported revenue that the anomaly checks do not
//!   doubt gets the analytic P(revenue in the preferred range) of that
//!   figure (its uncertainty is the reported method's spread). Any other
//!   account (revenue missing or doubted) gets the learned model's
//!   calibrated probability from firmographics
//!   ([`crate::revenue::LearnedRangeModel`], fitted on the rows whose reported
//!   revenue is trustworthy, the estimators' outputs among its features),
//!   or the analytic one when the fit had no revenue labels. The anomaly
//!   penalty lowers it as `p × (1 − penalty)`;
//! - anomaly: `acctscore-anomaly`'s checks with a segment model fitted on
//!   the training frame;
//! - engagement: `acctscore-engagement`'s decayed effort (default weights
//!   email 1, call 3, meeting 10; half-lives 14, 30, 60 days), saturated to
//!   `[0, 1]`;
//! - quality: the priority before engagement, a weighted geometric mean of
//!   the ICP and revenue probabilities (the latter after the penalty);
//! - priority: `acctscore-engagement`'s form, quality damped by saturated
//!   engagement;
//! - tier: a band of quality ([`QualityTiers`], cut points fitted on the fit
//!   frame), so it changes when the account's fit changes, never when a rep
//!   calls.

mod file;
mod mapping;
mod report;

pub use file::{FORMAT_NAME, FORMAT_VERSION, ModelFileError, READABLE};
pub use mapping::ColumnMapping;
pub use report::{
    DEFAULT_TIER_SHARES, FitReport, GateAction, GatedColumn, QualityTiers, RevenueModel, RevenueSource, TierSource,
};

use crate::anomaly::{AnomalyChecker, AnomalyInputs, AnomalyParams, AnomalyReport, SegmentModel, SegmentParams};
use crate::calibration::{CalibrationMethod, IsotonicParams};
use crate::core::{CoreError, InvalidModel, Probability, Problem, Timestamp};
use crate::engagement::{EngagementModel, EngagementParams, Priority, PriorityParams, Touch};
use crate::features::encode::NumericTransform;
use crate::features::quality::{QualityParams, QualityReport, Target};
use crate::frame::{Column, ColumnKind, Frame};
use crate::icp::explain::{Explanation, Factor};
use crate::icp::prepared::PreparedIcp;
use crate::icp::propensity::{Family, FamilyChoice, FittedIcp, IcpExplainer, IcpParams, IcpScore};
use crate::pool::EventRecord;
use crate::revenue::{
    BusinessModel, LearnedParams, LearnedRangeModel, Method, RevenueEstimate, RevenueInputs, RevenueRange, Router,
};
use crate::{Error, NeededBy, Result};
use mapping::MappedNames;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A component of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Component {
    /// ICP propensity.
    Icp,
    /// Revenue estimate and P(in range).
    Revenue,
    /// Anomaly checks.
    Anomaly,
    /// Engagement.
    Engagement,
}

/// Settings of a [`Scorer`]. Build with [`ScorerParams::new`] and setters.
#[derive(Debug, Clone)]
pub struct ScorerParams {
    mapping: ColumnMapping,
    icp: IcpParams,
    range: RevenueRange,
    engagement: EngagementParams,
    priority: PriorityParams,
    as_of: Timestamp,
    keep: Vec<String>,
    quality: QualityParams,
    quality_rows: usize,
    revenue_learning: LearnedParams,
    tier_shares: [f64; 3],
    positive_label: Option<String>,
}

/// The most rows the quality gate reads (evenly spaced over the fit frame):
/// its per-column AUCs and flags are stable long before a million rows.
const QUALITY_ROWS: usize = 200_000;

impl Default for ScorerParams {
    fn default() -> Self {
        Self::new()
    }
}

impl ScorerParams {
    /// The pool mapping, the ICP defaults (`auto` family) with signed-log1p
    /// numbers (firmographics are heavy-tailed), at most 30 levels per
    /// categorical column (the pool's ~150 countries) and 3 cross-fitting
    /// folds for the calibrator (a two-parameter Platt map needs no more on
    /// pools of this size; each fold is a full model fit), revenue range
    /// $10k–$100k a month, default engagement and priority, anomaly checks
    /// as of 2026-01-01.
    pub fn new() -> Self {
        ScorerParams {
            mapping: ColumnMapping::pool(),
            icp: IcpParams::new().numeric_transform(NumericTransform::Log1pStandardize).max_levels(30).folds(3),
            range: RevenueRange::default(),
            engagement: EngagementParams::new()
                .kind("email", 1.0, 14.0)
                .kind("call", 3.0, 30.0)
                .kind("meeting", 10.0, 60.0),
            priority: PriorityParams::new(),
            as_of: Timestamp::from_unix_seconds(1_767_225_600),
            keep: Vec::new(),
            quality: QualityParams::default(),
            quality_rows: QUALITY_ROWS,
            revenue_learning: LearnedParams::new()
                .with_folds(3)
                .with_max_rows(100_000)
                .with_max_iter(25)
                .with_calibration(CalibrationMethod::Isotonic(IsotonicParams::new())),
            tier_shares: DEFAULT_TIER_SHARES,
            positive_label: None,
        }
    }

    /// CSV options that read a frame to fit: `base` with the mapping's id
    /// column declared as text (never parsed as a number: `000123` stays
    /// `000123`, 19-digit ids stay distinct).
    #[cfg(feature = "csv")]
    pub fn csv_options(&self, base: &crate::frame::csv::CsvOptions) -> crate::frame::csv::CsvOptions {
        match self.mapping.id_column() {
            Some(id) => base.clone().id(id),
            None => base.clone(),
        }
    }

    /// The label's positive value (default: none, and the label must be
    /// boolean, or numeric with values 0 and 1 only). With it, rows whose
    /// label equals `value` are positive and every other labelled row is
    /// negative, so a label of more than two values (`won`, `lost`, `open`;
    /// `0`, `1`, `2`) or of text can be fitted. A numeric label compares
    /// `value` as a number, a categorical or text one as trimmed text
    /// ignoring ASCII case.
    pub fn positive_label(mut self, value: impl Into<String>) -> Self {
        self.positive_label = Some(value.into());
        self
    }

    /// Columns to keep as features even when the data-quality report flags
    /// them `leakage` or `id_like` (the fit report still lists them, as
    /// kept on request). Only for a column a person has confirmed is known
    /// before the outcome.
    pub fn keep<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.keep.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Thresholds of the data-quality gate (default: the report's defaults).
    pub fn quality(mut self, p: QualityParams) -> Self {
        self.quality = p;
        self
    }

    /// How the revenue-in-range classifier is fitted (default: 3 folds,
    /// at most 100,000 rows, 25 Newton iterations, isotonic calibration:
    /// the classifier is a logistic model on a fixed set of features, so its
    /// log-odds are not always log-odds-shaped; the isotonic map corrects that
    /// where Platt's two parameters cannot).
    pub fn revenue_learning(mut self, p: LearnedParams) -> Self {
        self.revenue_learning = p;
        self
    }

    /// Shares of the fit frame in tiers A, B and C for learned families
    /// (default [`DEFAULT_TIER_SHARES`]); the rules family takes its shares
    /// from the rules file's `[tiers]` points instead. Each share must be
    /// finite and `>= 0`, their sum at most 1: checked when fitting, for
    /// every family.
    pub fn tier_shares(mut self, a: f64, b: f64, c: f64) -> Self {
        self.tier_shares = [a, b, c];
        self
    }

    /// Which column holds what.
    pub fn mapping(mut self, m: ColumnMapping) -> Self {
        self.mapping = m;
        self
    }

    /// ICP model parameters (family, guard, calibration, rules, …); they
    /// replace the defaults, numeric transform included.
    pub fn icp(mut self, p: IcpParams) -> Self {
        self.icp = p;
        self
    }

    /// The ICP family (default `auto`), keeping the other ICP settings
    /// (unlike [`ScorerParams::icp`], which replaces them all).
    pub fn icp_family(mut self, family: FamilyChoice) -> Self {
        self.icp = self.icp.family(family);
        self
    }

    /// The preferred monthly revenue range.
    pub fn revenue_range(mut self, r: RevenueRange) -> Self {
        self.range = r;
        self
    }

    /// Engagement weights and half-lives per activity kind.
    pub fn engagement(mut self, p: EngagementParams) -> Self {
        self.engagement = p;
        self
    }

    /// The priority form.
    pub fn priority(mut self, p: PriorityParams) -> Self {
        self.priority = p;
        self
    }

    /// The date anomaly checks compare with ("founded in the future").
    pub fn as_of(mut self, t: Timestamp) -> Self {
        self.as_of = t;
        self
    }

    /// Fits every component on `frame`. Rows whose label is missing are
    /// left out of the ICP fit (and counted in [`FitMetrics`]).
    ///
    /// In order: the data-quality gate (columns flagged `leakage` or
    /// `id_like` left out of every model, see [`ScorerParams::keep`]), the
    /// ICP model, the anomaly segments, the revenue-in-range classifier
    /// (on the rows whose reported revenue the anomaly checks do not doubt),
    /// then the tier cut points on the fit frame's qualities. The
    /// [`FitReport`] ([`Scorer::fit_report`]) records each decision.
    ///
    /// # Errors
    /// No label column, a component's error, invalid parameters.
    pub fn fit(&self, frame: &Frame) -> Result<Scorer> {
        Ok(self.fit_timed(frame)?.0)
    }

    /// [`ScorerParams::fit`], with the seconds each stage took (never part
    /// of the model: the same data fit the same bytes however long it took).
    ///
    /// # Errors
    /// As [`ScorerParams::fit`].
    pub fn fit_timed(&self, frame: &Frame) -> Result<(Scorer, FitTimings)> {
        let mut timings = FitTimings::default();
        let mut clock = std::time::Instant::now();
        let mut lap = |slot: &mut f64| {
            *slot = clock.elapsed().as_secs_f64();
            clock = std::time::Instant::now();
        };
        // Checked before any work, and whichever family is fitted: the rules
        // family takes its tiers from the rules' points and never reads the
        // shares, so a bad value would otherwise pass silently.
        report::check_shares(self.tier_shares)?;
        let label = self
            .mapping
            .label_column()
            .ok_or(CoreError::InvalidParameter { name: "mapping.label", reason: "a label column is needed to fit" })?;
        let labels = label_values(
            frame.column(label).map_err(|_| missing(frame, label, ColumnKind::Boolean, vec![NeededBy::Label]))?,
            label,
            self.positive_label.as_deref(),
        )?;
        let labelled: Vec<usize> = (0..frame.nrows()).filter(|&i| labels[i].is_some()).collect();
        let y: Vec<bool> = labelled.iter().map(|&i| labels[i] == Some(true)).collect();
        let taken;
        let train = if labelled.len() == frame.nrows() {
            frame
        } else {
            taken = frame.take(&labelled);
            &taken
        };
        // A misspelt `keep` must not pass silently.
        for k in &self.keep {
            frame.column(k)?;
        }
        let mut excluded = self.mapping.excluded_from_icp();
        let (gated, quality_rows) = self.quality_gate(train, label, &y, &excluded)?;
        lap(&mut timings.quality_gate);
        excluded.extend(gated.iter().filter(|g| g.action == GateAction::LeftOut).map(|g| g.column.clone()));
        let icp = self.icp.clone().exclude(excluded).target_column(label).fit(train, &y)?;
        lap(&mut timings.icp);
        let names = self.mapping.get();
        let cols = Resolved::new(frame, &names);
        let segments = if cols.has_anomaly_inputs() {
            let inputs: Vec<AnomalyInputs<'_>> = (0..frame.nrows()).map(|i| cols.anomaly_inputs(i)).collect();
            Some(SegmentModel::fit(inputs.iter().copied(), &SegmentParams::new())?)
        } else {
            None
        };
        let checker = anomaly_checker(self.as_of.unix_seconds(), segments.as_ref())?;
        lap(&mut timings.anomaly);
        let revenue = self.fit_revenue(&cols, &checker, frame.nrows())?;
        lap(&mut timings.revenue);
        // Validate the runtime parts once.
        self.engagement.build()?;
        self.priority.build()?;
        // The columns scoring reads (ICP inputs, mapped columns), in the
        // frame's order: a frame to score needs these and no others.
        let mut used = icp.input_columns();
        used.extend(self.mapping.input_columns());
        let schema: Vec<(String, ColumnKind)> = frame
            .names()
            .iter()
            .zip(frame.columns())
            .filter(|(n, _)| Some(n.as_str()) != self.mapping.label_column() && used.contains(&n.as_str()))
            .map(|(n, c)| (n.clone(), c.kind()))
            .collect();
        let needs = self.mapping.needs(schema.iter().map(|(n, _)| n.as_str()), &icp.input_columns());
        let (rows, positives) = icp.training_counts();
        let metrics = FitMetrics {
            rows: frame.nrows(),
            labelled_rows: rows,
            positives,
            unlabelled_rows: frame.nrows() - rows,
            icp_family: icp.family(),
            icp_choice: icp.choice().to_string(),
        };
        let report = FitReport {
            gated,
            quality_rows,
            revenue,
            // Replaced below, once the fitted scorer has scored the fit frame.
            tiers: QualityTiers::new(1.0, 1.0, 1.0)?,
            tier_source: TierSource::Shares { shares: self.tier_shares },
            missing_tokens: frame.missing_tokens().to_vec(),
        };
        let state = ScorerState {
            mapping: self.mapping.clone(),
            schema,
            needs,
            icp,
            range: self.range,
            segments,
            as_of: self.as_of.unix_seconds(),
            engagement: self.engagement.clone(),
            priority: self.priority,
            metrics,
            report,
        };
        let mut scorer = Scorer::from_state(state)?;
        let (tiers, tier_source) = scorer.fit_tiers(frame, self.tier_shares)?;
        scorer.state.report.tiers = tiers;
        scorer.state.report.tier_source = tier_source;
        lap(&mut timings.tiers);
        Ok((scorer, timings))
    }

    /// The quality report on (an evenly spaced sample of) the labelled fit
    /// rows, over the columns that could be features; the gate's decisions
    /// and the rows read.
    fn quality_gate(
        &self,
        train: &Frame,
        label: &str,
        y: &[bool],
        excluded: &[String],
    ) -> Result<(Vec<GatedColumn>, usize)> {
        let n = train.nrows();
        let m = n.min(self.quality_rows.max(1));
        let rows: Vec<usize> = (0..m).map(|k| k * n / m).collect();
        let target = "__acctscore_label__";
        let mut columns: Vec<(String, Column)> = train
            .names()
            .iter()
            .zip(train.columns())
            .filter(|(name, _)| name.as_str() != label && !excluded.contains(name))
            .map(|(name, c)| (name.clone(), if m == n { c.clone() } else { c.take(&rows) }))
            .collect();
        if columns.is_empty() {
            return Ok((Vec::new(), m));
        }
        let sample_y: Vec<Option<bool>> = rows.iter().map(|&i| y.get(i).copied()).collect();
        columns.push((target.to_string(), Column::Boolean(sample_y)));
        let sample = Frame::new(columns)?;
        let report = QualityReport::compute(&sample, &Target::new(target), &self.quality)?;
        Ok((report::gate(&report, &self.keep), m))
    }

    /// The revenue-in-range classifier, fitted on the rows whose reported
    /// revenue is present and not doubted by the anomaly checks; the
    /// analytic probability (and why) when there are no such rows or one
    /// class only.
    fn fit_revenue(&self, cols: &Resolved<'_>, checker: &AnomalyChecker, n: usize) -> Result<RevenueModel> {
        if cols.revenue.is_none() {
            return Ok(RevenueModel::Analytic { reason: "no revenue column is mapped".into() });
        }
        let anomaly_on = cols.has_anomaly_inputs();
        let rows: Vec<(RevenueInputs<'_>, f64)> = (0..n)
            .filter_map(|i| {
                let truth = num(cols.revenue, i).filter(|t| t.is_finite() && *t >= 0.0)?;
                let doubted = anomaly_on && checker.penalty_and_revenue_doubt(&cols.anomaly_inputs(i)).1;
                (!doubted).then(|| (cols.revenue_inputs(i), truth))
            })
            .collect();
        let in_range = rows.iter().filter(|(_, t)| self.range.contains(*t)).count();
        if in_range == 0 || in_range == rows.len() {
            return Ok(RevenueModel::Analytic {
                reason: format!(
                    "{} accounts with a trustworthy reported revenue, {in_range} of them in range: a classifier needs both classes",
                    rows.len()
                ),
            });
        }
        let model = LearnedRangeModel::fit(&Router::new(), self.range, &rows, self.revenue_learning.clone())?;
        Ok(RevenueModel::Learned { model: Box::new(model), labelled_rows: rows.len(), in_range })
    }
}

/// The anomaly checker of a scorer: default checks as of `as_of`, with the fitted segments.
fn anomaly_checker(as_of: i64, segments: Option<&SegmentModel>) -> Result<AnomalyChecker> {
    let mut checker = AnomalyChecker::new(AnomalyParams::new(Timestamp::from_unix_seconds(as_of)))?;
    if let Some(s) = segments {
        checker = checker.with_segments(s.clone());
    }
    Ok(checker)
}

/// Whether `column` holds no value at all (so it reads as any kind).
fn all_missing(column: &Column) -> bool {
    match column {
        Column::Numeric(v) => v.values().iter().all(|x| x.is_nan()),
        Column::Boolean(v) => v.iter().all(Option::is_none),
        Column::Timestamp(v) => v.iter().all(Option::is_none),
        Column::Categorical(c) => (0..c.len()).all(|i| c.is_missing(i)),
        Column::Text(v) => (0..v.len()).all(|i| v.is_missing(i)),
        _ => false,
    }
}

/// `column` as `kind`: text and categorical value for value; an all-missing
/// column as an all-missing one of `kind`; anything else as it is.
fn converted(column: &Column, kind: ColumnKind) -> Column {
    let n = column.len();
    match (column, kind) {
        (Column::Text(v), ColumnKind::Categorical) => Column::categorical(v.iter()),
        (Column::Categorical(c), ColumnKind::Text) => Column::text((0..n).map(|i| c.get(i))),
        _ if all_missing(column) => match kind {
            ColumnKind::Numeric => Column::numeric(vec![None; n]),
            ColumnKind::Boolean => Column::Boolean(vec![None; n]),
            ColumnKind::Timestamp => Column::Timestamp(vec![None; n]),
            ColumnKind::Categorical => Column::categorical(std::iter::repeat_n(None::<&str>, n)),
            ColumnKind::Text => Column::text(std::iter::repeat_n(None::<&str>, n)),
            _ => column.clone(),
        },
        _ => column.clone(),
    }
}

/// The error of a column `frame` lacks.
fn missing(frame: &Frame, column: &str, kind: ColumnKind, needed_by: Vec<NeededBy>) -> Error {
    Error::Schema {
        column: column.to_string(),
        expected: Some(kind),
        found: None,
        needed_by,
        available: frame.names().to_vec(),
        origin: None,
    }
}

/// The label per row: a boolean column as it is; a numeric one of 0 and 1
/// only (any other value is [`FeaturesError::TargetValues`] with the
/// counts of every value) unless `positive` says which value is positive;
/// a categorical or text one only with `positive`.
fn label_values(col: &Column, name: &str, positive: Option<&str>) -> Result<Vec<Option<bool>>> {
    use crate::features::FeaturesError;
    match (col, positive) {
        (Column::Boolean(v), _) => Ok(v.clone()),
        (Column::Numeric(v), Some(p)) => {
            let p: f64 = p.trim().parse().map_err(|_| CoreError::InvalidParameter {
                name: "positive_label",
                reason: "the label column is numeric: the positive value must be a number",
            })?;
            Ok(v.iter().map(|x| x.map(|x| x == p)).collect())
        }
        (Column::Numeric(v), None) => {
            if v.values().iter().all(|&x| x.is_nan() || x == 0.0 || x == 1.0) {
                return Ok(v.iter().map(|x| x.map(|x| x == 1.0)).collect());
            }
            let mut counts: Vec<(f64, usize)> = Vec::new();
            for x in v.iter().flatten() {
                match counts.iter_mut().find(|(y, _)| *y == x) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((x, 1)),
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.total_cmp(&b.0)));
            let counts = counts.into_iter().map(|(x, n)| (x.to_string(), n)).collect();
            Err(FeaturesError::TargetValues { column: name.to_string(), counts }.into())
        }
        (Column::Categorical(c), Some(p)) => {
            let p = p.trim();
            Ok((0..c.len()).map(|i| c.get(i).map(|v| v.trim().eq_ignore_ascii_case(p))).collect())
        }
        (Column::Text(v), Some(p)) => {
            let p = p.trim();
            Ok(v.iter().map(|v| v.map(|v| v.trim().eq_ignore_ascii_case(p))).collect())
        }
        (other, _) => Err(crate::frame::FrameError::WrongKind {
            column: name.to_string(),
            expected: ColumnKind::Boolean,
            found: other.kind(),
        }
        .into()),
    }
}

/// Seconds each stage of [`ScorerParams::fit_timed`] took.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct FitTimings {
    /// Reading the labels and the data-quality gate.
    pub quality_gate: f64,
    /// The ICP model (encoders, family choice, model, calibrator).
    pub icp: f64,
    /// The anomaly segment model.
    pub anomaly: f64,
    /// The revenue-in-range classifier.
    pub revenue: f64,
    /// Scoring the fit frame for the tier cut points (and the schema).
    pub tiers: f64,
}

/// Figures recorded when the scorer was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitMetrics {
    /// Rows of the training frame.
    pub rows: usize,
    /// Rows with a label (the ICP training set).
    pub labelled_rows: usize,
    /// Positive labels.
    pub positives: usize,
    /// Rows left out of the ICP fit for lack of a label.
    pub unlabelled_rows: usize,
    /// The ICP family fitted.
    pub icp_family: Family,
    /// Why it was chosen.
    pub icp_choice: String,
}

/// Everything a fitted scorer is, as plain serde data (the model file's body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScorerState {
    mapping: ColumnMapping,
    schema: Vec<(String, ColumnKind)>,
    /// What reads each schema column (absent from files written before it was recorded).
    #[serde(default)]
    needs: Vec<(String, Vec<NeededBy>)>,
    icp: FittedIcp,
    range: RevenueRange,
    segments: Option<SegmentModel>,
    as_of: i64,
    engagement: EngagementParams,
    priority: PriorityParams,
    metrics: FitMetrics,
    report: FitReport,
}

/// The earliest `as_of` a model file may carry: 1900-01-01T00:00:00Z.
const AS_OF_MIN: i64 = -2_208_988_800;
/// The latest `as_of` a model file may carry: 2200-01-01T00:00:00Z.
const AS_OF_MAX: i64 = 7_258_118_400;

impl ScorerState {
    /// Checks, after loading, what the fit guarantees: `as_of` in the years
    /// 1900–2200, the mapping consistent with the schema (each column the
    /// fit bound through the mapping still named by it), and every part
    /// valid (ICP model, segment model).
    pub(crate) fn validate(&self) -> std::result::Result<(), InvalidModel> {
        const PART: &str = "scorer";
        if !(AS_OF_MIN..=AS_OF_MAX).contains(&self.as_of) {
            #[allow(clippy::cast_precision_loss)] // seconds of the years 1900–2200 are exact in f64
            let (value, min, max) = (self.as_of as f64, AS_OF_MIN as f64, AS_OF_MAX as f64);
            return Err(InvalidModel::new(PART, "as_of", Problem::OutOfRange { value, min, max }));
        }
        if !self.needs.is_empty() {
            let icp_inputs = self.icp.input_columns();
            let needs = self.mapping.needs(self.schema.iter().map(|(n, _)| n.as_str()), &icp_inputs);
            if needs != self.needs {
                let names: Vec<&str> = self.schema.iter().map(|(n, _)| n.as_str()).collect();
                let problem = match self.mapping.input_columns().into_iter().find(|c| !names.contains(c)) {
                    Some(column) => Problem::MissingColumn { column: column.to_string() },
                    None => Problem::Inconsistent { reason: "does not name the columns the model was fitted on" },
                };
                return Err(InvalidModel::new(PART, "mapping", problem));
            }
        }
        self.icp.validate()?;
        if let Some(segments) = &self.segments {
            segments.validate()?;
        }
        Ok(())
    }
}

/// A fitted scorer: `Send + Sync`, cheap to clone, saved to and loaded from
/// one JSON model file ([`Scorer::save`], [`Scorer::load`]).
#[derive(Debug, Clone)]
pub struct Scorer {
    state: ScorerState,
    router: Router,
    checker: AnomalyChecker,
    engagement: EngagementModel,
    priority: Priority,
}

/// The revenue part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevenueScore {
    /// Estimated monthly revenue (median).
    pub estimate: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// The estimation method.
    pub method: String,
    /// P(revenue in the preferred range), after the anomaly penalty.
    pub in_range: Probability,
    /// The same before the penalty.
    pub in_range_before_penalty: Probability,
    /// Where the probability comes from: the reported revenue, or (when it
    /// is missing or doubted by the anomaly checks) the learned model on
    /// firmographics, or the analytic estimate.
    pub source: RevenueSource,
}

/// The anomaly part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnomalyScore {
    /// Penalty in `[0, 1]` (0 when there is no finding).
    pub penalty: f64,
    /// Stable check codes of the findings.
    pub checks: Vec<String>,
    /// One sentence per finding, for a rep.
    pub messages: Vec<String>,
}

/// One reason behind the ICP probability: a factor and its share of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reason {
    /// The component it comes from (always [`Component::Icp`]: the revenue,
    /// anomaly and engagement effects have their own fields).
    pub component: Component,
    /// Stable machine-readable code (never contains `:` or `;`); `other`
    /// sums the factors left out.
    pub code: String,
    /// Text a rep can read.
    pub text: String,
    /// Signed contribution in probability units: [`AccountScore::icp_baseline`]
    /// plus every reason's contribution equals [`AccountScore::icp`].
    pub contribution: f64,
}

/// The score of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountScore {
    /// The account id (or the 0-based row number when no id column is mapped).
    pub account_id: String,
    /// Calibrated ICP probability.
    pub icp: Probability,
    /// The ICP probability of the model's baseline account (log-odds at the
    /// training means, or 0 points): the start of the reasons, which add up
    /// from it to [`AccountScore::icp`].
    pub icp_baseline: f64,
    /// The ICP raw score (points, log-odds or similarity).
    pub icp_raw: f64,
    /// The ICP model family.
    pub icp_family: Family,
    /// Revenue estimate and P(in range), unless skipped.
    pub revenue: Option<RevenueScore>,
    /// Anomaly findings and penalty, unless skipped.
    pub anomaly: Option<AnomalyScore>,
    /// Raw decayed engagement, unless none was given.
    pub engagement: Option<f64>,
    /// Priority lost to engagement (≤ 0; 0 without engagement): `priority − quality`.
    pub engagement_effect: f64,
    /// How good the account is, before engagement: the weighted geometric
    /// mean of the ICP and revenue probabilities (the latter after the
    /// anomaly penalty).
    pub quality: f64,
    /// The ranking score in `[0, 1]`: quality damped by engagement.
    pub priority: f64,
    /// Tier `A` (best) to `D`: a band of [`AccountScore::quality`].
    pub tier: char,
    /// The ICP reasons in probability units, largest first, the factors left
    /// out summed as `other`.
    pub reasons: Vec<Reason>,
    /// Components skipped for lack of inputs.
    pub skipped: Vec<Component>,
}

/// Frame columns resolved once per scoring call.
struct Resolved<'f> {
    industry: Option<&'f Column>,
    business_model: Option<&'f Column>,
    employees: Option<&'f Column>,
    revenue: Option<&'f Column>,
    traffic: Option<&'f Column>,
    growth: Option<&'f Column>,
    conversion: Option<&'f Column>,
    price: Option<&'f Column>,
    ecommerce: Option<&'f Column>,
    founded: Option<&'f Column>,
    /// A categorical business-model column's levels, parsed once (not per row).
    model_levels: Vec<BusinessModel>,
}

fn num(c: Option<&Column>, i: usize) -> Option<f64> {
    match c {
        Some(Column::Numeric(v)) => v.get(i),
        _ => None,
    }
}

fn text(c: Option<&Column>, i: usize) -> Option<&str> {
    match c {
        Some(Column::Categorical(v)) => v.get(i),
        Some(Column::Text(v)) => v.get(i),
        _ => None,
    }
}

impl<'f> Resolved<'f> {
    fn new(frame: &'f Frame, n: &MappedNames<'_>) -> Self {
        let get = |name: Option<&str>| name.and_then(|c| frame.column(c).ok());
        Resolved {
            industry: get(n.industry),
            business_model: get(n.business_model),
            employees: get(n.employees),
            revenue: get(n.monthly_revenue),
            traffic: get(n.web_traffic),
            growth: get(n.traffic_growth),
            conversion: get(n.conversion_rate),
            price: get(n.sku_price),
            ecommerce: get(n.has_ecommerce),
            founded: get(n.founded_year),
            model_levels: match get(n.business_model) {
                Some(Column::Categorical(c)) => c.levels().iter().map(|l| BusinessModel::from_label(l)).collect(),
                _ => Vec::new(),
            },
        }
    }

    fn has_revenue_inputs(&self) -> bool {
        self.revenue.is_some() || self.employees.is_some() || self.traffic.is_some()
    }

    fn has_anomaly_inputs(&self) -> bool {
        self.revenue.is_some() && self.employees.is_some()
    }

    fn revenue_inputs(&self, i: usize) -> RevenueInputs<'f> {
        let bm = match self.business_model {
            Some(Column::Categorical(c)) => {
                c.code(i).and_then(|k| self.model_levels.get(k as usize).copied()).unwrap_or(BusinessModel::Other)
            }
            column => text(column, i).map_or(BusinessModel::Other, BusinessModel::from_label),
        };
        let mut r = RevenueInputs::new(bm);
        if let Some(v) = text(self.industry, i) {
            r = r.with_industry(v);
        }
        if let Some(v) = num(self.employees, i) {
            r = r.with_employees(v);
        }
        if let Some(v) = num(self.revenue, i) {
            r = r.with_reported_monthly_revenue(v);
        }
        if let Some(v) = num(self.traffic, i) {
            r = r.with_web_traffic_monthly(v);
        }
        if let Some(v) = num(self.conversion, i) {
            r = r.with_conversion_rate(v);
        }
        if let Some(v) = num(self.price, i) {
            r = r.with_sku_avg_price(v);
        }
        if let Some(Column::Boolean(v)) = self.ecommerce
            && let Some(b) = v.get(i).copied().flatten()
        {
            r = r.with_has_ecommerce(b);
        }
        r
    }

    fn anomaly_inputs(&self, i: usize) -> AnomalyInputs<'f> {
        let mut a = AnomalyInputs::new();
        if let Some(v) = text(self.industry, i) {
            a = a.with_industry(v);
        }
        if let Some(v) = num(self.employees, i) {
            a = a.with_employees(v);
        }
        if let Some(v) = num(self.revenue, i) {
            a = a.with_monthly_revenue(v);
        }
        if let Some(v) = num(self.founded, i) {
            a = a.with_founded_year(v);
        }
        if let Some(v) = num(self.traffic, i) {
            a = a.with_web_traffic_monthly(v);
        }
        if let Some(v) = num(self.growth, i) {
            a = a.with_web_traffic_growth_90d(v);
        }
        a
    }
}

const CHUNK: usize = 2048;

/// `f` over fixed chunks of `CHUNK` rows of `0..n` (in parallel with the
/// `parallel` feature), results concatenated in row order; the first error wins.
fn map_chunks<T: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> Result<Vec<T>> + Sync + Send) -> Result<Vec<T>> {
    let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
    let run = |&lo: &usize| f(lo..(lo + CHUNK).min(n));
    #[cfg(feature = "parallel")]
    let parts: Vec<Result<Vec<T>>> = {
        use rayon::prelude::*;
        starts.par_iter().map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<Result<Vec<T>>> = starts.iter().map(run).collect();
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

impl Scorer {
    pub(crate) fn from_state(state: ScorerState) -> Result<Scorer> {
        let checker = anomaly_checker(state.as_of, state.segments.as_ref())?;
        if state.report.revenue.learned().is_some_and(|m| m.range() != state.range) {
            return Err(CoreError::InvalidParameter {
                name: "revenue model",
                reason: "the learned revenue model's range differs from the scorer's",
            }
            .into());
        }
        let engagement = state.engagement.build()?;
        let priority = state.priority.build()?;
        Ok(Scorer { state, router: Router::new(), checker, engagement, priority })
    }

    /// Figures recorded at fit time.
    pub fn metrics(&self) -> &FitMetrics {
        &self.state.metrics
    }

    /// What the fit decided and why: columns left out by the quality gate,
    /// the revenue model, the tier cut points.
    pub fn fit_report(&self) -> &FitReport {
        &self.state.report
    }

    /// Tier cut points on quality, from the fit frame: for the rules family
    /// each tier's share equals its share at the rules file's `[tiers]`
    /// points, otherwise `shares`.
    fn fit_tiers(&self, frame: &Frame, shares: [f64; 3]) -> Result<(QualityTiers, TierSource)> {
        let base = self.prepare(frame)?.base_scores()?;
        let quality: Vec<f64> = base.quality.iter().map(|q| q.get()).collect();
        let rules = match self.state.icp.family() {
            Family::Rules => self.state.icp.rules(),
            _ => None,
        };
        let Some(rules) = rules else {
            return Ok((QualityTiers::from_shares(&quality, shares)?, TierSource::Shares { shares }));
        };
        let t = rules.tiers();
        let bound = rules.bind(frame)?;
        let mut counts = [0usize; 3];
        for i in 0..frame.nrows() {
            let p = bound.points(i);
            let slot = match crate::core::tier_letter(p, t.a, t.b, t.c) {
                'A' => counts.get_mut(0),
                'B' => counts.get_mut(1),
                'C' => counts.get_mut(2),
                _ => None,
            };
            if let Some(c) = slot {
                *c += 1;
            }
        }
        let n = frame.nrows().max(1) as f64;
        let shares = counts.map(|c| c as f64 / n);
        let tiers = QualityTiers::from_shares(&quality, shares)?;
        Ok((tiers, TierSource::RulePoints { points: [t.a, t.b, t.c], shares }))
    }

    /// The fitted ICP model.
    pub fn icp(&self) -> &FittedIcp {
        &self.state.icp
    }

    /// The engagement model (weights and half-lives).
    pub fn engagement_model(&self) -> &EngagementModel {
        &self.engagement
    }

    /// The columns (and kinds) a frame must have to be scored: those scoring
    /// reads (see [`FittedIcp::input_columns`](crate::icp::propensity::FittedIcp::input_columns)
    /// and the [`ColumnMapping`]); a frame's other columns are ignored.
    pub fn schema(&self) -> &[(String, ColumnKind)] {
        &self.state.schema
    }

    /// What reads `column` of the schema (the ICP model, the account id,
    /// the revenue estimate, the anomaly checks); empty for a column outside
    /// the schema or a model file written before this was recorded.
    pub fn needed_by(&self, column: &str) -> &[NeededBy] {
        self.state.needs.iter().find(|(n, _)| n == column).map_or(&[], |(_, needs)| needs.as_slice())
    }

    /// Checks that `frame` has every schema column with the same kind.
    ///
    /// # Errors
    /// [`Error::Schema`] naming the first column that is absent or of another
    /// kind, what needs it, and the frame's columns (name the frame's file
    /// with [`Error::in_origin`]).
    ///
    /// Kinds that read the same values are accepted: text for categorical
    /// and categorical for text (a small batch's ids or industries read with
    /// default options come out categorical), any kind for a column that
    /// holds no value at all, and any string or numeric kind for a column
    /// read only as the account id. [`Scorer::conform`] turns such a frame
    /// into one of the schema's exact kinds.
    pub fn check_schema(&self, frame: &Frame) -> Result<()> {
        for (name, kind) in &self.state.schema {
            let needed_by = || self.needed_by(name).to_vec();
            match frame.column(name) {
                Ok(c) if c.kind() == *kind || self.convertible(name, c, *kind) => {}
                Ok(c) => {
                    return Err(Error::Schema {
                        column: name.clone(),
                        expected: Some(*kind),
                        found: Some(c.kind()),
                        needed_by: needed_by(),
                        available: Vec::new(),
                        origin: None,
                    });
                }
                Err(_) => return Err(missing(frame, name, *kind, needed_by())),
            }
        }
        Ok(())
    }

    /// Whether `column` of kind other than `kind` still reads as the schema's `kind`.
    fn convertible(&self, name: &str, column: &Column, kind: ColumnKind) -> bool {
        let string = |k: ColumnKind| matches!(k, ColumnKind::Text | ColumnKind::Categorical);
        let id_only = self.state.mapping.id_column() == Some(name)
            && self.needed_by(name).iter().all(|n| *n == NeededBy::AccountId);
        (string(kind) && string(column.kind()))
            || all_missing(column)
            || (id_only && (string(column.kind()) || column.kind() == ColumnKind::Numeric))
    }

    /// `frame` with every schema column in the schema's kind (borrowed when
    /// it is already): a text column where the model was fitted on a
    /// categorical one (or the reverse) is converted, value for value, and
    /// a column without any value becomes an all-missing column of the
    /// schema's kind. A column read only as the account id is left as it is.
    /// [`Scorer::score_frame`], [`Scorer::score_row`], [`Scorer::top_n`] and
    /// [`Scorer::priorities`] call it; call it once before
    /// [`Scorer::prepare`] for a frame read without the schema's kinds.
    ///
    /// # Errors
    /// As [`Scorer::check_schema`].
    pub fn conform<'f>(&self, frame: &'f Frame) -> Result<std::borrow::Cow<'f, Frame>> {
        self.check_schema(frame)?;
        let id = self.state.mapping.id_column();
        let wanted = |name: &str| -> Option<ColumnKind> {
            let kind = self.state.schema.iter().find(|(n, _)| n == name).map(|(_, k)| *k)?;
            let id_only = id == Some(name) && self.needed_by(name).iter().all(|n| *n == NeededBy::AccountId);
            (!id_only).then_some(kind)
        };
        let needs_work =
            frame.names().iter().zip(frame.columns()).any(|(n, c)| wanted(n).is_some_and(|k| k != c.kind()));
        if !needs_work {
            return Ok(std::borrow::Cow::Borrowed(frame));
        }
        let columns = frame
            .names()
            .iter()
            .zip(frame.columns())
            .map(|(n, c)| {
                let column = match wanted(n) {
                    Some(k) if k != c.kind() => converted(c, k),
                    _ => c.clone(),
                };
                (n.clone(), column)
            })
            .collect();
        let conformed = Frame::new(columns)?
            .with_skipped_rows(frame.skipped_rows().to_vec())
            .with_missing_tokens(frame.missing_tokens().to_vec());
        Ok(std::borrow::Cow::Owned(conformed))
    }

    /// CSV options that read a batch to score with the schema's kinds:
    /// `base` (delimiter, encoding, missing-value tokens, decimal comma, …)
    /// with every schema column's kind declared (replacing a kind `base`
    /// declares for it), and the mapping's id column as text, never parsed.
    /// So a batch of one row reads exactly as the same row inside a large
    /// file.
    #[cfg(feature = "csv")]
    pub fn csv_options(&self, base: &crate::frame::csv::CsvOptions) -> crate::frame::csv::CsvOptions {
        let options = self.state.schema.iter().fold(base.clone(), |o, (n, k)| o.kind(n.clone(), *k));
        match self.state.mapping.id_column() {
            Some(id) => options.id(id),
            None => options,
        }
    }

    /// Reads a CSV batch to score with the schema's kinds ([`Scorer::csv_options`]
    /// over `base`) and checks it against the schema.
    ///
    /// # Errors
    /// The loader's errors ([`Error::Features`], bad rows with their line)
    /// and [`Error::Schema`] for a missing column.
    #[cfg(feature = "csv")]
    pub fn read_csv(&self, reader: impl std::io::Read, base: &crate::frame::csv::CsvOptions) -> Result<Frame> {
        let frame = Frame::from_csv_reader(reader, &self.csv_options(base))?;
        self.check_schema(&frame)?;
        Ok(frame)
    }

    /// [`Scorer::read_csv`] from a file; a schema error names the file.
    ///
    /// # Errors
    /// As [`Scorer::read_csv`], and [`Error::Features`] with the I/O error.
    #[cfg(feature = "csv")]
    pub fn read_csv_path(
        &self,
        path: impl AsRef<std::path::Path>,
        base: &crate::frame::csv::CsvOptions,
    ) -> Result<Frame> {
        let path = path.as_ref();
        let frame = Frame::from_csv_path(path, &self.csv_options(base))?;
        self.check_schema(&frame).map_err(|e| e.in_origin(path.display().to_string()))?;
        Ok(frame)
    }

    /// Engagement per row of `ids` from activity rows: the raw decayed sum
    /// at `now`. Activities after `now` and activities of accounts not in
    /// `ids` are left out and counted in the returned [`EngagementTally`].
    ///
    /// # Errors
    /// An activity kind the engagement model does not know (named); an id
    /// that appears twice in `ids` ([`PoolError::DuplicateId`](crate::pool::PoolError::DuplicateId),
    /// in [`Error::Pool`]); a timestamp of 10^11 or more, which is not Unix
    /// seconds ([`PoolError::TimestampUnit`](crate::pool::PoolError::TimestampUnit),
    /// its `line` the event's position + 2, its line in a file read by
    /// [`read_events`](crate::pool::read_events)).
    pub fn engagement_from_events<'e>(
        &self,
        ids: &[&str],
        events: impl IntoIterator<Item = &'e EventRecord>,
        now: Timestamp,
    ) -> Result<(Vec<f64>, EngagementTally)> {
        use crate::pool::{PoolError, TimeUnit};
        let mut index: HashMap<&str, u32> = HashMap::with_capacity(ids.len());
        for (k, id) in ids.iter().enumerate() {
            if let Some(&first) = index.get(id) {
                let e = PoolError::DuplicateId { id: (*id).to_string(), first_row: first as usize, row: k };
                return Err(e.into());
            }
            index.insert(id, k as u32);
        }
        let events = events.into_iter().enumerate().map(|(k, e)| match TimeUnit::guess(e.timestamp) {
            Some(unit) => Err(PoolError::TimestampUnit { line: k as u64 + 2, value: e.timestamp, unit }),
            None => Ok(e),
        });
        let mut kinds: Vec<(&str, crate::engagement::KindId)> = Vec::new();
        let mut touches = Vec::new();
        let mut unknown_accounts = 0u64;
        for e in events {
            let e = e?;
            let Some(&account) = index.get(e.account_id.as_str()) else {
                unknown_accounts += 1;
                continue;
            };
            let kind = match kinds.iter().find(|(k, _)| *k == e.kind) {
                Some((_, id)) => *id,
                None => {
                    let id = self.engagement.kind_id_by_name(&e.kind)?;
                    kinds.push((e.kind.as_str(), id));
                    id
                }
            };
            touches.push(Touch::new(account, kind, Timestamp::from_unix_seconds(e.timestamp)));
        }
        let batch = self.engagement.aggregate(now, ids.len(), &touches)?;
        Ok((
            batch.scores().to_vec(),
            EngagementTally {
                used: touches.len() as u64 - batch.ignored_future(),
                future: batch.ignored_future(),
                unknown_accounts,
            },
        ))
    }

    /// Scores every row of `frame`, in order. `engagement`, when given, holds
    /// one raw engagement per row. Runs in parallel over fixed chunks with
    /// the `parallel` feature; the result equals one-by-one scoring.
    ///
    /// # Errors
    /// A frame that does not match the schema, an engagement slice of the
    /// wrong length or with a negative or non-finite value.
    pub fn score_frame(&self, frame: &Frame, engagement: Option<&[f64]>) -> Result<Vec<AccountScore>> {
        let frame = &*self.conform(frame)?;
        let prepared = self.prepare(frame)?;
        self.check_engagement(frame, engagement)?;
        map_chunks(frame.nrows(), |rows| rows.map(|i| prepared.account(i, engagement.map(|e| e[i]))).collect())
    }

    /// Scores row `i` of `frame` alone (equal to the same row of
    /// [`Scorer::score_frame`]). To score many single rows of one frame,
    /// [`Scorer::prepare`] it once and call [`PreparedScorer::score`].
    ///
    /// # Errors
    /// As [`Scorer::score_frame`], and a row out of range.
    pub fn score_row(&self, frame: &Frame, i: usize, engagement: Option<f64>) -> Result<AccountScore> {
        let frame = self.conform(frame)?;
        self.prepare(&frame)?.score(i, engagement)
    }

    /// Binds the scorer to `frame` once (schema checked, columns resolved,
    /// the ICP model's per-column tables built) so that each row then scores
    /// in about a microsecond, reasons included. Batch scoring, ranking and
    /// [`Scorer::score_row`] all go through it.
    ///
    /// # Errors
    /// A frame that does not match the schema.
    ///
    /// Unlike the other scoring methods, `prepare` binds to `frame` as it
    /// is: a string column must have the schema's own kind (text or
    /// categorical) here. Read the batch with [`Scorer::read_csv`], or call
    /// [`Scorer::conform`] once first.
    pub fn prepare<'a>(&'a self, frame: &'a Frame) -> Result<PreparedScorer<'a>> {
        self.check_schema(frame)?;
        if let std::borrow::Cow::Owned(conformed) = self.conform(frame)? {
            // The first column `conform` would convert, as a schema error.
            for (name, kind) in &self.state.schema {
                if let (Ok(c), Ok(want)) = (frame.column(name), conformed.column(name))
                    && c.kind() != want.kind()
                {
                    return Err(Error::Schema {
                        column: name.clone(),
                        expected: Some(*kind),
                        found: Some(c.kind()),
                        needed_by: self.needed_by(name).to_vec(),
                        available: Vec::new(),
                        origin: None,
                    });
                }
            }
        }
        // Families without a prepared form (trees, look-alike, hybrid) score
        // through `score_rows`, and explain rows through an explainer whose
        // factor tables are built once.
        let (icp, explainer) = match self.state.icp.prepare(frame) {
            Ok(p) => (Some(p), None),
            Err(crate::icp::IcpError::Unsupported { .. }) => (None, Some(self.state.icp.explainer(frame))),
            Err(e) => return Err(e.into()),
        };
        let names = self.state.mapping.get();
        let cols = Resolved::new(frame, &names);
        Ok(PreparedScorer {
            scorer: self,
            frame,
            icp,
            explainer,
            revenue_on: cols.has_revenue_inputs(),
            anomaly_on: cols.has_anomaly_inputs(),
            cols,
            ids: self.state.mapping.id_column().and_then(|c| frame.column(c).ok()),
        })
    }

    /// The `n` accounts with the highest priority, best first (ties broken
    /// by account id, so the order is deterministic).
    ///
    /// # Errors
    /// As [`Scorer::score_frame`].
    pub fn top_n(&self, frame: &Frame, engagement: Option<&[f64]>, n: usize) -> Result<Vec<AccountScore>> {
        let frame = &*self.conform(frame)?;
        let prepared = self.prepare(frame)?;
        let base = prepared.base_scores()?;
        prepared.top_n(&base, engagement, n)
    }

    /// The priority of every row of `frame`, in order: the ranking score of
    /// [`Scorer::score_frame`] without building reasons or strings (the fast
    /// path for ranking a large pool).
    ///
    /// # Errors
    /// As [`Scorer::score_frame`].
    pub fn priorities(&self, frame: &Frame, engagement: Option<&[f64]>) -> Result<Vec<f64>> {
        let frame = &*self.conform(frame)?;
        let prepared = self.prepare(frame)?;
        let base = prepared.base_scores()?;
        prepared.priorities(&base, engagement)
    }

    fn check_engagement(&self, frame: &Frame, engagement: Option<&[f64]>) -> Result<()> {
        if let Some(e) = engagement {
            crate::core::check::same_len("engagement vs rows", frame.nrows(), e.len())?;
            if let Some(&value) = e.iter().find(|v| !v.is_finite() || **v < 0.0) {
                return Err(bad_engagement(value));
            }
        }
        Ok(())
    }

    /// P(revenue in range) of row `i` before the anomaly penalty, with the
    /// estimate it rests on: the analytic probability of a reported revenue
    /// the anomaly checks do not doubt; otherwise the learned model on the
    /// account without its reported revenue (the analytic probability of
    /// that estimate when no model was learned).
    fn revenue_in_range(
        &self,
        cols: &Resolved<'_>,
        i: usize,
        doubted: bool,
    ) -> (RevenueEstimate, Probability, RevenueSource) {
        let mut inputs = cols.revenue_inputs(i);
        let mut est = self.router.estimate(&inputs);
        if est.method == Method::Reported {
            if !doubted {
                let p = self.state.range.probability(&est);
                return (est, p, RevenueSource::Reported);
            }
            inputs = inputs.without_reported();
            est = self.router.estimate(&inputs);
        }
        match self.state.report.revenue.learned() {
            Some(m) => {
                let p = m.probability(&inputs, &est);
                (est, p, RevenueSource::Learned)
            }
            None => {
                let p = self.state.range.probability(&est);
                (est, p, RevenueSource::Analytic)
            }
        }
    }

    fn combine(
        &self,
        account_id: String,
        icp: IcpPart,
        revenue: Option<RevenueScore>,
        report: Option<AnomalyReport>,
        engagement: Option<f64>,
    ) -> Result<AccountScore> {
        let mut skipped = Vec::new();
        let revenue_p = match &revenue {
            Some(r) => r.in_range,
            None => {
                skipped.push(Component::Revenue);
                Probability::ONE
            }
        };
        if report.is_none() {
            skipped.push(Component::Anomaly);
        }
        let saturated = match engagement {
            Some(e) => self.engagement.saturate(e)?,
            None => {
                skipped.push(Component::Engagement);
                Probability::ZERO
            }
        };
        let quality = self.priority.quality(icp.probability, revenue_p);
        let priority = self.priority.from_quality(quality, saturated).get();
        let reasons: Vec<Reason> = icp
            .explanation
            .factors
            .into_iter()
            .map(|f: Factor| Reason {
                component: Component::Icp,
                code: f.code,
                text: f.text,
                contribution: f.contribution,
            })
            .collect();
        let anomaly = report.map(|r| AnomalyScore {
            penalty: r.penalty,
            checks: r.findings.iter().map(|f| f.code.as_str().to_string()).collect(),
            messages: r.findings.iter().map(|f| f.message.clone()).collect(),
        });
        Ok(AccountScore {
            account_id,
            icp: icp.probability,
            icp_baseline: icp.explanation.baseline,
            icp_raw: icp.raw,
            icp_family: self.state.icp.family(),
            revenue,
            anomaly,
            engagement,
            engagement_effect: priority - quality.get(),
            quality: quality.get(),
            priority,
            tier: self.state.report.tiers.tier(quality.get()),
            reasons,
            skipped,
        })
    }
}

/// A negative or non-finite engagement value as an error.
fn bad_engagement(value: f64) -> Error {
    CoreError::OutOfRange { what: "engagement", value, min: 0.0, max: f64::INFINITY }.into()
}

/// The ICP part of a score, from the prepared path or `score_rows`, its
/// explanation in probability units.
struct IcpPart {
    probability: Probability,
    raw: f64,
    explanation: Explanation,
}

impl IcpPart {
    fn new(icp: &FittedIcp, probability: Probability, raw: f64, explanation: Explanation) -> Self {
        let explanation = icp.explanation_in_probability(explanation, raw, probability.get());
        IcpPart { probability, raw, explanation }
    }

    fn from_score(icp: &FittedIcp, s: IcpScore) -> Self {
        IcpPart::new(icp, s.probability, s.raw, s.explanation)
    }
}

/// The engagement-independent parts of every row's priority, from
/// [`PreparedScorer::base_scores`].
#[derive(Debug, Clone, PartialEq)]
pub struct BaseScores {
    icp: Vec<Probability>,
    revenue: Vec<Probability>,
    /// The priority's quality term of each row (see `Priority::quality`).
    quality: Vec<Probability>,
}

impl BaseScores {
    /// ICP probability per row.
    pub fn icp(&self) -> &[Probability] {
        &self.icp
    }

    /// Revenue-in-range probability per row, after the anomaly penalty (1 when revenue is skipped).
    pub fn revenue(&self) -> &[Probability] {
        &self.revenue
    }
}

/// A [`Scorer`] bound to one frame by [`Scorer::prepare`]: the schema is
/// checked and the columns are resolved once, so that scoring a row does
/// no lookup by name. `Sync`: share it across threads.
pub struct PreparedScorer<'a> {
    scorer: &'a Scorer,
    frame: &'a Frame,
    icp: Option<PreparedIcp<'a>>,
    /// The ICP model's explainer, for the families without a prepared form.
    explainer: Option<IcpExplainer<'a>>,
    cols: Resolved<'a>,
    ids: Option<&'a Column>,
    revenue_on: bool,
    anomaly_on: bool,
}

impl std::fmt::Debug for PreparedScorer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedScorer")
            .field("rows", &self.frame.nrows())
            .field("icp_prepared", &self.icp.is_some())
            .field("revenue_on", &self.revenue_on)
            .field("anomaly_on", &self.anomaly_on)
            .finish_non_exhaustive()
    }
}

impl PreparedScorer<'_> {
    /// Rows of the prepared frame.
    pub fn nrows(&self) -> usize {
        self.frame.nrows()
    }

    /// Scores row `i` with its reasons; `engagement` is the account's raw
    /// decayed engagement, if known. Equal to the same row of
    /// [`Scorer::score_frame`].
    ///
    /// # Errors
    /// A row out of range; a negative or non-finite engagement.
    pub fn score(&self, i: usize, engagement: Option<f64>) -> Result<AccountScore> {
        if i >= self.frame.nrows() {
            return Err(
                CoreError::ShapeMismatch { what: "row index vs rows", expected: self.frame.nrows(), found: i }.into()
            );
        }
        if let Some(e) = engagement.filter(|e| !e.is_finite() || *e < 0.0) {
            return Err(bad_engagement(e));
        }
        self.account(i, engagement)
    }

    /// The ICP part of row `i`, its explanation with the top factors.
    fn icp(&self, i: usize) -> Result<IcpPart> {
        let icp = &self.scorer.state.icp;
        let Some(p) = &self.icp else {
            let s = match &self.explainer {
                Some(e) => e.score(i)?,
                None => {
                    let mut s = icp.score_rows(self.frame, i..i + 1, true)?;
                    s.pop().ok_or(Error::Core(CoreError::Empty { what: "score" }))?
                }
            };
            return Ok(IcpPart::from_score(icp, s));
        };
        let s = p.score(i)?;
        Ok(IcpPart::new(icp, s.probability, s.raw, p.explanation(i, &s)))
    }

    /// ICP probabilities of `rows`, exactly those of the full scores: the
    /// prepared model in blocks, or `score_rows` for the families without a
    /// prepared form.
    fn icp_probabilities(&self, rows: std::ops::Range<usize>) -> Result<Vec<Probability>> {
        match &self.icp {
            Some(p) => {
                // Probabilities only: bit for bit those of the scores with reasons.
                let mut out = vec![0.0; rows.len()];
                p.probabilities_into(rows, &mut out)?;
                out.into_iter().map(|x| Probability::new(x).map_err(Into::into)).collect()
            }
            None => Ok(self
                .scorer
                .state
                .icp
                .score_rows(self.frame, rows, false)?
                .into_iter()
                .map(|s| s.probability)
                .collect()),
        }
    }

    /// The parts of every row's priority that do not depend on engagement
    /// (ICP probability; revenue in range after the anomaly penalty), in
    /// parallel over fixed chunks, no strings. A caller can compute them
    /// while it reads the activity log, then rank with
    /// [`PreparedScorer::top_n`] or [`PreparedScorer::priorities`].
    ///
    /// # Errors
    /// As [`Scorer::score_frame`].
    pub fn base_scores(&self) -> Result<BaseScores> {
        let parts = map_chunks(self.frame.nrows(), |rows| self.base_chunk(rows))?;
        let mut base = BaseScores {
            icp: Vec::with_capacity(parts.len()),
            revenue: Vec::with_capacity(parts.len()),
            quality: Vec::with_capacity(parts.len()),
        };
        for (icp, revenue, quality) in parts {
            base.icp.push(icp);
            base.revenue.push(revenue);
            base.quality.push(quality);
        }
        Ok(base)
    }

    /// The priority of every row from its base scores and its raw
    /// engagement (one value per row), exactly those of the full scores.
    ///
    /// `base` must come from this prepared frame's [`PreparedScorer::base_scores`]
    /// (only its length can be checked).
    ///
    /// # Errors
    /// A `base` of another length, and as [`Scorer::score_frame`] for the engagement.
    pub fn priorities(&self, base: &BaseScores, engagement: Option<&[f64]>) -> Result<Vec<f64>> {
        self.check_base(base, engagement)?;
        let scorer = self.scorer;
        map_chunks(self.frame.nrows(), |rows| {
            rows.map(|i| {
                let saturated = match engagement {
                    Some(e) => scorer.engagement.saturate(e[i])?,
                    None => Probability::ZERO,
                };
                // `Priority::score` with its quality term computed once, with the base scores
                // (`check_base` matched their length to the rows).
                let quality = base.quality.get(i).copied().unwrap_or(Probability::ZERO);
                Ok(scorer.priority.from_quality(quality, saturated).get())
            })
            .collect()
        })
    }

    /// The `n` rows with the highest priority, best first, fully scored
    /// with reasons (as [`Scorer::top_n`], from precomputed base scores).
    ///
    /// # Errors
    /// As [`PreparedScorer::priorities`].
    pub fn top_n(&self, base: &BaseScores, engagement: Option<&[f64]>, n: usize) -> Result<Vec<AccountScore>> {
        // Rank on numbers only, then explain the top: no strings for the rest.
        let priority = self.priorities(base, engagement)?;
        let id_of = |i: usize| -> Option<&str> {
            match self.ids {
                Some(Column::Text(v)) => v.get(i),
                Some(Column::Categorical(c)) => c.get(i),
                _ => None,
            }
        };
        let cmp = |a: &usize, b: &usize| {
            priority[*b].total_cmp(&priority[*a]).then_with(|| id_of(*a).cmp(&id_of(*b))).then(a.cmp(b))
        };
        let mut order: Vec<usize> = (0..priority.len()).collect();
        if n < order.len() {
            order.select_nth_unstable_by(n, cmp);
            order.truncate(n);
        }
        order.sort_by(cmp);
        order.iter().map(|&i| self.account(i, engagement.map(|e| e[i]))).collect()
    }

    fn check_base(&self, base: &BaseScores, engagement: Option<&[f64]>) -> Result<()> {
        crate::core::check::same_len("base scores vs rows", self.frame.nrows(), base.quality.len())?;
        self.scorer.check_engagement(self.frame, engagement)
    }

    /// Base scores of `rows`: ICP, revenue in range, and their quality term.
    fn base_chunk(&self, rows: std::ops::Range<usize>) -> Result<Vec<(Probability, Probability, Probability)>> {
        let scorer = self.scorer;
        let icp = self.icp_probabilities(rows.clone())?;
        let mut out = Vec::with_capacity(rows.len());
        for (icp, i) in icp.into_iter().zip(rows) {
            let (penalty, doubted) = if self.anomaly_on {
                scorer.checker.penalty_and_revenue_doubt(&self.cols.anomaly_inputs(i))
            } else {
                (0.0, false)
            };
            let revenue_p = if self.revenue_on {
                let (_, p, _) = scorer.revenue_in_range(&self.cols, i, doubted);
                crate::revenue::apply_penalty(p, penalty)?
            } else {
                Probability::ONE
            };
            out.push((icp, revenue_p, scorer.priority.quality(icp, revenue_p)));
        }
        Ok(out)
    }

    /// The full score of row `i`, with reasons.
    fn account(&self, i: usize, engagement: Option<f64>) -> Result<AccountScore> {
        let scorer = self.scorer;
        let icp = self.icp(i)?;
        let account_id = match self.ids {
            Some(Column::Text(v)) => v.get(i).map(str::to_string),
            Some(Column::Categorical(c)) => c.get(i).map(str::to_string),
            Some(Column::Numeric(v)) => v.get(i).map(|x| x.to_string()),
            _ => None,
        }
        .unwrap_or_else(|| i.to_string());
        let report = self.anomaly_on.then(|| scorer.checker.check(&self.cols.anomaly_inputs(i)));
        let penalty = report.as_ref().map_or(0.0, |r| r.penalty);
        let doubted = report.as_ref().is_some_and(AnomalyReport::revenue_doubted);
        let revenue = if self.revenue_on {
            let (est, before, source) = scorer.revenue_in_range(&self.cols, i, doubted);
            Some(RevenueScore {
                estimate: est.point,
                low: est.interval.low,
                high: est.interval.high,
                method: est.method.as_str().to_string(),
                in_range: crate::revenue::apply_penalty(before, penalty)?,
                in_range_before_penalty: before,
                source,
            })
        } else {
            None
        };
        scorer.combine(account_id, icp, revenue, report, engagement)
    }
}

/// Counts from [`Scorer::engagement_from_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EngagementTally {
    /// Activities counted.
    pub used: u64,
    /// Activities after `now`, left out.
    pub future: u64,
    /// Activities of accounts not in the id list, left out.
    pub unknown_accounts: u64,
}
