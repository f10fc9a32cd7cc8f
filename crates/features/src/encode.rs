//! Encoders: fitted on a training [`Frame`], applied to any frame with the
//! same columns, producing a dense design matrix and one name per feature.
//!
//! Per column kind:
//! - **numeric**: clipping to the training range (default: the minimum
//!   and maximum, so a scoring value beyond what the model saw is scored
//!   as the nearest value it saw, never extrapolated; other fitted
//!   quantiles with [`PipelineParams::clip_quantiles`]; the bounds are in
//!   [`FittedPipeline::numeric_range`]), an optional transform (signed
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
//!
//! For scoring one source column at a time without a design matrix,
//! [`FittedPipeline::bind`] binds each encoder to its column once, and a
//! [`BoundColumn`] encodes one row — or, for categorical, boolean and title
//! columns, one *key* shared by many rows — with the same code the matrix
//! path runs.

use crate::placeholder::PlaceholderRules;
use crate::title::{self, JobFunction, Seniority};
use crate::{Column, ColumnKind, FeaturesError, Frame, FrameError, Result};
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
    /// kept, numbers clipped to their training range (quantiles 0 and 1),
    /// placeholders kept as levels, nothing excluded.
    pub fn new() -> Self {
        PipelineParams {
            numeric_transform: NumericTransform::default(),
            min_frequency: 10,
            exclude: Vec::new(),
            transforms: BTreeMap::new(),
            max_levels: None,
            clip_quantiles: Some((0.0, 1.0)),
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
    /// (e.g. 0.01, 0.99) before transforming it (default 0 and 1: the
    /// training minimum and maximum).
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
    /// quantiles; [`FrameError::WrongKind`] for a title column that
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
                    return Err(FrameError::WrongKind {
                        column: name.to_string(),
                        expected: ColumnKind::Text,
                        found: other.kind(),
                    }
                    .into());
                }
            },
            Column::Numeric(v) => Some(ColumnEncoder::Numeric(fit_numeric(v.iter(), transform, clip, sentinels))),
            Column::Boolean(v) => Some(ColumnEncoder::Boolean { has_missing: v.iter().any(Option::is_none) }),
            Column::Categorical(c) => Some(fit_categorical(c, self)),
            Column::Timestamp(v) => {
                let reference = self.reference_time.or_else(|| v.iter().flatten().max().copied()).unwrap_or(0);
                let ages = v.iter().map(|t| t.map(|t| age_days(reference, t)));
                Some(ColumnEncoder::Timestamp { reference, fit: fit_numeric(ages, transform, clip, Vec::new()) })
            }
            // Text is not encoded; nor is a kind newer than this crate
            // (`Column` is non-exhaustive).
            _ => None,
        };
        Ok(enc.map(|encoder| FittedColumn { column: name.to_string(), encoder }))
    }
}

fn age_days(reference: i64, t: i64) -> f64 {
    (reference as i128 - t as i128) as f64 / 86_400.0
}

/// `ln(1 + k)` for small non-negative integers (many firmographics are
/// counts); the same values `ln_1p` gives, looked up.
#[inline]
fn log1p_table() -> &'static [f64] {
    static T: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    T.get_or_init(|| (0..LOG1P_TABLE).map(|k| (k as f64).ln_1p()).collect())
}

const LOG1P_TABLE: usize = 1 << 14;

#[inline]
fn signed_log1p(x: f64) -> f64 {
    let a = x.abs();
    // Signed conversions are single instructions; `a` is below 2^14 there.
    let k = a as i64;
    let l = match log1p_table().get(k as usize) {
        Some(&l) if a < LOG1P_TABLE as f64 && k as f64 == a => l,
        _ => a.ln_1p(),
    };
    if x < 0.0 { -l } else { l }
}

/// The rank (0-based, on the sorted values) of the `q` quantile of `len > 0`
/// values: the nearest rank.
fn quantile_rank(len: usize, q: f64) -> usize {
    let k = ((len - 1) as f64 * q).round() as usize;
    k.min(len - 1)
}

