//! The events reader on a Parquet file (feature `parquet`): the same
//! touches and running sums as the CSV reader, from the account, kind and
//! timestamp columns the options name (`account_id`, `kind`, `timestamp`
//! by default).
//!
//! Where a row group's `account_id` (or `kind`) pages are all
//! dictionary-encoded, the column is decoded as an Arrow dictionary and each
//! dictionary is mapped to account rows (kinds) once, through the same
//! [`IdIndex`]; a row then costs one array lookup. Plain-encoded pages are
//! decoded to strings and every row's id is looked up.

use super::*;
use crate::frame::{ColumnKind, FrameError};
use ::parquet::arrow::ProjectionMask;
use ::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use ::parquet::basic::Encoding;
use ::parquet::file::metadata::ColumnChunkMetaData;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit as ArrowUnit};
use std::sync::Arc;

/// Rows per record batch decoded.
const BATCH_ROWS: usize = 16 * 1024;

/// What the string columns of the events read as.
const STRING_TYPES: &str = "Utf8, LargeUtf8, Utf8View, or a Dictionary of them";
/// What the events' `timestamp` reads as.
const TIME_TYPES: &str = "Int8–Int64, UInt8–UInt32 (Unix seconds, or the declared unit), Timestamp (any unit)";

/// Reads the events of a Parquet file into `halves` and their counts into
/// `log`, as `read_blocks` does for CSV: the row groups go in pairs, the
/// first of each pair into the first half and the second into the second,
/// on two threads. A pair at a time (not two contiguous halves of the
/// file) lets a thread that was busy elsewhere (the accounts' base scores,
/// computed alongside) take its share as soon as it is free; touches kept
/// without sums are moved to `log` after each pair, in file order.
pub(super) fn read_events(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    options: &EventOptions,
    halves: &mut [Half; 2],
    log: &mut TouchLog,
) -> Result<(), PoolError> {
    if options.fixed_kind.is_some() {
        return Err(PoolError::Unsupported {
            what: "a fixed activity kind is read from CSV events files only, not Parquet",
        });
    }
    let unit = match options.time {
        TimeFormat::Seconds => None,
        TimeFormat::Unit(unit) => Some(unit),
        TimeFormat::Iso => {
            return Err(PoolError::Unsupported {
                what: "ISO 8601 timestamps are read from CSV events files only (a Parquet file's are typed)",
            });
        }
    };
    let index = IdIndex::new(ids, options.duplicates)?;
    let file = EventsFile::open(path, options)?;
    let groups = file.plain.metadata().num_row_groups();
    let read = |row_groups: std::ops::Range<usize>, half: &mut Half| -> Result<(), PoolError> {
        let mut state = BatchState {
            names: [&options.account, &options.kind, &options.timestamp].map(String::clone),
            unit,
            ..BatchState::default()
        };
        let log = std::mem::replace(&mut half.log, TouchLog::with_capacity(0));
        let mut sink = Sink::new(model, TimeField::of(options), log);
        let mut result = Ok(());
        'groups: for g in row_groups {
            let mut row = file.first_row(g);
            let batches = match file.row_group(path, g) {
                Ok(b) => b,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            for batch in batches {
                let step = batch
                    .map_err(|e| parquet_error(path, &e))
                    .and_then(|batch| state.batch(&batch, row, &index, &mut sink).map(|()| batch.num_rows()));
                let added = match (step, &mut half.sums) {
                    (Err(e), _) => Err(e),
                    (Ok(n), Some(sums)) => {
                        // Sums kept: the batch's touches are added and dropped.
                        let added = sums.add(&sink.log.touches).map_err(PoolError::from);
                        sink.log.touches.clear();
                        added.map(|()| n)
                    }
                    (Ok(n), None) => Ok(n),
                };
                match added {
                    Ok(n) => row += n as u64,
                    Err(e) => {
                        result = Err(e);
                        break 'groups;
                    }
                }
            }
        }
        half.log = sink.log;
        result
    };
    let [h0, h1] = &mut *halves;
    for first in (0..groups).step_by(2) {
        let (one, two) = (first..first + 1, first + 1..(first + 2).min(groups));
        #[cfg(feature = "parallel")]
        let (a, b) = rayon::join(|| read(one, h0), || read(two, h1));
        #[cfg(not(feature = "parallel"))]
        let (a, b) = (read(one, h0), read(two, h1));
        a?;
        b?;
        for half in [&mut *h0, &mut *h1] {
            if half.sums.is_none() {
                log.touches.append(&mut half.log.touches);
            }
        }
    }
    super::gather(halves, log);
    Ok(())
}

