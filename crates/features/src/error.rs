//! The features crate's error type.

use acctscore_core::CoreError;
use acctscore_frame::FrameError;

/// Errors of encoding, the quality report, rollup and signals.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeaturesError {
    /// A core check failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Building, reading or loading a frame failed (a missing column, a
    /// column of the wrong kind, a bad CSV row, …).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A target (label) column has more than two values and no positive
    /// value was declared.
    #[error("target `{column}` has more than two values ({}); say which value is positive", counts_in_words(.counts))]
    TargetValues {
        /// The target column.
        column: String,
        /// Rows per value, most frequent first.
        counts: Vec<(String, usize)>,
    },
    /// A configuration (rollup, signal, options) is invalid.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// Why it is invalid.
        reason: String,
    },
}

/// `a: 3 rows, b: 1 row`, at most 10 values, then "and N more".
fn counts_in_words(counts: &[(String, usize)]) -> String {
    let rows = |n: usize| if n == 1 { "1 row".to_string() } else { format!("{n} rows") };
    let mut out: Vec<String> = counts.iter().take(10).map(|(v, n)| format!("{v}: {}", rows(*n))).collect();
    if counts.len() > 10 {
        out.push(format!("and {} more", counts.len() - 10));
    }
    out.join(", ")
}

/// Result alias for [`FeaturesError`].
pub type Result<T, E = FeaturesError> = std::result::Result<T, E>;
