//! The [`Scorer`]: features + ICP model composed, ranking accounts with a
//! tier and the reasons behind each score.

use crate::core::{Fit, Probability, Score};
use crate::features::encode::{FeatureRole, FittedPipeline, MISSING_LEVEL, PipelineParams, RARE_LEVEL, fold_level};
use crate::features::{Column, Frame};
use crate::icp::explain::{Explanation, Factor, sanitize_code};
use crate::icp::logistic::{FittedLogistic, LogisticParams};
use crate::icp::rules::RuleSet;
use crate::pool::{AccountRecord, accounts_to_frame};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The model family behind an ICP score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Family {
    /// Weighted rules from a rules file: the score is points.
    Rules,
    /// Logistic regression: the score is a probability.
    Logistic,
}

/// Tier cut points on a probability: A at or above `a`, B at or above `b`,
/// C at or above `c`, else D. Defaults 0.20 / 0.10 / 0.05 (for a pool whose
/// base rate is near 5%: C is "at least average").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityTiers {
    a: f64,
    b: f64,
    c: f64,
}

impl Default for ProbabilityTiers {
    fn default() -> Self {
        ProbabilityTiers { a: 0.20, b: 0.10, c: 0.05 }
    }
}

impl ProbabilityTiers {
    /// Cut points; they must satisfy `1 ≥ a > b > c ≥ 0`.
    ///
    /// # Errors
    /// [`crate::core::CoreError::InvalidParameter`] otherwise.
    pub fn new(a: f64, b: f64, c: f64) -> Result<Self> {
        if !(a <= 1.0 && a > b && b > c && c >= 0.0) {
            return Err(crate::core::CoreError::InvalidParameter { name: "tiers", reason: "need 1 >= a > b > c >= 0" }
                .into());
        }
        Ok(ProbabilityTiers { a, b, c })
    }

    /// The tier letter of a probability.
    pub fn tier(&self, p: f64) -> char {
        if p >= self.a {
            'A'
        } else if p >= self.b {
            'B'
        } else if p >= self.c {
            'C'
        } else {
            'D'
        }
    }
}

/// Settings of a [`Scorer`]. Build with [`ScorerParams::new`] and setters.
#[derive(Debug, Clone)]
pub struct ScorerParams {
    rules: Option<RuleSet>,
    logistic: LogisticParams,
    min_frequency: usize,
    top_reasons: usize,
    tiers: ProbabilityTiers,
}

impl Default for ScorerParams {
    fn default() -> Self {
        Self::new()
    }
}

/// Columns of the pool that are never ICP features: the revenue is the
/// revenue model's input, and free-text titles need the title normaliser.
const NOT_ICP_FEATURES: [&str; 2] = ["monthly_revenue_usd", "job_title_of_contact"];

impl ScorerParams {
    /// Logistic regression (C = 1), levels seen fewer than 10 times pooled,
    /// 3 reasons per account, default tiers.
    pub fn new() -> Self {
        ScorerParams {
            rules: None,
            logistic: LogisticParams::new(),
            min_frequency: 10,
            top_reasons: 3,
            tiers: ProbabilityTiers::default(),
        }
    }

    /// Score with these weighted rules instead of a learned model.
    pub fn rules(mut self, rules: RuleSet) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Parameters of the logistic regression.
    pub fn logistic(mut self, params: LogisticParams) -> Self {
        self.logistic = params;
        self
    }

    /// Minimum count of a categorical level before it gets its own feature.
    pub fn min_frequency(mut self, n: usize) -> Self {
        self.min_frequency = n;
        self
    }

    /// How many reasons each score carries (the rest are summed as `other`).
    pub fn top_reasons(mut self, k: usize) -> Self {
        self.top_reasons = k;
        self
    }

    /// Tier cut points for learned probabilities.
    pub fn tiers(mut self, tiers: ProbabilityTiers) -> Self {
        self.tiers = tiers;
        self
    }

