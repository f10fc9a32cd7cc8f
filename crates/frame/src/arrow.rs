//! Arrow input (feature `arrow`): a [`Frame`] from Arrow [`RecordBatch`]es.
//!
//! Each Arrow column becomes the frame column of its kind, in one pass over
//! its values:
//!
//! | Arrow type | kind (undeclared) | may also be declared |
//! |---|---|---|
//! | `Int8`–`Int64`, `UInt8`–`UInt64`, `Float16`–`Float64`, `Decimal128`, `Null` | numeric | timestamp (integers, as Unix seconds) |
//! | `Boolean` | boolean | — |
//! | `Utf8`, `LargeUtf8`, `Utf8View` | text | categorical |
//! | `Dictionary` of one of those strings | categorical | text |
//! | `Timestamp(unit, _)`, `Date32`, `Date64` | timestamp (Unix seconds, rounded down) | — |
//!
//! Declare a kind with [`ArrowOptions::kind`] (the pool's `industry` is
//! categorical even when a writer stored plain strings). Anything else —
//! a type outside the table, or a declared kind the type cannot give — is a
//! [`FrameError::ArrowType`] naming the column, the Arrow type found and
//! what is supported.
//!
//! - **Missing values**: an Arrow null (in a dictionary column, a null key
//!   or a null dictionary value) becomes the frame's missing value.
//! - **Strings** are read as written: unlike the CSV loader, which trims
//!   surrounding whitespace from every field (a CSV convention), typed
//!   input is not rewritten.
//! - **Numbers**: a present NaN or infinity is a [`FrameError::NonFinite`]
//!   with its column and row, as [`Frame::new`] refuses it (nothing is read
//!   as missing that the data did not mark missing).
//! - **Dictionaries**: a dictionary column becomes categorical codes with
//!   one lookup per dictionary entry, not one per row: each entry is
//!   interned the first time a row uses it, and the batches that share one
//!   dictionary (as a Parquet column chunk's do) share that mapping. Levels
//!   are in order of first appearance, as the CSV loader gives them, so the
//!   same data read from CSV or Arrow gives equal frames.
//!
//! ```
//! use std::sync::Arc;
//! use acctscore_frame::arrow::arrow_array::{
//!     ArrayRef, DictionaryArray, Float64Array, RecordBatch, StringArray, types::Int32Type,
//! };
//! use acctscore_frame::{Column, ColumnKind, Frame};
//!
//! let industry: DictionaryArray<Int32Type> = vec![Some("Software"), Some("Retail"), None].into_iter().collect();
//! let batch = RecordBatch::try_from_iter([
//!     ("account_id", Arc::new(StringArray::from(vec!["a1", "a2", "a3"])) as ArrayRef),
//!     ("industry", Arc::new(industry) as ArrayRef),
//!     ("employees", Arc::new(Float64Array::from(vec![Some(12.0), None, Some(3.0)])) as ArrayRef),
//! ])?;
//! let frame = Frame::from_record_batch(&batch)?;
//! assert_eq!(frame.nrows(), 3);
//! assert_eq!(frame.column("account_id")?.kind(), ColumnKind::Text);
//! let Column::Categorical(industry) = frame.column("industry")? else { unreachable!() };
//! assert_eq!(industry.levels(), ["Software", "Retail"]);
//! assert_eq!(industry.get(2), None); // an Arrow null is missing
//! assert!(frame.column("employees")?.is_missing(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::frame::{CategoricalColumn, NUMERIC_MISSING};
use crate::intern::Interner;
use crate::{Column, ColumnKind, Frame, FrameError, NumericColumn, Result, TextColumn};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Schema, TimeUnit};
use std::collections::BTreeMap;

/// The `arrow-array` crate this one reads (re-exported so that callers name
/// the same version of its types).
pub use arrow_array;
pub use arrow_array::RecordBatch;
/// The `arrow-schema` crate this one reads (re-exported as [`arrow_array`]).
pub use arrow_schema;

