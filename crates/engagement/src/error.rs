//! The engagement error type.

use acctscore_core::{CoreError, Timestamp};

/// Errors raised by the engagement crate.
///
/// Every variant carries the structured facts of the failure rather than a
/// message string.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngagementError {
    /// A core check failed: a non-finite value, empty input, or a numeric
    /// setting outside its range ([`CoreError::ParameterOutOfRange`]), ...
    #[error(transparent)]
    Core(#[from] CoreError),
    /// An activity kind that the model does not define.
    #[error("unknown activity kind `{kind}`")]
    UnknownKind {
        /// The kind's name as given.
        kind: String,
    },
    /// A [`KindId`](crate::KindId) that does not belong to this model.
    #[error("kind id {id} is not defined by this model ({n_kinds} kinds)")]
    UnknownKindId {
        /// The id given.
        id: u16,
        /// Number of kinds the model defines.
        n_kinds: usize,
    },
    /// The same kind was configured twice (only when building from raw parts).
    #[error("activity kind `{kind}` is defined twice")]
    DuplicateKind {
        /// The kind's name.
        kind: String,
    },
    /// A weight is negative, NaN, infinite or above [`MAX_WEIGHT`](crate::MAX_WEIGHT).
    #[error("invalid weight {value} for kind `{kind}`: must be finite, >= 0 and <= 1e200")]
    InvalidWeight {
        /// The kind the weight belongs to.
        kind: String,
        /// The offending weight.
        value: f64,
    },
    /// A half-life is not a positive finite number of days (or is too short to represent).
    #[error("invalid half-life {days} days for kind `{kind}`: must be finite and > 0")]
    InvalidHalfLife {
        /// The kind the half-life belongs to.
        kind: String,
        /// The offending half-life in days.
        days: f64,
    },
    /// An account index is not below the number of accounts.
    #[error("account index {account} out of range for {n_accounts} accounts")]
    AccountOutOfRange {
        /// The index given.
        account: u32,
        /// Number of accounts.
        n_accounts: usize,
    },
    /// A rep index is not below the number of reps.
    #[error("rep index {rep} out of range for {n_reps} reps")]
    RepOutOfRange {
        /// The index given.
        rep: u32,
        /// Number of reps.
        n_reps: usize,
    },
    /// Two inputs that must have the same length do not.
    #[error("{what}: expected {expected} entries, found {found}")]
    LengthMismatch {
        /// What was compared.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A state was queried at a time before an activity it already holds.
    #[error("query at {query} precedes the latest applied activity at {latest}")]
    QueryBeforeLatest {
        /// The query time.
        query: Timestamp,
        /// Time of the latest activity in the state.
        latest: Timestamp,
    },
    /// A state built for a model with another number of half-life classes.
    #[error("state holds {found} half-life classes, the model has {expected}")]
    StateMismatch {
        /// Classes of the model.
        expected: usize,
        /// Classes of the state.
        found: usize,
    },
    /// Kept sums made with another engagement model.
    #[error("engagement sums were made with another model: its {what} differ from this model's")]
    OtherModel {
        /// What differs (kinds and weights, or half-lives).
        what: &'static str,
    },
    /// A deserialised state holds an invalid value.
    #[error("corrupt engagement state: {reason}")]
    CorruptState {
        /// What is wrong.
        reason: &'static str,
    },
    /// More ids than dense `u32` indices can number.
    #[error("{found} ids exceed the u32 index range")]
    TooManyIds {
        /// Number of ids given.
        found: usize,
    },
    /// A result would not be a finite number (use the log-scale variant instead).
    #[error("{what} overflows f64 (log value {log_value})")]
    Overflow {
        /// What overflowed.
        what: &'static str,
        /// The natural log of the value that does not fit.
        log_value: f64,
    },
}

/// Result alias for [`EngagementError`].
pub type Result<T, E = EngagementError> = std::result::Result<T, E>;