/// The value of rank `k` in `v` (by `total_cmp`), when `v` is already
/// partitioned around rank `mid` (as `select_nth_unstable` leaves it): only
/// the side of `mid` that holds rank `k` is searched (and reordered).
fn order_statistic(v: &mut [f64], k: usize, mid: usize) -> f64 {
    match k.cmp(&mid) {
        std::cmp::Ordering::Equal => v[mid],
        std::cmp::Ordering::Less => *v[..mid].select_nth_unstable_by(k, f64::total_cmp).1,
        std::cmp::Ordering::Greater => *v[mid + 1..].select_nth_unstable_by(k - mid - 1, f64::total_cmp).1,
    }
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
    #[inline(always)]
    fn value(&self, x: Option<f64>) -> Option<f64> {
        let x = x.filter(|x| x.is_finite() && !self.is_sentinel_value(*x))?;
        let x = match self.clip {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        };
        Some(apply_transform(self.transform, x))
    }

    #[inline(always)]
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
        x.is_some_and(|x| self.is_sentinel_value(x))
    }

    /// Whether `x` is a declared sentinel (most columns declare none).
    #[inline(always)]
    fn is_sentinel_value(&self, x: f64) -> bool {
        !self.sentinels.is_empty() && self.sentinels.contains(&x)
    }

    fn width(&self) -> usize {
        1 + usize::from(self.has_missing) + usize::from(!self.sentinels.is_empty())
    }
}

fn fit_numeric(
    values: impl ExactSizeIterator<Item = Option<f64>>,
    transform: NumericTransform,
    clip_q: Option<(f64, f64)>,
    sentinels: Vec<f64>,
) -> NumericFit {
    let mut raw: Vec<f64> = Vec::with_capacity(values.len());
    let mut has_missing = false;
    for v in values {
        match v {
            Some(x) if x.is_finite() && !sentinels.contains(&x) => raw.push(x),
            Some(x) if sentinels.contains(&x) => {}
            _ => has_missing = true,
        }
    }
    if raw.is_empty() {
        return NumericFit { transform, mean: 0.0, std: 1.0, median: 0.0, has_missing, clip: None, sentinels };
    }
    // Order statistics on the raw values: the median's first, then the clip
    // quantiles within the side of it they fall on. Clipping and the
    // transform are monotone, so the median of the transformed values is
    // the transform of the raw middle values (no second selection).
    let len = raw.len();
    let mid = len / 2;
    let upper_raw = *raw.select_nth_unstable_by(mid, f64::total_cmp).1;
    let lower_raw = len.is_multiple_of(2).then(|| raw[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max));
    let clip = clip_q.map(|(lo, hi)| {
        (order_statistic(&mut raw, quantile_rank(len, lo), mid), order_statistic(&mut raw, quantile_rank(len, hi), mid))
    });
    let encode = |x: f64| {
        let x = match clip {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        };
        apply_transform(transform, x)
    };
    let upper = encode(upper_raw);
    let median = match lower_raw {
        Some(lower) => 0.5 * (encode(lower) + upper),
        None => upper,
    };
    let present: Vec<f64> = raw.into_iter().map(encode).collect();
    let n = present.len() as f64;
    let mean = present.iter().sum::<f64>() / n;
    let var = present.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let std = if var > 0.0 { var.sqrt() } else { 1.0 };
    NumericFit { transform, mean, std, median, has_missing, clip, sentinels }
}

#[inline]
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
    let mut has_missing = c.codes().contains(&crate::CategoricalColumn::MISSING);
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
#[derive(Debug)]
enum Plan<'a> {
    Numeric(&'a NumericFit, &'a [f64]),
    Boolean(FlagPlan<'a>),
    Slots(SlotPlan<'a>),
    Title(TitlePlan<'a>),
    Timestamp(&'a NumericFit, i64, &'a [Option<i64>]),
}

/// A boolean column: keys 0 (false), 1 (true), 2 (missing).
#[derive(Debug)]
struct FlagPlan<'a> {
    has_missing: bool,
    values: &'a [Option<bool>],
}

impl FlagPlan<'_> {
    const KEYS: usize = 3;

    #[inline]
    fn key(&self, i: usize) -> usize {
        match self.values.get(i).copied().flatten() {
            Some(false) => 0,
            Some(true) => 1,
            None => 2,
        }
    }

    /// Writes the flag (and its missing indicator) of `key` into `out`.
    #[inline]
    fn encode_key(&self, key: usize, out: &mut [f64]) {
        out[0] = f64::from(u8::from(key == 1));
        if self.has_missing {
            out[1] = f64::from(u8::from(key == 2));
        }
    }
}

