//! # acctscore-revenue
//!
//! Placeholder: filled in by its issue.
//!
//! ```
//! assert!(true);
//! ```
