//! [`QualityReport`]: what in a table would mislead a model, found before
//! any training.
//!
//! For a frame and a binary target, per column: kind, missing share,
//! cardinality, top values, placeholder share (see [`crate::placeholder`]),
//! share of the most frequent value, unique share, and the **single-column
//! out-of-fold AUC** against the target, computed one fixed way so that
//! results repeat:
//!
//! 1. rows whose target is missing or one of the ignored values are left
//!    out; the rest are labelled positive when the target equals a positive
//!    value (numbers compared as numbers, booleans as `true`/`yes`/`1`,
//!    strings trimmed and case-insensitive);
//! 2. positives and negatives are each shuffled with a fixed seed
//!    ([`QualityParams::seed`], SplitMix64 + Fisher–Yates) and dealt
//!    round-robin into [`QualityParams::folds`] folds (stratified);
//! 3. each row gets a key: its category (missing is a key of its own), or
//!    for numbers and timestamps its quantile bin among
//!    [`QualityParams::bins`] bins whose edges are the column's quantiles
//!    over all labelled rows (no label is used; missing is its own bin); a
//!    value equal to an edge is a bin of its own, so a mass point (a column
//!    that is 0 for most rows) never shares a bin with its neighbours;
//! 4. inside each fold, a row is scored by the positive rate of its key in
//!    the other folds (the training folds' overall rate when the key is
//!    unseen there);
//! 5. the pooled out-of-fold scores give one rank AUC (ties count half),
//!    reported as max(AUC, 1 − AUC).
//!
//! Flags, with their thresholds in [`QualityParams`] (defaults in brackets):
//! - `leakage`: AUC ≥ `leakage_auc` (default 0.90); or the column's presence alone
//!   separates the classes: the AUC of the indicator "value present" is ≥
//!   `leakage_auc`; or one value (a category, a number, or missing) belongs
//!   almost only to one class and covers almost all of it: at least
//!   `value_purity` (default 0.98) of its rows are of that class, it holds at least
//!   `value_coverage` (default 0.90) of that class's rows, and the other class is at
//!   most `value_contamination` (default 0.2) times as common in it as overall;
//! - `suspect_leakage`: AUC in [`suspect_auc`, `leakage_auc`) [0.80, 0.90):
//!   strong enough that a person must confirm the value was known before
//!   the outcome;
//! - `sparse`: missing share ≥ `sparse_share` (default 0.5);
//! - `high_cardinality`: a categorical or text column with more than
//!   `high_cardinality_levels` (default 50) distinct values that are also more than
//!   `high_cardinality_share` (default 0.05) of the rows;
//! - `constant`: one value (missing counts as a value) in ≥
//!   `constant_share` (default 0.99) of the rows;
//! - `id_like`: distinct present values ≥ `id_unique_share` (default 0.95) of the
//!   rows, for text/categorical columns; for numbers, only integer-valued
//!   columns that are also a sequence (≥ 95% of consecutive steps in one
//!   direction, or a span of at most twice the row count);
//! - `placeholder`: placeholder values in ≥ `placeholder_share` (default 0.05) of
//!   the rows.
//!
//! ```
//! use acctscore_features::{Column, Frame, quality::{QualityReport, QualityParams, Target, Flag}};
//!
//! let n = 200;
//! let y: Vec<Option<f64>> = (0..n).map(|i| Some((i % 2) as f64)).collect();
//! let leak: Vec<Option<f64>> = (0..n).map(|i| Some((i % 2) as f64 * 100.0 + (i % 7) as f64)).collect();
//! let noise: Vec<Option<f64>> = (0..n).map(|i| Some(((i * 37) % 11) as f64)).collect();
//! let frame = Frame::new(vec![
//!     ("y".into(), Column::numeric(y)),
//!     ("leak".into(), Column::numeric(leak)),
//!     ("noise".into(), Column::numeric(noise)),
//! ])?;
//! let report = QualityReport::compute(&frame, &Target::new("y"), &QualityParams::default())?;
//! let leak = report.column("leak").expect("reported");
//! assert!(leak.flags.contains(&Flag::Leakage));
//! assert!(!report.column("noise").expect("reported").flags.contains(&Flag::Leakage));
//! println!("{report}"); // a table a person can read
//! # Ok::<(), acctscore_features::FeaturesError>(())
//! ```