/// What each kind reads, for [`FrameError::ArrowType`].
const NUMERIC_TYPES: &str = "Int8–Int64, UInt8–UInt64, Float16–Float64, Decimal128, Null";
const TIMESTAMP_TYPES: &str = "Timestamp (any unit), Date32, Date64, or integers as Unix seconds";
const STRING_TYPES: &str = "Utf8, LargeUtf8, Utf8View, or a Dictionary of them";
const ALL_TYPES: &str = "integers, floats, Decimal128, Null (numeric); Boolean; Utf8, LargeUtf8, Utf8View (text); \
     Dictionary of strings (categorical); Timestamp, Date32, Date64 (timestamp)";

/// Options of the Arrow (and Parquet) readers. Build with
/// [`ArrowOptions::new`] and the setters.
///
/// ```
/// use std::sync::Arc;
/// use acctscore_frame::arrow::ArrowOptions;
/// use acctscore_frame::arrow::arrow_array::{ArrayRef, RecordBatch, StringArray};
/// use acctscore_frame::{ColumnKind, Frame};
///
/// let batch = RecordBatch::try_from_iter([
///     ("account_id", Arc::new(StringArray::from(vec!["a1", "a2"])) as ArrayRef),
///     ("industry", Arc::new(StringArray::from(vec!["Software", "Retail"])) as ArrayRef),
///     ("notes", Arc::new(StringArray::from(vec!["call back", ""])) as ArrayRef),
/// ])?;
/// // Plain strings are text unless declared; `notes` is not read at all.
/// let options = ArrowOptions::new().kind("industry", ColumnKind::Categorical).only(["account_id", "industry"]);
/// let frame = Frame::from_record_batch_with(&batch, &options)?;
/// assert_eq!(frame.column("industry")?.kind(), ColumnKind::Categorical);
/// assert!(frame.column("notes").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrowOptions {
    kinds: BTreeMap<String, ColumnKind>,
    only: Option<Vec<String>>,
}

impl ArrowOptions {
    /// Defaults: every column, each of the kind its Arrow type gives (see
    /// the [module docs](self)).
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares the kind of one column instead of taking its Arrow type's.
    pub fn kind(mut self, column: impl Into<String>, kind: ColumnKind) -> Self {
        self.kinds.insert(column.into(), kind);
        self
    }

    /// Reads only these columns (by name; default: all), in the input's
    /// order. A listed name absent from the input is not an error here (the
    /// frame simply lacks it), as with the CSV loader's `only`. A Parquet
    /// file's other columns are not decoded at all.
    pub fn only<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.only = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the column `name` is read.
    pub(crate) fn wants(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.iter().any(|o| o == name))
    }

    /// The kind declared for `name`, if any.
    pub(crate) fn declared(&self, name: &str) -> Option<ColumnKind> {
        self.kinds.get(name).copied()
    }
}

impl Frame {
    /// A frame of one record batch, every column of the kind its Arrow type
    /// gives (see the [module docs](crate::arrow)).
    ///
    /// # Errors
    /// [`FrameError::ArrowType`] for a column of a type no kind reads,
    /// [`FrameError::NonFinite`] for a present NaN or infinity, and the
    /// errors of [`Frame::new`] (duplicate names).
    pub fn from_record_batch(batch: &RecordBatch) -> Result<Frame> {
        Frame::from_record_batch_with(batch, &ArrowOptions::new())
    }

    /// [`Frame::from_record_batch`] with options (declared kinds, a projection).
    ///
    /// # Errors
    /// As [`Frame::from_record_batch`], and [`FrameError::ArrowType`] for a
    /// declared kind the column's type cannot give.
    pub fn from_record_batch_with(batch: &RecordBatch, options: &ArrowOptions) -> Result<Frame> {
        Frame::from_record_batches(batch.schema_ref(), std::slice::from_ref(batch), options)
    }

    /// A frame of the rows of several record batches of `schema`, in order
    /// (no batch at all gives a frame of no rows with the schema's columns).
    ///
    /// # Errors
    /// As [`Frame::from_record_batch_with`]; [`FrameError::InvalidConfig`]
    /// when a batch's columns are not the schema's (names and types).
    pub fn from_record_batches(schema: &Schema, batches: &[RecordBatch], options: &ArrowOptions) -> Result<Frame> {
        let mut builder = ArrowFrameBuilder::new(schema, options)?;
        builder.reserve(batches.iter().map(RecordBatch::num_rows).sum());
        builder.push(batches)?;
        builder.finish()
    }
}

