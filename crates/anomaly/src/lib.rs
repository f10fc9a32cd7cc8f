//! # acctscore-anomaly
//!
//! Is an account's data trustworthy? Plausibility rules, segment-robust
//! outliers and a penalty the facade passes to the revenue score.
//!
//! - [`AnomalyInputs`]: one account's plain typed inputs (industry,
//!   employees, monthly revenue, founding year, web traffic and its growth).
//! - [`AnomalyParams`] → [`AnomalyChecker`]: settings (reference date,
//!   thresholds, bounds, an optional segment model) checked once by
//!   [`AnomalyParams::fit`]; the checker runs the checks and returns an [`AnomalyReport`]:
//!   [`Finding`]s (a stable [`CheckCode`], a [`Severity`], observed vs
//!   [`ExpectedRange`], a sentence a rep understands), the
//!   [`MissingInputs`] (missing revenue is missing data, not an anomaly: no
//!   penalty) and a penalty in `[0, 1]` — zero exactly when there is no finding.
//! - [`BoundsTable`]: plausible revenue per employee by industry (TOML,
//!   default [`DEFAULT_BOUNDS_TOML`] embedded).
//! - [`SegmentParams`] → [`SegmentModel`]: median/MAD of log revenue per employee within
//!   industry × size band, fitted on a training set, serialised with serde
//!   in a versioned envelope. With it, the checker also finds ×1000 unit
//!   errors below the hard bound and outliers against peers.
//!
//! Checking never fails and never panics: NaN, ±inf and negative values are
//! findings (or missing data), not errors. Money is **monthly**.
//!
//! ```
//! use acctscore_anomaly::{AnomalyInputs, AnomalyParams, CheckCode, SegmentParams};
//! use acctscore_core::Timestamp;
//!
//! let as_of = Timestamp::from_unix_seconds(1_767_225_600); // 2026-01-01
//! let checker = AnomalyParams::new(as_of).fit()?;
//!
//! // The 1-employee company reporting $2.4M a month.
//! let row = AnomalyInputs::new().with_industry("Software").with_employees(1.0).with_monthly_revenue(2_400_000.55);
//! let report = checker.check(&row);
//! assert!(report.has(CheckCode::RevenuePerEmployeeImplausible));
//! assert!(report.penalty > 0.5);
//! println!("{}", report.findings[0].message);
//!
//! // Missing revenue: reported as missing, no finding, no penalty.
//! let row = AnomalyInputs::new().with_industry("Software").with_employees(8.0);
//! let report = checker.check(&row);
//! assert!(report.is_clean() && report.penalty == 0.0);
//!
//! // With a segment model fitted on the pool, ×1000 errors below the hard
//! // bound are found too.
//! let pool: Vec<AnomalyInputs> = (0..500)
//!     .map(|i| AnomalyInputs::new().with_industry("Software")
//!         .with_employees(10.0).with_monthly_revenue(4_000.0 + 7.0 * i as f64))
//!     .collect();
//! let segments = SegmentParams::new().fit(pool.iter().copied())?;
//! let checker = AnomalyParams::new(as_of).with_segments(segments).fit()?;
//! let row = AnomalyInputs::new().with_industry("Software").with_employees(10.0).with_monthly_revenue(5_500_000.0);
//! assert_eq!(checker.check(&row).codes_joined(";"), "likely_unit_error_x1000");
//! # Ok::<(), acctscore_anomaly::AnomalyError>(())
//! ```

mod bounds;
mod checker;
mod error;
mod finding;
mod inputs;
mod segments;

pub use bounds::{Bounds, BoundsTable, DEFAULT_BOUNDS_TOML};
pub use checker::{AnomalyChecker, AnomalyParams, DEFAULT_SEVERITY_WEIGHTS};
pub use error::{AnomalyError, Result};
pub use finding::{AnomalyReport, CheckCode, ExpectedRange, Finding, MissingInput, MissingInputs, Severity};
pub use inputs::AnomalyInputs;
pub use segments::{SegmentModel, SegmentParams, SegmentStats};