use crate::placeholder::{self, PlaceholderFinding, PlaceholderRules};
use crate::{Column, ColumnKind, FeaturesError, Frame, NumericColumn, Result};
use acctscore_core::check;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// The target of a report: a column, its positive values, and values whose
/// rows are left out (open deals are not negatives).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Target column.
    pub column: String,
    /// Values read as positive (default `["1"]`; `true` and `yes` also
    /// match a boolean `true`).
    pub positive: Vec<String>,
    /// Values whose rows are left out.
    pub ignore: Vec<String>,
    /// Whether the positive value was set ([`Target::positive`]): a target
    /// with more than two values needs it.
    #[serde(default)]
    declared: bool,
}

impl Target {
    /// A target column with positive value `1`. A column with more than two
    /// values (not counting ignored ones) then is an error
    /// ([`FeaturesError::TargetValues`]): set the positive value.
    pub fn new(column: impl Into<String>) -> Self {
        Target { column: column.into(), positive: vec!["1".to_string()], ignore: Vec::new(), declared: false }
    }

    /// Sets the positive value (replacing the default); every other value
    /// is negative, however many there are.
    pub fn positive(mut self, value: impl Into<String>) -> Self {
        self.positive = vec![value.into()];
        self.declared = true;
        self
    }

    /// Leaves out rows with these target values.
    pub fn ignore<S: AsRef<str>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.ignore.extend(values.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Per row: `Some(label)` or `None` when the row is left out.
    ///
    /// # Errors
    /// [`FrameError::MissingColumn`](crate::FrameError::MissingColumn) when the column is absent;
    /// [`FeaturesError::TargetValues`] when the positive value was not set
    /// and the column has more than two values.
    pub fn labels(&self, frame: &Frame) -> Result<Vec<Option<bool>>> {
        let col = frame.column(&self.column)?;
        let matches = |list: &[String], v: &Value| list.iter().any(|s| v.matches(s));
        let mut seen: Vec<String> = Vec::new();
        let labels = (0..frame.nrows())
            .map(|i| {
                let v = Value::of(col, i)?;
                if matches(&self.ignore, &v) {
                    return None;
                }
                // Up to three distinct values are tracked (the third is an error).
                if !self.declared && seen.len() < 3 {
                    let text = v.text();
                    if !seen.contains(&text) {
                        seen.push(text);
                    }
                }
                Some(matches(&self.positive, &v))
            })
            .collect();
        if seen.len() > 2 {
            return Err(FeaturesError::TargetValues { column: self.column.clone(), counts: self.counts(col) });
        }
        Ok(labels)
    }

    /// Rows per value of the target (ignored values left out), most frequent first.
    #[cold]
    fn counts(&self, col: &Column) -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for i in 0..col.len() {
            if let Some(v) = Value::of(col, i)
                && !self.ignore.iter().any(|s| v.matches(s))
            {
                *counts.entry(v.text()).or_default() += 1;
            }
        }
        let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
    }
}

/// A cell value for target matching.
enum Value<'a> {
    Num(f64),
    Bool(bool),
    Str(&'a str),
}

