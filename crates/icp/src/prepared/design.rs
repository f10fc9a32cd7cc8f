//! The prepared form of the families scored on the design matrix: trees,
//! look-alike and hybrid. Their raw score is not a sum of per-column
//! tables (a tree path, a nearest centroid, a second-stage combiner), so a
//! block of rows is encoded at a time and each row is scored by the model
//! itself; its contributions are summed per source column, as for the
//! logistic family, and the reasons kept as [`FactorId`]s.
//!
//! The arithmetic is the models' own ([`Score::score_row_unchecked`],
//! `contributions`), so the raw scores are theirs bit for bit. A block
//! allocates its design rows; the logistic and rules forms allocate
//! nothing per row.

use super::*;
use crate::explain::sanitize_code;
use crate::lookalike::FittedLookalike;
use crate::trees::FittedGbdt;
use acctscore_core::Score;
use acctscore_core::ndarray::ArrayView1;
use acctscore_features::encode::FittedPipeline;
use std::cmp::Ordering;

/// A model scored on its design rows.
#[derive(Debug)]
pub(super) struct Design<'a> {
    pipeline: &'a FittedPipeline,
    frame: &'a Frame,
    plan: FactorPlan<'a>,
    baseline: f64,
    kind: Kind<'a>,
}

/// A model whose raw score splits into a baseline plus one contribution
/// per design feature.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Additive<'a> {
    Trees(&'a FittedGbdt),
    Lookalike(&'a FittedLookalike),
}

impl Additive<'_> {
    fn raw(&self, row: ArrayView1<'_, f64>) -> f64 {
        match self {
            Additive::Trees(m) => m.score_row_unchecked(row),
            Additive::Lookalike(m) => m.score_row_unchecked(row),
        }
    }

    fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
        match self {
            Additive::Trees(m) => m.contributions(row),
            Additive::Lookalike(m) => m.contributions(row),
        }
    }

    fn baseline(&self) -> f64 {
        match self {
            Additive::Trees(m) => m.baseline(),
            Additive::Lookalike(m) => m.baseline(),
        }
    }

    fn n_features(&self) -> usize {
        match self {
            Additive::Trees(m) => m.n_features(),
            Additive::Lookalike(m) => m.n_features(),
        }
    }
}

/// The hybrid's parts: stage one (a logistic model and the rules' points),
/// the custom signals, and the combiner that weighs them.
pub(crate) struct HybridParts<'a> {
    pub(crate) logistic: &'a FittedLogistic,
    pub(crate) rules: &'a RuleSet,
    pub(crate) signals: &'a [String],
    pub(crate) combiner: &'a FittedLogistic,
}

