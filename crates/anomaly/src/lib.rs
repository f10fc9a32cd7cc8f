//! # acctscore-anomaly
//!
//! Placeholder: filled in by its issue.
//!
//! ```
//! assert!(true);
//! ```
