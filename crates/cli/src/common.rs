//! What every subcommand shares: the global options and the stderr display
//! (stage lines, a spinner), errors with their causes (the mapping file is `mapfile`),
//! reading accounts and activity logs, option parsers, and whole-file output.

use acctscore::core::Timestamp;
use acctscore::frame::csv::CsvOptions;
use acctscore::frame::{ColumnKind, Frame};
use acctscore::pool::{
    EngagementLog, EngagementStore, EventOptions, account_csv_options, read_accounts_frame, read_engagement_path_with,
};
use acctscore::{ColumnMapping, NeededBy, Scorer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Display;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) use crate::mapfile::{MapFile, RepsSection};

// ---------------------------------------------------------------- errors

/// Any error of a run.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of a run.
pub(crate) type Result<T, E = BoxError> = std::result::Result<T, E>;

/// An error with a message and, optionally, the error that caused it
/// (printed after it, `: `-separated, by [`error_line`]).
#[derive(Debug)]
pub(crate) struct Failure {
    message: String,
    source: Option<BoxError>,
}

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A failed run with `message` and no cause.
pub(crate) fn fail(message: impl Display) -> BoxError {
    Box::new(Failure { message: message.to_string(), source: None })
}

/// A usage error found after parsing (a check across options): exit code 2.
#[derive(Debug)]
pub(crate) struct UsageError(pub String);

impl Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error as a run's error.
pub(crate) fn usage(message: impl Display) -> BoxError {
    Box::new(UsageError(message.to_string()))
}

/// Adds what was being done to an error: `context: cause`.
pub(crate) trait Context<T> {
    /// The error, if any, as the cause of the message built (only on error).
    fn with_context<M: Display>(self, message: impl FnOnce() -> M) -> Result<T>;
}

impl<T, E: Into<BoxError>> Context<T> for std::result::Result<T, E> {
    fn with_context<M: Display>(self, message: impl FnOnce() -> M) -> Result<T> {
        self.map_err(|e| Box::new(Failure { message: message().to_string(), source: Some(e.into()) }) as BoxError)
    }
}

/// The error and its causes on one line: `msg: cause: cause`. A cause whose
/// text the line holds already (many errors print their source in their own
/// message) is not repeated; line breaks inside a message become spaces.
pub(crate) fn error_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let mut text = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        // `path: message` where the line names the path already: the message only.
        while let Some((head, rest)) = text.split_once(": ") {
            if head.is_empty() || !line.contains(head) {
                break;
            }
            text = rest.to_string();
        }
        if !text.is_empty() && !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        next = e.source();
    }
    line
}

/// Whether `e`, or an error it wraps, is a broken pipe (stdout's reader went away).
pub(crate) fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        if let Some(c) = e.downcast_ref::<csv::Error>()
            && let csv::ErrorKind::Io(io) = c.kind()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return true;
        }
        next = e.source();
    }
    false
}

// ---------------------------------------------------------------- the display

/// How much goes to stderr: set by the global `-q`/`-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verbosity {
    /// `-q`: errors and warnings only.
    Quiet,
    /// Default: a spinner per long stage on a terminal, notes.
    Normal,
    /// `-v`: also a line per stage with its seconds.
    Verbose,
}

/// The stderr display of a run: notes, warnings, and stages (a spinner on
/// a terminal unless `-q`; a line with the stage's seconds with `-v`).
/// Stdout holds only a command's result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ui {
    verbosity: Verbosity,
    spinner: bool,
}

impl Ui {
    /// The display for `verbosity`; spinners only when stderr is a terminal.
    pub(crate) fn new(verbosity: Verbosity) -> Self {
        Ui { verbosity, spinner: verbosity != Verbosity::Quiet && io::stderr().is_terminal() }
    }

    /// A note on stderr (not with `-q`).
    pub(crate) fn note(&self, message: impl Display) {
        if self.verbosity != Verbosity::Quiet {
            to_stderr(format_args!("{message}\n"));
        }
    }

    /// A detail on stderr (with `-v` only).
    pub(crate) fn detail(&self, message: impl Display) {
        if self.verbosity == Verbosity::Verbose {
            to_stderr(format_args!("{message}\n"));
        }
    }

    /// A named warning on stderr (always, `-q` included: something was not
    /// honoured as asked, or was left out).
    pub(crate) fn warn(&self, message: impl Display) {
        to_stderr(format_args!("warning: {message}\n"));
    }

