//! [`Frame`]: a columnar table with typed columns and explicit missing values.

use crate::intern::Interner;
use crate::{FrameError, Result, SkippedRow};
use serde::{Deserialize, Serialize};

/// A frame's column names for a message: "the frame has: a, b" with at
/// most 20 names, then "and N more".
pub(crate) fn names_in_words(names: &[String]) -> String {
    if names.is_empty() {
        return "the frame has no columns".to_string();
    }
    format!("the frame has: {}", acctscore_core::names_in_words(names))
}

/// The kind of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ColumnKind {
    /// Real numbers (`f64`).
    Numeric,
    /// `true` / `false`.
    Boolean,
    /// A small set of repeated labels, dictionary-encoded.
    Categorical,
    /// Free text (job titles, notes).
    Text,
    /// Seconds since the Unix epoch.
    Timestamp,
}

impl ColumnKind {
    /// The kind's name in lowercase words, as error messages print it
    /// (`numeric`, `boolean`, `categorical`, `text`, `timestamp`).
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Text => "text",
            ColumnKind::Timestamp => "timestamp",
        }
    }
}

/// Writes [`ColumnKind::name`].
///
/// ```
/// use acctscore_frame::ColumnKind;
///
/// assert_eq!(ColumnKind::Categorical.to_string(), "categorical");
/// ```
impl std::fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A dictionary-encoded categorical column: each row holds the index of its
/// level, or [`CategoricalColumn::MISSING`] when missing (4 bytes a row).
/// Levels are stored as they first appear. It serialises with its codes as
/// `Option<u32>` per row; reading one back checks every code as
/// [`CategoricalColumn::from_parts`] does.
///
/// ```
/// use acctscore_frame::CategoricalColumn;
///
/// let c = CategoricalColumn::from_values([Some("b"), None, Some("a"), Some("b")]);
/// assert_eq!(c.levels(), ["b", "a"]);
/// assert_eq!(c.codes(), [0, CategoricalColumn::MISSING, 1, 0]);
/// assert_eq!(c.code(1), None);
/// assert_eq!(c.get(2), Some("a"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalColumn {
    levels: Vec<String>,
    /// Per row, the level's index or [`CategoricalColumn::MISSING`].
    codes: Vec<u32>,
}

/// The serialised form of a [`CategoricalColumn`], written without a copy.
#[derive(Serialize)]
struct CategoricalRef<'a> {
    levels: &'a [String],
    codes: OptionCodes<'a>,
}

/// Codes written as `Option<u32>` per row.
struct OptionCodes<'a>(&'a [u32]);

impl Serialize for OptionCodes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|&k| (k != CategoricalColumn::MISSING).then_some(k)))
    }
}

impl Serialize for CategoricalColumn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        CategoricalRef { levels: &self.levels, codes: OptionCodes(&self.codes) }.serialize(s)
    }
}

/// The serialised form of a [`CategoricalColumn`], read back.
#[derive(Deserialize)]
struct CategoricalParts {
    levels: Vec<String>,
    codes: Vec<Option<u32>>,
}

impl<'de> Deserialize<'de> for CategoricalColumn {
    /// A code out of range (`MISSING` included) is an error, as in
    /// [`CategoricalColumn::from_parts`].
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let p = CategoricalParts::deserialize(d)?;
        // A present `MISSING` is out of range: it becomes `levels.len()`, which is too.
        let out_of_range = u32::try_from(p.levels.len()).unwrap_or(Self::MISSING);
        let codes = p
            .codes
            .into_iter()
            .map(|c| match c {
                Some(Self::MISSING) => out_of_range,
                Some(c) => c,
                None => Self::MISSING,
            })
            .collect();
        Self::from_parts(p.levels, codes).map_err(serde::de::Error::custom)
    }
}

impl CategoricalColumn {
    /// The code of a missing row.
    pub const MISSING: u32 = u32::MAX;

