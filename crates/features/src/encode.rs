//! Encoders: fitted on a training [`Frame`], applied to any frame with the
//! same columns, producing a dense design matrix and one name per feature.
//!
//! Per column kind:
//! - **numeric**: optional clipping at fitted quantiles
//!   ([`PipelineParams::clip_quantiles`]), an optional transform (signed
//!   `log1p`), standardisation with the training mean and standard
//!   deviation, missing values imputed with the training median (after
//!   transform, so 0 after centring is not assumed) plus a missing indicator
//!   when the training data had any. Declared sentinel numbers
//!   ([`PipelineParams::sentinel`], e.g. `-1` for "never") get an indicator
//!   of their own and are imputed like missing values;
//! - **boolean**: 0/1, missing imputed as 0 with an indicator;
//! - **categorical**: one-hot over levels folded for case and surrounding
//!   whitespace (`Google` = ` google `), levels seen fewer than
//!   `min_frequency` times (or beyond the `max_levels` most frequent) go to a
//!   `__rare__` bucket, unseen values at transform time go to `__rare__` too
//!   (never an error), missing values to `__missing__` when the training
//!   data had any. Placeholder values (`Select`, `N/A`, see
//!   [`crate::placeholder`]) stay levels of their own unless
//!   [`PipelineParams::placeholders_as_missing`] is set;
//! - **job titles** ([`PipelineParams::title_column`], a categorical or text
//!   column): one-hot of the [`crate::title`] seniority and function buckets;
//! - **timestamps**: age in days at a reference time
//!   ([`PipelineParams::reference_time`], default the latest training
//!   timestamp; later timestamps give negative ages), then encoded as a
//!   number;
//! - other **text** columns are left out.
//!
//! Encoding walks blocks of rows (all columns of a block while it is in
//! cache), in parallel with the `parallel` feature; the result does not
//! depend on the number of threads.

use crate::placeholder::PlaceholderRules;
use crate::title::{self, JobFunction, Seniority};
use crate::{Column, ColumnKind, FeaturesError, Frame, Result};
use ndarray::{Array2, ArrayViewMut2, Axis};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// Name of the bucket for rare and unseen levels.
pub const RARE_LEVEL: &str = "__rare__";
/// Name of the level for missing categorical values.
pub const MISSING_LEVEL: &str = "__missing__";

/// How numeric columns are transformed before standardisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum NumericTransform {
    /// Standardise only.
    Standardize,
    /// `sign(x)·ln(1 + |x|)`, then standardise: the right default for
    /// heavy-tailed firmographics (employees, revenue, traffic).
    #[default]
    Log1pStandardize,
}

/// Parameters of a feature pipeline. Build with [`PipelineParams::new`] and
/// the setters, then [`PipelineParams::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineParams {
    numeric_transform: NumericTransform,
    min_frequency: usize,
    exclude: Vec<String>,
    transforms: BTreeMap<String, NumericTransform>,
    #[serde(default)]
    max_levels: Option<usize>,
    #[serde(default)]
    clip_quantiles: Option<(f64, f64)>,
    #[serde(default)]
    column_clip_quantiles: BTreeMap<String, (f64, f64)>,
    #[serde(default)]
    title_columns: Vec<String>,
    #[serde(default)]
    placeholders_as_missing: bool,
    #[serde(default)]
    placeholder_rules: PlaceholderRules,
    #[serde(default)]
    sentinels: BTreeMap<String, Vec<f64>>,
    #[serde(default)]
    reference_time: Option<i64>,
}

impl Default for PipelineParams {
    fn default() -> Self {
        Self::new()
    }
}

impl PipelineParams {
    /// Defaults: signed log1p + standardise, `min_frequency` 10, every level
    /// kept, no clipping, placeholders kept as levels, nothing excluded.
    pub fn new() -> Self {
        PipelineParams {
            numeric_transform: NumericTransform::default(),
            min_frequency: 10,
            exclude: Vec::new(),
            transforms: BTreeMap::new(),
            max_levels: None,
            clip_quantiles: None,
            column_clip_quantiles: BTreeMap::new(),
            title_columns: Vec::new(),
            placeholders_as_missing: false,
            placeholder_rules: PlaceholderRules::default(),
            sentinels: BTreeMap::new(),
            reference_time: None,
        }
    }

    /// Transform applied to every numeric column without its own.
    pub fn numeric_transform(mut self, t: NumericTransform) -> Self {
        self.numeric_transform = t;
        self
    }

    /// Transform for one numeric column.
    pub fn column_transform(mut self, column: impl Into<String>, t: NumericTransform) -> Self {
        self.transforms.insert(column.into(), t);
        self
    }

