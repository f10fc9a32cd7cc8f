//! # acctscore-calibration
//!
//! Turns raw model scores into probabilities a person can read ("38% likely
//! to convert") and judges every model with the numbers a sales leader asks
//! for.
//!
//! This crate owns:
//! - **calibrators**, each a parameters type (implementing [`FitCalibrator`])
//!   and a serde-able fitted type (implementing [`Calibrator`]):
//!   [`PlattParams`] → [`PlattCalibrator`], [`IsotonicParams`] →
//!   [`IsotonicCalibrator`], [`BinningParams`] → [`BinningCalibrator`];
//!   [`CalibrationMethod`] / [`FittedCalibrator`] pick one at run time and
//!   [`FittedCalibrator::to_json`] stores it in a versioned envelope. As
//!   everywhere in acctscore, `fit` on the parameters checks them once and
//!   returns the fitted type (the only other way to get one is to load it);
//!   the trait lets [`CrossFit`] take any calibrator;
//! - **cross-fitting** ([`CrossFit`]) over any [`acctscore_core::Fit`] model,
//!   so that a calibrator never sees scores of rows its model trained on;
//! - **metrics** ([`metrics`]): ROC AUC, average precision, log loss, Brier,
//!   expected/maximum calibration error and reliability curves, lift and
//!   gains, precision/recall/F1 at a threshold (with the go-to-market names
//!   [`metrics::qualified_conversion_rate`] and
//!   [`metrics::conversion_coverage`]), and threshold choice for a target
//!   precision, a target recall or a capacity;
//! - **monitoring** ([`monitor`]): population stability index and the
//!   tier-migration matrix.
//!
//! Metrics equal scikit-learn's on the same inputs where scikit-learn has
//! them; every function returns a typed [`CalibrationError`] on empty input,
//! mismatched lengths, NaN scores, or a single class where the metric needs
//! both.
//!
//! ```
//! use acctscore_calibration::{Calibrator, FitCalibrator, IsotonicParams, PlattParams, metrics};
//!
//! let scores = [-2.0, -1.0, -0.5, 0.0, 0.3, 0.8, 1.5, 2.0];
//! let converted = [false, false, true, false, false, true, true, true];
//!
//! let iso = IsotonicParams::new().fit(&scores, &converted)?;
//! let p = iso.calibrate(0.5)?;
//! assert!((0.0..=1.0).contains(&p.get()));
//!
//! let platt = PlattParams::new().fit(&scores, &converted)?;
//! let probs: Vec<f64> = platt.calibrate_batch(&scores)?.into_iter().map(f64::from).collect();
//!
//! assert_eq!(metrics::roc_auc(&scores, &converted)?, 0.875);
//! assert!(metrics::log_loss(&probs, &converted)? < std::f64::consts::LN_2);
//! let top = metrics::threshold_for_capacity(&scores, 3)?;
//! assert_eq!((top.threshold, top.qualified), (0.8, 3));
//! # Ok::<(), acctscore_calibration::CalibrationError>(())
//! ```

mod binning;
mod calibrator;
mod crossfit;
mod error;
mod isotonic;
pub mod metrics;
pub mod monitor;
mod platt;
mod rank;

pub use binning::{BinningCalibrator, BinningParams};
pub use calibrator::{CalibrationMethod, Calibrator, FitCalibrator, FittedCalibrator};
pub use crossfit::{CalibratedModel, CrossFit, CrossFitted, stratified_folds};
pub use error::{CalibrationError, Result};
pub use isotonic::{IsotonicCalibrator, IsotonicParams};
pub use metrics::BinStrategy;
pub use platt::{PlattCalibrator, PlattParams};
