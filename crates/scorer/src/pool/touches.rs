//! The fast paths of the scoring service: the accounts file straight into a
//! [`Frame`] through the frame crate's loader, and the events file
//! straight into engagement [`Touch`]es keyed by account row, parsed on two
//! threads without one allocation per row.

use super::PoolError;
use super::options::{DuplicateIds, EventOptions, TimeUnit};
use super::records::ACCOUNT_COLUMNS;
use crate::core::Timestamp;
use crate::engagement::{BatchEngagement, EngagementModel, EngagementSums, KindId, Touch};
use crate::frame::csv::{CsvOptions, split_unquoted_lines};
use crate::frame::{Column, ColumnKind, Frame};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// CSV options that read `accounts.csv` with the pool's kinds, whatever the
/// values look like (so a file and the model agree on every column's kind).
pub fn account_csv_options() -> CsvOptions {
    let kinds = [
        ("account_id", ColumnKind::Text),
        ("industry", ColumnKind::Categorical),
        ("business_model", ColumnKind::Categorical),
        ("employees", ColumnKind::Numeric),
        ("founded_year", ColumnKind::Numeric),
        ("funding_total_usd", ColumnKind::Numeric),
        ("funding_last_round_days_ago", ColumnKind::Numeric),
        ("web_traffic_monthly", ColumnKind::Numeric),
        ("web_traffic_growth_90d", ColumnKind::Numeric),
        ("has_ecommerce", ColumnKind::Boolean),
        ("sku_avg_price", ColumnKind::Numeric),
        ("conversion_rate", ColumnKind::Numeric),
        ("country", ColumnKind::Categorical),
        ("job_title_of_contact", ColumnKind::Text),
        ("monthly_revenue_usd", ColumnKind::Numeric),
        ("converted", ColumnKind::Numeric),
    ];
    kinds.into_iter().fold(CsvOptions::new().delimiter(b','), |o, (c, k)| o.kind(c, k))
}

/// Reads `accounts.csv` into a [`Frame`] with the pool's column kinds
/// (as [`super::accounts_to_frame`] builds from rows, but for `converted`,
/// read as the number 0/1: the scorer reads either as the label).
///
/// # Errors
/// [`PoolError::MissingColumn`] for a header without a pool column, and the
/// loader's errors (bad rows with their line) as [`PoolError::Frame`],
/// each in a [`PoolError::InFile`] naming the path (I/O errors name it already).
pub fn read_accounts_frame(path: impl AsRef<Path>) -> Result<Frame, PoolError> {
    let path = path.as_ref();
    let frame = Frame::from_csv_path(path, &account_csv_options()).map_err(|e| PoolError::from(e).in_file(path))?;
    for column in ACCOUNT_COLUMNS {
        frame
            .column(column)
            .map_err(|_| PoolError::MissingColumn { column, available: frame.names().to_vec() }.in_file(path))?;
    }
    Ok(frame)
}

/// Activities read straight into touches.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TouchLog {
    /// One touch per activity of a known account, in file order.
    pub touches: Vec<Touch>,
    /// Activities of accounts not in the id list (left out).
    pub unknown_accounts: u64,
    /// Data rows read.
    pub rows: u64,
    /// The latest timestamp in the file, if any row.
    pub latest: Option<i64>,
}

/// Reads `events.csv` from a path (see [`read_touches`]), streaming it in
/// blocks of 4 MiB so that memory holds one block, not the whole file.
///
/// # Errors
/// [`PoolError::Io`] and as [`read_touches`], in a [`PoolError::InFile`] naming the path.
pub fn read_touches_path(path: impl AsRef<Path>, ids: &Column, model: &EngagementModel) -> Result<TouchLog, PoolError> {
    read_touches_path_with(path, ids, model, &EventOptions::new())
}

/// [`read_touches_path`] with options (duplicate ids, time unit).
///
/// # Errors
/// As [`read_touches_path`].
pub fn read_touches_path_with(
    path: impl AsRef<Path>,
    ids: &Column,
    model: &EngagementModel,
    options: &EventOptions,
) -> Result<TouchLog, PoolError> {
    let path = path.as_ref();
    read_touches_blocks(path, ids, model, 4 << 20, options).map_err(|e| e.in_file(path))
}

fn read_touches_blocks(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    block: usize,
    options: &EventOptions,
) -> Result<TouchLog, PoolError> {
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut log =
        TouchLog { touches: Vec::with_capacity(touch_capacity(len)), unknown_accounts: 0, rows: 0, latest: None };
    let mut halves = [Half::new(None), Half::new(None)];
    read_blocks(path, ids, model, block, options, &mut halves, &mut log)?;
    Ok(log)
}

/// Most bytes of touches reserved up front from a file's length on disk: the
/// length is a claim (a sparse file costs no disk), so the vector grows as
/// rows are read past it.
const MAX_RESERVED_TOUCH_BYTES: u64 = 64 << 20;

/// Touches reserved up front for a file of `len` bytes (~30 bytes a line),
/// at most [`MAX_RESERVED_TOUCH_BYTES`] of them.
fn touch_capacity(len: u64) -> usize {
    let cap = MAX_RESERVED_TOUCH_BYTES / std::mem::size_of::<Touch>() as u64;
    usize::try_from((len / 30).min(cap)).unwrap_or(0)
}

/// Longest line of the events file (header included): a line of the pool
/// format is ~30 bytes, so a longer one means the file is not an events file
/// (a binary or NUL-filled file has no line breaks) and is refused before
/// the reader's buffer grows with it.
pub const MAX_EVENTS_LINE_BYTES: usize = 1 << 20;

/// The error of a line without a line break within [`MAX_EVENTS_LINE_BYTES`].
fn line_too_long(line: u64) -> PoolError {
    PoolError::BadRow {
        line,
        reason: format!(
            "no line break within {} MiB: not a CSV events file (lines of `account_id,kind,timestamp` are short)",
            MAX_EVENTS_LINE_BYTES >> 20
        ),
    }
}

/// Engagement read straight from an events file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EngagementLog {
    /// Engagement of every account row.
    pub engagement: BatchEngagement,
    /// Activities of accounts not in the id list (left out).
    pub unknown_accounts: u64,
    /// Data rows read.
    pub rows: u64,
}

/// Reads `events.csv` from a path (as [`read_touches_path`]) straight into
/// the engagement of every account row, scored at `now` when given (later
/// activities are left out and counted), else at the latest activity. No
/// list of touches is kept: each block's touches are added, on the thread
/// that parsed them, to running sums ([`EngagementSums`]), so memory holds
/// one block and the sums. The result depends on the file only (blocks and
/// halves are fixed by its bytes, never by the thread count).
///
/// # Errors
/// [`PoolError::Io`] and as [`read_touches`], in a [`PoolError::InFile`] naming the path.
pub fn read_engagement_path(
    path: impl AsRef<Path>,
    ids: &Column,
    model: &EngagementModel,
    now: Option<Timestamp>,
) -> Result<EngagementLog, PoolError> {
    read_engagement_path_with(path, ids, model, now, &EventOptions::new())
}

/// [`read_engagement_path`] with options (duplicate ids, time unit).
///
/// # Errors
/// As [`read_engagement_path`].
pub fn read_engagement_path_with(
    path: impl AsRef<Path>,
    ids: &Column,
    model: &EngagementModel,
    now: Option<Timestamp>,
    options: &EventOptions,
) -> Result<EngagementLog, PoolError> {
    let path = path.as_ref();
    read_engagement_blocks(path, ids, model, now, 4 << 20, options).map_err(|e| e.in_file(path))
}

