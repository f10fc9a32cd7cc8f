//! Evaluation metrics: ranking quality, probability quality, calibration,
//! lift and gains, and the threshold view a go-to-market team works with.
//!
//! Every function takes scores (or probabilities) and labels as plain
//! slices, checks them (non-empty, equal lengths, finite scores,
//! probabilities within `[0, 1]`, both classes where the metric needs them)
//! and returns a typed [`CalibrationError`](crate::CalibrationError) instead
//! of NaN. Results depend only on the multiset of (score, label) pairs, never
//! on row order. Where a metric also exists in scikit-learn it follows
//! scikit-learn's definition exactly, as the item's docs say.

mod gains;
mod probabilistic;
mod ranking;
mod threshold;

pub use gains::{GainsRow, gains_table, lift_top_decile, lift_top_rows};
pub use probabilistic::{
    BinStrategy, CalibrationErrors, ReliabilityPoint, brier_score, calibration_errors, expected_calibration_error,
    log_loss, max_calibration_error, reliability_curve,
};
pub(crate) use probabilistic::{bin_of, numpy_percentile};
pub use ranking::{PrCurve, RocCurve, average_precision, pr_curve, roc_auc, roc_curve};
pub use threshold::{
    CapacityChoice, Confusion, ThresholdChoice, confusion_at, conversion_coverage, f1_at, precision_at,
    qualified_conversion_rate, recall_at, threshold_for_capacity, threshold_for_precision, threshold_for_recall,
};
