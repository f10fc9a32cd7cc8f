//! What a fit decided, recorded in the model file: the columns the quality
//! gate left out, the revenue model, and the quality tiers.

use crate::features::quality::{Flag, QualityReport};
use crate::revenue::LearnedRangeModel;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// What the fit did with a column the data-quality report flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GateAction {
    /// Left out of every model (flagged `leakage` or `id_like`).
    LeftOut,
    /// Flagged `leakage` or `id_like`, but kept because the caller asked
    /// for it ([`crate::ScorerParams::keep`]).
    KeptOnRequest,
    /// Only suspect (`suspect_leakage`): kept, reported for a person to confirm.
    KeptSuspect,
}

/// One flagged column and what the fit did with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GatedColumn {
    /// The column.
    pub column: String,
    /// The quality report's flags that matter to fitting (`leakage`,
    /// `id_like`, `suspect_leakage`).
    pub flags: Vec<Flag>,
    /// The column's single-column out-of-fold AUC against the label.
    pub auc: f64,
    /// What the fit did.
    pub action: GateAction,
}

/// How P(revenue in range) is computed for accounts without a trustworthy
/// reported revenue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevenueModel {
    /// A classifier of "revenue in range" on firmographics, fitted where the
    /// reported revenue is known and not doubted by the anomaly checks,
    /// cross-fitted and calibrated.
    Learned {
        /// The fitted model.
        model: Box<LearnedRangeModel>,
        /// Rows with a trustworthy reported revenue (the labels).
        labelled_rows: usize,
        /// Of those, in range.
        in_range: usize,
    },
    /// The analytic log-normal probability of the business-model estimate.
    Analytic {
        /// Why no model was learned.
        reason: String,
    },
}

impl RevenueModel {
    /// The learned model, if any.
    pub fn learned(&self) -> Option<&LearnedRangeModel> {
        match self {
            RevenueModel::Learned { model, .. } => Some(model),
            RevenueModel::Analytic { .. } => None,
        }
    }
}

/// Where an account's P(revenue in range) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevenueSource {
    /// The reported revenue, with the reported method's uncertainty.
    Reported,
    /// The learned model on firmographics (no trustworthy reported revenue).
    Learned,
    /// The analytic probability of the business-model estimate (no learned model).
    Analytic,
}

impl RevenueSource {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevenueSource::Reported => "reported",
            RevenueSource::Learned => "learned",
            RevenueSource::Analytic => "analytic",
        }
    }
}

/// Tier cut points on an account's *quality* (its priority before
/// engagement: ICP × revenue fit × anomaly, as the Scorer combines them):
/// tier A at or above `a`, B at or above `b`, C at or above `c`, else D.
/// A cut above 1 leaves its tier empty. Because the tier is a band of
/// quality, accounts sorted by quality never see their tier improve again,
/// and engagement (a rep's calls) never changes a tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTiers", into = "RawTiers")]
pub struct QualityTiers {
    a: f64,
    b: f64,
    c: f64,
}

#[derive(Serialize, Deserialize)]
struct RawTiers {
    a: f64,
    b: f64,
    c: f64,
}

impl From<QualityTiers> for RawTiers {
    fn from(t: QualityTiers) -> Self {
        RawTiers { a: t.a, b: t.b, c: t.c }
    }
}

impl TryFrom<RawTiers> for QualityTiers {
    type Error = Error;
    fn try_from(t: RawTiers) -> Result<Self> {
        QualityTiers::new(t.a, t.b, t.c)
    }
}

/// Default shares of the fit frame in tiers A, B and C for learned
/// families (D holds the rest, 40%): the top decile, the next two, the next three.
pub const DEFAULT_TIER_SHARES: [f64; 3] = [0.10, 0.20, 0.30];

/// Checks tier shares: each finite and `>= 0`, their sum at most 1.
///
/// # Errors
/// [`crate::core::CoreError::InvalidParameter`] (`tier shares`) otherwise.
pub(crate) fn check_shares(shares: [f64; 3]) -> Result<()> {
    let total: f64 = shares.iter().sum();
    if shares.iter().any(|s| !(s.is_finite() && *s >= 0.0)) || total > 1.0 + 1e-12 {
        return Err(crate::core::CoreError::InvalidParameter {
            name: "tier shares",
            reason: "shares must be finite, >= 0 and sum to at most 1",
        }
        .into());
    }
    Ok(())
}

/// A cut above every quality: its tier is empty.
const EMPTY_TIER: f64 = 2.0;

