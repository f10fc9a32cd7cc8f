//! CSV loading: any delimited text file into a typed [`Frame`].
//!
//! - **Dialect**: a header row; delimiter given or detected among `,` `;`
//!   and tab (the candidate found the same, non-zero number of times on the
//!   first lines, outside quotes); RFC 4180 quotes (`""` inside a quoted
//!   field is one quote); LF or CRLF line ends; a UTF-8 byte-order mark is
//!   ignored; blank lines are ignored.
//! - **Encoding**: UTF-8; a value (or header name) that is not valid UTF-8
//!   is a [`CsvErrorKind::InvalidUtf8`] naming its line and column, unless
//!   [`CsvOptions::encoding`] declares Latin-1 or Windows-1252 (transcoded).
//! - **Missing**: an empty or whitespace-only field, and in numeric,
//!   boolean and timestamp columns a missing-value token
//!   ([`CsvOptions::missing_tokens`], default [`DEFAULT_MISSING_TOKENS`]:
//!   `NA`, `N/A`, `n/a`, `null`, `NULL`, `-`, `#N/A`, `NaN`), so a column of
//!   numbers with a few `n/a` stays numeric; the report counts them per
//!   column. In categorical and text columns these stay values
//!   (placeholders such as `Select` are handled by `acctscore_features::placeholder`).
//!   Surrounding ASCII whitespace is trimmed from every value.
//! - **Ids**: declare them with [`CsvOptions::id`] (text, never parsed:
//!   `000123` stays `000123`).
//! - **Decimal comma**: only with [`CsvOptions::decimal_comma`]; without
//!   it, a column of numbers such as `1,5` is refused
//!   ([`CsvErrorKind::DecimalComma`]), never read as categorical.
//! - **Type inference** on the first [`CsvOptions::infer_rows`] records, per
//!   column, in this order: [`ColumnKind::Boolean`] when every present value
//!   is `true`/`false`/`yes`/`no` (any case); [`ColumnKind::Numeric`] when
//!   every present value is a finite number; [`ColumnKind::Timestamp`] when
//!   every present value is an ISO date or date-time (`2016-10-20`,
//!   `2016-10-20T13:45:00Z`, `2016/10/20 13:45`, offsets `+02:00`); otherwise
//!   [`ColumnKind::Text`] when it has more than
//!   [`CsvOptions::text_min_levels`] distinct values and they are more than
//!   [`CsvOptions::text_min_share`] of its present values, else
//!   [`ColumnKind::Categorical`]. A column without any value is numeric
//!   (all missing). When a later record contradicts an inferred kind, the
//!   column becomes categorical and the input is parsed once more (the
//!   report says so); a value contradicting a kind *you* declared with
//!   [`CsvOptions::kind`] is a bad row.
//! - **Bad rows** (a different number of fields than the header, bad
//!   quoting, a value that does not fit a declared kind) are a
//!   [`FrameError::Csv`] with the 1-based line where the record starts,
//!   or, with [`CsvOptions::skip_bad_rows`], left out and listed in
//!   [`CsvReport::skipped`] and [`Frame::skipped_rows`]. An empty input or a
//!   header without rows is always an error.
//!
//! Large inputs are parsed on all rayon threads (feature `parallel`) in
//! chunks split at record boundaries; the result does not depend on the
//! number of threads.
//!
//! ```
//! use acctscore_frame::{Frame, ColumnKind, csv::CsvOptions};
//!
//! let data = "id;industry;employees;signed_up\n1;Software;12;yes\n2;Retail;;no\n";
//! let frame = Frame::from_csv_reader(data.as_bytes(), &CsvOptions::new())?;
//! assert_eq!(frame.nrows(), 2);
//! assert_eq!(frame.column("employees")?.kind(), ColumnKind::Numeric);
//! assert_eq!(frame.column("signed_up")?.kind(), ColumnKind::Boolean);
//!
//! let opts = CsvOptions::new().delimiter(b';').kind("id", ColumnKind::Categorical);
//! let frame = Frame::from_csv_reader(data.as_bytes(), &opts)?;
//! assert_eq!(frame.column("id")?.kind(), ColumnKind::Categorical);
//! # Ok::<(), acctscore_frame::FrameError>(())
//! ```

use crate::error::{CsvErrorKind, QuotingProblem, SkippedRow};
use crate::frame::{CategoricalColumn, NUMERIC_MISSING, TextBytes};
mod tokenize;

pub use tokenize::split_unquoted_lines;
use tokenize::{Span, for_each_record, span_bytes};
#[cfg(test)]
use tokenize::{Specials, push_unquoted};

use crate::intern::{FxBuild, Interner};
use crate::{Column, ColumnKind, Frame, FrameError, NumericColumn, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::ops::Range;
use std::path::Path;

/// The missing-value tokens of [`CsvOptions::new`]: besides an empty field,
/// these values are missing wherever a number, boolean or timestamp is read.
pub const DEFAULT_MISSING_TOKENS: [&str; 8] = ["NA", "N/A", "n/a", "null", "NULL", "-", "#N/A", "NaN"];

/// How the bytes of a CSV input encode text (see [`CsvOptions::encoding`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8 (the default): a value that is not valid UTF-8 is an error
    /// ([`CsvErrorKind::InvalidUtf8`]) naming its line and column.
    #[default]
    Utf8,
    /// UTF-8, with each value that is not valid UTF-8 decoded lossily
    /// (invalid bytes become U+FFFD) and counted in
    /// [`CsvReport::invalid_utf8_values`]. Values that differ only in their
    /// invalid bytes become equal: never use it for ids.
    Utf8Lossy,
    /// ISO-8859-1: every byte is the character of the same number
    /// (U+0000–U+00FF). Never fails.
    Latin1,
    /// Windows-1252 (as the WHATWG encoding standard defines it): Latin-1
    /// but for 0x80–0x9F, which hold `€`, `‚`, `ƒ`, curly quotes, `…`, `™`
    /// and others. Never fails.
    Windows1252,
}

/// Options of the CSV loader. Build with [`CsvOptions::new`] and the setters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvOptions {
    delimiter: Option<u8>,
    has_header: bool,
    kinds: BTreeMap<String, ColumnKind>,
    only: Option<HashSet<String>>,
    skip_bad_rows: bool,
    infer_rows: usize,
    text_min_levels: usize,
    text_min_share: f64,
    yes_no_boolean: bool,
    missing_tokens: Vec<String>,
    decimal_comma: bool,
    encoding: Encoding,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvOptions {
    /// Defaults: delimiter detected, header present, kinds inferred from the
    /// first 20 000 records, bad rows are errors, text when > 50 distinct
    /// values making > 50% of present values, `yes`/`no` read as booleans,
    /// [`DEFAULT_MISSING_TOKENS`] missing, a dot as the decimal mark, UTF-8.
    pub fn new() -> Self {
        CsvOptions {
            delimiter: None,
            has_header: true,
            kinds: BTreeMap::new(),
            only: None,
            skip_bad_rows: false,
            infer_rows: 20_000,
            text_min_levels: 50,
            text_min_share: 0.5,
            yes_no_boolean: true,
            missing_tokens: DEFAULT_MISSING_TOKENS.iter().map(|t| (*t).to_string()).collect(),
            decimal_comma: false,
            encoding: Encoding::Utf8,
        }
    }

    /// Uses this delimiter instead of detecting one.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    /// Whether the first record is a header (default `true`). Without one,
    /// columns are named `column_1`, `column_2`, …
    pub fn has_header(mut self, yes: bool) -> Self {
        self.has_header = yes;
        self
    }

    /// Declares the kind of one column instead of inferring it. A
    /// [`ColumnKind::Timestamp`] column also accepts integers (Unix seconds).
    pub fn kind(mut self, column: impl Into<String>, kind: ColumnKind) -> Self {
        self.kinds.insert(column.into(), kind);
        self
    }

    /// Loads only these columns (by header name; default: all). The others
    /// are still split, so a ragged or badly quoted record is still a bad
    /// row, but their values are neither parsed nor stored, and the frame
    /// and report leave them out. A listed name absent from the header is
    /// not an error here (the frame simply lacks it).
    pub fn only<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.only = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Skips bad records (listed in the report and on the frame) instead of
    /// failing on the first one.
    pub fn skip_bad_rows(mut self, yes: bool) -> Self {
        self.skip_bad_rows = yes;
        self
    }

    /// Records read to infer kinds (at least 1; default 20 000).
    pub fn infer_rows(mut self, n: usize) -> Self {
        self.infer_rows = n.max(1);
        self
    }

    /// A string column with more distinct values than this (default 50) …
    pub fn text_min_levels(mut self, n: usize) -> Self {
        self.text_min_levels = n;
        self
    }

    /// … and whose distinct values exceed this share of its present values
    /// (default 0.5) is [`ColumnKind::Text`]; otherwise categorical.
    pub fn text_min_share(mut self, share: f64) -> Self {
        self.text_min_share = share;
        self
    }

    /// Whether columns of only `yes`/`no` are booleans (default `true`).
    pub fn yes_no_boolean(mut self, yes: bool) -> Self {
        self.yes_no_boolean = yes;
        self
    }

    /// Declares `column` an id: [`ColumnKind::Text`], read as written
    /// (`000123` stays `000123`, 19-digit ids stay distinct), never parsed
    /// as a number. The same as `.kind(column, ColumnKind::Text)`.
    pub fn id(self, column: impl Into<String>) -> Self {
        self.kind(column, ColumnKind::Text)
    }

    /// The values read as missing in numeric, boolean and timestamp
    /// columns, besides an empty field (default [`DEFAULT_MISSING_TOKENS`];
    /// an empty list leaves only empty fields missing). Compared exactly,
    /// after trimming, and only with a value that is not a number (boolean,
    /// timestamp) already, so a numeric column costs nothing more. In
    /// categorical and text columns (and ids) these values stay as written.
    /// Each column's count is in [`CsvReport::missing_tokens`].
    pub fn missing_tokens<S: Into<String>>(mut self, tokens: impl IntoIterator<Item = S>) -> Self {
        self.missing_tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Reads numbers with a decimal comma (`1,5` is 1.5; default `false`).
    /// A number holds at most one comma and then no dot (no thousands
    /// separators). Without this option, a column whose values are such
    /// numbers is refused ([`CsvErrorKind::DecimalComma`]) rather than read
    /// as categorical: declare the option, or the column's kind.
    pub fn decimal_comma(mut self, yes: bool) -> Self {
        self.decimal_comma = yes;
        self
    }

    /// The input's text encoding (default [`Encoding::Utf8`]: invalid
    /// UTF-8 is an error naming its line and column). A Latin-1 or
    /// Windows-1252 input is transcoded to UTF-8 before it is split.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Whether `value` (trimmed, not empty) is a missing-value token.
    #[inline(never)]
    fn is_missing_token(&self, value: &[u8]) -> bool {
        self.missing_tokens.iter().any(|t| t.as_bytes() == value)
    }

    /// The number `value` holds when [`parse_f64`] failed: a decimal comma
    /// when declared.
    #[inline(never)]
    fn number_slow(&self, value: &[u8]) -> Option<f64> {
        if !self.decimal_comma {
            return None;
        }
        let comma = comma_number(value)?;
        let mut dotted = value.to_vec();
        if let Some(c) = dotted.get_mut(comma) {
            *c = b'.';
        }
        parse_f64(&dotted)
    }
}

/// The position of the comma when `value` is a number written with a
/// decimal comma (`[+-]digits,digits`).
fn comma_number(value: &[u8]) -> Option<usize> {
    let digits = value.strip_prefix(b"-").or_else(|| value.strip_prefix(b"+")).unwrap_or(value);
    let comma = digits.iter().position(|&c| c == b',')?;
    let (int, frac) = (digits.get(..comma)?, digits.get(comma + 1..)?);
    let all_digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    (all_digits(int) && all_digits(frac)).then_some(comma + (value.len() - digits.len()))
}

/// `data` as UTF-8 when it is Latin-1 or Windows-1252 (borrowed when ASCII).
fn transcode(data: &[u8], encoding: Encoding) -> std::borrow::Cow<'_, [u8]> {
    /// Windows-1252's characters at 0x80–0x9F (WHATWG: the five unassigned
    /// bytes map to the C1 control of the same number).
    const CP1252: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{2C6}',
        '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}',
        '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}',
        '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
    ];
    if !matches!(encoding, Encoding::Latin1 | Encoding::Windows1252) || data.is_ascii() {
        return std::borrow::Cow::Borrowed(data);
    }
    let mut out = String::with_capacity(data.len() + data.len() / 8);
    for &b in data {
        let c = match b {
            0x80..=0x9F if encoding == Encoding::Windows1252 => {
                CP1252.get(usize::from(b - 0x80)).copied().unwrap_or('\u{FFFD}')
            }
            _ => char::from(b),
        };
        out.push(c);
    }
    std::borrow::Cow::Owned(out.into_bytes())
}