    /// Runs `work` as the stage `what` (a spinner meanwhile on a terminal;
    /// with `-v`, a line with its seconds after).
    pub(crate) fn stage<T>(&self, what: &str, work: impl FnOnce() -> T) -> T {
        let bar = self.spinner.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar.set_message(what.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let start = Instant::now();
        let out = work();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        self.detail(format_args!("{what}: {:.2} s", start.elapsed().as_secs_f64()));
        out
    }
}

// ---------------------------------------------------------------- output

/// The format of a table printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned text for a person.
    Text,
    /// CSV with a header.
    Csv,
    /// One JSON document.
    Json,
}

/// Runs `body` on stdout (locked, buffered, flushed at the end). A reader
/// that went away (`| head`) ends the output quietly.
///
/// # Errors
/// Writes `text` to stderr. A closed stderr (`2>&1 | head -1`) neither stops
/// the run nor makes it panic: the notes are for a reader who has left, and
/// the files written and the exit code still tell.
pub(crate) fn to_stderr(text: impl Display) {
    use std::io::Write;
    let _ = write!(std::io::stderr().lock(), "{text}");
}

/// Other errors of `body` or of the flush.
pub(crate) fn to_stdout(body: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let result = body(&mut out).and_then(|()| out.flush().map_err(BoxError::from));
    match result {
        Err(e) if is_broken_pipe(&*e) => Ok(()),
        other => other,
    }
}

/// Runs `body` on the file `path`, written whole (a temporary file beside
/// it, renamed over it once `body` succeeded), or on stdout when `path` is `-`.
///
/// # Errors
/// The errors of `body`, and of writing the file (naming it).
pub(crate) fn to_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    if path == Path::new("-") {
        return to_stdout(body);
    }
    acctscore::core::write_atomic(path, |w| body(w)).with_context(|| format!("writing {}", path.display()))
}

// ---------------------------------------------------------------- option parsers

/// A whole number in `[1, max]`.
///
/// # Errors
/// Not a whole number, or out of range.
pub(crate) fn count_in(s: &str, max: usize) -> Result<usize, String> {
    let v: usize = s.trim().parse().map_err(|_| format!("`{s}` is not a whole number"))?;
    if (1..=max).contains(&v) { Ok(v) } else { Err(format!("`{s}` is not in [1, {max}]")) }
}

/// Most of anything counted by an option: 100 million.
pub(crate) const MAX_COUNT: usize = 100_000_000;

/// A whole number in `[1, MAX_COUNT]`.
///
/// # Errors
/// As [`count_in`].
pub(crate) fn count(s: &str) -> Result<usize, String> {
    count_in(s, MAX_COUNT)
}

/// An account count for the generator: in `[1, MAX_ACCOUNTS]`.
///
/// # Errors
/// As [`count_in`].
pub(crate) fn accounts(s: &str) -> Result<usize, String> {
    count_in(s, acctscore::pool::MAX_ACCOUNTS)
}

/// A share strictly between 0 and 1.
///
/// # Errors
/// Not a number, or not in `(0, 1)`.
pub(crate) fn open_share(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v > 0.0 && v < 1.0 { Ok(v) } else { Err(format!("`{s}` is not strictly between 0 and 1")) }
}

/// A finite number.
///
/// # Errors
/// Not a number, or not finite (`NaN`, an infinity, `1e400`).
pub(crate) fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() { Ok(v) } else { Err(format!("`{s}` is not a finite number")) }
}

/// An AUC threshold: a number in `[0.5, 1]`.
///
/// # Errors
/// Not a finite number, or out of range.
pub(crate) fn auc_threshold(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if (0.5..=1.0).contains(&v) { Ok(v) } else { Err(format!("`{s}` is not in [0.5, 1]")) }
}

/// A field delimiter: one ASCII character, or `\t` / `tab` for a tab.
///
/// # Errors
/// Anything else (a UTF-8 file never holds a byte of a multi-byte character alone).
pub(crate) fn delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!("`{s}` is not one ASCII character (`\\t` for tab)")),
    }
}

/// `KIND=VALUE` with `value` checked by `check` (the engagement options of `fit`).
///
/// # Errors
/// No `=`, an empty kind, or a value `check` refuses.
pub(crate) fn kind_value(s: &str, check: impl Fn(&str) -> Result<f64, String>) -> Result<(String, f64), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("`{s}` is not KIND=VALUE"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("`{s}` has an empty kind"));
    }
    let v = check(v).map_err(|e| format!("`{s}`: {e}"))?;
    Ok((k.to_owned(), v))
}