/// A frame in the making from a stream of record batches of one schema
/// (the Parquet reader's): each batch's columns are appended to the
/// frame's, and nothing of the batch is kept.
#[derive(Debug)]
pub(crate) struct ArrowFrameBuilder {
    schema: Schema,
    /// Per column read: its index in the schema, its name and its growing values.
    columns: Vec<(usize, String, Growing)>,
    rows: usize,
}

impl ArrowFrameBuilder {
    /// A builder of the columns of `schema` that `options` reads.
    ///
    /// # Errors
    /// [`FrameError::ArrowType`] for a column whose type gives no kind, or
    /// not its declared one.
    pub(crate) fn new(schema: &Schema, options: &ArrowOptions) -> Result<Self> {
        let mut columns = Vec::new();
        for (k, field) in schema.fields().iter().enumerate() {
            if !options.wants(field.name()) {
                continue;
            }
            let kind = kind_of(field.name(), field.data_type(), options.declared(field.name()))?;
            columns.push((k, field.name().clone(), Growing::new(kind)));
        }
        Ok(ArrowFrameBuilder { schema: schema.clone(), columns, rows: 0 })
    }

    /// Makes room for `rows` more rows in every column (a loader that knows
    /// the row count up front saves the copies of growing).
    pub(crate) fn reserve(&mut self, rows: usize) {
        for (_, _, growing) in &mut self.columns {
            match growing {
                Growing::Numeric(v) => v.reserve(rows),
                Growing::Boolean(v) => v.reserve(rows),
                Growing::Categorical(c) => c.codes.reserve(rows),
                Growing::Text(t) => t.reserve(rows),
                Growing::Timestamp(v) => v.reserve(rows),
            }
        }
    }

    /// Appends the rows of `batches`, in order. Each column takes every
    /// batch in turn, the columns in parallel with the `parallel` feature;
    /// the error is the one of the first batch, then the first column, that
    /// has one (as when the batches go one after another), whatever the
    /// number of threads.
    ///
    /// # Errors
    /// [`FrameError::InvalidConfig`] for a batch whose columns are not the
    /// first's (names, types); the errors of a column's values.
    pub(crate) fn push(&mut self, batches: &[RecordBatch]) -> Result<()> {
        let firsts: Vec<usize> = batches
            .iter()
            .scan(self.rows, |row, b| {
                let first = *row;
                *row += b.num_rows();
                Some(first)
            })
            .collect();
        let schema = &self.schema;
        let column = |(c, (k, name, growing)): (usize, &mut (usize, String, Growing))| {
            for (b, (batch, &first)) in batches.iter().zip(&firsts).enumerate() {
                let pushed =
                    check_field(schema, batch, *k, name).and_then(|()| growing.push(name, first, batch.column(*k)));
                if let Err(e) = pushed {
                    return Some((b, c, e));
                }
            }
            None
        };
        #[cfg(feature = "parallel")]
        let first_error = {
            use rayon::prelude::*;
            self.columns.par_iter_mut().enumerate().filter_map(column).min_by_key(|(b, c, _)| (*b, *c))
        };
        #[cfg(not(feature = "parallel"))]
        let first_error = self.columns.iter_mut().enumerate().filter_map(column).min_by_key(|(b, c, _)| (*b, *c));
        if let Some((_, _, e)) = first_error {
            return Err(e);
        }
        self.rows += batches.iter().map(RecordBatch::num_rows).sum::<usize>();
        Ok(())
    }