    /// Levels seen fewer times than this go to the rare bucket (at least 1).
    pub fn min_frequency(mut self, n: usize) -> Self {
        self.min_frequency = n;
        self
    }

    /// At most this many levels per categorical column get a feature (the
    /// most frequent; ties by name); the others go to the rare bucket.
    pub fn max_levels(mut self, n: usize) -> Self {
        self.max_levels = Some(n);
        self
    }

    /// Columns left out (ids, the target, leaky columns).
    pub fn exclude<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.exclude.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Clips every numeric column at its fitted `lo` and `hi` quantiles
    /// (e.g. 0.01, 0.99) before transforming it.
    pub fn clip_quantiles(mut self, lo: f64, hi: f64) -> Self {
        self.clip_quantiles = Some((lo, hi));
        self
    }

    /// Quantile clipping for one column (overrides [`PipelineParams::clip_quantiles`]).
    pub fn column_clip_quantiles(mut self, column: impl Into<String>, lo: f64, hi: f64) -> Self {
        self.column_clip_quantiles.insert(column.into(), (lo, hi));
        self
    }

    /// Treats a categorical or text column as job titles (see [`crate::title`]).
    pub fn title_column(mut self, column: impl Into<String>) -> Self {
        self.title_columns.push(column.into());
        self
    }

    /// Whether placeholder values (see [`crate::placeholder`]) of
    /// categorical columns count as missing (default `false`: they keep a
    /// level of their own, since a form default can carry signal).
    pub fn placeholders_as_missing(mut self, yes: bool) -> Self {
        self.placeholders_as_missing = yes;
        self
    }

    /// What counts as a placeholder string.
    pub fn placeholder_rules(mut self, rules: PlaceholderRules) -> Self {
        self.placeholder_rules = rules;
        self
    }

    /// Declares a sentinel number of a numeric column (`-1` for "never"):
    /// it gets an indicator feature and is imputed like a missing value.
    pub fn sentinel(mut self, column: impl Into<String>, value: f64) -> Self {
        self.sentinels.entry(column.into()).or_default().push(value);
        self
    }

    /// Reference time (Unix seconds) for the age of timestamp columns.
    pub fn reference_time(mut self, unix_seconds: i64) -> Self {
        self.reference_time = Some(unix_seconds);
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |name: &'static str, reason: &'static str| -> Result<()> {
            Err(acctscore_core::CoreError::InvalidParameter { name, reason }.into())
        };
        if self.min_frequency == 0 {
            return bad("min_frequency", "must be at least 1");
        }
        if self.max_levels == Some(0) {
            return bad("max_levels", "must be at least 1");
        }
        for &(lo, hi) in self.clip_quantiles.iter().chain(self.column_clip_quantiles.values()) {
            if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
                return bad("clip_quantiles", "need 0 <= lo < hi <= 1");
            }
        }
        if self.sentinels.values().flatten().any(|s| !s.is_finite()) {
            return bad("sentinel", "must be finite");
        }
        Ok(())
    }

    /// Fits the encoders on `frame`.
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `Empty` for a frame without rows, or
    /// `InvalidParameter` for `min_frequency` 0, `max_levels` 0 or bad
    /// quantiles; [`FeaturesError::WrongKind`] for a title column that
    /// holds neither categories nor text.
    pub fn fit(&self, frame: &Frame) -> Result<FittedPipeline> {
        self.check()?;
        if frame.nrows() == 0 {
            return Err(acctscore_core::CoreError::Empty { what: "frame" }.into());
        }
        let jobs: Vec<(&String, &Column)> =
            frame.names().iter().zip(frame.columns()).filter(|(n, _)| !self.exclude.iter().any(|e| e == *n)).collect();
        let fit_one = |(name, col): &(&String, &Column)| self.fit_column(name, col);
        #[cfg(feature = "parallel")]
        let fitted: Vec<Result<Option<FittedColumn>>> = {
            use rayon::prelude::*;
            jobs.par_iter().map(fit_one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let fitted: Vec<Result<Option<FittedColumn>>> = jobs.iter().map(fit_one).collect();
        let mut encoders = Vec::new();
        for f in fitted {
            if let Some(fc) = f? {
                encoders.push(fc);
            }
        }
        let mut features = Vec::new();
        for fc in &encoders {
            fc.describe(&mut features);
        }
        Ok(FittedPipeline { columns: encoders, features })
    }

    fn fit_column(&self, name: &str, col: &Column) -> Result<Option<FittedColumn>> {
        let transform = *self.transforms.get(name).unwrap_or(&self.numeric_transform);
        let clip = self.column_clip_quantiles.get(name).copied().or(self.clip_quantiles);
        let sentinels = self.sentinels.get(name).cloned().unwrap_or_default();
        let is_title = self.title_columns.iter().any(|t| t == name);
        let enc = match col {
            _ if is_title => match col {
                Column::Categorical(_) | Column::Text(_) => Some(ColumnEncoder::Title),
                other => {
                    return Err(FeaturesError::WrongKind {
                        column: name.to_string(),
                        expected: ColumnKind::Text,
                        found: other.kind(),
                    });
                }
            },
            Column::Numeric(v) => Some(ColumnEncoder::Numeric(fit_numeric(v, transform, clip, sentinels))),
            Column::Boolean(v) => Some(ColumnEncoder::Boolean { has_missing: v.iter().any(Option::is_none) }),
            Column::Categorical(c) => Some(fit_categorical(c, self)),
            Column::Timestamp(v) => {
                let reference = self.reference_time.or_else(|| v.iter().flatten().max().copied()).unwrap_or(0);
                let ages: Vec<Option<f64>> = v.iter().map(|t| t.map(|t| age_days(reference, t))).collect();
                Some(ColumnEncoder::Timestamp { reference, fit: fit_numeric(&ages, transform, clip, Vec::new()) })
            }
            Column::Text(_) => None,
        };
        Ok(enc.map(|encoder| FittedColumn { column: name.to_string(), encoder }))
    }
}

fn age_days(reference: i64, t: i64) -> f64 {
    (reference as i128 - t as i128) as f64 / 86_400.0
}

/// `ln(1 + k)` for small non-negative integers (many firmographics are
/// counts); the same values `ln_1p` gives, looked up.
fn log1p_table() -> &'static [f64] {
    static T: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    T.get_or_init(|| (0..LOG1P_TABLE).map(|k| (k as f64).ln_1p()).collect())
}