    /// Builds from string values, interning levels in order of appearance.
    pub fn from_values<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> Self {
        let mut builder = CategoricalBuilder::default();
        for v in values {
            builder.push(v.as_ref().map(AsRef::as_ref));
        }
        builder.finish()
    }

    /// Builds from parts; every code must index `levels` or be
    /// [`CategoricalColumn::MISSING`] (checked).
    ///
    /// # Errors
    /// [`FrameError::InvalidConfig`] when a code is out of range.
    pub fn from_parts(levels: Vec<String>, codes: Vec<u32>) -> Result<Self> {
        if let Some(bad) = codes.iter().find(|&&c| c != Self::MISSING && c as usize >= levels.len()) {
            return Err(FrameError::InvalidConfig {
                reason: format!("categorical code {bad} out of range for {} levels", levels.len()),
            });
        }
        Ok(CategoricalColumn { levels, codes })
    }

    /// Builds from parts the caller guarantees consistent (loaders).
    #[cfg(any(feature = "csv", feature = "arrow"))]
    pub(crate) fn from_parts_unchecked(levels: Vec<String>, codes: Vec<u32>) -> Self {
        CategoricalColumn { levels, codes }
    }

    /// Splits into levels and codes.
    pub fn into_parts(self) -> (Vec<String>, Vec<u32>) {
        (self.levels, self.codes)
    }

    /// How many rows hold each level (same order as [`CategoricalColumn::levels`]).
    pub fn level_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.levels.len()];
        for &c in &self.codes {
            if let Some(n) = counts.get_mut(c as usize) {
                *n += 1;
            }
        }
        counts
    }

    /// The distinct levels, in order of first appearance.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// Per row, the index into [`CategoricalColumn::levels`], or
    /// [`CategoricalColumn::MISSING`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The code of row `i` (`None` when missing or out of range).
    #[inline]
    pub fn code(&self, i: usize) -> Option<u32> {
        self.codes.get(i).copied().filter(|&c| c != Self::MISSING)
    }

    /// Whether row `i` is missing (rows out of range count as missing).
    pub fn is_missing(&self, i: usize) -> bool {
        self.code(i).is_none()
    }

    /// The value of row `i` (`None` when missing or out of range).
    pub fn get(&self, i: usize) -> Option<&str> {
        self.levels.get(*self.codes.get(i)? as usize).map(String::as_str)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Incremental builder of a [`CategoricalColumn`] (used by loaders):
/// levels in order of first appearance, through the same interner as the
/// CSV loader.
#[derive(Debug, Default)]
pub struct CategoricalBuilder {
    levels: Interner,
    codes: Vec<u32>,
}

impl CategoricalBuilder {
    /// Appends one value (`None` = missing).
    pub fn push(&mut self, value: Option<&str>) {
        let code = value.map_or(CategoricalColumn::MISSING, |v| self.levels.intern(v.as_bytes()));
        self.codes.push(code);
    }

    /// Finishes the column.
    pub fn finish(self) -> CategoricalColumn {
        // Every level came from a `&str`: none is replaced as invalid UTF-8.
        let (levels, _) = Interner::levels(self.levels.raw);
        CategoricalColumn { levels, codes: self.codes }
    }
}

/// A numeric column: one `f64` per row, 8 bytes a value, with a missing
/// value stored as NaN. In a [`Frame`] a present value is always finite, so
/// NaN is free to mean "missing". It reads and serialises as `Option<f64>`
/// per row.
///
/// A present non-finite value given to a constructor is kept as given (a
/// present NaN with its own NaN bits, never read as missing) and
/// [`Frame::new`] rejects the column, naming the first one.
///
/// ```
/// use acctscore_frame::NumericColumn;
///
/// let employees: NumericColumn = [Some(12.0), None, Some(300.0)].into_iter().collect();
/// assert_eq!(employees.len(), 3);
/// assert_eq!(employees.get(0), Some(12.0));
/// assert_eq!(employees.get(1), None);
/// assert!(employees.values()[1].is_nan());
/// assert_eq!(employees.iter().collect::<Vec<_>>(), [Some(12.0), None, Some(300.0)]);
/// assert_eq!(serde_json::to_string(&employees)?, "[12.0,null,300.0]");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct NumericColumn {
    /// Per row, the value, or [`NUMERIC_MISSING`] when missing.
    values: Vec<f64>,
    /// The first non-finite present value (row and value): such a column
    /// cannot enter a [`Frame`], which reports it.
    non_finite: Option<(usize, f64)>,
}

