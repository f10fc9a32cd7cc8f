//! The anomaly crate's error type.

use acctscore_core::CoreError;

/// Errors raised when configuring the checks or fitting/loading the segment model.
///
/// Checking an account never fails: bad data is a finding, not an error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnomalyError {
    /// A core check failed: a non-finite value, empty input, or a numeric
    /// setting outside its range ([`CoreError::ParameterOutOfRange`]), ...
    #[error(transparent)]
    Core(#[from] CoreError),
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
    /// A segment model file that cannot be read: malformed, another format
    /// or version, a checksum mismatch, or a model that breaks its
    /// invariants ([`EnvelopeError::Invalid`](acctscore_core::EnvelopeError::Invalid)).
    #[error(transparent)]
    ModelFile(#[from] acctscore_core::EnvelopeError),
}

/// Result alias for [`AnomalyError`].
pub type Result<T, E = AnomalyError> = std::result::Result<T, E>;