const LOG1P_TABLE: usize = 1 << 14;

#[inline]
fn signed_log1p(x: f64) -> f64 {
    let a = x.abs();
    let k = a as usize;
    let l = if k < LOG1P_TABLE && k as f64 == a { log1p_table()[k] } else { a.ln_1p() };
    if x < 0.0 { -l } else { l }
}

/// The `q` quantile (nearest rank on the sorted values) of a non-empty slice; reorders it.
fn quantile_select(v: &mut [f64], q: f64) -> f64 {
    let k = ((v.len() - 1) as f64 * q).round() as usize;
    let k = k.min(v.len() - 1);
    *v.select_nth_unstable_by(k, f64::total_cmp).1
}

/// Fitted numeric encoder: clip bounds, transform, centring and scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NumericFit {
    transform: NumericTransform,
    mean: f64,
    std: f64,
    median: f64,
    has_missing: bool,
    #[serde(default)]
    clip: Option<(f64, f64)>,
    #[serde(default)]
    sentinels: Vec<f64>,
}

impl NumericFit {
    /// The transformed value, `None` when missing or a sentinel.
    #[inline]
    fn value(&self, x: Option<f64>) -> Option<f64> {
        let x = x.filter(|x| x.is_finite() && !self.sentinels.contains(x))?;
        let x = match self.clip {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        };
        Some(apply_transform(self.transform, x))
    }

    #[inline]
    fn encode(&self, x: Option<f64>, row: &mut [f64]) {
        let t = self.value(x);
        row[0] = (t.unwrap_or(self.median) - self.mean) / self.std;
        let mut k = 1;
        if self.has_missing {
            row[k] = f64::from(u8::from(t.is_none() && !self.is_sentinel(x)));
            k += 1;
        }
        if !self.sentinels.is_empty() {
            row[k] = f64::from(u8::from(self.is_sentinel(x)));
        }
    }

    #[inline]
    fn is_sentinel(&self, x: Option<f64>) -> bool {
        x.is_some_and(|x| self.sentinels.contains(&x))
    }

    fn width(&self) -> usize {
        1 + usize::from(self.has_missing) + usize::from(!self.sentinels.is_empty())
    }
}