    /// Appends every column from a stream of its own: `stream(k)` gives
    /// the arrays of schema column `k`, in row order (a Parquet reader of
    /// that one column). The columns are read in parallel with the
    /// `parallel` feature, each array appended and dropped as it comes, so
    /// that no more than one array per column is held; all streams must give
    /// the same number of rows. The error is the one of the first row, then
    /// the first column, that has one, whatever the number of threads.
    ///
    /// # Errors
    /// The streams' errors; the errors of a column's values;
    /// [`FrameError::InvalidConfig`] when the streams' row counts differ.
    #[cfg(feature = "parquet")]
    pub(crate) fn push_streams<S>(&mut self, stream: impl Fn(usize) -> Result<S> + Sync) -> Result<()>
    where
        S: Iterator<Item = Result<ArrayRef>>,
    {
        let start = self.rows;
        // Per column: its row count, or the first row of the stretch that failed and the error.
        let column =
            |(k, name, growing): &mut (usize, String, Growing)| -> std::result::Result<usize, (usize, FrameError)> {
                let mut row = start;
                for array in stream(*k).map_err(|e| (row, e))? {
                    let array = array.map_err(|e| (row, e))?;
                    growing.push(name, row, &array).map_err(|e| (row, e))?;
                    row += array.len();
                }
                Ok(row)
            };
        #[cfg(feature = "parallel")]
        let ends: Vec<_> = {
            use rayon::prelude::*;
            self.columns.par_iter_mut().map(column).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let ends: Vec<_> = self.columns.iter_mut().map(column).collect();
        let rows = crate::earliest_error(ends).map_err(|(_, e)| e)?;
        match rows.as_slice() {
            [] => {}
            [end, rest @ ..] => {
                if let Some(other) = rest.iter().find(|&r| r != end) {
                    return Err(FrameError::InvalidConfig {
                        reason: format!("the columns' streams give {} and {} rows", end - start, other - start),
                    });
                }
                self.rows = *end;
            }
        }
        Ok(())
    }

    /// The frame.
    ///
    /// # Errors
    /// As [`Frame::new`].
    pub(crate) fn finish(self) -> Result<Frame> {
        Frame::new(self.columns.into_iter().map(|(_, name, growing)| (name, growing.finish())).collect())
    }
}

/// Checks that column `k` of `batch` is column `k` of `schema` (named `name`): same name, same type.
fn check_field(schema: &Schema, batch: &RecordBatch, k: usize, name: &str) -> Result<()> {
    let theirs = batch.schema_ref();
    let Some(field) = theirs.fields().get(k).filter(|f| f.name() == name) else {
        return Err(FrameError::InvalidConfig {
            reason: format!("a record batch lacks column `{name}` (at position {}) of the first batch", k + 1),
        });
    };
    let ours = schema.field(k);
    if field.data_type() != ours.data_type() {
        return Err(FrameError::InvalidConfig {
            reason: format!(
                "column `{name}` is {} in one record batch and {} in another",
                ours.data_type(),
                field.data_type()
            ),
        });
    }
    Ok(())
}

/// The kind a column of type `dt` is read as (`declared`, if the type can give it).
fn kind_of(column: &str, dt: &DataType, declared: Option<ColumnKind>) -> Result<ColumnKind> {
    let natural = natural_kind(dt);
    let err = |supported: &str| FrameError::ArrowType {
        column: column.to_string(),
        found: dt.to_string(),
        wanted: declared,
        supported: supported.to_string(),
    };
    let Some(natural) = natural else { return Err(err(ALL_TYPES)) };
    let Some(declared) = declared else { return Ok(natural) };
    let fits = match declared {
        ColumnKind::Numeric => natural == ColumnKind::Numeric,
        ColumnKind::Boolean => natural == ColumnKind::Boolean,
        ColumnKind::Timestamp => natural == ColumnKind::Timestamp || is_integer(dt),
        ColumnKind::Text | ColumnKind::Categorical => matches!(natural, ColumnKind::Text | ColumnKind::Categorical),
    };
    if fits {
        return Ok(declared);
    }
    Err(err(match declared {
        ColumnKind::Numeric => NUMERIC_TYPES,
        ColumnKind::Boolean => "Boolean",
        ColumnKind::Timestamp => TIMESTAMP_TYPES,
        ColumnKind::Text | ColumnKind::Categorical => STRING_TYPES,
    }))
}

/// Integer types read as Unix seconds when a timestamp is declared
/// (`UInt64` is not: its values past `i64::MAX` are no time).
fn is_integer(dt: &DataType) -> bool {
    dt.is_signed_integer() || matches!(dt, DataType::UInt8 | DataType::UInt16 | DataType::UInt32)
}

fn is_string(dt: &DataType) -> bool {
    matches!(dt, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The kind a type gives when none is declared; `None` for a type no kind reads.
fn natural_kind(dt: &DataType) -> Option<ColumnKind> {
    Some(match dt {
        DataType::Null | DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
            ColumnKind::Numeric
        }
        dt if dt.is_integer() => ColumnKind::Numeric,
        DataType::Boolean => ColumnKind::Boolean,
        dt if is_string(dt) => ColumnKind::Text,
        DataType::Dictionary(key, value) if key.is_dictionary_key_type() && is_string(value) => ColumnKind::Categorical,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => ColumnKind::Timestamp,
        _ => return None,
    })
}

/// One column's values so far.
#[derive(Debug)]
enum Growing {
    Numeric(Vec<f64>),
    Boolean(Vec<Option<bool>>),
    Categorical(Categories),
    Text(TextColumn),
    Timestamp(Vec<Option<i64>>),
}

impl Growing {
    fn new(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::Numeric => Growing::Numeric(Vec::new()),
            ColumnKind::Boolean => Growing::Boolean(Vec::new()),
            ColumnKind::Categorical => Growing::Categorical(Categories::default()),
            ColumnKind::Text => Growing::Text(TextColumn::default()),
            ColumnKind::Timestamp => Growing::Timestamp(Vec::new()),
        }
    }

    /// Appends `array` (of a type the kind reads, as [`kind_of`] checked),
    /// whose first row is row `first_row` of the frame.
    fn push(&mut self, column: &str, first_row: usize, array: &ArrayRef) -> Result<()> {
        let unexpected = || FrameError::ArrowType {
            column: column.to_string(),
            found: array.data_type().to_string(),
            wanted: None,
            supported: ALL_TYPES.to_string(),
        };
        match self {
            Growing::Numeric(out) => {
                let start = out.len();
                push_numeric(array, out).ok_or_else(unexpected)?;
                if let Some((i, &value)) =
                    out[start..].iter().enumerate().find(|(_, x)| x.is_infinite() || is_present_nan(**x))
                {
                    return Err(FrameError::NonFinite { column: column.to_string(), row: first_row + i, value });
                }
            }
            Growing::Boolean(out) => out.extend(array.as_boolean_opt().ok_or_else(unexpected)?.iter()),
            Growing::Timestamp(out) => push_timestamps(array, out).ok_or_else(unexpected)?,
            Growing::Text(out) => push_text(array, out).ok_or_else(unexpected)?,
            Growing::Categorical(c) => c.push(array).ok_or_else(unexpected)?,
        }
        Ok(())
    }

    fn finish(self) -> Column {
        match self {
            Growing::Numeric(v) => Column::Numeric(NumericColumn::from_nan_missing_unchecked(v)),
            Growing::Boolean(v) => Column::Boolean(v),
            Growing::Categorical(c) => Column::Categorical(c.finish()),
            Growing::Text(t) => Column::Text(t),
            Growing::Timestamp(v) => Column::Timestamp(v),
        }
    }
}

/// A present NaN as [`push_numeric`] writes it: NaN bits other than the
/// missing value's.
fn is_present_nan(x: f64) -> bool {
    x.is_nan() && x.to_bits() != NUMERIC_MISSING.to_bits()
}

/// A present NaN (which the frame refuses): NaN bits other than [`NUMERIC_MISSING`]'s.
const PRESENT_NAN: f64 = f64::from_bits(f64::NAN.to_bits() | 1);

/// Appends a numeric array's values as `f64` (missing: [`NUMERIC_MISSING`];
/// a present NaN: [`PRESENT_NAN`], found and refused by the caller).
fn push_numeric(array: &dyn Array, out: &mut Vec<f64>) -> Option<()> {
    fn prim<T: ArrowPrimitiveType>(array: &dyn Array, out: &mut Vec<f64>, f: impl Fn(T::Native) -> f64) -> Option<()> {
        let a = array.as_primitive_opt::<T>()?;
        let values = a.values().iter().map(|&v| match f(v) {
            x if x.is_nan() => PRESENT_NAN,
            x => x,
        });
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => out.extend(values),
            Some(nulls) => {
                out.extend(values.zip(nulls.iter()).map(|(x, valid)| if valid { x } else { NUMERIC_MISSING }))
            }
        }
        Some(())
    }
    match array.data_type() {
        DataType::Null => out.extend(std::iter::repeat_n(NUMERIC_MISSING, array.len())),
        DataType::Float64 => prim::<Float64Type>(array, out, |v| v)?,
        DataType::Float32 => prim::<Float32Type>(array, out, f64::from)?,
        DataType::Float16 => prim::<Float16Type>(array, out, |v| v.to_f64())?,
        DataType::Int8 => prim::<Int8Type>(array, out, f64::from)?,
        DataType::Int16 => prim::<Int16Type>(array, out, f64::from)?,
        DataType::Int32 => prim::<Int32Type>(array, out, f64::from)?,
        DataType::Int64 => prim::<Int64Type>(array, out, |v| v as f64)?,
        DataType::UInt8 => prim::<UInt8Type>(array, out, f64::from)?,
        DataType::UInt16 => prim::<UInt16Type>(array, out, f64::from)?,
        DataType::UInt32 => prim::<UInt32Type>(array, out, f64::from)?,
        DataType::UInt64 => prim::<UInt64Type>(array, out, |v| v as f64)?,
        DataType::Decimal128(_, scale) => {
            let div = 10f64.powi(i32::from(*scale));
            prim::<Decimal128Type>(array, out, |v| v as f64 / div)?;
        }
        _ => return None,
    }
    Some(())
}