/// What the loader did, beside the frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvReport {
    /// The delimiter used (given or detected).
    pub delimiter: u8,
    /// Per column: name, kind, and whether the kind was inferred (not declared).
    pub columns: Vec<(String, ColumnKind, bool)>,
    /// Data rows in the frame.
    pub rows: usize,
    /// Records left out on request, with their lines.
    pub skipped: Vec<SkippedRow>,
    /// Columns whose inferred kind a later record contradicted, so that they
    /// became categorical (the input was parsed a second time).
    pub widened: Vec<String>,
    /// String values that were not valid UTF-8 (replaced by U+FFFD); only
    /// with [`Encoding::Utf8Lossy`], which alone lets them through.
    pub invalid_utf8_values: usize,
    /// Per column with any: how many values were missing-value tokens
    /// ([`CsvOptions::missing_tokens`]) read as missing, in column order.
    pub missing_tokens: Vec<(String, usize)>,
}

/// A frame and the loader's report.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvLoad {
    /// The loaded frame (its [`Frame::skipped_rows`] equals `report.skipped`).
    pub frame: Frame,
    /// What the loader did.
    pub report: CsvReport,
}

impl Frame {
    /// Loads a CSV file (see the [module docs](crate::csv)).
    ///
    /// # Errors
    /// [`FrameError::Io`] when the file cannot be read,
    /// [`FrameError::Csv`] for a malformed input, or the errors of [`Frame::new`].
    pub fn from_csv_path(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Frame> {
        load_path(path, options).map(|l| l.frame)
    }

    /// Loads CSV from any reader (read to its end first).
    ///
    /// # Errors
    /// As [`Frame::from_csv_path`].
    pub fn from_csv_reader(reader: impl Read, options: &CsvOptions) -> Result<Frame> {
        load_reader(reader, options).map(|l| l.frame)
    }
}

/// Loads a CSV file with its report.
///
/// # Errors
/// As [`Frame::from_csv_path`].
pub fn load_path(path: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvLoad> {
    let path = path.as_ref();
    let data = read_file(path).map_err(|source| FrameError::Io { path: path.display().to_string(), source })?;
    load_bytes(&data, options)
}

/// Bytes read per task by [`read_file`].
#[cfg(all(unix, feature = "parallel"))]
const READ_CHUNK: usize = 8 << 20;

/// The whole file. A regular file is read in chunks of 8 MiB in parallel
/// (positioned reads into one buffer: the copy out of the page cache, and
/// the page faults of the fresh buffer, shared by the threads); anything
/// else, or a file whose size changes while it is read, falls back to
/// [`std::fs::read`].
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(all(unix, feature = "parallel"))]
    {
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if let Ok(len) = usize::try_from(meta.len())
            && meta.is_file()
            && len > READ_CHUNK
        {
            let mut data = file_buffer(len)?;
            let read = data
                .par_chunks_mut(READ_CHUNK)
                .enumerate()
                .try_for_each(|(k, chunk)| file.read_exact_at(chunk, (k * READ_CHUNK) as u64));
            // Nothing more past the size read: the file did not grow meanwhile.
            if read.is_ok() && matches!(file.read_at(&mut [0u8; 1], len as u64), Ok(0)) {
                return Ok(data);
            }
        }
    }
    std::fs::read(path)
}

/// A zeroed buffer of `len` bytes for a file whose length on disk is `len`.
/// The length is a claim (a sparse file of 200 GB costs no disk): a length
/// that cannot be allocated is an [`std::io::ErrorKind::OutOfMemory`] error,
/// never an abort. The check reserves without touching the memory, so it
/// costs an `mmap` and `munmap`, and the buffer itself is still zeroed by
/// the allocator (fresh pages, faulted in by the reading threads).
#[cfg(any(test, all(unix, feature = "parallel")))]
fn file_buffer(len: usize) -> std::io::Result<Vec<u8>> {
    let mut probe: Vec<u8> = Vec::new();
    if probe.try_reserve_exact(len).is_err() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            format!("the file is {len} bytes long, more than this machine can hold in memory"),
        ));
    }
    drop(probe);
    Ok(vec![0u8; len])
}

/// Loads CSV from a reader with its report.
///
/// # Errors
/// As [`Frame::from_csv_path`].
pub fn load_reader(mut reader: impl Read, options: &CsvOptions) -> Result<CsvLoad> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data).map_err(|source| FrameError::Io { path: "<reader>".to_string(), source })?;
    load_bytes(&data, options)
}

/// Loads CSV held in memory with its report.
///
/// # Errors
/// As [`Frame::from_csv_path`].
pub fn load_bytes(data: &[u8], options: &CsvOptions) -> Result<CsvLoad> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let transcoded = transcode(data, options.encoding);
    let data: &[u8] = &transcoded;
    if data.trim_ascii().is_empty() {
        return Err(FrameError::Csv { line: 1, kind: CsvErrorKind::EmptyInput });
    }
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(data));

    // Header.
    let mut rdr = reader_for(data, delimiter);
    let mut rec = csv::ByteRecord::new();
    let (names, body_start) = if options.has_header {
        let got = rdr.read_byte_record(&mut rec).map_err(|e| unreadable(1, &e))?;
        if !got {
            return Err(FrameError::Csv { line: 1, kind: CsvErrorKind::EmptyInput });
        }
        let raw = data.get(..rdr.position().byte() as usize).unwrap_or(data);
        if let Err(detail) = check_quoting(raw, delimiter) {
            return Err(FrameError::Csv { line: 1, kind: CsvErrorKind::BadQuoting { detail } });
        }
        let names: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let s = match std::str::from_utf8(f.trim_ascii()) {
                    Ok(s) => s.to_string(),
                    Err(_) if options.encoding == Encoding::Utf8 => {
                        let column = format!("column_{}", j + 1);
                        return Err(FrameError::Csv { line: 1, kind: CsvErrorKind::InvalidUtf8 { column } });
                    }
                    Err(_) => String::from_utf8_lossy(f.trim_ascii()).into_owned(),
                };
                Ok(if s.is_empty() { format!("column_{}", j + 1) } else { s })
            })
            .collect::<Result<_>>()?;
        (names, (rdr.position().byte() as usize).min(data.len()))
    } else {
        let got = rdr.read_byte_record(&mut rec).map_err(|e| unreadable(1, &e))?;
        if !got {
            return Err(FrameError::Csv { line: 1, kind: CsvErrorKind::EmptyInput });
        }
        ((1..=rec.len()).map(|j| format!("column_{j}")).collect(), 0)
    };
    let body = &data[body_start..];
    // Lines taken by the header (a header without a final newline still takes one).
    let header_lines = count_newlines(&data[..body_start]) + u64::from(body_start > 0 && data[body_start - 1] != b'\n');
    let ncols = names.len();

    // Declared kinds and inference on a sample.
    let declared: Vec<Option<ColumnKind>> = names.iter().map(|n| options.kinds.get(n).copied()).collect();
    let keep: Vec<bool> = names.iter().map(|n| options.only.as_ref().is_none_or(|o| o.contains(n))).collect();
    let Some(mut kinds) = infer_kinds(body, delimiter, ncols, &declared, &keep, &names, options)
        .map_err(|(line, kind)| FrameError::Csv { line: header_lines + line, kind })?
    else {
        return Err(FrameError::Csv { line: header_lines + 1, kind: CsvErrorKind::NoRows });
    };

    let chunks = split_chunks(body);
    let mut widened_names = Vec::new();
    let parsed = loop {
        let ctx = ChunkCtx { delimiter, kinds: &kinds, declared: &declared, keep: &keep, names: &names, options };
        let (results, stores) = parse_chunks(body, &chunks, &ctx);
        // Line offsets, computed only when needed.
        let mut first_error: Option<(usize, u64, CsvErrorKind)> = None;
        let mut widen = vec![false; ncols];
        for (k, r) in results.iter().enumerate() {
            if let (Some((line, kind)), None) = (&r.error, &first_error) {
                first_error = Some((k, *line, kind.clone()));
            }
            for (w, rw) in widen.iter_mut().zip(&r.widen) {
                *w |= *rw;
            }
        }
        let line_offset =
            |k: usize| -> u64 { header_lines + chunks.get(k).map_or(0, |&(start, _)| count_newlines(&body[..start])) };
        if let Some((k, line, kind)) = first_error {
            return Err(FrameError::Csv { line: line_offset(k) + line, kind });
        }
        if widen.iter().any(|w| *w) {
            for (j, w) in widen.iter().enumerate() {
                if *w {
                    kinds[j] = ColumnKind::Categorical;
                    widened_names.push(names[j].clone());
                }
            }
            continue;
        }
        let mut skipped = Vec::new();
        for (k, r) in results.iter().enumerate() {
            if !r.skipped.is_empty() {
                let off = line_offset(k);
                skipped.extend(r.skipped.iter().map(|s| SkippedRow { line: off + s.line, reason: s.reason.clone() }));
            }
        }
        break (results, stores, skipped);
    };
    let (results, stores, skipped) = parsed;
    let mut invalid_utf8_values = 0;
    let rows: usize = results.iter().map(|r| r.rows).sum();
    if rows == 0 && skipped.is_empty() {
        return Err(FrameError::Csv { line: header_lines + 1, kind: CsvErrorKind::NoRows });
    }
    let mut token_counts = vec![0usize; ncols];
    for r in &results {
        for (t, n) in token_counts.iter_mut().zip(&r.tokens) {
            *t += n;
        }
    }
    let columns = merge_chunks((results, stores), &declared, options, &mut invalid_utf8_values);
    if invalid_utf8_values > 0 && options.encoding == Encoding::Utf8 {
        return Err(first_invalid_utf8(body, delimiter, &names, &keep, header_lines));
    }
    let missing_tokens: Vec<(String, usize)> =
        names.iter().zip(token_counts).filter(|(_, n)| *n > 0).map(|(name, n)| (name.clone(), n)).collect();
    // Columns left out by `CsvOptions::only` have no column.
    let loaded: Vec<(&String, Column, bool)> =
        names.iter().zip(columns).zip(&declared).filter_map(|((n, c), d)| c.map(|c| (n, c, d.is_none()))).collect();
    let report_columns = loaded.iter().map(|(n, c, inferred)| ((*n).clone(), c.kind(), *inferred)).collect();
    let frame = Frame::new(loaded.into_iter().map(|(n, c, _)| (n.clone(), c)).collect())?
        .with_skipped_rows(skipped.clone())
        .with_missing_tokens(missing_tokens.clone());
    let report = CsvReport {
        delimiter,
        columns: report_columns,
        rows: frame.nrows(),
        skipped,
        widened: widened_names,
        invalid_utf8_values,
        missing_tokens,
    };
    Ok(CsvLoad { frame, report })
}

