//! # acctscore-icp
//!
//! Ideal Customer Profile propensity: how well an account fits the profile
//! of customers who buy, and how likely it is to convert.
//!
//! This crate owns the ICP models and their explanations:
//! - [`rules`]: weighted rules that sales ops edit in a TOML file (points per
//!   trait, a "qualified" threshold, tiers); raw score = points;
//! - [`logistic`]: L2-regularised logistic regression on the features
//!   crate's design matrix, with scikit-learn's objective; raw score = log-odds;
//! - [`prepared`]: the one scoring engine: a fitted model of any family
//!   bound to one frame, scoring rows with their top reasons (as indices;
//!   logistic and rules without allocating per row);
//! - [`explain`]: factors (a stable code, readable text, a signed
//!   contribution) whose sum with the baseline equals the raw score.
//!
//! ```
//! use acctscore_icp::rules::RuleSet;
//! use acctscore_frame::{Column, Frame};
//!
//! let rules = RuleSet::from_toml_str(r#"
//!     threshold = 50
//!     [[rules]]
//!     name = "sells_online"
//!     points = 40
//!     when = [{ field = "has_ecommerce", is = true }]
//!     [[rules]]
//!     name = "mid_size"
//!     points = 20
//!     when = [{ field = "employees", min = 10, max = 500 }]
//! "#)?;
//! let frame = Frame::new(vec![
//!     ("has_ecommerce".into(), Column::Boolean(vec![Some(true), Some(false)])),
//!     ("employees".into(), Column::numeric(vec![Some(50.0), Some(5.0)])),
//! ])?;
//! let bound = rules.bind(&frame)?;
//! assert_eq!(bound.points(0), 60.0);
//! assert!(rules.is_qualified(bound.points(0)));
//! assert_eq!(bound.points(1), 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod explain;
pub mod logistic;
pub mod lookalike;
pub mod mining;
pub mod prepared;
pub mod propensity;
pub mod rules;
pub mod trees;

pub use error::{FitWarning, IcpError, Result, RuleProblem, RuleTest};
