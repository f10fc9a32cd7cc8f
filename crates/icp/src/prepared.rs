//! Prepared scoring: a fitted ICP model bound to one frame once, then any
//! row scored with its top reasons without allocating, the reasons as
//! indices ([`FactorId`]) that [`PreparedIcp::label`] turns into the codes
//! and texts [`FittedIcp::score_rows`] gives.
//!
//! [`FittedIcp::prepare`] precomputes, per source column (the group of a
//! factor), what the column's summed contribution Σⱼ wⱼ(xⱼ − meanⱼ) needs,
//! so that no design row is built:
//! - categorical, boolean and job-title columns: one contribution per
//!   encoder key ([`BoundColumn::keys`]: every kept level, the rare bucket
//!   that unseen and rare levels share, the missing level; false, true,
//!   missing), computed from the encoder's own output;
//! - numbers and timestamps: the encoder's own per-row transform (clipping,
//!   signed log1p, standardisation, missing and sentinel indicators,
//!   [`BoundColumn::encode_row`]) with the column's weights.
//!
//! Families: logistic regression (the learned default of `auto`) and
//! weighted rules (given or mined). Trees, look-alike and hybrid models are
//! refused with [`IcpError::Unsupported`]; [`FittedIcp::score_rows`] scores
//! them. At most [`MAX_REASONS`] reasons: a model with more
//! ([`crate::propensity::IcpParams::top_reasons`]) is refused the same way.
//!
//! Nothing is allocated per row, with one exception shared with
//! [`FittedIcp::score_rows`]: a rule with `one_of` on a free-text column
//! folds each tested value into a new string. Batches
//! ([`PreparedIcp::score_into`]) go a block of rows at a time, one source
//! column at a time, in parallel with the `parallel` feature.
//!
//! A [`FastScore`] agrees with [`FittedIcp::score_rows`] on the same row:
//! the same raw score and contributions up to floating-point rounding of
//! the summation order (contributions are computed with the same
//! arithmetic, raw = baseline + Σ contributions rather than intercept +
//! w·x), hence the same probability and tier; the same factors in the same
//! order (largest magnitude first, ties by column order for logistic, by
//! code for rules) and the same `other` sum of the factors left out.
//!
//! ```
//! use acctscore_features::{Column, Frame};
//! use acctscore_icp::propensity::{FamilyChoice, IcpParams};
//!
//! let n = 400;
//! let frame = Frame::new(vec![
//!     ("employees".into(), Column::numeric((0..n).map(|i| Some((i % 97) as f64)).collect())),
//!     ("industry".into(), Column::categorical((0..n).map(|i| Some(["software", "retail"][i % 2])))),
//! ])?;
//! let y: Vec<bool> = (0..n).map(|i| i % 2 == 0 && i % 97 > 30).collect();
//! let icp = IcpParams::new().family(FamilyChoice::Logistic).min_positives(10).fit(&frame, &y)?;
//! let prepared = icp.prepare(&frame)?;
//! let fast = prepared.score(0)?;
//! let slow = &icp.score_rows(&frame, 0..1, true)?[0];
//! assert!((fast.raw - slow.raw).abs() < 1e-9);
//! let (code, _text) = prepared.label(fast.reasons()[0].factor).expect("a factor of this model");
//! assert_eq!(code, slow.explanation.factors[0].code);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::explain::{Explanation, Factor, FactorPlan, OTHER_CODE};
use crate::logistic::FittedLogistic;
use crate::propensity::{Family, FittedIcp, TierCuts};
use crate::rules::{BoundRules, RuleSet};
use crate::{IcpError, Result};
use acctscore_calibration::{Calibrator, FittedCalibrator};
use acctscore_core::{CoreError, Probability};
use acctscore_features::Frame;
use acctscore_features::encode::BoundColumn;
use std::ops::Range;

/// The most reasons a [`FastScore`] carries; [`FittedIcp::prepare`] refuses
/// a model that asks for more.
pub const MAX_REASONS: usize = 8;

/// Widest encoding of a column scored per row: a number with its missing
/// and sentinel indicators.
const MAX_ROW_WIDTH: usize = 3;

/// Rows per parallel task of [`PreparedIcp::score_into`].
const CHUNK_ROWS: usize = 2048;

/// Rows whose contributions are computed together, one column at a time.
const BLOCK_ROWS: usize = 256;

/// Contributions of one block (groups × rows), on the stack.
const SCRATCH: usize = 4096;

