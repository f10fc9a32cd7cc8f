//! The fast paths of the scoring service: the accounts file straight into a
//! [`Frame`] through the frame crate's loader, and the events file
//! straight into engagement [`Touch`]es keyed by account row, parsed on two
//! threads without one allocation per row.

use super::PoolError;
use super::options::{DuplicateIds, EventOptions, TimeFormat, TimeUnit};
use super::records::{ACCOUNT_COLUMNS, ACCOUNT_SCHEMA};
use crate::core::Timestamp;
use crate::engagement::{BatchEngagement, EngagementModel, EngagementSums, KindId, Touch};
use crate::frame::csv::{CsvOptions, LineBlockError, for_each_line_block, split_unquoted_lines};
use crate::frame::{Column, Frame};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// CSV options that read `accounts.csv` with the pool's kinds, whatever the
/// values look like (so a file and the model agree on every column's kind).
pub fn account_csv_options() -> CsvOptions {
    ACCOUNT_SCHEMA.into_iter().fold(CsvOptions::new().delimiter(b','), |o, (c, k)| o.kind(c, k))
}

/// Reads `accounts.csv` into a [`Frame`] with the pool's column kinds
/// (as [`super::accounts_to_frame`] builds from rows, but for `converted`,
/// read as the number 0/1: the scorer reads either as the label). A path
/// ending in `.parquet` is read as Parquet (feature `parquet`), with the
/// same kinds: a column whose Arrow type cannot give its kind is an error
/// naming it.
///
/// # Errors
/// [`PoolError::MissingColumn`] for a header without a pool column, and the
/// loader's errors (bad rows with their line; for Parquet, a column of the
/// wrong type) as [`PoolError::Frame`], each in a [`PoolError::InFile`]
/// naming the path (I/O errors name it already).
pub fn read_accounts_frame(path: impl AsRef<Path>) -> Result<Frame, PoolError> {
    read_accounts_columns(path.as_ref(), None, &ACCOUNT_COLUMNS)
}

/// [`read_accounts_frame`] of only the named columns (a model's schema):
/// the others are neither parsed (CSV) nor decoded (Parquet). A named
/// column the file lacks is simply absent from the frame, so that the
/// scorer reading it names the column and what needs it.
///
/// # Errors
/// As [`read_accounts_frame`], but for the missing columns.
pub fn read_accounts_frame_only(path: impl AsRef<Path>, columns: &[&str]) -> Result<Frame, PoolError> {
    read_accounts_columns(path.as_ref(), Some(columns), &[])
}

fn read_accounts_columns(path: &Path, only: Option<&[&str]>, required: &[&str]) -> Result<Frame, PoolError> {
    #[cfg(feature = "parquet")]
    let frame = if super::parquet::is_parquet(path) {
        super::parquet::read_accounts(path, only)
    } else {
        read_accounts_csv(path, only)
    };
    #[cfg(not(feature = "parquet"))]
    let frame = read_accounts_csv(path, only);
    let frame = frame.map_err(|e| e.in_file(path))?;
    for column in required {
        if frame.column(column).is_err() {
            let available = frame.names().to_vec();
            let e = match ACCOUNT_COLUMNS.iter().copied().find(|c| c == column) {
                Some(column) => PoolError::MissingColumn { column: column.to_string(), available },
                None => crate::frame::FrameError::MissingColumn { column: column.to_string(), available }.into(),
            };
            return Err(e.in_file(path));
        }
    }
    Ok(frame)
}

fn read_accounts_csv(path: &Path, only: Option<&[&str]>) -> Result<Frame, PoolError> {
    let options = match only {
        Some(columns) => account_csv_options().only(columns.iter().copied()),
        None => account_csv_options(),
    };
    Ok(Frame::from_csv_path(path, &options)?)
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
    /// Rows with an empty timestamp, left out (only with
    /// [`EventOptions::skip_undated`]; otherwise such a row is an error).
    pub undated: u64,
}

