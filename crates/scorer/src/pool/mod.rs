//! The account pool format: typed rows for `accounts.csv` and `events.csv`,
//! a loader that reports bad rows with their line number, and (with the
//! `generate` feature) a seeded generator of the same schema.
//!
//! The schema:
//!
//! `accounts.csv`: `account_id, industry, business_model, employees,
//! founded_year, funding_total_usd, funding_last_round_days_ago,
//! web_traffic_monthly, web_traffic_growth_90d, has_ecommerce, sku_avg_price,
//! conversion_rate, country, job_title_of_contact, monthly_revenue_usd,
//! converted` — an empty field is missing; `has_ecommerce` is `true`/`false`;
//! `converted` is `1`/`0` (or empty when unknown); money in USD.
//!
//! `events.csv`: `account_id, kind, timestamp` and optionally `rep_id`
//! (kind: `email` | `call` | `meeting`; timestamp: Unix seconds).
//!
//! With the `parquet` feature each file may be Parquet instead (a path
//! ending in `.parquet`), with the same columns: strings (or Arrow
//! dictionaries of strings), numbers of any width, booleans, and for the
//! events' `timestamp` integers (Unix seconds) or an Arrow timestamp of any
//! unit. A value that cannot be read names its data row
//! ([`PoolError::BadValue`]); a column of the wrong type names the column,
//! the type found and what is read. `write_accounts_parquet` and
//! `write_events_parquet` write the pool so that the events reader maps
//! each row group's `account_id` dictionary to account rows once.
//!
//! ```
//! use acctscore_scorer::pool::{PoolGenerator, read_accounts, write_accounts};
//!
//! let pool = PoolGenerator::new(200).seed(7).generate();
//! let mut bytes = Vec::new();
//! write_accounts(&mut bytes, &pool.accounts)?;
//! let back = read_accounts(bytes.as_slice())?;
//! assert_eq!(back.len(), 200);
//! assert_eq!(back[0].account_id, pool.accounts[0].account_id);
//! # Ok::<(), acctscore_scorer::pool::PoolError>(())
//! ```

#[cfg(feature = "generate")]
mod generate;
#[cfg(feature = "csv")]
mod io;
mod options;
#[cfg(feature = "parquet")]
mod parquet;
mod records;
#[cfg(feature = "csv")]
mod touches;

#[cfg(feature = "generate")]
pub use generate::{ANOMALY_KINDS, GeneratedPool, INDUSTRIES, MAX_ACCOUNTS, PoolGenerator, Truth};
#[cfg(feature = "csv")]
pub use io::{
    RANKED_COLUMNS, read_accounts, read_accounts_path, read_events, read_events_path, write_accounts,
    write_accounts_path, write_events, write_events_path, write_ranked,
};
pub use options::{DuplicateIds, EventOptions, TimeUnit};
#[cfg(feature = "parquet")]
pub use parquet::{
    IdEncoding, account_arrow_options, write_accounts_parquet, write_events_parquet, write_events_parquet_with,
};
pub use records::{ACCOUNT_COLUMNS, ACCOUNT_SCHEMA, AccountRecord, EventRecord, accounts_to_frame};
#[cfg(feature = "csv")]
pub use touches::{
    AccountIndex, EngagementStore, FoldReport, LatestRep, LatestReps, StoredEngagement, read_latest_reps_path,
    read_recent_reps_path,
};
#[cfg(feature = "csv")]
pub use touches::{
    EngagementLog, MAX_EVENTS_LINE_BYTES, TouchLog, account_csv_options, read_accounts_frame, read_accounts_frame_only,
    read_engagement_path, read_engagement_path_with, read_touches, read_touches_discovering, read_touches_path,
    read_touches_path_with, read_touches_with,
};

#[cfg(feature = "fuzzing")]
pub(crate) use touches::{engagement_in_blocks, touches_in_blocks};

