//! The pool as Parquet files (feature `parquet`): the accounts read into a
//! [`Frame`] with the pool's kinds, and whole-file writers that give the
//! events file the layout the events reader is fastest on.

use super::PoolError;
use super::records::{ACCOUNT_SCHEMA, AccountRecord, EventRecord};
use crate::frame::arrow::ArrowOptions;
use crate::frame::{ColumnKind, Frame};
use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::file::properties::WriterProperties;
use ::parquet::schema::types::ColumnPath;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray};
use std::path::Path;
use std::sync::Arc;

/// Whether `path` names a Parquet file (its extension is `parquet`, in any case).
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Arrow options that read the accounts with the pool's kinds
/// ([`ACCOUNT_SCHEMA`]): a column whose Arrow type cannot give its kind is
/// an error naming it.
pub fn account_arrow_options() -> ArrowOptions {
    ACCOUNT_SCHEMA.into_iter().fold(ArrowOptions::new(), |o, (c, k)| o.kind(c, k))
}

/// Reads a Parquet accounts file (the columns `only` names, else all).
pub(crate) fn read_accounts(path: &Path, only: Option<&[&str]>) -> Result<Frame, PoolError> {
    let options = match only {
        Some(columns) => account_arrow_options().only(columns.iter().copied()),
        None => account_arrow_options(),
    };
    Frame::from_parquet_path(path, &options).map_err(PoolError::from)
}

/// How the events file's `account_id` column is laid out in Parquet (see
/// [`write_events_parquet_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdEncoding {
    /// Dictionary-encoded in every row group (the default): the reader maps
    /// each row group's dictionary to account rows once, then reads one
    /// small integer per activity.
    #[default]
    Dictionary,
    /// Plain strings: the reader looks every activity's id up.
    Plain,
}

/// Rows per row group of the accounts file (as Polars writes them), so
/// that the reader decodes row groups on two threads.
const ACCOUNT_ROW_GROUP: usize = 256 * 1024;
/// Rows per row group (and per record batch written) of the events file.
const EVENT_ROW_GROUP: usize = 1024 * 1024;
/// Largest dictionary page of the events' `account_id`: a row group's
/// distinct ids (up to a million, ~16 bytes each) fit, so that the writer
/// never falls back to plain pages.
const ID_DICTIONARY_BYTES: usize = 64 << 20;

fn properties(row_group: usize) -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(row_group))
        .set_created_by(format!("acctscore {}", env!("CARGO_PKG_VERSION")))
}

/// Writes `batches` of `schema` as a Parquet file to `path`, whole (through
/// [`write_atomic`](crate::core::write_atomic)).
fn write_batches(
    path: &Path,
    schema: arrow_schema::SchemaRef,
    batches: impl Iterator<Item = Result<RecordBatch, PoolError>>,
    props: WriterProperties,
) -> Result<(), PoolError> {
    let write = |e: &dyn std::fmt::Display| PoolError::Write { reason: e.to_string() };
    // The writer needs a `Send` sink: the file is built in memory, then written whole.
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).map_err(|e| write(&e))?;
    for batch in batches {
        writer.write(&batch?).map_err(|e| write(&e))?;
    }
    writer.close().map_err(|e| write(&e))?;
    crate::core::write_atomic(path, |w| w.write_all(&bytes).map_err(|e| write(&e)))
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch, PoolError> {
    RecordBatch::try_from_iter(columns).map_err(|e| PoolError::Write { reason: e.to_string() })
}