    /// Fits on accounts whose `converted` label is known (unlabelled rows
    /// are left out of training and counted in [`Scorer::unlabelled`]).
    ///
    /// # Errors
    /// No labelled rows, a single class, or an encoder/model error.
    pub fn fit(&self, accounts: &[AccountRecord]) -> Result<Scorer> {
        if let Some(rules) = &self.rules {
            // Check the rules against the pool's columns once, at fit time.
            let empty = accounts_to_frame(&[])?;
            rules.bind(&empty)?;
            return Ok(Scorer { model: Model::Rules(rules.clone()), top_reasons: self.top_reasons, tiers: self.tiers, unlabelled: 0 });
        }
        let labelled: Vec<AccountRecord> = accounts.iter().filter(|a| a.converted.is_some()).cloned().collect();
        let unlabelled = accounts.len() - labelled.len();
        let y: Vec<bool> = labelled.iter().map(|a| a.converted == Some(true)).collect();
        let frame = accounts_to_frame(&labelled)?;
        let pipeline = PipelineParams::new().min_frequency(self.min_frequency).exclude(NOT_ICP_FEATURES).fit(&frame)?;
        let x = pipeline.transform(&frame)?;
        let model = self.logistic.fit(x.view(), &y)?;
        Ok(Scorer {
            model: Model::Logistic { pipeline, model },
            top_reasons: self.top_reasons,
            tiers: self.tiers,
            unlabelled,
        })
    }
}

#[derive(Debug, Clone)]
enum Model {
    Rules(RuleSet),
    Logistic { pipeline: FittedPipeline, model: FittedLogistic },
}

/// A fitted scorer: plain data, `Send + Sync`, cheap to clone.
#[derive(Debug, Clone)]
pub struct Scorer {
    model: Model,
    top_reasons: usize,
    tiers: ProbabilityTiers,
    unlabelled: usize,
}

/// The score of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountScore {
    /// The account.
    pub account_id: String,
    /// The family behind the score.
    pub family: Family,
    /// The ranking score: probability of converting (learned) or points (rules).
    pub score: f64,
    /// The probability of converting, when the family gives one.
    pub probability: Option<Probability>,
    /// The raw score: log-odds (learned) or points (rules).
    pub raw: f64,
    /// Tier letter, `A` (best) to `D`.
    pub tier: char,
    /// Whether the account is qualified (rules: points ≥ threshold;
    /// learned: tier A or B).
    pub qualified: bool,
    /// The top factors, largest first (the rest summed as `other`).
    pub reasons: Vec<Factor>,
    /// The score of an average account (log-odds), or 0 points.
    pub baseline: f64,
}

impl Scorer {
    /// The model family.
    pub fn family(&self) -> Family {
        match self.model {
            Model::Rules(_) => Family::Rules,
            Model::Logistic { .. } => Family::Logistic,
        }
    }

    /// Rows left out of training because their label was missing.
    pub fn unlabelled(&self) -> usize {
        self.unlabelled
    }

    /// The fitted logistic model, when that is the family.
    pub fn logistic(&self) -> Option<(&FittedPipeline, &FittedLogistic)> {
        match &self.model {
            Model::Logistic { pipeline, model } => Some((pipeline, model)),
            Model::Rules(_) => None,
        }
    }

    /// Scores every account, in input order.
    ///
    /// # Errors
    /// A non-finite number in the accounts, or an encoder error.
    pub fn score(&self, accounts: &[AccountRecord]) -> Result<Vec<AccountScore>> {
        let frame = accounts_to_frame(accounts)?;
        match &self.model {
            Model::Rules(rules) => {
                let bound = rules.bind(&frame)?;
                Ok(accounts
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let e = bound.explain(i);
                        let points = e.total();
                        self.finish(a, Family::Rules, points, None, rules.tiers().tier(points), rules.is_qualified(points), e)
                    })
                    .collect())
            }
            Model::Logistic { pipeline, model } => {
                let x = pipeline.transform(&frame)?;
                let raw = model.score_batch(x.view())?;
                let plan = FactorPlan::new(pipeline, &frame);
                let mut out = Vec::with_capacity(accounts.len());
                for (i, a) in accounts.iter().enumerate() {
                    let groups = plan.groups(i);
                    let e = Explanation::new(model.baseline(), model.grouped_factors(x.row(i), &groups));
                    let p = Probability::from_log_odds(raw[i]).map_err(Error::from)?;
                    let tier = self.tiers.tier(p.get());
                    out.push(self.finish(a, Family::Logistic, raw[i], Some(p), tier, matches!(tier, 'A' | 'B'), e));
                }
                Ok(out)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        a: &AccountRecord,
        family: Family,
        raw: f64,
        probability: Option<Probability>,
        tier: char,
        qualified: bool,
        e: Explanation,
    ) -> AccountScore {
        let top = e.top(self.top_reasons);
        AccountScore {
            account_id: a.account_id.clone(),
            family,
            score: probability.map_or(raw, Probability::get),
            probability,
            raw,
            tier,
            qualified,
            reasons: top.factors,
            baseline: top.baseline,
        }
    }

