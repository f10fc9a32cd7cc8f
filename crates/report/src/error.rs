//! The report error type.

use acctscore_core::{CoreError, FileWriteError};
use acctscore_frame::FrameError;

/// What can go wrong building a [`ReportInput`](crate::ReportInput) or
/// writing a report.
///
/// Input checks shared with the rest of acctscore (empty input, lengths
/// that disagree, a NaN or infinite score, labels of one class) arrive as
/// [`ReportError::Core`] wrapping the corresponding [`CoreError`], so that a
/// caller matches them the same way in every crate.
///
/// ```
/// use acctscore_core::CoreError;
/// use acctscore_report::{ReportError, ReportInput};
///
/// let err = ReportInput::new(&[0.2; 12], &[true; 11], &['A'; 12]).expect_err("an error");
/// assert!(matches!(err, ReportError::Core(CoreError::ShapeMismatch { expected: 12, found: 11, .. })));
/// assert_eq!(err.to_string(), "outcomes vs scores: expected 12, found 11");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A shared input check failed: [`CoreError::Empty`],
    /// [`CoreError::ShapeMismatch`], [`CoreError::NonFinite`],
    /// [`CoreError::NotAProbability`] or [`CoreError::SingleClass`].
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Fewer accounts than the report needs (its gains table has ten deciles).
    #[error("a report needs at least {needed} accounts, found {found}")]
    TooFewRows {
        /// Accounts needed.
        needed: usize,
        /// Accounts given.
        found: usize,
    },
    /// A tier that is not one of `A`, `B`, `C`, `D`.
    #[error("{what}: tier {found:?} at index {index} is not one of A, B, C, D")]
    BadTier {
        /// Which input held the tier ("tiers", "baseline tiers").
        what: &'static str,
        /// Index of the tier.
        index: usize,
        /// What was found.
        found: String,
    },
    /// A reason code that is empty or holds `:` or `;` (the separators of
    /// the ranked file's `reasons` column).
    #[error("reasons of account {index}: code {code:?} is empty or holds ':' or ';'")]
    BadReasonCode {
        /// Index of the account.
        index: usize,
        /// The code.
        code: String,
    },
    /// A reason's contribution is NaN or infinite.
    #[error("reasons of account {index}: contribution {value} of {code:?} is not finite")]
    NonFiniteContribution {
        /// Index of the account.
        index: usize,
        /// The reason's code.
        code: String,
        /// The contribution.
        value: f64,
    },
    /// A column of a frame could not be read: absent, or of another kind.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A frame's cell is missing where the report needs a value.
    #[error("column `{column}`: missing value at row {row} (0-based); leave such accounts out before the report")]
    MissingValue {
        /// The column.
        column: String,
        /// The row, 0-based.
        row: usize,
    },
    /// A frame's cell holds a value the report cannot read.
    #[error("column `{column}`: value {value:?} at row {row} (0-based): expected {expected}")]
    BadValue {
        /// The column.
        column: String,
        /// The row, 0-based.
        row: usize,
        /// The value, as text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// An account id appears twice in a frame, so a baseline cannot be joined on it.
    #[error("{which} scoring: account id {id:?} appears twice (rows {first} and {second}, 0-based)")]
    DuplicateId {
        /// "current" or "baseline".
        which: &'static str,
        /// The id.
        id: String,
        /// Its first row.
        first: usize,
        /// Its second row.
        second: usize,
    },
    /// A baseline frame was given but the current input has no account ids
    /// to join it on (it was not built from a frame with an id column).
    #[error("a baseline frame is joined on account ids, but the current scoring has none")]
    NoIds,
    /// Writing the report file failed; the destination is as it was.
    #[error(transparent)]
    Write(#[from] FileWriteError),
}

/// Result alias for [`ReportError`].
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