impl QualityTiers {
    /// Explicit cut points: finite, `a ≥ b ≥ c ≥ 0`.
    ///
    /// # Errors
    /// [`crate::core::CoreError::InvalidParameter`] otherwise.
    pub fn new(a: f64, b: f64, c: f64) -> Result<Self> {
        if !(a.is_finite() && b.is_finite() && c.is_finite() && a >= b && b >= c && c >= 0.0) {
            return Err(crate::core::CoreError::InvalidParameter {
                name: "quality tiers",
                reason: "cut points must be finite with a >= b >= c >= 0",
            }
            .into());
        }
        Ok(QualityTiers { a, b, c })
    }

    /// Cut points that put the given shares of `quality` (the fit frame's
    /// qualities) in tiers A, B and C (D holds the rest): each cut is the
    /// quality of the last account of its tier when the accounts are sorted
    /// best first, so ties at a cut go to the better tier and a tier may
    /// hold a little more than its share. A share of 0 leaves its tier
    /// empty.
    ///
    /// # Errors
    /// Shares that are negative, not finite or sum above 1, or no finite quality.
    pub fn from_shares(quality: &[f64], shares: [f64; 3]) -> Result<Self> {
        check_shares(shares)?;
        let mut q: Vec<f64> = quality.iter().copied().filter(|x| x.is_finite()).collect();
        if q.is_empty() {
            return Err(crate::core::CoreError::Empty { what: "qualities for tier cut points" }.into());
        }
        q.sort_by(|a, b| b.total_cmp(a));
        let n = q.len();
        let mut cuts = [EMPTY_TIER; 3];
        // An empty tier takes the cut of the tier above it (above 1 for A), so
        // that nobody falls in it and the cuts stay ordered.
        let (mut prev, mut cumulative) = (EMPTY_TIER, 0.0);
        for (cut, share) in cuts.iter_mut().zip(shares) {
            let before = (cumulative * n as f64).round() as usize;
            cumulative += share;
            let upto = ((cumulative * n as f64).round() as usize).min(n);
            *cut = match upto.checked_sub(1).and_then(|k| q.get(k)) {
                Some(&x) if upto > before => x,
                _ => prev,
            };
            prev = *cut;
        }
        let [a, b, c] = cuts;
        QualityTiers::new(a, b, c)
    }

    /// The cut points `(a, b, c)`.
    pub fn cuts(&self) -> (f64, f64, f64) {
        (self.a, self.b, self.c)
    }

    /// The tier letter of a quality.
    pub fn tier(&self, quality: f64) -> char {
        crate::core::tier_letter(quality, self.a, self.b, self.c)
    }
}

/// How the tier cut points were chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TierSource {
    /// Shares of the fit frame's qualities (learned families).
    Shares {
        /// Shares of tiers A, B and C.
        shares: [f64; 3],
    },
    /// The rules file's `[tiers]` points: each tier's share of the fit frame
    /// equals its share at those points.
    RulePoints {
        /// Points for tiers A, B and C.
        points: [f64; 3],
        /// The resulting shares of tiers A, B and C.
        shares: [f64; 3],
    },
}

/// What a fit decided and why, kept in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitReport {
    /// Columns the data-quality report flagged, and what the fit did with each.
    pub gated: Vec<GatedColumn>,
    /// Rows the quality report read (a seeded evenly spaced sample on large frames).
    pub quality_rows: usize,
    /// How P(revenue in range) is computed without a trustworthy reported revenue.
    pub revenue: RevenueModel,
    /// Tier cut points on quality.
    pub tiers: QualityTiers,
    /// How they were chosen.
    pub tier_source: TierSource,
    /// Per column with any: how many values of the fit frame were
    /// missing-value tokens (`n/a`, `NULL`, …) read as missing, as the CSV
    /// loader counted them ([`Frame::missing_tokens`]; empty for a frame
    /// built in code, and in model files written before the count existed).
    ///
    /// [`Frame::missing_tokens`]: crate::frame::Frame::missing_tokens
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_tokens: Vec<(String, usize)>,
}

impl FitReport {
    /// The columns left out of every model by the quality gate.
    pub fn left_out(&self) -> impl Iterator<Item = &str> {
        self.gated.iter().filter(|g| g.action == GateAction::LeftOut).map(|g| g.column.as_str())
    }
}

