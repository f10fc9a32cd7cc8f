//! The features crate's error type.

use acctscore_core::CoreError;

/// Errors of frame building, loading and encoding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeaturesError {
    /// A core check failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Columns of a frame have different lengths.
    #[error("column `{column}` has {found} rows, expected {expected}")]
    RaggedColumns {
        /// The column's name.
        column: String,
        /// Rows of the first column.
        expected: usize,
        /// Rows of this column.
        found: usize,
    },
    /// Two columns share a name.
    #[error("duplicate column name `{column}`")]
    DuplicateColumn {
        /// The repeated name.
        column: String,
    },
    /// A column the operation needs is absent.
    #[error("column `{column}` not found")]
    MissingColumn {
        /// The column's name.
        column: String,
    },
    /// A column has a different kind than the operation needs.
    #[error("column `{column}` is {found:?}, expected {expected:?}")]
    WrongKind {
        /// The column's name.
        column: String,
        /// Kind the operation needs.
        expected: crate::ColumnKind,
        /// Kind the column has.
        found: crate::ColumnKind,
    },
    /// A numeric value is NaN or infinite where a finite one is needed.
    #[error("column `{column}` row {row}: non-finite value {value}")]
    NonFinite {
        /// The column's name.
        column: String,
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
}

/// Result alias for [`FeaturesError`].
pub type Result<T, E = FeaturesError> = std::result::Result<T, E>;