fn fit_numeric(
    values: &[Option<f64>],
    transform: NumericTransform,
    clip_q: Option<(f64, f64)>,
    sentinels: Vec<f64>,
) -> NumericFit {
    let mut raw: Vec<f64> = Vec::with_capacity(values.len());
    let mut has_missing = false;
    for v in values {
        match v {
            Some(x) if x.is_finite() && !sentinels.contains(x) => raw.push(*x),
            Some(x) if sentinels.contains(x) => {}
            _ => has_missing = true,
        }
    }
    let clip = match clip_q {
        Some((lo, hi)) if !raw.is_empty() => Some((quantile_select(&mut raw, lo), quantile_select(&mut raw, hi))),
        _ => None,
    };
    let mut present: Vec<f64> = raw
        .into_iter()
        .map(|x| {
            let x = match clip {
                Some((lo, hi)) => x.clamp(lo, hi),
                None => x,
            };
            apply_transform(transform, x)
        })
        .collect();
    let n = present.len() as f64;
    let (mean, std, median) = if present.is_empty() {
        (0.0, 1.0, 0.0)
    } else {
        let mean = present.iter().sum::<f64>() / n;
        let var = present.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        let len = present.len();
        let mid = len / 2;
        let upper = *present.select_nth_unstable_by(mid, f64::total_cmp).1;
        let median = if len % 2 == 1 {
            upper
        } else {
            // The largest value below the upper middle.
            let lower = present[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            0.5 * (lower + upper)
        };
        (mean, std, median)
    };
    NumericFit { transform, mean, std, median, has_missing, clip, sentinels }
}

fn apply_transform(t: NumericTransform, x: f64) -> f64 {
    match t {
        NumericTransform::Standardize => x,
        NumericTransform::Log1pStandardize => signed_log1p(x),
    }
}

/// Folds a level for matching: surrounding whitespace trimmed, lower case.
pub fn fold_level(s: &str) -> String {
    s.trim().to_lowercase()
}

fn fit_categorical(c: &crate::CategoricalColumn, p: &PipelineParams) -> ColumnEncoder {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut has_missing = c.codes().iter().any(Option::is_none);
    let placeholders: Vec<String> = if p.placeholders_as_missing {
        p.placeholder_rules.tokens.iter().map(|t| fold_level(t)).collect()
    } else {
        Vec::new()
    };
    for (level, n) in c.levels().iter().zip(c.level_counts()) {
        if n == 0 {
            continue;
        }
        let folded = fold_level(level);
        if placeholders.contains(&folded) {
            has_missing = true;
            continue;
        }
        *counts.entry(folded).or_insert(0) += n;
    }
    let mut kept: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n >= p.min_frequency).collect();
    if let Some(max) = p.max_levels.filter(|m| kept.len() > *m) {
        // Most frequent first, ties by name; then back to name order.
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        kept.truncate(max);
        kept.sort_by(|a, b| a.0.cmp(&b.0));
    }
    // The rare bucket always exists so that unseen values have a place.
    ColumnEncoder::Categorical { levels: kept.into_iter().map(|(l, _)| l).collect(), has_missing, placeholders }
}

/// One encoded feature: where it comes from and how to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureInfo {
    /// Stable machine-readable name, `column` or `column=level` or `column:missing`.
    pub name: String,
    /// Source column.
    pub column: String,
    /// What the feature measures.
    pub role: FeatureRole,
}