/// Appends a timestamp array's values as Unix seconds (rounded down).
fn push_timestamps(array: &dyn Array, out: &mut Vec<Option<i64>>) -> Option<()> {
    fn prim<T: ArrowPrimitiveType>(
        array: &dyn Array,
        out: &mut Vec<Option<i64>>,
        f: impl Fn(T::Native) -> i64,
    ) -> Option<()> {
        let a = array.as_primitive_opt::<T>()?;
        out.extend(a.iter().map(|v| v.map(&f)));
        Some(())
    }
    let per_second = |unit: &TimeUnit| match unit {
        TimeUnit::Second => 1i64,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    match array.data_type() {
        DataType::Timestamp(unit, _) => {
            let d: i64 = per_second(unit);
            match unit {
                TimeUnit::Second => prim::<TimestampSecondType>(array, out, |v| v)?,
                TimeUnit::Millisecond => prim::<TimestampMillisecondType>(array, out, |v| v.div_euclid(d))?,
                TimeUnit::Microsecond => prim::<TimestampMicrosecondType>(array, out, |v| v.div_euclid(d))?,
                TimeUnit::Nanosecond => prim::<TimestampNanosecondType>(array, out, |v| v.div_euclid(d))?,
            }
        }
        DataType::Date32 => prim::<Date32Type>(array, out, |d| i64::from(d) * 86_400)?,
        DataType::Date64 => prim::<Date64Type>(array, out, |ms| ms.div_euclid(1_000))?,
        DataType::Int8 => prim::<Int8Type>(array, out, i64::from)?,
        DataType::Int16 => prim::<Int16Type>(array, out, i64::from)?,
        DataType::Int32 => prim::<Int32Type>(array, out, i64::from)?,
        DataType::Int64 => prim::<Int64Type>(array, out, |v| v)?,
        DataType::UInt8 => prim::<UInt8Type>(array, out, i64::from)?,
        DataType::UInt16 => prim::<UInt16Type>(array, out, i64::from)?,
        DataType::UInt32 => prim::<UInt32Type>(array, out, i64::from)?,
        _ => return None,
    }
    Some(())
}

/// Random access to the strings of a `Utf8`, `LargeUtf8` or `Utf8View` array.
#[derive(Clone, Copy)]
pub(crate) enum Strings<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Strings<'a> {
    /// The array's strings, when it is a string array.
    pub(crate) fn of(array: &'a dyn Array) -> Option<Self> {
        match array.data_type() {
            DataType::Utf8 => array.as_string_opt::<i32>().map(Strings::Utf8),
            DataType::LargeUtf8 => array.as_string_opt::<i64>().map(Strings::Large),
            DataType::Utf8View => array.as_string_view_opt().map(Strings::View),
            _ => None,
        }
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        match self {
            Strings::Utf8(a) => a.len(),
            Strings::Large(a) => a.len(),
            Strings::View(a) => a.len(),
        }
    }

    /// Row `i` (`None` when null or out of range).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        if i >= self.len() {
            return None;
        }
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// A dictionary array of strings: per row, the index of its entry (`None`
/// when the row is null), and the entries.
pub(crate) struct DictStrings<'a> {
    /// The dictionary's values (shared by the batches of one dictionary).
    pub(crate) values: &'a ArrayRef,
    /// Its strings.
    pub(crate) strings: Strings<'a>,
    /// Per row, the entry (any in range for a null row).
    pub(crate) keys: Vec<usize>,
    /// The array (for its row nulls).
    array: &'a dyn Array,
}