/// A missing numeric value: the standard quiet NaN.
pub(crate) const NUMERIC_MISSING: f64 = f64::NAN;

/// A present NaN (which a [`Frame`] refuses): a quiet NaN with other bits
/// than [`NUMERIC_MISSING`], so that it is never read as missing.
const PRESENT_NAN: f64 = f64::from_bits(f64::NAN.to_bits() | 1);

impl NumericColumn {
    /// A column from raw values in which NaN means missing. An infinite
    /// value is kept as given, and [`Frame::new`] rejects it.
    pub fn from_nan_missing(mut values: Vec<f64>) -> Self {
        let mut non_finite = None;
        for (i, x) in values.iter_mut().enumerate() {
            if x.is_nan() {
                // Any NaN bits mean missing here.
                *x = NUMERIC_MISSING;
            } else if x.is_infinite() {
                non_finite.get_or_insert((i, *x));
            }
        }
        NumericColumn { values, non_finite }
    }

    /// A column from values the caller guarantees finite or [`NUMERIC_MISSING`] (loaders).
    #[cfg(any(feature = "csv", feature = "arrow"))]
    pub(crate) fn from_nan_missing_unchecked(values: Vec<f64>) -> Self {
        NumericColumn { values, non_finite: None }
    }

    /// Per row, the value, or NaN when missing: the fast way to read a
    /// whole column of a [`Frame`] (whose present values are finite).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The value of row `i` (`None` when missing or out of range).
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        self.values.get(i).copied().and_then(present)
    }

    /// Whether row `i` is missing (rows out of range count as missing).
    pub fn is_missing(&self, i: usize) -> bool {
        self.get(i).is_none()
    }

    /// The values in row order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<f64>> + DoubleEndedIterator + Clone + '_ {
        self.values.iter().map(|&x| present(x))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The given rows, in order (indices out of range become missing).
    pub fn take(&self, rows: &[usize]) -> NumericColumn {
        rows.iter().map(|&i| self.get(i)).collect()
    }

    /// The rows where `keep` is true (`keep` as long as the column).
    pub(crate) fn filter(&self, keep: &[bool]) -> NumericColumn {
        self.iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x).collect()
    }

    /// The first non-finite present value, with its row.
    pub(crate) fn non_finite(&self) -> Option<(usize, f64)> {
        self.non_finite
    }
}

/// A stored value as read: `None` for [`NUMERIC_MISSING`] only.
#[inline]
fn present(x: f64) -> Option<f64> {
    (x.to_bits() != NUMERIC_MISSING.to_bits()).then_some(x)
}

impl PartialEq for NumericColumn {
    /// Equal when every row holds the same value (NaN equal to NaN) or both
    /// are missing.
    fn eq(&self, other: &Self) -> bool {
        self.values.len() == other.values.len()
            && self.values.iter().zip(&other.values).all(|(&a, &b)| a == b || a.to_bits() == b.to_bits())
    }
}

impl FromIterator<Option<f64>> for NumericColumn {
    /// `None` becomes missing; a present non-finite value is kept (a NaN
    /// as a present NaN) and [`Frame::new`] rejects the column.
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Self {
        let mut non_finite = None;
        let values = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(x) if x.is_finite() => x,
                Some(x) => {
                    non_finite.get_or_insert((i, x));
                    if x.is_nan() { PRESENT_NAN } else { x }
                }
                None => NUMERIC_MISSING,
            })
            .collect();
        NumericColumn { values, non_finite }
    }
}