    /// The `n` best accounts, best first (ties broken by account id, so the
    /// order is deterministic).
    ///
    /// # Errors
    /// As [`Scorer::score`].
    pub fn top_n(&self, accounts: &[AccountRecord], n: usize) -> Result<Vec<AccountScore>> {
        let mut all = self.score(accounts)?;
        all.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.account_id.cmp(&b.account_id)));
        all.truncate(n);
        Ok(all)
    }
}

/// How each encoded feature of a pipeline maps to a factor of one frame's rows:
/// features of the same source column share one factor, named after the row's value.
struct FactorPlan<'f> {
    /// Per encoded feature: its source column in the frame, and for
    /// categorical columns the code of each of the frame's levels.
    features: Vec<(&'f str, Option<&'f Column>, Option<std::rc::Rc<Vec<String>>>)>,
}

impl<'f> FactorPlan<'f> {
    fn new(pipeline: &'f FittedPipeline, frame: &'f Frame) -> Self {
        let mut level_codes: Vec<(&str, std::rc::Rc<Vec<String>>)> = Vec::new();
        let features = pipeline
            .features()
            .iter()
            .map(|f| {
                let column = frame.column(&f.column).ok();
                let codes = match column {
                    Some(Column::Categorical(c)) => Some(match level_codes.iter().find(|(n, _)| *n == f.column) {
                        Some((_, codes)) => codes.clone(),
                        None => {
                            let known: Vec<&str> = pipeline
                                .features()
                                .iter()
                                .filter(|g| g.column == f.column)
                                .filter_map(|g| match &g.role {
                                    FeatureRole::Level(l) => Some(l.as_str()),
                                    _ => None,
                                })
                                .collect();
                            let codes: Vec<String> = c
                                .levels()
                                .iter()
                                .map(|l| {
                                    let folded = fold_level(l);
                                    let level = if known.contains(&folded.as_str()) { folded } else { RARE_LEVEL.to_string() };
                                    sanitize_code(&format!("{}={level}", f.column))
                                })
                                .collect();
                            let codes = std::rc::Rc::new(codes);
                            level_codes.push((f.column.as_str(), codes.clone()));
                            codes
                        }
                    }),
                    _ => None,
                };
                (f.column.as_str(), column, codes)
            })
            .collect();
        FactorPlan { features }
    }

