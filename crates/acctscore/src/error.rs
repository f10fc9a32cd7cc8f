//! The facade's error type: one variant per crate.

use crate::features::ColumnKind;

/// Errors of the facade: each wraps the error of the crate that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A core check failed.
    #[error(transparent)]
    Core(#[from] crate::core::CoreError),
    /// Frames or encoders failed.
    #[error(transparent)]
    Features(#[from] crate::features::FeaturesError),
    /// An ICP model failed.
    #[error(transparent)]
    Icp(#[from] crate::icp::IcpError),
    /// Calibration failed.
    #[error(transparent)]
    Calibration(#[from] crate::calibration::CalibrationError),
    /// Revenue estimation failed.
    #[error(transparent)]
    Revenue(#[from] crate::revenue::RevenueError),
    /// Anomaly checks failed.
    #[error(transparent)]
    Anomaly(#[from] crate::anomaly::AnomalyError),
    /// Engagement failed.
    #[error(transparent)]
    Engagement(#[from] crate::engagement::EngagementError),
    /// Reading or writing pool files failed.
    #[error(transparent)]
    Pool(#[from] crate::pool::PoolError),
    /// A model file is unreadable, of another version, or damaged.
    #[error(transparent)]
    ModelFile(#[from] crate::scorer::ModelFileError),
    /// A frame does not have the columns the model was fitted on.
    #[error("column `{column}`: expected {expected:?}, found {found:?}")]
    Schema {
        /// The column.
        column: String,
        /// Its kind in the model's schema (`None` when the schemas differ in another way).
        expected: Option<ColumnKind>,
        /// Its kind in the frame (`None` when absent).
        found: Option<ColumnKind>,
    },
}

/// Result alias for [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