impl<'a> DictStrings<'a> {
    /// The array as a dictionary of strings, when it is one.
    pub(crate) fn of(array: &'a dyn Array) -> Option<Self> {
        let dict = array.as_any_dictionary_opt()?;
        let values = dict.values();
        let strings = Strings::of(values.as_ref())?;
        // `normalized_keys` needs a non-empty dictionary; with none, every row is null.
        let keys = if values.is_empty() { vec![0; array.len()] } else { dict.normalized_keys() };
        Some(DictStrings { values, strings, keys, array })
    }

    /// The entry of row `i`, `None` when the row is null (its value may
    /// still be a null entry: see [`Strings::get`]).
    #[inline]
    pub(crate) fn key(&self, i: usize) -> Option<usize> {
        if self.array.is_null(i) { None } else { self.keys.get(i).copied() }
    }
}

/// Appends a string or dictionary-of-strings array as text.
fn push_text(array: &dyn Array, out: &mut TextColumn) -> Option<()> {
    if let Some(s) = Strings::of(array) {
        for i in 0..s.len() {
            out.push(s.get(i));
        }
        return Some(());
    }
    let d = DictStrings::of(array)?;
    for i in 0..array.len() {
        out.push(d.key(i).and_then(|k| d.strings.get(k)));
    }
    Some(())
}

