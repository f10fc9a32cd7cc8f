//! The frame crate's error type.

use acctscore_core::CoreError;
use serde::{Deserialize, Serialize};

/// Errors of frame building and CSV loading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A core check failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Columns of a frame have different lengths.
    #[error("column `{column}` has {found} rows, expected {expected}")]
    RaggedColumns {
        /// The column's name.
        column: String,
        /// Rows of the first column.
        expected: usize,
        /// Rows of this column.
        found: usize,
    },
    /// Two columns share a name.
    #[error("duplicate column name `{column}`")]
    DuplicateColumn {
        /// The repeated name.
        column: String,
    },
    /// A column the operation needs is absent.
    #[error("column `{column}` not found; {}", crate::frame::names_in_words(.available))]
    MissingColumn {
        /// The column's name.
        column: String,
        /// The frame's columns, in order.
        available: Vec<String>,
    },
    /// A column has a different kind than the operation needs.
    #[error("column `{column}` is {found}, expected {expected}")]
    WrongKind {
        /// The column's name.
        column: String,
        /// Kind the operation needs.
        expected: crate::ColumnKind,
        /// Kind the column has.
        found: crate::ColumnKind,
    },
    /// A numeric value is NaN or infinite where a finite one is needed.
    #[error("column `{column}` row {row}: non-finite value {value}")]
    NonFinite {
        /// The column's name.
        column: String,
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV input is malformed at a given line (1-based, counting the header).
    #[error("CSV line {line}: {kind}")]
    Csv {
        /// 1-based line where the offending record starts (1 = header).
        line: u64,
        /// What is wrong.
        kind: CsvErrorKind,
    },
    /// An Arrow column of a type no column kind reads, or not the kind
    /// declared for it (feature `arrow`).
    #[error("column `{column}` has Arrow type {found}, which {}; supported: {supported}", arrow_wanted(.wanted))]
    ArrowType {
        /// The column's name.
        column: String,
        /// The Arrow type found, as Arrow writes it (`Utf8`, `List(Int64)`).
        found: String,
        /// The kind declared for the column, if one was.
        wanted: Option<crate::ColumnKind>,
        /// The Arrow types that are read (as that kind, when one was declared).
        supported: String,
    },
    /// An error inside one file, with the file's path.
    #[error("`{path}`: {source}")]
    InFile {
        /// The path as given.
        path: String,
        /// What went wrong in it.
        #[source]
        source: Box<FrameError>,
    },
    /// A Parquet file could not be decoded (feature `parquet`): not a
    /// Parquet file, damaged, or with a layout the reader does not handle.
    #[error("cannot read `{path}` as Parquet: {reason}")]
    Parquet {
        /// The path as given.
        path: String,
        /// What the Parquet reader reported.
        reason: String,
    },
    /// A configuration (CSV options, categorical parts) is invalid.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// Why it is invalid.
        reason: String,
    },
}

/// The end of an [`FrameError::ArrowType`] message's first clause.
fn arrow_wanted(wanted: &Option<crate::ColumnKind>) -> String {
    match wanted {
        Some(kind) => format!("cannot be read as {kind} (declared)"),
        None => "no column kind reads".to_string(),
    }
}

/// What is wrong with a CSV record (see [`FrameError::Csv`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum CsvErrorKind {
    /// The input holds no header (empty file or only whitespace).
    #[error("empty input: no header row")]
    EmptyInput,
    /// The input holds a header but no data rows.
    #[error("header only: no data rows")]
    NoRows,
    /// A record has a different number of fields than the header.
    #[error("expected {expected} fields, found {found}")]
    RaggedRow {
        /// Fields in the header.
        expected: usize,
        /// Fields in this record.
        found: usize,
    },
    /// A quote inside an unquoted field, text after a closing quote, or a
    /// quoted field that never closes.
    #[error("bad quoting: {detail}")]
    BadQuoting {
        /// Which of the three.
        detail: QuotingProblem,
    },
    /// A value does not parse as the column's declared kind.
    #[error("column `{column}`: `{value}` is not a valid {expected} value")]
    BadValue {
        /// The column's name.
        column: String,
        /// The value (at most 64 characters).
        value: String,
        /// The declared kind.
        expected: crate::ColumnKind,
    },
    /// A value is not valid UTF-8 and no other encoding was declared (see
    /// [`CsvOptions::encoding`](crate::csv::CsvOptions::encoding)).
    #[error(
        "column `{column}`: the value is not valid UTF-8; declare the file's encoding (Latin-1 or Windows-1252) if it is not UTF-8"
    )]
    InvalidUtf8 {
        /// The column's name (`column_N` for a header name that is itself not UTF-8).
        column: String,
    },
    /// A column's values are numbers written with a decimal comma (`1,5`)
    /// and the option to read them as such was not given.
    #[error(
        "column `{column}`: `{value}` looks like a number with a decimal comma; declare `decimal_comma(true)` to read it as a number, or declare the column's kind"
    )]
    DecimalComma {
        /// The column's name.
        column: String,
        /// The first such value.
        value: String,
    },
    /// The CSV reader itself failed.
    #[error("unreadable record: {reason}")]
    Unreadable {
        /// The reader's message.
        reason: String,
    },
}

/// Kinds of bad quoting (see [`CsvErrorKind::BadQuoting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QuotingProblem {
    /// A `"` inside a field that does not start with one.
    StrayQuote,
    /// Characters after the closing quote of a quoted field.
    TextAfterClosingQuote,
    /// A quoted field still open at the end of the input.
    Unterminated,
}

impl std::fmt::Display for QuotingProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QuotingProblem::StrayQuote => "quote inside an unquoted field",
            QuotingProblem::TextAfterClosingQuote => "text after a closing quote",
            QuotingProblem::Unterminated => "quoted field never closed",
        })
    }
}

/// A record left out of a frame because the caller asked to skip bad rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    /// 1-based line where the record starts (1 = header).
    pub line: u64,
    /// Why it was skipped.
    pub reason: CsvErrorKind,
}

/// Result alias for [`FrameError`].
pub type Result<T, E = FrameError> = std::result::Result<T, E>;