/// What an encoded feature measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FeatureRole {
    /// The (clipped, transformed, standardised) value of a numeric column.
    Value,
    /// 1 when the source value is missing.
    MissingIndicator,
    /// 1 when a categorical column has this (folded) level.
    Level(String),
    /// A boolean column's value as 0/1.
    Flag,
    /// 1 when a numeric column holds one of its declared sentinel values.
    SentinelIndicator,
    /// Age in days of a timestamp at the reference time (transformed, standardised).
    AgeDays,
    /// 1 when a job title falls in this seniority bucket.
    Seniority(Seniority),
    /// 1 when a job title falls in this function bucket.
    Function(JobFunction),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum ColumnEncoder {
    Numeric(NumericFit),
    Boolean {
        has_missing: bool,
    },
    Categorical {
        levels: Vec<String>,
        has_missing: bool,
        #[serde(default)]
        placeholders: Vec<String>,
    },
    Title,
    Timestamp {
        reference: i64,
        fit: NumericFit,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FittedColumn {
    column: String,
    encoder: ColumnEncoder,
}

/// A fitted column bound to a frame's column, ready to fill rows.
enum Plan<'a> {
    Numeric(&'a NumericFit, &'a [Option<f64>]),
    Boolean(bool, &'a [Option<bool>]),
    /// Output slot per dictionary code, and the slot of missing values.
    Slots {
        slot_of_code: Vec<usize>,
        missing_slot: usize,
        codes: &'a [Option<u32>],
    },
    /// Title bucket slots (seniority, function) per dictionary code.
    TitleCodes {
        pairs: Vec<(usize, usize)>,
        codes: &'a [Option<u32>],
    },
    /// Title bucket slots per row for text (computed per distinct value).
    TitleText(Vec<(usize, usize)>),
    Timestamp(&'a NumericFit, i64, &'a [Option<i64>]),
}

const SENIORITY_WIDTH: usize = Seniority::ALL.len();

fn title_slots(t: &str) -> (usize, usize) {
    let n = title::normalise(t);
    let s = Seniority::ALL.iter().position(|x| *x == n.seniority).unwrap_or(0);
    let f = JobFunction::ALL.iter().position(|x| *x == n.function).unwrap_or(0);
    (s, SENIORITY_WIDTH + f)
}

const MISSING_TITLE: (usize, usize) = (SENIORITY_WIDTH - 1, SENIORITY_WIDTH + JobFunction::ALL.len() - 1);

impl FittedColumn {
    fn width(&self) -> usize {
        match &self.encoder {
            ColumnEncoder::Numeric(f) | ColumnEncoder::Timestamp { fit: f, .. } => f.width(),
            ColumnEncoder::Boolean { has_missing } => 1 + usize::from(*has_missing),
            ColumnEncoder::Categorical { levels, has_missing, .. } => levels.len() + 1 + usize::from(*has_missing),
            ColumnEncoder::Title => Seniority::ALL.len() + JobFunction::ALL.len(),
        }
    }

    fn describe(&self, out: &mut Vec<FeatureInfo>) {
        let c = &self.column;
        let mut push = |name: String, role| out.push(FeatureInfo { name, column: c.clone(), role });
        match &self.encoder {
            ColumnEncoder::Numeric(f) | ColumnEncoder::Timestamp { fit: f, .. } => {
                let role = if matches!(self.encoder, ColumnEncoder::Timestamp { .. }) {
                    FeatureRole::AgeDays
                } else {
                    FeatureRole::Value
                };
                push(c.clone(), role);
                if f.has_missing {
                    push(format!("{c}:missing"), FeatureRole::MissingIndicator);
                }
                if !f.sentinels.is_empty() {
                    push(format!("{c}:sentinel"), FeatureRole::SentinelIndicator);
                }
            }
            ColumnEncoder::Boolean { has_missing } => {
                push(c.clone(), FeatureRole::Flag);
                if *has_missing {
                    push(format!("{c}:missing"), FeatureRole::MissingIndicator);
                }
            }
            ColumnEncoder::Categorical { levels, has_missing, .. } => {
                for l in levels {
                    push(format!("{c}={l}"), FeatureRole::Level(l.clone()));
                }
                push(format!("{c}={RARE_LEVEL}"), FeatureRole::Level(RARE_LEVEL.to_string()));
                if *has_missing {
                    push(format!("{c}={MISSING_LEVEL}"), FeatureRole::Level(MISSING_LEVEL.to_string()));
                }
            }
            ColumnEncoder::Title => {
                for s in Seniority::ALL {
                    push(format!("{c}:seniority={}", s.as_str()), FeatureRole::Seniority(s));
                }
                for f in JobFunction::ALL {
                    push(format!("{c}:function={}", f.as_str()), FeatureRole::Function(f));
                }
            }
        }
    }

    /// Binds this encoder to `col` (checking its kind) for rows `rows`.
    fn plan<'a>(&'a self, col: &'a Column, rows: Range<usize>) -> Result<Plan<'a>> {
        let wrong = |expected| FeaturesError::WrongKind { column: self.column.clone(), expected, found: col.kind() };
        Ok(match (&self.encoder, col) {
            (ColumnEncoder::Numeric(f), Column::Numeric(v)) => Plan::Numeric(f, &v[rows]),
            (ColumnEncoder::Numeric(_), _) => return Err(wrong(ColumnKind::Numeric)),
            (ColumnEncoder::Boolean { has_missing }, Column::Boolean(v)) => Plan::Boolean(*has_missing, &v[rows]),
            (ColumnEncoder::Boolean { .. }, _) => return Err(wrong(ColumnKind::Boolean)),
            (ColumnEncoder::Categorical { levels, has_missing, placeholders }, Column::Categorical(c)) => {
                // Map the frame's own dictionary to output slots once.
                let index: HashMap<&str, usize> = levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
                let rare = levels.len();
                // Missing at transform time without a missing level: use the rare bucket.
                let missing_slot = if *has_missing { rare + 1 } else { rare };
                let slot_of_code = c
                    .levels()
                    .iter()
                    .map(|l| {
                        let f = fold_level(l);
                        if placeholders.contains(&f) { missing_slot } else { *index.get(f.as_str()).unwrap_or(&rare) }
                    })
                    .collect();
                Plan::Slots { slot_of_code, missing_slot, codes: &c.codes()[rows] }
            }
            (ColumnEncoder::Categorical { .. }, _) => return Err(wrong(ColumnKind::Categorical)),
            (ColumnEncoder::Title, Column::Categorical(c)) => {
                // Titles are normalised once per level.
                Plan::TitleCodes { pairs: c.levels().iter().map(|l| title_slots(l)).collect(), codes: &c.codes()[rows] }
            }
            (ColumnEncoder::Title, Column::Text(v)) => {
                let mut cache: HashMap<&str, (usize, usize)> = HashMap::new();
                Plan::TitleText(
                    v[rows]
                        .iter()
                        .map(|t| match t {
                            Some(t) => *cache.entry(t.as_str()).or_insert_with(|| title_slots(t)),
                            None => MISSING_TITLE,
                        })
                        .collect(),
                )
            }
            (ColumnEncoder::Title, _) => return Err(wrong(ColumnKind::Text)),
            (ColumnEncoder::Timestamp { reference, fit }, Column::Timestamp(v)) => {
                Plan::Timestamp(fit, *reference, &v[rows])
            }
            (ColumnEncoder::Timestamp { .. }, _) => return Err(wrong(ColumnKind::Timestamp)),
        })
    }
}

impl Plan<'_> {
    /// Fills rows `r` (relative to the plan's rows) of `x` (whose row 0 is
    /// row `r.start`) at columns `offset..`.
    fn fill(&self, x: &mut ArrayViewMut2<f64>, r: Range<usize>, offset: usize) {
        let width = x.ncols();
        let Some(block) = x.as_slice_mut() else {
            return;
        };
        // One match per block; rows of `block` are contiguous, `width` apart.
        let rows = block.chunks_exact_mut(width).zip(r).filter_map(|(row, i)| Some((row.get_mut(offset..)?, i)));
        match self {
            Plan::Numeric(f, v) => {
                for (out, i) in rows {
                    f.encode(v.get(i).copied().flatten(), out);
                }
            }
            Plan::Boolean(has_missing, v) => {
                for (out, i) in rows {
                    let value = v.get(i).copied().flatten();
                    out[0] = f64::from(u8::from(value.unwrap_or(false)));
                    if *has_missing {
                        out[1] = f64::from(u8::from(value.is_none()));
                    }
                }
            }
            Plan::Slots { slot_of_code, missing_slot, codes } => {
                for (out, i) in rows {
                    let slot = codes
                        .get(i)
                        .copied()
                        .flatten()
                        .and_then(|k| slot_of_code.get(k as usize).copied())
                        .unwrap_or(*missing_slot);
                    out[slot] = 1.0;
                }
            }
            Plan::TitleCodes { pairs, codes } => {
                for (out, i) in rows {
                    let (s, f) = codes
                        .get(i)
                        .copied()
                        .flatten()
                        .and_then(|k| pairs.get(k as usize).copied())
                        .unwrap_or(MISSING_TITLE);
                    out[s] = 1.0;
                    out[f] = 1.0;
                }
            }
            Plan::TitleText(pairs) => {
                for (out, i) in rows {
                    let (s, f) = pairs.get(i).copied().unwrap_or(MISSING_TITLE);
                    out[s] = 1.0;
                    out[f] = 1.0;
                }
            }
            Plan::Timestamp(f, reference, v) => {
                for (out, i) in rows {
                    f.encode(v.get(i).copied().flatten().map(|t| age_days(*reference, t)), out);
                }
            }
        }
    }
}

/// A fitted pipeline: plain data (serde), cheap to clone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    columns: Vec<FittedColumn>,
    features: Vec<FeatureInfo>,
}