impl TouchLog {
    /// An empty log with room for `capacity` touches.
    fn with_capacity(capacity: usize) -> Self {
        TouchLog { touches: Vec::with_capacity(capacity), unknown_accounts: 0, rows: 0, latest: None, undated: 0 }
    }
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
    let mut log = TouchLog::with_capacity(touch_capacity(len));
    let mut halves = [Half::new(None), Half::new(None)];
    read_events(path, ids, model, block, options, &mut halves, &mut log)?;
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
    /// Rows with an empty timestamp, left out (with [`EventOptions::skip_undated`]).
    pub undated: u64,
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
    read_sums_blocks(path, ids, model, now, 4 << 20, options).map(finished).map_err(|e| e.in_file(path))
}

/// The engagement of what [`read_sums_blocks`] read.
fn finished((sums, log): (EngagementSums, TouchLog)) -> EngagementLog {
    EngagementLog {
        engagement: sums.finish(),
        unknown_accounts: log.unknown_accounts,
        rows: log.rows,
        undated: log.undated,
    }
}

/// The running sums of an events file's activities, per account row of
/// `ids`, and the file's counts (its touches are not kept).
fn read_sums_blocks(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    now: Option<Timestamp>,
    block: usize,
    options: &EventOptions,
) -> Result<(EngagementSums, TouchLog), PoolError> {
    let n = ids.len();
    let mut halves = [0, 1].map(|_| Half::new(Some(EngagementSums::new(model, n, now))));
    let mut log = TouchLog::with_capacity(0);
    read_events(path, ids, model, block, options, &mut halves, &mut log)?;
    let mut parts = halves.into_iter().filter_map(|h| h.sums);
    let mut sums = parts.next().unwrap_or_else(|| EngagementSums::new(model, n, now));
    for part in parts {
        sums.merge(part)?;
    }
    Ok((sums, log))
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
    read_sums_blocks(path, ids, model, None, block, &EventOptions::default()).map(finished)
}

/// Reads the events file at `path` into `halves` and `log`: a `.parquet`
/// file (feature `parquet`) by row groups, any other as CSV in blocks of
/// `block` bytes.
fn read_events(
    path: &Path,
    ids: &Column,
    model: &EngagementModel,
    block: usize,
    options: &EventOptions,
    halves: &mut [Half; 2],
    log: &mut TouchLog,
) -> Result<(), PoolError> {
    #[cfg(feature = "parquet")]
    if super::parquet::is_parquet(path) {
        return parquet::read_events(path, ids, model, options, halves, log);
    }
    read_blocks(path, ids, block, options, |body, line, header, index| {
        parse_block(body, line, header, index, model, TimeField::of(options), halves, log)
    })
}

