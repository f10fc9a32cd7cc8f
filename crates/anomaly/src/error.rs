//! The anomaly crate's error type.

use acctscore_core::CoreError;

/// Errors raised when configuring the checks or fitting/loading the segment model.
///
/// Checking an account never fails: bad data is a finding, not an error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnomalyError {
    /// A core check failed (non-finite value, empty input, ...).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A parameter is invalid.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// The bounds table (TOML) could not be parsed.
    #[error("bounds table: {message}")]
    BoundsParse {
        /// The parser's message, with line and column.
        message: String,
    },
    /// A bounds table entry is invalid (negative, NaN, or min above max).
    #[error("bounds table: `{key}` has min {min} and max {max}; need 0 <= min < max")]
    BoundsValue {
        /// The offending entry (`default` or the industry).
        key: String,
        /// Its lower bound.
        min: f64,
        /// Its upper bound.
        max: f64,
    },
    /// A serialised segment model could not be read.
    #[error("model file: {message}")]
    ModelFormat {
        /// The deserialiser's message.
        message: String,
    },
    /// A serialised segment model has another format version.
    #[error("model file has format version {found}, expected {expected}")]
    FormatVersion {
        /// Version found in the file.
        found: u32,
        /// Version this library reads.
        expected: u32,
    },
}

/// Result alias for [`AnomalyError`].
pub type Result<T, E = AnomalyError> = std::result::Result<T, E>;
