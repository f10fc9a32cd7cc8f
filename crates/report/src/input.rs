//! The validated input of a report: scores, outcomes, tiers, and optionally
//! a baseline scoring and each account's reasons.

use crate::{ReportError, Result};
use acctscore_core::CoreError;

/// Fewest accounts a report takes: its gains table has ten deciles.
pub const MIN_ACCOUNTS: usize = 10;

/// A tier, `A` (best) to `D`, as the scorer assigns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The best tier.
    A,
    /// The second tier.
    B,
    /// The third tier.
    C,
    /// The lowest tier.
    D,
}

impl Tier {
    /// Every tier, best first.
    pub const ALL: [Tier; 4] = [Tier::A, Tier::B, Tier::C, Tier::D];

    /// The tier's letter.
    pub fn letter(self) -> char {
        match self {
            Tier::A => 'A',
            Tier::B => 'B',
            Tier::C => 'C',
            Tier::D => 'D',
        }
    }

    /// The tier of an upper-case letter `A`–`D` (`None` otherwise: nothing is guessed).
    pub fn from_letter(c: char) -> Option<Tier> {
        match c {
            'A' => Some(Tier::A),
            'B' => Some(Tier::B),
            'C' => Some(Tier::C),
            'D' => Some(Tier::D),
            _ => None,
        }
    }

    /// The tier as the calibration crate's monitoring counts tiers: 0 is the
    /// lowest (`D`), 3 the best (`A`), so that "upgraded" means a higher index.
    pub(crate) fn rank(self) -> usize {
        3 - self.position()
    }

    /// Position in [`Tier::ALL`] (0 = `A`).
    pub(crate) fn position(self) -> usize {
        match self {
            Tier::A => 0,
            Tier::B => 1,
            Tier::C => 2,
            Tier::D => 3,
        }
    }
}

/// One reason of an account's score: a stable code (no `:` or `;`) and its
/// signed contribution (probability units in the scorer's output).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreReason {
    /// The reason's code, e.g. `industry_software`.
    pub code: String,
    /// Its signed contribution to the score.
    pub contribution: f64,
}

impl ScoreReason {
    /// A factor from its code and contribution.
    pub fn new(code: impl Into<String>, contribution: f64) -> ScoreReason {
        ScoreReason { code: code.into(), contribution }
    }
}

/// A baseline scoring joined to the current accounts: only the accounts in
/// both are compared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Baseline {
    /// Index into the current accounts of each matched account.
    pub(crate) rows: Vec<usize>,
    /// The matched accounts' baseline scores.
    pub(crate) scores: Vec<f64>,
    /// The matched accounts' baseline tiers.
    pub(crate) tiers: Vec<Tier>,
    /// Current accounts without a baseline row.
    pub(crate) current_unmatched: usize,
    /// Baseline rows without a current account.
    pub(crate) baseline_unmatched: usize,
}

/// What a report is drawn from, checked once when it is built.
///
/// Scores are probabilities (finite, in `[0, 1]`), outcomes are `true` for
/// an account that converted, tiers are `A`–`D`; all of one length, at least
/// [`MIN_ACCOUNTS`], with both outcomes present. A baseline scoring of the
/// same accounts ([`ReportInput::with_baseline`]) adds the tier-migration
/// chart; each account's reasons ([`ReportInput::with_factors`]) add the
/// top-factors chart. A frame written by the scorer can be read whole with
/// [`ReportInput::from_frame`](crate::ReportInput::from_frame).
///
/// ```
/// use acctscore_report::{ScoreReason, ReportInput, Tier};
///
/// let scores: Vec<f64> = (0..20).map(|i| f64::from(i) / 20.0).collect();
/// let outcomes: Vec<bool> = (0..20).map(|i| i % 3 == 0).collect();
/// let tiers: Vec<char> = scores.iter().map(|&s| if s > 0.5 { 'A' } else { 'C' }).collect();
/// let factors: Vec<Vec<ScoreReason>> = scores.iter().map(|&s| vec![ScoreReason::new("fit", s - 0.5)]).collect();
/// let input = ReportInput::new(&scores, &outcomes, &tiers)?
///     .with_factors(&factors)?
///     .title("Q3 pool")
///     .qualified_from(Tier::A);
/// assert_eq!(input.len(), 20);
/// assert!(!input.has_baseline());
/// # Ok::<(), acctscore_report::ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    pub(crate) scores: Vec<f64>,
    pub(crate) outcomes: Vec<bool>,
    pub(crate) tiers: Vec<Tier>,
    pub(crate) ids: Option<Vec<String>>,
    pub(crate) baseline: Option<Baseline>,
    pub(crate) factors: Option<Vec<Vec<ScoreReason>>>,
    pub(crate) title: String,
    pub(crate) score_name: String,
    pub(crate) qualified_from: Tier,
}

