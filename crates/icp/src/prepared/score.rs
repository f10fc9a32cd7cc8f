//! What the prepared engine gives per row: a score with its reasons as
//! indices, plain `Copy` data.

use super::MAX_REASONS;
#[cfg(doc)]
use super::PreparedIcp;
use acctscore_core::Probability;

/// A factor as indices: which source column (or rule) and which of its
/// values. [`PreparedIcp::label`] gives its code and text.
///
/// - `group`: logistic, trees, look-alike — the index of the source column
///   among the pipeline's input columns
///   ([`acctscore_features::encode::FittedPipeline::input_columns`]); rules —
///   the index of the rule; hybrid — the source columns, then the rules,
///   then the custom signals.
/// - `bin`: a categorical column's dictionary code
///   in the prepared frame (so a categorical `FactorId` is meaningful for
///   that frame), a numeric column's bin among its fitted quintile edges,
///   0/1 for a boolean's no/yes, `u32::MAX` for a missing value, 0
///   otherwise (and for rules and signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FactorId {
    /// Source column or rule.
    pub group: u32,
    /// Value bin within the group.
    pub bin: u32,
}

/// One reason of a [`FastScore`]: a factor and its signed contribution to the raw score.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FastReason {
    /// The factor.
    pub factor: FactorId,
    /// Signed contribution to the raw score (log-odds or points).
    pub contribution: f64,
}

/// One account's score from [`PreparedIcp`]: plain `Copy` data, no heap.
#[derive(Debug, Clone, Copy)]
pub struct FastScore {
    /// Calibrated probability of converting.
    pub probability: Probability,
    /// Raw score: log-odds (logistic, trees, hybrid), log similarity
    /// (look-alike) or points (rules).
    pub raw: f64,
    /// Sum of the factors left out (when `has_other`).
    pub(super) other: f64,
    /// Tier letter from the probability.
    pub tier: char,
    pub(super) len: u8,
    pub(super) has_other: bool,
    /// The first `len` are the reasons; the rest is stale.
    pub(super) reasons: [FastReason; MAX_REASONS],
}

impl Default for FastScore {
    fn default() -> Self {
        FastScore {
            probability: Probability::ZERO,
            raw: 0.0,
            other: 0.0,
            tier: 'D',
            len: 0,
            has_other: false,
            reasons: [FastReason::default(); MAX_REASONS],
        }
    }
}

impl PartialEq for FastScore {
    fn eq(&self, o: &Self) -> bool {
        self.probability == o.probability
            && self.raw == o.raw
            && self.tier == o.tier
            && self.other() == o.other()
            && self.reasons() == o.reasons()
    }
}

impl FastScore {
    /// The top reasons, largest magnitude first (ties by column order for
    /// logistic, trees and look-alike; by code for rules and hybrid).
    pub fn reasons(&self) -> &[FastReason] {
        self.reasons.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Sum of the contributions left out of [`FastScore::reasons`]; `None`
    /// when nothing was left out (as an [`Explanation`](crate::explain::Explanation) without an `other` factor).
    pub fn other(&self) -> Option<f64> {
        self.has_other.then_some(self.other)
    }
}
