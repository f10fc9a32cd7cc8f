//! The threshold view: who is "qualified" (score at or above a threshold),
//! how many of them converted, and where to put the threshold.

use crate::rank::{Ranked, check_scored, sort_finite};
use crate::{CalibrationError, Result};
use acctscore_core::{CoreError, check};
use serde::{Deserialize, Serialize};

/// Counts at a threshold; a row is *qualified* (predicted positive) when its
/// score is `>=` the threshold, and *converted* when its label is `true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Qualified and converted.
    pub true_positives: u64,
    /// Qualified, not converted.
    pub false_positives: u64,
    /// Not qualified, not converted.
    pub true_negatives: u64,
    /// Not qualified but converted.
    pub false_negatives: u64,
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    if den == 0 { None } else { Some(num as f64 / den as f64) }
}

impl Confusion {
    /// Rows qualified.
    pub fn qualified(&self) -> u64 {
        self.true_positives + self.false_positives
    }

    /// Rows converted.
    pub fn converted(&self) -> u64 {
        self.true_positives + self.false_negatives
    }

    /// Precision, `tp / (tp + fp)`; `None` when nothing is qualified.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.true_positives, self.qualified())
    }

    /// Recall, `tp / (tp + fn)`; `None` when nothing converted.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.true_positives, self.converted())
    }

    /// F1, `2tp / (2tp + fp + fn)`; `None` when nothing is qualified or converted.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.true_positives, 2 * self.true_positives + self.false_positives + self.false_negatives)
    }

    /// Share of qualified accounts that converted (the precision, as a
    /// go-to-market team says it); `None` when nothing is qualified.
    pub fn qualified_conversion_rate(&self) -> Option<f64> {
        self.precision()
    }

    /// Share of conversions that were qualified (the recall, as a
    /// go-to-market team says it); `None` when nothing converted.
    pub fn conversion_coverage(&self) -> Option<f64> {
        self.recall()
    }
}

fn check_threshold(threshold: f64) -> Result<()> {
    if threshold.is_nan() {
        return Err(CoreError::NonFinite { what: "threshold", index: 0, value: threshold }.into());
    }
    Ok(())
}

/// Counts qualified/converted rows at `threshold` (qualified: score `>=` threshold).
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, or a NaN threshold.
pub fn confusion_at(scores: &[f64], labels: &[bool], threshold: f64) -> Result<Confusion> {
    check_scored("scores", scores, labels)?;
    check_threshold(threshold)?;
    let mut c = Confusion { true_positives: 0, false_positives: 0, true_negatives: 0, false_negatives: 0 };
    for (&s, &y) in scores.iter().zip(labels) {
        match (s >= threshold, y) {
            (true, true) => c.true_positives += 1,
            (true, false) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (false, true) => c.false_negatives += 1,
        }
    }
    Ok(c)
}

fn defined(value: Option<f64>, metric: &'static str, reason: &'static str) -> Result<f64> {
    value.ok_or(CalibrationError::Undefined { metric, reason })
}

/// Precision at `threshold`.
///
/// # Errors
/// As [`confusion_at`], or [`CalibrationError::Undefined`] when no score reaches the threshold.
pub fn precision_at(scores: &[f64], labels: &[bool], threshold: f64) -> Result<f64> {
    defined(confusion_at(scores, labels, threshold)?.precision(), "precision", "no row is qualified")
}

/// Recall at `threshold`.
///
/// # Errors
/// As [`confusion_at`], or [`CalibrationError::Undefined`] when no label is positive.
pub fn recall_at(scores: &[f64], labels: &[bool], threshold: f64) -> Result<f64> {
    defined(confusion_at(scores, labels, threshold)?.recall(), "recall", "no row converted")
}

/// F1 at `threshold`.
///
/// # Errors
/// As [`confusion_at`], or [`CalibrationError::Undefined`] when nothing is
/// qualified and nothing converted.
pub fn f1_at(scores: &[f64], labels: &[bool], threshold: f64) -> Result<f64> {
    defined(confusion_at(scores, labels, threshold)?.f1(), "f1", "no row is qualified and no row converted")
}