fn read_engagement_blocks(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    now: Option<Timestamp>,
    block: usize,
    options: &EventOptions,
) -> Result<EngagementLog, PoolError> {
    let n = ids.len();
    let mut halves = [0, 1].map(|_| Half::new(Some(EngagementSums::new(model, n, now))));
    let mut log = TouchLog { touches: Vec::new(), unknown_accounts: 0, rows: 0, latest: None };
    read_blocks(path, ids, model, block, options, &mut halves, &mut log)?;
    let mut parts = halves.into_iter().filter_map(|h| h.sums);
    let mut sums = parts.next().unwrap_or_else(|| EngagementSums::new(model, n, now));
    for part in parts {
        sums.merge(part)?;
    }
    Ok(EngagementLog { engagement: sums.finish(), unknown_accounts: log.unknown_accounts, rows: log.rows })
}

/// [`read_touches_path`] in blocks of `block` bytes, without the path in
/// its errors (for the fuzz bodies, which compare it with [`read_touches`]).
#[cfg(feature = "fuzzing")]
pub(crate) fn touches_in_blocks(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    block: usize,
) -> Result<TouchLog, PoolError> {
    read_touches_blocks(path, ids, model, block, &EventOptions::default())
}

/// [`read_engagement_path`] (scored at the latest activity) in blocks of
/// `block` bytes, without the path in its errors.
#[cfg(feature = "fuzzing")]
pub(crate) fn engagement_in_blocks(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    block: usize,
) -> Result<EngagementLog, PoolError> {
    read_engagement_blocks(path, ids, model, None, block, &EventOptions::default())
}