impl<'a> Value<'a> {
    fn of(col: &'a Column, i: usize) -> Option<Value<'a>> {
        match col {
            Column::Numeric(v) => v.get(i).map(Value::Num),
            Column::Boolean(v) => v.get(i).copied().flatten().map(Value::Bool),
            Column::Categorical(c) => c.get(i).map(Value::Str),
            Column::Text(v) => v.get(i).map(Value::Str),
            Column::Timestamp(v) => v.get(i).copied().flatten().map(|t| Value::Num(t as f64)),
            // `Column` is non-exhaustive: a kind newer than this crate reads as missing.
            _ => None,
        }
    }

    /// The value as a person reads it (strings trimmed).
    fn text(&self) -> String {
        match self {
            Value::Num(x) => x.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(v) => v.trim().to_string(),
        }
    }

    fn matches(&self, s: &str) -> bool {
        let s = s.trim();
        match self {
            Value::Num(x) => s.parse::<f64>().is_ok_and(|y| y == *x),
            Value::Bool(b) => {
                let l = s.to_lowercase();
                let t = matches!(l.as_str(), "true" | "yes" | "1");
                let f = matches!(l.as_str(), "false" | "no" | "0");
                (*b && t) || (!*b && f)
            }
            Value::Str(v) => v.trim().eq_ignore_ascii_case(s) || v.trim().to_lowercase() == s.to_lowercase(),
        }
    }
}

/// Thresholds and settings of a report (see the module docs).
///
/// ```
/// use acctscore_features::{Column, Frame, quality::{Flag, QualityParams, QualityReport, Target}};
///
/// let n = 60;
/// let frame = Frame::new(vec![
///     ("won".into(), Column::numeric((0..n).map(|i| Some(f64::from(i % 2))).collect())),
///     ("account_id".into(), Column::numeric((0..n).map(|i| Some(f64::from(1000 + i))).collect())),
///     ("phone".into(), Column::numeric((0..n).map(|i| (i % 3 != 0).then_some(5.0)).collect())),
/// ])?;
/// // Three folds; a column missing in a third of its rows already counts as sparse.
/// let params = QualityParams::new().folds(3).sparse_share(0.25);
/// let report = QualityReport::compute(&frame, &Target::new("won"), &params)?;
/// assert!(report.column("account_id").expect("reported").flags.contains(&Flag::IdLike));
/// assert!(report.column("phone").expect("reported").flags.contains(&Flag::Sparse));
/// # Ok::<(), acctscore_features::FeaturesError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityParams {
    /// Folds of the out-of-fold AUC (default 5).
    folds: usize,
    /// Seed of the fold shuffle (default 42).
    seed: u64,
    /// Quantile bins for numbers and timestamps (default 10).
    bins: usize,
    /// AUC at or above which a column is `leakage` (default 0.90).
    leakage_auc: f64,
    /// AUC at or above which a column is `suspect_leakage` (default 0.80).
    suspect_auc: f64,
    /// Purity of a single value for `leakage` (default 0.98).
    value_purity: f64,
    /// Coverage of its class by a single value for `leakage` (default 0.90).
    value_coverage: f64,
    /// Most the other class may be present in that value, relative to its overall share (default 0.2).
    value_contamination: f64,
    /// Missing share for `sparse` (default 0.5).
    sparse_share: f64,
    /// Distinct values above which a column may be `high_cardinality` (default 50).
    high_cardinality_levels: usize,
    /// … when they are also more than this share of the rows (default 0.05).
    high_cardinality_share: f64,
    /// Share of the most frequent value for `constant` (default 0.99).
    constant_share: f64,
    /// Unique share for `id_like` (default 0.95).
    id_unique_share: f64,
    /// Placeholder share for `placeholder` (default 0.05).
    placeholder_share: f64,
    /// What counts as a placeholder.
    placeholder_rules: PlaceholderRules,
    /// Values listed per column in `top_values` (default 5).
    top_values: usize,
}

impl Default for QualityParams {
    fn default() -> Self {
        QualityParams {
            folds: 5,
            seed: 42,
            bins: 10,
            leakage_auc: 0.90,
            suspect_auc: 0.80,
            value_purity: 0.98,
            value_coverage: 0.90,
            value_contamination: 0.2,
            sparse_share: 0.5,
            high_cardinality_levels: 50,
            high_cardinality_share: 0.05,
            constant_share: 0.99,
            id_unique_share: 0.95,
            placeholder_share: 0.05,
            placeholder_rules: PlaceholderRules::default(),
            top_values: 5,
        }
    }
}

