//! # acctscore-icp
//! Placeholder.
//!
//! ```
//! assert!(true);
//! ```