/// An events file's footer: its Arrow schema as the Parquet types give it,
/// where the three columns are, and the readers' metadata with the string
/// columns decoded as dictionaries (made when first needed).
struct EventsFile {
    plain: ArrowReaderMetadata,
    /// Indices of the account, kind and timestamp columns among the file's.
    columns: [usize; 3],
    /// Per (id as dictionary, kind as dictionary), the reader metadata.
    hinted: std::sync::Mutex<Vec<((bool, bool), ArrowReaderMetadata)>>,
}

impl EventsFile {
    fn open(path: &Path, options: &EventOptions) -> Result<Self, PoolError> {
        let file =
            std::fs::File::open(path).map_err(|source| PoolError::Io { path: path.display().to_string(), source })?;
        let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new().with_skip_arrow_metadata(true))
            .map_err(|e| parquet_error(path, &e))?;
        let schema = plain.schema();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let find = |column: &str| {
            names
                .iter()
                .position(|n| n == column)
                .ok_or_else(|| PoolError::MissingColumn { column: column.to_string(), available: names.clone() })
        };
        let columns = [find(&options.account)?, find(&options.kind)?, find(&options.timestamp)?];
        let wrong = |k: usize, column: &str, wanted, supported: &str| {
            PoolError::Frame(FrameError::ArrowType {
                column: column.to_string(),
                found: schema.field(columns[k]).data_type().to_string(),
                wanted: Some(wanted),
                supported: supported.to_string(),
            })
        };
        let string_or_dict = |dt: &DataType| is_string(dt) || matches!(dt, DataType::Dictionary(_, v) if is_string(v));
        for (k, column, wanted) in
            [(0, &options.account, ColumnKind::Text), (1, &options.kind, ColumnKind::Categorical)]
        {
            if !string_or_dict(schema.field(columns[k]).data_type()) {
                return Err(wrong(k, column, wanted, STRING_TYPES));
            }
        }
        let ts = schema.field(columns[2]).data_type();
        if !(is_time_integer(ts) || matches!(ts, DataType::Timestamp(..))) {
            return Err(wrong(2, &options.timestamp, ColumnKind::Timestamp, TIME_TYPES));
        }
        Ok(EventsFile { plain, columns, hinted: std::sync::Mutex::new(Vec::new()) })
    }

    /// The 0-based number of row group `g`'s first row.
    fn first_row(&self, g: usize) -> u64 {
        let groups = self.plain.metadata().row_groups();
        groups.iter().take(g).map(|rg| u64::try_from(rg.num_rows()).unwrap_or(0)).sum()
    }

    /// The record batches of row group `g`'s three columns, the string
    /// columns as dictionaries where all their pages are dictionary-encoded.
    fn row_group(
        &self,
        path: &Path,
        g: usize,
    ) -> Result<::parquet::arrow::arrow_reader::ParquetRecordBatchReader, PoolError> {
        let rg = self.plain.metadata().row_group(g);
        let dict = |k: usize| {
            let parquet_column = self.plain.parquet_schema().columns().iter().position(|c| {
                c.path().parts().first().is_some_and(|p| p == self.plain.schema().field(self.columns[k]).name())
            });
            parquet_column.is_some_and(|c| all_dictionary(rg.column(c)))
                && self.plain.schema().field(self.columns[k]).data_type() == &DataType::Utf8
        };
        let want = (dict(0), dict(1));
        let metadata = if want == (false, false) { self.plain.clone() } else { self.hinted_metadata(path, want)? };
        // A file of its own: clones of one handle share its offset, which the
        // reader of each half seeks.
        let file =
            std::fs::File::open(path).map_err(|source| PoolError::Io { path: path.display().to_string(), source })?;
        let mask = ProjectionMask::roots(self.plain.parquet_schema(), self.columns);
        ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata)
            .with_projection(mask)
            .with_row_groups(vec![g])
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| parquet_error(path, &e))
    }

    /// The reader metadata with `account_id` and/or `kind` as `Dictionary(Int32, Utf8)`.
    fn hinted_metadata(&self, path: &Path, want: (bool, bool)) -> Result<ArrowReaderMetadata, PoolError> {
        let mut hinted =
            self.hinted.lock().map_err(|_| PoolError::Write { reason: "a reader thread panicked".into() })?;
        if let Some((_, m)) = hinted.iter().find(|(w, _)| *w == want) {
            return Ok(m.clone());
        }
        let schema = self.plain.schema();
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let as_dict = (k == self.columns[0] && want.0) || (k == self.columns[1] && want.1);
                let field = f.as_ref().clone();
                if as_dict {
                    let dt = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
                    field.with_data_type(dt)
                } else {
                    field
                }
            })
            .collect();
        let supplied = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        let metadata = ArrowReaderMetadata::try_new(
            self.plain.metadata().clone(),
            ArrowReaderOptions::new().with_schema(supplied),
        )
        .map_err(|e| parquet_error(path, &e))?;
        hinted.push((want, metadata.clone()));
        Ok(metadata)
    }
}