/// A factor as indices: which source column (or rule) and which of its
/// values. [`PreparedIcp::label`] gives its code and text.
///
/// - `group`: logistic — the index of the source column among the
///   pipeline's input columns ([`acctscore_features::encode::FittedPipeline::input_columns`]);
///   rules — the index of the rule.
/// - `bin` (see [`FactorPlan::bin`]): a categorical column's dictionary code
///   in the prepared frame (so a categorical `FactorId` is meaningful for
///   that frame), a numeric column's bin among its fitted quintile edges,
///   0/1 for a boolean's no/yes, [`crate::explain::MISSING_BIN`] for a
///   missing value, 0 otherwise (and for rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FactorId {
    /// Source column or rule.
    pub group: u32,
    /// Value bin within the group.
    pub bin: u32,
}

/// One reason of a [`FastScore`]: a factor and its signed contribution to the raw score.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reason {
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
    /// Raw score: log-odds (logistic) or points (rules).
    pub raw: f64,
    /// Sum of the factors left out (when `has_other`).
    other: f64,
    /// Tier letter from the probability.
    pub tier: char,
    len: u8,
    has_other: bool,
    /// The first `len` are the reasons; the rest is stale.
    reasons: [Reason; MAX_REASONS],
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
            reasons: [Reason::default(); MAX_REASONS],
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
    /// logistic, by code for rules).
    pub fn reasons(&self) -> &[Reason] {
        self.reasons.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Sum of the contributions left out of [`FastScore::reasons`]; `None`
    /// when nothing was left out (as an [`Explanation`] without an `other` factor).
    pub fn other(&self) -> Option<f64> {
        self.has_other.then_some(self.other)
    }
}

/// What [`FittedIcp::prepare`] hands over: the model's scoring parts.
pub(crate) enum Source<'a> {
    Logistic(&'a FittedLogistic, &'a FittedCalibrator),
    Rules(&'a RuleSet, &'a FittedCalibrator),
}

/// A fitted ICP model bound to one frame: scores its rows with reasons,
/// without allocating per row. `Sync`: share it across threads.
/// Build with [`FittedIcp::prepare`].
#[derive(Debug)]
pub struct PreparedIcp<'a> {
    family: Family,
    tiers: TierCuts,
    k: usize,
    nrows: usize,
    calibrator: &'a FittedCalibrator,
    model: Model<'a>,
}

#[derive(Debug)]
enum Model<'a> {
    Logistic {
        baseline: f64,
        groups: Vec<Group<'a>>,
        plan: FactorPlan<'a>,
        /// The groups, largest typical contribution first (see [`offer_order`]).
        order: Vec<u32>,
    },
    Rules {
        bound: BoundRules<'a>,
        /// Per rule, its position in code order (the tie-break of equal points).
        rank: Vec<u32>,
    },
}

/// How one source column's summed contribution is found for a row.
#[derive(Debug)]
enum Group<'a> {
    /// Keyed column: the contribution of each key.
    Table { column: BoundColumn<'a>, table: Vec<f64> },
    /// Numbers and timestamps: encoded per row.
    Row { column: BoundColumn<'a>, weights: &'a [f64], means: &'a [f64] },
}

/// Σⱼ wⱼ(xⱼ − meanⱼ) in feature order: the arithmetic of
/// [`FittedLogistic::contributions`] summed as [`FactorPlan::sum_groups`] does.
#[inline(always)]
fn sum_contributions(weights: &[f64], means: &[f64], x: &[f64]) -> f64 {
    // The usual widths of a number (value, missing and sentinel indicators)
    // unrolled, in the same order.
    match (weights, means, x) {
        ([w0], [m0], [x0]) => 0.0 + w0 * (x0 - m0),
        ([w0, w1], [m0, m1], [x0, x1]) => 0.0 + w0 * (x0 - m0) + w1 * (x1 - m1),
        _ => {
            let mut acc = 0.0;
            for ((w, m), x) in weights.iter().zip(means).zip(x) {
                acc += w * (x - m);
            }
            acc
        }
    }
}

impl Group<'_> {
    /// The group's contribution to row `i`.
    #[inline]
    fn contribution(&self, i: usize) -> Result<f64> {
        match self {
            Group::Table { column, table } => Ok(column.key(i).and_then(|k| table.get(k)).copied().unwrap_or(0.0)),
            Group::Row { .. } => {
                let mut out = [0.0];
                self.contributions(i..i + 1, &mut out, &mut [])?;
                Ok(out[0])
            }
        }
    }

    /// The group's contributions to rows `rows` (as many as `out`), with
    /// `keys` (as long) as scratch space.
    fn contributions(&self, rows: Range<usize>, out: &mut [f64], keys: &mut [usize]) -> Result<()> {
        match self {
            Group::Table { column, table } => {
                column.keys_into(rows, keys)?;
                for (o, &k) in out.iter_mut().zip(keys.iter()) {
                    *o = table.get(k).copied().unwrap_or(0.0);
                }
            }
            Group::Row { column, weights, means } => {
                let mut buf = [0.0; MAX_ROW_WIDTH];
                let x =
                    buf.get_mut(..weights.len()).ok_or(IcpError::InvalidModel { part: "encoding width", index: 0 })?;
                column.fold_rows(rows, x, out, |x| sum_contributions(weights, means, x))?;
            }
        }
        Ok(())
    }
}