/// Share of qualified accounts (score `>=` threshold) that converted.
///
/// # Errors
/// As [`precision_at`].
pub fn qualified_conversion_rate(scores: &[f64], labels: &[bool], threshold: f64) -> Result<f64> {
    defined(
        confusion_at(scores, labels, threshold)?.qualified_conversion_rate(),
        "qualified conversion rate",
        "no account is qualified",
    )
}

/// Share of conversions whose account was qualified (score `>=` threshold).
///
/// # Errors
/// As [`recall_at`].
pub fn conversion_coverage(scores: &[f64], labels: &[bool], threshold: f64) -> Result<f64> {
    defined(
        confusion_at(scores, labels, threshold)?.conversion_coverage(),
        "conversion coverage",
        "no account converted",
    )
}

/// A threshold chosen for a target, with what it yields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    /// The threshold: qualify rows whose score is `>=` it. Always one of the scores.
    pub threshold: f64,
    /// Rows qualified at the threshold.
    pub qualified: u64,
    /// Precision (qualified conversion rate) at the threshold.
    pub precision: f64,
    /// Recall (conversion coverage) at the threshold.
    pub recall: f64,
}

fn check_target(name: &'static str, target: f64) -> Result<()> {
    check::param(target > 0.0 && target <= 1.0, name, "must be in (0, 1]")?;
    Ok(())
}

/// Walks the distinct scores from the top, calling `f(threshold, qualified, tp)`.
fn walk(r: &Ranked, mut f: impl FnMut(f64, u64, u64)) {
    let (mut tp, mut q) = (0u64, 0u64);
    for g in (0..r.scores.len()).rev() {
        tp += r.pos[g];
        q += r.pos[g] + r.neg[g];
        f(r.scores[g], q, tp);
    }
}

/// The lowest threshold (so the most accounts qualified, the highest
/// recall) whose precision is at least `target`.
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, a target outside
/// `(0, 1]`, or [`CalibrationError::TargetUnreachable`] when no threshold
/// reaches the target (including when no label is positive).
pub fn threshold_for_precision(scores: &[f64], labels: &[bool], target: f64) -> Result<ThresholdChoice> {
    check_target("target precision", target)?;
    let r = Ranked::checked("scores", scores, labels)?;
    let total_pos = r.total_pos;
    let mut best_precision = 0.0f64;
    let mut choice = None;
    walk(&r, |t, q, tp| {
        let precision = tp as f64 / q as f64;
        best_precision = best_precision.max(precision);
        if precision >= target && total_pos > 0 {
            choice =
                Some(ThresholdChoice { threshold: t, qualified: q, precision, recall: tp as f64 / total_pos as f64 });
        }
    });
    choice.ok_or(CalibrationError::TargetUnreachable { metric: "precision", target, best: best_precision })
}

/// The highest threshold (so the fewest accounts qualified, usually the
/// highest precision) whose recall is at least `target`.
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, a target outside
/// `(0, 1]`, or [`CalibrationError::TargetUnreachable`] when no label is positive.
pub fn threshold_for_recall(scores: &[f64], labels: &[bool], target: f64) -> Result<ThresholdChoice> {
    check_target("target recall", target)?;
    let r = Ranked::checked("scores", scores, labels)?;
    let total_pos = r.total_pos;
    let mut choice = None;
    walk(&r, |t, q, tp| {
        if choice.is_none() && total_pos > 0 && tp as f64 / total_pos as f64 >= target {
            choice = Some(ThresholdChoice {
                threshold: t,
                qualified: q,
                precision: tp as f64 / q as f64,
                recall: tp as f64 / total_pos as f64,
            });
        }
    });
    choice.ok_or(CalibrationError::TargetUnreachable { metric: "recall", target, best: 0.0 })
}

