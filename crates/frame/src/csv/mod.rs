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
mod blocks;
mod chunks;
mod tokenize;
mod values;
use chunks::*;
pub(crate) use values::*;

pub use blocks::{LineBlockError, for_each_line_block};
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
///
/// ```
/// use acctscore_frame::csv::CsvOptions;
/// use acctscore_frame::{ColumnKind, Frame};
///
/// // A semicolon export with decimal commas, an id of digits and `n/a` for missing.
/// let text = "id;employees;won\n007;12,5;ja\n012;n/a;nein\n";
/// let options = CsvOptions::new()
///     .delimiter(b';')
///     .decimal_comma(true)
///     .id("id")
///     .missing_tokens(["n/a"])
///     .kind("won", ColumnKind::Categorical);
/// let frame = Frame::from_csv_reader(text.as_bytes(), &options)?;
/// assert_eq!(frame.column("id")?.kind(), ColumnKind::Text); // "007" kept as written
/// assert_eq!(frame.column("employees")?.kind(), ColumnKind::Numeric);
/// assert!(frame.column("employees")?.is_missing(1));
/// # Ok::<(), acctscore_frame::FrameError>(())
/// ```
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
    crate::earliest_error(kinds).map(Some)
}

fn is_text(distinct: usize, present: usize, options: &CsvOptions) -> bool {
    distinct > options.text_min_levels && distinct as f64 > options.text_min_share * present as f64
}

// ---------------------------------------------------------------------------
// Chunked typed parse.

#[cfg(test)]
mod tests;
