//! Encoders: fitted on a training [`Frame`], applied to any frame with the
//! same columns, producing a dense design matrix and one name per feature.
//!
//! Per column kind:
//! - **numeric**: an optional transform (signed `log1p`), standardisation
//!   with the training mean and standard deviation, missing values imputed
//!   with the training median (after transform, so 0 after centring is not
//!   assumed) plus a missing indicator when the training data had any;
//! - **boolean**: 0/1, missing imputed as 0 with an indicator;
//! - **categorical**: one-hot over levels folded for case and surrounding
//!   whitespace (`Google` = ` google `), levels seen fewer than
//!   `min_frequency` times go to a `__rare__` bucket, unseen values at
//!   transform time go to `__rare__` too (never an error), missing values to
//!   `__missing__` when the training data had any;
//! - **text** and **timestamp** columns are left out unless a later stage
//!   turns them into categories or numbers.

use crate::{Column, ColumnKind, FeaturesError, Frame, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

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
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineParams {
    numeric_transform: NumericTransform,
    min_frequency: usize,
    exclude: Vec<String>,
    transforms: BTreeMap<String, NumericTransform>,
}

impl Default for PipelineParams {
    fn default() -> Self {
        Self::new()
    }
}

impl PipelineParams {
    /// Defaults: signed log1p + standardise, `min_frequency` 10, nothing excluded.
    pub fn new() -> Self {
        PipelineParams {
            numeric_transform: NumericTransform::default(),
            min_frequency: 10,
            exclude: Vec::new(),
            transforms: BTreeMap::new(),
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

    /// Columns left out (ids, the target, leaky columns).
    pub fn exclude<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.exclude.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Fits the encoders on `frame`.
    ///
    /// # Errors
    /// [`FeaturesError::Core`] with `Empty` for a frame without rows, or
    /// `InvalidParameter` for `min_frequency` 0.
    pub fn fit(&self, frame: &Frame) -> Result<FittedPipeline> {
        if self.min_frequency == 0 {
            return Err(acctscore_core::CoreError::InvalidParameter {
                name: "min_frequency",
                reason: "must be at least 1",
            }
            .into());
        }
        if frame.nrows() == 0 {
            return Err(acctscore_core::CoreError::Empty { what: "frame" }.into());
        }
        let mut encoders = Vec::new();
        for (name, col) in frame.names().iter().zip(frame.columns()) {
            if self.exclude.iter().any(|e| e == name) {
                continue;
            }
            let transform = *self.transforms.get(name).unwrap_or(&self.numeric_transform);
            let enc = match col {
                Column::Numeric(v) => Some(fit_numeric(v.iter().copied(), transform)),
                Column::Boolean(v) => Some(ColumnEncoder::Boolean { has_missing: v.iter().any(Option::is_none) }),
                Column::Categorical(c) => {
                    let values = c.codes().iter().map(|code| code.and_then(|k| c.levels().get(k as usize)));
                    Some(fit_categorical(values, self.min_frequency))
                }
                Column::Text(_) | Column::Timestamp(_) => None,
            };
            if let Some(encoder) = enc {
                encoders.push(FittedColumn { column: name.clone(), encoder });
            }
        }
        let mut features = Vec::new();
        for fc in &encoders {
            fc.describe(&mut features);
        }
        Ok(FittedPipeline { columns: encoders, features })
    }
}

fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

fn fit_numeric(values: impl Iterator<Item = Option<f64>>, transform: NumericTransform) -> ColumnEncoder {
    let mut present: Vec<f64> = Vec::new();
    let mut has_missing = false;
    for v in values {
        match v {
            Some(x) if x.is_finite() => present.push(apply_transform(transform, x)),
            _ => has_missing = true,
        }
    }
    let n = present.len() as f64;
    let (mean, std, median) = if present.is_empty() {
        (0.0, 1.0, 0.0)
    } else {
        let mean = present.iter().sum::<f64>() / n;
        let var = present.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let std = if var > 0.0 { var.sqrt() } else { 1.0 };
        present.sort_by(f64::total_cmp);
        let mid = present.len() / 2;
        let median = if present.len() % 2 == 1 { present[mid] } else { 0.5 * (present[mid - 1] + present[mid]) };
        (mean, std, median)
    };
    ColumnEncoder::Numeric { transform, mean, std, median, has_missing }
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

fn fit_categorical<'a>(values: impl Iterator<Item = Option<&'a String>>, min_frequency: usize) -> ColumnEncoder {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut has_missing = false;
    for v in values {
        match v {
            Some(s) => *counts.entry(fold_level(s)).or_insert(0) += 1,
            None => has_missing = true,
        }
    }
    let mut levels: Vec<String> = Vec::new();
    let mut has_rare = false;
    for (level, count) in counts {
        if count >= min_frequency {
            levels.push(level);
        } else {
            has_rare = true;
        }
    }
    // The rare bucket always exists so that unseen values have a place.
    let _ = has_rare;
    ColumnEncoder::Categorical { levels, has_missing }
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
    /// The (transformed, standardised) value of a numeric column.
    Value,
    /// 1 when the source value is missing.
    MissingIndicator,
    /// 1 when a categorical column has this (folded) level.
    Level(String),
    /// A boolean column's value as 0/1.
    Flag,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum ColumnEncoder {
    Numeric { transform: NumericTransform, mean: f64, std: f64, median: f64, has_missing: bool },
    Boolean { has_missing: bool },
    Categorical { levels: Vec<String>, has_missing: bool },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FittedColumn {
    column: String,
    encoder: ColumnEncoder,
}

impl FittedColumn {
    fn width(&self) -> usize {
        match &self.encoder {
            ColumnEncoder::Numeric { has_missing, .. } | ColumnEncoder::Boolean { has_missing } => {
                1 + usize::from(*has_missing)
            }
            ColumnEncoder::Categorical { levels, has_missing } => levels.len() + 1 + usize::from(*has_missing),
        }
    }

    fn describe(&self, out: &mut Vec<FeatureInfo>) {
        let c = &self.column;
        let mut push = |name: String, role| out.push(FeatureInfo { name, column: c.clone(), role });
        match &self.encoder {
            ColumnEncoder::Numeric { has_missing, .. } => {
                push(c.clone(), FeatureRole::Value);
                if *has_missing {
                    push(format!("{c}:missing"), FeatureRole::MissingIndicator);
                }
            }
            ColumnEncoder::Boolean { has_missing } => {
                push(c.clone(), FeatureRole::Flag);
                if *has_missing {
                    push(format!("{c}:missing"), FeatureRole::MissingIndicator);
                }
            }
            ColumnEncoder::Categorical { levels, has_missing } => {
                for l in levels {
                    push(format!("{c}={l}"), FeatureRole::Level(l.clone()));
                }
                push(format!("{c}={RARE_LEVEL}"), FeatureRole::Level(RARE_LEVEL.to_string()));
                if *has_missing {
                    push(format!("{c}={MISSING_LEVEL}"), FeatureRole::Level(MISSING_LEVEL.to_string()));
                }
            }
        }
    }

    /// Writes this column's features for every row into `x[.., offset..offset+width]`.
    fn encode_into(&self, col: &Column, x: &mut Array2<f64>, offset: usize) -> Result<()> {
        let wrong = |expected| FeaturesError::WrongKind { column: self.column.clone(), expected, found: col.kind() };
        match (&self.encoder, col) {
            (ColumnEncoder::Numeric { transform, mean, std, median, has_missing }, Column::Numeric(v)) => {
                for (i, value) in v.iter().enumerate() {
                    let t = value.filter(|x| x.is_finite()).map(|x| apply_transform(*transform, x));
                    x[[i, offset]] = (t.unwrap_or(*median) - mean) / std;
                    if *has_missing {
                        x[[i, offset + 1]] = f64::from(u8::from(t.is_none()));
                    }
                }
            }
            (ColumnEncoder::Numeric { .. }, other) => return Err(wrong_kind(&self.column, ColumnKind::Numeric, other)),
            (ColumnEncoder::Boolean { has_missing }, Column::Boolean(v)) => {
                for (i, value) in v.iter().enumerate() {
                    x[[i, offset]] = f64::from(u8::from(value.unwrap_or(false)));
                    if *has_missing {
                        x[[i, offset + 1]] = f64::from(u8::from(value.is_none()));
                    }
                }
            }
            (ColumnEncoder::Boolean { .. }, _) => return Err(wrong(ColumnKind::Boolean)),
            (ColumnEncoder::Categorical { levels, has_missing }, Column::Categorical(c)) => {
                // Map the frame's own dictionary to output slots once.
                let index: HashMap<&str, usize> = levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
                let rare = levels.len();
                let slot_of_level: Vec<usize> =
                    c.levels().iter().map(|l| *index.get(fold_level(l).as_str()).unwrap_or(&rare)).collect();
                // Missing at transform time without a missing level: use the rare bucket.
                let missing_slot = if *has_missing { rare + 1 } else { rare };
                for (i, code) in c.codes().iter().enumerate() {
                    let slot = code.and_then(|k| slot_of_level.get(k as usize).copied()).unwrap_or(missing_slot);
                    x[[i, offset + slot]] = 1.0;
                }
            }
            (ColumnEncoder::Categorical { .. }, _) => return Err(wrong(ColumnKind::Categorical)),
        }
        Ok(())
    }
}

fn wrong_kind(column: &str, expected: ColumnKind, found: &Column) -> FeaturesError {
    FeaturesError::WrongKind { column: column.to_string(), expected, found: found.kind() }
}

/// A fitted pipeline: plain data (serde), cheap to clone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    columns: Vec<FittedColumn>,
    features: Vec<FeatureInfo>,
}

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
        let mut x = Array2::<f64>::zeros((frame.nrows(), self.features.len()));
        let mut offset = 0;
        for fc in &self.columns {
            let col = frame.column(&fc.column)?;
            fc.encode_into(col, &mut x, offset)?;
            offset += fc.width();
        }
        Ok(x)
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
    }
}