impl From<Vec<Option<f64>>> for NumericColumn {
    fn from(values: Vec<Option<f64>>) -> Self {
        values.into_iter().collect()
    }
}

impl From<NumericColumn> for Vec<Option<f64>> {
    fn from(column: NumericColumn) -> Self {
        column.iter().collect()
    }
}

impl Serialize for NumericColumn {
    /// As `Option<f64>` per row, without a copy.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NumericColumn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Vec::<Option<f64>>::deserialize(d).map(Into::into)
    }
}

/// One typed column. Every kind marks a missing value explicitly, and every
/// kind reads a row as an `Option` (`None` when missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Column {
    /// Real numbers. A present value is always finite.
    Numeric(NumericColumn),
    /// Booleans.
    Boolean(Vec<Option<bool>>),
    /// Dictionary-encoded labels.
    Categorical(CategoricalColumn),
    /// Free text.
    Text(TextColumn),
    /// Unix seconds.
    Timestamp(Vec<Option<i64>>),
}

impl Column {
    /// A numeric column. A present non-finite value is kept as given (a NaN
    /// is never read as missing); [`Frame::new`] rejects it with a typed error.
    pub fn numeric(values: Vec<Option<f64>>) -> Self {
        Column::Numeric(values.into())
    }

    /// A categorical column from strings.
    pub fn categorical<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> Self {
        Column::Categorical(CategoricalColumn::from_values(values))
    }

    /// A text column from strings.
    pub fn text<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> Self {
        Column::Text(values.into_iter().collect())
    }

    /// The column's kind.
    pub fn kind(&self) -> ColumnKind {
        match self {
            Column::Numeric(_) => ColumnKind::Numeric,
            Column::Boolean(_) => ColumnKind::Boolean,
            Column::Categorical(_) => ColumnKind::Categorical,
            Column::Text(_) => ColumnKind::Text,
            Column::Timestamp(_) => ColumnKind::Timestamp,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Boolean(v) => v.len(),
            Column::Categorical(c) => c.len(),
            Column::Text(v) => v.len(),
            Column::Timestamp(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The given rows, in order (indices out of range become missing).
    pub fn take(&self, rows: &[usize]) -> Column {
        fn pick<T: Clone>(v: &[Option<T>], rows: &[usize]) -> Vec<Option<T>> {
            rows.iter().map(|&i| v.get(i).cloned().flatten()).collect()
        }
        let codes =
            |c: &CategoricalColumn| rows.iter().map(|&i| c.code(i).unwrap_or(CategoricalColumn::MISSING)).collect();
        match self {
            Column::Numeric(v) => Column::Numeric(v.take(rows)),
            Column::Boolean(v) => Column::Boolean(pick(v, rows)),
            Column::Text(v) => Column::Text(v.take(rows)),
            Column::Timestamp(v) => Column::Timestamp(pick(v, rows)),
            Column::Categorical(c) => {
                Column::Categorical(CategoricalColumn { levels: c.levels.clone(), codes: codes(c) })
            }
        }
    }

    /// Whether row `i` is missing (rows out of range count as missing).
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Numeric(v) => v.is_missing(i),
            Column::Boolean(v) => v.get(i).is_none_or(Option::is_none),
            Column::Categorical(c) => c.is_missing(i),
            Column::Text(v) => v.is_missing(i),
            Column::Timestamp(v) => v.get(i).is_none_or(Option::is_none),
        }
    }
}

/// A table of named, typed columns of equal length.
///
/// ```
/// use acctscore_frame::{Column, ColumnKind, Frame, FrameError};
///
/// let frame = Frame::new(vec![
///     ("employees".to_string(), Column::numeric(vec![Some(12.0), None])),
///     ("industry".to_string(), Column::categorical([Some("Software"), Some("Retail")])),
/// ])?;
/// assert_eq!((frame.nrows(), frame.ncols()), (2, 2));
/// assert_eq!(frame.column("industry")?.kind(), ColumnKind::Categorical);
/// assert!(frame.column("employees")?.is_missing(1));
/// assert!(matches!(frame.column("revenue"), Err(FrameError::MissingColumn { .. })));
/// # Ok::<(), FrameError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    names: Vec<String>,
    columns: Vec<Column>,
    nrows: usize,
    /// Records a loader left out on request (never silently).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<SkippedRow>,
    /// Per column, how many missing-value tokens a loader read as missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    missing_tokens: Vec<(String, usize)>,
}