/// Writes accounts as a Parquet file at `path`, whole (a temporary file,
/// synced, renamed over `path`): the columns of [`ACCOUNT_SCHEMA`] in its
/// order — ids and job titles as strings, `industry`, `business_model` and
/// `country` as Arrow dictionaries (read back as categorical codes, one
/// lookup per dictionary entry), numbers as `Float64`, `has_ecommerce` as
/// `Boolean`, `converted` as `Int64` 0/1 — zstd-compressed, in row groups
/// of 262 144 rows.
///
/// # Errors
/// [`PoolError::Write`], or [`PoolError::File`] naming the path and the step that failed.
pub fn write_accounts_parquet(path: impl AsRef<Path>, rows: &[AccountRecord]) -> Result<(), PoolError> {
    let text =
        |f: fn(&AccountRecord) -> Option<&str>| -> ArrayRef { Arc::new(rows.iter().map(f).collect::<StringArray>()) };
    let dict = |f: fn(&AccountRecord) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<DictionaryArray<Int32Type>>())
    };
    let mut columns: Vec<(&str, ArrayRef)> = Vec::with_capacity(ACCOUNT_SCHEMA.len());
    for (name, kind) in ACCOUNT_SCHEMA {
        let array = match name {
            "account_id" => text(|r| Some(r.account_id.as_str())),
            "job_title_of_contact" => text(|r| r.job_title_of_contact.as_deref()),
            "industry" => dict(|r| r.industry.as_deref()),
            "business_model" => dict(|r| r.business_model.as_deref()),
            "country" => dict(|r| r.country.as_deref()),
            "has_ecommerce" => Arc::new(rows.iter().map(|r| r.has_ecommerce).collect::<BooleanArray>()),
            "converted" => Arc::new(rows.iter().map(|r| r.converted.map(i64::from)).collect::<Int64Array>()),
            _ => {
                debug_assert_eq!(kind, ColumnKind::Numeric, "{name}");
                let field = numeric_field(name);
                Arc::new(rows.iter().map(field).collect::<Float64Array>())
            }
        };
        columns.push((name, array));
    }
    let batch = batch(columns)?;
    let schema = batch.schema();
    write_batches(path.as_ref(), schema, std::iter::once(Ok(batch)), properties(ACCOUNT_ROW_GROUP).build())
}

/// The getter of a numeric column of the accounts.
fn numeric_field(name: &str) -> fn(&AccountRecord) -> Option<f64> {
    match name {
        "employees" => |r| r.employees,
        "founded_year" => |r| r.founded_year,
        "funding_total_usd" => |r| r.funding_total_usd,
        "funding_last_round_days_ago" => |r| r.funding_last_round_days_ago,
        "web_traffic_monthly" => |r| r.web_traffic_monthly,
        "web_traffic_growth_90d" => |r| r.web_traffic_growth_90d,
        "sku_avg_price" => |r| r.sku_avg_price,
        "conversion_rate" => |r| r.conversion_rate,
        "monthly_revenue_usd" => |r| r.monthly_revenue_usd,
        _ => |_| None,
    }
}

/// Writes events as a Parquet file at `path`, whole: `account_id`
/// dictionary-encoded in every row group (see [`write_events_parquet_with`]).
///
/// # Errors
/// [`PoolError::Write`], or [`PoolError::File`] naming the path and the step that failed.
pub fn write_events_parquet(path: impl AsRef<Path>, rows: &[EventRecord]) -> Result<(), PoolError> {
    write_events_parquet_with(path, rows, IdEncoding::Dictionary)
}

/// Writes events as a Parquet file at `path`, whole (a temporary file,
/// synced, renamed over `path`): `account_id` (strings, as the accounts
/// file's, so that other readers join the two as written), `kind` (an Arrow
/// dictionary),
/// `timestamp` (`Int64`, Unix seconds) and, when any row has one, `rep_id`;
/// zstd-compressed, in row groups of 1 048 576 rows. The rows are written
/// grouped by account: sorted by `account_id` (bytes), then `timestamp`,
/// `kind` and `rep_id`, whatever their order in `rows` (the pool format
/// gives the order of events no meaning). A row group then holds few
/// accounts' events, each account's together, so that its id dictionary is
/// small and a reader adds each account's events one after another: the
/// 1M-account pool scores about a third faster than from the same events
/// in time order. With
/// [`IdEncoding::Dictionary`] the `account_id` pages are dictionary-encoded
/// throughout (its dictionary page may grow to 64 MiB instead of falling
/// back to plain pages), so that the events reader maps each row group's
/// dictionary to account rows once.
///
/// # Errors
/// [`PoolError::Write`], or [`PoolError::File`] naming the path and the step that failed.
pub fn write_events_parquet_with(
    path: impl AsRef<Path>,
    rows: &[EventRecord],
    ids: IdEncoding,
) -> Result<(), PoolError> {
    write_events(path.as_ref(), rows, ids, EVENT_ROW_GROUP)
}

