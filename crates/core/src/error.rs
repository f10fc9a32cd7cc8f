//! The core error type.

/// Errors raised by the core checks and types.
///
/// Every variant carries the structured facts of the failure (which input,
/// which index, which value) rather than a message string.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A value that must be finite is NaN or infinite.
    #[error("{what}: non-finite value {value} at index {index}")]
    NonFinite {
        /// Which input held the value.
        what: &'static str,
        /// Flat index (row-major for matrices) of the value.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A value lies outside its allowed range.
    #[error("{what}: value {value} outside [{min}, {max}]")]
    OutOfRange {
        /// Which input held the value.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A value that must be a probability lies outside `[0, 1]`.
    #[error("{what}: value {value} at index {index} is not a probability in [0, 1]")]
    NotAProbability {
        /// Which input held the value.
        what: &'static str,
        /// Index of the value.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Two inputs that must agree in length or width do not.
    #[error("{what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// What was compared (for example "labels vs rows").
        what: &'static str,
        /// The expected length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// An input that must hold at least one row is empty.
    #[error("{what}: empty input")]
    Empty {
        /// Which input was empty.
        what: &'static str,
    },
    /// The labels hold one class only, so nothing can be learned.
    #[error("labels hold a single class ({positives} positives, {negatives} negatives)")]
    SingleClass {
        /// Number of positive labels.
        positives: usize,
        /// Number of negative labels.
        negatives: usize,
    },
    /// A numeric parameter is outside its allowed range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    ParameterOutOfRange {
        /// The parameter's name.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A parameter is invalid.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is invalid.
        reason: &'static str,
    },
}

/// Result alias for [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