impl Frame {
    /// Builds a frame, checking equal lengths, unique names and finite numbers
    /// (a numeric column knows its first non-finite value: no scan).
    ///
    /// # Errors
    /// [`FrameError::RaggedColumns`], [`FrameError::DuplicateColumn`] or
    /// [`FrameError::NonFinite`].
    pub fn new(columns: Vec<(String, Column)>) -> Result<Self> {
        let nrows = columns.first().map_or(0, |(_, c)| c.len());
        let mut names = Vec::with_capacity(columns.len());
        let mut cols = Vec::with_capacity(columns.len());
        for (name, col) in columns {
            if col.len() != nrows {
                return Err(FrameError::RaggedColumns { column: name, expected: nrows, found: col.len() });
            }
            if names.contains(&name) {
                return Err(FrameError::DuplicateColumn { column: name });
            }
            if let Column::Numeric(v) = &col
                && let Some((row, value)) = v.non_finite()
            {
                return Err(FrameError::NonFinite { column: name, row, value });
            }
            names.push(name);
            cols.push(col);
        }
        Ok(Frame { names, columns: cols, nrows, skipped: Vec::new(), missing_tokens: Vec::new() })
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.columns.len()
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Columns, in the order of [`Frame::names`].
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    ///
    /// # Errors
    /// [`FrameError::MissingColumn`] when absent.
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
            .ok_or_else(|| FrameError::MissingColumn { column: name.to_string(), available: self.names.clone() })
    }

    /// A frame of the given rows, in the given order (indices out of range
    /// become missing values).
    pub fn take(&self, rows: &[usize]) -> Frame {
        let columns = self.columns.iter().map(|c| c.take(rows)).collect();
        Frame { names: self.names.clone(), columns, nrows: rows.len(), skipped: Vec::new(), missing_tokens: Vec::new() }
    }

    /// A frame without the named columns (names not present are ignored).
    pub fn without(&self, drop: &[&str]) -> Frame {
        let (names, columns) = self
            .names
            .iter()
            .zip(&self.columns)
            .filter(|(n, _)| !drop.contains(&n.as_str()))
            .map(|(n, c)| (n.clone(), c.clone()))
            .unzip();
        let missing_tokens = self.missing_tokens.iter().filter(|(n, _)| !drop.contains(&n.as_str())).cloned().collect();
        Frame { names, columns, nrows: self.nrows, skipped: self.skipped.clone(), missing_tokens }
    }