/// `rows` grouped by account: sorted by `account_id` (bytes), then
/// `timestamp`, `kind` and `rep_id`. Rows that tie are equal, so the order
/// does not depend on the input's. The distinct ids are ranked once, so
/// that the rows sort on integers and compare strings only on ties of
/// account and time.
fn by_account(rows: &[EventRecord]) -> Vec<&EventRecord> {
    let mut codes: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let row_codes: Vec<usize> = rows
        .iter()
        .map(|r| {
            let next = codes.len();
            *codes.entry(r.account_id.as_str()).or_insert(next)
        })
        .collect();
    let mut distinct: Vec<(&str, usize)> = codes.into_iter().collect();
    distinct.sort_unstable();
    let mut rank = vec![0; distinct.len()];
    for (k, &(_, code)) in distinct.iter().enumerate() {
        if let Some(r) = rank.get_mut(code) {
            *r = k;
        }
    }
    let mut keyed: Vec<(usize, i64, &EventRecord)> = rows
        .iter()
        .zip(row_codes)
        .map(|(r, code)| (rank.get(code).copied().unwrap_or(usize::MAX), r.timestamp, r))
        .collect();
    let order = |a: &(usize, i64, &EventRecord), b: &(usize, i64, &EventRecord)| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| (&a.2.kind, &a.2.rep_id).cmp(&(&b.2.kind, &b.2.rep_id)))
    };
    #[cfg(feature = "parallel")]
    rayon::slice::ParallelSliceMut::par_sort_unstable_by(keyed.as_mut_slice(), order);
    #[cfg(not(feature = "parallel"))]
    keyed.sort_unstable_by(order);
    keyed.into_iter().map(|(_, _, r)| r).collect()
}

/// [`write_events_parquet_with`] in row groups of `row_group` rows.
pub(crate) fn write_events(
    path: &Path,
    rows: &[EventRecord],
    ids: IdEncoding,
    row_group: usize,
) -> Result<(), PoolError> {
    let row_group = row_group.max(1);
    let with_rep = rows.iter().any(|r| r.rep_id.is_some());
    let sorted = by_account(rows);
    let chunk = |part: &[&EventRecord]| -> Result<RecordBatch, PoolError> {
        // Strings in the Arrow schema whatever the page encoding, so that a
        // reader joins them to the accounts' string ids as they are; the
        // writer's properties below choose dictionary or plain pages.
        let id: ArrayRef = Arc::new(part.iter().map(|r| Some(r.account_id.as_str())).collect::<StringArray>());
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("account_id", id),
            ("kind", Arc::new(part.iter().map(|r| Some(r.kind.as_str())).collect::<DictionaryArray<Int32Type>>())),
            ("timestamp", Arc::new(part.iter().map(|r| r.timestamp).collect::<Int64Array>())),
        ];
        if with_rep {
            columns.push(("rep_id", Arc::new(part.iter().map(|r| r.rep_id.as_deref()).collect::<StringArray>())));
        }
        batch(columns)
    };
    let first = chunk(sorted.get(..sorted.len().min(1)).unwrap_or_default())?;
    let schema = first.schema();
    let id_column = ColumnPath::from("account_id");
    let props = match ids {
        IdEncoding::Dictionary => properties(row_group)
            .set_column_dictionary_enabled(id_column.clone(), true)
            .set_column_dictionary_page_size_limit(id_column, ID_DICTIONARY_BYTES),
        IdEncoding::Plain => properties(row_group).set_column_dictionary_enabled(id_column, false),
    };
    let batches: Box<dyn Iterator<Item = &[&EventRecord]>> = if sorted.is_empty() {
        Box::new(std::iter::once(sorted.as_slice()))
    } else {
        Box::new(sorted.chunks(row_group))
    };
    write_batches(path, schema, batches.map(chunk), props.build())
}