/// Streams the CSV events file `path` in blocks of `block` bytes: the header
/// is read, the id index of `ids` built, and `parse(body, first_line,
/// header, index)` called on each run of complete lines (it returns the
/// number of the next line).
fn read_blocks(
    path: &Path,
    ids: &Column,
    block: usize,
    options: &EventOptions,
    mut parse: impl FnMut(&[u8], u64, &Header, &IdIndex<'_>) -> Result<u64, PoolError>,
) -> Result<(), PoolError> {
    let io = |source| PoolError::Io { path: path.display().to_string(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let header = |line: &[u8]| -> Result<(Header, IdIndex<'_>), PoolError> {
        Ok((Header::parse(line, options)?, IdIndex::new(ids, options.duplicates)?))
    };
    let read = for_each_line_block(file, block, MAX_EVENTS_LINE_BYTES, header, |(header, index), body, line| {
        parse(body, line, header, index)
    })
    .map_err(|e| match e {
        LineBlockError::Io(source) => io(source),
        LineBlockError::LineTooLong { line } => line_too_long(line),
        LineBlockError::Each(e) => e,
    })?;
    if read.is_none() {
        // An empty file: still, the accounts' ids are checked.
        IdIndex::new(ids, options.duplicates)?;
        return Err(PoolError::MissingColumn { column: options.account.clone(), available: Vec::new() });
    }
    Ok(())
}

/// Where the fields of `events.csv` are.
struct Header {
    id: usize,
    /// The kind column; `None` with a fixed kind.
    kind: Option<usize>,
    /// The fixed kind of every row (empty when read from a column).
    fixed_kind: Vec<u8>,
    ts: usize,
    /// The optional rep column.
    rep: Option<usize>,
    n_fields: usize,
    /// The header's names, for an error naming what is there.
    names: Vec<String>,
}

impl Header {
    /// Reads the header line: fields split as CSV (a quoted name such as
    /// `"account_id"` is the name inside the quotes), trimmed; the columns
    /// are those `options` name.
    fn parse(line: &[u8], options: &EventOptions) -> Result<Header, PoolError> {
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
        let col = |name: &str| {
            names.iter().position(|h| *h == name.as_bytes()).ok_or_else(|| PoolError::MissingColumn {
                column: name.to_string(),
                available: names
                    .iter()
                    .filter(|h| !h.is_empty())
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect(),
            })
        };
        let rep = names.iter().position(|h| *h == options.rep.as_bytes());
        // In file order (account, kind, timestamp): a header lacking several
        // names the account first, as an empty file does.
        let id = col(&options.account)?;
        let kind = match options.fixed_kind {
            Some(_) => None,
            None => Some(col(&options.kind)?),
        };
        Ok(Header {
            id,
            kind,
            fixed_kind: options.fixed_kind.as_deref().unwrap_or_default().as_bytes().to_vec(),
            ts: col(&options.timestamp)?,
            rep,
            n_fields: names.len(),
            names: names.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect(),
        })
    }

    /// The kind of a row split into `fields`.
    #[inline]
    fn kind<'a>(&'a self, fields: &[&'a [u8]]) -> &'a [u8] {
        match self.kind {
            Some(k) => fields[k],
            None => &self.fixed_kind,
        }
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
        Half { log: TouchLog::with_capacity(0), sums }
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
    time: TimeField,
    halves: &mut [Half; 2],
    log: &mut TouchLog,
) -> Result<u64, PoolError> {
    let parse = |part: &[u8], line: u64, half: &mut Half| -> Result<u64, PoolError> {
        let lines = parse_part(part, line, header, index, (model, time), &mut half.log)?;
        if let Some(sums) = &mut half.sums {
            sums.add(&half.log.touches)?;
        }
        Ok(lines)
    };
    let (_, next_line) = on_two_halves(body, first_line, halves, parse)?;
    gather(halves, log);
    Ok(next_line)
}

/// Runs `parse(part, first_line, half)` on the two halves of `body` (cut
/// after the line feed nearest its middle) on two threads, the first half
/// into `halves[0]`. The second half numbers its lines from 0, and its
/// error is moved to its line in the file once the first half's count of
/// line feeds is known. Returns the lines where the second half and the
/// next block start.
fn on_two_halves<H: Send>(
    body: &[u8],
    first_line: u64,
    halves: &mut [H; 2],
    parse: impl Fn(&[u8], u64, &mut H) -> Result<u64, PoolError> + Sync,
) -> Result<(u64, u64), PoolError> {
    let mid = body.len() / 2;
    let cut = memchr::memchr(b'\n', &body[mid..]).map_or(body.len(), |p| mid + p + 1);
    let (first, second) = body.split_at(cut);
    let [h0, h1] = halves;
    #[cfg(feature = "parallel")]
    let (a, b) = rayon::join(|| parse(first, first_line, h0), || parse(second, 0, h1));
    #[cfg(not(feature = "parallel"))]
    let (a, b) = (parse(first, first_line, h0), parse(second, 0, h1));
    let second_line = first_line + a?;
    let next_line = second_line + b.map_err(|e| e.after_line(second_line))?;
    Ok((second_line, next_line))
}

/// Adds what the two halves of a block read to `log`: their counts, and
/// their touches when they keep no sums (first half first: file order).
fn gather(halves: &[Half; 2], log: &mut TouchLog) {
    for half in halves {
        if half.sums.is_none() {
            log.touches.extend_from_slice(&half.log.touches);
        }
        log.unknown_accounts += half.log.unknown_accounts;
        log.rows += half.log.rows;
        log.undated += half.log.undated;
        log.latest = log.latest.max(half.log.latest);
    }
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
    let header = Header::parse(&data[..header_end], options)?;
    let index = IdIndex::new(ids, options.duplicates)?;
    let body = data.get(header_end + 1..).unwrap_or(&[]);
    let mut log = TouchLog::with_capacity(body.len() / 30);
    let halves = &mut [Half::new(None), Half::new(None)];
    parse_block(body, 2, &header, &index, model, TimeField::of(options), halves, &mut log)?;
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
    let options = EventOptions::new();
    let header = Header::parse(&data[..header_end], &options)?;
    let body = data.get(header_end + 1..).unwrap_or(&[]);
    let new_sink = |len: usize| Sink::new(model, TimeField::of(&options), TouchLog::with_capacity(len / 30));
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
            log.undated += part.undated;
            log.latest = log.latest.max(part.latest);
        }
    } else {
        let mut sink = new_sink(body.len());
        quoted_rows(body, 2, &header, |line, id, kind, ts, _| {
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
        sink.row(line, Some(0), header.kind(fields), fields[header.ts])?;
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

/// A timestamp in Unix seconds: converted from the declared `unit`, or
/// checked to be seconds by its magnitude (`Err`: the unit it most likely
/// has).
#[inline]
fn to_seconds(ts: i64, unit: Option<TimeUnit>) -> Result<i64, TimeUnit> {
    match unit {
        None => match TimeUnit::guess(ts) {
            Some(unit) => Err(unit),
            None => Ok(ts),
        },
        Some(unit) => Ok(ts.div_euclid(unit.per_second())),
    }
}

/// How the timestamp field is read: its format, and whether an empty one
/// leaves the row out (counted as undated) or is an error.
#[derive(Debug, Clone, Copy)]
struct TimeField {
    format: TimeFormat,
    skip_undated: bool,
}

impl TimeField {
    fn of(options: &EventOptions) -> Self {
        TimeField { format: options.time, skip_undated: options.skip_undated }
    }

    /// The timestamp field `ts` of line `line` in Unix seconds (see
    /// [`to_seconds`]), `None` for an empty field when undated rows are
    /// skipped, or the error that names the line.
    #[inline]
    fn seconds(self, line: u64, ts: &[u8]) -> Result<Option<i64>, PoolError> {
        let ts = ts.trim_ascii();
        let unit = match self.format {
            TimeFormat::Seconds => None,
            TimeFormat::Unit(unit) => Some(unit),
            TimeFormat::Iso => {
                return match Timestamp::parse_iso8601(ts) {
                    Some(t) => Ok(Some(t.unix_seconds())),
                    None if ts.is_empty() && self.skip_undated => Ok(None),
                    None => Err(PoolError::BadRow {
                        line,
                        reason: format!(
                            "timestamp `{}` is not an ISO 8601 date (YYYY-MM-DD) or date-time",
                            String::from_utf8_lossy(ts)
                        ),
                    }),
                };
            }
        };
        match parse_i64(ts) {
            Some(value) => {
                to_seconds(value, unit).map(Some).map_err(|unit| PoolError::TimestampUnit { line, value, unit })
            }
            None if ts.is_empty() && self.skip_undated => Ok(None),
            None => Err(PoolError::BadRow { line, reason: "timestamp is not an integer".to_string() }),
        }
    }
}

/// Per-part state of the events parser: turns one row's fields into a touch.
struct Sink<'m> {
    model: &'m EngagementModel,
    time: TimeField,
    builtin: [Option<KindId>; 3],
    other_kinds: Vec<(Vec<u8>, KindId)>,
    log: TouchLog,
}

impl<'m> Sink<'m> {
    /// A sink of `model`'s kinds, adding to `log`.
    fn new(model: &'m EngagementModel, time: TimeField, log: TouchLog) -> Self {
        let builtin = [
            model.kind_id_by_name("email").ok(),
            model.kind_id_by_name("call").ok(),
            model.kind_id_by_name("meeting").ok(),
        ];
        Sink { model, time, builtin, other_kinds: Vec::new(), log }
    }

    /// One row; `account` is the id's row, `None` for an unknown account.
    fn row(&mut self, line: u64, account: Option<u32>, kind: &[u8], ts: &[u8]) -> Result<(), PoolError> {
        self.log.rows += 1;
        let Some(ts) = self.time.seconds(line, ts)? else {
            self.log.undated += 1;
            return Ok(());
        };
        let kind = self.kind(kind).ok_or_else(|| PoolError::UnknownKind {
            line,
            kind: String::from_utf8_lossy(kind.trim_ascii()).into_owned(),
        })?;
        self.push(account, kind, ts);
        Ok(())
    }

    /// The model's id of activity kind `kind` (trimmed); `None` for a kind
    /// the model does not know.
    #[inline]
    fn kind(&mut self, kind: &[u8]) -> Option<KindId> {
        // Array patterns compare inline (a byte-string pattern calls memcmp).
        match kind.trim_ascii() {
            [b'e', b'm', b'a', b'i', b'l'] if self.builtin[0].is_some() => self.builtin[0],
            [b'c', b'a', b'l', b'l'] if self.builtin[1].is_some() => self.builtin[1],
            [b'm', b'e', b'e', b't', b'i', b'n', b'g'] if self.builtin[2].is_some() => self.builtin[2],
            other => match self.other_kinds.iter().find(|(k, _)| k == other) {
                Some((_, id)) => Some(*id),
                None => {
                    let id = self.model.kind_id_by_name(&String::from_utf8_lossy(other)).ok()?;
                    self.other_kinds.push((other.to_vec(), id));
                    Some(id)
                }
            },
        }
    }

    /// One activity at `ts` (Unix seconds): a touch of `account`'s row, or
    /// counted as an unknown account's.
    #[inline]
    fn push(&mut self, account: Option<u32>, kind: KindId, ts: i64) {
        self.log.latest = Some(self.log.latest.map_or(ts, |l| l.max(ts)));
        match account {
            Some(account) => self.log.touches.push(Touch::new(account, kind, Timestamp::from_unix_seconds(ts))),
            None => self.log.unknown_accounts += 1,
        }
    }
}

/// Parses `part` into `log`, replacing what it held (its buffer is reused).
/// Returns the number of line feeds in `part`.
fn parse_part(
    part: &[u8],
    first_line: u64,
    header: &Header,
    index: &IdIndex<'_>,
    (model, time): (&EngagementModel, TimeField),
    log: &mut TouchLog,
) -> Result<u64, PoolError> {
    let mut touches = std::mem::take(&mut log.touches);
    touches.clear();
    let fresh = TouchLog { touches, ..TouchLog::with_capacity(0) };
    let mut sink = Sink::new(model, time, fresh);
    let result = if header.n_fields <= MAX_FIELDS && memchr::memchr(b'"', part).is_none() {
        // No quoting anywhere: split lines and fields directly.
        unquoted_rows(part, first_line, header.n_fields, |line, fields| {
            sink.row(line, index.get(fields[header.id].trim_ascii()), header.kind(fields), fields[header.ts])
        })
    } else {
        quoted_rows(part, first_line, header, |line, id, kind, ts, _| {
            sink.row(line, index.get(id.trim_ascii()), kind, ts)
        })
        .map(|()| memchr::memchr_iter(b'\n', part).count() as u64)
    };
    *log = sink.log;
    result
}

/// Calls `row(line, id, kind, ts, rep)` for every record of CSV `part` that may
/// hold quoted fields (read with the csv crate; the first record is line
/// `first_line`). A malformed record or one without the header's fields is
/// a [`PoolError::BadRow`].
fn quoted_rows(
    part: &[u8],
    first_line: u64,
    header: &Header,
    mut row: impl FnMut(u64, &[u8], &[u8], &[u8], Option<&[u8]>) -> Result<(), PoolError>,
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
        let kind = match header.kind {
            Some(k) => field(k),
            None => Some(header.fixed_kind.as_slice()),
        };
        let (Some(id), Some(kind), Some(ts)) = (field(header.id), kind, field(header.ts)) else {
            return Err(PoolError::BadRow { line, reason: "missing field".to_string() });
        };
        row(line, id, kind, ts, header.rep.and_then(field))?;
    }
}

mod ids;
mod owners;
#[cfg(feature = "parquet")]
mod parquet;
mod store;
pub use ids::AccountIndex;
use ids::{IdIndex, parse_i64};
pub use owners::{LatestRep, LatestReps, read_latest_reps_path, read_recent_reps_path};
pub use store::{EngagementStore, FoldReport, StoredEngagement};

#[cfg(test)]
mod tests;