/// Errors of reading and writing pool files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The header lacks a column the reader requires (the pool format's,
    /// or the one its options name).
    #[error("the header lacks the required column `{column}`; {}", header_words(.available))]
    MissingColumn {
        /// The column's name.
        column: String,
        /// The header's columns, in order (empty for an input without a header).
        available: Vec<String>,
    },
    /// An error inside one file, with the file's path (the path readers
    /// wrap their errors in it, but for I/O errors, which name it already).
    #[error("{path}: {source}")]
    InFile {
        /// The path.
        path: String,
        /// What went wrong in it.
        source: Box<PoolError>,
    },
    /// A row could not be parsed.
    #[error("line {line}: {reason}")]
    BadRow {
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        /// What was wrong, as the CSV parser reported it.
        reason: String,
    },
    /// A reader was given a kind of file it does not read.
    #[error("{what}")]
    Unsupported {
        /// What is not supported, in words.
        what: &'static str,
    },
    /// A value of a columnar (Parquet) file that cannot be read, with its
    /// data row (1-based; such a file has no lines).
    #[error("data row {row}: {reason}")]
    BadValue {
        /// 1-based data row.
        row: u64,
        /// What is wrong, naming the column.
        reason: String,
    },
    /// A numeric field holds NaN or an infinity.
    #[error("line {line}: column `{column}` holds a non-finite number")]
    NonFinite {
        /// 1-based line number.
        line: u64,
        /// The column's name.
        column: &'static str,
    },
    /// An account id appears on two rows of the accounts (and the policy
    /// is to refuse them: see `EventOptions::duplicates`).
    #[error(
        "account id `{id}` appears on data rows {} and {} of the accounts; ids must be unique (or declare a duplicates policy: first or last)",
        .first_row + 1, .row + 1
    )]
    DuplicateId {
        /// The id.
        id: String,
        /// 0-based row of its first appearance.
        first_row: usize,
        /// 0-based row where it appears again.
        row: usize,
    },
    /// A timestamp too large for Unix seconds: its magnitude says another
    /// unit, which was not declared (see `EventOptions::time_unit`).
    #[error(
        "line {line}: timestamp {value} looks like {unit}, not Unix seconds (the year would be past 5000); declare the unit (time unit: {unit}) to convert it"
    )]
    TimestampUnit {
        /// 1-based line number.
        line: u64,
        /// The timestamp as written.
        value: i64,
        /// The unit its magnitude suggests.
        unit: TimeUnit,
    },
    /// Writing failed.
    #[error("write failed: {reason}")]
    Write {
        /// What the writer reported.
        reason: String,
    },
    /// A file could not be written whole (the previous file, if any, is intact).
    #[error(transparent)]
    File(#[from] crate::core::FileWriteError),
    /// An activity kind the engagement model does not know.
    #[error("line {line}: unknown activity kind `{kind}`")]
    UnknownKind {
        /// 1-based line number.
        line: u64,
        /// The kind as written.
        kind: String,
    },
    /// A generator asked for more accounts than it makes.
    #[error("{requested} accounts requested; the generator makes at most {max}")]
    TooManyAccounts {
        /// The count asked for.
        requested: usize,
        /// The most it makes (`MAX_ACCOUNTS`, with the `generate` feature).
        max: usize,
    },
    /// Building a frame from rows, or loading one from CSV, failed.
    #[error(transparent)]
    Frame(#[from] crate::frame::FrameError),
    /// Aggregating engagement failed.
    #[error(transparent)]
    Engagement(#[from] acctscore_engagement::EngagementError),
}

/// The header's columns for a message: at most 20 names, then "and N more".
fn header_words(names: &[String]) -> String {
    if names.is_empty() {
        return "the input has no header".to_string();
    }
    format!("it has: {}", acctscore_core::names_in_words(names))
}

#[cfg(feature = "csv")]
impl PoolError {
    /// The error of reading `path`: wrapped in [`PoolError::InFile`] unless
    /// it names a path already.
    pub(crate) fn in_file(self, path: &std::path::Path) -> PoolError {
        match self {
            PoolError::Io { .. }
            | PoolError::InFile { .. }
            | PoolError::Frame(
                crate::frame::FrameError::Io { .. }
                | crate::frame::FrameError::InFile { .. }
                | crate::frame::FrameError::Parquet { .. },
            ) => self,
            other => PoolError::InFile { path: path.display().to_string(), source: Box::new(other) },
        }
    }

    /// The error of a part of a file that numbers its lines from 0, as the
    /// error of the whole file whose line `first` that part starts on.
    pub(crate) fn after_line(self, first: u64) -> PoolError {
        match self {
            PoolError::BadRow { line, reason } => PoolError::BadRow { line: line + first, reason },
            PoolError::NonFinite { line, column } => PoolError::NonFinite { line: line + first, column },
            PoolError::UnknownKind { line, kind } => PoolError::UnknownKind { line: line + first, kind },
            PoolError::TimestampUnit { line, value, unit } => {
                PoolError::TimestampUnit { line: line + first, value, unit }
            }
            other => other,
        }
    }
}