/// A categorical column: the key of a row is its output slot (a kept
/// level, the rare bucket or the missing level).
#[derive(Debug)]
struct SlotPlan<'a> {
    /// Output slot per dictionary code.
    slot_of_code: Vec<usize>,
    /// Slot of missing values.
    missing_slot: usize,
    /// Codes ([`crate::CategoricalColumn::MISSING`] beyond every slot).
    codes: &'a [u32],
    width: usize,
}

impl SlotPlan<'_> {
    #[inline]
    fn key(&self, i: usize) -> usize {
        self.codes.get(i).and_then(|&k| self.slot_of_code.get(k as usize).copied()).unwrap_or(self.missing_slot)
    }

    /// Sets the one-hot slot `key` of a zeroed `out`.
    #[inline]
    fn encode_key(key: usize, out: &mut [f64]) {
        out[key] = 1.0;
    }
}

/// A job-title column: the key of a row is its (seniority, function) bucket pair.
#[derive(Debug)]
enum TitlePlan<'a> {
    /// Bucket slots (seniority, function) per dictionary code.
    Codes { pairs: Vec<(usize, usize)>, codes: &'a [u32] },
    /// Bucket slots per row of free text (computed per distinct value).
    Text(Vec<(usize, usize)>),
}

const FUNCTION_WIDTH: usize = JobFunction::ALL.len();

impl TitlePlan<'_> {
    const KEYS: usize = SENIORITY_WIDTH * FUNCTION_WIDTH;

    #[inline]
    fn pair(&self, i: usize) -> (usize, usize) {
        match self {
            TitlePlan::Codes { pairs, codes } => {
                codes.get(i).and_then(|&k| pairs.get(k as usize).copied()).unwrap_or(MISSING_TITLE)
            }
            TitlePlan::Text(pairs) => pairs.get(i).copied().unwrap_or(MISSING_TITLE),
        }
    }

    #[inline]
    fn key(&self, i: usize) -> usize {
        let (s, f) = self.pair(i);
        s * FUNCTION_WIDTH + (f - SENIORITY_WIDTH)
    }

    /// Sets the two bucket slots of `pair` in a zeroed `out`.
    #[inline]
    fn encode_pair((s, f): (usize, usize), out: &mut [f64]) {
        out[s] = 1.0;
        out[f] = 1.0;
    }

    fn encode_key(key: usize, out: &mut [f64]) {
        Self::encode_pair((key / FUNCTION_WIDTH, SENIORITY_WIDTH + key % FUNCTION_WIDTH), out);
    }
}

const SENIORITY_WIDTH: usize = Seniority::ALL.len();

fn title_slots(t: &str) -> (usize, usize) {
    let n = title::normalise(t);
    let s = Seniority::ALL.iter().position(|x| *x == n.seniority).unwrap_or(0);
    let f = JobFunction::ALL.iter().position(|x| *x == n.function).unwrap_or(0);
    (s, SENIORITY_WIDTH + f)
}

const MISSING_TITLE: (usize, usize) = (SENIORITY_WIDTH - 1, SENIORITY_WIDTH + FUNCTION_WIDTH - 1);

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
        let wrong = |expected| {
            FeaturesError::from(FrameError::WrongKind { column: self.column.clone(), expected, found: col.kind() })
        };
        // The rows of a column's values (a range past its end is an error).
        fn part<'v, T>(v: &'v [T], rows: &Range<usize>) -> Result<&'v [T]> {
            v.get(rows.clone()).ok_or_else(|| {
                acctscore_core::CoreError::ShapeMismatch {
                    what: "row range end vs column rows",
                    expected: v.len(),
                    found: rows.end,
                }
                .into()
            })
        }
        Ok(match (&self.encoder, col) {
            (ColumnEncoder::Numeric(f), Column::Numeric(v)) => Plan::Numeric(f, part(v.values(), &rows)?),
            (ColumnEncoder::Numeric(_), _) => return Err(wrong(ColumnKind::Numeric)),
            (ColumnEncoder::Boolean { has_missing }, Column::Boolean(v)) => {
                Plan::Boolean(FlagPlan { has_missing: *has_missing, values: part(v, &rows)? })
            }
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
                Plan::Slots(SlotPlan {
                    slot_of_code,
                    missing_slot,
                    codes: part(c.codes(), &rows)?,
                    width: self.width(),
                })
            }
            (ColumnEncoder::Categorical { .. }, _) => return Err(wrong(ColumnKind::Categorical)),
            (ColumnEncoder::Title, Column::Categorical(c)) => {
                // Titles are normalised once per level.
                Plan::Title(TitlePlan::Codes {
                    pairs: c.levels().iter().map(|l| title_slots(l)).collect(),
                    codes: part(c.codes(), &rows)?,
                })
            }
            (ColumnEncoder::Title, Column::Text(v)) => {
                let mut cache: HashMap<&str, (usize, usize)> = HashMap::new();
                Plan::Title(TitlePlan::Text(
                    rows.map(|i| v.get(i))
                        .map(|t| match t {
                            Some(t) => *cache.entry(t).or_insert_with(|| title_slots(t)),
                            None => MISSING_TITLE,
                        })
                        .collect(),
                ))
            }
            (ColumnEncoder::Title, _) => return Err(wrong(ColumnKind::Text)),
            (ColumnEncoder::Timestamp { reference, fit }, Column::Timestamp(v)) => {
                Plan::Timestamp(fit, *reference, part(v, &rows)?)
            }
            (ColumnEncoder::Timestamp { .. }, _) => return Err(wrong(ColumnKind::Timestamp)),
        })
    }
}