impl std::fmt::Display for FitReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for g in &self.gated {
            let flags: Vec<&str> = g.flags.iter().map(|x| x.as_str()).collect();
            let what = match g.action {
                GateAction::LeftOut => "left out",
                GateAction::KeptOnRequest => "kept on request",
                GateAction::KeptSuspect => "kept (suspect: confirm it is known before the outcome)",
            };
            writeln!(f, "column `{}`: {} (AUC {:.3}): {what}", g.column, flags.join(", "), g.auc)?;
        }
        for (column, n) in &self.missing_tokens {
            writeln!(f, "column `{column}`: {n} missing-value tokens (such as `n/a`, `NULL`) read as missing")?;
        }
        match &self.revenue {
            RevenueModel::Learned { labelled_rows, in_range, .. } => writeln!(
                f,
                "revenue: learned P(in range) from {labelled_rows} accounts with trustworthy reported revenue ({in_range} in range)"
            )?,
            RevenueModel::Analytic { reason } => writeln!(f, "revenue: analytic P(in range) ({reason})")?,
        }
        let (a, b, c) = self.tiers.cuts();
        // A quality is at most 1: a cut above it is a tier no account is in.
        let cut = |letter: char, x: f64| {
            if x > 1.0 {
                format!("{letter}: none (no fit account reached it)")
            } else {
                format!("{letter} >= {}", cut_text(x))
            }
        };
        write!(f, "tiers on quality: {}, {}, {}", cut('A', a), cut('B', b), cut('C', c))
    }
}

/// A tier cut as the fit report prints it: four decimals, or three
/// significant digits below 0.0001, so that a cut just above 0 does not read
/// as `>= 0.0000` (every account).
fn cut_text(x: f64) -> String {
    if x == 0.0 || x >= 1e-4 { format!("{x:.4}") } else { format!("{x:.2e}") }
}

/// The gate's decision for each flagged column of `report` among
/// `candidates`: `leakage` and `id_like` are left out unless in `keep`;
/// `suspect_leakage` alone is kept and reported.
pub(crate) fn gate(report: &QualityReport, keep: &[String]) -> Vec<GatedColumn> {
    let mut out = Vec::new();
    for c in &report.columns {
        let flags: Vec<Flag> = c
            .flags
            .iter()
            .copied()
            .filter(|f| matches!(f, Flag::Leakage | Flag::IdLike | Flag::SuspectLeakage))
            .collect();
        if flags.is_empty() {
            continue;
        }
        let hard = flags.iter().any(|f| matches!(f, Flag::Leakage | Flag::IdLike));
        let action = if !hard {
            GateAction::KeptSuspect
        } else if keep.contains(&c.name) {
            GateAction::KeptOnRequest
        } else {
            GateAction::LeftOut
        };
        out.push(GatedColumn { column: c.name.clone(), flags, auc: c.auc, action });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_give_ordered_cuts_and_monotone_tiers() {
        let q: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
        let t = QualityTiers::from_shares(&q, [0.1, 0.2, 0.3]).expect("valid");
        let (a, b, c) = t.cuts();
        assert_eq!((a, b, c), (0.90, 0.70, 0.40));
        assert_eq!(q.iter().filter(|&&x| t.tier(x) == 'A').count(), 10);
        assert_eq!(q.iter().filter(|&&x| t.tier(x) == 'B').count(), 20);
        assert_eq!(q.iter().filter(|&&x| t.tier(x) == 'D').count(), 40);
        // An empty tier A: nobody reaches it.
        let t = QualityTiers::from_shares(&q, [0.0, 0.5, 0.0]).expect("valid");
        assert!(q.iter().all(|&x| t.tier(x) != 'A' && t.tier(x) != 'C'));
        assert_eq!(q.iter().filter(|&&x| t.tier(x) == 'B').count(), 50);
        assert!(QualityTiers::new(0.2, 0.5, 0.1).is_err());
        assert!(QualityTiers::new(f64::NAN, 0.5, 0.1).is_err());
        assert!(QualityTiers::from_shares(&q, [0.6, 0.6, 0.0]).is_err());
        assert!(QualityTiers::from_shares(&[], [0.1, 0.1, 0.1]).is_err());
        // A tampered file with inverted cuts is refused.
        assert!(serde_json::from_str::<QualityTiers>(r#"{"a":0.1,"b":0.5,"c":0.0}"#).is_err());
    }

    #[test]
    fn a_cut_just_above_zero_is_printed_as_such() {
        assert_eq!(cut_text(0.27815), "0.2782");
        assert_eq!(cut_text(0.0), "0.0000");
        assert_eq!(cut_text(6.686_666e-7), "6.69e-7");
    }
}
