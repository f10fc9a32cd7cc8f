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
use acctscore_core::check;
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
///
/// ```
/// use acctscore_features::{Column, Frame, encode::PipelineParams};
///
/// let frame = Frame::new(vec![
///     ("account_id".to_string(), Column::categorical(vec![Some("a1"), Some("a2"), Some("a3"), Some("a4")])),
///     ("employees".to_string(), Column::numeric(vec![Some(12.0), Some(300.0), None, Some(40.0)])),
///     ("plan".to_string(), Column::categorical(vec![Some("Pro"), Some("free"), Some("pro "), Some("Free")])),
/// ])?;
/// // Leave the id out; a level needs 2 rows to get its own feature.
/// let pipeline = PipelineParams::new().exclude(["account_id"]).min_frequency(2).fit(&frame)?;
/// // employees: value and missing indicator; plan: levels folded for case and
/// // whitespace, plus the bucket for rare and unseen ones.
/// let names = ["employees", "employees:missing", "plan=free", "plan=pro", "plan=__rare__"];
/// assert_eq!(pipeline.feature_names(), names);
/// let x = pipeline.transform(&frame)?;
/// assert_eq!(x.dim(), (4, names.len()));
/// # Ok::<(), acctscore_features::FeaturesError>(())
/// ```
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
        check::param(self.min_frequency >= 1, "min_frequency", "must be at least 1")?;
        check::param(self.max_levels != Some(0), "max_levels", "must be at least 1")?;
        for &(lo, hi) in self.clip_quantiles.iter().chain(self.column_clip_quantiles.values()) {
            let ordered = (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi) && lo < hi;
            check::param(ordered, "clip_quantiles", "need 0 <= lo < hi <= 1")?;
        }
        let finite = self.sentinels.values().flatten().all(|s| s.is_finite());
        check::param(finite, "sentinel", "must be finite")?;
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

mod numeric;
mod plan;
use numeric::*;
use plan::*;

#[cfg(test)]
mod tests;