    /// Each encoded feature's factor (code, text) for row `i`.
    fn groups(&self, i: usize) -> Vec<(String, String)> {
        self.features
            .iter()
            .map(|(name, column, codes)| match (column, codes) {
                (Some(Column::Categorical(c)), Some(codes)) => match c.codes().get(i).copied().flatten() {
                    Some(k) => (
                        codes.get(k as usize).cloned().unwrap_or_else(|| sanitize_code(name)),
                        format!("{name} = {}", c.get(i).unwrap_or("unknown")),
                    ),
                    None => (sanitize_code(&format!("{name}={MISSING_LEVEL}")), format!("{name} unknown")),
                },
                (Some(Column::Numeric(v)), _) => match v.get(i).copied().flatten() {
                    Some(x) => (sanitize_code(name), format!("{name} {x}")),
                    None => (sanitize_code(&format!("{name}=missing")), format!("{name} unknown")),
                },
                (Some(Column::Boolean(v)), _) => match v.get(i).copied().flatten() {
                    Some(true) => (sanitize_code(name), name.to_string()),
                    Some(false) => (sanitize_code(name), format!("not {name}")),
                    None => (sanitize_code(&format!("{name}=missing")), format!("{name} unknown")),
                },
                _ => (sanitize_code(name), name.to_string()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::PoolGenerator;

    #[test]
    fn logistic_recovers_the_generators_direction_of_effects() {
        let pool = PoolGenerator::new(20_000).seed(5).events(false).generate();
        let scorer = ScorerParams::new().fit(&pool.accounts).expect("fits");
        let (pipeline, model) = scorer.logistic().expect("logistic family");
        let names = pipeline.feature_names();
        let w = |name: &str| {
            let j = names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("feature {name} in {names:?}"));
            model.weights()[j]
        };
        // The generator adds +1.0 log-odds for e-commerce and +0.8 per unit of growth:
        // the fitted weights must have the same signs and clear magnitudes.
        assert!(w("has_ecommerce") > 0.5, "has_ecommerce weight {}", w("has_ecommerce"));
        assert!(w("web_traffic_growth_90d") > 0.0, "growth weight {}", w("web_traffic_growth_90d"));
        // Business models: ecommerce (+0.8) above services (-0.5) and other (-0.7).
        assert!(w("business_model=ecommerce") > w("business_model=services"));
        assert!(w("business_model=ecommerce") > w("business_model=other"));
        // The model ranks better than chance against the true propensity.
        let scores = scorer.score(&pool.accounts).expect("scores");
        let truth: Vec<f64> = pool.truth.iter().map(|t| t.p_true).collect();
        let s: Vec<f64> = scores.iter().map(|s| s.score).collect();
        let concordant = rank_correlation(&s, &truth);
        assert!(concordant > 0.8, "Spearman correlation with the true propensity {concordant}");
    }

    fn rank_correlation(a: &[f64], b: &[f64]) -> f64 {
        let ranks = |v: &[f64]| {
            let mut idx: Vec<usize> = (0..v.len()).collect();
            idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
            let mut r = vec![0.0; v.len()];
            for (k, &i) in idx.iter().enumerate() {
                r[i] = k as f64;
            }
            r
        };
        let (ra, rb) = (ranks(a), ranks(b));
        let n = a.len() as f64;
        let mean = (n - 1.0) / 2.0;
        let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - mean) * (y - mean)).sum();
        let var: f64 = ra.iter().map(|x| (x - mean) * (x - mean)).sum();
        cov / var
    }

    #[test]
    fn reasons_add_up_and_ranking_is_deterministic() {
        let pool = PoolGenerator::new(2_000).seed(9).events(false).generate();
        let scorer = ScorerParams::new().top_reasons(3).fit(&pool.accounts).expect("fits");
        let scores = scorer.score(&pool.accounts).expect("scores");
        for s in &scores {
            let total = s.baseline + s.reasons.iter().map(|r| r.contribution).sum::<f64>();
            assert!((total - s.raw).abs() < 1e-9, "{} vs {}", total, s.raw);
            assert!(s.reasons.len() <= 4);
            assert!(s.reasons.iter().all(|r| !r.code.contains(':') && !r.code.contains(';')));
        }
        let a = scorer.top_n(&pool.accounts, 20).expect("top");
        let b = ScorerParams::new().fit(&pool.accounts).expect("fits").top_n(&pool.accounts, 20).expect("top");
        assert_eq!(a, b);
        // Batch equals one by one.
        for (i, acc) in pool.accounts.iter().take(50).enumerate() {
            let one = scorer.score(std::slice::from_ref(acc)).expect("one");
            assert_eq!(one[0], scores[i]);
        }
    }

    #[test]
    fn rules_family_scores_points() {
        let rules = RuleSet::from_toml_str(
            "threshold = 30\n[[rules]]\nname = \"ecom\"\npoints = 30\nwhen = [{ field = \"has_ecommerce\", is = true }]",
        )
        .expect("valid");
        let pool = PoolGenerator::new(200).seed(2).events(false).generate();
        let scorer = ScorerParams::new().rules(rules).fit(&pool.accounts).expect("binds");
        assert_eq!(scorer.family(), Family::Rules);
        for (s, a) in scorer.score(&pool.accounts).expect("scores").iter().zip(&pool.accounts) {
            assert_eq!(s.raw, if a.has_ecommerce == Some(true) { 30.0 } else { 0.0 });
            assert_eq!(s.qualified, a.has_ecommerce == Some(true));
        }
        let bad = RuleSet::from_toml_str(
            "threshold = 30\n[[rules]]\nname = \"x\"\npoints = 30\nwhen = [{ field = \"nope\", is = true }]",
        )
        .expect("valid syntax");
        assert!(ScorerParams::new().rules(bad).fit(&pool.accounts).is_err());
    }
}