/// A time: Unix seconds (`1767225600`), a date (`2026-01-01`, midnight
/// UTC) or a date and time (`2026-01-01T12:00:00Z`; without `Z` or an
/// offset such as `+01:00`, read as UTC).
///
/// # Errors
/// Any other form, or a date that does not exist.
pub(crate) fn time(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(Timestamp::from_unix_seconds(secs));
    }
    Timestamp::parse_iso8601(s.as_bytes())
        .ok_or_else(|| format!("`{s}` is not Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"))
}

// ---------------------------------------------------------------- reading inputs

/// How an accounts file is read: the pool format, or any schema through a mapping file.
#[derive(Debug, Clone)]
pub(crate) enum Schema {
    /// The account pool format (`accounts.csv`'s columns and kinds).
    Pool,
    /// Any CSV, its columns named by a mapping file.
    Mapped {
        /// The mapping file's path.
        path: PathBuf,
        /// Its contents.
        map: Box<MapFile>,
    },
}

impl Schema {
    /// The pool format without `map`, else the mapping file.
    ///
    /// # Errors
    /// As [`MapFile::read`].
    pub(crate) fn from_option(map: Option<&Path>) -> Result<Schema> {
        Ok(match map {
            None => Schema::Pool,
            Some(path) => Schema::Mapped { path: path.to_path_buf(), map: Box::new(MapFile::read(path)?) },
        })
    }

    /// The CSV options a batch to score is read with (before the model's kinds).
    ///
    /// # Errors
    /// As [`MapFile::csv_options`].
    pub(crate) fn base_options(&self) -> Result<CsvOptions> {
        match self {
            Schema::Pool => Ok(account_csv_options()),
            Schema::Mapped { map, .. } => map.csv_options(),
        }
    }

    /// The events readers' options: the pool format's, or the mapping
    /// file's `[events]` section.
    ///
    /// # Errors
    /// As [`EventsSection::options`].
    pub(crate) fn event_options(&self) -> Result<EventOptions> {
        match self {
            Schema::Pool => Ok(EventOptions::new()),
            Schema::Mapped { map, .. } => map.events.options(),
        }
    }

    /// The reps file's columns: the mapping file's `[reps]` section, if any.
    pub(crate) fn reps(&self) -> RepsSection {
        match self {
            Schema::Pool => RepsSection::default(),
            Schema::Mapped { map, .. } => map.reps.clone(),
        }
    }

    /// The mapping to fit with, `target` as the outcome column.
    pub(crate) fn mapping(&self, target: &str) -> ColumnMapping {
        match self {
            Schema::Pool => ColumnMapping::pool().label(target),
            Schema::Mapped { map, .. } => map.mapping(Some(target)),
        }
    }

    /// Reads a frame to fit on: the pool reader (every pool column
    /// required), or the CSV loader with the mapping file's options and
    /// its id column as text, every column it names checked.
    ///
    /// # Errors
    /// The readers' errors, naming the file; a column the mapping names
    /// that the file lacks.
    pub(crate) fn read_fit_frame(&self, path: &Path, mapping: &ColumnMapping) -> Result<Frame> {
        match self {
            Schema::Pool => read_accounts_frame(path).with_context(|| {
                format!("reading {} in the pool format (--map FILE for another schema)", path.display())
            }),
            Schema::Mapped { map, .. } => {
                let mut o = map.csv_options()?;
                if let Some(id) = mapping.id_column() {
                    o = o.id(id);
                }
                let frame = Frame::from_csv_path(path, &o).with_context(|| path.display())?;
                map.check_columns(&frame, path)?;
                Ok(frame)
            }
        }
    }
}

/// The CSV options of a file read as a table (`quality`, `evaluate`): the
/// `[csv]` section of the mapping file `map`, if any, then `delimiter`, if given.
///
/// # Errors
/// As [`MapFile::read`].
pub(crate) fn table_options(map: Option<&Path>, delimiter: Option<u8>) -> Result<CsvOptions> {
    let options = match Schema::from_option(map)? {
        Schema::Pool => CsvOptions::new(),
        Schema::Mapped { map, .. } => map.csv_options()?,
    };
    Ok(match delimiter {
        Some(d) => options.delimiter(d),
        None => options,
    })
}
/// Loads a model file, naming it in an error.
///
/// # Errors
/// The file cannot be read or is not a valid model.
pub(crate) fn load_model(ui: &Ui, path: &Path) -> Result<Scorer> {
    ui.stage("loading the model", || Scorer::load(path)).with_context(|| format!("model file {}", path.display()))
}