impl QualityParams {
    /// The defaults (each setting's default is in its setter's docs).
    /// Settings are checked by [`QualityParams::validate`], which
    /// [`QualityReport::compute`] calls.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds of the out-of-fold AUC (default 5).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Seed of the fold shuffle (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Quantile bins for numbers and timestamps (default 10).
    pub fn bins(mut self, bins: usize) -> Self {
        self.bins = bins;
        self
    }

    /// AUC at or above which a column is `leakage` (default 0.90).
    pub fn leakage_auc(mut self, leakage_auc: f64) -> Self {
        self.leakage_auc = leakage_auc;
        self
    }

    /// AUC at or above which a column is `suspect_leakage` (default 0.80).
    pub fn suspect_auc(mut self, suspect_auc: f64) -> Self {
        self.suspect_auc = suspect_auc;
        self
    }

    /// Purity of a single value for `leakage` (default 0.98).
    pub fn value_purity(mut self, value_purity: f64) -> Self {
        self.value_purity = value_purity;
        self
    }

    /// Coverage of its class by a single value for `leakage` (default 0.90).
    pub fn value_coverage(mut self, value_coverage: f64) -> Self {
        self.value_coverage = value_coverage;
        self
    }

    /// Most the other class may be present in that value, relative to its overall share (default 0.2).
    pub fn value_contamination(mut self, value_contamination: f64) -> Self {
        self.value_contamination = value_contamination;
        self
    }

    /// Missing share for `sparse` (default 0.5).
    pub fn sparse_share(mut self, sparse_share: f64) -> Self {
        self.sparse_share = sparse_share;
        self
    }

    /// Distinct values above which a column may be `high_cardinality` (default 50).
    pub fn high_cardinality_levels(mut self, high_cardinality_levels: usize) -> Self {
        self.high_cardinality_levels = high_cardinality_levels;
        self
    }

    /// Share of the rows that distinct values must also exceed for
    /// `high_cardinality` (default 0.05).
    pub fn high_cardinality_share(mut self, high_cardinality_share: f64) -> Self {
        self.high_cardinality_share = high_cardinality_share;
        self
    }

    /// Share of the most frequent value for `constant` (default 0.99).
    pub fn constant_share(mut self, constant_share: f64) -> Self {
        self.constant_share = constant_share;
        self
    }

    /// Unique share for `id_like` (default 0.95).
    pub fn id_unique_share(mut self, id_unique_share: f64) -> Self {
        self.id_unique_share = id_unique_share;
        self
    }

    /// Placeholder share for `placeholder` (default 0.05).
    pub fn placeholder_share(mut self, placeholder_share: f64) -> Self {
        self.placeholder_share = placeholder_share;
        self
    }

    /// What counts as a placeholder.
    pub fn placeholder_rules(mut self, placeholder_rules: PlaceholderRules) -> Self {
        self.placeholder_rules = placeholder_rules;
        self
    }

    /// Values listed per column in `top_values` (default 5).
    pub fn top_values(mut self, top_values: usize) -> Self {
        self.top_values = top_values;
        self
    }

