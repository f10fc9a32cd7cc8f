//! # acctscore
//! Placeholder.
//!
//! ```
//! assert!(true);
//! ```
