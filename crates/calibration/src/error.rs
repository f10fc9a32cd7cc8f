//! The calibration error type.

use acctscore_core::CoreError;

/// Errors raised by calibrators, cross-fitting, metrics and monitoring.
///
/// Input checks shared with the rest of acctscore (empty input, length
/// mismatch, NaN or infinite scores, single-class labels, invalid
/// parameters) arrive as [`CalibrationError::Core`] wrapping the
/// corresponding [`CoreError`] variant, so that a caller matches them the
/// same way in every crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationError {
    /// A shared input check failed: [`CoreError::Empty`],
    /// [`CoreError::ShapeMismatch`], [`CoreError::NonFinite`],
    /// [`CoreError::NotAProbability`], [`CoreError::SingleClass`] or
    /// [`CoreError::InvalidParameter`].
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Fewer rows than the computation needs (for example fewer rows than bins).
    #[error("{what}: needs at least {needed} rows, found {found}")]
    TooFewRows {
        /// What needed the rows.
        what: &'static str,
        /// Rows needed.
        needed: usize,
        /// Rows found.
        found: usize,
    },
    /// Cross-fitting needs at least one positive and one negative per fold.
    #[error("{folds} folds need at least {folds} positives and {folds} negatives, found {positives} and {negatives}")]
    TooFewForFolds {
        /// Folds asked for.
        folds: usize,
        /// Positive labels available.
        positives: usize,
        /// Negative labels available.
        negatives: usize,
    },
    /// No threshold reaches the asked-for target.
    #[error("no threshold reaches {metric} {target}; the best reachable is {best}")]
    TargetUnreachable {
        /// The metric targeted ("precision", "recall").
        metric: &'static str,
        /// The target asked for.
        target: f64,
        /// The best value any threshold reaches.
        best: f64,
    },
    /// A metric is undefined on this input (a zero denominator).
    #[error("{metric} is undefined: {reason}")]
    Undefined {
        /// The metric.
        metric: &'static str,
        /// Why it is undefined.
        reason: &'static str,
    },
    /// The model being cross-fitted failed to fit or score.
    #[error("model failed on fold {fold:?}: {source}")]
    Model {
        /// The fold whose training failed (`None` for the final fit on all rows).
        fold: Option<usize>,
        /// The model's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A calibrator built from parts that break its invariants (unsorted
    /// thresholds or edges, values outside `[0, 1]`, a non-finite coefficient).
    #[error(transparent)]
    Invalid(#[from] acctscore_core::InvalidModel),
    /// A calibrator file that cannot be read: malformed, another format or
    /// version, a checksum mismatch, or a calibrator that breaks its
    /// invariants ([`EnvelopeError::Invalid`](acctscore_core::EnvelopeError::Invalid)).
    #[error(transparent)]
    ModelFile(#[from] acctscore_core::EnvelopeError),
}

/// Result alias for [`CalibrationError`].
pub type Result<T, E = CalibrationError> = std::result::Result<T, E>;