/// Rows encoded together (all columns of a block while it is in cache).
const BLOCK_ROWS: usize = 512;

impl FittedPipeline {
    /// Names of the encoded features, in matrix column order.
    pub fn feature_names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// Description of each encoded feature, in matrix column order.
    pub fn features(&self) -> &[FeatureInfo] {
        &self.features
    }

    /// Source columns the pipeline reads.
    pub fn input_columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.column.as_str()).collect()
    }

    /// Encodes every row of `frame` (which must have the fitted columns, in any order).
    ///
    /// # Errors
    /// [`FeaturesError::MissingColumn`] or [`FeaturesError::WrongKind`].
    pub fn transform(&self, frame: &Frame) -> Result<Array2<f64>> {
        self.transform_rows(frame, 0..frame.nrows())
    }

    /// Encodes rows `rows` of `frame` only: for scoring a large frame in
    /// chunks without materialising its whole design matrix.
    ///
    /// # Errors
    /// As [`FittedPipeline::transform`], and [`FeaturesError::Core`] with
    /// `ShapeMismatch` when the range is out of bounds.
    pub fn transform_rows(&self, frame: &Frame, rows: Range<usize>) -> Result<Array2<f64>> {
        if rows.start > rows.end || rows.end > frame.nrows() {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "row range end vs frame rows",
                expected: frame.nrows(),
                found: rows.end,
            }
            .into());
        }
        let mut x = Array2::<f64>::zeros((rows.len(), self.features.len()));
        self.fill(frame, rows, &mut x)?;
        Ok(x)
    }

    /// Encodes every row of `frame` into `out`, reusing its memory (it is
    /// overwritten; no allocation of the matrix): for scoring loops.
    ///
    /// # Errors
    /// As [`FittedPipeline::transform`], and [`FeaturesError::Core`] with
    /// `ShapeMismatch` when `out` is not rows × features.
    pub fn transform_into(&self, frame: &Frame, out: &mut Array2<f64>) -> Result<()> {
        if out.dim() != (frame.nrows(), self.features.len()) {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "output rows vs frame rows",
                expected: frame.nrows(),
                found: out.nrows(),
            }
            .into());
        }
        out.fill(0.0);
        self.fill(frame, 0..frame.nrows(), out)
    }

    /// Writes rows `rows` of `frame` into `x` (zeroed, `rows.len()` × features).
    fn fill(&self, frame: &Frame, rows: Range<usize>, x: &mut Array2<f64>) -> Result<()> {
        let mut plans = Vec::with_capacity(self.columns.len());
        let mut offset = 0;
        for fc in &self.columns {
            let col = frame.column(&fc.column)?;
            plans.push((fc.plan(col, rows.clone())?, offset));
            offset += fc.width();
        }
        // A pipeline read from a damaged or hand-edited file may list other
        // features than its encoders write: refuse rather than write out of bounds.
        if offset != self.features.len() || offset != x.ncols() {
            return Err(FeaturesError::InvalidConfig {
                reason: format!(
                    "the fitted pipeline's encoders write {offset} features but it lists {}",
                    self.features.len()
                ),
            });
        }
        if self.features.is_empty() || !x.is_standard_layout() {
            return Ok(());
        }
        let fill_block = |(b, mut block): (usize, ArrayViewMut2<f64>)| {
            let start = b * BLOCK_ROWS;
            let r = start..start + block.nrows();
            for (plan, offset) in &plans {
                plan.fill(&mut block, r.clone(), *offset);
            }
        };
        let blocks = x.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS).enumerate();
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            blocks.collect::<Vec<_>>().into_par_iter().for_each(fill_block);
        }
        #[cfg(not(feature = "parallel"))]
        blocks.for_each(fill_block);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame::new(vec![
            ("n".to_string(), Column::numeric(vec![Some(1.0), Some(3.0), None, Some(5.0)])),
            ("c".to_string(), Column::categorical([Some("A"), Some(" a "), Some("b"), None])),
            ("f".to_string(), Column::Boolean(vec![Some(true), Some(false), Some(true), Some(false)])),
        ])
        .expect("valid frame")
    }

    #[test]
    fn encodes_numbers_levels_and_flags() {
        let f = frame();
        let p = PipelineParams::new()
            .numeric_transform(NumericTransform::Standardize)
            .min_frequency(2)
            .fit(&f)
            .expect("fit");
        assert_eq!(p.feature_names(), ["n", "n:missing", "c=a", "c=__rare__", "c=__missing__", "f"]);
        let x = p.transform(&f).expect("transform");
        // mean 3, population std sqrt(8/3); missing imputed with the median 3 -> 0.
        let std = (8.0f64 / 3.0).sqrt();
        assert!((x[[0, 0]] - (1.0 - 3.0) / std).abs() < 1e-12);
        assert_eq!(x[[2, 0]], 0.0);
        assert_eq!(x.column(1).to_vec(), [0.0, 0.0, 1.0, 0.0]);
        assert_eq!(x.column(2).to_vec(), [1.0, 1.0, 0.0, 0.0]);
        assert_eq!(x.column(3).to_vec(), [0.0, 0.0, 1.0, 0.0]);
        assert_eq!(x.column(4).to_vec(), [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(x.column(5).to_vec(), [1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn unseen_levels_go_to_rare_and_serde_round_trips() {
        let f = frame();
        let p = PipelineParams::new().min_frequency(1).fit(&f).expect("fit");
        let other = Frame::new(vec![
            ("c".to_string(), Column::categorical([Some("zzz")])),
            ("n".to_string(), Column::numeric(vec![Some(2.0)])),
            ("f".to_string(), Column::Boolean(vec![None])),
        ])
        .expect("valid");
        let x = p.transform(&other).expect("unseen is fine");
        let names = p.feature_names();
        let rare = names.iter().position(|n| *n == "c=__rare__").expect("rare exists");
        assert_eq!(x[[0, rare]], 1.0);
        let json = serde_json::to_string(&p).expect("ser");
        let back: FittedPipeline = serde_json::from_str(&json).expect("de");
        assert_eq!(back, p);
    }

    #[test]
    fn wrong_kind_and_missing_columns_are_errors() {
        let f = frame();
        let p = PipelineParams::new().fit(&f).expect("fit");
        let bad = Frame::new(vec![("n".to_string(), Column::Boolean(vec![Some(true)]))]).expect("valid");
        assert!(p.transform(&bad).is_err());
        assert!(PipelineParams::new().min_frequency(0).fit(&f).is_err());
        assert!(PipelineParams::new().clip_quantiles(0.9, 0.1).fit(&f).is_err());
    }

    #[test]
    fn clipping_titles_timestamps_sentinels_and_placeholders() {
        let n = 200;
        let vals: Vec<Option<f64>> = (0..n).map(|i| Some(if i == 0 { 1e9 } else { i as f64 })).collect();
        let days: Vec<Option<f64>> = (0..n).map(|i| Some(if i % 4 == 0 { -1.0 } else { i as f64 })).collect();
        let titles: Vec<Option<&str>> =
            (0..n).map(|i| [Some("VP Sales"), Some("Mktg Mgr"), None, Some("ceo")][i % 4]).collect();
        let forms: Vec<Option<&str>> = (0..n).map(|i| [Some("Select"), Some("Finance"), Some("HR")][i % 3]).collect();
        let ts: Vec<Option<i64>> = (0..n).map(|i| Some(1_700_000_000 - i as i64 * 86_400)).collect();
        let f = Frame::new(vec![
            ("v".to_string(), Column::numeric(vals)),
            ("d".to_string(), Column::numeric(days)),
            ("t".to_string(), Column::categorical(titles)),
            ("form".to_string(), Column::categorical(forms)),
            ("ts".to_string(), Column::Timestamp(ts)),
        ])
        .expect("frame");
        let p = PipelineParams::new()
            .numeric_transform(NumericTransform::Standardize)
            .clip_quantiles(0.0, 0.99)
            .sentinel("d", -1.0)
            .title_column("t")
            .reference_time(1_700_000_000)
            .fit(&f)
            .expect("fit");
        let names = p.feature_names();
        assert!(names.contains(&"d:sentinel"));
        assert!(names.contains(&"t:seniority=vp"));
        assert!(names.contains(&"t:function=sales"));
        assert!(names.contains(&"form=select"), "placeholders keep their level by default");
        let x = p.transform(&f).expect("transform");
        let col = |name: &str| names.iter().position(|n| *n == name).expect("feature");
        // The outlier is clipped to the 99% quantile, so its z-score stays moderate.
        assert!(x[[0, col("v")]] < 3.0);
        assert_eq!(x[[0, col("d:sentinel")]], 1.0);
        assert_eq!(x[[1, col("d:sentinel")]], 0.0);
        assert_eq!(x[[0, col("t:seniority=vp")]], 1.0);
        assert_eq!(x[[2, col("t:seniority=missing")]], 1.0);
        assert_eq!(x[[3, col("t:seniority=clevel")]], 1.0);
        // Ages grow with the row index (one day each).
        assert!(x[[10, col("ts")]] > x[[5, col("ts")]]);
        let q = PipelineParams::new().placeholders_as_missing(true).fit(&f).expect("fit");
        let qn = q.feature_names();
        assert!(!qn.contains(&"form=select"));
        assert!(qn.contains(&"form=__missing__"));
        let json = serde_json::to_string(&p).expect("ser");
        assert_eq!(serde_json::from_str::<FittedPipeline>(&json).expect("de"), p);
    }

    #[test]
    fn max_levels_keeps_the_most_frequent() {
        let c: Vec<Option<&str>> = ["a", "a", "a", "b", "b", "c"].iter().map(|s| Some(*s)).collect();
        let f = Frame::new(vec![("c".to_string(), Column::categorical(c))]).expect("frame");
        let p = PipelineParams::new().min_frequency(1).max_levels(2).fit(&f).expect("fit");
        assert_eq!(p.feature_names(), ["c=a", "c=b", "c=__rare__"]);
    }

    #[test]
    fn blocks_and_row_ranges_agree() {
        let n = 3 * BLOCK_ROWS + 7;
        let v: Vec<Option<f64>> = (0..n).map(|i| if i % 5 == 0 { None } else { Some(i as f64) }).collect();
        let c: Vec<Option<String>> = (0..n).map(|i| Some(format!("l{}", i % 7))).collect();
        let f = Frame::new(vec![("v".to_string(), Column::numeric(v)), ("c".to_string(), Column::categorical(c))])
            .expect("frame");
        let p = PipelineParams::new().fit(&f).expect("fit");
        let all = p.transform(&f).expect("all");
        let part = p.transform_rows(&f, 600..1500).expect("part");
        let mut reused = Array2::from_elem(all.dim(), 7.0);
        p.transform_into(&f, &mut reused).expect("into");
        assert_eq!(reused, all);
        assert_eq!(part, all.slice_axis(Axis(0), ndarray::Slice::from(600..1500)));
    }
}
