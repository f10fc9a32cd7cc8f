//! The numbers behind the page, each taken from the calibration crate where
//! it has them (AUC, gains and lift, reliability and ECE, the confusion at
//! the qualified tiers, PSI, the migration matrix); the report only counts
//! tiers and reasons.

use crate::input::{ReportInput, Tier};
use acctscore_calibration::metrics::{self, BinStrategy, GainsRow, ReliabilityPoint};
use acctscore_calibration::monitor::{MigrationMatrix, PsiParams, PsiReport};
use acctscore_calibration::{CalibrationError, Result};
use std::collections::BTreeMap;

/// Groups of the gains table (deciles).
pub(crate) const GROUPS: usize = 10;
/// Equal-width bins of the reliability diagram and the ECE.
pub(crate) const RELIABILITY_BINS: usize = 10;
/// Bins of the score histogram.
pub(crate) const HISTOGRAM_BINS: usize = 20;
/// Reason codes shown in the top-factors chart and table.
pub(crate) const TOP_FACTORS: usize = 12;
/// The scorer's code for the factors an account's reasons leave out.
pub(crate) const OTHER_CODE: &str = "other";

pub(crate) struct Headline {
    pub(crate) accounts: usize,
    pub(crate) converted: usize,
    pub(crate) auc: f64,
    pub(crate) qualified: u64,
    pub(crate) qualified_converted: Option<f64>,
    pub(crate) conversions_qualified: Option<f64>,
    pub(crate) lift_top_decile: f64,
    pub(crate) ece: f64,
}

pub(crate) struct TierRow {
    pub(crate) tier: Tier,
    pub(crate) accounts: usize,
    pub(crate) converted: usize,
    pub(crate) min: f64,
    pub(crate) mean: f64,
    pub(crate) max: f64,
}

pub(crate) struct Histogram {
    /// Upper end of the score axis (the lowest tenth at or above the top score).
    pub(crate) hi: f64,
    /// Per bin, accounts of each tier (in [`Tier::ALL`] order).
    pub(crate) counts: Vec<[u64; 4]>,
}

pub(crate) struct Migration {
    /// Accounts in both scorings; the rest of the fields are `None` without any.
    pub(crate) matched: usize,
    pub(crate) current_unmatched: usize,
    pub(crate) baseline_unmatched: usize,
    pub(crate) matrix: Option<MigrationMatrix>,
    pub(crate) psi: Option<PsiReport>,
}

pub(crate) struct FactorRow {
    pub(crate) code: String,
    /// Accounts whose reasons name the code.
    pub(crate) accounts: usize,
    pub(crate) sum: f64,
    pub(crate) sum_abs: f64,
}

pub(crate) struct Factors {
    /// The codes by total absolute contribution, largest first (ties by code).
    pub(crate) top: Vec<FactorRow>,
    /// Distinct codes, `other` left out.
    pub(crate) codes: usize,
    pub(crate) other: Option<FactorRow>,
}

pub(crate) struct Figures {
    pub(crate) headline: Headline,
    pub(crate) gains: Vec<GainsRow>,
    pub(crate) reliability: Vec<ReliabilityPoint>,
    pub(crate) tiers: Vec<TierRow>,
    pub(crate) histogram: Histogram,
    pub(crate) migration: Option<Migration>,
    pub(crate) factors: Option<Factors>,
}

