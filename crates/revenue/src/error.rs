//! The revenue crate's error type.

use acctscore_core::CoreError;

/// Errors raised by revenue estimation, ranges, penalties and the learned model.
///
/// Every variant carries the structured facts of the failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevenueError {
    /// A core check failed: a non-finite value, empty input, or a numeric
    /// setting outside its range ([`CoreError::ParameterOutOfRange`]), ...
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The preferred revenue range is not `0 < low < high`.
    #[error("invalid revenue range [{low}, {high}]: need 0 < low < high")]
    InvalidRange {
        /// Lower end of the range (monthly revenue).
        low: f64,
        /// Upper end of the range (monthly revenue).
        high: f64,
    },
    /// The benchmark table (TOML) could not be parsed.
    #[error("benchmark table: {message}")]
    BenchmarkParse {
        /// The parser's message, with line and column.
        message: String,
    },
    /// A benchmark table value is not a positive finite number.
    #[error("benchmark table: `{key}` = {value} must be positive and finite")]
    BenchmarkValue {
        /// The offending key (for example `revenue_per_employee.Software`).
        key: String,
        /// The offending value.
        value: f64,
    },
    /// A learned model file that cannot be read: malformed, another format
    /// or version, a checksum mismatch, or a model that breaks its
    /// invariants ([`EnvelopeError::Invalid`](acctscore_core::EnvelopeError::Invalid)).
    #[error(transparent)]
    ModelFile(#[from] acctscore_core::EnvelopeError),
    /// The calibrator (acctscore-calibration) could not be fitted: its
    /// typed error (a shared input check arrives as [`RevenueError::Core`],
    /// an unreadable file as [`RevenueError::ModelFile`]).
    #[error("calibration: {0}")]
    Calibration(acctscore_calibration::CalibrationError),
    /// Fitting did not converge to finite weights.
    #[error("learned model did not converge after {iterations} iterations")]
    NotConverged {
        /// Iterations run.
        iterations: usize,
    },
}

impl From<acctscore_calibration::CalibrationError> for RevenueError {
    fn from(e: acctscore_calibration::CalibrationError) -> Self {
        match e {
            acctscore_calibration::CalibrationError::ModelFile(e) => RevenueError::ModelFile(e),
            acctscore_calibration::CalibrationError::Core(e) => RevenueError::Core(e),
            e => RevenueError::Calibration(e),
        }
    }
}

/// Result alias for [`RevenueError`].
pub type Result<T, E = RevenueError> = std::result::Result<T, E>;

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(CoreError::ParameterOutOfRange { name, value, reason: "must be positive and finite" }.into())
    }
}
