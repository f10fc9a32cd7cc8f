//! The facade's error type: one variant per crate.

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
    /// Reading or writing pool files failed.
    #[error(transparent)]
    Pool(#[from] crate::pool::PoolError),
}

/// Result alias for [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