/// Streams `path` in blocks of `block` bytes through [`parse_block`].
fn read_blocks(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    block: usize,
    options: &EventOptions,
    halves: &mut [Half; 2],
    log: &mut TouchLog,
) -> Result<(), PoolError> {
    let io = |source| PoolError::Io { path: path.display().to_string(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    // One buffer for the whole file: the carried partial line moves to its
    // front and the next block is read after it (zeroed once, not per block).
    let mut buf: Vec<u8> = vec![0; block + 4096];
    let mut filled = 0;
    let mut reader: Option<(Header, IdIndex<'_>)> = None;
    let mut line = 2u64;
    loop {
        if filled > MAX_EVENTS_LINE_BYTES {
            return Err(line_too_long(if reader.is_none() { 1 } else { line }));
        }
        if buf.len() < filled + block {
            // A line longer than a block.
            buf.resize(filled + block, 0);
        }
        let got = read_full(&mut file, &mut buf[filled..filled + block]).map_err(io)?;
        let end = filled + got;
        let at_end = got == 0;
        let mut body_start = 0;
        if reader.is_none() {
            let Some(header_end) = memchr::memchr(b'\n', &buf[..end]).or(at_end.then_some(end)) else {
                filled = end;
                continue;
            };
            reader = Some((Header::parse(&buf[..header_end])?, IdIndex::new(ids, options.duplicates)?));
            body_start = (header_end + 1).min(end);
        }
        let Some((header, index)) = &reader else { break };
        let body = &buf[body_start..end];
        // Parse up to the last complete line; keep the rest for the next block.
        let cut = if at_end { body.len() } else { memchr::memrchr(b'\n', body).map_or(0, |p| p + 1) };
        line = parse_block(&body[..cut], line, header, index, model, options.time_unit, halves, log)?;
        buf.copy_within(body_start + cut..end, 0);
        filled = end - body_start - cut;
        if at_end {
            break;
        }
    }
    if reader.is_none() {
        // An empty file: still, the accounts' ids are checked.
        IdIndex::new(ids, options.duplicates)?;
        return Err(PoolError::MissingColumn { column: "account_id", available: Vec::new() });
    }
    Ok(())
}

fn read_full(file: &mut std::fs::File, mut out: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut total = 0;
    while !out.is_empty() {
        match file.read(out) {
            Ok(0) => break,
            Ok(k) => {
                total += k;
                out = &mut out[k..];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Where the fields of `events.csv` are.
struct Header {
    id: usize,
    kind: usize,
    ts: usize,
    n_fields: usize,
}

impl Header {
    /// Reads the header line: fields split as CSV (a quoted name such as
    /// `"account_id"` is the name inside the quotes), trimmed.
    fn parse(line: &[u8]) -> Result<Header, PoolError> {
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        if line.len() > MAX_EVENTS_LINE_BYTES {
            return Err(line_too_long(1));
        }
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.trim_ascii_end());
        let mut record = csv::ByteRecord::new();
        rdr.read_byte_record(&mut record).map_err(|e| PoolError::BadRow { line: 1, reason: e.to_string() })?;
        // A name quoted after a space (` "kind"`) keeps its quotes in CSV; drop them.
        let unquote = |h: &[u8]| -> Vec<u8> {
            let h = h.trim_ascii();
            match h.strip_prefix(b"\"").and_then(|h| h.strip_suffix(b"\"")) {
                Some(inner) => inner.trim_ascii().to_vec(),
                None => h.to_vec(),
            }
        };
        let names: Vec<Vec<u8>> = record.iter().map(unquote).collect();
        let col = |name: &'static str| {
            names.iter().position(|h| *h == name.as_bytes()).ok_or_else(|| PoolError::MissingColumn {
                column: name,
                available: names
                    .iter()
                    .filter(|h| !h.is_empty())
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect(),
            })
        };
        Ok(Header { id: col("account_id")?, kind: col("kind")?, ts: col("timestamp")?, n_fields: names.len() })
    }
}

/// One half of every block: its parsed touches (a buffer kept from block to
/// block, so that streaming does not map fresh memory per block) and, when
/// reading engagement, the running sums its touches are added to.
struct Half {
    log: TouchLog,
    sums: Option<EngagementSums>,
}

impl Half {
    fn new(sums: Option<EngagementSums>) -> Self {
        Half { log: TouchLog { touches: Vec::new(), unknown_accounts: 0, rows: 0, latest: None }, sums }
    }
}

/// Parses complete lines (the first is line `first_line`) in two halves on
/// two threads, each into its [`Half`]; a half with sums adds its touches to
/// them on its thread, a half without hands them to `log` (in file order).
/// Counts go to `log`. Returns the number of the next line.
///
/// Lines are counted by the parser as it goes (no separate pass over the
/// bytes): the second half numbers its lines from 0 and an error of it is
/// moved to its line in the file once the first half's count is known.
#[allow(clippy::too_many_arguments)]
fn parse_block(
    body: &[u8],
    first_line: u64,
    header: &Header,
    index: &IdIndex<'_>,
    model: &EngagementModel,
    unit: Option<TimeUnit>,
    halves: &mut [Half; 2],
    log: &mut TouchLog,
) -> Result<u64, PoolError> {
    let mid = body.len() / 2;
    let cut = memchr::memchr(b'\n', &body[mid..]).map_or(body.len(), |p| mid + p + 1);
    let (first, second) = body.split_at(cut);
    let builtin = [
        model.kind_id_by_name("email").ok(),
        model.kind_id_by_name("call").ok(),
        model.kind_id_by_name("meeting").ok(),
    ];
    let parse = |part: &[u8], line: u64, half: &mut Half| -> Result<u64, PoolError> {
        let lines = parse_part(part, line, header, index, (model, unit), builtin, &mut half.log)?;
        if let Some(sums) = &mut half.sums {
            sums.add(&half.log.touches)?;
        }
        Ok(lines)
    };
    let [h0, h1] = halves;
    #[cfg(feature = "parallel")]
    let (a, b) = rayon::join(|| parse(first, first_line, h0), || parse(second, 0, h1));
    #[cfg(not(feature = "parallel"))]
    let (a, b) = (parse(first, first_line, h0), parse(second, 0, h1));
    let second_line = first_line + a?;
    let next_line = second_line + b.map_err(|e| e.after_line(second_line))?;
    for half in [h0, h1] {
        if half.sums.is_none() {
            log.touches.extend_from_slice(&half.log.touches);
        }
        log.unknown_accounts += half.log.unknown_accounts;
        log.rows += half.log.rows;
        log.latest = log.latest.max(half.log.latest);
    }
    Ok(next_line)
}

/// Parses the bytes of `events.csv` (`account_id, kind, timestamp[, rep_id]`,
/// header first; quoted fields must not hold line breaks) into touches
/// whose account is the row of its id in `ids` (the accounts frame's id
/// column). Activities of accounts not in `ids` are counted and left out; an
/// unknown kind or a bad timestamp is an error with its line.
///
/// # Errors
/// [`PoolError::MissingColumn`], [`PoolError::BadRow`], [`PoolError::UnknownKind`].
///
/// A repeated id in `ids` is a [`PoolError::DuplicateId`], and a timestamp
/// of 10^11 or more (milliseconds, microseconds or nanoseconds, not Unix
/// seconds) a [`PoolError::TimestampUnit`]: see [`read_touches_with`] to
/// declare a policy or a unit.
pub fn read_touches(data: &[u8], ids: &Column, model: &EngagementModel) -> Result<TouchLog, PoolError> {
    read_touches_with(data, ids, model, &EventOptions::new())
}

/// [`read_touches`] with options: what a repeated account id does
/// ([`DuplicateIds`]; checked on the id index the reader builds anyway)
/// and the timestamps' unit ([`TimeUnit`]).
///
/// # Errors
/// As [`read_touches`].
pub fn read_touches_with(
    data: &[u8],
    ids: &Column,
    model: &EngagementModel,
    options: &EventOptions,
) -> Result<TouchLog, PoolError> {
    let header_end = memchr::memchr(b'\n', data).unwrap_or(data.len());
    let header = Header::parse(&data[..header_end])?;
    let index = IdIndex::new(ids, options.duplicates)?;
    let body = data.get(header_end + 1..).unwrap_or(&[]);
    let mut log = TouchLog { touches: Vec::with_capacity(body.len() / 30), unknown_accounts: 0, rows: 0, latest: None };
    let halves = &mut [Half::new(None), Half::new(None)];
    parse_block(body, 2, &header, &index, model, options.time_unit, halves, &mut log)?;
    Ok(log)
}

/// Parses the bytes of `events.csv` when no accounts file says which
/// accounts exist: every distinct `account_id` gets a row, in order of first
/// appearance, and the ids are returned with the touches keyed by those
/// rows. Ids are borrowed from `data` while parsing (owned only for quoted
/// fields) and interned in parallel.
///
/// # Errors
/// [`PoolError::MissingColumn`], [`PoolError::BadRow`], [`PoolError::UnknownKind`].
pub fn read_touches_discovering(data: &[u8], model: &EngagementModel) -> Result<(Vec<String>, TouchLog), PoolError> {
    let header_end = memchr::memchr(b'\n', data).unwrap_or(data.len());
    let header = Header::parse(&data[..header_end])?;
    let body = data.get(header_end + 1..).unwrap_or(&[]);
    let builtin = [
        model.kind_id_by_name("email").ok(),
        model.kind_id_by_name("call").ok(),
        model.kind_id_by_name("meeting").ok(),
    ];
    let new_sink = |len: usize| Sink {
        model,
        unit: None,
        builtin,
        other_kinds: Vec::new(),
        log: TouchLog { touches: Vec::with_capacity(len / 30), unknown_accounts: 0, rows: 0, latest: None },
    };
    let mut ids: Vec<Cow<'_, str>> = Vec::with_capacity(body.len() / 30);
    let mut log = new_sink(0).log;
    if header.n_fields <= MAX_FIELDS && memchr::memchr(b'"', body).is_none() {
        let mid = body.len() / 2;
        let cut = memchr::memchr(b'\n', &body[mid..]).map_or(body.len(), |p| mid + p + 1);
        let (first, second) = body.split_at(cut);
        // The second half numbers its lines from 0 (see `parse_block`).
        let parse = |part, first_line| discover_part(part, first_line, &header, new_sink(part.len()));
        #[cfg(feature = "parallel")]
        let (a, b) = rayon::join(|| parse(first, 2), || parse(second, 0));
        #[cfg(not(feature = "parallel"))]
        let (a, b) = (parse(first, 2), parse(second, 0));
        let (a_ids, a_log, a_lines) = a?;
        let (b_ids, b_log, _) = b.map_err(|e| e.after_line(2 + a_lines))?;
        for (part_ids, part) in [(a_ids, a_log), (b_ids, b_log)] {
            ids.extend(part_ids);
            log.touches.extend(part.touches);
            log.rows += part.rows;
            log.latest = log.latest.max(part.latest);
        }
    } else {
        let mut sink = new_sink(body.len());
        quoted_rows(body, 2, &header, |line, id, kind, ts| {
            let before = sink.log.touches.len();
            sink.row(line, Some(0), kind, ts)?;
            if sink.log.touches.len() > before {
                ids.push(Cow::Owned(utf8(line, id)?.to_string()));
            }
            Ok(())
        })?;
        log = sink.log;
    }
    let interned = crate::engagement::intern(&ids).map_err(|_| PoolError::BadRow {
        line: 0,
        reason: "more activities than 32-bit row numbers can address".to_string(),
    })?;
    for (t, &row) in log.touches.iter_mut().zip(&interned.indices) {
        t.account = row;
    }
    Ok((interned.ids, log))
}

/// The unquoted half of [`read_touches_discovering`]: ids borrowed from
/// `part`, and the number of line feeds in it.
fn discover_part<'a>(
    part: &'a [u8],
    first_line: u64,
    header: &Header,
    mut sink: Sink<'_>,
) -> Result<(Vec<Cow<'a, str>>, TouchLog, u64), PoolError> {
    let mut part_ids = Vec::with_capacity(part.len() / 30);
    let lines = unquoted_rows(part, first_line, header.n_fields, |line, fields| {
        let before = sink.log.touches.len();
        sink.row(line, Some(0), fields[header.kind], fields[header.ts])?;
        if sink.log.touches.len() > before {
            part_ids.push(Cow::Borrowed(utf8(line, fields[header.id])?));
        }
        Ok(())
    })?;
    Ok((part_ids, sink.log, lines))
}

/// Most fields a line of the events file may have.
const MAX_FIELDS: usize = 16;

/// Calls `row(line, fields)` for every non-empty line of unquoted CSV
/// `part` (the first is line `first_line`, and no byte is a quote), its
/// fields split at commas and a trailing `\r` dropped, by the CSV loader's
/// tokenizer ([`split_unquoted_lines`]: a line of the events file is ~30
/// bytes, too short for a vector search per delimiter to pay off). A line
/// whose field count is not `n_fields` (at most [`MAX_FIELDS`]) is a
/// [`PoolError::BadRow`]. Returns the number of line feeds in `part`.
fn unquoted_rows<'a>(
    part: &'a [u8],
    first_line: u64,
    n_fields: usize,
    mut row: impl FnMut(u64, &[&'a [u8]]) -> Result<(), PoolError>,
) -> Result<u64, PoolError> {
    split_unquoted_lines::<MAX_FIELDS, _, _>(part, b',', |k, fields, count| {
        let line = first_line + k;
        if count == n_fields {
            row(line, fields)
        } else {
            Err(PoolError::BadRow { line, reason: format!("{count} fields where the header has {n_fields}") })
        }
    })
}

fn utf8(line: u64, id: &[u8]) -> Result<&str, PoolError> {
    std::str::from_utf8(id.trim_ascii())
        .map_err(|_| PoolError::BadRow { line, reason: "account_id is not valid UTF-8".to_string() })
}

/// Account id → row. Ids that share one prefix followed by digits of one
/// width (`acct_0001234`, the common CRM shape) are looked up by their
/// number: when the file lists them in order with no gap (row = number −
/// first) by arithmetic alone, otherwise in a dense table, without hashing;
/// any other ids go through a hash map. A repeated id is found while the
/// index is built (a number's slot or a map entry already taken) and is an
/// error, or gives its first or last row, as [`DuplicateIds`] says.
enum IdIndex<'a> {
    Sequential { prefix: &'a [u8], width: usize, first: usize, len: usize },
    Numbered { prefix: &'a [u8], width: usize, rows: Vec<u32> },
    Hashed(HashMap<&'a [u8], u32>),
}

const NO_ROW: u32 = u32::MAX;

impl<'a> IdIndex<'a> {
    fn new(ids: &'a Column, duplicates: DuplicateIds) -> Result<Self, PoolError> {
        let values: Vec<Option<&'a [u8]>> = match ids {
            Column::Text(v) => v.iter().map(|s| s.map(str::as_bytes)).collect(),
            Column::Categorical(c) => (0..c.len()).map(|k| c.get(k).map(str::as_bytes)).collect(),
            _ => Vec::new(),
        };
        if let Some(index) = Self::numbered(&values, duplicates) {
            return index;
        }
        let mut map: HashMap<&'a [u8], u32> = HashMap::with_capacity(values.len());
        for (k, id) in values.iter().enumerate() {
            if let Some(id) = id {
                match map.entry(*id) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(k as u32);
                    }
                    std::collections::hash_map::Entry::Occupied(mut e) => {
                        Self::repeated(id, e.get_mut(), k, duplicates)?;
                    }
                }
            }
        }
        Ok(IdIndex::Hashed(map))
    }

    /// Row `k` holds `id` again, whose row so far is `*row`.
    #[cold]
    fn repeated(id: &[u8], row: &mut u32, k: usize, duplicates: DuplicateIds) -> Result<(), PoolError> {
        match duplicates {
            DuplicateIds::First => Ok(()),
            DuplicateIds::Last => {
                *row = k as u32;
                Ok(())
            }
            _ => Err(PoolError::DuplicateId {
                id: String::from_utf8_lossy(id).into_owned(),
                first_row: *row as usize,
                row: k,
            }),
        }
    }

    /// The index of ids that share a prefix and a width of digits; `None`
    /// when they do not.
    fn numbered(values: &[Option<&'a [u8]>], duplicates: DuplicateIds) -> Option<Result<Self, PoolError>> {
        let first = (*values.first()?)?;
        let digits = first.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let (prefix, _) = first.split_at(first.len() - digits);
        let number = |id: Option<&[u8]>| id?.strip_prefix(prefix).filter(|d| d.len() == digits).and_then(parse_digits);
        let start = number(Some(first))?;
        if values.iter().enumerate().all(|(k, id)| number(*id) == Some(start + k)) {
            return Some(Ok(IdIndex::Sequential { prefix, width: digits, first: start, len: values.len() }));
        }
        let limit = values.len().saturating_mul(4).max(1024);
        let mut rows = Vec::new();
        for (k, id) in values.iter().enumerate() {
            let number = number(*id)?;
            if number >= limit {
                return None;
            }
            if rows.len() <= number {
                rows.resize(number + 1, NO_ROW);
            }
            match rows.get_mut(number) {
                Some(row) if *row == NO_ROW => *row = k as u32,
                Some(row) => {
                    if let Err(e) = Self::repeated(id.unwrap_or_default(), row, k, duplicates) {
                        return Some(Err(e));
                    }
                }
                None => {}
            }
        }
        Some(Ok(IdIndex::Numbered { prefix, width: digits, rows }))
    }

    /// The number after `prefix` in `id` when `id` is `prefix` and `width`
    /// digits. The prefix is compared inline (a slice comparison would call
    /// `memcmp` for a handful of bytes); up to eight digits that end an id
    /// of eight bytes or more are read as one word (SWAR).
    #[inline]
    fn number(id: &[u8], prefix: &[u8], width: usize) -> Option<usize> {
        if id.len() != prefix.len() + width || !prefix.iter().zip(id).all(|(a, b)| a == b) {
            return None;
        }
        match id.last_chunk::<8>() {
            Some(last) if width <= 8 => {
                // The bytes before the digits (the low ones, little-endian) become '0'.
                let keep = if width == 8 { u64::MAX } else { !(u64::MAX >> (8 * width)) };
                let w = (u64::from_le_bytes(*last) & keep) | (0x3030_3030_3030_3030 & !keep);
                all_digits(w).then(|| eight_digits(w) as usize)
            }
            _ => parse_digits(id.get(prefix.len()..)?),
        }
    }

    fn get(&self, id: &[u8]) -> Option<u32> {
        match self {
            IdIndex::Sequential { prefix, width, first, len } => {
                let row = Self::number(id, prefix, *width)?.checked_sub(*first).filter(|r| r < len)?;
                u32::try_from(row).ok()
            }
            IdIndex::Numbered { prefix, width, rows } => {
                let row = *rows.get(Self::number(id, prefix, *width)?)?;
                (row != NO_ROW).then_some(row)
            }
            IdIndex::Hashed(map) => map.get(id).copied(),
        }
    }
}

fn parse_digits(d: &[u8]) -> Option<usize> {
    d.iter().try_fold(0usize, |v, &b| b.is_ascii_digit().then(|| v * 10 + usize::from(b - b'0')))
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return std::str::from_utf8(b).ok()?.trim().parse().ok();
    }
    // Eight digits at a time (a Unix time has ten), then one at a time.
    let mut v: u64 = 0;
    let mut rest = digits;
    while let Some((eight, tail)) = rest.split_first_chunk::<8>() {
        let w = u64::from_le_bytes(*eight);
        if !all_digits(w) {
            return std::str::from_utf8(b).ok()?.trim().parse().ok();
        }
        v = v * 100_000_000 + eight_digits(w);
        rest = tail;
    }
    for &d in rest {
        if !d.is_ascii_digit() {
            return std::str::from_utf8(b).ok()?.trim().parse().ok();
        }
        v = v * 10 + u64::from(d - b'0');
    }
    // At most 18 digits: below 10^18 < i64::MAX.
    let v = i64::try_from(v).ok()?;
    Some(if neg { -v } else { v })
}

/// Whether the eight bytes of `w` (little-endian) are all ASCII digits.
#[inline]
fn all_digits(w: u64) -> bool {
    let a = w.wrapping_add(0x4646_4646_4646_4646);
    let b = w.wrapping_sub(0x3030_3030_3030_3030);
    (a | b) & 0x8080_8080_8080_8080 == 0
}

/// The number written by eight ASCII digits loaded little-endian (SWAR:
/// pairs, then quads, then the whole).
#[inline]
fn eight_digits(w: u64) -> u64 {
    let d = w - 0x3030_3030_3030_3030;
    let pairs = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (quads * 10_000 + (quads >> 32)) & 0xFFFF_FFFF
}

/// Per-part state of the events parser: turns one row's fields into a touch.
struct Sink<'m> {
    model: &'m EngagementModel,
    /// The declared unit of timestamps (`None`: seconds, checked by magnitude).
    unit: Option<TimeUnit>,
    builtin: [Option<KindId>; 3],
    other_kinds: Vec<(Vec<u8>, KindId)>,
    log: TouchLog,
}

impl Sink<'_> {
    /// One row; `account` is the id's row, `None` for an unknown account.
    fn row(&mut self, line: u64, account: Option<u32>, kind: &[u8], ts: &[u8]) -> Result<(), PoolError> {
        self.log.rows += 1;
        let mut ts = parse_i64(ts.trim_ascii())
            .ok_or_else(|| PoolError::BadRow { line, reason: "timestamp is not an integer".to_string() })?;
        match self.unit {
            None => {
                if let Some(unit) = TimeUnit::guess(ts) {
                    return Err(PoolError::TimestampUnit { line, value: ts, unit });
                }
            }
            Some(unit) => ts = ts.div_euclid(unit.per_second()),
        }
        // Array patterns compare inline (a byte-string pattern calls memcmp).
        let kind = match kind.trim_ascii() {
            [b'e', b'm', b'a', b'i', b'l'] if self.builtin[0].is_some() => self.builtin[0],
            [b'c', b'a', b'l', b'l'] if self.builtin[1].is_some() => self.builtin[1],
            [b'm', b'e', b'e', b't', b'i', b'n', b'g'] if self.builtin[2].is_some() => self.builtin[2],
            other => match self.other_kinds.iter().find(|(k, _)| k == other) {
                Some((_, id)) => Some(*id),
                None => {
                    let name = String::from_utf8_lossy(other).into_owned();
                    let id =
                        self.model.kind_id_by_name(&name).map_err(|_| PoolError::UnknownKind { line, kind: name })?;
                    self.other_kinds.push((other.to_vec(), id));
                    Some(id)
                }
            },
        };
        let Some(kind) = kind else { return Ok(()) };
        self.log.latest = Some(self.log.latest.map_or(ts, |l| l.max(ts)));
        match account {
            Some(account) => self.log.touches.push(Touch::new(account, kind, Timestamp::from_unix_seconds(ts))),
            None => self.log.unknown_accounts += 1,
        }
        Ok(())
    }
}

/// Parses `part` into `log`, replacing what it held (its buffer is reused).
/// Returns the number of line feeds in `part`.
fn parse_part(
    part: &[u8],
    first_line: u64,
    header: &Header,
    index: &IdIndex<'_>,
    (model, unit): (&EngagementModel, Option<TimeUnit>),
    builtin: [Option<KindId>; 3],
    log: &mut TouchLog,
) -> Result<u64, PoolError> {
    let mut touches = std::mem::take(&mut log.touches);
    touches.clear();
    let fresh = TouchLog { touches, unknown_accounts: 0, rows: 0, latest: None };
    let mut sink = Sink { model, unit, builtin, other_kinds: Vec::new(), log: fresh };
    let result = if header.n_fields <= MAX_FIELDS && memchr::memchr(b'"', part).is_none() {
        // No quoting anywhere: split lines and fields directly.
        unquoted_rows(part, first_line, header.n_fields, |line, fields| {
            sink.row(line, index.get(fields[header.id].trim_ascii()), fields[header.kind], fields[header.ts])
        })
    } else {
        quoted_rows(part, first_line, header, |line, id, kind, ts| sink.row(line, index.get(id.trim_ascii()), kind, ts))
            .map(|()| memchr::memchr_iter(b'\n', part).count() as u64)
    };
    *log = sink.log;
    result
}

/// Calls `row(line, id, kind, ts)` for every record of CSV `part` that may
/// hold quoted fields (read with the csv crate; the first record is line
/// `first_line`). A malformed record or one without the header's fields is
/// a [`PoolError::BadRow`].
fn quoted_rows(
    part: &[u8],
    first_line: u64,
    header: &Header,
    mut row: impl FnMut(u64, &[u8], &[u8], &[u8]) -> Result<(), PoolError>,
) -> Result<(), PoolError> {
    // Flexible: each record's width is checked against the header below, as
    // the unquoted path does (the csv crate would only compare it with the
    // previous record of this part, so a part's first record went unchecked).
    // Records end at a line feed only, as in the unquoted path (the csv
    // crate would also end one at a bare carriage return); the `\r` of a
    // CRLF is stripped from the last field below.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(part);
    let mut rec = csv::ByteRecord::new();
    // Lines are counted from the bytes (the csv crate's line numbers skip
    // blank lines, and a record's position is before the blank lines that
    // precede it), up to each record's first byte: (bytes counted, line there).
    let mut counted = (0usize, first_line);
    let mut line_at = |byte: u64| -> u64 {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(part.len());
        while matches!(part.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if let Some(between) = part.get(counted.0..byte) {
            counted = (byte, counted.1 + memchr::memchr_iter(b'\n', between).count() as u64);
        }
        counted.1
    };
    // Quoted fields must not hold line breaks: every line up to a record's
    // own holds an even number of quotes, checked line by line in file order
    // so that the first bad line is the same however the file is cut in parts.
    let mut scanned = (0usize, first_line);
    let mut lines_balanced_to = |line: u64| -> Result<(), PoolError> {
        while scanned.1 <= line && scanned.0 < part.len() {
            let rest = part.get(scanned.0..).unwrap_or(&[]);
            let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            if memchr::memchr_iter(b'"', rest.get(..len).unwrap_or(&[])).count() % 2 == 1 {
                return Err(PoolError::BadRow {
                    line: scanned.1,
                    reason: "a quoted field runs past the end of its line (quoted fields must not hold line breaks)"
                        .to_string(),
                });
            }
            scanned = (scanned.0 + len + 1, scanned.1 + 1);
        }
        Ok(())
    };
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => return lines_balanced_to(u64::MAX),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(first_line, |p| line_at(p.byte()));
                lines_balanced_to(line)?;
                return Err(PoolError::BadRow { line, reason: e.to_string() });
            }
        }
        let line = rec.position().map_or(first_line, |p| line_at(p.byte()));
        lines_balanced_to(line)?;
        let last = rec.len().saturating_sub(1);
        let field = |i: usize| rec.get(i).map(|f| if i == last { f.strip_suffix(b"\r").unwrap_or(f) } else { f });
        if rec.len() == 1 && field(0).is_some_and(<[u8]>::is_empty) {
            continue; // a blank CRLF line
        }
        if rec.len() != header.n_fields {
            return Err(PoolError::BadRow {
                line,
                reason: format!("{} fields where the header has {}", rec.len(), header.n_fields),
            });
        }
        let (Some(id), Some(kind), Some(ts)) = (field(header.id), field(header.kind), field(header.ts)) else {
            return Err(PoolError::BadRow { line, reason: "missing field".to_string() });
        };
        row(line, id, kind, ts)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::EngagementParams;

    fn model() -> EngagementModel {
        EngagementParams::new().kind("email", 1.0, 14.0).kind("call", 3.0, 30.0).build().expect("valid")
    }

    #[test]
    fn reads_touches_and_counts_unknown_accounts() {
        let ids = Column::text(vec![Some("a"), Some("b")]);
        let data = b"account_id,kind,timestamp,rep_id\na,email,100,r1\nzz,call,50,r2\nb,call,200,r1\na,call,150,\n";
        let log = read_touches(data, &ids, &model()).expect("valid");
        assert_eq!(log.rows, 4);
        assert_eq!(log.unknown_accounts, 1);
        assert_eq!(log.latest, Some(200));
        assert_eq!(log.touches.len(), 3);
    }

    #[test]
    fn numbered_and_hashed_ids_agree() {
        let numbered = Column::Text((0..50).map(|k| Some(format!("acct_{k:04}"))).collect());
        let odd = Column::Text((0..50).map(|k| Some(format!("x{k}y"))).collect());
        let data = b"account_id,kind,timestamp\nacct_0007,email,1\nacct_0049,call,2\nacct_9999,call,3\nacct_007,call,4\nacct_00x7,call,5\n";
        let log = read_touches(data, &numbered, &model()).expect("valid");
        assert!(matches!(
            IdIndex::new(&numbered, DuplicateIds::Error).expect("unique"),
            IdIndex::Sequential { first: 0, len: 50, .. }
        ));
        let mut swapped: Vec<usize> = (0..50).collect();
        swapped.swap(3, 4);
        let gap = numbered.take(&swapped);
        assert!(matches!(IdIndex::new(&gap, DuplicateIds::Error).expect("unique"), IdIndex::Numbered { .. }));
        let later = Column::Text((100..150).map(|k| Some(format!("acct_{k:04}"))).collect());
        assert!(matches!(
            IdIndex::new(&later, DuplicateIds::Error).expect("unique"),
            IdIndex::Sequential { first: 100, len: 50, .. }
        ));
        let shifted = read_touches(
            b"account_id,kind,timestamp\nacct_0100,email,1\nacct_0149,call,2\nacct_0099,call,3\nacct_0150,call,4\n",
            &later,
            &model(),
        )
        .expect("valid");
        assert_eq!(shifted.touches.iter().map(|t| t.account).collect::<Vec<_>>(), [0, 49]);
        assert_eq!(shifted.unknown_accounts, 2);
        let swapped = read_touches(data, &gap, &model()).expect("valid");
        assert_eq!(swapped.touches.iter().map(|t| t.account).collect::<Vec<_>>(), [7, 49]);
        assert_eq!(swapped.unknown_accounts, 3);
        assert!(matches!(IdIndex::new(&odd, DuplicateIds::Error).expect("unique"), IdIndex::Hashed(_)));
        let rows: Vec<u32> = log.touches.iter().map(|t| t.account).collect();
        assert_eq!(rows, [7, 49]);
        assert_eq!(log.unknown_accounts, 3);
        let data = b"account_id,kind,timestamp\nx7y,email,1\nx70y,email,1\n";
        let log = read_touches(data, &odd, &model()).expect("valid");
        assert_eq!(log.touches.len(), 1);
        assert_eq!(log.unknown_accounts, 1);
    }

    #[test]
    fn a_fully_quoted_header_is_read_as_its_names() {
        let ids = Column::text(vec![Some("a"), Some("b")]);
        let plain =
            read_touches(b"account_id,kind,timestamp\na,email,100\nb,call,200\n", &ids, &model()).expect("plain");
        let quoted = b"\"account_id\",\"kind\",\"timestamp\"\na,email,100\nb,call,200\n";
        assert_eq!(read_touches(quoted, &ids, &model()).expect("quoted header"), plain);
        let crlf = b"\xEF\xBB\xBF\"account_id\", \"kind\" ,\"timestamp\",\"rep_id\"\r\n\"a\",email,100,r1\r\nb,\"call\",200,\r\n";
        assert_eq!(read_touches(crlf, &ids, &model()).expect("BOM, spaces, CRLF, quoted rows"), plain);
        let (found, log) = read_touches_discovering(quoted, &model()).expect("discovering");
        assert_eq!((found, log.rows), (vec!["a".to_string(), "b".to_string()], 2));
        let path = std::env::temp_dir().join(format!("acctscore_quoted_header_{}.csv", std::process::id()));
        std::fs::write(&path, quoted).expect("temp file");
        let streamed = read_touches_path(&path, &ids, &model());
        let engagement = read_engagement_path(&path, &ids, &model(), None);
        let _ = std::fs::remove_file(&path);
        assert_eq!(streamed.expect("streamed"), plain);
        assert_eq!(engagement.expect("engagement").rows, 2);
        // A quoted name that is not a pool column is still missing, and named without quotes.
        let e = read_touches(b"\"account_id\",\"kind\",\"when\"\n", &ids, &model()).expect_err("no timestamp");
        assert_eq!(
            e.to_string(),
            "the header lacks column `timestamp`, which the pool format requires; it has: account_id, kind, when"
        );
    }

    #[test]
    fn touches_reserved_from_a_file_length_are_bounded() {
        let size = std::mem::size_of::<Touch>();
        assert_eq!(touch_capacity(0), 0);
        assert_eq!(touch_capacity(3_000), 100);
        for len in [200u64 << 30, u64::MAX] {
            let cap = touch_capacity(len);
            assert!(cap * size <= 64 << 20, "{len} bytes reserve {cap} touches");
            assert!(cap > 1_000_000, "a real file still reserves a useful amount");
        }
    }

    #[test]
    fn a_sparse_200_gb_events_file_is_refused_quickly_not_an_abort() {
        let ids = Column::text(vec![Some("a")]);
        let path = std::env::temp_dir().join(format!("acctscore_sparse_events_{}.csv", std::process::id()));
        let file = std::fs::File::create(&path).expect("temp file");
        if file.set_len(200 << 30).is_err() {
            let _ = std::fs::remove_file(&path);
            return; // a file system without sparse files of this size
        }
        drop(file);
        let touches = read_touches_path(&path, &ids, &model());
        let engagement = read_engagement_path(&path, &ids, &model(), None);
        // A header, then NULs: the first data line has no line break either.
        std::fs::write(&path, b"account_id,kind,timestamp\n").expect("header");
        std::fs::OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(200 << 30)).expect("sparse tail");
        let after_header = read_engagement_path(&path, &ids, &model(), None);
        let _ = std::fs::remove_file(&path);
        let expected = |line: u64| {
            format!(
                "{}: line {line}: no line break within 1 MiB: not a CSV events file (lines of \
                 `account_id,kind,timestamp` are short)",
                path.display()
            )
        };
        let is_bad_row = |e: &PoolError, at: u64| matches!(e, PoolError::InFile { source, .. } if matches!(**source, PoolError::BadRow { line, .. } if line == at));
        let e = touches.expect_err("refused");
        assert!(is_bad_row(&e, 1), "{e:?}");
        assert_eq!(e.to_string(), expected(1));
        let e = engagement.expect_err("refused");
        assert_eq!(e.to_string(), expected(1));
        let e = after_header.expect_err("refused");
        assert!(is_bad_row(&e, 2), "{e:?}");
        assert_eq!(e.to_string(), expected(2));
    }

    #[test]
    fn a_long_line_within_the_bound_is_read() {
        // A line longer than a block (and than the first buffer) but under the bound.
        let ids = Column::text(vec![Some("a")]);
        let mut data = b"account_id,kind,timestamp,rep_id\na,email,100,".to_vec();
        data.extend(std::iter::repeat_n(b'r', 100_000));
        data.extend(b"\na,call,200,r\n");
        let whole = read_touches(&data, &ids, &model()).expect("whole");
        let path = std::env::temp_dir().join(format!("acctscore_long_line_{}.csv", std::process::id()));
        std::fs::write(&path, &data).expect("temp file");
        let streamed = read_touches_blocks(&path, &ids, &model(), 4096, &EventOptions::new());
        let _ = std::fs::remove_file(&path);
        assert_eq!(streamed.expect("streamed"), whole);
        assert_eq!(whole.rows, 2);
    }

    #[test]
    fn streaming_in_small_blocks_equals_reading_whole() {
        let ids = Column::Text((0..30).map(|k| Some(format!("acct_{k:03}"))).collect());
        let mut data = b"account_id,kind,timestamp,rep_id\n".to_vec();
        for k in 0..200 {
            data.extend(format!("acct_{:03},{},{},r{}\n", k % 37, ["email", "call"][k % 2], 1000 + k, k % 3).bytes());
        }
        let whole = read_touches(&data, &ids, &model()).expect("whole");
        let path = std::env::temp_dir().join(format!("acctscore_touches_{}.csv", std::process::id()));
        std::fs::write(&path, &data).expect("temp file");
        for block in [1, 7, 64, 1 << 20] {
            let streamed = read_touches_blocks(&path, &ids, &model(), block, &EventOptions::new()).expect("streamed");
            assert_eq!(streamed, whole, "block {block}");
        }
        let _ = std::fs::remove_file(&path);
        assert_eq!(whole.rows, 200);
        assert!(whole.unknown_accounts > 0);
    }

    #[test]
    fn engagement_read_in_blocks_equals_aggregating_the_touches() {
        let ids = Column::Text((0..30).map(|k| Some(format!("acct_{k:03}"))).collect());
        let mut data = b"account_id,kind,timestamp\n".to_vec();
        for k in 0..500u64 {
            let t = 1_700_000_000 + (k * 7919 % 500) * 86_400;
            data.extend(format!("acct_{:03},{},{t}\n", k % 37, ["email", "call"][(k % 2) as usize]).bytes());
        }
        let log = read_touches(&data, &ids, &model()).expect("whole");
        let path = std::env::temp_dir().join(format!("acctscore_engagement_{}.csv", std::process::id()));
        std::fs::write(&path, &data).expect("temp file");
        let latest = Timestamp::from_unix_seconds(log.latest.expect("rows"));
        let earlier = Timestamp::from_unix_seconds(1_700_000_000 + 200 * 86_400);
        for (now, at) in [(None, latest), (Some(earlier), earlier)] {
            let want = model().aggregate(at, 30, &log.touches).expect("ok");
            for block in [7, 64, 1 << 20] {
                let got =
                    read_engagement_blocks(&path, &ids, &model(), now, block, &EventOptions::new()).expect("streamed");
                assert_eq!((got.rows, got.unknown_accounts), (log.rows, log.unknown_accounts));
                let e = &got.engagement;
                assert_eq!((e.now(), e.used(), e.ignored_future()), (at, want.used(), want.ignored_future()));
                for (g, w) in e.scores().iter().zip(want.scores()) {
                    assert!((g - w).abs() <= 1e-12 * w, "block {block}: {g} vs {w}");
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn discovering_ids_agrees_with_a_given_list() {
        let plain = b"account_id,kind,timestamp\nb,email,100\na,call,200\nb,call,300\n";
        let quoted = b"account_id,kind,timestamp\n\"b\",email,100\na,call,200\nb,\"call\",300\n";
        let given = read_touches(plain, &Column::text(vec![Some("b"), Some("a")]), &model()).expect("ok");
        for data in [&plain[..], &quoted[..]] {
            let (ids, log) = read_touches_discovering(data, &model()).expect("valid");
            assert_eq!(ids, ["b", "a"]);
            assert_eq!(log, given);
        }
        assert!(matches!(
            read_touches_discovering(b"account_id,kind,timestamp\na,fax,1\n", &model()),
            Err(PoolError::UnknownKind { line: 2, .. })
        ));
    }

    #[test]
    fn quoted_and_plain_files_agree() {
        let ids = Column::text(vec![Some("a"), Some("b")]);
        let plain =
            read_touches(b"account_id,kind,timestamp\na,email,100\r\nb,call,200\n", &ids, &model()).expect("ok");
        let quoted =
            read_touches(b"account_id,kind,timestamp\n\"a\",email,100\nb,\"call\",200\n", &ids, &model()).expect("ok");
        assert_eq!(plain, quoted);
        assert!(matches!(
            read_touches(b"account_id,kind,timestamp\na,email\n", &ids, &model()),
            Err(PoolError::BadRow { line: 2, .. })
        ));
        assert!(matches!(
            read_touches(b"account_id,kind,timestamp\n\"a\",email,1\na,email\n", &ids, &model()),
            Err(PoolError::BadRow { line: 3, .. })
        ));
    }

    /// Rows as `(line, fields)`.
    type Rows = Vec<(u64, Vec<Vec<u8>>)>;

    /// Lines and fields as a plain split gives them, or the line of the first bad row.
    fn naive_rows(part: &[u8], n_fields: usize) -> Result<Rows, u64> {
        let mut out = Vec::new();
        let body = part.strip_suffix(b"\n").unwrap_or(part);
        if part.is_empty() {
            return Ok(out);
        }
        for (k, line) in body.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let fields: Vec<Vec<u8>> = line.split(|&b| b == b',').map(<[u8]>::to_vec).collect();
            if fields.len() != n_fields {
                return Err(k as u64 + 2);
            }
            out.push((k as u64 + 2, fields));
        }
        Ok(out)
    }

    #[test]
    fn word_at_a_time_splitting_equals_a_plain_split() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for case in 0..3000 {
            let len = case % 97;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    [b'a', b'7', b',', b'\n', b'\r', b'a', b',', 0x80, b'+'][(x % 9) as usize]
                })
                .collect();
            for n_fields in [1, 3] {
                let mut got = Vec::new();
                let result = unquoted_rows(&bytes, 2, n_fields, |line, fields| {
                    got.push((line, fields.iter().map(|f| f.to_vec()).collect()));
                    Ok(())
                });
                if let Ok(line_feeds) = result {
                    assert_eq!(line_feeds, bytes.iter().filter(|&&b| b == b'\n').count() as u64);
                }
                let result = result.map(|_| got).map_err(|e| match e {
                    PoolError::BadRow { line, .. } => line,
                    other => panic!("{other:?}"),
                });
                assert_eq!(result, naive_rows(&bytes, n_fields), "{:?}", String::from_utf8_lossy(&bytes));
            }
        }
    }

    #[test]
    fn id_numbers_read_as_words_equal_digit_by_digit() {
        for (id, prefix, width) in [
            ("acct_0000023", "acct_", 7),
            ("acct_9999999", "acct_", 7),
            ("x12345678", "x", 8),
            ("12345678", "", 8),
            ("ab12", "ab", 2),
            ("acct_00x0023", "acct_", 7),
            ("acct_0000023", "acct-", 7),
            ("acct_000023", "acct_", 7),
            ("acct_123456789", "acct_", 9),
            ("acct_/000023", "acct_", 7),
            ("acct_:000023", "acct_", 7),
        ] {
            let want = id.strip_prefix(prefix).filter(|d| d.len() == width).and_then(|d| parse_digits(d.as_bytes()));
            assert_eq!(IdIndex::number(id.as_bytes(), prefix.as_bytes(), width), want, "{id}");
        }
    }

    #[test]
    fn integers_parse_as_the_standard_parser_does() {
        for s in ["0", "7", "12345678", "1735689601", "-1735689601", "123456789012345678", "00000001", "-0"] {
            assert_eq!(parse_i64(s.as_bytes()), s.parse::<i64>().ok(), "{s}");
        }
        for s in ["", "-", "12a45678", "1234567/", "17356896:1", "1.5", "9999999999999999999"] {
            assert_eq!(parse_i64(s.as_bytes()), s.parse::<i64>().ok(), "{s}");
        }
    }

    #[test]
    fn bad_rows_and_kinds_name_their_line() {
        let ids = Column::text(vec![Some("a")]);
        let m = model();
        assert!(matches!(
            read_touches(b"account_id,kind,timestamp\na,email,100\na,fax,5\n", &ids, &m),
            Err(PoolError::UnknownKind { line: 3, .. })
        ));
        assert!(matches!(
            read_touches(b"account_id,kind,timestamp\na,email,100\na,email,soon\n", &ids, &m),
            Err(PoolError::BadRow { line: 3, .. })
        ));
        assert!(matches!(read_touches(b"account_id,kind\n", &ids, &m), Err(PoolError::MissingColumn { .. })));
        let empty = read_touches(b"account_id,kind,timestamp\n", &ids, &m).expect("header only is empty");
        assert_eq!(empty.rows, 0);
    }

    #[test]
    fn a_bad_line_is_named_wherever_it_falls() {
        // Lines counted by the parser, not by a separate pass: every block
        // size puts the bad line in a first half, a second half or a later
        // block, and each must name it exactly.
        let ids = Column::Text((0..30).map(|k| Some(format!("acct_{k:03}"))).collect());
        let m = model();
        for bad in [2u64, 3, 57, 150, 301] {
            for (broken, want_kind) in [("acct_001,fax,5", true), ("acct_001,email,soon", false)] {
                let mut data = b"account_id,kind,timestamp\n".to_vec();
                for line in 2..=301u64 {
                    let row =
                        if line == bad { broken.to_string() } else { format!("acct_{:03},email,{line}", line % 30) };
                    data.extend(row.bytes().chain([b'\n']));
                }
                let check = |e: PoolError, how: &str| match e {
                    PoolError::UnknownKind { line, .. } if want_kind => assert_eq!(line, bad, "{how}"),
                    PoolError::BadRow { line, .. } if !want_kind => assert_eq!(line, bad, "{how}"),
                    other => panic!("{how}: {other:?}"),
                };
                check(read_touches(&data, &ids, &m).expect_err("bad line"), "whole");
                check(read_touches_discovering(&data, &m).expect_err("bad line"), "discovering");
                let path = std::env::temp_dir().join(format!("acctscore_bad_line_{}_{bad}.csv", std::process::id()));
                std::fs::write(&path, &data).expect("temp file");
                for block in [16, 100, 1000, 1 << 20] {
                    let e = read_engagement_blocks(&path, &ids, &m, None, block, &EventOptions::new())
                        .expect_err("bad line");
                    check(e, &format!("block {block}"));
                }
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    #[test]
    fn duplicate_ids_are_an_error_by_default_and_a_policy_otherwise() {
        let data = b"account_id,kind,timestamp\nb7,email,100\nacct_0002,call,200\n";
        // Hashed ids (`b7` twice) and numbered ids (`acct_0002` twice).
        let hashed = Column::Text(["a1", "b7", "c3", "b7"].iter().map(|s| Some((*s).to_string())).collect());
        let numbered = Column::Text(
            ["acct_0001", "acct_0002", "acct_0003", "acct_0002"].iter().map(|s| Some((*s).to_string())).collect(),
        );
        for (ids, id) in [(&hashed, "b7"), (&numbered, "acct_0002")] {
            match read_touches(data, ids, &model()) {
                Err(PoolError::DuplicateId { id: got, first_row: 1, row: 3 }) => assert_eq!(got, id),
                other => panic!("expected DuplicateId, got {other:?}"),
            }
            let first = EventOptions::new().duplicates(DuplicateIds::First);
            let last = EventOptions::new().duplicates(DuplicateIds::Last);
            let rows = |o: &EventOptions| -> Vec<u32> {
                read_touches_with(data, ids, &model(), o).expect("policy").touches.iter().map(|t| t.account).collect()
            };
            assert_eq!(rows(&first), [1]);
            assert_eq!(rows(&last), [3]);
        }
        let e = read_touches(data, &hashed, &model()).expect_err("duplicate");
        assert_eq!(
            e.to_string(),
            "account id `b7` appears on data rows 2 and 4 of the accounts; ids must be unique (or declare a duplicates policy: first or last)"
        );
        // The path readers too, with the file named.
        let dir = std::env::temp_dir().join(format!("acctscore-dup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("events.csv");
        std::fs::write(&path, data).expect("write");
        let e = read_engagement_path(&path, &numbered, &model(), None).expect_err("duplicate");
        assert!(
            matches!(&e, PoolError::InFile { source, .. } if matches!(**source, PoolError::DuplicateId { row: 3, .. }))
        );
        let log =
            read_touches_path_with(&path, &numbered, &model(), &EventOptions::new().duplicates(DuplicateIds::Last))
                .expect("last");
        assert_eq!(log.touches.iter().map(|t| t.account).collect::<Vec<_>>(), [3]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn timestamps_in_other_units_are_refused_with_the_unit_or_converted() {
        let ids = Column::Text(["a", "b"].iter().map(|s| Some((*s).to_string())).collect());
        let seconds = 1_767_225_600i64;
        for (unit, scale) in [
            (TimeUnit::Milliseconds, 1_000i64),
            (TimeUnit::Microseconds, 1_000_000),
            (TimeUnit::Nanoseconds, 1_000_000_000),
        ] {
            let data = format!(
                "account_id,kind,timestamp\na,email,{}\nb,call,{}\n",
                seconds * scale,
                (seconds + 60) * scale + scale / 2
            );
            match read_touches(data.as_bytes(), &ids, &model()) {
                Err(PoolError::TimestampUnit { line: 2, value, unit: got }) => {
                    assert_eq!((value, got), (seconds * scale, unit));
                }
                other => panic!("expected TimestampUnit, got {other:?}"),
            }
            let log = read_touches_with(data.as_bytes(), &ids, &model(), &EventOptions::new().time_unit(unit))
                .expect("declared unit");
            let ts: Vec<i64> = log.touches.iter().map(|t| t.at.unix_seconds()).collect();
            assert_eq!(ts, [seconds, seconds + 60]);
            assert_eq!(log.latest, Some(seconds + 60));
        }
        let e = read_touches(b"account_id,kind,timestamp\na,email,1767225600000\n", &ids, &model()).expect_err("ms");
        assert_eq!(
            e.to_string(),
            "line 2: timestamp 1767225600000 looks like milliseconds, not Unix seconds (the year would be past 5000); declare the unit (time unit: milliseconds) to convert it"
        );
        // Seconds up to 10^11 - 1 (the year 5138) pass as they are.
        let log = read_touches(b"account_id,kind,timestamp\na,email,99999999999\n", &ids, &model()).expect("seconds");
        assert_eq!(log.latest, Some(99_999_999_999));
        // A refused line deep in the second half of a block is named by its line.
        let mut data = String::from("account_id,kind,timestamp\n");
        for _ in 0..1000 {
            data.push_str("a,email,1767225600\n");
        }
        data.push_str("b,email,1767225600123\n");
        assert!(matches!(
            read_touches(data.as_bytes(), &ids, &model()),
            Err(PoolError::TimestampUnit { line: 1002, unit: TimeUnit::Milliseconds, .. })
        ));
    }
}
