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
mod params;
mod prepared;
mod report;
mod score;
mod shown;

pub use file::{FORMAT_NAME, FORMAT_VERSION, ModelFileError, READABLE};
pub use mapping::ColumnMapping;
pub use params::ScorerParams;
pub use prepared::{BaseScores, EngagementTally, PreparedScorer};
pub use report::{
    DEFAULT_TIER_SHARES, FitReport, GateAction, GatedColumn, QualityTiers, RevenueModel, RevenueSource, TierSource,
};
pub use score::{AccountScore, AnomalyScore, Reason, RevenueScore};

use crate::anomaly::{AnomalyChecker, AnomalyInputs, AnomalyParams, AnomalyReport, SegmentModel, SegmentParams};
use crate::calibration::{CalibrationMethod, IsotonicParams};
use crate::core::{CoreError, InvalidModel, Probability, Problem, Timestamp};
use crate::engagement::{EngagementModel, EngagementParams, Priority, PriorityParams, Touch};
use crate::features::encode::{NumericTransform, PipelineParams};
use crate::features::quality::{QualityParams, QualityReport, Target};
use crate::frame::{Column, ColumnKind, Frame};
use crate::icp::explain::{Explanation, Factor};
use crate::icp::prepared::PreparedIcp;
use crate::icp::propensity::{Family, FamilyChoice, FittedIcp, IcpParams};
use crate::icp::rules::RuleSet;
use crate::pool::EventRecord;
use crate::revenue::{BusinessModel, LearnedParams, Method, RevenueEstimate, RevenueInputs, RevenueRange, Router};
use crate::{Error, NeededBy, Result};
use mapping::MappedNames;
use params::{all_missing, anomaly_checker, converted, missing};
use prepared::{IcpPart, bad_engagement};
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
///
/// ```
/// use acctscore_scorer::pool::{PoolGenerator, accounts_to_frame};
/// use acctscore_scorer::{Scorer, ScorerParams};
///
/// let pool = PoolGenerator::new(2_000).seed(5).events(false).generate();
/// let frame = accounts_to_frame(&pool.accounts)?;
/// let scorer = ScorerParams::new().fit(&frame)?;
/// let dir = std::env::temp_dir().join(format!("acctscore-doc-scorer-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// scorer.save(dir.join("model.json"))?;
/// let loaded = Scorer::load(dir.join("model.json"))?;
/// let scores = loaded.score_frame(&frame, None)?;
/// assert_eq!(scores, scorer.score_frame(&frame, None)?); // the same scores after a round trip
/// assert_eq!(scores.len(), frame.nrows());
/// assert!(scores.iter().all(|s| ('A'..='D').contains(&s.tier)));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Scorer {
    state: ScorerState,
    router: Router,
    checker: AnomalyChecker,
    engagement: EngagementModel,
    priority: Priority,
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
        let engagement = state.engagement.fit()?;
        let priority = state.priority.fit()?;
        Ok(Scorer { state, router: Router::new(), checker, engagement, priority })
    }

    /// Figures recorded at fit time.
    pub fn metrics(&self) -> &FitMetrics {
        &self.state.metrics
    }

    /// The preferred monthly revenue range: the revenue score is the
    /// probability that an account's revenue lies in it
    /// ([`ScorerParams::revenue_range`]).
    pub fn revenue_range(&self) -> RevenueRange {
        self.state.range
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
        let icp = self.state.icp.prepare(frame)?;
        let names = self.state.mapping.get();
        let cols = Resolved::new(frame, &names);
        Ok(PreparedScorer {
            scorer: self,
            frame,
            icp,
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
