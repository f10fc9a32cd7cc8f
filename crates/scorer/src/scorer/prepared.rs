//! `PreparedScorer`: a scorer bound to one frame, scoring rows and ranking a pool.

use super::*;

/// A negative or non-finite engagement value as an error.
pub(super) fn bad_engagement(value: f64) -> Error {
    CoreError::OutOfRange { what: "engagement", value, min: 0.0, max: f64::INFINITY }.into()
}

/// The ICP part of a score, its explanation in probability units.
pub(super) struct IcpPart {
    pub(super) probability: Probability,
    pub(super) raw: f64,
    pub(super) explanation: Explanation,
}

impl IcpPart {
    fn new(icp: &FittedIcp, probability: Probability, raw: f64, explanation: Explanation) -> Self {
        let explanation = icp.explanation_in_probability(explanation, raw, probability.get());
        IcpPart { probability, raw, explanation }
    }
}

/// The engagement-independent parts of every row's priority, from
/// [`PreparedScorer::base_scores`].
#[derive(Debug, Clone, PartialEq)]
pub struct BaseScores {
    icp: Vec<Probability>,
    revenue: Vec<Probability>,
    /// The priority's quality term of each row (see `Priority::quality`).
    pub(super) quality: Vec<Probability>,
}

impl BaseScores {
    /// ICP probability per row.
    pub fn icp(&self) -> &[Probability] {
        &self.icp
    }

    /// Revenue-in-range probability per row, after the anomaly penalty (1 when revenue is skipped).
    pub fn revenue(&self) -> &[Probability] {
        &self.revenue
    }
}

/// A [`Scorer`] bound to one frame by [`Scorer::prepare`]: the schema is
/// checked and the columns are resolved once, so that scoring a row does
/// no lookup by name. `Sync`: share it across threads.
///
/// ```
/// use acctscore_scorer::ScorerParams;
/// use acctscore_scorer::pool::{PoolGenerator, accounts_to_frame};
///
/// let pool = PoolGenerator::new(2_000).seed(9).events(false).generate();
/// let frame = accounts_to_frame(&pool.accounts)?;
/// let scorer = ScorerParams::new().fit(&frame)?;
/// let prepared = scorer.prepare(&frame)?;
/// // One row equals the same row of a batch.
/// assert_eq!(prepared.score(7, None)?, scorer.score_frame(&frame, None)?[7]);
/// // Rank on the base scores, explain only the top.
/// let base = prepared.base_scores()?;
/// let top = prepared.top_n(&base, None, 3)?;
/// assert!(top[0].priority >= top[1].priority && top[1].priority >= top[2].priority);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PreparedScorer<'a> {
    pub(super) scorer: &'a Scorer,
    pub(super) frame: &'a Frame,
    pub(super) icp: PreparedIcp<'a>,
    pub(super) cols: Resolved<'a>,
    pub(super) ids: Option<&'a Column>,
    pub(super) revenue_on: bool,
    pub(super) anomaly_on: bool,
}

impl std::fmt::Debug for PreparedScorer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedScorer")
            .field("rows", &self.frame.nrows())
            .field("icp_family", &self.icp.family())
            .field("revenue_on", &self.revenue_on)
            .field("anomaly_on", &self.anomaly_on)
            .finish_non_exhaustive()
    }
}