/// A threshold chosen for a capacity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CapacityChoice {
    /// The threshold: qualify rows whose score is `>=` it.
    pub threshold: f64,
    /// Rows qualified at the threshold (never more than the capacity).
    pub qualified: u64,
}

/// The threshold that qualifies as many of the highest scores as a team can
/// work without exceeding `capacity`. Tied scores are never split: when the
/// ties at the cut would overflow the capacity they all stay out, and when
/// even the top score's ties exceed it the threshold lies just above the
/// highest score and nobody qualifies. A capacity at or above the row count
/// qualifies every row.
///
/// # Errors
/// Empty input, a non-finite score, or `capacity == 0`.
pub fn threshold_for_capacity(scores: &[f64], capacity: usize) -> Result<CapacityChoice> {
    if scores.is_empty() {
        return Err(CoreError::Empty { what: "scores" }.into());
    }
    check::param(capacity >= 1, "capacity", "must be at least 1")?;
    check::finite_slice("scores", scores)?;
    let mut sorted = scores.to_vec();
    sort_finite(&mut sorted);
    let n = sorted.len();
    if capacity >= n {
        return Ok(CapacityChoice { threshold: sorted[0], qualified: n as u64 });
    }
    // The candidate is the capacity-th highest score; rows at it qualify only
    // if every tie fits.
    let candidate = sorted[n - capacity];
    let above_or_at = n - sorted.partition_point(|&v| v < candidate);
    if above_or_at <= capacity {
        return Ok(CapacityChoice { threshold: candidate, qualified: above_or_at as u64 });
    }
    // Exclude the tie group: next distinct score above it, if any.
    let first_above = sorted.partition_point(|&v| v <= candidate);
    if first_above < n {
        Ok(CapacityChoice { threshold: sorted[first_above], qualified: (n - first_above) as u64 })
    } else {
        Ok(CapacityChoice { threshold: sorted[n - 1].next_up(), qualified: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: [f64; 8] = [0.9, 0.8, 0.8, 0.7, 0.5, 0.4, 0.2, 0.1];
    const Y: [bool; 8] = [true, true, false, true, false, true, false, false];

    #[test]
    fn gtm_names_are_precision_and_recall() {
        let c = confusion_at(&S, &Y, 0.7).expect("counts");
        assert_eq!((c.true_positives, c.false_positives, c.true_negatives, c.false_negatives), (3, 1, 3, 1));
        assert_eq!(qualified_conversion_rate(&S, &Y, 0.7).expect("rate"), 0.75);
        assert_eq!(conversion_coverage(&S, &Y, 0.7).expect("coverage"), 0.75);
        assert_eq!(f1_at(&S, &Y, 0.7).expect("f1"), 0.75);
        assert!(matches!(precision_at(&S, &Y, 0.95), Err(CalibrationError::Undefined { .. })));
        assert!(confusion_at(&S, &Y, f64::NAN).is_err());
    }

    #[test]
    fn threshold_choices() {
        let p = threshold_for_precision(&S, &Y, 0.75).expect("reachable");
        assert_eq!((p.threshold, p.qualified), (0.7, 4));
        assert!(matches!(threshold_for_precision(&S, &Y, 1.0), Ok(ThresholdChoice { threshold: 0.9, .. })));
        let r = threshold_for_recall(&S, &Y, 1.0).expect("reachable");
        assert_eq!((r.threshold, r.qualified), (0.4, 6));
        assert!(threshold_for_precision(&S, &Y, 0.0).is_err());
        assert_eq!(threshold_for_capacity(&S, 2).expect("cap"), CapacityChoice { threshold: 0.9, qualified: 1 });
        assert_eq!(threshold_for_capacity(&S, 3).expect("cap"), CapacityChoice { threshold: 0.8, qualified: 3 });
        assert_eq!(threshold_for_capacity(&S, 100).expect("cap").qualified, 8);
        let tied = threshold_for_capacity(&[1.0, 1.0], 1).expect("cap");
        assert_eq!(tied.qualified, 0);
        assert!(tied.threshold > 1.0);
    }
}
