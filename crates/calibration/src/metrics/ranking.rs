//! Ranking metrics: ROC AUC, ROC and precision-recall curves, average precision.

use crate::Result;
use crate::rank::{Ranked, check_scored, for_each_group};
use serde::{Deserialize, Serialize};

/// Area under the ROC curve, with tied scores counted as half a correct
/// ordering (the Mann–Whitney statistic), as scikit-learn's `roc_auc_score`.
///
/// O(n log n); the counting is exact in integers.
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, or labels of a single
/// class ([`CoreError::SingleClass`](acctscore_core::CoreError::SingleClass)).
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    check_scored("scores", scores, labels)?;
    // 2 * (pairs ordered correctly + half the tied pairs), exactly.
    let mut twice: u128 = 0;
    let mut neg_below: u128 = 0;
    let (tp, tn) = for_each_group(scores, labels, |_, p, n| {
        twice += p as u128 * (2 * neg_below + n as u128);
        neg_below += n as u128;
    });
    require_both(tp, tn)?;
    Ok(twice as f64 / (2 * tp as u128 * tn as u128) as f64)
}

fn require_both(positives: u64, negatives: u64) -> Result<()> {
    if positives == 0 || negatives == 0 {
        return Err(acctscore_core::CoreError::SingleClass {
            positives: positives as usize,
            negatives: negatives as usize,
        }
        .into());
    }
    Ok(())
}

/// Points of the ROC curve, one per distinct score plus the origin.
///
/// Equal to scikit-learn's `roc_curve(y, s, drop_intermediate=False)`:
/// thresholds descending, the first point `(0, 0)` at threshold `+inf`, a
/// row counted as positive when its score is `>=` the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// False-positive rate at each threshold.
    pub fpr: Vec<f64>,
    /// True-positive rate at each threshold.
    pub tpr: Vec<f64>,
    /// Thresholds, descending; the first is `f64::INFINITY`.
    pub thresholds: Vec<f64>,
}

/// The ROC curve over every distinct score.
///
/// # Errors
/// As [`roc_auc`].
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Result<RocCurve> {
    let r = Ranked::checked("scores", scores, labels)?;
    r.require_both_classes()?;
    let k = r.scores.len();
    let mut out = RocCurve {
        fpr: Vec::with_capacity(k + 1),
        tpr: Vec::with_capacity(k + 1),
        thresholds: Vec::with_capacity(k + 1),
    };
    out.fpr.push(0.0);
    out.tpr.push(0.0);
    out.thresholds.push(f64::INFINITY);
    let (mut tp, mut fp) = (0u64, 0u64);
    for g in (0..k).rev() {
        tp += r.pos[g];
        fp += r.neg[g];
        out.fpr.push(fp as f64 / r.total_neg as f64);
        out.tpr.push(tp as f64 / r.total_pos as f64);
        out.thresholds.push(r.scores[g]);
    }
    Ok(out)
}

/// The precision-recall curve, as scikit-learn's `precision_recall_curve`:
/// `precision` and `recall` have one entry per distinct score (ascending
/// thresholds, so recall decreasing) plus a final `(precision 1, recall 0)`;
/// `thresholds` are the distinct scores ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrCurve {
    /// Precision at each threshold, then 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold, then 0.
    pub recall: Vec<f64>,
    /// Distinct scores, ascending.
    pub thresholds: Vec<f64>,
}

/// The precision-recall curve over every distinct score.
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, or no positive label.
pub fn pr_curve(scores: &[f64], labels: &[bool]) -> Result<PrCurve> {
    let r = Ranked::checked("scores", scores, labels)?;
    require_positive(&r)?;
    let k = r.scores.len();
    let mut precision = vec![0.0; k + 1];
    let mut recall = vec![0.0; k + 1];
    let (mut tp, mut fp) = (0u64, 0u64);
    for g in (0..k).rev() {
        tp += r.pos[g];
        fp += r.neg[g];
        precision[g] = tp as f64 / (tp + fp) as f64;
        recall[g] = tp as f64 / r.total_pos as f64;
    }
    precision[k] = 1.0;
    recall[k] = 0.0;
    Ok(PrCurve { precision, recall, thresholds: r.scores })
}

fn require_positive(r: &Ranked) -> Result<()> {
    if r.total_pos == 0 {
        return Err(acctscore_core::CoreError::SingleClass { positives: 0, negatives: r.total_neg as usize }.into());
    }
    Ok(())
}

/// Average precision, exactly as scikit-learn's `average_precision_score`:
/// `Σ_k (R_k − R_{k−1}) · P_k` over distinct thresholds (no interpolation),
/// ties forming one step. Also called PR AUC.
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, or no positive label
/// (average precision is undefined then; with no negatives it is 1).
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Result<f64> {
    check_scored("scores", scores, labels)?;
    // Walk ascending: at a distinct score with p positives, the rows at or
    // above it hold tp = P − positives below and q = n − rows below.
    let n_pos = labels.iter().filter(|&&l| l).count() as u64;
    if n_pos == 0 {
        return Err(acctscore_core::CoreError::SingleClass { positives: 0, negatives: labels.len() }.into());
    }
    let n = labels.len() as u64;
    let (mut pos_below, mut rows_below) = (0u64, 0u64);
    let mut sum = crate::rank::Compensated::default();
    for_each_group(scores, labels, |_, p, q| {
        if p > 0 {
            let tp = n_pos - pos_below;
            let qualified = n - rows_below;
            sum.add(p as f64 / n_pos as f64 * (tp as f64 / qualified as f64));
        }
        pos_below += p;
        rows_below += p + q;
    });
    Ok(sum.total().max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CalibrationError;
    use acctscore_core::CoreError;

    #[test]
    fn perfect_and_tied_rankings() {
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]).expect("auc"), 1.0);
        assert_eq!(roc_auc(&[0.5; 4], &[false, true, true, false]).expect("auc"), 0.5);
        assert_eq!(average_precision(&[0.1, 0.9], &[true, true]).expect("ap"), 1.0);
    }

    #[test]
    fn typed_errors() {
        assert!(matches!(roc_auc(&[], &[]), Err(CalibrationError::Core(CoreError::Empty { .. }))));
        assert!(matches!(
            roc_auc(&[0.1], &[true, false]),
            Err(CalibrationError::Core(CoreError::ShapeMismatch { .. }))
        ));
        assert!(matches!(
            roc_auc(&[0.1, f64::NAN], &[true, false]),
            Err(CalibrationError::Core(CoreError::NonFinite { index: 1, .. }))
        ));
        assert!(matches!(
            roc_auc(&[0.1, 0.2], &[true, true]),
            Err(CalibrationError::Core(CoreError::SingleClass { .. }))
        ));
        assert!(matches!(
            average_precision(&[0.1, 0.2], &[false, false]),
            Err(CalibrationError::Core(CoreError::SingleClass { .. }))
        ));
    }
}