/// The error of the first loaded value of `body` that is not UTF-8 (the
/// slow path of an input already known to hold one).
#[cold]
fn first_invalid_utf8(body: &[u8], delimiter: u8, names: &[String], keep: &[bool], header_lines: u64) -> FrameError {
    let mut found: Option<(u64, usize)> = None;
    for_each_record(body, delimiter, |scratch, spans, line, _| {
        let bad = spans.iter().enumerate().find(|&(j, &span)| {
            keep.get(j).copied().unwrap_or(false) && std::str::from_utf8(span_bytes(body, scratch, span)).is_err()
        });
        if let Some((j, _)) = bad {
            found = Some((line, j));
        }
        found.is_none()
    });
    let (line, j) = found.unwrap_or((1, 0));
    let column = names.get(j).cloned().unwrap_or_else(|| format!("column_{}", j + 1));
    FrameError::Csv { line: header_lines + line, kind: CsvErrorKind::InvalidUtf8 { column } }
}

fn reader_for(data: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(data)
}

fn unreadable(line: u64, e: &csv::Error) -> FrameError {
    FrameError::Csv { line, kind: CsvErrorKind::Unreadable { reason: e.to_string() } }
}

fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Detects the delimiter among `,` `;` tab from the first lines (quote-aware).
fn detect_delimiter(data: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let head = &data[..data.len().min(64 * 1024)];
    // Per line, count of each candidate outside quotes; up to 20 complete lines.
    let mut lines: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in head {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            if b == b'\n' {
                lines.push(counts);
                counts = [0; 3];
                if lines.len() == 20 {
                    break;
                }
            } else if let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
                counts[k] += 1;
            }
        }
    }
    if lines.is_empty() {
        lines.push(counts);
    }
    let Some(header) = lines.first() else { return b',' };
    let mut best = (false, 0usize, b',');
    for (k, &c) in CANDIDATES.iter().enumerate() {
        if header[k] == 0 {
            continue;
        }
        let consistent = lines.iter().all(|l| l[k] == header[k]);
        let score = (consistent, header[k]);
        if score > (best.0, best.1) {
            best = (consistent, header[k], c);
        }
    }
    best.2
}

/// Checks the quoting of one raw record (RFC 4180, `""` escapes).
fn check_quoting(raw: &[u8], delimiter: u8) -> std::result::Result<(), QuotingProblem> {
    #[derive(PartialEq)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut s = S::FieldStart;
    for &b in raw {
        s = match s {
            S::FieldStart | S::Unquoted if b == delimiter || b == b'\n' || b == b'\r' => S::FieldStart,
            S::FieldStart if b == b'"' => S::Quoted,
            S::FieldStart | S::Unquoted if b == b'"' => return Err(QuotingProblem::StrayQuote),
            S::FieldStart | S::Unquoted => S::Unquoted,
            S::Quoted if b == b'"' => S::QuoteInQuoted,
            S::Quoted => S::Quoted,
            S::QuoteInQuoted if b == b'"' => S::Quoted,
            S::QuoteInQuoted if b == delimiter || b == b'\n' || b == b'\r' => S::FieldStart,
            S::QuoteInQuoted => return Err(QuotingProblem::TextAfterClosingQuote),
        };
    }
    if s == S::Quoted { Err(QuotingProblem::Unterminated) } else { Ok(()) }
}

// ---------------------------------------------------------------------------
// Value parsers.

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Parses a finite number. Plain decimals of at most 15 digits take an exact
/// fast path (an exactly representable mantissa divided by an exact power
/// of ten is correctly rounded); everything else goes to the standard parser.
pub(crate) fn parse_f64(b: &[u8]) -> Option<f64> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    // Digits before and after an optional dot (wrapping: a long mantissa
    // overflows harmlessly and goes to the standard parser).
    let mut mant: u64 = 0;
    let mut i = 0;
    let digits = |i: &mut usize, mant: &mut u64| {
        while let Some(d) = rest.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            *mant = mant.wrapping_mul(10).wrapping_add(u64::from(d));
            *i += 1;
        }
    };
    digits(&mut i, &mut mant);
    let int_digits = i;
    let mut frac = 0;
    if rest.get(i) == Some(&b'.') {
        i += 1;
        digits(&mut i, &mut mant);
        frac = i - int_digits - 1;
    }
    if i == rest.len() && (1..=15).contains(&(int_digits + frac)) {
        // At most 15 digits: below 2^53, a signed conversion (one instruction);
        // `frac` is at most 15, inside `POW10` (checked reads cost 5% here).
        let v = mant as i64 as f64 / POW10[frac];
        return Some(if neg { -v } else { v });
    }
    let s = std::str::from_utf8(b).ok()?;
    // The standard parser accepts "inf" and "nan": those are not numbers here.
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