/// Whether every data page of a column chunk is dictionary-encoded (from the
/// page encoding statistics; a writer that leaves them out is taken at its
/// dictionary page).
fn all_dictionary(column: &ColumnChunkMetaData) -> bool {
    column.dictionary_page_offset().is_some()
        && column
            .page_encoding_stats_mask()
            .is_none_or(|mask| mask.is_only(Encoding::PLAIN_DICTIONARY) || mask.is_only(Encoding::RLE_DICTIONARY))
}

fn is_string(dt: &DataType) -> bool {
    matches!(dt, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_time_integer(dt: &DataType) -> bool {
    dt.is_signed_integer() || matches!(dt, DataType::UInt8 | DataType::UInt16 | DataType::UInt32)
}

fn parquet_error(path: &Path, e: &dyn std::fmt::Display) -> PoolError {
    PoolError::Frame(FrameError::Parquet { path: path.display().to_string(), reason: e.to_string() })
}

/// Random access to the strings of a string array.
#[derive(Clone, Copy)]
enum Strings<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Strings<'a> {
    fn of(array: &'a dyn Array) -> Option<Self> {
        match array.data_type() {
            DataType::Utf8 => array.as_string_opt::<i32>().map(Strings::Utf8),
            DataType::LargeUtf8 => array.as_string_opt::<i64>().map(Strings::Large),
            DataType::Utf8View => array.as_string_view_opt().map(Strings::View),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Strings::Utf8(a) => a.len(),
            Strings::Large(a) => a.len(),
            Strings::View(a) => a.len(),
        }
    }

    /// Row `i`'s bytes (`None` when null or out of range).
    #[inline]
    fn get(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.len() {
            return None;
        }
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i).as_bytes()),
        }
    }
}

/// The mapping of the last dictionary seen in a column (kept with the
/// dictionary, so that the batches that share it reuse the mapping).
#[derive(Default)]
struct DictMap<T> {
    last: Option<(ArrayRef, Vec<T>)>,
}

impl<T: Clone> DictMap<T> {
    /// The mapping of `values` when it is the last dictionary seen.
    fn take(&mut self, values: &ArrayRef) -> Option<Vec<T>> {
        match self.last.take() {
            // The same buffers (the Parquet reader wraps one dictionary in a
            // new array for every batch); `last` keeps them from being reused.
            Some((last, map))
                if Arc::ptr_eq(&last, values)
                    || (last.len() == values.len() && last.to_data().ptr_eq(&values.to_data())) =>
            {
                Some(map)
            }
            _ => None,
        }
    }

    fn keep(&mut self, values: &ArrayRef, map: Vec<T>) {
        self.last = Some((values.clone(), map));
    }
}

/// Per half: the mappings of the dictionaries seen, and per batch buffers.
#[derive(Default)]
struct BatchState {
    ids: DictMap<u32>,
    /// Per kind entry: not mapped yet (`None`) or its kind.
    kinds: DictMap<Option<KindId>>,
    /// Per row of the batch: its account row ([`ids::NO_ROW`] when unknown).
    rows: Vec<u32>,
    /// Per row of the batch: its kind's dictionary entry (dictionary kinds only).
    kind_keys: Vec<usize>,
    /// The account, kind and timestamp columns' names, for errors.
    names: [String; 3],
    /// The declared unit of integer timestamps (`None`: seconds, checked by magnitude).
    unit: Option<TimeUnit>,
}