impl Figures {
    /// Every figure of the page. The input's checks make every metric
    /// defined; an error here is a bug the page reports instead of panicking.
    pub(crate) fn compute(input: &ReportInput) -> Result<Figures> {
        let (s, y) = (&input.scores[..], &input.outcomes[..]);
        // Qualified: tier at or above the chosen one, as a threshold on the tier's rank.
        let rank: Vec<f64> = input.tiers.iter().map(|t| t.rank() as f64).collect();
        let confusion = metrics::confusion_at(&rank, y, input.qualified_from.rank() as f64)?;
        let headline = Headline {
            accounts: s.len(),
            converted: y.iter().filter(|&&v| v).count(),
            auc: metrics::roc_auc(s, y)?,
            qualified: confusion.qualified(),
            qualified_converted: confusion.qualified_conversion_rate(),
            conversions_qualified: confusion.conversion_coverage(),
            lift_top_decile: metrics::lift_top_decile(s, y)?,
            ece: metrics::expected_calibration_error(s, y, RELIABILITY_BINS, BinStrategy::Uniform)?,
        };
        Ok(Figures {
            headline,
            gains: metrics::gains_table(s, y, GROUPS)?,
            reliability: metrics::reliability_curve(s, y, RELIABILITY_BINS, BinStrategy::Uniform)?,
            tiers: tier_rows(input),
            histogram: histogram(input),
            migration: migration(input)?,
            factors: factors(input),
        })
    }
}

fn tier_rows(input: &ReportInput) -> Vec<TierRow> {
    Tier::ALL
        .iter()
        .map(|&tier| {
            let mut row = TierRow { tier, accounts: 0, converted: 0, min: f64::INFINITY, mean: 0.0, max: 0.0 };
            let mut sum = 0.0;
            for ((&t, &s), &y) in input.tiers.iter().zip(&input.scores).zip(&input.outcomes) {
                if t == tier {
                    row.accounts += 1;
                    row.converted += usize::from(y);
                    row.min = row.min.min(s);
                    row.max = row.max.max(s);
                    sum += s;
                }
            }
            if row.accounts > 0 {
                row.mean = sum / row.accounts as f64;
            } else {
                row.min = 0.0;
            }
            row
        })
        .collect()
}

fn histogram(input: &ReportInput) -> Histogram {
    let top = input.scores.iter().copied().fold(0.0, f64::max);
    let hi = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let mut counts = vec![[0u64; 4]; HISTOGRAM_BINS];
    for (&s, &t) in input.scores.iter().zip(&input.tiers) {
        let b = ((s / hi * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
        counts[b][t.position()] += 1;
    }
    Histogram { hi, counts }
}

fn migration(input: &ReportInput) -> Result<Option<Migration>> {
    let Some(b) = &input.baseline else { return Ok(None) };
    let mut m = Migration {
        matched: b.rows.len(),
        current_unmatched: b.current_unmatched,
        baseline_unmatched: b.baseline_unmatched,
        matrix: None,
        psi: None,
    };
    if !b.rows.is_empty() {
        let before: Vec<usize> = b.tiers.iter().map(|t| t.rank()).collect();
        let after: Vec<usize> = b.rows.iter().map(|&r| input.tiers[r].rank()).collect();
        let current: Vec<f64> = b.rows.iter().map(|&r| input.scores[r]).collect();
        m.matrix = Some(MigrationMatrix::from_tier_indices(&before, &after, Tier::ALL.len())?);
        m.psi = Some(PsiParams::new().compute(&b.scores, &current)?);
    }
    Ok(Some(m))
}

fn factors(input: &ReportInput) -> Option<Factors> {
    let lists = input.factors.as_ref()?;
    let mut by_code: BTreeMap<&str, FactorRow> = BTreeMap::new();
    for list in lists {
        for f in list {
            let row = by_code.entry(f.code.as_str()).or_insert_with(|| FactorRow {
                code: f.code.clone(),
                accounts: 0,
                sum: 0.0,
                sum_abs: 0.0,
            });
            row.accounts += 1;
            row.sum += f.contribution;
            row.sum_abs += f.contribution.abs();
        }
    }
    let other = by_code.remove(OTHER_CODE);
    let mut top: Vec<FactorRow> = by_code.into_values().collect();
    let codes = top.len();
    // Stable sort over the BTreeMap's code order: ties stay by code.
    top.sort_by(|a, b| b.sum_abs.total_cmp(&a.sum_abs));
    top.truncate(TOP_FACTORS);
    Some(Factors { top, codes, other })
}

/// Keeps the error type's name in one place for the page's message.
pub(crate) fn describe(e: &CalibrationError) -> String {
    format!("the report's figures could not be computed: {e}")
}