/// The `k` largest contributions offered so far, in explanation order:
/// larger magnitude first, ties to the lower rank.
#[derive(Clone, Copy)]
struct TopK {
    items: [Kept; MAX_REASONS],
    len: usize,
    k: usize,
    /// Once full: the magnitude of the last kept contribution.
    floor: u64,
}

/// A kept contribution and its sort key.
#[derive(Clone, Copy, Default)]
struct Kept {
    /// The magnitude's bits: for non-negative floats their order is `total_cmp`'s.
    magnitude: u64,
    /// Tie-break: the lower rank comes first.
    rank: u32,
    group: u32,
    contribution: f64,
}

impl Kept {
    /// Whether `self` comes before `o`: larger magnitude, then lower rank.
    #[inline(always)]
    fn before(&self, o: &Kept) -> bool {
        self.magnitude > o.magnitude || (self.magnitude == o.magnitude && self.rank < o.rank)
    }
}

impl TopK {
    /// Room for `k` contributions (at most [`MAX_REASONS`]).
    fn new(k: usize) -> Self {
        TopK { items: [Kept::default(); MAX_REASONS], len: 0, k: k.min(MAX_REASONS), floor: 0 }
    }

    /// Forgets what was offered (the items are overwritten, not cleared).
    #[inline]
    fn clear(&mut self) {
        self.len = 0;
        self.floor = 0;
    }

    /// Offers a contribution of `group` with tie-break `rank`.
    #[inline(always)]
    fn offer(&mut self, group: u32, rank: u32, contribution: f64) {
        let magnitude = contribution.abs().to_bits();
        // Once full, most offers fall below the last kept one: one comparison.
        if self.len == self.k && magnitude < self.floor {
            return;
        }
        self.insert(Kept { magnitude, rank, group, contribution });
    }

    /// Insertion from the back.
    #[inline(always)]
    fn insert(&mut self, item: Kept) {
        let mut j = self.len;
        if j == self.k {
            match j.checked_sub(1).and_then(|l| self.items.get(l)) {
                Some(last) if item.before(last) => j -= 1,
                _ => return,
            }
        } else {
            self.len += 1;
        }
        while j > 0 && item.before(&self.items[j - 1]) {
            self.items[j] = self.items[j - 1];
            j -= 1;
        }
        self.items[j] = item;
        if self.len == self.k {
            self.floor = self.items[self.len - 1].magnitude;
        }
    }

    fn kept(&self) -> &[Kept] {
        &self.items[..self.len]
    }

    fn sum(&self) -> f64 {
        self.kept().iter().map(|x| x.contribution).sum()
    }
}