pub(crate) fn check_probabilities(what: &'static str, scores: &[f64]) -> Result<()> {
    Ok(acctscore_core::check::probabilities(what, scores)?)
}

fn check_tiers(what: &'static str, tiers: &[char]) -> Result<Vec<Tier>> {
    tiers
        .iter()
        .enumerate()
        .map(|(index, &c)| Tier::from_letter(c).ok_or_else(|| ReportError::BadTier { what, index, found: c.into() }))
        .collect()
}

impl ReportInput {
    /// Checks and takes the scored accounts.
    ///
    /// # Errors
    /// [`CoreError::Empty`] without accounts; [`CoreError::ShapeMismatch`]
    /// when `outcomes` or `tiers` differ in length from `scores`;
    /// [`CoreError::NonFinite`] or [`CoreError::NotAProbability`] for a
    /// score; [`ReportError::BadTier`]; [`ReportError::TooFewRows`] below
    /// [`MIN_ACCOUNTS`]; [`CoreError::SingleClass`] when every outcome is the
    /// same (AUC and lift are undefined).
    pub fn new(scores: &[f64], outcomes: &[bool], tiers: &[char]) -> Result<ReportInput> {
        if scores.is_empty() {
            return Err(CoreError::Empty { what: "scores" }.into());
        }
        acctscore_core::check::same_len("outcomes vs scores", scores.len(), outcomes.len())?;
        acctscore_core::check::same_len("tiers vs scores", scores.len(), tiers.len())?;
        check_probabilities("scores", scores)?;
        let tiers = check_tiers("tiers", tiers)?;
        if scores.len() < MIN_ACCOUNTS {
            return Err(ReportError::TooFewRows { needed: MIN_ACCOUNTS, found: scores.len() });
        }
        let positives = outcomes.iter().filter(|&&y| y).count();
        if positives == 0 || positives == outcomes.len() {
            return Err(CoreError::SingleClass { positives, negatives: outcomes.len() - positives }.into());
        }
        Ok(ReportInput {
            scores: scores.to_vec(),
            outcomes: outcomes.to_vec(),
            tiers,
            ids: None,
            baseline: None,
            factors: None,
            title: "Account scoring report".to_string(),
            score_name: "score".to_string(),
            qualified_from: Tier::B,
        })
    }

    /// Adds a baseline scoring (an earlier model, or last quarter's run) of
    /// the same accounts in the same order, for the tier-migration chart and
    /// the population stability index.
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when a slice's length differs from the
    /// accounts'; a score that is not a finite probability; a bad tier.
    pub fn with_baseline(mut self, scores: &[f64], tiers: &[char]) -> Result<ReportInput> {
        acctscore_core::check::same_len("baseline scores vs scores", self.len(), scores.len())?;
        acctscore_core::check::same_len("baseline tiers vs scores", self.len(), tiers.len())?;
        check_probabilities("baseline scores", scores)?;
        let tiers = check_tiers("baseline tiers", tiers)?;
        self.baseline = Some(Baseline {
            rows: (0..self.len()).collect(),
            scores: scores.to_vec(),
            tiers,
            current_unmatched: 0,
            baseline_unmatched: 0,
        });
        Ok(self)
    }

    /// Adds each account's reasons (in account order; an account may have
    /// none), for the top-factors chart. The code `other` (the scorer's sum
    /// of the factors an account's reasons leave out) is not ranked.
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when the number of lists differs from the
    /// accounts'; [`ReportError::BadReasonCode`];
    /// [`ReportError::NonFiniteContribution`].
    pub fn with_factors(mut self, factors: &[Vec<ScoreReason>]) -> Result<ReportInput> {
        acctscore_core::check::same_len("reasons vs scores", self.len(), factors.len())?;
        for (index, list) in factors.iter().enumerate() {
            for f in list {
                if f.code.is_empty() || f.code.contains([':', ';']) {
                    return Err(ReportError::BadReasonCode { index, code: f.code.clone() });
                }
                if !f.contribution.is_finite() {
                    return Err(ReportError::NonFiniteContribution {
                        index,
                        code: f.code.clone(),
                        value: f.contribution,
                    });
                }
            }
        }
        self.factors = Some(factors.to_vec());
        Ok(self)
    }

    /// The page's title (default "Account scoring report").
    pub fn title(mut self, title: impl Into<String>) -> ReportInput {
        self.title = title.into();
        self
    }

