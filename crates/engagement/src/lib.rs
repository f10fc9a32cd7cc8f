//! # acctscore-engagement
//!
//! Placeholder: filled in by its issue.
//!
//! ```
//! assert!(true);
//! ```