    /// Checks every setting: at least 2 folds and 2 bins; AUC thresholds
    /// finite in `[0.5, 1]` with `suspect_auc ≤ leakage_auc`; shares,
    /// purity and coverage finite in `[0, 1]`; contamination finite and
    /// ≥ 0. A NaN threshold would switch a flag off silently.
    ///
    /// # Errors
    /// [`acctscore_core::CoreError::InvalidParameter`] naming the first bad setting.
    pub fn validate(&self) -> Result<()> {
        check::param(self.folds >= 2, "folds", "need at least 2")?;
        check::param(self.bins >= 2, "bins", "need at least 2")?;
        for (name, v) in [("leakage_auc", self.leakage_auc), ("suspect_auc", self.suspect_auc)] {
            check::param(v.is_finite() && (0.5..=1.0).contains(&v), name, "must be a finite AUC in [0.5, 1]")?;
        }
        check::param(self.suspect_auc <= self.leakage_auc, "suspect_auc", "must not be above leakage_auc")?;
        for (name, v) in [
            ("value_purity", self.value_purity),
            ("value_coverage", self.value_coverage),
            ("sparse_share", self.sparse_share),
            ("high_cardinality_share", self.high_cardinality_share),
            ("constant_share", self.constant_share),
            ("id_unique_share", self.id_unique_share),
            ("placeholder_share", self.placeholder_share),
        ] {
            check::param(v.is_finite() && (0.0..=1.0).contains(&v), name, "must be a finite share in [0, 1]")?;
        }
        check::param(
            self.value_contamination.is_finite() && self.value_contamination >= 0.0,
            "value_contamination",
            "must be finite and >= 0",
        )?;
        Ok(())
    }
}

/// A column flag (see the module docs for the definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Out-of-fold AUC ≥ the leakage threshold, or presence or one value separates the classes.
    Leakage,
    /// Out-of-fold AUC in the suspect range.
    SuspectLeakage,
    /// Many distinct values, also many relative to the rows.
    HighCardinality,
    /// Mostly missing.
    Sparse,
    /// Placeholder values are common.
    Placeholder,
    /// (Nearly) one value.
    Constant,
    /// Unique per row or a sequence.
    IdLike,
}

impl Flag {
    /// The flag's snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Leakage => "leakage",
            Flag::SuspectLeakage => "suspect_leakage",
            Flag::HighCardinality => "high_cardinality",
            Flag::Sparse => "sparse",
            Flag::Placeholder => "placeholder",
            Flag::Constant => "constant",
            Flag::IdLike => "id_like",
        }
    }
}

/// A value that (almost) only one class has, covering (almost) all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeparatingValue {
    /// The value (a category, a bin such as `[0]` or `(0, 12.5)`, or `<missing>`).
    pub value: String,
    /// The class it belongs to.
    pub class: bool,
    /// Share of its rows of that class.
    pub purity: f64,
    /// Share of that class's rows it holds.
    pub coverage: f64,
}

/// The report of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnQuality {
    /// Column name.
    pub name: String,
    /// Column kind.
    pub kind: ColumnKind,
    /// Share of rows missing.
    pub missing_share: f64,
    /// Distinct present values.
    pub cardinality: usize,
    /// Distinct present values / rows.
    pub unique_share: f64,
    /// Share of the most frequent value (missing counts as a value).
    pub top_share: f64,
    /// Most frequent present values with their counts.
    pub top_values: Vec<(String, usize)>,
    /// Share of rows holding a placeholder value.
    pub placeholder_share: f64,
    /// The placeholder values found.
    pub placeholders: Vec<PlaceholderFinding>,
    /// Single-column out-of-fold AUC, max(AUC, 1 − AUC).
    pub auc: f64,
    /// AUC of "value present", max(AUC, 1 − AUC) (0.5 when never or always present).
    pub presence_auc: f64,
    /// A value that separates the classes on its own, if any.
    pub separating_value: Option<SeparatingValue>,
    /// Flags, in a fixed order.
    pub flags: Vec<Flag>,
}

/// The report of a frame against a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Target column.
    pub target: String,
    /// Labelled rows analysed.
    pub rows: usize,
    /// Positive rows.
    pub positives: usize,
    /// Negative rows.
    pub negatives: usize,
    /// Rows left out (missing or ignored target).
    pub ignored_rows: usize,
    /// Thresholds used.
    pub params: QualityParams,
    /// One entry per column except the target, in frame order.
    pub columns: Vec<ColumnQuality>,
}

