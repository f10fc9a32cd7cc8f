//! The [`Scorer`]: every model composed into one fitted object that scores
//! an account with its ICP probability, revenue estimate and P(in range),
//! anomaly findings, engagement, priority, tier and reasons.
//!
//! How the numbers combine (all documented defaults, all configurable):
//! - ICP: the `acctscore-icp` propensity model (family chosen by
//!   [`IcpParams`], calibrated, with reasons);
//! - revenue: the `acctscore-revenue` router's estimate by business model
//!   and the analytic P(revenue in the preferred range), lowered by the
//!   anomaly penalty as `p × (1 − penalty)`;
//! - anomaly: `acctscore-anomaly`'s checks with a segment model fitted on
//!   the training frame;
//! - engagement: `acctscore-engagement`'s decayed effort (default weights
//!   email 1, call 3, meeting 10; half-lives 14, 30, 60 days), saturated to
//!   `[0, 1]`;
//! - priority: `acctscore-engagement`'s form, quality (weighted geometric
//!   mean of ICP and revenue probabilities) damped by saturated engagement;
//! - tier: the ICP tier, demoted one letter when the anomaly penalty is at
//!   least 0.5 (the data is too doubtful to call it top tier).

mod file;
mod mapping;

pub use file::{FORMAT_VERSION, ModelFileError};
pub use mapping::ColumnMapping;

use crate::anomaly::{AnomalyChecker, AnomalyInputs, AnomalyParams, AnomalyReport, SegmentModel, SegmentParams};
use crate::core::{CoreError, Probability, Timestamp};
use crate::engagement::{EngagementModel, EngagementParams, Priority, PriorityParams, Touch};
use crate::features::encode::NumericTransform;
use crate::features::{Column, ColumnKind, Frame};
use crate::icp::explain::{Explanation, Factor};
use crate::icp::prepared::PreparedIcp;
use crate::icp::propensity::{Family, FamilyChoice, FittedIcp, IcpExplainer, IcpParams, IcpScore};
use crate::pool::EventRecord;
use crate::revenue::{BusinessModel, RevenueEstimate, RevenueInputs, RevenueRange, Router};
use crate::{Error, Result};
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
}

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
        }
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
    /// # Errors
    /// No label column, a component's error, invalid parameters.
    pub fn fit(&self, frame: &Frame) -> Result<Scorer> {
        let label = self
            .mapping
            .label_column()
            .ok_or(CoreError::InvalidParameter { name: "mapping.label", reason: "a label column is needed to fit" })?;
        let labels = label_values(frame.column(label)?, label)?;
        let labelled: Vec<usize> = (0..frame.nrows()).filter(|&i| labels[i].is_some()).collect();
        let y: Vec<bool> = labelled.iter().map(|&i| labels[i] == Some(true)).collect();
        let taken;
        let train = if labelled.len() == frame.nrows() {
            frame
        } else {
            taken = frame.take(&labelled);
            &taken
        };
        let icp = self.icp.clone().exclude(self.mapping.excluded_from_icp()).fit(train, &y)?;
        let names = self.mapping.get();
        let cols = Resolved::new(frame, &names);
        let segments = if cols.has_anomaly_inputs() {
            let inputs: Vec<AnomalyInputs<'_>> = (0..frame.nrows()).map(|i| cols.anomaly_inputs(i)).collect();
            Some(SegmentModel::fit(inputs.iter().copied(), &SegmentParams::new())?)
        } else {
            None
        };
        // Validate the runtime parts once.
        self.engagement.build()?;
        self.priority.build()?;
        // The columns scoring reads (ICP inputs, mapped columns), in the
        // frame's order: a frame to score needs these and no others.
        let mut used = icp.input_columns();
        used.extend(self.mapping.input_columns());
        let schema = frame
            .names()
            .iter()
            .zip(frame.columns())
            .filter(|(n, _)| Some(n.as_str()) != self.mapping.label_column() && used.contains(&n.as_str()))
            .map(|(n, c)| (n.clone(), c.kind()))
            .collect();
        let (rows, positives) = icp.training_counts();
        let metrics = FitMetrics {
            rows: frame.nrows(),
            labelled_rows: rows,
            positives,
            unlabelled_rows: frame.nrows() - rows,
            icp_family: icp.family(),
            icp_choice: icp.choice().to_string(),
        };
        let state = ScorerState {
            mapping: self.mapping.clone(),
            schema,
            icp,
            range: self.range,
            segments,
            as_of: self.as_of.unix_seconds(),
            engagement: self.engagement.clone(),
            priority: self.priority,
            metrics,
        };
        Scorer::from_state(state)
    }
}