/// The model file, the accounts it reads and the mapping file it was
/// fitted with: the options `score`, `explain` and `engagement init` share.
#[derive(clap::Args, Debug)]
pub(crate) struct ModelAccounts {
    /// Model file written by `fit`.
    #[arg(long, value_name = "MODEL")]
    pub(crate) model: PathBuf,
    /// Accounts file (the model's columns; other columns are ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) accounts: PathBuf,
    /// Mapping file the model was fitted with (for its `[csv]` and `[events]`
    /// reading options; its columns must be the model's).
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
}

impl ModelAccounts {
    /// Loads the model, then the accounts as it reads them (the `carry`
    /// columns kept as text; see [`read_batch`]), and the mapping file's schema.
    ///
    /// # Errors
    /// An unreadable or invalid model or mapping file; an unreadable accounts file.
    pub(crate) fn load(&self, ui: &Ui, carry: &[String]) -> Result<(Scorer, Schema, Frame)> {
        let scorer = load_model(ui, &self.model)?;
        let schema = Schema::from_option(self.map.as_deref())?;
        let frame = ui.stage("reading the accounts", || read_batch(&scorer, &schema, &self.accounts, carry))?;
        Ok((scorer, schema, frame))
    }
}

/// Reads a batch to score (CSV, or Parquet by its `.parquet` extension)
/// with the model's kinds and checks it against the model's schema; the
/// columns `as_text` that the model does not read are read as text, byte
/// for byte.
///
/// # Errors
/// The loader's errors and a schema mismatch, naming the file.
pub(crate) fn read_batch(scorer: &Scorer, schema: &Schema, path: &Path, as_text: &[String]) -> Result<Frame> {
    let mut base = schema.base_options()?;
    // Columns copied to an output keep their bytes (a `yes` stays `yes`),
    // unless the model reads them (then they keep the model's kind).
    for c in as_text {
        if scorer.schema().iter().all(|(n, _)| n != c) {
            base = base.kind(c, ColumnKind::Text);
        }
    }
    if let Schema::Mapped { map, path: map_path } = schema {
        // The model file holds the mapping; the file's may only repeat it.
        for (key, column) in map.named_columns() {
            if key != "not_features" && scorer.schema().iter().all(|(n, _)| n != column) {
                return Err(fail(format!(
                    "mapping file {}: `{key}` names column `{column}`, which the model does not read (fitted with another mapping?)",
                    map_path.display()
                )));
            }
        }
    }
    if is_parquet(path) {
        return read_parquet_batch(scorer, path, as_text);
    }
    let frame = scorer.read_csv_path(path, &base).with_context(|| path.display())?;
    Ok(frame)
}

/// The account id column of a fitted model (the schema column read as the
/// account id), if it has one.
pub(crate) fn id_column(scorer: &Scorer) -> Option<&str> {
    scorer.schema().iter().map(|(n, _)| n.as_str()).find(|n| scorer.needed_by(n).contains(&NeededBy::AccountId))
}

/// Engagement of every row of `frame` from the activity log `events` (read
/// with `options`) at `now` (default: the latest activity), with the counts
/// of what was left out as notes (undated rows as a warning).
///
/// # Errors
/// A model without an id column; the reader's errors, naming the file.
pub(crate) fn read_engagement(
    ui: &Ui,
    scorer: &Scorer,
    frame: &Frame,
    events: &Path,
    now: Option<Timestamp>,
    options: &EventOptions,
) -> Result<EngagementLog> {
    let id = id_column(scorer)
        .ok_or_else(|| fail("--events needs the model's account id column (map `id` in the mapping file)"))?;
    let ids = frame.column(id)?;
    let log = ui.stage("reading the activity log", || {
        read_engagement_path_with(events, ids, scorer.engagement_model(), now, options)
    })?;
    warn_undated(ui, events, log.undated);
    ui.note(format_args!(
        "{}: {} activities read, {} used{}",
        events.display(),
        log.rows,
        log.engagement.used(),
        match now {
            Some(t) => format!(" at --now {t}"),
            None => format!(" at the latest activity ({})", log.engagement.now()),
        }
    ));
    if log.unknown_accounts > 0 {
        ui.note(format_args!(
            "{}: {} activities whose account id (empty, or not in the accounts file) is left out",
            events.display(),
            log.unknown_accounts
        ));
    }
    if log.engagement.ignored_future() > 0 {
        ui.warn(format_args!(
            "{}: {} activities after --now left out",
            events.display(),
            log.engagement.ignored_future()
        ));
    }
    Ok(log)
}

/// Warns of `undated` activities of `events` left out (the mapping's `undated = "skip"`).
pub(crate) fn warn_undated(ui: &Ui, events: &Path, undated: u64) {
    if undated > 0 {
        ui.warn(format_args!(
            "{}: {undated} activities without a timestamp left out (the mapping's undated = \"skip\")",
            events.display()
        ));
    }
}

