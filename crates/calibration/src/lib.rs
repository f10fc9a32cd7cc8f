//! # acctscore-calibration
//!
//! Placeholder: filled in by its issue.
//!
//! ```
//! assert!(true);
//! ```
