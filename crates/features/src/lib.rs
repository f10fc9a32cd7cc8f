//! # acctscore-features
//!
//! Turns raw account tables into model-ready features and says, before any
//! training, what in the data would mislead a model.
//!
//! This crate owns:
//! - [`encode`]: encoders fitted on training data and applied to new rows
//!   (one-hot with a rare-level bucket and case folding, job titles to
//!   seniority and function via [`title`], quantile clipping, signed log1p,
//!   standardisation, missing and sentinel indicators, timestamps to age),
//!   serde-able, producing an ndarray design matrix and feature names;
//! - [`placeholder`]: `Select`, `N/A`, `unknown`, sentinel numbers such as
//!   `-1` — detected and reported, never silently made missing;
//! - [`quality`]: the [`quality::QualityReport`] — missing share,
//!   cardinality, placeholders, constant and ID-like columns, and
//!   single-column out-of-fold AUC with `leakage` / `suspect_leakage` flags;
//! - [`rollup`]: person-level rows aggregated to accounts from a declared
//!   config, and custom signals ("tried at least 3 of these 5 features").
//!
//! The frames it reads ([`Frame`], its columns, and the CSV loader [`csv`])
//! are the `acctscore-frame` crate's, re-exported here so that
//! `acctscore_features::Frame` and `acctscore_features::csv` keep working;
//! new code names `acctscore_frame` (or `acctscore::frame`) directly.
//!
//! ```
//! use acctscore_features::{Frame, Column, encode::{PipelineParams, NumericTransform}};
//!
//! let frame = Frame::new(vec![
//!     ("employees".to_string(), Column::numeric(vec![Some(12.0), None, Some(300.0), Some(40.0)])),
//!     ("industry".to_string(), Column::categorical(vec![Some("Software"), Some("Retail"), None, Some("software")])),
//! ])?;
//! let pipeline = PipelineParams::new()
//!     .numeric_transform(NumericTransform::Log1pStandardize)
//!     .min_frequency(1)
//!     .fit(&frame)?;
//! let x = pipeline.transform(&frame)?;
//! assert_eq!(x.nrows(), 4);
//! assert_eq!(x.ncols(), pipeline.feature_names().len());
//! # Ok::<(), acctscore_features::FeaturesError>(())
//! ```

pub mod encode;
mod error;
pub mod placeholder;
pub mod quality;
pub mod rollup;
pub mod title;

#[cfg(feature = "csv")]
pub use acctscore_frame::csv;
pub use acctscore_frame::{
    CategoricalBuilder, CategoricalColumn, Column, ColumnKind, CsvErrorKind, Frame, FrameError, NumericColumn,
    QuotingProblem, SkippedRow, TextColumn,
};
pub use error::{FeaturesError, Result};