pub(crate) fn parse_bool(b: &[u8], yes_no: bool) -> Option<bool> {
    if b.eq_ignore_ascii_case(b"true") || (yes_no && b.eq_ignore_ascii_case(b"yes")) {
        Some(true)
    } else if b.eq_ignore_ascii_case(b"false") || (yes_no && b.eq_ignore_ascii_case(b"no")) {
        Some(false)
    } else {
        None
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by `T` or a
/// space, `HH:MM[:SS[.fff]]`, and `Z` or an offset `±HH[:MM]`, into Unix seconds (UTC).
pub(crate) fn parse_timestamp(b: &[u8]) -> Option<i64> {
    if b.len() < 10 {
        return None;
    }
    let sep = b[4];
    if (sep != b'-' && sep != b'/') || b[7] != sep {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(secs);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    let t = &rest[1..];
    if t.len() < 5 || t[2] != b':' {
        return None;
    }
    let (hh, mm) = (digits(&t[0..2])?, digits(&t[3..5])?);
    if hh > 23 || mm > 59 {
        return None;
    }
    secs += hh * 3600 + mm * 60;
    let mut t = &t[5..];
    if t.first() == Some(&b':') {
        let ss = digits(t.get(1..3)?)?;
        if ss > 60 {
            return None;
        }
        secs += ss;
        t = &t[3..];
        if t.first() == Some(&b'.') {
            let n = t[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            t = &t[1 + n..];
        }
    }
    match t {
        [] | [b'Z'] | [b'z'] => Some(secs),
        [sign @ (b'+' | b'-'), off @ ..] => {
            let (oh, om) = match off {
                [a, b2] => (digits(&[*a, *b2])?, 0),
                [a, b2, b':', c, d2] | [a, b2, c, d2] => (digits(&[*a, *b2])?, digits(&[*c, *d2])?),
                _ => return None,
            };
            let off = oh * 3600 + om * 60;
            Some(if *sign == b'+' { secs - off } else { secs + off })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Inference.

#[derive(Default)]
struct ColStats<'a> {
    present: usize,
    can_bool: bool,
    can_num: bool,
    can_ts: bool,
    distinct: HashSet<&'a [u8], FxBuild>,
}

/// Infers kinds from the first records; `None` when the body has no record.
///
/// # Errors
/// The 1-based line (in `body`) and kind of a column refused on sight: numbers
/// with a decimal comma that was not declared.
#[allow(clippy::type_complexity)]
fn infer_kinds(
    body: &[u8],
    delimiter: u8,
    ncols: usize,
    declared: &[Option<ColumnKind>],
    keep: &[bool],
    names: &[String],
    options: &CsvOptions,
) -> std::result::Result<Option<Vec<ColumnKind>>, (u64, CsvErrorKind)> {
    // Every loaded column's kind declared: one record tells that there is a row at all.
    let sample = if declared.iter().zip(keep).all(|(d, k)| d.is_some() || !k) { 1 } else { options.infer_rows };
    // The sample's fields, `ncols` per record of the header's width, split
    // by the loader's own splitter: spans of `body`, or of `arena` for the
    // quoted fields that had to be unescaped.
    let mut arena: Vec<u8> = Vec::new();
    let mut fields: Vec<Span> = Vec::with_capacity(sample.saturating_mul(ncols).min(body.len() + 1));
    let mut lines: Vec<u64> = Vec::new();
    let mut n = 0;
    for_each_record(body, delimiter, |scratch, spans, line, problem| {
        // A badly quoted record counts but tells nothing (the parse reports
        // or skips it, as the options say).
        n += 1;
        if problem.is_none() && spans.len() == ncols {
            lines.push(line);
            fields.extend(spans.iter().map(|&span| {
                if !span.scratch {
                    return span;
                }
                let start = arena.len();
                arena.extend_from_slice(span_bytes(body, scratch, span));
                Span { start, end: arena.len(), scratch: true }
            }));
        }
        n < sample
    });
    if n == 0 {
        return Ok(None);
    }
    type Inferred = std::result::Result<ColumnKind, (u64, CsvErrorKind)>;
    let column_kind = |j: usize| -> Inferred {
        let values =
            fields.iter().skip(j).step_by(ncols.max(1)).map(|&span| span_bytes(body, &arena, span).trim_ascii());
        let mut s = ColStats { can_bool: true, can_num: true, can_ts: true, ..Default::default() };
        // Values present and not missing-value tokens, and (record, value)
        // of the first number with a decimal comma.
        let mut typed_present = 0usize;
        let mut comma: Option<(usize, &[u8])> = None;
        let mut comma_numbers = true;
        for (k, f) in values.clone().enumerate().filter(|(_, f)| !f.is_empty()) {
            s.present += 1;
            let not_bool = s.can_bool && parse_bool(f, options.yes_no_boolean).is_none();
            let not_num = s.can_num && parse_f64(f).is_none() && options.number_slow(f).is_none();
            let not_ts = s.can_ts && parse_timestamp(f).is_none();
            // Once no typed kind is left, a token no longer matters (the
            // column has a present value; tokens stay values in string columns).
            if (not_bool || not_num || not_ts) && options.is_missing_token(f) {
                continue;
            }
            typed_present += 1;
            s.can_bool &= !not_bool;
            s.can_num &= !not_num;
            s.can_ts &= !not_ts;
            if comma_numbers && parse_f64(f).is_none() {
                match comma_number(f) {
                    Some(_) if comma.is_none() => comma = Some((k, f)),
                    Some(_) => {}
                    None => comma_numbers = false,
                }
            }
        }
        // Distinct values of the string columns.
        if !s.can_bool && !s.can_num && !s.can_ts {
            s.distinct.extend(values.filter(|f| !f.is_empty()));
        }
        Ok(match declared.get(j) {
            Some(Some(k)) => *k,
            _ if typed_present == 0 => ColumnKind::Numeric,
            _ if s.can_bool => ColumnKind::Boolean,
            _ if s.can_num => ColumnKind::Numeric,
            _ if s.can_ts => ColumnKind::Timestamp,
            _ => {
                // Numbers but for a decimal comma nobody declared: refused,
                // never read as labels.
                if let (true, Some((k, value))) = (comma_numbers, comma) {
                    let column = names.get(j).cloned().unwrap_or_default();
                    let value = String::from_utf8_lossy(value).chars().take(64).collect();
                    return Err((lines.get(k).copied().unwrap_or(1), CsvErrorKind::DecimalComma { column, value }));
                }
                if is_text(s.distinct.len(), s.present, options) { ColumnKind::Text } else { ColumnKind::Categorical }
            }
        })
    };
    // Declared or left-out columns need no look at their values.
    let kind_of = |j: usize| match (declared.get(j), keep.get(j)) {
        (Some(Some(k)), _) => Ok(*k),
        (_, Some(false)) => Ok(ColumnKind::Numeric),
        _ => column_kind(j),
    };
    #[cfg(feature = "parallel")]
    let kinds: Vec<Inferred> = {
        use rayon::prelude::*;
        (0..ncols).into_par_iter().map(kind_of).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let kinds: Vec<Inferred> = (0..ncols).map(kind_of).collect();
    // The first refused column, in the input's order of lines.
    let mut out = Vec::with_capacity(ncols);
    let mut refused: Option<(u64, CsvErrorKind)> = None;
    for k in kinds {
        match k {
            Ok(k) => out.push(k),
            Err((line, kind)) => {
                if refused.as_ref().is_none_or(|(l, _)| line < *l) {
                    refused = Some((line, kind));
                }
            }
        }
    }
    match refused {
        Some(e) => Err(e),
        None => Ok(Some(out)),
    }
}

fn is_text(distinct: usize, present: usize, options: &CsvOptions) -> bool {
    distinct > options.text_min_levels && distinct as f64 > options.text_min_share * present as f64
}

// ---------------------------------------------------------------------------
// Chunked typed parse.

/// Splits `body` at record boundaries into up to four chunks per thread (of
/// 1 MiB at least), so that a thread slowed by another process still gets
/// its share of the work done by the others.
fn split_chunks(body: &[u8]) -> Vec<(usize, usize)> {
    let threads = parallelism();
    const MIN_CHUNK: usize = 1 << 20;
    let n = (4 * threads).min(body.len() / MIN_CHUNK).max(1);
    // Cuts are searched from evenly spaced targets; whether a target is
    // inside a quoted field is the parity of the quotes before it, counted
    // per segment between targets (in parallel: one pass over the body).
    let targets: Vec<usize> = (0..n).map(|k| body.len() * k / n).collect();
    let count = |k: usize| match (targets.get(k), targets.get(k + 1)) {
        (Some(&a), Some(&b)) => memchr::memchr_iter(b'"', body.get(a..b).unwrap_or_default()).count(),
        _ => 0,
    };
    #[cfg(feature = "parallel")]
    let segment_quotes: Vec<usize> = {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(count).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let segment_quotes: Vec<usize> = (0..n).map(count).collect();
    let mut bounds = vec![0usize];
    let mut quotes_before = 0usize; // quotes in body[..target]
    for k in 1..n {
        quotes_before += segment_quotes.get(k - 1).copied().unwrap_or(0);
        let target = targets.get(k).copied().unwrap_or(body.len());
        if target < *bounds.last().unwrap_or(&0) {
            // The last cut already passed this target (a very long record).
            continue;
        }
        let mut in_quotes = quotes_before % 2 == 1;
        let mut cut = None;
        for (i, &c) in body[target..].iter().enumerate() {
            if c == b'"' {
                in_quotes = !in_quotes;
            } else if c == b'\n' && !in_quotes {
                cut = Some(target + i + 1);
                break;
            }
        }
        match cut {
            Some(c) if c < body.len() => bounds.push(c),
            _ => break,
        }
    }
    bounds.push(body.len());
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

fn parallelism() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

struct ChunkCtx<'a> {
    delimiter: u8,
    kinds: &'a [ColumnKind],
    declared: &'a [Option<ColumnKind>],
    /// Per column: loaded (`false`: left out by [`CsvOptions::only`]).
    keep: &'a [bool],
    names: &'a [String],
    options: &'a CsvOptions,
}

/// Parses the chunks (in parallel with the `parallel` feature) straight
/// into one storage per column: each chunk writes its rows into its own
/// window of the column, so no chunk's values are copied again.
fn parse_chunks(body: &[u8], chunks: &[(usize, usize)], ctx: &ChunkCtx) -> (Vec<ChunkResult>, Vec<Store>) {
    // A chunk's records are at most its newlines (plus one when it does
    // not end with a newline): the size of its window.
    let rows_in = |&(a, b): &(usize, usize)| {
        let part = &body[a..b];
        memchr::memchr_iter(b'\n', part).count() + usize::from(part.last().is_some_and(|&c| c != b'\n'))
    };
    #[cfg(feature = "parallel")]
    let windows: Vec<usize> = {
        use rayon::prelude::*;
        chunks.par_iter().map(rows_in).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let windows: Vec<usize> = chunks.iter().map(rows_in).collect();
    let total = windows.iter().sum();
    let mut stores: Vec<Store> = ctx
        .kinds
        .iter()
        .zip(ctx.keep)
        .map(|(&k, &keep)| if keep { Store::new(k, total, chunks.len()) } else { Store::Skipped })
        .collect();
    let mut slots: Vec<Vec<Slot<'_>>> = chunks.iter().map(|_| Vec::with_capacity(stores.len())).collect();
    for store in &mut stores {
        let mut rest = store.slot();
        for (chunk_slots, &w) in slots.iter_mut().zip(&windows) {
            let (head, tail) = rest.split_at(w);
            chunk_slots.push(head);
            rest = tail;
        }
    }
    let work: Vec<_> = slots.into_iter().zip(chunks).zip(&windows).collect();
    let run = |((slots, &(a, b)), &window): ((Vec<Slot<'_>>, &(usize, usize)), &usize)| {
        parse_chunk(&body[a..b], ctx, slots, window)
    };
    #[cfg(feature = "parallel")]
    let results = {
        use rayon::prelude::*;
        work.into_par_iter().map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results = work.into_iter().map(run).collect();
    (results, stores)
}

/// One column's values for every row of the input, written in place by the chunks.
enum Store {
    /// Values, [`NUMERIC_MISSING`] when missing (as [`NumericColumn`]).
    Numeric(Vec<f64>),
    Boolean(Vec<Option<bool>>),
    Timestamp(Vec<Option<i64>>),
    /// Codes of each chunk's own dictionary until merged
    /// ([`CategoricalColumn::MISSING`] when missing).
    Categorical(Vec<u32>),
    /// One column per chunk, appended in order when merged.
    Text(Vec<TextBytes>),
    /// A column left out by [`CsvOptions::only`].
    Skipped,
}

/// `n` copies of `v`, written on every thread (each faults in its own pages).
fn filled<T: Clone + Send + Sync>(n: usize, v: T) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let mut out = Vec::new();
        out.par_extend(rayon::iter::repeat_n(v, n));
        out
    }
    #[cfg(not(feature = "parallel"))]
    {
        vec![v; n]
    }
}

impl Store {
    fn new(kind: ColumnKind, rows: usize, chunks: usize) -> Store {
        match kind {
            ColumnKind::Numeric => Store::Numeric(filled(rows, NUMERIC_MISSING)),
            ColumnKind::Boolean => Store::Boolean(filled(rows, None)),
            ColumnKind::Timestamp => Store::Timestamp(filled(rows, None)),
            ColumnKind::Text => Store::Text((0..chunks).map(|_| TextBytes::default()).collect()),
            _ => Store::Categorical(filled(rows, CategoricalColumn::MISSING)),
        }
    }

    fn slot(&mut self) -> Slot<'_> {
        match self {
            Store::Numeric(v) => Slot::Numeric(v),
            Store::Boolean(v) => Slot::Boolean(v),
            Store::Timestamp(v) => Slot::Timestamp(v),
            Store::Categorical(v) => Slot::Categorical(v),
            Store::Text(v) => Slot::Text(v),
            Store::Skipped => Slot::Skipped,
        }
    }

    /// Removes `range` (rows a chunk's window did not fill).
    fn remove(&mut self, range: Range<usize>) {
        match self {
            Store::Numeric(v) => drop(v.drain(range)),
            Store::Boolean(v) => drop(v.drain(range)),
            Store::Timestamp(v) => drop(v.drain(range)),
            Store::Categorical(v) => drop(v.drain(range)),
            // Each chunk's column holds only its rows (cut in `merge_chunks`).
            Store::Text(_) => {}
            Store::Skipped => {}
        }
    }
}

/// A chunk's window into one column's [`Store`].
enum Slot<'a> {
    Numeric(&'a mut [f64]),
    Boolean(&'a mut [Option<bool>]),
    Timestamp(&'a mut [Option<i64>]),
    Categorical(&'a mut [u32]),
    /// The chunks' text columns: a window holds the first.
    Text(&'a mut [TextBytes]),
    Skipped,
}

/// Writes `x` at row `r` of a window. Windows are sized to the chunk's
/// maximum record count, so `r` is always inside.
#[inline]
fn put<T>(window: &mut [T], r: usize, x: T) {
    if let Some(slot) = window.get_mut(r) {
        *slot = x;
    }
}

/// Writes row `r` of a chunk's text column (a record abandoned after its
/// text was written leaves a row that the next record replaces).
#[inline]
fn put_text(window: &mut [TextBytes], r: usize, value: Option<&[u8]>) {
    if let Some(column) = window.first_mut() {
        column.put(r, value);
    }
}

impl<'a> Slot<'a> {
    /// The first `n` rows and the rest (`n` is at most the length by construction).
    fn split_at(self, n: usize) -> (Slot<'a>, Slot<'a>) {
        fn cut<T>(v: &mut [T], n: usize) -> (&mut [T], &mut [T]) {
            let n = n.min(v.len());
            v.split_at_mut(n)
        }
        match self {
            Slot::Numeric(v) => {
                let (a, b) = cut(v, n);
                (Slot::Numeric(a), Slot::Numeric(b))
            }
            Slot::Boolean(v) => {
                let (a, b) = cut(v, n);
                (Slot::Boolean(a), Slot::Boolean(b))
            }
            Slot::Timestamp(v) => {
                let (a, b) = cut(v, n);
                (Slot::Timestamp(a), Slot::Timestamp(b))
            }
            Slot::Categorical(v) => {
                let (a, b) = cut(v, n);
                (Slot::Categorical(a), Slot::Categorical(b))
            }
            Slot::Text(v) => {
                // One column per chunk, whatever its row count.
                let (a, b) = cut(v, 1);
                (Slot::Text(a), Slot::Text(b))
            }
            Slot::Skipped => (Slot::Skipped, Slot::Skipped),
        }
    }

    #[inline]
    fn put_missing(&mut self, r: usize) {
        match self {
            Slot::Numeric(v) => put(v, r, NUMERIC_MISSING),
            Slot::Boolean(v) => put(v, r, None),
            Slot::Timestamp(v) => put(v, r, None),
            Slot::Categorical(v) => put(v, r, CategoricalColumn::MISSING),
            Slot::Text(v) => put_text(v, r, None),
            Slot::Skipped => {}
        }
    }
}

struct ChunkResult {
    /// The dictionary of each categorical column (codes are in the store).
    interners: Vec<Option<Interner>>,
    rows: usize,
    /// Rows the chunk's window holds (`rows` or more).
    window: usize,
    /// Lines relative to the chunk (1-based).
    skipped: Vec<SkippedRow>,
    error: Option<(u64, CsvErrorKind)>,
    widen: Vec<bool>,
    /// Per column: missing-value tokens read as missing.
    tokens: Vec<usize>,
}

/// Per-chunk row sink.
struct RowSink<'c, 's> {
    ctx: &'c ChunkCtx<'c>,
    slots: Vec<Slot<'s>>,
    out: ChunkResult,
}

impl RowSink<'_, '_> {
    fn bad(&mut self, line: u64, kind: CsvErrorKind) -> bool {
        if self.ctx.options.skip_bad_rows {
            self.out.skipped.push(SkippedRow { line, reason: kind });
            return true;
        }
        self.out.error = Some((line, kind));
        false
    }

    /// Handles one record; returns `false` to stop.
    ///
    /// Values are written at the next row as they are parsed; a value that
    /// contradicts a declared kind abandons the record (the next record
    /// overwrites its row; a level it interned stays in the dictionary with
    /// no row, which every consumer ignores).
    fn row(&mut self, chunk: &[u8], scratch: &[u8], spans: &[Span], line: u64) -> bool {
        let ctx = self.ctx;
        let ncols = ctx.kinds.len();
        if spans.len() != ncols {
            return self.bad(line, CsvErrorKind::RaggedRow { expected: ncols, found: spans.len() });
        }
        let yes_no = ctx.options.yes_no_boolean;
        let r = self.out.rows;
        for (j, (slot, &sp)) in self.slots.iter_mut().zip(spans).enumerate() {
            let f = span_bytes(chunk, scratch, sp).trim_ascii();
            let ok = if f.is_empty() {
                slot.put_missing(r);
                true
            } else {
                match slot {
                    Slot::Skipped => true,
                    Slot::Numeric(v) => {
                        parse_f64(f).or_else(|| ctx.options.number_slow(f)).map(|x| put(v, r, x)).is_some()
                    }
                    Slot::Boolean(v) => parse_bool(f, yes_no).map(|x| put(v, r, Some(x))).is_some(),
                    Slot::Timestamp(v) => parse_timestamp(f)
                        .or_else(|| if ctx.declared[j].is_some() { parse_f64(f).map(|x| x as i64) } else { None })
                        .map(|x| put(v, r, Some(x)))
                        .is_some(),
                    Slot::Categorical(v) => {
                        let code = self.out.interners[j].get_or_insert_with(Interner::new).intern(f);
                        put(v, r, code);
                        true
                    }
                    Slot::Text(v) => {
                        put_text(v, r, Some(f));
                        true
                    }
                }
            };
            if ok {
                continue;
            }
            // Checked only once a value failed to parse: the numeric fast path pays nothing.
            if ctx.options.is_missing_token(f) {
                slot.put_missing(r);
                if let Some(t) = self.out.tokens.get_mut(j) {
                    *t += 1;
                }
                continue;
            }
            let inferred = ctx.declared.get(j).is_some_and(Option::is_none);
            if inferred && matches!(slot, Slot::Numeric(_)) && comma_number(f).is_some() {
                // A decimal comma past the inference sample: refused as in
                // the sample, never a silent widening to categorical.
                let value: String = String::from_utf8_lossy(f).chars().take(64).collect();
                let column = ctx.names.get(j).cloned().unwrap_or_default();
                self.out.error = Some((line, CsvErrorKind::DecimalComma { column, value }));
                return false;
            }
            if ctx.declared[j].is_none() {
                // An inferred kind is wrong: note it (the input is parsed again).
                self.out.widen[j] = true;
                slot.put_missing(r);
                continue;
            }
            let value: String = String::from_utf8_lossy(f).chars().take(64).collect();
            let kind = CsvErrorKind::BadValue { column: ctx.names[j].clone(), value, expected: ctx.kinds[j] };
            return self.bad(line, kind);
        }
        self.out.rows += 1;
        true
    }
}

fn parse_chunk(chunk: &[u8], ctx: &ChunkCtx, slots: Vec<Slot<'_>>, window: usize) -> ChunkResult {
    let ncols = ctx.kinds.len();
    let interners = ctx.kinds.iter().map(|k| matches!(k, ColumnKind::Categorical).then(Interner::new)).collect();
    let out = ChunkResult {
        interners,
        rows: 0,
        window,
        skipped: Vec::new(),
        error: None,
        widen: vec![false; ncols],
        tokens: vec![0; ncols],
    };
    let mut sink = RowSink { ctx, slots, out };
    for_each_record(chunk, ctx.delimiter, |scratch, spans, line, problem| match problem {
        Some(detail) => sink.bad(line, CsvErrorKind::BadQuoting { detail }),
        None => sink.row(chunk, scratch, spans, line),
    });
    sink.out
}

/// Turns the stores into columns, one column per task: re-maps each
/// chunk's categorical codes to one dictionary, closes the gaps that chunks
/// left in their windows, and turns high-cardinality inferred categoricals
/// into text.
fn merge_chunks(
    (mut results, stores): (Vec<ChunkResult>, Vec<Store>),
    declared: &[Option<ColumnKind>],
    options: &CsvOptions,
    invalid_utf8: &mut usize,
) -> Vec<Option<Column>> {
    let starts: Vec<usize> = results
        .iter()
        .scan(0, |at, r| {
            let start = *at;
            *at += r.window;
            Some(start)
        })
        .collect();
    // Per column, each chunk's dictionary.
    let mut dictionaries: Vec<Vec<Option<Interner>>> = stores.iter().map(|_| Vec::new()).collect();
    for r in &mut results {
        for (d, own) in dictionaries.iter_mut().zip(&mut r.interners) {
            d.push(own.take());
        }
    }
    let results = &results;
    let merge = |(j, (mut store, own)): (usize, (Store, Vec<Option<Interner>>))| -> (Option<Column>, usize) {
        let mut dictionary = None;
        if let Store::Categorical(codes) = &mut store {
            let mut base = Interner::new();
            for ((r, &start), own) in results.iter().zip(&starts).zip(own) {
                let Some(own) = own else { continue };
                let map: Vec<u32> = own.raw.iter().map(|l| base.intern(l)).collect();
                for c in codes.iter_mut().skip(start).take(r.rows) {
                    *c = map.get(*c as usize).copied().unwrap_or(CategoricalColumn::MISSING);
                }
            }
            dictionary = Some(base);
        }
        // Close the gaps, last chunk first so that earlier starts stay valid.
        for (r, &start) in results.iter().zip(&starts).rev() {
            if r.rows < r.window {
                store.remove(start + r.rows..start + r.window);
            }
        }
        let mut invalid = 0;
        let column = match store {
            Store::Skipped => return (None, 0),
            // `parse_f64` yields finite values only.
            Store::Numeric(v) => Column::Numeric(NumericColumn::from_nan_missing_unchecked(v)),
            Store::Boolean(v) => Column::Boolean(v),
            Store::Timestamp(v) => Column::Timestamp(v),
            Store::Text(parts) => {
                let parts = parts
                    .into_iter()
                    .zip(results)
                    .map(|(mut part, r)| {
                        part.truncate(r.rows);
                        part
                    })
                    .collect();
                let (column, bad) = TextBytes::concat(parts).finish();
                invalid = bad;
                Column::Text(column)
            }
            Store::Categorical(codes) => {
                let levels;
                (levels, invalid) = Interner::levels(dictionary.map(|d| d.raw).unwrap_or_default());
                let present = codes.iter().filter(|&&c| c != CategoricalColumn::MISSING).count();
                if declared.get(j).is_some_and(Option::is_none) && is_text(levels.len(), present, options) {
                    Column::Text(codes.iter().map(|&c| levels.get(c as usize)).collect())
                } else {
                    Column::Categorical(CategoricalColumn::from_parts_unchecked(levels, codes))
                }
            }
        };
        (Some(column), invalid)
    };
    let work = stores.into_iter().zip(dictionaries).enumerate();
    #[cfg(feature = "parallel")]
    let merged: Vec<(Option<Column>, usize)> = {
        use rayon::prelude::*;
        work.collect::<Vec<_>>().into_par_iter().map(merge).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let merged: Vec<(Option<Column>, usize)> = work.map(merge).collect();
    merged
        .into_iter()
        .map(|(column, invalid)| {
            *invalid_utf8 += invalid;
            column
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str, o: &CsvOptions) -> Result<CsvLoad> {
        load_bytes(s.as_bytes(), o)
    }

    #[test]
    fn short_strings_intern_by_every_byte() {
        let keys: [&[u8]; 7] = [b"", b"a", b"a\0", b"abcdefgh", b"abcdefghi", b"abcdefghj", b"bbcdefghi"];
        let mut interner = Interner::new();
        for (i, a) in keys.iter().enumerate() {
            assert_eq!(interner.intern(a), i as u32);
        }
        assert_eq!(interner.intern(b"abcdefghi"), 4);
    }

    #[test]
    fn fast_float_path_matches_std() {
        for s in ["0", "-0", "1.5", "0.1525", "123456789012345", "1234567890123456", "1e5", ".5", "5.", "-3.25"] {
            assert_eq!(parse_f64(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
        }
        for s in ["nan", "inf", "abc", "1.2.3", "", "-", "1,5"] {
            assert_eq!(parse_f64(s.as_bytes()), None, "{s}");
        }
    }

    proptest::proptest! {
        /// Every decimal the fast path takes is the standard parser's value.
        #[test]
        fn fast_float_path_matches_std_on_any_decimal(s in "[-+]?[0-9]{0,18}([.][0-9]{0,18})?") {
            let want = s.parse::<f64>().ok().filter(|v| v.is_finite());
            proptest::prop_assert_eq!(parse_f64(s.as_bytes()).map(f64::to_bits), want.map(f64::to_bits), "{}", s);
        }
    }

    #[test]
    fn timestamps_parse() {
        assert_eq!(parse_timestamp(b"1970-01-01"), Some(0));
        assert_eq!(parse_timestamp(b"2026-01-01"), Some(1_767_225_600));
        assert_eq!(parse_timestamp(b"2026-01-01T01:00:00Z"), Some(1_767_229_200));
        assert_eq!(parse_timestamp(b"2026-01-01 02:00:00+01:00"), Some(1_767_229_200));
        assert_eq!(parse_timestamp(b"2026/01/01 01:00"), Some(1_767_229_200));
        assert_eq!(parse_timestamp(b"2026-01-01T01:00:00.250Z"), Some(1_767_229_200));
        assert_eq!(parse_timestamp(b"2026-02-30"), None);
        assert_eq!(parse_timestamp(b"2026-13-01"), None);
        assert_eq!(parse_timestamp(b"20260101"), None);
    }

    #[test]
    fn infers_kinds_and_detects_delimiters() {
        let s = "a;b;c;d;e\r\n1;x;yes;2020-01-01;\r\n2.5;\"y;z\";No;2020-01-02;\r\n";
        let l = load(s, &CsvOptions::new()).expect("loads");
        assert_eq!(l.report.delimiter, b';');
        let kinds: Vec<ColumnKind> = l.frame.columns().iter().map(Column::kind).collect();
        use ColumnKind::*;
        assert_eq!(kinds, [Numeric, Categorical, Boolean, Timestamp, Numeric]);
        let Column::Categorical(c) = l.frame.column("b").expect("b") else { panic!("categorical") };
        assert_eq!(c.get(1), Some("y;z"));
        let tab = load("a\tb\n1\t2\n", &CsvOptions::new()).expect("tab");
        assert_eq!(tab.report.delimiter, b'\t');
        assert_eq!(tab.frame.ncols(), 2);
    }

    #[test]
    fn widens_when_later_rows_contradict_the_sample() {
        let s = "a,b\n1,x\n2,y\nthree,z\n";
        let l = load(s, &CsvOptions::new().infer_rows(1)).expect("loads");
        assert_eq!(l.report.widened, ["a"]);
        let Column::Categorical(c) = l.frame.column("a").expect("a") else { panic!("categorical") };
        assert_eq!(c.get(2), Some("three"));
        assert_eq!(c.get(0), Some("1"));
    }

    #[test]
    fn a_badly_quoted_first_row_does_not_hide_the_kinds_of_the_rest() {
        let o = CsvOptions::new().skip_bad_rows(true);
        let l = load("a,b\nx\"y,4\n1,yes\n2,no\n", &o).expect("the bad row is skipped");
        assert_eq!(l.report.skipped.iter().map(|s| s.line).collect::<Vec<_>>(), [2]);
        assert_eq!(l.frame.column("a").expect("a").kind(), ColumnKind::Numeric);
        assert_eq!(l.frame.column("b").expect("b").kind(), ColumnKind::Boolean);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let o = CsvOptions::new();
        let line_kind = |r: Result<CsvLoad>| match r {
            Err(FrameError::Csv { line, kind }) => (line, kind),
            other => panic!("expected a CSV error, got {other:?}"),
        };
        assert_eq!(line_kind(load("", &o)), (1, CsvErrorKind::EmptyInput));
        assert_eq!(line_kind(load(" \n\n", &o)), (1, CsvErrorKind::EmptyInput));
        assert_eq!(line_kind(load("a,b\n", &o)), (2, CsvErrorKind::NoRows));
        assert_eq!(line_kind(load("a,b\n1,2\n3\n", &o)), (3, CsvErrorKind::RaggedRow { expected: 2, found: 1 }));
        assert_eq!(line_kind(load("a,b\n1,2\n3,4,5\n", &o)), (3, CsvErrorKind::RaggedRow { expected: 2, found: 3 }));
        let (line, kind) = line_kind(load("a,b\n1,2\n\"3,4\n5,6\n", &o));
        assert_eq!((line, kind), (3, CsvErrorKind::BadQuoting { detail: QuotingProblem::Unterminated }));
        let (line, kind) = line_kind(load("a,b\n1,2\nx\"y,4\n", &o));
        assert_eq!((line, kind), (3, CsvErrorKind::BadQuoting { detail: QuotingProblem::StrayQuote }));
        let (line, kind) = line_kind(load("a,b\n\"x\"y,4\n1,2\n", &o));
        assert_eq!((line, kind), (2, CsvErrorKind::BadQuoting { detail: QuotingProblem::TextAfterClosingQuote }));
        let declared = CsvOptions::new().kind("a", ColumnKind::Numeric);
        let (line, kind) = line_kind(load("a,b\n1,2\nx,4\n", &declared));
        assert_eq!(line, 3);
        assert!(matches!(kind, CsvErrorKind::BadValue { ref column, .. } if column == "a"));
        assert!(matches!(load_path("/nonexistent/file.csv", &o), Err(FrameError::Io { .. })));
    }

    #[test]
    fn skipped_rows_are_counted_with_lines() {
        let o = CsvOptions::new().skip_bad_rows(true).kind("a", ColumnKind::Numeric);
        let l = load("a,b\n1,2\n3\nx,5\n6,7\n", &o).expect("loads");
        assert_eq!(l.frame.nrows(), 2);
        let lines: Vec<u64> = l.report.skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [3, 4]);
        assert_eq!(l.frame.skipped_rows(), l.report.skipped.as_slice());
    }

    #[test]
    fn quoted_fields_escapes_and_crlf() {
        let s = "name,note\r\n\"Acme, Inc.\",\"said \"\"hi\"\"\"\r\n\"Multi\nline\",x\r\n";
        let l = load(s, &CsvOptions::new()).expect("loads");
        let Column::Categorical(c) = l.frame.column("note").expect("note") else { panic!("categorical") };
        assert_eq!(c.get(0), Some("said \"hi\""));
        let Column::Categorical(n) = l.frame.column("name").expect("name") else { panic!("categorical") };
        assert_eq!(n.get(1), Some("Multi\nline"));
    }

    /// Records as the splitter sees them.
    type Split = std::result::Result<Vec<Vec<u8>>, (u64, QuotingProblem)>;

    pub(super) fn split_all(data: &[u8], delim: u8) -> Vec<Split> {
        let mut out = Vec::new();
        for_each_record(data, delim, |scratch, spans, line, problem| {
            out.push(match problem {
                Some(p) => Err((line, p)),
                None => Ok(spans.iter().map(|&sp| span_bytes(data, scratch, sp).to_vec()).collect()),
            });
            true
        });
        out
    }

    /// Records as the csv crate sees them.
    pub(super) fn csv_all(data: &[u8], delim: u8) -> Vec<Vec<Vec<u8>>> {
        let mut rdr = reader_for(data, delim);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr.read_byte_record(&mut rec).unwrap_or(false) {
            out.push(rec.iter().map(<[u8]>::to_vec).collect());
        }
        out
    }

    #[test]
    fn swar_specials_match_a_byte_scan() {
        let data = b"ab,\"c\n;,,\"\"xyz\n\n0123456789,\"";
        for delim in [b',', b';', b'\t', 0u8] {
            for start in 0..data.len() {
                let d = &data[start..];
                let want: Vec<usize> = d
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == delim || **b == b'\n' || **b == b'"')
                    .map(|(i, _)| i)
                    .collect();
                assert_eq!(Specials::new(d, delim).collect::<Vec<_>>(), want);
            }
        }
    }

    #[test]
    fn splitter_agrees_with_the_csv_crate_on_valid_input() {
        for data in [
            "1,a,x\r\n\r\n2,,y\n3,b,\n4,a,z",
            "a,\"b,c\",\"d\"\"e\"\n\"\",x,\"multi\nline\"\r\n",
            "x\n\ny\n",
            "\"q\"\r\n\"a\"\"\",\"\"\"\"\n",
            "a;b\n1;2\n",
        ] {
            let delim = if data.contains(';') { b';' } else { b',' };
            let ours: Vec<Vec<Vec<u8>>> =
                split_all(data.as_bytes(), delim).into_iter().map(|r| r.expect("valid")).collect();
            assert_eq!(ours, csv_all(data.as_bytes(), delim), "{data:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any file the csv crate writes, our splitter reads as the csv crate does.
        #[test]
        fn splitter_reads_what_the_csv_crate_writes(
            rows in proptest::collection::vec(proptest::collection::vec("[a-c ,;\"\r\n]{0,6}", 3), 1..20),
            crlf in proptest::bool::ANY,
        ) {
            let mut w = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            for r in &rows {
                w.write_record(r).expect("write");
            }
            let data = w.into_inner().expect("flush");
            let ours: Vec<Vec<Vec<u8>>> = split_all(&data, b',').into_iter().map(|r| r.expect("valid")).collect();
            proptest::prop_assert_eq!(ours, csv_all(&data, b','));
        }
    }

    /// The byte-at-a-time quoting state machine the loader used before its
    /// splitter skipped quoted fields in one search: the reference, calling
    /// `f(scratch, spans, line, problem)` per record (`line` 1-based within the
    /// chunk); `f` returns `false` to stop. A record with bad quoting is passed
    /// with its problem and no spans; scanning resumes at the next line.
    fn reference_records(
        chunk: &[u8],
        delim: u8,
        mut f: impl FnMut(&[u8], &[Span], u64, Option<QuotingProblem>) -> bool,
    ) {
        #[derive(Clone, Copy)]
        enum St {
            Field,
            Quoted { start: usize, escaped: bool, pending: bool },
            AfterClose { start: usize, end: usize, escaped: bool },
            Bad(QuotingProblem),
        }
        let mut spans: Vec<Span> = Vec::with_capacity(32);
        let mut scratch: Vec<u8> = Vec::new();
        let mut line = 1u64;
        let mut rec_line = 1u64;
        let mut rec_start = 0usize;
        let mut field_start = 0usize;
        let mut st = St::Field;
        let push_quoted = |spans: &mut Vec<Span>, scratch: &mut Vec<u8>, start: usize, end: usize, escaped: bool| {
            push_unquoted(spans, scratch, chunk, start, end, escaped)
        };
        for p in Specials::new(chunk, delim) {
            let c = chunk[p];
            let mut end_record = false;
            match st {
                St::Field => {
                    if c == b'"' {
                        st = if p == field_start {
                            St::Quoted { start: p + 1, escaped: false, pending: false }
                        } else {
                            St::Bad(QuotingProblem::StrayQuote)
                        };
                    } else {
                        let mut end = p;
                        if c == b'\n' && end > field_start && chunk[end - 1] == b'\r' {
                            end -= 1;
                        }
                        if c == b'\n' && spans.is_empty() && end == rec_start {
                            // Blank line.
                            line += 1;
                            rec_line = line;
                            rec_start = p + 1;
                            field_start = p + 1;
                            continue;
                        }
                        spans.push(Span { start: field_start, end, scratch: false });
                        field_start = p + 1;
                        end_record = c == b'\n';
                    }
                }
                St::Quoted { start, escaped, pending } => {
                    if c == b'"' {
                        st = if pending {
                            St::Quoted { start, escaped: true, pending: false }
                        } else if chunk.get(p + 1) == Some(&b'"') {
                            St::Quoted { start, escaped, pending: true }
                        } else {
                            St::AfterClose { start, end: p, escaped }
                        };
                    } else if c == b'\n' {
                        line += 1;
                    }
                }
                St::AfterClose { start, end, escaped } => {
                    let adjacent = p == end + 1 || (c == b'\n' && p == end + 2 && chunk[end + 1] == b'\r');
                    if c == b'"' || !adjacent {
                        st = St::Bad(QuotingProblem::TextAfterClosingQuote);
                        end_record = c == b'\n';
                    } else {
                        push_quoted(&mut spans, &mut scratch, start, end, escaped);
                        field_start = p + 1;
                        st = St::Field;
                        end_record = c == b'\n';
                    }
                }
                St::Bad(_) => end_record = c == b'\n',
            }
            if end_record {
                let go = match st {
                    St::Bad(problem) => f(&scratch, &[], rec_line, Some(problem)),
                    _ => f(&scratch, &spans, rec_line, None),
                };
                if !go {
                    return;
                }
                spans.clear();
                scratch.clear();
                line += 1;
                rec_line = line;
                rec_start = p + 1;
                field_start = p + 1;
                st = St::Field;
            }
        }
        // The last record, without a final newline.
        let n = chunk.len();
        match st {
            St::Field => {
                if field_start < n || !spans.is_empty() {
                    let mut end = n;
                    if end > field_start && chunk[end - 1] == b'\r' {
                        end -= 1;
                    }
                    if !(spans.is_empty() && end == rec_start) {
                        spans.push(Span { start: field_start, end, scratch: false });
                        f(&scratch, &spans, rec_line, None);
                    }
                }
            }
            St::Quoted { .. } => {
                f(&scratch, &[], rec_line, Some(QuotingProblem::Unterminated));
            }
            St::AfterClose { start, end, escaped } => {
                if chunk[end + 1..].iter().all(|&b| b == b'\r') {
                    push_quoted(&mut spans, &mut scratch, start, end, escaped);
                    f(&scratch, &spans, rec_line, None);
                } else {
                    f(&scratch, &[], rec_line, Some(QuotingProblem::TextAfterClosingQuote));
                }
            }
            St::Bad(problem) => {
                f(&scratch, &[], rec_line, Some(problem));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// The splitter finds the records, fields, problems and line numbers
        /// of the byte-at-a-time state machine on any input (quotes good and
        /// bad, blank lines, CRLF, a last record without newline, any word
        /// alignment).
        #[test]
        fn splitter_matches_the_reference_state_machine(data in "[ab ,;\"\r\n]{0,48}", semicolon in proptest::bool::ANY) {
            let delim = if semicolon { b';' } else { b',' };
            let data = data.as_bytes();
            let collect = |scratch: &[u8], spans: &[Span], line: u64, problem: Option<QuotingProblem>| {
                (line, problem, spans.iter().map(|&sp| span_bytes(data, scratch, sp).to_vec()).collect::<Vec<_>>())
            };
            let mut ours = Vec::new();
            for_each_record(data, delim, |scratch, spans, line, problem| {
                ours.push(collect(scratch, spans, line, problem));
                true
            });
            let mut reference = Vec::new();
            reference_records(data, delim, |scratch, spans, line, problem| {
                reference.push(collect(scratch, spans, line, problem));
                true
            });
            proptest::prop_assert_eq!(ours, reference);
        }
    }

    #[test]
    fn large_files_read_in_parallel_chunks_whole() {
        // Over two chunks, with an odd tail.
        let data: Vec<u8> = (0..(2 << 23) + 12_345u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let path = std::env::temp_dir().join(format!("acctscore_read_file_{}.bin", std::process::id()));
        std::fs::write(&path, &data).expect("temp file");
        let read = read_file(&path).expect("readable");
        let _ = std::fs::remove_file(&path);
        assert!(read == data, "parallel read differs");
        assert!(read_file(&path).is_err());
    }

    #[test]
    fn a_file_length_that_cannot_be_allocated_is_an_error_not_an_abort() {
        for len in [usize::MAX, isize::MAX as usize + 1, isize::MAX as usize] {
            let e = file_buffer(len).expect_err("cannot be held");
            assert_eq!(e.kind(), std::io::ErrorKind::OutOfMemory);
            assert_eq!(
                e.to_string(),
                format!("the file is {len} bytes long, more than this machine can hold in memory")
            );
        }
        assert_eq!(file_buffer(5).expect("small"), [0; 5]);
    }

    #[test]
    fn a_sparse_200_gb_file_is_an_error_where_it_does_not_fit() {
        const LEN: u64 = 200 << 30;
        // Only on a machine that cannot hold 200 GB (else the file would be read).
        if Vec::<u8>::new().try_reserve_exact(LEN as usize).is_ok() {
            return;
        }
        let path = std::env::temp_dir().join(format!("acctscore_sparse_{}.csv", std::process::id()));
        let file = std::fs::File::create(&path).expect("temp file");
        if file.set_len(LEN).is_err() {
            let _ = std::fs::remove_file(&path);
            return; // a file system without sparse files of this size
        }
        drop(file);
        let result = load_path(&path, &CsvOptions::new());
        let _ = std::fs::remove_file(&path);
        match result {
            Err(FrameError::Io { path: p, source }) => {
                assert_eq!(p, path.display().to_string());
                assert_eq!(source.kind(), std::io::ErrorKind::OutOfMemory);
            }
            other => panic!("expected an out-of-memory I/O error, got {other:?}"),
        }
    }

    #[test]
    fn splitter_reports_bad_quoting_and_resumes() {
        let got = split_all(b"a,b\nx\"y,1\n\"p\"q,2\nok,3\n\"open,4\n5,6", b',');
        assert_eq!(got.len(), 5);
        assert_eq!(got[1], Err((2, QuotingProblem::StrayQuote)));
        assert_eq!(got[2], Err((3, QuotingProblem::TextAfterClosingQuote)));
        assert_eq!(got[3], Ok(vec![b"ok".to_vec(), b"3".to_vec()]));
        assert_eq!(got[4], Err((5, QuotingProblem::Unterminated)));
    }

    #[test]
    fn cuts_never_fall_inside_a_quoted_field() {
        // Records whose quoted field is long and full of newlines: nearly
        // every target of the split lands inside one.
        let mut body = Vec::new();
        let mut i = 0;
        while body.len() < 6 << 20 {
            let inner = "x\n\"\"y,".repeat(20_000 + 7 * i);
            body.extend(format!("{i},\"{inner}\",z\n").bytes());
            i += 1;
        }
        let chunks = split_chunks(&body);
        assert!(chunks.len() >= parallelism().min(6), "{} chunks", chunks.len());
        for &(a, _) in chunks.iter().skip(1) {
            assert_eq!(body[a - 1], b'\n');
            assert_eq!(body[..a].iter().filter(|&&c| c == b'"').count() % 2, 0, "cut at {a}");
        }
        assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0));
        assert_eq!((chunks[0].0, chunks[chunks.len() - 1].1), (0, body.len()));
    }

    #[test]
    fn chunked_parse_equals_single_chunk() {
        // Build an input above the chunking threshold with quotes and a
        // multi-line field, then compare with one chunk.
        let mut s = String::from("id,cat,num,flag\n");
        let mut i = 0;
        while s.len() < 3 << 20 {
            let cat = ["a", "\"b,\nc\"", "d"][i % 3];
            s.push_str(&format!("id{i},{cat},{},{}\n", i as f64 / 7.0, i % 2 == 0));
            // Blank lines and (skipped) ragged rows leave gaps in the chunks' windows.
            match i % 1000 {
                17 => s.push('\n'),
                501 => s.push_str("ragged,row\n"),
                _ => {}
            }
            i += 1;
        }
        let body_start = s.find('\n').map_or(0, |p| p + 1);
        let body = &s.as_bytes()[body_start..];
        let chunks = split_chunks(body);
        let whole = [(0, body.len())];
        let names: Vec<String> = ["id", "cat", "num", "flag"].iter().map(|s| s.to_string()).collect();
        let o = CsvOptions::new().skip_bad_rows(true);
        let kinds = [ColumnKind::Text, ColumnKind::Categorical, ColumnKind::Numeric, ColumnKind::Boolean];
        let declared = [None; 4];
        let keep = [true; 4];
        let ctx =
            ChunkCtx { delimiter: b',', kinds: &kinds, declared: &declared, keep: &keep, names: &names, options: &o };
        // Force several chunks even on one thread.
        let mut forced = Vec::new();
        let mut start = 0;
        for (k, &b) in body.iter().enumerate() {
            if b == b'\n' && k > start + (1 << 20) && body[..k].iter().filter(|&&c| c == b'"').count() % 2 == 0 {
                forced.push((start, k + 1));
                start = k + 1;
            }
        }
        forced.push((start, body.len()));
        assert!(forced.len() >= 2);
        assert!(!chunks.is_empty());
        // The parallel split cuts only at record ends: after a newline outside quotes.
        for &(a, _) in chunks.iter().skip(1) {
            assert_eq!(body[a - 1], b'\n');
            assert_eq!(body[..a].iter().filter(|&&c| c == b'"').count() % 2, 0, "cut at {a}");
        }
        assert_eq!(chunks.first().map(|c| c.0), Some(0));
        assert_eq!(chunks.last().map(|c| c.1), Some(body.len()));
        assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0));
        let a = merge_chunks(parse_chunks(body, &forced, &ctx), &declared, &o, &mut 0);
        let b = merge_chunks(parse_chunks(body, &whole, &ctx), &declared, &o, &mut 0);
        assert_eq!(a, b);
        assert_eq!(merge_chunks(parse_chunks(body, &chunks, &ctx), &declared, &o, &mut 0), b);
        assert_eq!(a[0].as_ref().map(Column::len), Some(i));
    }

    #[test]
    fn values_that_are_not_utf8_are_decoded_lossily_and_counted_on_request() {
        // "é" split over two values is invalid in each, though valid end to end.
        let data = b"t,c\nok,a\n\xC3,\xFF\n\xA9,\xFF\n\xC3\xA9,a\n";
        let o = CsvOptions::new()
            .kind("t", ColumnKind::Text)
            .kind("c", ColumnKind::Categorical)
            .encoding(Encoding::Utf8Lossy);
        let load = load_bytes(data, &o).expect("loads");
        let Column::Text(t) = load.frame.column("t").expect("t") else { panic!("text") };
        assert_eq!(t.iter().collect::<Vec<_>>(), [Some("ok"), Some("\u{FFFD}"), Some("\u{FFFD}"), Some("é")]);
        // Two text values, one categorical level.
        assert_eq!(load.report.invalid_utf8_values, 3);
    }

    #[test]
    fn a_skipped_record_leaves_no_text_behind() {
        let o = CsvOptions::new().kind("id", ColumnKind::Text).kind("n", ColumnKind::Numeric).skip_bad_rows(true);
        let load = load("id,n\na,1\nb,oops\nc,3\nd,x\n", &o).expect("loads");
        let Column::Text(ids) = load.frame.column("id").expect("id") else { panic!("text") };
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some("a"), Some("c")]);
        assert_eq!(load.report.skipped.len(), 2);
    }

    #[test]
    fn only_the_selected_columns_are_loaded() {
        let text = "id,title,n,flag\na,\"VP, Sales\",1,true\nb,,2,false\n";
        let all = load(text, &CsvOptions::new()).expect("all");
        let some = load(text, &CsvOptions::new().only(["n", "id", "absent"])).expect("some");
        assert_eq!(some.frame.names(), ["id", "n"]);
        assert_eq!(some.frame.column("n").expect("n"), all.frame.column("n").expect("n"));
        assert_eq!(some.frame.column("id").expect("id"), all.frame.column("id").expect("id"));
        assert_eq!(some.report.columns.len(), 2);
        // A left-out column is still split: a ragged row is still bad.
        assert!(load("id,n\na,1,x\n", &CsvOptions::new().only(["id"])).is_err());
        // A left-out column's values are not parsed: no bad value in it.
        let o = CsvOptions::new().kind("n", ColumnKind::Numeric).only(["id"]);
        assert_eq!(load("id,n\na,oops\n", &o).expect("n not read").frame.ncols(), 1);
    }

    // --- Read what is written (issue 17). ---

    fn csv_error(r: Result<CsvLoad>) -> (u64, CsvErrorKind) {
        match r {
            Err(FrameError::Csv { line, kind }) => (line, kind),
            other => panic!("expected a CSV error, got {other:?}"),
        }
    }

    fn texts(load: &CsvLoad, name: &str) -> Vec<Option<String>> {
        match load.frame.column(name).expect("column") {
            Column::Text(t) => t.iter().map(|v| v.map(str::to_string)).collect(),
            other => panic!("`{name}` is {}, not text", other.kind()),
        }
    }

    #[test]
    fn declared_ids_are_read_byte_for_byte() {
        let data = "id,x\n000123,1\n1234567890123456789,2\n1234567890123456788,3\n0x1F,4\n";
        let load = load(data, &CsvOptions::new().id("id")).expect("loads");
        assert_eq!(
            texts(&load, "id"),
            [Some("000123"), Some("1234567890123456789"), Some("1234567890123456788"), Some("0x1F")]
                .map(|s| s.map(str::to_string))
        );
        assert_eq!(load.report.columns[0], ("id".to_string(), ColumnKind::Text, false));
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_line_and_column() {
        // Latin-1 "é" (0xE9) in the third data record (line 4), column `name`.
        let data = b"id,name\na1,Rene\na2,Jose\na3,Ren\xE9\n";
        let (line, kind) = csv_error(load_bytes(data, &CsvOptions::new()));
        assert_eq!((line, kind), (4, CsvErrorKind::InvalidUtf8 { column: "name".to_string() }));
        // Declared text or categorical, and a numeric column widened by it, alike.
        for o in
            [CsvOptions::new().kind("name", ColumnKind::Text), CsvOptions::new().kind("name", ColumnKind::Categorical)]
        {
            assert_eq!(csv_error(load_bytes(data, &o)), (4, CsvErrorKind::InvalidUtf8 { column: "name".to_string() }));
        }
        let numbers = b"id,n\na1,1\na2,\xFF2\n";
        assert_eq!(
            csv_error(load_bytes(numbers, &CsvOptions::new())),
            (3, CsvErrorKind::InvalidUtf8 { column: "n".to_string() })
        );
        // In the header.
        let header = b"id,n\xE9\na1,1\n";
        assert_eq!(
            csv_error(load_bytes(header, &CsvOptions::new())),
            (1, CsvErrorKind::InvalidUtf8 { column: "column_2".to_string() })
        );
    }

    #[test]
    fn latin1_and_windows_1252_are_transcoded_when_declared() {
        // Two ids that differ only in a Latin-1 byte stay distinct.
        let data = b"id,name\nRen\xE9,a\nRen\xE8,b\n\x80x,c\n";
        let latin1 = load_bytes(data, &CsvOptions::new().id("id").encoding(Encoding::Latin1)).expect("latin-1");
        assert_eq!(texts(&latin1, "id"), [Some("René"), Some("Renè"), Some("\u{80}x")].map(|s| s.map(str::to_string)));
        let cp1252 = load_bytes(data, &CsvOptions::new().id("id").encoding(Encoding::Windows1252)).expect("1252");
        assert_eq!(texts(&cp1252, "id"), [Some("René"), Some("Renè"), Some("€x")].map(|s| s.map(str::to_string)));
        assert_eq!(latin1.report.invalid_utf8_values, 0);
        // Every Latin-1 byte maps to the character of its number.
        let all: Vec<u8> = (0xA0..=0xFFu8).collect();
        let mut file = b"v\n".to_vec();
        file.extend_from_slice(&all);
        file.push(b'\n');
        let load = load_bytes(&file, &CsvOptions::new().id("v").encoding(Encoding::Latin1)).expect("latin-1");
        let want: String = all.iter().map(|&b| char::from(b)).collect();
        assert_eq!(texts(&load, "v"), [Some(want)]);
    }

    #[test]
    fn missing_tokens_keep_a_numeric_column_numeric() {
        // One `n/a` among 2,000 numbers, and every default token.
        let mut data = String::from("x,y\n");
        for i in 0..2000 {
            data.push_str(&format!("{i},{}\n", if i == 1500 { "n/a" } else { "1.5" }));
        }
        let big = load(&data, &CsvOptions::new()).expect("loads");
        let Column::Numeric(y) = big.frame.column("y").expect("y") else { panic!("y is not numeric") };
        assert_eq!(y.get(1500), None);
        assert_eq!(y.get(1499), Some(1.5));
        assert_eq!(big.report.missing_tokens, [("y".to_string(), 1)]);
        assert!(big.report.widened.is_empty());
        // The token past the inference sample: still missing, no widening.
        let load2 = load_bytes(data.as_bytes(), &CsvOptions::new().infer_rows(10)).expect("loads");
        assert_eq!(load2.frame, big.frame);
        assert!(load2.report.widened.is_empty());
        let tokens = "v,b,t\n1,true,2020-01-01\nNA,NA,NA\nN/A,N/A,N/A\nn/a,null,NULL\n-,#N/A,NaN\n2,false,2020-01-02\n";
        let small = load(tokens, &CsvOptions::new()).expect("loads");
        let kinds: Vec<ColumnKind> = small.frame.columns().iter().map(Column::kind).collect();
        assert_eq!(kinds, [ColumnKind::Numeric, ColumnKind::Boolean, ColumnKind::Timestamp]);
        let Column::Numeric(v) = small.frame.column("v").expect("v") else { panic!("numeric") };
        assert_eq!(v.iter().collect::<Vec<_>>(), [Some(1.0), None, None, None, None, Some(2.0)]);
        assert_eq!(small.report.missing_tokens, [("v".to_string(), 4), ("b".to_string(), 4), ("t".to_string(), 4)]);
        // Declared kinds read them as missing too (fit and score alike).
        let declared = CsvOptions::new().kind("v", ColumnKind::Numeric).infer_rows(1);
        assert_eq!(
            load_bytes(tokens.as_bytes(), &declared).expect("loads").frame.column("v").ok(),
            Some(&Column::Numeric(v.clone()))
        );
        // With no tokens, `NA` makes the declared column's row bad.
        let none = CsvOptions::new().kind("v", ColumnKind::Numeric).missing_tokens(Vec::<String>::new());
        let (line, kind) = csv_error(load_bytes(tokens.as_bytes(), &none));
        assert_eq!(line, 3);
        assert!(
            matches!(kind, CsvErrorKind::BadValue { column, value, expected: ColumnKind::Numeric } if column == "v" && value == "NA")
        );
    }

    #[test]
    fn tokens_stay_values_in_string_columns() {
        let data = "id,c\nNA,x\n-,NA\nb,y\n";
        let load = load(data, &CsvOptions::new().id("id")).expect("loads");
        assert_eq!(texts(&load, "id"), [Some("NA"), Some("-"), Some("b")].map(|s| s.map(str::to_string)));
        let Column::Categorical(c) = load.frame.column("c").expect("c") else { panic!("categorical") };
        assert_eq!(c.get(1), Some("NA"));
        assert!(load.report.missing_tokens.is_empty());
    }

    #[test]
    fn decimal_comma_is_an_option_never_a_guess() {
        let data = "id;amount;n\na;1,5;1\nb;2;2\nc;-0,25;3\n";
        let (line, kind) = csv_error(load(data, &CsvOptions::new()));
        assert_eq!(line, 2);
        assert_eq!(kind, CsvErrorKind::DecimalComma { column: "amount".to_string(), value: "1,5".to_string() });
        let load_ok = load(data, &CsvOptions::new().decimal_comma(true)).expect("loads");
        let Column::Numeric(v) = load_ok.frame.column("amount").expect("amount") else { panic!("numeric") };
        assert_eq!(v.iter().collect::<Vec<_>>(), [Some(1.5), Some(2.0), Some(-0.25)]);
        // Declared, the comma reads with the option.
        let declared = CsvOptions::new().kind("amount", ColumnKind::Numeric).decimal_comma(true);
        assert_eq!(load(data, &declared).expect("loads").frame, load_ok.frame);
        // A declared kind keeps the column as written without the option.
        let as_text = load(data, &CsvOptions::new().kind("amount", ColumnKind::Text)).expect("loads");
        assert_eq!(texts(&as_text, "amount"), [Some("1,5"), Some("2"), Some("-0,25")].map(|s| s.map(str::to_string)));
        // Past the inference sample, in an inferred numeric column: refused too, at its line.
        let late = "id;amount\na;1\nb;2\nc;3\nd;4,5\n";
        assert_eq!(
            csv_error(load(late, &CsvOptions::new().infer_rows(2))),
            (5, CsvErrorKind::DecimalComma { column: "amount".to_string(), value: "4,5".to_string() })
        );
        let Column::Numeric(v) = load(late, &CsvOptions::new().infer_rows(2).decimal_comma(true))
            .expect("loads")
            .frame
            .column("amount")
            .expect("a")
            .clone()
        else {
            panic!("numeric")
        };
        assert_eq!(v.get(3), Some(4.5));
        // A column with other strings is categorical as before.
        let mixed = "id;amount\na;1,5\nb;lots\n";
        assert_eq!(
            load(mixed, &CsvOptions::new()).expect("loads").frame.column("amount").expect("a").kind(),
            ColumnKind::Categorical
        );
    }
}