fn label_values(col: &Column, name: &str) -> Result<Vec<Option<bool>>> {
    match col {
        Column::Boolean(v) => Ok(v.clone()),
        Column::Numeric(v) => Ok(v.iter().map(|x| x.map(|x| x != 0.0)).collect()),
        other => Err(crate::features::FeaturesError::WrongKind {
            column: name.to_string(),
            expected: ColumnKind::Boolean,
            found: other.kind(),
        }
        .into()),
    }
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
    icp: FittedIcp,
    range: RevenueRange,
    segments: Option<SegmentModel>,
    as_of: i64,
    engagement: EngagementParams,
    priority: PriorityParams,
    metrics: FitMetrics,
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

/// One reason behind a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reason {
    /// The component it comes from.
    pub component: Component,
    /// Stable machine-readable code (never contains `:` or `;`).
    pub code: String,
    /// Text a rep can read.
    pub text: String,
    /// Signed contribution in the component's unit: log-odds or points
    /// (ICP), −penalty (anomaly), priority lost to engagement (engagement).
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
    /// The ranking score in `[0, 1]`.
    pub priority: f64,
    /// Tier `A` (best) to `D`.
    pub tier: char,
    /// The reasons: ICP factors first, then anomaly and engagement notes.
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
        let mut checker = AnomalyChecker::new(AnomalyParams::new(Timestamp::from_unix_seconds(state.as_of)))?;
        if let Some(s) = &state.segments {
            checker = checker.with_segments(s.clone());
        }
        let engagement = state.engagement.build()?;
        let priority = state.priority.build()?;
        Ok(Scorer { state, router: Router::new(), checker, engagement, priority })
    }

    /// Figures recorded at fit time.
    pub fn metrics(&self) -> &FitMetrics {
        &self.state.metrics
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

    /// Checks that `frame` has every schema column with the same kind.
    ///
    /// # Errors
    /// [`Error::Schema`] naming the first column that is absent or of another kind.
    pub fn check_schema(&self, frame: &Frame) -> Result<()> {
        for (name, kind) in &self.state.schema {
            match frame.column(name) {
                Ok(c) if c.kind() == *kind => {}
                Ok(c) => {
                    return Err(Error::Schema { column: name.clone(), expected: Some(*kind), found: Some(c.kind()) });
                }
                Err(_) => return Err(Error::Schema { column: name.clone(), expected: Some(*kind), found: None }),
            }
        }
        Ok(())
    }

    /// Engagement per row of `ids` from activity rows: the raw decayed sum
    /// at `now`. Activities after `now` and activities of accounts not in
    /// `ids` are left out and counted in the returned [`EngagementTally`].
    ///
    /// # Errors
    /// An activity kind the engagement model does not know (named).
    pub fn engagement_from_events<'e>(
        &self,
        ids: &[&str],
        events: impl IntoIterator<Item = &'e EventRecord>,
        now: Timestamp,
    ) -> Result<(Vec<f64>, EngagementTally)> {
        let index: HashMap<&str, u32> = ids.iter().enumerate().map(|(k, id)| (*id, k as u32)).collect();
        let mut kinds: Vec<(&str, crate::engagement::KindId)> = Vec::new();
        let mut touches = Vec::new();
        let mut unknown_accounts = 0u64;
        for e in events {
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
        self.prepare(frame)?.score(i, engagement)
    }

    /// Binds the scorer to `frame` once (schema checked, columns resolved,
    /// the ICP model's per-column tables built) so that each row then scores
    /// in about a microsecond, reasons included. Batch scoring, ranking and
    /// [`Scorer::score_row`] all go through it.
    ///
    /// # Errors
    /// A frame that does not match the schema.
    pub fn prepare<'a>(&'a self, frame: &'a Frame) -> Result<PreparedScorer<'a>> {
        self.check_schema(frame)?;
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

    fn revenue_score(&self, est: &RevenueEstimate, penalty: f64) -> Result<RevenueScore> {
        let before = self.state.range.probability(est);
        let after = self.state.range.probability_with_penalty(est, penalty)?;
        Ok(RevenueScore {
            estimate: est.point,
            low: est.interval.low,
            high: est.interval.high,
            method: est.method.as_str().to_string(),
            in_range: after,
            in_range_before_penalty: before,
        })
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
        let priority = self.priority.score(icp.probability, revenue_p, saturated).get();
        let mut reasons: Vec<Reason> = Vec::with_capacity(icp.explanation.factors.len() + 2);
        reasons.extend(icp.explanation.factors.into_iter().map(|f: Factor| Reason {
            component: Component::Icp,
            code: f.code,
            text: f.text,
            contribution: f.contribution,
        }));
        let anomaly = report.map(|r| {
            for f in &r.findings {
                reasons.push(Reason {
                    component: Component::Anomaly,
                    code: format!("anomaly={}", f.code.as_str()),
                    text: f.message.clone(),
                    contribution: -r.penalty,
                });
            }
            AnomalyScore {
                penalty: r.penalty,
                checks: r.findings.iter().map(|f| f.code.as_str().to_string()).collect(),
                messages: r.findings.iter().map(|f| f.message.clone()).collect(),
            }
        });
        if let Some(e) = engagement
            && saturated.get() >= 0.5
        {
            reasons.push(Reason {
                component: Component::Engagement,
                code: "engagement=high".to_string(),
                text: format!("already worked recently (engagement {e:.1})"),
                contribution: priority - self.priority.score(icp.probability, revenue_p, Probability::ZERO).get(),
            });
        }
        let mut tier = icp.tier;
        if anomaly.as_ref().is_some_and(|a| a.penalty >= 0.5) {
            tier = match tier {
                'A' => 'B',
                'B' => 'C',
                _ => 'D',
            };
        }
        Ok(AccountScore {
            account_id,
            icp: icp.probability,
            icp_raw: icp.raw,
            icp_family: self.state.icp.family(),
            revenue,
            anomaly,
            engagement,
            priority,
            tier,
            reasons,
            skipped,
        })
    }
}

/// A negative or non-finite engagement value as an error.
fn bad_engagement(value: f64) -> Error {
    CoreError::OutOfRange { what: "engagement", value, min: 0.0, max: f64::INFINITY }.into()
}

/// The ICP part of a score, from the prepared path or `score_rows`.
struct IcpPart {
    probability: Probability,
    raw: f64,
    tier: char,
    explanation: Explanation,
}

impl From<IcpScore> for IcpPart {
    fn from(s: IcpScore) -> Self {
        IcpPart { probability: s.probability, raw: s.raw, tier: s.tier, explanation: s.explanation }
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
        let Some(p) = &self.icp else {
            let s = match &self.explainer {
                Some(e) => e.score(i)?,
                None => {
                    let mut s = self.scorer.state.icp.score_rows(self.frame, i..i + 1, true)?;
                    s.pop().ok_or(Error::Core(CoreError::Empty { what: "score" }))?
                }
            };
            return Ok(IcpPart::from(s));
        };
        let s = p.score(i)?;
        Ok(IcpPart { probability: s.probability, raw: s.raw, tier: s.tier, explanation: p.explanation(i, &s) })
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
            let penalty = if self.anomaly_on { scorer.checker.penalty(&self.cols.anomaly_inputs(i)) } else { 0.0 };
            let revenue_p = if self.revenue_on {
                let est = scorer.router.estimate(&self.cols.revenue_inputs(i));
                scorer.state.range.probability_with_penalty(&est, penalty)?
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
        let revenue = if self.revenue_on {
            let est = scorer.router.estimate(&self.cols.revenue_inputs(i));
            Some(scorer.revenue_score(&est, penalty)?)
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