    /// A frame with `column` under `name`: in place of the column of that
    /// name, or appended when there is none. The replaced column's
    /// missing-token count is dropped: the new column was not read by a loader.
    ///
    /// ```
    /// use acctscore_frame::{Column, Frame};
    ///
    /// let f = Frame::new(vec![("a".into(), Column::numeric(vec![Some(1.0), None]))])?;
    /// let g = f.with_column("a", Column::categorical([Some("x"), Some("y")]))?;
    /// let h = g.with_column("b", Column::numeric(vec![Some(2.0), Some(3.0)]))?;
    /// assert_eq!(h.names(), ["a", "b"]);
    /// assert!(f.with_column("c", Column::numeric(vec![Some(1.0)])).is_err()); // wrong length
    /// # Ok::<(), acctscore_frame::FrameError>(())
    /// ```
    ///
    /// # Errors
    /// [`FrameError::RaggedColumns`] when `column`'s length is not the
    /// frame's row count, or [`FrameError::NonFinite`].
    pub fn with_column(&self, name: &str, column: Column) -> Result<Frame> {
        let mut columns: Vec<(String, Column)> = self.names.iter().cloned().zip(self.columns.iter().cloned()).collect();
        match columns.iter_mut().find(|(n, _)| n == name) {
            Some((_, c)) => *c = column,
            None => columns.push((name.to_string(), column)),
        }
        let missing_tokens = self.missing_tokens.iter().filter(|(n, _)| n != name).cloned().collect();
        Ok(Frame::new(columns)?.with_skipped_rows(self.skipped.clone()).with_missing_tokens(missing_tokens))
    }

    /// Records the CSV loader skipped because [`skip_bad_rows`] was asked,
    /// with their line numbers and reasons (empty otherwise).
    ///
    /// [`skip_bad_rows`]: crate::csv::CsvOptions::skip_bad_rows
    pub fn skipped_rows(&self) -> &[SkippedRow] {
        &self.skipped
    }

    /// Attaches the list of skipped records (used by loaders).
    pub fn with_skipped_rows(mut self, skipped: Vec<SkippedRow>) -> Frame {
        self.skipped = skipped;
        self
    }

    /// Per column with any, in column order: how many values the loader
    /// read as missing because they were missing-value tokens (`n/a`,
    /// `NULL`, …; see [`CsvOptions::missing_tokens`]). Empty for a frame not
    /// read by a loader, and for a subset of rows ([`Frame::take`],
    /// [`Frame::filter_rows`]), whose counts are not known.
    ///
    /// [`CsvOptions::missing_tokens`]: crate::csv::CsvOptions::missing_tokens
    pub fn missing_tokens(&self) -> &[(String, usize)] {
        &self.missing_tokens
    }

    /// Attaches the per-column missing-token counts (used by loaders).
    pub fn with_missing_tokens(mut self, counts: Vec<(String, usize)>) -> Frame {
        self.missing_tokens = counts;
        self
    }

    /// Keeps only the rows where `keep` is true (`keep` must have one entry per row).
    ///
    /// # Errors
    /// [`acctscore_core::CoreError::ShapeMismatch`] when `keep` has the wrong length.
    pub fn filter_rows(&self, keep: &[bool]) -> Result<Frame> {
        if keep.len() != self.nrows {
            return Err(acctscore_core::CoreError::ShapeMismatch {
                what: "row mask vs rows",
                expected: self.nrows,
                found: keep.len(),
            }
            .into());
        }
        fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
            v.iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x.clone()).collect()
        }
        let columns = self
            .columns
            .iter()
            .map(|c| match c {
                Column::Numeric(v) => Column::Numeric(v.filter(keep)),
                Column::Boolean(v) => Column::Boolean(pick(v, keep)),
                Column::Categorical(c) => {
                    Column::Categorical(CategoricalColumn { levels: c.levels.clone(), codes: pick(&c.codes, keep) })
                }
                Column::Text(v) => Column::Text(v.iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x).collect()),
                Column::Timestamp(v) => Column::Timestamp(pick(v, keep)),
            })
            .collect();
        let nrows = keep.iter().filter(|k| **k).count();
        Ok(Frame {
            names: self.names.clone(),
            columns,
            nrows,
            skipped: self.skipped.clone(),
            missing_tokens: Vec::new(),
        })
    }
}

mod text;
#[cfg(feature = "csv")]
pub(crate) use text::TextBytes;
pub use text::TextColumn;

#[cfg(test)]
mod tests;