/// A categorical column in the making: codes in order of first appearance,
/// and the mapping of the last dictionary seen (kept with the dictionary,
/// so that a later batch with the same one reuses it).
#[derive(Debug, Default)]
struct Categories {
    levels: Interner,
    codes: Vec<u32>,
    last: Option<(ArrayRef, Vec<u32>)>,
}

/// Whether two dictionaries are one: the same buffers (the Parquet reader
/// wraps one dictionary in a new array for every batch, so the arrays
/// themselves differ). The mapping is kept with the dictionary it was made
/// from, so its buffers cannot be freed and reused while it is compared.
pub(crate) fn same_dictionary(a: &ArrayRef, b: &ArrayRef) -> bool {
    std::sync::Arc::ptr_eq(a, b) || (a.len() == b.len() && a.to_data().ptr_eq(&b.to_data()))
}

/// A dictionary entry not interned yet.
const UNSEEN: u32 = u32::MAX - 1;

impl Categories {
    fn push(&mut self, array: &dyn Array) -> Option<()> {
        if let Some(s) = Strings::of(array) {
            self.codes.reserve(s.len());
            for i in 0..s.len() {
                let code = s.get(i).map_or(CategoricalColumn::MISSING, |v| self.levels.intern(v.as_bytes()));
                self.codes.push(code);
            }
            return Some(());
        }
        let d = DictStrings::of(array)?;
        let mut map = match self.last.take() {
            Some((values, map)) if same_dictionary(&values, d.values) => map,
            _ => vec![UNSEEN; d.strings.len()],
        };
        self.codes.reserve(array.len());
        for i in 0..array.len() {
            let code = match d.key(i) {
                None => CategoricalColumn::MISSING,
                Some(k) => match map.get(k).copied() {
                    Some(UNSEEN) => {
                        // First use of this entry: intern it once.
                        let code =
                            d.strings.get(k).map_or(CategoricalColumn::MISSING, |v| self.levels.intern(v.as_bytes()));
                        if let Some(slot) = map.get_mut(k) {
                            *slot = code;
                        }
                        code
                    }
                    Some(code) => code,
                    None => CategoricalColumn::MISSING,
                },
            };
            self.codes.push(code);
        }
        self.last = Some((d.values.clone(), map));
        Some(())
    }

    fn finish(self) -> CategoricalColumn {
        // Every level came from a `&str`: none is replaced as invalid UTF-8.
        let (levels, _) = Interner::levels(self.levels.raw);
        CategoricalColumn::from_parts_unchecked(levels, self.codes)
    }
}