impl BatchState {
    /// Adds one batch's activities (its first row is data row `first_row`,
    /// 0-based) to `sink`. The columns are the account, kind and timestamp columns.
    fn batch(
        &mut self,
        batch: &RecordBatch,
        first_row: u64,
        index: &IdIndex<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), PoolError> {
        let (id, kind, ts) = (batch.column(0), batch.column(1), batch.column(2));
        let n = batch.num_rows();
        self.account_rows(id, index)?;
        let [_, kind_name, ts_name] = &self.names;
        let times = Times::of(ts.as_ref()).ok_or_else(|| unsupported(ts_name, ts.data_type()))?;
        let bad = |i: usize, reason: String| PoolError::BadValue { row: first_row + i as u64 + 1, reason };
        // Kinds: one lookup per dictionary entry when they are a dictionary.
        let plain_kinds = Strings::of(kind.as_ref());
        let dict_kinds = match (plain_kinds, kind.as_any_dictionary_opt()) {
            (Some(_), _) => None,
            (None, Some(d)) => {
                let values =
                    Strings::of(d.values().as_ref()).ok_or_else(|| unsupported(kind_name, kind.data_type()))?;
                self.kind_keys.clear();
                match kind.as_dictionary_opt::<Int32Type>() {
                    _ if d.values().is_empty() => self.kind_keys.resize(n, 0),
                    Some(d) => self
                        .kind_keys
                        .extend(d.keys().values().iter().map(|&k| usize::try_from(k).unwrap_or(usize::MAX))),
                    None => self.kind_keys.extend(d.normalized_keys()),
                }
                Some((d.values(), values))
            }
            (None, None) => return Err(unsupported(kind_name, kind.data_type())),
        };
        let kind_nulls = kind.logical_nulls().filter(|n| n.null_count() > 0);
        let mut kind_map = match dict_kinds {
            Some((values, _)) => self.kinds.take(values).unwrap_or_else(|| vec![None; values.len()]),
            None => Vec::new(),
        };
        sink.log.rows += n as u64;
        for i in 0..n {
            let Some(raw) = times.get(i) else {
                if sink.time.skip_undated {
                    sink.log.undated += 1;
                    continue;
                }
                return Err(bad(i, format!("column `{ts_name}`: the time is missing")));
            };
            let at = match raw {
                Raw::Seconds(s) => s,
                Raw::Integer(v) => to_seconds(v, self.unit).map_err(|unit| {
                    bad(i, format!("column `{ts_name}`: {v} looks like {unit}, not Unix seconds (the year would be past 5000); declare the unit (time unit: {unit}) to convert it"))
                })?,
            };
            let key = if dict_kinds.is_some() && kind_nulls.as_ref().is_none_or(|n| n.is_valid(i)) {
                self.kind_keys.get(i).copied()
            } else {
                None
            };
            let known = key.and_then(|k| kind_map.get(k).copied().flatten());
            let kind_id = match known {
                Some(id) => id,
                None => {
                    let name = match (plain_kinds, dict_kinds) {
                        (Some(s), _) => s.get(i),
                        (None, Some((_, values))) => key.and_then(|k| values.get(k)),
                        (None, None) => None,
                    };
                    let Some(name) = name else {
                        return Err(bad(i, format!("column `{kind_name}`: the activity kind is missing")));
                    };
                    let id = sink.kind(name).ok_or_else(|| {
                        let name = String::from_utf8_lossy(name.trim_ascii());
                        bad(i, format!("column `{kind_name}`: unknown activity kind `{name}`"))
                    })?;
                    if let Some(slot) = key.and_then(|k| kind_map.get_mut(k)) {
                        *slot = Some(id);
                    }
                    id
                }
            };
            let account = self.rows.get(i).copied().filter(|&r| r != ids::NO_ROW);
            sink.push(account, kind_id, at);
        }
        if let Some((values, _)) = dict_kinds {
            self.kinds.keep(values, kind_map);
        }
        Ok(())
    }

