//! # acctscore-frame
//!
//! The table every other acctscore crate reads: a [`Frame`] of named, typed
//! columns with explicit missing values, and (feature `csv`) the loader
//! that turns any delimited file into one.
//!
//! ```
//! use acctscore_frame::{Column, ColumnKind, Frame, csv::CsvOptions};
//!
//! let data = "account_id,industry,employees\nacct_1,Software,12\nacct_2,Retail,n/a\n";
//! let frame = Frame::from_csv_reader(data.as_bytes(), &CsvOptions::new().id("account_id"))?;
//! assert_eq!(frame.nrows(), 2);
//!
//! let employees = frame.column("employees")?;
//! assert_eq!(employees.kind(), ColumnKind::Numeric);
//! let Column::Numeric(employees) = employees else { unreachable!() };
//! assert_eq!(employees.get(0), Some(12.0));
//! assert_eq!(employees.get(1), None); // `n/a` is a missing-value token
//! assert_eq!(frame.missing_tokens(), [("employees".to_string(), 1)]);
//! # Ok::<(), acctscore_frame::FrameError>(())
//! ```
//!
//! This crate owns:
//! - [`Frame`] and its columns ([`Column`]: [`NumericColumn`], boolean,
//!   [`CategoricalColumn`], [`TextColumn`], timestamp), each laid out for
//!   scans of a million rows (see [`Column`]);
//! - [`csv`] (feature `csv`): the CSV loader — delimiter detection, quotes,
//!   CRLF, encodings, missing-value tokens, decimal comma, type inference
//!   with per-column overrides, bad rows as typed errors with their line (or
//!   skipped and counted on request), parsed in parallel chunks (feature
//!   `parallel`) — and [`csv::split_unquoted_lines`], its tokenizer's fast
//!   path for other line formats (the scorer's events reader);
//! - `arrow` (feature `arrow`): a frame from Arrow record batches
//!   (`Frame::from_record_batch`), dictionaries mapped to categorical codes
//!   once per dictionary entry, nulls as missing values;
//! - `parquet` (feature `parquet`): a frame from a Parquet file
//!   (`Frame::from_parquet_path`), only the projected columns decoded;
//! - [`FrameError`]: what can go wrong building or loading a frame.
//!
//! Encoders, the data-quality report and rollups of frames are in
//! `acctscore-features`.

#[cfg(feature = "arrow")]
pub mod arrow;
#[cfg(feature = "csv")]
pub mod csv;
mod error;
mod frame;
mod intern;
#[cfg(feature = "parquet")]
pub mod parquet;

pub use error::{CsvErrorKind, FrameError, QuotingProblem, Result, SkippedRow};
pub use frame::{CategoricalBuilder, CategoricalColumn, Column, ColumnKind, Frame, NumericColumn, TextColumn};

/// The results of per-column tasks, in column order: every value, or the
/// error at the earliest position (a line or row; on a tie, the first
/// column's), so that the error does not depend on which task ran first.
#[cfg(any(feature = "csv", feature = "parquet"))]
pub(crate) fn earliest_error<T, P: Ord, E>(
    results: impl IntoIterator<Item = std::result::Result<T, (P, E)>>,
) -> std::result::Result<Vec<T>, (P, E)> {
    let mut values = Vec::new();
    let mut first: Option<(P, E)> = None;
    for result in results {
        match result {
            Ok(v) => values.push(v),
            Err((at, e)) => {
                if first.as_ref().is_none_or(|(f, _)| at < *f) {
                    first = Some((at, e));
                }
            }
        }
    }
    match first {
        Some(e) => Err(e),
        None => Ok(values),
    }
}
