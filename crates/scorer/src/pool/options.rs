//! Options of the events readers: what a repeated account id does, and
//! the timestamps' unit.

/// What to do with an account id that appears on more than one row of the
/// accounts (see [`EventOptions::duplicates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DuplicateIds {
    /// Refuse the accounts ([`PoolError::DuplicateId`](super::PoolError::DuplicateId), naming the id and
    /// both rows): the default.
    #[default]
    Error,
    /// The id's first row receives its activities; its later rows none.
    First,
    /// The id's last row receives its activities; its earlier rows none.
    Last,
}

/// The unit of the events file's `timestamp` column (see [`EventOptions::time_unit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeUnit {
    /// Unix seconds (the pool format's unit).
    Seconds,
    /// Milliseconds since the Unix epoch.
    Milliseconds,
    /// Microseconds since the Unix epoch.
    Microseconds,
    /// Nanoseconds since the Unix epoch.
    Nanoseconds,
}

impl TimeUnit {
    /// Units per second.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn per_second(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Milliseconds => 1_000,
            TimeUnit::Microseconds => 1_000_000,
            TimeUnit::Nanoseconds => 1_000_000_000,
        }
    }

    /// The unit a timestamp of undeclared unit most likely has, when it is
    /// not seconds: Unix seconds stay below 10^11 until the year 5138, while
    /// today's time is ~1.7·10^12 ms, ~1.7·10^15 µs, ~1.7·10^18 ns.
    pub(crate) fn guess(ts: i64) -> Option<TimeUnit> {
        match ts.unsigned_abs() {
            0..100_000_000_000 => None,
            100_000_000_000..100_000_000_000_000 => Some(TimeUnit::Milliseconds),
            100_000_000_000_000..100_000_000_000_000_000 => Some(TimeUnit::Microseconds),
            _ => Some(TimeUnit::Nanoseconds),
        }
    }

    /// The unit's name in words (`milliseconds`).
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Milliseconds => "milliseconds",
            TimeUnit::Microseconds => "microseconds",
            TimeUnit::Nanoseconds => "nanoseconds",
        }
    }
}

impl std::fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the events' timestamps are written (see [`EventOptions::time_unit`]
/// and [`EventOptions::iso_dates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TimeFormat {
    /// Unix seconds, a value of 10^11 or more refused with the unit it most likely has.
    #[default]
    Seconds,
    /// Integers in the declared unit.
    Unit(TimeUnit),
    /// ISO 8601 dates or date-times, read as UTC.
    Iso,
}

/// Options of the events readers (`read_touches_with`,
/// `read_touches_path_with`, `read_engagement_path_with`,
/// `EngagementStore::from_events_path_with`, `read_latest_reps_path`, with
/// the `csv` feature): what a repeated account id does, how timestamps are
/// written, and which columns hold what.
///
/// The defaults read the pool format: `account_id`, `kind`, `timestamp`
/// (Unix seconds) and, where a reader needs it, `rep_id`. Another schema is
/// named column by column; nothing is guessed:
///
/// ```
/// use acctscore_scorer::pool::EventOptions;
/// // A CRM export: `account,sales_agent,engage_date` with dates such as
/// // 2016-10-20; every row is a meeting; rows without a date are left out
/// // and counted.
/// let options = EventOptions::new()
///     .account_column("account")
///     .rep_column("sales_agent")
///     .timestamp_column("engage_date")
///     .iso_dates()
///     .fixed_kind("meeting")
///     .skip_undated();
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOptions {
    pub(crate) duplicates: DuplicateIds,
    pub(crate) time: TimeFormat,
    pub(crate) account: String,
    pub(crate) kind: String,
    pub(crate) timestamp: String,
    pub(crate) rep: String,
    pub(crate) fixed_kind: Option<String>,
    pub(crate) skip_undated: bool,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            duplicates: DuplicateIds::Error,
            time: TimeFormat::Seconds,
            account: "account_id".to_string(),
            kind: "kind".to_string(),
            timestamp: "timestamp".to_string(),
            rep: "rep_id".to_string(),
            fixed_kind: None,
            skip_undated: false,
        }
    }
}

impl EventOptions {
    /// The defaults: the pool format's columns, duplicate ids are an error,
    /// timestamps are Unix seconds, a row with an empty timestamp is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the policy for repeated account ids.
    pub fn duplicates(mut self, policy: DuplicateIds) -> Self {
        self.duplicates = policy;
        self
    }

    /// Declares the timestamps' unit: each is converted to Unix seconds
    /// (rounded down), and no magnitude check is made.
    pub fn time_unit(mut self, unit: TimeUnit) -> Self {
        self.time = TimeFormat::Unit(unit);
        self
    }

    /// Timestamps are ISO 8601 dates or date-times (`2016-10-20`,
    /// `2016-10-20T09:30:00Z`, an offset such as `+01:00` converted; read
    /// as UTC without one), as [`Timestamp::parse_iso8601`](crate::core::Timestamp::parse_iso8601)
    /// reads them; anything else is an error with its line. CSV files only
    /// (a Parquet file's timestamps are typed).
    pub fn iso_dates(mut self) -> Self {
        self.time = TimeFormat::Iso;
        self
    }

    /// The column of account ids (default `account_id`).
    pub fn account_column(mut self, name: impl Into<String>) -> Self {
        self.account = name.into();
        self
    }

    /// The column of activity kinds (default `kind`).
    pub fn kind_column(mut self, name: impl Into<String>) -> Self {
        self.kind = name.into();
        self
    }

    /// The column of timestamps (default `timestamp`).
    pub fn timestamp_column(mut self, name: impl Into<String>) -> Self {
        self.timestamp = name.into();
        self
    }

    /// The column of the rep who did each activity (default `rep_id`; read
    /// where a reader needs reps).
    pub fn rep_column(mut self, name: impl Into<String>) -> Self {
        self.rep = name.into();
        self
    }

    /// Every row is an activity of kind `kind` (which the engagement model
    /// must know): for a log of one kind of activity with no kind column.
    /// No kind column is read. CSV files only.
    pub fn fixed_kind(mut self, kind: impl Into<String>) -> Self {
        self.fixed_kind = Some(kind.into());
        self
    }

    /// A row whose timestamp field is empty (an activity not yet dated, such
    /// as a CRM opportunity still in prospecting) is left out and counted
    /// (`undated` in what the readers return) instead of refused. A
    /// timestamp that is written but unreadable stays an error.
    pub fn skip_undated(mut self) -> Self {
        self.skip_undated = true;
        self
    }
}
