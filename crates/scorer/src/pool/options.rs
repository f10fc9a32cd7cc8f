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

/// Options of the events readers (`read_touches_with`,
/// `read_touches_path_with`, `read_engagement_path_with`, with the `csv` feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct EventOptions {
    /// What a repeated account id in the accounts' id column does.
    pub duplicates: DuplicateIds,
    /// The timestamps' unit; `None` (the default): Unix seconds, and a
    /// timestamp of 10^11 or more (the year 5138 in seconds) is refused
    /// with the unit it most likely has ([`PoolError::TimestampUnit`](super::PoolError::TimestampUnit)).
    pub time_unit: Option<TimeUnit>,
}

impl EventOptions {
    /// The defaults: duplicate ids are an error, timestamps are Unix seconds.
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
        self.time_unit = Some(unit);
        self
    }
}