/// The order in which a block offers its groups to [`TopK`]: largest mean
/// magnitude of contribution first, on a sample of the frame's first rows.
/// The kept reasons do not depend on it (the order of factors is a total
/// order); with the usual winners offered first, most later offers fall
/// below the floor at once.
fn offer_order(groups: &[Group<'_>], nrows: usize) -> Result<Vec<u32>> {
    let n = nrows.min(BLOCK_ROWS);
    let mut column = [0.0; BLOCK_ROWS];
    let mut keys = [0usize; BLOCK_ROWS];
    let mut scale = Vec::with_capacity(groups.len());
    for group in groups {
        group.contributions(0..n, &mut column[..n], &mut keys[..n])?;
        scale.push(column[..n].iter().map(|c| c.abs()).sum::<f64>());
    }
    let mut order: Vec<u32> = (0u32..).take(groups.len()).collect();
    order.sort_by(|&a, &b| scale[b as usize].total_cmp(&scale[a as usize]));
    Ok(order)
}

impl<'a> PreparedIcp<'a> {
    pub(crate) fn new(icp: &'a FittedIcp, source: Source<'a>, frame: &'a Frame) -> Result<Self> {
        let k = icp.top_reasons();
        if k > MAX_REASONS {
            return Err(IcpError::Unsupported { what: format!("{k} reasons (at most {MAX_REASONS})") });
        }
        let (calibrator, model) = match source {
            Source::Logistic(model, calibrator) => (calibrator, Self::bind_logistic(icp, model, frame)?),
            Source::Rules(rules, calibrator) => {
                let bound = rules.bind(frame)?;
                let mut order: Vec<usize> = (0..bound.len()).collect();
                order.sort_by(|&a, &b| {
                    let code = |r| bound.label(r).map(|(c, _)| c);
                    code(a).cmp(&code(b))
                });
                let mut rank = vec![0u32; order.len()];
                for (pos, &r) in order.iter().enumerate() {
                    rank[r] = u32::try_from(pos).map_err(|_| IcpError::InvalidModel { part: "rules", index: pos })?;
                }
                (calibrator, Model::Rules { bound, rank })
            }
        };
        Ok(PreparedIcp { family: icp.family(), tiers: icp.tiers(), k, nrows: frame.nrows(), calibrator, model })
    }

    fn bind_logistic(icp: &'a FittedIcp, model: &'a FittedLogistic, frame: &'a Frame) -> Result<Model<'a>> {
        let pipeline = icp.pipeline();
        let columns = pipeline.bind(frame)?;
        let (w, m) = (model.weights(), model.feature_means());
        // A model read from a damaged file may not fit its pipeline.
        if w.len() != pipeline.features().len() || m.len() != w.len() {
            return Err(IcpError::InvalidModel { part: "logistic weights", index: w.len() });
        }
        let plan = FactorPlan::new(pipeline, frame, icp.bins());
        if plan.n_groups() != columns.len() || u32::try_from(columns.len()).is_err() {
            return Err(IcpError::InvalidModel { part: "pipeline columns", index: columns.len() });
        }
        let mut groups = Vec::with_capacity(columns.len());
        for (g, column) in columns.into_iter().enumerate() {
            let r = column.features();
            // The explanation's groups are the pipeline's columns, in order.
            let bad = || IcpError::InvalidModel { part: "pipeline columns", index: g };
            if plan.group_of().get(r.clone()).is_none_or(|of| of.iter().any(|&x| x != g)) {
                return Err(bad());
            }
            let (weights, means) = (w.get(r.clone()).ok_or_else(bad)?, m.get(r.clone()).ok_or_else(bad)?);
            groups.push(match column.keys() {
                Some(keys) => {
                    let mut x = vec![0.0; column.width()];
                    let table = (0..keys)
                        .map(|key| {
                            column.encode_key(key, &mut x)?;
                            Ok(sum_contributions(weights, means, &x))
                        })
                        .collect::<Result<Vec<f64>>>()?;
                    Group::Table { column, table }
                }
                None if column.width() <= MAX_ROW_WIDTH => Group::Row { column, weights, means },
                None => return Err(IcpError::InvalidModel { part: "encoding width", index: g }),
            });
        }
        let order = offer_order(&groups, frame.nrows())?;
        Ok(Model::Logistic { baseline: model.baseline(), groups, plan, order })
    }

    /// The family (logistic or rules).
    pub fn family(&self) -> Family {
        self.family
    }

    /// Rows of the prepared frame.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// How many reasons a score carries (the model's
    /// [`crate::propensity::IcpParams::top_reasons`]).
    pub fn top_reasons(&self) -> usize {
        self.k
    }

    /// The score of an average account (log-odds), or 0 points for rules:
    /// baseline + contributions of the reasons + `other` = raw.
    pub fn baseline(&self) -> f64 {
        match &self.model {
            Model::Logistic { baseline, .. } => *baseline,
            Model::Rules { .. } => 0.0,
        }
    }

    /// Number of groups: source columns (logistic) or rules.
    pub fn n_groups(&self) -> usize {
        match &self.model {
            Model::Logistic { groups, .. } => groups.len(),
            Model::Rules { bound, .. } => bound.len(),
        }
    }

    /// Scores row `i` with its top reasons; nothing is allocated.
    ///
    /// # Errors
    /// [`CoreError::OutOfRange`] for a row beyond the frame.
    pub fn score(&self, i: usize) -> Result<FastScore> {
        if i >= self.nrows {
            return Err(
                CoreError::OutOfRange { what: "row", value: i as f64, min: 0.0, max: self.nrows as f64 - 1.0 }.into()
            );
        }
        self.score_row(i)
    }

    fn score_row(&self, i: usize) -> Result<FastScore> {
        let mut out = FastScore::default();
        let mut top = TopK::new(self.k);
        self.score_row_into(i, &mut top, &mut out)?;
        Ok(out)
    }

    /// Scores row `i` into `out`, with `top` as scratch space.
    fn score_row_into(&self, i: usize, top: &mut TopK, out: &mut FastScore) -> Result<()> {
        match &self.model {
            Model::Logistic { groups, .. } => {
                top.clear();
                let mut total = 0.0;
                for (g, group) in (0u32..).zip(groups) {
                    let c = group.contribution(i)?;
                    total += c;
                    top.offer(g, g, c);
                }
                self.logistic_finish(i, total, top, out)
            }
            Model::Rules { bound, rank } => {
                top.clear();
                let (mut total, mut fired) = (0.0, 0);
                for (r, (&rank, g)) in rank.iter().zip(0u32..).enumerate() {
                    if let Some(points) = bound.fired_points(r, i) {
                        total += points;
                        fired += 1;
                        top.offer(g, rank, points);
                    }
                }
                self.finish(i, total, top, (fired > self.k).then(|| total - top.sum()), out)
            }
        }
    }

    /// Row `i` of a logistic model from the sum of its contributions and the kept ones.
    #[inline(always)]
    fn logistic_finish(&self, i: usize, total: f64, top: &TopK, out: &mut FastScore) -> Result<()> {
        let other = (self.n_groups() > self.k).then(|| total - top.sum());
        self.finish(i, self.baseline() + total, top, other, out)
    }

    /// Calibration, tier and the kept reasons' bins, written into `out`.
    #[inline(always)]
    fn finish(&self, i: usize, raw: f64, top: &TopK, other: Option<f64>, out: &mut FastScore) -> Result<()> {
        let probability = Probability::clamped(self.calibrator.calibrate_value(raw))?;
        for (slot, &Kept { group, contribution, .. }) in out.reasons.iter_mut().zip(top.kept()) {
            let bin = match &self.model {
                Model::Logistic { plan, .. } => plan.bin(group as usize, i),
                Model::Rules { .. } => 0,
            };
            *slot = Reason { factor: FactorId { group, bin }, contribution };
        }
        out.probability = probability;
        out.raw = raw;
        out.tier = self.tiers.tier(probability.get());
        // At most MAX_REASONS.
        out.len = u8::try_from(top.kept().len()).unwrap_or(u8::MAX);
        out.has_other = other.is_some();
        out.other = other.unwrap_or(0.0);
        Ok(())
    }

    /// Scores rows `start..start + out.len()` into `out`. Logistic models go
    /// a block of rows at a time, one source column at a time (the
    /// encoders' block code, no per-row dispatch); the rows' scores are then
    /// assembled as [`PreparedIcp::score`] assembles one. (Not inlined: a
    /// named frame for profilers, entered once per task.)
    #[inline(never)]
    fn score_block(&self, start: usize, out: &mut [FastScore]) -> Result<()> {
        let mut top = TopK::new(self.k);
        let (groups, order) = match &self.model {
            // More groups than the scratch space holds for one row go row by row.
            Model::Logistic { groups, order, .. } if groups.len() <= SCRATCH => (groups, order),
            _ => {
                for (i, slot) in (start..).zip(out) {
                    self.score_row_into(i, &mut top, slot)?;
                }
                return Ok(());
            }
        };
        let step = (SCRATCH / groups.len().max(1)).min(BLOCK_ROWS);
        let width = groups.len().max(1);
        // Row after row: the contributions of row j are contrib[j * width..][..groups].
        let mut contrib = [0.0; SCRATCH];
        let mut column = [0.0; BLOCK_ROWS];
        let mut keys = [0usize; BLOCK_ROWS];
        for (first, chunk) in (start..).step_by(step).zip(out.chunks_mut(step)) {
            let n = chunk.len();
            let rows = first..first + n;
            for (g, group) in groups.iter().enumerate() {
                group.contributions(rows.clone(), &mut column[..n], &mut keys[..n])?;
                for (dst, &c) in contrib[g..].iter_mut().step_by(width).zip(&column[..n]) {
                    *dst = c;
                }
            }
            for ((j, slot), row) in chunk.iter_mut().enumerate().zip(contrib.chunks_exact(width)) {
                let row = &row[..groups.len()];
                top.clear();
                for &g in order {
                    top.offer(g, g, row[g as usize]);
                }
                let total = row.iter().fold(0.0, |t, &c| t + c);
                self.logistic_finish(first + j, total, &top, slot)?;
            }
        }
        Ok(())
    }

    /// Scores rows `rows` into `out` (one score per row, in order), in
    /// parallel with the `parallel` feature (the result does not depend on
    /// the number of threads); nothing is allocated per row.
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when the range is out of bounds or `out`
    /// is not `rows.len()` long.
    pub fn score_into(&self, rows: Range<usize>, out: &mut [FastScore]) -> Result<()> {
        if rows.start > rows.end || rows.end > self.nrows {
            return Err(CoreError::ShapeMismatch {
                what: "row range end vs frame rows",
                expected: self.nrows,
                found: rows.end,
            }
            .into());
        }
        if out.len() != rows.len() {
            return Err(
                CoreError::ShapeMismatch { what: "output vs rows", expected: rows.len(), found: out.len() }.into()
            );
        }
        let start = rows.start;
        let run = |(c, chunk): (usize, &mut [FastScore])| self.score_block(start + c * CHUNK_ROWS, chunk);
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            out.par_chunks_mut(CHUNK_ROWS).enumerate().try_for_each(run)
        }
        #[cfg(not(feature = "parallel"))]
        out.chunks_mut(CHUNK_ROWS).enumerate().try_for_each(run)
    }

    /// Scores rows `rows` (see [`PreparedIcp::score_into`]).
    ///
    /// # Errors
    /// As [`PreparedIcp::score_into`].
    pub fn score_rows(&self, rows: Range<usize>) -> Result<Vec<FastScore>> {
        let mut out = vec![FastScore::default(); rows.len()];
        self.score_into(rows, &mut out)?;
        Ok(out)
    }

    /// Code and text of a factor, as [`FittedIcp::score_rows`] names it —
    /// except where that text shows the row's own value (a numeric column
    /// without fitted bins because it had no training values, a free-text
    /// title column): there the text is the column's name;
    /// [`PreparedIcp::factor`] gives the row's text. `None` for an id that is
    /// not a factor of this model.
    pub fn label(&self, id: FactorId) -> Option<(String, String)> {
        let g = id.group as usize;
        match &self.model {
            Model::Logistic { plan, .. } => (g < plan.n_groups()).then(|| plan.label(g, id.bin)),
            Model::Rules { bound, .. } => bound.label(g).map(|(c, t)| (c.to_string(), t.to_string())),
        }
    }

    /// The [`Factor`] of a reason of row `i`, exactly as
    /// [`FittedIcp::score_rows`] gives it (`None` for a reason that is not
    /// one of this model's factors).
    pub fn factor(&self, i: usize, reason: &Reason) -> Option<Factor> {
        let g = reason.factor.group as usize;
        match &self.model {
            Model::Logistic { plan, .. } => (g < plan.n_groups()).then(|| plan.factor(g, i, reason.contribution)),
            Model::Rules { bound, .. } => bound.label(g).map(|(code, text)| Factor {
                code: code.to_string(),
                text: text.to_string(),
                contribution: reason.contribution,
            }),
        }
    }

    /// The [`Explanation`] of row `i`'s `score` with strings, as
    /// [`FittedIcp::score_rows`] gives it: baseline, the reasons and, when
    /// factors were left out, the `other` factor.
    pub fn explanation(&self, i: usize, score: &FastScore) -> Explanation {
        let mut factors: Vec<Factor> = score.reasons().iter().filter_map(|r| self.factor(i, r)).collect();
        if let Some(rest) = score.other() {
            factors.push(Factor {
                code: OTHER_CODE.to_string(),
                text: "all other factors".to_string(),
                contribution: rest,
            });
        }
        Explanation { baseline: self.baseline(), factors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::propensity::{FamilyChoice, IcpParams, IcpScore};
    use crate::trees::SplitMix64;
    use acctscore_features::Column;
    use acctscore_features::encode::NumericTransform;
    use proptest::prelude::*;

    /// A pool-like frame: heavy-tailed counts with missing values, a
    /// fractional number, a signed growth rate, industries with case
    /// variants, rare levels and missing values, many countries, a flag with
    /// missing values, a timestamp, a constant number and an all-false flag
    /// (exact ties at 0), free text (not a feature). `shift` moves the mix
    /// so that a scoring frame has unseen levels and other dictionaries.
    fn pool(n: usize, seed: u64, shift: usize) -> (Frame, Vec<bool>) {
        let mut rng = SplitMix64::new(seed);
        let industries = ["Software", "retail", "Finance", "Health", "Energy", "Mining", "Toys"];
        let mut cols: [Vec<Option<f64>>; 5] = Default::default();
        let (mut ind, mut country, mut eco, mut seen, mut text, mut off, mut y) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for i in 0..n {
            let u = rng.next_f64();
            let employees = (u * 9.0).exp().round();
            let missing = rng.next_f64() < 0.1;
            let revenue = (rng.next_f64() * 12.0).exp() * 1.37;
            let growth = rng.next_f64() * 2.0 - 0.7;
            // Rare levels: Mining and Toys seldom; an unseen level in shifted frames.
            let r = rng.next_u64() % 100;
            let k = if r < 3 {
                5
            } else if r < 4 {
                6
            } else {
                (r % 5) as usize
            };
            let industry = match (rng.next_f64(), shift) {
                (v, _) if v < 0.05 => None,
                (v, s) if v < 0.08 && s > 0 => Some("Quantum".to_string()),
                (v, _) if v < 0.5 => Some(industries[k].to_uppercase()),
                _ => Some(format!(" {} ", industries[k])),
            };
            let ecommerce = match rng.next_f64() {
                v if v < 0.07 => None,
                v => Some(v < 0.45),
            };
            let mut z = -1.5 + if missing { -0.5 } else { 0.3 * employees.ln_1p() - 1.0 };
            z += [0.9, -0.8, 0.2, 0.0, -0.2, 1.0, -1.0][k] + 0.4 * growth;
            z -= if ecommerce == Some(true) { 0.6 } else { 0.0 };
            cols[0].push((!missing).then_some(employees));
            cols[1].push((rng.next_f64() > 0.15 || shift == 0).then_some(revenue));
            cols[2].push(Some(growth));
            cols[3].push(Some(3.0));
            cols[4].push((i % 11 != 0).then_some(rng.next_f64().round()));
            ind.push(industry);
            country.push(Some(format!("c{}", (rng.next_u64() % 60 + shift as u64) % 70)));
            eco.push(ecommerce);
            seen.push((i % 13 != 0).then_some(1_700_000_000 - (rng.next_u64() % 900) as i64 * 86_400));
            text.push(Some(format!("note {i}")));
            off.push(Some(false));
            y.push(rng.next_f64() < 1.0 / (1.0 + (-z).exp()));
        }
        let [emp, rev, growth, constant, half] = cols;
        let mut columns = vec![
            ("note".to_string(), Column::Text(text)),
            ("employees".to_string(), Column::numeric(emp)),
            ("industry".to_string(), Column::categorical(ind)),
            ("revenue".to_string(), Column::numeric(rev)),
            ("growth".to_string(), Column::numeric(growth)),
            ("has_ecommerce".to_string(), Column::Boolean(eco)),
            ("country".to_string(), Column::categorical(country)),
            ("last_seen".to_string(), Column::Timestamp(seen)),
            ("constant".to_string(), Column::numeric(constant)),
            ("off".to_string(), Column::Boolean(off)),
            ("coin".to_string(), Column::numeric(half)),
        ];
        // Scoring frames may list their columns in another order.
        if shift > 0 {
            columns.reverse();
        }
        (Frame::new(columns).expect("valid frame"), y)
    }

    /// Checks every row of `frame`: the prepared score against `score_rows`.
    fn assert_agrees(icp: &FittedIcp, frame: &Frame) {
        let prepared = icp.prepare(frame).expect("prepares");
        let slow: Vec<IcpScore> = icp.score_rows(frame, 0..frame.nrows(), true).expect("slow path");
        let fast = prepared.score_rows(0..frame.nrows()).expect("fast path");
        assert_eq!(fast.len(), slow.len());
        for (i, (f, s)) in fast.iter().zip(&slow).enumerate() {
            assert!((f.raw - s.raw).abs() <= 1e-9, "row {i}: raw {} vs {}", f.raw, s.raw);
            assert!((f.probability.get() - s.probability.get()).abs() <= 1e-12, "row {i}: probability");
            assert_eq!(f.tier, s.tier, "row {i}");
            assert_eq!(f, &prepared.score(i).expect("in range"), "row {i}: batch vs one");
            let e = prepared.explanation(i, f);
            assert_eq!(e.baseline, s.explanation.baseline, "row {i}");
            let codes =
                |e: &Explanation| e.factors.iter().map(|f| (f.code.clone(), f.text.clone())).collect::<Vec<_>>();
            assert_eq!(codes(&e), codes(&s.explanation), "row {i}");
            for (a, b) in e.factors.iter().zip(&s.explanation.factors) {
                assert!((a.contribution - b.contribution).abs() <= 1e-9, "row {i}: {a:?} vs {b:?}");
            }
            // Indices name the same factors as strings.
            for r in f.reasons() {
                let (code, text) = prepared.label(r.factor).expect("a factor of the model");
                let exact = prepared.factor(i, r).expect("a factor of the model");
                assert_eq!((code, text), (exact.code, exact.text), "row {i}");
            }
            let total = prepared.baseline()
                + f.reasons().iter().map(|r| r.contribution).sum::<f64>()
                + f.other().unwrap_or(0.0);
            assert!((total - f.raw).abs() <= 1e-9, "row {i}: baseline + reasons + other = raw");
            assert!(f.reasons().len() <= prepared.top_reasons(), "row {i}");
        }
    }

    fn logistic(k: usize, transform: NumericTransform) -> IcpParams {
        IcpParams::new()
            .family(FamilyChoice::Logistic)
            .min_positives(20)
            .numeric_transform(transform)
            .max_levels(25)
            .folds(3)
            .top_reasons(k)
    }

    #[test]
    fn logistic_agrees_with_score_rows_on_training_and_new_frames() {
        let (train, y) = pool(1500, 1, 0);
        let (new, _) = pool(700, 2, 3);
        for (k, t) in [
            (3, NumericTransform::Log1pStandardize),
            (1, NumericTransform::Standardize),
            (0, NumericTransform::Log1pStandardize),
        ] {
            let icp = logistic(k, t).fit(&train, &y).expect("fits");
            assert_eq!(icp.family(), Family::Logistic);
            assert_agrees(&icp, &train);
            assert_agrees(&icp, &new);
        }
        // Exact ties (the constant and all-false columns contribute 0) at the cut.
        let icp = logistic(6, NumericTransform::Log1pStandardize)
            .exclude(["country", "revenue", "last_seen"])
            .fit(&train, &y)
            .expect("fits");
        let prepared = icp.prepare(&new).expect("prepares");
        let zeros = prepared.score(0).expect("row").reasons().iter().filter(|r| r.contribution == 0.0).count();
        // Seven factors, six kept: the tie at the cut goes to the earlier column.
        assert_eq!(zeros, 1);
        assert_agrees(&icp, &new);
        // All factors kept: no `other`.
        let icp = logistic(MAX_REASONS, NumericTransform::Log1pStandardize).fit(&train, &y).expect("fits");
        let prepared = icp.prepare(&new).expect("prepares");
        assert!(prepared.n_groups() <= MAX_REASONS + 2);
        assert_agrees(&icp, &new);
    }

    #[test]
    fn rules_agree_with_score_rows_ties_by_code() {
        let (train, y) = pool(1500, 3, 0);
        let (new, _) = pool(500, 4, 2);
        // Mined rules.
        for k in [0, 2, 3] {
            let icp =
                IcpParams::new().family(FamilyChoice::Rules).folds(3).top_reasons(k).fit(&train, &y).expect("fits");
            assert_eq!(icp.family(), Family::Rules);
            assert_agrees(&icp, &train);
            assert_agrees(&icp, &new);
        }
        // Given rules with equal points: ties go by code, not by file order.
        let rules = RuleSet::from_toml_str(
            r#"
            threshold = 10
            [[rules]]
            name = "zz_online"
            points = 10
            when = [{ field = "has_ecommerce", is = true }]
            [[rules]]
            name = "aa_big"
            points = -10
            when = [{ field = "employees", min = 50 }]
            [[rules]]
            name = "mm_software"
            points = 10
            when = [{ field = "industry", one_of = ["software"] }]
            [[rules]]
            name = "bb_unknown"
            points = 2.5
            when = [{ field = "revenue", missing = true }]
            "#,
        )
        .expect("rules");
        for k in [1, 2, 4] {
            let icp = IcpParams::new()
                .family(FamilyChoice::Rules)
                .rules(rules.clone())
                .folds(3)
                .top_reasons(k)
                .fit(&train, &y)
                .expect("fits");
            assert_agrees(&icp, &new);
        }
    }

    #[test]
    fn other_families_and_too_many_reasons_are_refused() {
        let (train, y) = pool(600, 5, 0);
        let trees =
            IcpParams::new().family(FamilyChoice::Trees).min_positives(20).folds(2).fit(&train, &y).expect("fits");
        assert!(matches!(trees.prepare(&train), Err(IcpError::Unsupported { .. })));
        let many = logistic(MAX_REASONS + 1, NumericTransform::Standardize).fit(&train, &y).expect("fits");
        assert!(matches!(many.prepare(&train), Err(IcpError::Unsupported { .. })));
        let icp = logistic(3, NumericTransform::Standardize).fit(&train, &y).expect("fits");
        let prepared = icp.prepare(&train).expect("prepares");
        assert!(prepared.score(train.nrows()).is_err());
        assert!(prepared.score_into(0..10, &mut [FastScore::default(); 9]).is_err());
        assert!(prepared.score_rows(0..train.nrows() + 1).is_err());
        assert!(prepared.label(FactorId { group: 1000, bin: 0 }).is_none());
        // A frame without a fitted column is an error, as for score_rows.
        let partial = train.without(&["industry"]);
        assert!(icp.prepare(&partial).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        #[test]
        fn prepared_scores_agree_with_score_rows(seed in 0u64..10_000, k in 0usize..=MAX_REASONS, log in any::<bool>()) {
            let (train, y) = pool(800, seed, 0);
            let (new, _) = pool(300, seed + 1, 1 + (seed % 4) as usize);
            let t = if log { NumericTransform::Log1pStandardize } else { NumericTransform::Standardize };
            let icp = logistic(k, t).fit(&train, &y).expect("fits");
            assert_agrees(&icp, &train);
            assert_agrees(&icp, &new);
        }
    }
}