    /// Fills `rows` with the account row of every row of `id` (one lookup
    /// per dictionary entry when `id` is a dictionary).
    fn account_rows(&mut self, id: &ArrayRef, index: &IdIndex<'_>) -> Result<(), PoolError> {
        let n = id.len();
        self.rows.clear();
        let look_up = |v: Option<&[u8]>| v.and_then(|v| index.get(v.trim_ascii())).unwrap_or(ids::NO_ROW);
        if let Some(s) = Strings::of(id.as_ref()) {
            self.rows.extend((0..n).map(|i| look_up(s.get(i))));
            return Ok(());
        }
        let dict = id.as_any_dictionary_opt().ok_or_else(|| unsupported(&self.names[0], id.data_type()))?;
        let values = dict.values();
        let strings = Strings::of(values.as_ref()).ok_or_else(|| unsupported(&self.names[0], id.data_type()))?;
        if values.is_empty() {
            self.rows.resize(n, ids::NO_ROW);
            return Ok(());
        }
        // A new dictionary is mapped whole, in its order (its strings are
        // read front to back, not in the rows' random order).
        let map = match self.ids.take(values) {
            Some(map) => map,
            None => (0..values.len()).map(|k| look_up(strings.get(k))).collect(),
        };
        let nulls = id.logical_nulls();
        let row = |k: usize| map.get(k).copied().unwrap_or(ids::NO_ROW);
        match (nulls.filter(|n| n.null_count() > 0), id.as_dictionary_opt::<Int32Type>()) {
            // The reader's dictionaries: the keys read in place.
            (None, Some(d)) => {
                self.rows.extend(d.keys().values().iter().map(|&k| row(usize::try_from(k).unwrap_or(usize::MAX))));
            }
            (None, None) => self.rows.extend(dict.normalized_keys().into_iter().map(row)),
            (Some(nulls), _) => self.rows.extend(
                dict.normalized_keys()
                    .into_iter()
                    .zip(nulls.iter())
                    .map(|(k, valid)| if valid { row(k) } else { ids::NO_ROW }),
            ),
        }
        self.ids.keep(values, map);
        Ok(())
    }
}

fn unsupported(column: &str, dt: &DataType) -> PoolError {
    PoolError::Frame(FrameError::ArrowType {
        column: column.to_string(),
        found: dt.to_string(),
        wanted: None,
        supported: if column == "timestamp" { TIME_TYPES } else { STRING_TYPES }.to_string(),
    })
}

/// A timestamp column's values: integers (Unix seconds, or the declared
/// unit) or an Arrow timestamp's, converted to seconds by its own unit;
/// 64-bit values are read in place.
struct Times<'a> {
    values: std::borrow::Cow<'a, [i64]>,
    /// Whether the values are seconds already (an Arrow timestamp's).
    seconds: bool,
    nulls: Option<arrow_buffer::NullBuffer>,
}

impl<'a> Times<'a> {
    fn of(array: &'a dyn Array) -> Option<Self> {
        use std::borrow::Cow;
        fn values<T: arrow_array::ArrowPrimitiveType>(
            a: &dyn Array,
            f: impl Fn(T::Native) -> i64,
        ) -> Option<Cow<'_, [i64]>> {
            Some(Cow::Owned(a.as_primitive_opt::<T>()?.values().iter().map(|&v| f(v)).collect()))
        }
        let (values, seconds) = match array.data_type() {
            DataType::Timestamp(ArrowUnit::Second, _) => {
                (Cow::Borrowed(&array.as_primitive_opt::<TimestampSecondType>()?.values()[..]), true)
            }
            DataType::Timestamp(ArrowUnit::Millisecond, _) => {
                (values::<TimestampMillisecondType>(array, |v| v.div_euclid(1_000))?, true)
            }
            DataType::Timestamp(ArrowUnit::Microsecond, _) => {
                (values::<TimestampMicrosecondType>(array, |v| v.div_euclid(1_000_000))?, true)
            }
            DataType::Timestamp(ArrowUnit::Nanosecond, _) => {
                (values::<TimestampNanosecondType>(array, |v| v.div_euclid(1_000_000_000))?, true)
            }
            DataType::Int64 => (Cow::Borrowed(&array.as_primitive_opt::<Int64Type>()?.values()[..]), false),
            DataType::Int32 => (values::<Int32Type>(array, i64::from)?, false),
            DataType::Int16 => (values::<Int16Type>(array, i64::from)?, false),
            DataType::Int8 => (values::<Int8Type>(array, i64::from)?, false),
            DataType::UInt32 => (values::<UInt32Type>(array, i64::from)?, false),
            DataType::UInt16 => (values::<UInt16Type>(array, i64::from)?, false),
            DataType::UInt8 => (values::<UInt8Type>(array, i64::from)?, false),
            _ => return None,
        };
        Some(Times { values, seconds, nulls: array.logical_nulls().filter(|n| n.null_count() > 0) })
    }

    /// Row `i` (`None` when null).
    #[inline]
    fn get(&self, i: usize) -> Option<Raw> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            return None;
        }
        let v = *self.values.get(i)?;
        Some(if self.seconds { Raw::Seconds(v) } else { Raw::Integer(v) })
    }
}

