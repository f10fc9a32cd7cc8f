//! The facade's error type: one variant per crate.

use crate::frame::ColumnKind;
use serde::{Deserialize, Serialize};

// A frame error is a features error here too, so that a missing column has
// one shape (`Features(Frame(MissingColumn))`) whether the scorer, the ICP
// crate or the encoders found it.
impl From<crate::frame::FrameError> for Error {
    fn from(e: crate::frame::FrameError) -> Self {
        Error::Features(e.into())
    }
}

/// Errors of the facade: each wraps the error of the crate that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A core check failed.
    #[error(transparent)]
    Core(#[from] crate::core::CoreError),
    /// Frames or encoders failed (a frame's own error is
    /// [`FeaturesError::Frame`](crate::features::FeaturesError::Frame)).
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
    /// A frame does not have a column the model needs, or has it with
    /// another kind. Prints the column, where it was looked for, the
    /// components that need it and, when absent, the columns there are:
    ///
    /// ```text
    /// column `employees` (needed by the ICP model, the revenue estimate) is missing from the frame; it has: account_id, industry, …
    /// column `Prospect ID`: expected text, found categorical in the frame (needed by the account id of each score)
    /// ```
    #[error("{}", schema_message(.column, *.expected, *.found, .needed_by, .available, .origin.as_deref()))]
    Schema {
        /// The column.
        column: String,
        /// Its kind in the model's schema (`None` when a model file's
        /// envelope and body list different schemas).
        expected: Option<ColumnKind>,
        /// Its kind in the frame (`None` when absent).
        found: Option<ColumnKind>,
        /// The components that read it (empty for model files written before they were recorded).
        needed_by: Vec<NeededBy>,
        /// The frame's columns, in order, when the column is absent (else empty).
        available: Vec<String>,
        /// The file (or named frame) the columns were looked for in, when the
        /// caller knows it ([`Error::in_origin`]).
        origin: Option<String>,
    },
}

/// What reads a column of a [`Scorer`](crate::Scorer)'s schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NeededBy {
    /// An input of the ICP model (a feature, a rule's field or a signal).
    Icp,
    /// The account id each score carries.
    AccountId,
    /// An input of the revenue estimate (as mapped by the [`ColumnMapping`](crate::ColumnMapping)).
    Revenue,
    /// An input of the anomaly checks.
    Anomaly,
    /// The label fitting learns from.
    Label,
}

impl std::fmt::Display for NeededBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NeededBy::Icp => "the ICP model",
            NeededBy::AccountId => "the account id of each score",
            NeededBy::Revenue => "the revenue estimate",
            NeededBy::Anomaly => "the anomaly checks",
            NeededBy::Label => "fitting, as the label",
        })
    }
}

fn schema_message(
    column: &str,
    expected: Option<ColumnKind>,
    found: Option<ColumnKind>,
    needed_by: &[NeededBy],
    available: &[String],
    origin: Option<&str>,
) -> String {
    let place = origin.map_or_else(|| "the frame".to_string(), |o| format!("`{o}`"));
    let needs = if needed_by.is_empty() {
        "the model".to_string()
    } else {
        needed_by.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    };
    match (expected, found) {
        (Some(_), None) => {
            let has = crate::core::names_in_words(available);
            format!("column `{column}` (needed by {needs}) is missing from {place}; it has: {has}")
        }
        (Some(e), Some(f)) => format!("column `{column}`: expected {e}, found {f} in {place} (needed by {needs})"),
        _ => format!(
            "the model file's schema and its body disagree at column `{column}`: the file was edited or damaged"
        ),
    }
}

impl Error {
    /// The same error with `origin` (the file, or a name for the frame) as
    /// the place a [`Error::Schema`] looked for its column, when it names
    /// none yet; other errors are returned as they are.
    ///
    /// ```
    /// use acctscore_scorer::Error;
    ///
    /// let e = Error::Schema {
    ///     column: "employees".into(),
    ///     expected: Some(acctscore_frame::ColumnKind::Numeric),
    ///     found: None,
    ///     needed_by: vec![acctscore_scorer::NeededBy::Icp],
    ///     available: vec!["account_id".into()],
    ///     origin: None,
    /// };
    /// assert_eq!(
    ///     e.in_origin("new.csv").to_string(),
    ///     "column `employees` (needed by the ICP model) is missing from `new.csv`; it has: account_id"
    /// );
    /// ```
    pub fn in_origin(self, origin: impl Into<String>) -> Error {
        match self {
            Error::Schema { column, expected, found, needed_by, available, origin: None } => {
                Error::Schema { column, expected, found, needed_by, available, origin: Some(origin.into()) }
            }
            other => other,
        }
    }
}

/// Result alias for [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
