//! # acctscore-core
//!
//! The small shared vocabulary every acctscore crate builds on:
//!
//! - [`Probability`]: a finite value in `[0, 1]`, impossible to construct otherwise;
//! - [`Timestamp`]: seconds since the Unix epoch;
//! - [`check`]: finiteness, shape and label checks that return a typed [`CoreError`];
//! - [`write_atomic`] and [`AtomicFile`]: files written whole (a temporary
//!   file beside the destination, synced, then renamed over it), so a failed
//!   write never leaves a truncated file;
//! - [`envelope`]: the one versioned, checksummed envelope every saved model
//!   part is written in, and [`InvalidModel`], the typed refusal of a loaded
//!   part that breaks its invariants;
//! - [`numeric`]: the logistic function and a seeded generator (SplitMix64),
//!   written once for every crate;
//! - [`Fit`] and [`Score`]: the traits every model implements. A parameters
//!   type implements [`Fit`]; `fit` validates the parameters once and returns
//!   the fitted model (which implements [`Score`]) or a typed error, so an
//!   unfitted model cannot exist.
//!
//! Values cross crate lines as these plain types, never as another crate's
//! internals.
//!
//! ```
//! use acctscore_core::{Probability, Timestamp, CoreError};
//!
//! let p = Probability::new(0.38)?;
//! assert_eq!(p.get(), 0.38);
//! assert!(Probability::new(1.5).is_err());
//! assert!(Probability::new(f64::NAN).is_err());
//! // log-odds round trip
//! let q = Probability::from_log_odds(p.log_odds())?;
//! assert!((q.get() - 0.38).abs() < 1e-12);
//!
//! let t = Timestamp::from_unix_seconds(1_767_225_600);
//! assert_eq!(t.days_since(Timestamp::from_unix_seconds(1_767_225_600 - 86_400)), 1.0);
//! # Ok::<(), CoreError>(())
//! ```

pub mod check;
pub mod envelope;
mod error;
mod file;
mod model;
pub mod numeric;
mod probability;
mod timestamp;
mod words;

pub use envelope::{EnvelopeError, InvalidModel, Problem};
pub use error::{CoreError, Result};
pub use file::{AtomicFile, FileWriteError, WriteStep, write_atomic};
pub use model::{Fit, Score};
pub use probability::Probability;
pub use timestamp::Timestamp;
pub use words::{names_in_words, tier_letter};

/// Re-export of the ndarray types used in the traits, so that implementors
/// and callers agree on one version.
pub use ndarray;