/// A timestamp as read: an integer in the file's (declared or checked)
/// unit, or seconds already.
#[derive(Clone, Copy)]
enum Raw {
    Integer(i64),
    Seconds(i64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::EngagementParams;
    use crate::pool::parquet::write_events;
    use crate::pool::{
        IdEncoding, PoolGenerator, read_accounts_frame, read_accounts_frame_only, write_accounts_parquet,
        write_accounts_path, write_events_path,
    };
    use arrow_array::{Float64Array, Int64Array, StringArray};

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("acctscore-pool-parquet-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn write_batch(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let batch = RecordBatch::try_from_iter(columns).expect("batch");
        let file = std::fs::File::create(path).expect("create");
        let mut w = ::parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
    }

    #[test]
    fn a_parquet_pool_reads_as_its_csv_twin() {
        let dir = temp("twin");
        let pool = PoolGenerator::new(300).seed(9).generate();
        // A few activities of an account the pool lacks.
        let mut events = pool.events.clone();
        for k in 0..5 {
            let mut e = events[k * 7].clone();
            e.account_id = "stranger".into();
            events.push(e);
        }
        write_accounts_path(dir.join("accounts.csv"), &pool.accounts).expect("csv");
        write_accounts_parquet(dir.join("accounts.parquet"), &pool.accounts).expect("parquet");
        write_events_path(dir.join("events.csv"), &events).expect("csv");
        // Small row groups: both halves of the reader, and several dictionaries, are used.
        write_events(&dir.join("dict.parquet"), &events, IdEncoding::Dictionary, 500).expect("dictionary");
        write_events(&dir.join("plain.parquet"), &events, IdEncoding::Plain, 700).expect("plain");

        let csv = read_accounts_frame(dir.join("accounts.csv")).expect("csv");
        let pq = read_accounts_frame(dir.join("accounts.parquet")).expect("parquet");
        assert_eq!(csv.names(), pq.names());
        for ((name, a), b) in csv.names().iter().zip(csv.columns()).zip(pq.columns()) {
            match (a, b) {
                // The CSV loader trims values; Parquet's strings are read as written.
                (Column::Text(a), Column::Text(b)) => {
                    let trimmed = |c: &crate::frame::TextColumn| {
                        c.iter().map(|v| v.map(str::trim).map(String::from)).collect::<Vec<_>>()
                    };
                    assert_eq!(trimmed(a), trimmed(b), "column {name}");
                    let padded = b.iter().any(|v| v.is_some_and(|v| v != v.trim()));
                    assert_eq!(padded, name == "job_title_of_contact", "the pool's dirt is kept: {name}");
                }
                _ => assert_eq!(a, b, "column {name}"),
            }
        }
        let only = ["account_id", "employees", "industry"];
        let a = read_accounts_frame_only(dir.join("accounts.csv"), &only).expect("csv");
        let b = read_accounts_frame_only(dir.join("accounts.parquet"), &only).expect("parquet");
        assert_eq!((a.ncols(), &a), (3, &b));
        assert_eq!(a.names(), ["account_id", "industry", "employees"]);

        let model = EngagementParams::new().fit().expect("model");
        let ids = csv.column("account_id").expect("ids");
        let from_csv = read_engagement_path(dir.join("events.csv"), ids, &model, None).expect("csv");
        let csv_touches = read_touches_path(dir.join("events.csv"), ids, &model).expect("csv");
        for file in ["dict.parquet", "plain.parquet"] {
            let got = read_engagement_path(dir.join(file), ids, &model, None).expect(file);
            assert_eq!((got.rows, got.unknown_accounts), (from_csv.rows, 5), "{file}");
            for (k, (g, w)) in got.engagement.scores().iter().zip(from_csv.engagement.scores()).enumerate() {
                assert!((g - w).abs() <= 1e-12 * w.abs(), "{file} account {k}: {g} vs {w}");
            }
            // The same touches; the writer groups them by account, so their order differs.
            let in_order = |mut log: TouchLog| {
                log.touches.sort_by_key(|t| (t.account, t.at.unix_seconds(), t.kind.index()));
                log
            };
            assert_eq!(
                in_order(read_touches_path(dir.join(file), ids, &model).expect(file)),
                in_order(csv_touches.clone()),
                "{file}"
            );
            let (store, report) = EngagementStore::from_events_path(dir.join(file), ids, &model).expect(file);
            assert_eq!(report.rows, from_csv.rows);
            let held = store.engagement_for(ids, None).expect("engagement");
            for (g, w) in held.scores.iter().zip(from_csv.engagement.scores()) {
                assert!((g - w).abs() <= 1e-12 * w.abs(), "{file}: {g} vs {w}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_dictionary_layout_is_the_one_written_and_read() {
        let dir = temp("layout");
        let pool = PoolGenerator::new(50).seed(2).generate();
        write_events(&dir.join("dict.parquet"), &pool.events, IdEncoding::Dictionary, 100).expect("dictionary");
        write_events(&dir.join("plain.parquet"), &pool.events, IdEncoding::Plain, 100).expect("plain");
        let layout = |file: &str| {
            let f = EventsFile::open(&dir.join(file), &EventOptions::new()).expect("opens");
            let groups = f.plain.metadata().row_groups();
            assert!(groups.len() > 1, "{file}: several row groups");
            groups.iter().all(|g| all_dictionary(g.column(f.columns[0])))
        };
        assert!(layout("dict.parquet"));
        assert!(!layout("plain.parquet"));
        // The rows grouped by account (sorted by id, then time), whatever the input's order.
        let mut shuffled = pool.events.clone();
        shuffled.reverse();
        write_events(&dir.join("shuffled.parquet"), &shuffled, IdEncoding::Dictionary, 100).expect("shuffled");
        let bytes = |f: &str| std::fs::read(dir.join(f)).expect("read");
        assert_eq!(bytes("dict.parquet"), bytes("shuffled.parquet"));
        let file = std::fs::File::open(dir.join("dict.parquet")).expect("open");
        let rows: Vec<(String, i64)> = ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("reader")
            .build()
            .expect("reader")
            .flat_map(|b| {
                let b = b.expect("batch");
                let ids = b.column(0).as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_string());
                let times = b.column(2).as_primitive::<Int64Type>().values().to_vec();
                ids.zip(times).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(rows.len(), pool.events.len());
        assert!(rows.windows(2).all(|w| w[0] <= w[1]), "sorted by account, then time");
        // Either way the ids are strings in the file's Arrow schema, as the
        // accounts' are, so that another reader (Polars, DataFusion) joins
        // the two files as written.
        for file in ["dict.parquet", "plain.parquet"] {
            let f = EventsFile::open(&dir.join(file), &EventOptions::new()).expect("opens");
            let schema = f.plain.schema();
            let id = schema.field_with_name("account_id").expect("account_id");
            assert_eq!(id.data_type(), &DataType::Utf8, "{file}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn named_columns_and_undated_rows_read_as_in_csv() {
        let dir = temp("named");
        let model = EngagementParams::new().fit().expect("model");
        let ids = Column::text(vec![Some("a"), Some("b")]);
        let path = dir.join("crm.parquet");
        write_batch(
            &path,
            vec![
                ("account", Arc::new(StringArray::from(vec!["a", "b", "a", "zz"])) as ArrayRef),
                ("activity", Arc::new(StringArray::from(vec!["call", "email", "call", "call"]))),
                ("at", Arc::new(Int64Array::from(vec![Some(1_700_000_000), None, Some(1_700_000_100), Some(5)]))),
            ],
        );
        let named = EventOptions::new().account_column("account").kind_column("activity").timestamp_column("at");
        let csv = dir.join("crm.csv");
        std::fs::write(&csv, "account,activity,at\na,call,1700000000\nb,email,\na,call,1700000100\nzz,call,5\n")
            .expect("write");
        let skip = named.clone().skip_undated();
        let (from_parquet, from_csv) = (
            read_touches_path_with(&path, &ids, &model, &skip).expect("parquet"),
            read_touches_path_with(&csv, &ids, &model, &skip).expect("csv"),
        );
        assert_eq!(from_parquet, from_csv);
        assert_eq!((from_parquet.rows, from_parquet.undated, from_parquet.unknown_accounts), (4, 1, 1));
        // Without skip_undated the missing time is an error naming the column; the
        // options a Parquet file cannot honour are refused, not ignored.
        let e = read_touches_path_with(&path, &ids, &model, &named).expect_err("undated").to_string();
        assert!(e.contains("data row 2: column `at`: the time is missing"), "{e}");
        for options in [named.clone().fixed_kind("call"), named.clone().iso_dates()] {
            let e = read_touches_path_with(&path, &ids, &model, &options).expect_err("unsupported");
            assert!(
                matches!(e, PoolError::InFile { ref source, .. } if matches!(**source, PoolError::Unsupported { .. })),
                "{e}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn wrong_types_missing_columns_bad_values_and_damaged_files_name_the_file() {
        let dir = temp("errors");
        let model = EngagementParams::new().fit().expect("model");
        let ids = Column::text(vec![Some("a"), Some("b")]);
        let string = |v: Vec<&str>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        let int = |v: Vec<i64>| -> ArrayRef { Arc::new(Int64Array::from(v)) };
        let message = |file: &str| {
            let path = dir.join(file);
            let e = read_engagement_path(&path, &ids, &model, None).expect_err(file).to_string();
            assert!(e.contains(&path.display().to_string()), "{file}: {e}");
            e
        };
        write_batch(
            &dir.join("text_time.parquet"),
            vec![("account_id", string(vec!["a"])), ("kind", string(vec!["call"])), ("timestamp", string(vec!["1"]))],
        );
        assert!(message("text_time.parquet").contains("column `timestamp` has Arrow type Utf8"));
        write_batch(&dir.join("no_kind.parquet"), vec![("account_id", string(vec!["a"])), ("timestamp", int(vec![1]))]);
        assert!(message("no_kind.parquet").contains("lacks the required column `kind`"));
        write_batch(
            &dir.join("odd_kind.parquet"),
            vec![
                ("account_id", string(vec!["a", "b"])),
                ("kind", string(vec!["call", "fax"])),
                ("timestamp", int(vec![1, 2])),
            ],
        );
        assert!(message("odd_kind.parquet").contains("data row 2: column `kind`: unknown activity kind `fax`"));
        write_batch(
            &dir.join("millis.parquet"),
            vec![
                ("account_id", string(vec!["a"])),
                ("kind", string(vec!["call"])),
                ("timestamp", int(vec![1_700_000_000_000])),
            ],
        );
        assert!(message("millis.parquet").contains("looks like milliseconds"));
        let ms = read_engagement_path_with(
            dir.join("millis.parquet"),
            &ids,
            &model,
            None,
            &EventOptions::new().time_unit(TimeUnit::Milliseconds),
        )
        .expect("declared unit");
        assert_eq!(ms.rows, 1);
        std::fs::write(dir.join("damaged.parquet"), b"PAR1 not really").expect("write");
        assert!(
            message("damaged.parquet")
                .starts_with(&format!("cannot read `{}` as Parquet", dir.join("damaged.parquet").display()))
        );
        // Accounts: a pool column of the wrong type, and a missing one.
        let pool = PoolGenerator::new(20).seed(1).events(false).generate();
        write_accounts_parquet(dir.join("accounts.parquet"), &pool.accounts).expect("written");
        let frame = read_accounts_frame(dir.join("accounts.parquet")).expect("reads");
        let mut columns: Vec<(&str, ArrayRef)> =
            frame.names().iter().map(|n| (n.as_str(), string(vec!["x"; 20]))).collect();
        columns[3].1 = Arc::new(Float64Array::from(vec![1.0; 20]));
        write_batch(&dir.join("wrong.parquet"), columns);
        let e = read_accounts_frame(dir.join("wrong.parquet")).expect_err("strings are not numbers").to_string();
        assert!(
            e.contains("wrong.parquet")
                && e.contains("column `founded_year` has Arrow type Utf8, which cannot be read as numeric"),
            "{e}"
        );
        // The pool's own file without `country`.
        let file = std::fs::File::open(dir.join("accounts.parquet")).expect("open");
        let reader = ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("reader")
            .build()
            .expect("reader");
        let batch = reader.map(|b| b.expect("batch")).next().expect("a batch");
        let keep: Vec<usize> =
            (0..batch.num_columns()).filter(|&k| batch.schema().field(k).name() != "country").collect();
        let without = batch.project(&keep).expect("projected");
        write_batch(
            &dir.join("no_country.parquet"),
            without
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .zip(without.columns().iter().cloned())
                .collect(),
        );
        let e = read_accounts_frame(dir.join("no_country.parquet")).expect_err("no country").to_string();
        assert!(e.contains("no_country.parquet") && e.contains("lacks the required column `country`"), "{e}");
        let only = read_accounts_frame_only(dir.join("no_country.parquet"), &["account_id", "country"])
            .expect("an absent column is left to the scorer to name");
        assert_eq!(only.names(), ["account_id"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
