//! # acctscore-revenue
//!
//! How likely is an account's revenue to be in our preferred range?
//!
//! - [`RevenueInputs`]: one account's plain typed inputs (business model,
//!   industry, employees, reported monthly revenue, web traffic, conversion
//!   rate, SKU price), built with [`RevenueInputs::new`] and `with_*` setters.
//! - One estimator per [`Method`]: reported revenue, traffic × conversion ×
//!   price (e-commerce), employees × an industry's revenue per employee from
//!   the TOML [`BenchmarkTable`] (default [`DEFAULT_BENCHMARKS_TOML`]), and
//!   traffic benchmark and prior as fallbacks.
//! - [`Router`]: picks the chain by business model and falls back along it
//!   when inputs are missing or unusable; every [`RevenueEstimate`] carries
//!   its [`Method`], the inputs it used, the point value, a log-normal
//!   [`Interval`] (default 80%) and the trail of skipped estimators.
//! - [`RevenueRange`]: P(revenue in the preferred range) (default
//!   $10k–$100k a month) analytically from the log-normal;
//!   [`LearnedRangeModel`]: the same probability learned where true revenue
//!   is known ([`LearnedParams::fit`]), calibrated with acctscore-calibration
//!   (Platt by default).
//! - [`apply_penalty`]: lowers a probability by an anomaly penalty in
//!   `[0, 1]` as `p × (1 − penalty)`. This crate does not depend on the
//!   anomaly crate: the penalty is a plain `f64`.
//!
//! All money is **monthly**. Nothing here panics on user data: NaN, ±inf,
//! zero or negative inputs make an estimator skip, and the router falls
//! back to the next one (ultimately the wide prior).
//!
//! ```
//! use acctscore_revenue::{BusinessModel, Method, RevenueInputs, RevenueRange, Router};
//!
//! let router = Router::new();
//! let range = RevenueRange::default();
//! // Reported revenue missing (NaN in the source): employees × benchmark.
//! let row = RevenueInputs::new(BusinessModel::Services)
//!     .with_industry("IT Services")
//!     .with_employees(4.0)
//!     .with_reported_monthly_revenue(f64::NAN);
//! let est = router.estimate(&row);
//! assert_eq!(est.method, Method::EmployeeBenchmark);
//! assert_eq!(est.point, 4.0 * 12_000.0 * 0.8);
//! let p = range.probability(&est);
//! // The facade passes the anomaly crate's penalty.
//! let lowered = range.probability_with_penalty(&est, 0.6)?;
//! assert!(lowered <= p);
//! # Ok::<(), acctscore_revenue::RevenueError>(())
//! ```

mod benchmarks;
mod error;
mod estimate;
mod estimators;
mod inputs;
mod learned;
mod range;
mod router;

pub use benchmarks::{BenchmarkTable, DEFAULT_BENCHMARKS_TOML};
pub use error::{Result, RevenueError};
pub use estimate::{
    Input, Interval, Method, PointEstimate, RevenueEstimate, SkipReason, SkipTrail, Skipped, UsedInputs,
};
pub use inputs::{BusinessModel, RevenueInputs};
pub use learned::{LearnedParams, LearnedRangeModel};
pub use range::{DEFAULT_RANGE_HIGH, DEFAULT_RANGE_LOW, RevenueRange, apply_penalty};
pub use router::{DEFAULT_INTERVAL_LEVEL, DEFAULT_LOG_SIGMAS, Router, RouterBuilder};