#[derive(Debug)]
enum Kind<'a> {
    Additive(Additive<'a>),
    Hybrid {
        logistic: &'a FittedLogistic,
        combiner: &'a FittedLogistic,
        rules: BoundRules<'a>,
        /// Each signal's name and its value per row (missing = 0).
        signals: Vec<(&'a str, Vec<f64>)>,
    },
}

/// A candidate reason of one row, before the top ones are kept.
#[derive(Clone, Copy)]
struct Candidate {
    group: u32,
    contribution: f64,
}

impl<'a> Design<'a> {
    /// Binds a tree or look-alike model to `frame`.
    pub(super) fn additive(icp: &'a FittedIcp, model: Additive<'a>, frame: &'a Frame) -> Result<Self> {
        let pipeline = icp.pipeline();
        // A model read from a damaged file may not fit its pipeline.
        if model.n_features() != pipeline.features().len() {
            return Err(IcpError::InvalidModel { part: "model width", index: model.n_features() });
        }
        // The encoders' columns are checked now (as the other families'
        // are), not when the first block is encoded.
        pipeline.bind(frame)?;
        let plan = FactorPlan::new(pipeline, frame, icp.bins());
        Ok(Design { pipeline, frame, plan, baseline: model.baseline(), kind: Kind::Additive(model) })
    }

    /// Binds a hybrid model to `frame`.
    pub(super) fn hybrid(icp: &'a FittedIcp, parts: HybridParts<'a>, frame: &'a Frame) -> Result<Self> {
        let HybridParts { logistic, rules, signals, combiner } = parts;
        let pipeline = icp.pipeline();
        let (w, means) = (combiner.weights(), combiner.feature_means());
        // A model read from a damaged file may not fit its signal list or its pipeline.
        if w.len() != 2 + signals.len() || means.len() != w.len() {
            return Err(IcpError::InvalidModel { part: "hybrid combiner", index: w.len() });
        }
        if logistic.weights().len() != pipeline.features().len() {
            return Err(IcpError::InvalidModel { part: "logistic weights", index: logistic.weights().len() });
        }
        let signals = signals
            .iter()
            .map(|s| Ok((s.as_str(), crate::propensity::signal_column(frame, s)?)))
            .collect::<Result<Vec<_>>>()?;
        // raw = b2 + w0·z1 + w1·points + Σ wk·sk, with z1 = stage-1 baseline + Σ its
        // contributions and points = Σ fired rules: the baseline collects the constants.
        let (w0, signal_terms) = match (w, means) {
            ([w0, _, ws @ ..], [_, _, ms @ ..]) => (*w0, ws.iter().zip(ms).map(|(w, m)| w * m).sum::<f64>()),
            _ => return Err(IcpError::InvalidModel { part: "hybrid combiner", index: w.len() }),
        };
        let baseline = combiner.intercept() + w0 * logistic.baseline() + signal_terms;
        pipeline.bind(frame)?;
        let plan = FactorPlan::new(pipeline, frame, icp.bins());
        let rules = rules.bind(frame)?;
        Ok(Design { pipeline, frame, plan, baseline, kind: Kind::Hybrid { logistic, combiner, rules, signals } })
    }

    /// The raw score of an average account.
    pub(super) fn baseline(&self) -> f64 {
        self.baseline
    }

    /// Candidate reasons: source columns, then (hybrid) rules and signals.
    pub(super) fn n_groups(&self) -> usize {
        match &self.kind {
            Kind::Additive(_) => self.plan.n_groups(),
            Kind::Hybrid { rules, signals, .. } => self.plan.n_groups() + rules.len() + signals.len(),
        }
    }

    /// The raw score of each row of `rows` (at most [`CHUNK_ROWS`] at a
    /// time are encoded: each encoding binds the encoders to the frame once), handed to `each` with the row's reasons when
    /// `reasons` is `Some(k)`: the `k` largest by magnitude and the sum of
    /// the rest (`None` when nothing was left out).
    pub(super) fn score_rows(
        &self,
        rows: Range<usize>,
        reasons: Option<usize>,
        mut each: impl FnMut(usize, f64, &[FastReason], Option<f64>) -> Result<()>,
    ) -> Result<()> {
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut kept: Vec<FastReason> = Vec::new();
        let mut sums = Vec::new();
        for first in rows.clone().step_by(CHUNK_ROWS) {
            let block = first..(first + CHUNK_ROWS).min(rows.end);
            let x = self.pipeline.transform_rows(self.frame, block.clone())?;
            if x.nrows() != block.len() {
                return Err(IcpError::InvalidModel { part: "design rows", index: x.nrows() });
            }
            for (i, row) in block.zip(x.rows()) {
                let raw = self.raw(i, row)?;
                let Some(k) = reasons else {
                    each(i, raw, &[], None)?;
                    continue;
                };
                candidates.clear();
                match &self.kind {
                    Kind::Additive(model) => {
                        self.plan.sum_groups(&model.contributions(row), &mut sums);
                        candidates.extend(
                            (0u32..).zip(&sums).map(|(group, &contribution)| Candidate { group, contribution }),
                        );
                        // Ties by column order.
                        candidates.sort_by(|a, b| by_magnitude(a, b).then(a.group.cmp(&b.group)));
                    }
                    Kind::Hybrid { .. } => {
                        self.hybrid_candidates(i, row, &mut sums, &mut candidates);
                        // Ties by code, as an [`Explanation`] sorts its factors.
                        candidates
                            .sort_by(|a, b| by_magnitude(a, b).then_with(|| self.code(i, a).cmp(&self.code(i, b))));
                    }
                }
                kept.clear();
                kept.extend(candidates.iter().take(k).map(|c| FastReason {
                    factor: FactorId { group: c.group, bin: self.bin(c.group, i) },
                    contribution: c.contribution,
                }));
                let other = (candidates.len() > k)
                    .then(|| candidates.get(k..).unwrap_or_default().iter().map(|c| c.contribution).sum());
                each(i, raw, &kept, other)?;
            }
        }
        Ok(())
    }

    /// The model's raw score of row `i`, whose design row is `row`.
    fn raw(&self, i: usize, row: ArrayView1<'_, f64>) -> Result<f64> {
        match &self.kind {
            Kind::Additive(model) => Ok(model.raw(row)),
            Kind::Hybrid { logistic, combiner, rules, signals } => {
                let mut stage2 = Vec::with_capacity(2 + signals.len());
                stage2.push(logistic.score_row_unchecked(row));
                stage2.push(rules.points(i));
                for (_, values) in signals {
                    stage2
                        .push(values.get(i).copied().ok_or(IcpError::InvalidModel { part: "signal rows", index: i })?);
                }
                Ok(combiner.score_row_unchecked(ArrayView1::from(&stage2[..])))
            }
        }
    }

    /// The hybrid's reasons of row `i`: every source column (stage one's
    /// contributions times its weight), each fired rule (its points times
    /// theirs, in explanation order) and each signal.
    fn hybrid_candidates(&self, i: usize, row: ArrayView1<'_, f64>, sums: &mut Vec<f64>, out: &mut Vec<Candidate>) {
        let Kind::Hybrid { logistic, combiner, rules, signals } = &self.kind else { return };
        let (w, means) = (combiner.weights(), combiner.feature_means());
        let weight = |j: usize| w.get(j).copied().unwrap_or(0.0);
        let g = self.plan.n_groups();
        self.plan.sum_groups(&logistic.contributions(row), sums);
        out.extend((0u32..).zip(sums.iter()).map(|(group, &c)| Candidate { group, contribution: c * weight(0) }));
        let start = out.len();
        for r in 0..rules.len() {
            if let (Some(points), Ok(group)) = (rules.fired_points(r, i), u32::try_from(g + r)) {
                out.push(Candidate { group, contribution: points * weight(1) });
            }
        }
        // The rules' own explanation order (magnitude of points, then code):
        // the order of equal factors after the final sort.
        if let Some(fired) = out.get_mut(start..) {
            fired.sort_by(|a, b| {
                let points = |c: &Candidate| {
                    (c.group as usize).checked_sub(g).and_then(|r| rules.fired_points(r, i)).unwrap_or(0.0).abs()
                };
                points(b).total_cmp(&points(a)).then_with(|| self.code(i, a).cmp(&self.code(i, b)))
            });
        }
        for (k, (_, values)) in signals.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0.0);
            let mean = means.get(2 + k).copied().unwrap_or(0.0);
            if let Ok(group) = u32::try_from(g + rules.len() + k) {
                out.push(Candidate { group, contribution: weight(2 + k) * (v - mean) });
            }
        }
    }

    /// The bin of a candidate reason of row `i` (see [`FactorId`]).
    fn bin(&self, group: u32, i: usize) -> u32 {
        let g = group as usize;
        if g < self.plan.n_groups() { self.plan.bin(g, i) } else { 0 }
    }

    /// The code of a candidate reason of row `i`, for ties.
    fn code(&self, i: usize, c: &Candidate) -> String {
        self.factor(i, c.group, c.contribution).map(|f| f.code).unwrap_or_default()
    }

    /// Code and text of a factor (see [`PreparedIcp::label`]).
    pub(super) fn label(&self, id: FactorId) -> Option<(String, String)> {
        let g = id.group as usize;
        let n = self.plan.n_groups();
        if g < n {
            return Some(self.plan.label(g, id.bin));
        }
        match &self.kind {
            Kind::Additive(_) => None,
            Kind::Hybrid { rules, signals, .. } => match rules.label(g - n) {
                Some((code, text)) => Some((format!("rule={code}"), text.to_string())),
                None => {
                    let (name, _) = signals.get(g - n - rules.len())?;
                    Some((sanitize_code(name), (*name).to_string()))
                }
            },
        }
    }

    /// The factor of group `group` of row `i` with `contribution` (see
    /// [`PreparedIcp::factor`]).
    pub(super) fn factor(&self, i: usize, group: u32, contribution: f64) -> Option<Factor> {
        let g = group as usize;
        let n = self.plan.n_groups();
        if g < n {
            return Some(self.plan.factor(g, i, contribution));
        }
        if let Kind::Hybrid { signals, rules, .. } = &self.kind
            && let Some((name, values)) = g.checked_sub(n + rules.len()).and_then(|s| signals.get(s))
        {
            let v = values.get(i).copied().unwrap_or(0.0);
            return Some(Factor { code: sanitize_code(name), text: format!("{name} {v}"), contribution });
        }
        let (code, text) = self.label(FactorId { group, bin: 0 })?;
        Some(Factor { code, text, contribution })
    }
}

/// Larger magnitude first.
fn by_magnitude(a: &Candidate, b: &Candidate) -> Ordering {
    b.contribution.abs().total_cmp(&a.contribution.abs())
}

impl std::fmt::Debug for HybridParts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HybridParts").field("signals", &self.signals).finish_non_exhaustive()
    }
}