impl PreparedScorer<'_> {
    /// Rows of the prepared frame.
    pub fn nrows(&self) -> usize {
        self.frame.nrows()
    }

    /// Scores row `i` with its reasons; `engagement` is the account's raw
    /// decayed engagement, if known. Equal to the same row of
    /// [`Scorer::score_frame`].
    ///
    /// # Errors
    /// A row out of range; a negative or non-finite engagement.
    pub fn score(&self, i: usize, engagement: Option<f64>) -> Result<AccountScore> {
        if i >= self.frame.nrows() {
            return Err(
                CoreError::ShapeMismatch { what: "row index vs rows", expected: self.frame.nrows(), found: i }.into()
            );
        }
        if let Some(e) = engagement.filter(|e| !e.is_finite() || *e < 0.0) {
            return Err(bad_engagement(e));
        }
        self.account(i, engagement)
    }

    /// The ICP part of row `i`, its explanation with the top factors.
    fn icp(&self, i: usize) -> Result<IcpPart> {
        let s = self.icp.score(i)?;
        Ok(IcpPart::new(&self.scorer.state.icp, s.probability, s.raw, self.icp.explanation(i, &s)))
    }

    /// ICP probabilities of `rows` in blocks, bit for bit those of the full
    /// scores with reasons.
    fn icp_probabilities(&self, rows: std::ops::Range<usize>) -> Result<Vec<Probability>> {
        let mut out = vec![0.0; rows.len()];
        self.icp.probabilities_into(rows, &mut out)?;
        out.into_iter().map(|x| Probability::new(x).map_err(Into::into)).collect()
    }

    /// The parts of every row's priority that do not depend on engagement
    /// (ICP probability; revenue in range after the anomaly penalty), in
    /// parallel over fixed chunks, no strings. A caller can compute them
    /// while it reads the activity log, then rank with
    /// [`PreparedScorer::top_n`] or [`PreparedScorer::priorities`].
    ///
    /// # Errors
    /// As [`Scorer::score_frame`].
    pub fn base_scores(&self) -> Result<BaseScores> {
        let parts = map_chunks(self.frame.nrows(), |rows| self.base_chunk(rows))?;
        let mut base = BaseScores {
            icp: Vec::with_capacity(parts.len()),
            revenue: Vec::with_capacity(parts.len()),
            quality: Vec::with_capacity(parts.len()),
        };
        for (icp, revenue, quality) in parts {
            base.icp.push(icp);
            base.revenue.push(revenue);
            base.quality.push(quality);
        }
        Ok(base)
    }

    /// The priority of every row from its base scores and its raw
    /// engagement (one value per row), exactly those of the full scores.
    ///
    /// `base` must come from this prepared frame's [`PreparedScorer::base_scores`]
    /// (only its length can be checked).
    ///
    /// # Errors
    /// A `base` of another length, and as [`Scorer::score_frame`] for the engagement.
    pub fn priorities(&self, base: &BaseScores, engagement: Option<&[f64]>) -> Result<Vec<f64>> {
        self.check_base(base, engagement)?;
        let scorer = self.scorer;
        map_chunks(self.frame.nrows(), |rows| {
            rows.map(|i| {
                let saturated = match engagement {
                    Some(e) => scorer.engagement.saturate(e[i])?,
                    None => Probability::ZERO,
                };
                // `Priority::score` with its quality term computed once, with the base scores
                // (`check_base` matched their length to the rows).
                let quality = base.quality.get(i).copied().unwrap_or(Probability::ZERO);
                Ok(scorer.priority.from_quality(quality, saturated).get())
            })
            .collect()
        })
    }

    /// The `n` rows with the highest priority, best first, fully scored
    /// with reasons (as [`Scorer::top_n`], from precomputed base scores).
    ///
    /// # Errors
    /// As [`PreparedScorer::priorities`].
    pub fn top_n(&self, base: &BaseScores, engagement: Option<&[f64]>, n: usize) -> Result<Vec<AccountScore>> {
        // Rank on numbers only, then explain the top: no strings for the rest.
        let priority = self.priorities(base, engagement)?;
        let id_of = |i: usize| -> Option<&str> {
            match self.ids {
                Some(Column::Text(v)) => v.get(i),
                Some(Column::Categorical(c)) => c.get(i),
                _ => None,
            }
        };
        let cmp = |a: &usize, b: &usize| {
            priority[*b].total_cmp(&priority[*a]).then_with(|| id_of(*a).cmp(&id_of(*b))).then(a.cmp(b))
        };
        let mut order: Vec<usize> = (0..priority.len()).collect();
        if n < order.len() {
            order.select_nth_unstable_by(n, cmp);
            order.truncate(n);
        }
        order.sort_by(cmp);
        order.iter().map(|&i| self.account(i, engagement.map(|e| e[i]))).collect()
    }

    fn check_base(&self, base: &BaseScores, engagement: Option<&[f64]>) -> Result<()> {
        crate::core::check::same_len("base scores vs rows", self.frame.nrows(), base.quality.len())?;
        self.scorer.check_engagement(self.frame, engagement)
    }

    /// Base scores of `rows`: ICP, revenue in range, and their quality term.
    fn base_chunk(&self, rows: std::ops::Range<usize>) -> Result<Vec<(Probability, Probability, Probability)>> {
        let scorer = self.scorer;
        let icp = self.icp_probabilities(rows.clone())?;
        let mut out = Vec::with_capacity(rows.len());
        for (icp, i) in icp.into_iter().zip(rows) {
            let (penalty, doubted) = if self.anomaly_on {
                scorer.checker.penalty_and_revenue_doubt(&self.cols.anomaly_inputs(i))
            } else {
                (0.0, false)
            };
            let revenue_p = if self.revenue_on {
                let (_, p, _) = scorer.revenue_in_range(&self.cols, i, doubted);
                crate::revenue::apply_penalty(p, penalty)?
            } else {
                Probability::ONE
            };
            out.push((icp, revenue_p, scorer.priority.quality(icp, revenue_p)));
        }
        Ok(out)
    }

    /// The full score of row `i`, with reasons.
    pub(super) fn account(&self, i: usize, engagement: Option<f64>) -> Result<AccountScore> {
        let scorer = self.scorer;
        let icp = self.icp(i)?;
        let account_id = match self.ids {
            Some(Column::Text(v)) => v.get(i).map(str::to_string),
            Some(Column::Categorical(c)) => c.get(i).map(str::to_string),
            Some(Column::Numeric(v)) => v.get(i).map(|x| x.to_string()),
            _ => None,
        }
        .unwrap_or_else(|| i.to_string());
        let report = self.anomaly_on.then(|| scorer.checker.check(&self.cols.anomaly_inputs(i)));
        let penalty = report.as_ref().map_or(0.0, |r| r.penalty);
        let doubted = report.as_ref().is_some_and(AnomalyReport::revenue_doubted);
        let revenue = if self.revenue_on {
            let (est, before, source) = scorer.revenue_in_range(&self.cols, i, doubted);
            Some(RevenueScore {
                estimate: est.point,
                low: est.interval.low,
                high: est.interval.high,
                method: est.method.as_str().to_string(),
                in_range: crate::revenue::apply_penalty(before, penalty)?,
                in_range_before_penalty: before,
                source,
            })
        } else {
            None
        };
        scorer.combine(account_id, icp, revenue, report, engagement)
    }
}

/// Counts from [`Scorer::engagement_from_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EngagementTally {
    /// Activities counted.
    pub used: u64,
    /// Activities after `now`, left out.
    pub future: u64,
    /// Activities of accounts not in the id list, left out.
    pub unknown_accounts: u64,
}