    /// What the score is called on the page, e.g. the column it came from
    /// (default "score").
    pub fn score_name(mut self, name: impl Into<String>) -> ReportInput {
        self.score_name = name.into();
        self
    }

    /// The lowest tier that counts as qualified (worked by sales) for the
    /// headline's "qualified → converted" and "conversions qualified"
    /// (default [`Tier::B`]: tiers A and B are qualified).
    pub fn qualified_from(mut self, lowest: Tier) -> ReportInput {
        self.qualified_from = lowest;
        self
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Always false: an input holds at least [`MIN_ACCOUNTS`] accounts.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The scores.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The outcomes (`true`: converted).
    pub fn outcomes(&self) -> &[bool] {
        &self.outcomes
    }

    /// The tiers.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// Whether a baseline scoring was given.
    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    /// Whether reasons were given.
    pub fn has_factors(&self) -> bool {
        self.factors.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_input() -> (Vec<f64>, Vec<bool>, Vec<char>) {
        let s: Vec<f64> = (0..12).map(|i| f64::from(i) / 12.0).collect();
        let y: Vec<bool> = (0..12).map(|i| i % 2 == 0).collect();
        (s, y, vec!['B'; 12])
    }

    #[test]
    fn bad_inputs_are_named() {
        let (s, y, t) = ok_input();
        assert!(ReportInput::new(&s, &y, &t).is_ok());
        assert!(matches!(ReportInput::new(&[], &[], &[]), Err(ReportError::Core(CoreError::Empty { .. }))));
        let e = ReportInput::new(&s, &y[..11], &t).expect_err("an error");
        assert!(matches!(e, ReportError::Core(CoreError::ShapeMismatch { expected: 12, found: 11, .. })), "{e}");
        assert!(e.to_string().contains("outcomes"), "{e}");
        let e = ReportInput::new(&s, &y, &t[..3]).expect_err("an error");
        assert!(e.to_string().contains("tiers"), "{e}");
        let mut bad = s.clone();
        bad[4] = f64::NAN;
        let e = ReportInput::new(&bad, &y, &t).expect_err("an error");
        assert!(matches!(e, ReportError::Core(CoreError::NonFinite { what: "scores", index: 4, .. })), "{e}");
        bad[4] = 1.5;
        let e = ReportInput::new(&bad, &y, &t).expect_err("an error");
        assert!(matches!(e, ReportError::Core(CoreError::NotAProbability { index: 4, .. })), "{e}");
        let mut tiers = t.clone();
        tiers[7] = 'a';
        let e = ReportInput::new(&s, &y, &tiers).expect_err("an error");
        assert!(matches!(e, ReportError::BadTier { index: 7, .. }), "{e}");
        assert!(matches!(
            ReportInput::new(&s[..9], &y[..9], &t[..9]),
            Err(ReportError::TooFewRows { needed: 10, found: 9 })
        ));
        let e = ReportInput::new(&s, &[false; 12], &t).expect_err("an error");
        assert!(matches!(e, ReportError::Core(CoreError::SingleClass { positives: 0, negatives: 12 })), "{e}");
    }

    #[test]
    fn baseline_and_factors_are_checked() {
        let (s, y, t) = ok_input();
        let input = ReportInput::new(&s, &y, &t).expect("input");
        assert!(input.clone().with_baseline(&s, &t).expect("baseline").has_baseline());
        let e = input.clone().with_baseline(&[], &[]).expect_err("an error");
        assert!(matches!(e, ReportError::Core(CoreError::ShapeMismatch { expected: 12, found: 0, .. })), "{e}");
        let mut bs = s.clone();
        bs[0] = f64::INFINITY;
        let e = input.clone().with_baseline(&bs, &t).expect_err("an error");
        assert!(matches!(e, ReportError::Core(CoreError::NonFinite { what: "baseline scores", .. })), "{e}");
        let mut f: Vec<Vec<ScoreReason>> = vec![vec![ScoreReason::new("size", 0.1)]; 12];
        assert!(input.clone().with_factors(&f).expect("factors").has_factors());
        f[3].push(ScoreReason::new("a:b", 0.1));
        assert!(matches!(input.clone().with_factors(&f), Err(ReportError::BadReasonCode { index: 3, .. })));
        f[3][1] = ScoreReason::new("ok", f64::NAN);
        assert!(matches!(input.clone().with_factors(&f), Err(ReportError::NonFiniteContribution { index: 3, .. })));
        assert!(input.with_factors(&f[..2]).is_err());
    }
}