/// The raw value of row `i` of a numeric column's values (`None` when
/// missing, that is NaN, or out of range).
#[inline]
fn numeric_at(v: &[f64], i: usize) -> Option<f64> {
    v.get(i).copied().filter(|x| !x.is_nan())
}

/// The age in days of row `i` of a timestamp column.
#[inline]
fn age_at(reference: i64, v: &[Option<i64>], i: usize) -> Option<f64> {
    v.get(i).copied().flatten().map(|t| age_days(reference, t))
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
        // Keyed arms run the same per-row code as `key` and `encode_key`.
        let rows = block.chunks_exact_mut(width).zip(r).filter_map(|(row, i)| Some((row.get_mut(offset..)?, i)));
        match self {
            Plan::Numeric(f, v) => rows.for_each(|(out, i)| f.encode(numeric_at(v, i), out)),
            Plan::Boolean(p) => rows.for_each(|(out, i)| p.encode_key(p.key(i), out)),
            Plan::Slots(p) => rows.for_each(|(out, i)| SlotPlan::encode_key(p.key(i), out)),
            Plan::Title(p) => rows.for_each(|(out, i)| TitlePlan::encode_pair(p.pair(i), out)),
            Plan::Timestamp(f, reference, v) => rows.for_each(|(out, i)| f.encode(age_at(*reference, v, i), out)),
        }
    }

    /// Number of keys of a keyed column; `None` for numbers and timestamps.
    fn keys(&self) -> Option<usize> {
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => None,
            Plan::Boolean(_) => Some(FlagPlan::KEYS),
            Plan::Slots(p) => Some(p.width),
            Plan::Title(_) => Some(TitlePlan::KEYS),
        }
    }

    #[inline]
    fn key(&self, i: usize) -> Option<usize> {
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => None,
            Plan::Boolean(p) => Some(p.key(i)),
            Plan::Slots(p) => Some(p.key(i)),
            Plan::Title(p) => Some(p.key(i)),
        }
    }

    /// Writes `f(features)` of each row of `rows` into `out` (as long),
    /// the row's encoded features held in `scratch` (the column's width).
    #[inline]
    fn fold_rows(&self, rows: Range<usize>, scratch: &mut [f64], out: &mut [f64], f: impl Fn(&[f64]) -> f64) {
        let rows = out.iter_mut().zip(rows);
        // The numeric encoders write every feature; the others set ones in a zeroed row.
        match self {
            Plan::Numeric(fit, v) => {
                for (o, i) in rows {
                    fit.encode(numeric_at(v, i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Timestamp(fit, reference, v) => {
                for (o, i) in rows {
                    fit.encode(age_at(*reference, v, i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Boolean(p) => {
                for (o, i) in rows {
                    scratch.fill(0.0);
                    p.encode_key(p.key(i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Slots(p) => {
                for (o, i) in rows {
                    scratch.fill(0.0);
                    SlotPlan::encode_key(p.key(i), scratch);
                    *o = f(scratch);
                }
            }
            Plan::Title(p) => {
                for (o, i) in rows {
                    scratch.fill(0.0);
                    TitlePlan::encode_pair(p.pair(i), scratch);
                    *o = f(scratch);
                }
            }
        }
    }

    /// Writes the key of each row of `rows` into `out` (as long); false for
    /// numbers and timestamps, which have no keys.
    fn keys_into(&self, rows: Range<usize>, out: &mut [usize]) -> bool {
        let rows = out.iter_mut().zip(rows);
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => return false,
            Plan::Boolean(p) => rows.for_each(|(o, i)| *o = p.key(i)),
            Plan::Slots(p) => rows.for_each(|(o, i)| *o = p.key(i)),
            Plan::Title(p) => rows.for_each(|(o, i)| *o = p.key(i)),
        }
        true
    }

    /// Writes the features of `key` (below [`Plan::keys`]) into a zeroed `out`.
    fn encode_key(&self, key: usize, out: &mut [f64]) {
        match self {
            Plan::Numeric(..) | Plan::Timestamp(..) => {}
            Plan::Boolean(p) => p.encode_key(key, out),
            Plan::Slots(_) => SlotPlan::encode_key(key, out),
            Plan::Title(_) => TitlePlan::encode_key(key, out),
        }
    }
}

/// One fitted encoder bound to its column of a frame (see
/// [`FittedPipeline::bind`]): the encoded features of a single row, without
/// a design matrix, from the same code as [`FittedPipeline::transform`].
///
/// Columns whose encoding depends on a row only through a small *key*
/// (categorical levels: the one-hot slot — a kept level, the rare bucket or
/// the missing level; booleans: false, true, missing; job titles: the
/// seniority and function buckets) say so with [`BoundColumn::keys`], so that
/// a caller can tabulate anything computed from the encoding once per key.
/// Numbers and timestamps are encoded per row with [`BoundColumn::encode_row`].
#[derive(Debug)]
pub struct BoundColumn<'a> {
    column: &'a str,
    features: Range<usize>,
    plan: Plan<'a>,
}

impl<'a> BoundColumn<'a> {
    /// The source column's name.
    pub fn column(&self) -> &'a str {
        self.column
    }

    /// Positions of this column's encoded features among
    /// [`FittedPipeline::features`] (and the design matrix's columns).
    pub fn features(&self) -> Range<usize> {
        self.features.clone()
    }

    /// Number of encoded features.
    pub fn width(&self) -> usize {
        self.features.len()
    }

    /// For a keyed column, the number of distinct keys (every row's encoding
    /// is [`BoundColumn::encode_key`] of its [`BoundColumn::key`]); `None`
    /// for numbers and timestamps.
    pub fn keys(&self) -> Option<usize> {
        self.plan.keys()
    }

    /// The key of row `i` of a keyed column (below [`BoundColumn::keys`]; a
    /// row out of range has the key of a missing value); `None` for numbers
    /// and timestamps.
    #[inline]
    pub fn key(&self, i: usize) -> Option<usize> {
        self.plan.key(i)
    }

    /// Overwrites `out` with the encoded features of `key`.
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `ShapeMismatch` when `out` is not
    /// [`BoundColumn::width`] long, `OutOfRange` when the column is not
    /// keyed or `key` is not below [`BoundColumn::keys`].
    pub fn encode_key(&self, key: usize, out: &mut [f64]) -> Result<()> {
        self.check_width(out)?;
        let keys = self.keys().unwrap_or(0);
        if key >= keys {
            return Err(acctscore_core::CoreError::OutOfRange {
                what: "encoding key",
                value: key as f64,
                min: 0.0,
                max: keys as f64 - 1.0,
            }
            .into());
        }
        out.fill(0.0);
        self.plan.encode_key(key, out);
        Ok(())
    }

    /// Overwrites `out` with the encoded features of row `i` (a row out of
    /// range is encoded as a missing value), exactly as the design matrix's
    /// row `i` holds them.
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `ShapeMismatch` when `out` is not
    /// [`BoundColumn::width`] long.
    #[inline]
    pub fn encode_row(&self, i: usize, out: &mut [f64]) -> Result<()> {
        self.encode_rows(i..i.saturating_add(1), out)
    }

    /// Overwrites `out` (`rows.len()` × [`BoundColumn::width`], row after
    /// row) with the encoded features of rows `rows` (rows out of range are
    /// encoded as missing values): this column's block of the design
    /// matrix, by the code that fills the matrix.
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `ShapeMismatch` when `out` is not
    /// `rows.len()` × [`BoundColumn::width`] long.
    pub fn encode_rows(&self, rows: Range<usize>, out: &mut [f64]) -> Result<()> {
        let shape = (rows.len(), self.width());
        let found = out.len();
        let mismatch = || acctscore_core::CoreError::ShapeMismatch {
            what: "output length vs rows × column features",
            expected: shape.0 * shape.1,
            found,
        };
        if out.len() != shape.0 * shape.1 {
            return Err(mismatch().into());
        }
        out.fill(0.0);
        let mut x = ArrayViewMut2::from_shape(shape, out).map_err(|_| mismatch())?;
        self.plan.fill(&mut x, rows, 0);
        Ok(())
    }

    /// Writes `f(features)` of each row of `rows` into `out`, `features`
    /// being the row's encoded features (held in `scratch`):
    /// [`BoundColumn::encode_rows`] without the block, for folding each
    /// row's features into one number (a linear model's term).
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `ShapeMismatch` when `scratch` is not
    /// [`BoundColumn::width`] long or `out` not `rows.len()` long.
    #[inline]
    pub fn fold_rows(
        &self,
        rows: Range<usize>,
        scratch: &mut [f64],
        out: &mut [f64],
        f: impl Fn(&[f64]) -> f64,
    ) -> Result<()> {
        self.check_width(scratch)?;
        if out.len() != rows.len() {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "output vs rows",
                expected: rows.len(),
                found: out.len(),
            }
            .into());
        }
        self.plan.fold_rows(rows, scratch, out, f);
        Ok(())
    }

    /// Writes the key of each row of `rows` into `out` (a row out of range
    /// has the key of a missing value): [`BoundColumn::key`] for a block of rows.
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `ShapeMismatch` when `out` is not
    /// `rows.len()` long, `Empty` for a column without keys (numbers, timestamps).
    pub fn keys_into(&self, rows: Range<usize>, out: &mut [usize]) -> Result<()> {
        if out.len() != rows.len() {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "keys vs rows",
                expected: rows.len(),
                found: out.len(),
            }
            .into());
        }
        if !self.plan.keys_into(rows, out) {
            return Err(acctscore_core::CoreError::Empty { what: "keys of a numeric column" }.into());
        }
        Ok(())
    }

    #[inline]
    fn check_width(&self, out: &[f64]) -> Result<()> {
        if out.len() != self.width() {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "output length vs column features",
                expected: self.width(),
                found: out.len(),
            }
            .into());
        }
        Ok(())
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

/// Whether a matrix handed to the encoders holds zeros only (a fresh one
/// from `Array2::zeros`: writing its zeros again is a wasted pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zeroed {
    Yes,
    No,
}

impl FittedPipeline {
    /// Names of the encoded features, in matrix column order.
    pub fn feature_names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// Checks the invariants a fitted pipeline holds (as at fit time): the
    /// mean, median and standard deviation of every numeric and timestamp
    /// encoder finite, the standard deviation > 0.
    ///
    /// # Errors
    /// [`InvalidModel`](acctscore_core::InvalidModel) naming the column's field.
    pub fn validate(&self) -> std::result::Result<(), acctscore_core::InvalidModel> {
        use acctscore_core::envelope::{check_finite, check_positive};
        const PART: &str = "feature pipeline";
        for c in &self.columns {
            let fit = match &c.encoder {
                ColumnEncoder::Numeric(fit) | ColumnEncoder::Timestamp { fit, .. } => fit,
                _ => continue,
            };
            check_finite(PART, &format!("{}.mean", c.column), &[fit.mean])?;
            check_finite(PART, &format!("{}.median", c.column), &[fit.median])?;
            check_positive(PART, &format!("{}.std", c.column), &[fit.std])?;
        }
        Ok(())
    }

    /// Description of each encoded feature, in matrix column order.
    pub fn features(&self) -> &[FeatureInfo] {
        &self.features
    }

    /// The clip bounds `(low, high)` of a numeric column (on the raw value,
    /// before any transform): a value outside them is scored as the nearest
    /// bound. `None` for other kinds, unclipped or unknown columns.
    pub fn numeric_range(&self, column: &str) -> Option<(f64, f64)> {
        match self.columns.iter().find(|c| c.column == column).map(|c| &c.encoder) {
            Some(ColumnEncoder::Numeric(fit)) => fit.clip,
            _ => None,
        }
    }

    /// Source columns the pipeline reads.
    pub fn input_columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.column.as_str()).collect()
    }

    /// Encodes every row of `frame` (which must have the fitted columns, in any order).
    ///
    /// # Errors
    /// [`FrameError::MissingColumn`] or [`FrameError::WrongKind`].
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
        self.fill(frame, rows, &mut x, Zeroed::Yes)?;
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
        if out.is_standard_layout() {
            self.fill(frame, 0..frame.nrows(), out, Zeroed::No)
        } else {
            // A column-major (or strided) matrix: encode row-major, then copy.
            let mut x = Array2::<f64>::zeros(out.dim());
            self.fill(frame, 0..frame.nrows(), &mut x, Zeroed::Yes)?;
            out.assign(&x);
            Ok(())
        }
    }

    /// Binds every encoder to its column of `frame` once: the per-row
    /// encoding of [`FittedPipeline::transform`] without a design matrix,
    /// for scoring paths that work on one source column at a time. The
    /// columns come in the pipeline's order; their
    /// [`BoundColumn::features`] ranges tile [`FittedPipeline::features`].
    ///
    /// # Errors
    /// As [`FittedPipeline::transform`], and [`FeaturesError::InvalidConfig`]
    /// for a pipeline (read from a damaged file) whose encoders do not write
    /// the features it lists.
    pub fn bind<'a>(&'a self, frame: &'a Frame) -> Result<Vec<BoundColumn<'a>>> {
        self.bind_rows(frame, 0..frame.nrows())
    }

    /// [`FittedPipeline::bind`] for rows `rows` (a plan's row 0 is row `rows.start`).
    fn bind_rows<'a>(&'a self, frame: &'a Frame, rows: Range<usize>) -> Result<Vec<BoundColumn<'a>>> {
        let mut bound = Vec::with_capacity(self.columns.len());
        let mut offset = 0;
        for fc in &self.columns {
            let col = frame.column(&fc.column)?;
            let width = fc.width();
            bound.push(BoundColumn {
                column: fc.column.as_str(),
                features: offset..offset + width,
                plan: fc.plan(col, rows.clone())?,
            });
            offset += width;
        }
        // A pipeline read from a damaged or hand-edited file may list other
        // features than its encoders write: refuse rather than write out of bounds.
        if offset != self.features.len() {
            return Err(FeaturesError::InvalidConfig {
                reason: format!(
                    "the fitted pipeline's encoders write {offset} features but it lists {}",
                    self.features.len()
                ),
            });
        }
        Ok(bound)
    }

    /// Writes rows `rows` of `frame` into `x` (`rows.len()` × features).
    /// Writes every entry of `x` (row-major: `transform_*` make sure of it),
    /// a block of rows at a time: zeros unless `x` is all zeros already,
    /// then each column's features, while the block is in cache.
    fn fill(&self, frame: &Frame, rows: Range<usize>, x: &mut Array2<f64>, zeroed: Zeroed) -> Result<()> {
        let plans = self.bind_rows(frame, rows)?;
        if self.features.len() != x.ncols() {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "matrix columns vs pipeline features",
                expected: self.features.len(),
                found: x.ncols(),
            }
            .into());
        }
        if self.features.is_empty() || !x.is_standard_layout() {
            return Ok(());
        }
        let fill_block = |(b, mut block): (usize, ArrayViewMut2<f64>)| {
            let start = b * BLOCK_ROWS;
            let r = start..start + block.nrows();
            if zeroed == Zeroed::No {
                block.fill(0.0);
            }
            for c in &plans {
                c.plan.fill(&mut block, r.clone(), c.features.start);
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
    fn signed_log1p_looks_up_exactly_what_ln_1p_gives() {
        let table = LOG1P_TABLE as f64;
        for x in [0.0, -0.0, 1.0, 2.5, 7.0, table - 1.0, table - 0.5, table, table + 1.0, 1e12, 1e300, 0.1] {
            assert_eq!(signed_log1p(x).to_bits(), x.abs().ln_1p().to_bits(), "{x}");
            if x != 0.0 {
                assert_eq!(signed_log1p(-x).to_bits(), (-x.abs().ln_1p()).to_bits(), "{}", -x);
            }
        }
        assert!(signed_log1p(f64::NAN).is_nan());
    }

    #[test]
    fn bound_columns_encode_rows_and_keys_as_the_matrix() {
        let n = 300;
        let f = |k: usize| {
            Frame::new(vec![
                (
                    "v".to_string(),
                    Column::numeric((0..n).map(|i| [None, Some(-1.0), Some((i * k) as f64 / 7.0)][i % 3]).collect()),
                ),
                (
                    "c".to_string(),
                    Column::categorical(
                        (0..n).map(|i| [None, Some("A"), Some(" b"), Some("rare"), Some("new")][(i * k + i / 50) % 5]),
                    ),
                ),
                (
                    "b".to_string(),
                    Column::Boolean((0..n).map(|i| [None, Some(true), Some(false)][(i * k) % 3]).collect()),
                ),
                (
                    "t".to_string(),
                    Column::categorical((0..n).map(|i| [Some("VP Sales"), None, Some("cto")][(i + k) % 3])),
                ),
                (
                    "tt".to_string(),
                    Column::Text((0..n).map(|i| (i % 2 == 0).then(|| "Head of Marketing".to_string())).collect()),
                ),
                (
                    "ts".to_string(),
                    Column::Timestamp(
                        (0..n).map(|i| (i % 4 != 0).then_some(1_700_000_000 - (i * k) as i64 * 3600)).collect(),
                    ),
                ),
            ])
            .expect("frame")
        };
        let train = f(1);
        let p = PipelineParams::new()
            .min_frequency(60)
            .sentinel("v", -1.0)
            .title_column("t")
            .title_column("tt")
            .fit(&train)
            .expect("fit");
        // Another frame: other dictionary order, an unseen level, other values.
        let other = f(2);
        let x = p.transform(&other).expect("transform");
        let bound = p.bind(&other).expect("bind");
        assert_eq!(bound.iter().map(|c| c.column()).collect::<Vec<_>>(), p.input_columns());
        assert_eq!(bound.last().map(|c| c.features().end), Some(p.features().len()));
        for c in &bound {
            let mut buf = vec![f64::NAN; c.width()];
            for i in 0..n {
                let want = x.row(i).to_vec();
                c.encode_row(i, &mut buf).expect("width");
                assert_eq!(buf, want[c.features()], "{} row {i}", c.column());
                match (c.keys(), c.key(i)) {
                    (Some(keys), Some(k)) => {
                        assert!(k < keys);
                        buf.fill(f64::NAN);
                        c.encode_key(k, &mut buf).expect("key");
                        assert_eq!(buf, want[c.features()], "{} key {k}", c.column());
                    }
                    (None, None) => assert!(c.encode_key(0, &mut buf).is_err()),
                    other => panic!("keys and key disagree: {other:?}"),
                }
            }
            // Blocks of rows, as the matrix's block and the rows' keys.
            let mut block = vec![f64::NAN; 37 * c.width()];
            c.encode_rows(100..137, &mut block).expect("shape");
            let want: Vec<f64> = (100..137).flat_map(|i| x.row(i).to_vec()[c.features()].to_vec()).collect();
            assert_eq!(block, want, "{}", c.column());
            // Folded row by row, as the block's rows.
            let weights: Vec<f64> = (0..c.width()).map(|j| 1.0 + j as f64 / 3.0).collect();
            let dot = |x: &[f64]| x.iter().zip(&weights).map(|(x, w)| x * w).sum::<f64>();
            let mut folded = vec![f64::NAN; 37];
            c.fold_rows(100..137, &mut vec![0.0; c.width()], &mut folded, dot).expect("shapes");
            assert_eq!(folded, block.chunks_exact(c.width()).map(dot).collect::<Vec<_>>(), "{}", c.column());
            assert!(c.fold_rows(100..137, &mut vec![0.0; c.width() + 1], &mut folded, dot).is_err());
            assert!(c.fold_rows(100..130, &mut vec![0.0; c.width()], &mut folded, dot).is_err());
            let mut keys = vec![usize::MAX; 37];
            match c.keys() {
                Some(_) => {
                    c.keys_into(100..137, &mut keys).expect("keyed");
                    assert_eq!(keys, (100..137).filter_map(|i| c.key(i)).collect::<Vec<_>>());
                }
                None => assert!(c.keys_into(100..137, &mut keys).is_err()),
            }
            assert!(c.keys_into(0..3, &mut keys).is_err());
            assert!(c.encode_rows(0..3, &mut block).is_err());
            assert!(c.encode_row(0, &mut [0.0; 40][..c.width() + 1]).is_err());
            if let Some(keys) = c.keys() {
                assert!(c.encode_key(keys, &mut buf).is_err());
            }
        }
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
        // A column-major output is written whole too.
        let mut fortran = Array2::from_elem(ndarray::ShapeBuilder::f(all.dim()), 7.0);
        p.transform_into(&f, &mut fortran).expect("into column-major");
        assert_eq!(fortran, all);
        assert_eq!(part, all.slice_axis(Axis(0), ndarray::Slice::from(600..1500)));
    }
}