impl QualityReport {
    /// Computes the report.
    ///
    /// # Errors
    /// [`FrameError::MissingColumn`](crate::FrameError::MissingColumn) for an absent target,
    /// [`FeaturesError::Core`] with `SingleClass` when the labelled rows hold
    /// one class only, or `InvalidParameter` for fewer than 2 folds or bins.
    pub fn compute(frame: &Frame, target: &Target, params: &QualityParams) -> Result<QualityReport> {
        params.validate()?;
        let labels = target.labels(frame)?;
        let keep: Vec<bool> = labels.iter().map(Option::is_some).collect();
        let y: Vec<bool> = labels.iter().flatten().copied().collect();
        let positives = y.iter().filter(|b| **b).count();
        let negatives = y.len() - positives;
        if positives == 0 || negatives == 0 {
            return Err(acctscore_core::CoreError::SingleClass { positives, negatives }.into());
        }
        let data = if keep.iter().all(|k| *k) { frame.clone() } else { frame.filter_rows(&keep)? };
        let folds = stratified_folds(&y, params.folds, params.seed);
        let jobs: Vec<(&String, &Column)> =
            data.names().iter().zip(data.columns()).filter(|(n, _)| **n != target.column).collect();
        let one = |(name, col): &(&String, &Column)| column_quality(name, col, &y, &folds, params);
        #[cfg(feature = "parallel")]
        let columns: Vec<ColumnQuality> = {
            use rayon::prelude::*;
            jobs.par_iter().map(one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let columns: Vec<ColumnQuality> = jobs.iter().map(one).collect();
        Ok(QualityReport {
            target: target.column.clone(),
            rows: y.len(),
            positives,
            negatives,
            ignored_rows: frame.nrows() - y.len(),
            params: params.clone(),
            columns,
        })
    }

    /// The report of one column.
    pub fn column(&self, name: &str) -> Option<&ColumnQuality> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Columns carrying `flag`.
    pub fn flagged(&self, flag: Flag) -> Vec<&str> {
        self.columns.iter().filter(|c| c.flags.contains(&flag)).map(|c| c.name.as_str()).collect()
    }
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "target `{}`: {} rows ({} positive, {} negative), {} rows left out",
            self.target, self.rows, self.positives, self.negatives, self.ignored_rows
        )?;
        let w = self.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(6).clamp(6, 40);
        writeln!(
            f,
            "{:<w$}  {:<11}  {:>7}  {:>7}  {:>7}  {:>5}  flags",
            "column", "kind", "missing", "levels", "placeh.", "auc"
        )?;
        for c in &self.columns {
            let name: String = c.name.chars().take(w).collect();
            let kind = format!("{:?}", c.kind).to_lowercase();
            let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
            writeln!(
                f,
                "{:<w$}  {:<11}  {:>6.1}%  {:>7}  {:>6.1}%  {:>5.3}  {}",
                name,
                kind,
                100.0 * c.missing_share,
                c.cardinality,
                100.0 * c.placeholder_share,
                c.auc,
                flags.join(",")
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// Fold of each row: each class shuffled, then dealt round-robin.
pub(crate) fn stratified_folds(y: &[bool], k: usize, seed: u64) -> Vec<u8> {
    let mut rng = acctscore_core::numeric::SplitMix64::new(seed);
    let mut fold = vec![0u8; y.len()];
    for class in [true, false] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut idx);
        for (r, &i) in idx.iter().enumerate() {
            fold[i] = (r % k) as u8;
        }
    }
    fold
}

/// Rank AUC from groups of equal score: `(score, positives, negatives)`.
pub(crate) fn grouped_auc(mut groups: Vec<(f64, u64, u64)>) -> f64 {
    groups.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (p, n) = groups.iter().fold((0u64, 0u64), |(p, n), g| (p + g.1, n + g.2));
    if p == 0 || n == 0 {
        return 0.5;
    }
    let mut neg_below = 0.0f64;
    let mut acc = 0.0f64;
    let mut i = 0;
    while i < groups.len() {
        let (mut gp, mut gn) = (0u64, 0u64);
        let s = groups[i].0;
        while i < groups.len() && groups[i].0 == s {
            gp += groups[i].1;
            gn += groups[i].2;
            i += 1;
        }
        acc += gp as f64 * (neg_below + 0.5 * gn as f64);
        neg_below += gn as f64;
    }
    acc / (p as f64 * n as f64)
}

fn symmetric(auc: f64) -> f64 {
    auc.max(1.0 - auc)
}

fn column_quality(name: &str, col: &Column, y: &[bool], folds: &[u8], p: &QualityParams) -> ColumnQuality {
    let n = y.len();
    let keys = match col {
        Column::Numeric(v) => numeric_keys(v, p.bins),
        Column::Timestamp(v) => {
            let f: NumericColumn = v.iter().map(|t| t.map(|t| t as f64)).collect();
            numeric_keys(&f, p.bins)
        }
        Column::Boolean(v) => string_keys(v.iter().map(|b| b.map(|b| if b { "true" } else { "false" }))),
        Column::Categorical(c) => categorical_keys(c),
        Column::Text(v) => string_keys(v.iter()),
        // `Column` is non-exhaustive: a kind newer than this crate is reported as all missing.
        _ => string_keys((0..col.len()).map(|_| None)),
    };
    let nf = n.max(1) as f64;
    let missing_share = keys.missing as f64 / nf;
    let top_share = keys.distinct.max_count().max(keys.missing) as f64 / nf;
    let top_values = keys.distinct.top(p.top_values);
    let cardinality = keys.distinct.len();
    let unique_share = cardinality as f64 / nf;
    let placeholders = placeholder::detect(col, &p.placeholder_rules);
    let placeholder_share = placeholders.iter().fold(0.0, |a, f| a + f.share).min(1.0);

    // Out-of-fold target encoding by key.
    let nk = keys.names.len() + 1; // last slot = missing
    let k = p.folds;
    let slot = |key: u32| if key == MISSING_KEY { nk - 1 } else { key as usize };
    let mut pos = vec![0u64; nk * k];
    let mut tot = vec![0u64; nk * k];
    for ((&key, &label), &f) in keys.keys.iter().zip(y).zip(folds) {
        let i = slot(key) * k + f as usize;
        tot[i] += 1;
        pos[i] += u64::from(label);
    }
    let mut fold_pos = vec![0u64; k];
    let mut fold_tot = vec![0u64; k];
    for (&label, &f) in y.iter().zip(folds) {
        fold_tot[f as usize] += 1;
        fold_pos[f as usize] += u64::from(label);
    }
    let (all_pos, all_tot) = (fold_pos.iter().sum::<u64>(), fold_tot.iter().sum::<u64>());
    let mut groups: Vec<(f64, u64, u64)> = Vec::new();
    for s in 0..nk {
        let (kp, kt): (u64, u64) = (0..k).fold((0, 0), |(a, b), f| (a + pos[s * k + f], b + tot[s * k + f]));
        for f in 0..k {
            let t = tot[s * k + f];
            if t == 0 {
                continue;
            }
            let (tp, tt) = (kp - pos[s * k + f], kt - t);
            let score = if tt > 0 {
                tp as f64 / tt as f64
            } else {
                let (fp, ft) = (all_pos - fold_pos[f], all_tot - fold_tot[f]);
                if ft > 0 { fp as f64 / ft as f64 } else { 0.0 }
            };
            groups.push((score, pos[s * k + f], t - pos[s * k + f]));
        }
    }
    let auc = symmetric(grouped_auc(groups));

    // Presence alone, and single separating values.
    let (mut mp, mut mt) = (0u64, 0u64);
    let mut key_pos = vec![0u64; nk];
    let mut key_tot = vec![0u64; nk];
    for s in 0..nk {
        for f in 0..k {
            key_pos[s] += pos[s * k + f];
            key_tot[s] += tot[s * k + f];
        }
    }
    if let (Some(&a), Some(&b)) = (key_pos.last(), key_tot.last()) {
        mp = a;
        mt = b;
    }
    let presence_auc = if mt == 0 || mt == all_tot {
        0.5
    } else {
        symmetric(grouped_auc(vec![(0.0, mp, mt - mp), (1.0, all_pos - mp, (all_tot - all_pos) - (mt - mp))]))
    };
    let all_neg = all_tot - all_pos;
    let mut separating_value: Option<SeparatingValue> = None;
    for s in 0..nk {
        let (sp, st) = (key_pos[s], key_tot[s]);
        if st < 10 {
            continue;
        }
        for (class, in_class, class_total) in [(true, sp, all_pos), (false, st - sp, all_neg)] {
            let purity = in_class as f64 / st as f64;
            let coverage = in_class as f64 / class_total.max(1) as f64;
            let other_share_overall = 1.0 - class_total as f64 / all_tot.max(1) as f64;
            let contamination = if other_share_overall > 0.0 { (1.0 - purity) / other_share_overall } else { 1.0 };
            if purity >= p.value_purity && coverage >= p.value_coverage && contamination <= p.value_contamination {
                let better = separating_value.as_ref().is_none_or(|v| coverage > v.coverage);
                if better {
                    let value = keys.names.get(s).map_or_else(|| "<missing>".to_string(), |n| n.to_string());
                    separating_value = Some(SeparatingValue { value, class, purity, coverage });
                }
            }
        }
    }

    let mut flags = Vec::new();
    if auc >= p.leakage_auc || presence_auc >= p.leakage_auc || separating_value.is_some() {
        flags.push(Flag::Leakage);
    } else if auc >= p.suspect_auc {
        flags.push(Flag::SuspectLeakage);
    }
    let stringy = matches!(col.kind(), ColumnKind::Categorical | ColumnKind::Text);
    if stringy && cardinality > p.high_cardinality_levels && cardinality as f64 > p.high_cardinality_share * nf {
        flags.push(Flag::HighCardinality);
    }
    if missing_share >= p.sparse_share {
        flags.push(Flag::Sparse);
    }
    if placeholder_share >= p.placeholder_share {
        flags.push(Flag::Placeholder);
    }
    if top_share >= p.constant_share {
        flags.push(Flag::Constant);
    }
    let id_like = unique_share >= p.id_unique_share && (stringy || keys.integer_sequence);
    if id_like {
        flags.push(Flag::IdLike);
    }
    ColumnQuality {
        name: name.to_string(),
        kind: col.kind(),
        missing_share,
        cardinality,
        unique_share,
        top_share,
        top_values,
        placeholder_share,
        placeholders,
        auc,
        presence_auc,
        separating_value,
        flags,
    }
}

/// A column's single-column out-of-fold AUC (the report's method) against labels.
///
/// # Errors
/// [`FeaturesError::Core`] with `ShapeMismatch` when lengths differ or
/// `SingleClass` for one-class labels.
pub fn out_of_fold_auc(column: &Column, labels: &[bool], params: &QualityParams) -> Result<f64> {
    if column.len() != labels.len() {
        return Err(acctscore_core::CoreError::ShapeMismatch {
            what: "labels vs rows",
            expected: column.len(),
            found: labels.len(),
        }
        .into());
    }
    let positives = labels.iter().filter(|b| **b).count();
    if positives == 0 || positives == labels.len() {
        return Err(FeaturesError::Core(acctscore_core::CoreError::SingleClass {
            positives,
            negatives: labels.len() - positives,
        }));
    }
    let folds = stratified_folds(labels, params.folds.max(2), params.seed);
    Ok(column_quality("", column, labels, &folds, params).auc)
}

mod keys;
use keys::{MISSING_KEY, categorical_keys, numeric_keys, string_keys};

#[cfg(test)]
mod tests;