/// Engagement of every row of `frame` from a state file kept by
/// `engagement init`/`update`, at `now` (default: the latest activity held),
/// with the accounts the state does not hold as a warning.
///
/// # Errors
/// A model without an id column; an unreadable state or one of another
/// model, naming the file; `now` before the latest activity held.
pub(crate) fn read_engagement_state(
    ui: &Ui,
    scorer: &Scorer,
    frame: &Frame,
    path: &Path,
    now: Option<Timestamp>,
) -> Result<Vec<f64>> {
    let id = id_column(scorer)
        .ok_or_else(|| fail("--engagement-state needs the model's account id column (map `id` in the mapping file)"))?;
    let store = ui
        .stage("reading the engagement state", || EngagementStore::load(path, scorer.engagement_model()))
        .with_context(|| format!("engagement state {}", path.display()))?;
    let read =
        store.engagement_for(frame.column(id)?, now).with_context(|| format!("engagement state {}", path.display()))?;
    ui.note(format_args!("{}: engagement of {} accounts at {}", path.display(), store.n_accounts(), read.now));
    if read.not_in_store > 0 {
        ui.warn(format_args!(
            "{}: {} accounts are not in the engagement state; their engagement is 0 (run `engagement init` with this accounts file)",
            path.display(),
            read.not_in_store
        ));
    }
    Ok(read.scores)
}

/// [`read_batch`] of a Parquet file: the model's columns with the model's
/// kinds, and the columns `as_text`.
#[cfg(feature = "parquet")]
fn read_parquet_batch(scorer: &Scorer, path: &Path, as_text: &[String]) -> Result<Frame> {
    use acctscore::frame::arrow::ArrowOptions;
    let mut options =
        ArrowOptions::new().only(scorer.schema().iter().map(|(n, _)| n.clone()).chain(as_text.iter().cloned()));
    for (name, kind) in scorer.schema() {
        options = options.kind(name, *kind);
    }
    let frame = Frame::from_parquet_path(path, &options)?;
    scorer.check_schema(&frame).with_context(|| path.display())?;
    Ok(frame)
}

/// Without the `parquet` feature, a Parquet file is refused with how to read it.
#[cfg(not(feature = "parquet"))]
fn read_parquet_batch(_: &Scorer, path: &Path, _: &[String]) -> Result<Frame> {
    Err(fail(format!(
        "{}: a Parquet file, and this acctscore was built without Parquet support (build it with `--features parquet`)",
        path.display()
    )))
}

/// Whether `path` names a Parquet file (by its extension, as the pool readers decide).
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_three_forms() {
        assert_eq!(time("1767225600"), Ok(Timestamp::from_unix_seconds(1_767_225_600)));
        assert_eq!(time("2026-01-01"), Ok(Timestamp::from_unix_seconds(1_767_225_600)));
        assert_eq!(time("2026-01-01T00:00:10Z"), Ok(Timestamp::from_unix_seconds(1_767_225_610)));
        assert_eq!(time("1970-01-01"), Ok(Timestamp::from_unix_seconds(0)));
        assert_eq!(time("2024-02-29"), Ok(Timestamp::from_unix_seconds(1_709_164_800)));
        assert_eq!(time("2026-01-01T00:00:10"), Ok(Timestamp::from_unix_seconds(1_767_225_610)));
        for bad in ["2025-02-29", "2026-13-01", "yesterday", "2026-01-01T25:00:00Z", "1/1/2026"] {
            assert!(time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn causes_on_one_line_without_repeats() {
        let inner: BoxError = fail("line 2: bad");
        let e: Result<()> = Err(inner).with_context(|| "x.csv: line 2: bad");
        let e = e.with_context(|| "reading").expect_err("an error");
        assert_eq!(error_line(&*e), "reading: x.csv: line 2: bad");
        let inner: BoxError = fail("/a/m.json: not found");
        let e: Result<()> = Err(inner).with_context(|| "model file /a/m.json");
        assert_eq!(error_line(&*e.expect_err("an error")), "model file /a/m.json: not found");
    }

    #[test]
    fn mapping_files_refuse_unknown_keys() {
        assert!(toml::from_str::<MapFile>("id = \"a\"\nemployes = \"b\"\n").is_err());
        let m: MapFile = toml::from_str("id = \"a\"\n[csv]\ndelimiter = \";\"\n").expect("valid");
        assert_eq!(m.mapping(Some("y")).id_column(), Some("a"));
        assert!(toml::from_str::<MapFile>("[csv]\nseparator = \";\"\n").is_err());
    }
}
