//! Prepared scoring: a fitted ICP model bound to one frame once, then any
//! row scored with its top reasons (logistic and rules models without
//! allocating per row), the reasons as
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
//! This is the one scoring engine of every family: [`FittedIcp::score_rows`]
//! and the scorer call it.
//! - Logistic regression and weighted rules (given or mined) are scored
//!   from the tables above, and nothing is allocated per row, with one
//!   exception: a rule with `one_of` on a free-text column folds each
//!   tested value into a new string.
//! - Trees, look-alike and hybrid models are scored on their design rows,
//!   a block of rows encoded at a time, by the models' own arithmetic
//!   (`design.rs`); their contributions are grouped per source column as
//!   the logistic family's are.
//!
//! At most [`MAX_REASONS`] reasons ([`crate::propensity::IcpParams::top_reasons`]
//! refuses more at fit time). Batches
//! ([`PreparedIcp::score_into`]) go a block of rows at a time, one source
//! column at a time, in parallel with the `parallel` feature. For ranking,
//! [`PreparedIcp::probabilities_into`] gives the calibrated probabilities
//! alone (no reasons), bit for bit those of [`PreparedIcp::score`].
//!
//! A logistic model's raw score is baseline + Σ contributions, equal to the
//! model's intercept + w·x up to the rounding of the summation order. The
//! factors come largest magnitude first, ties by column order (logistic,
//! trees, look-alike) or by code (rules, hybrid), and `other` sums the
//! factors left out.
//!
//! ```
//! use acctscore_frame::{Column, Frame};
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
//! let with_strings = &icp.score_rows(&frame, 0..1, true)?[0];
//! assert_eq!(fast.raw, with_strings.raw);
//! let (code, _text) = prepared.label(fast.reasons()[0].factor).expect("a factor of this model");
//! assert_eq!(code, with_strings.explanation.factors[0].code);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::explain::{Explanation, Factor, FactorPlan, OTHER_CODE};
use crate::logistic::FittedLogistic;
use crate::propensity::{Family, FittedIcp, TierCuts};
use crate::rules::{BoundRules, RuleSet};
use crate::{IcpError, Result};
use acctscore_calibration::{Calibrator, FittedCalibrator};
use acctscore_core::{CoreError, Probability};
use acctscore_features::encode::BoundColumn;
use acctscore_frame::Frame;
use std::ops::Range;

mod design;
mod score;
mod top;
use design::Design;
pub(crate) use design::{Additive, HybridParts};
pub use score::{FactorId, FastReason, FastScore};
use top::{BlockTop, Kept, TopK, TopSmall};

/// The most reasons a [`FastScore`] carries;
/// [`crate::propensity::IcpParams::fit`] refuses a model that asks for more.
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

/// Padding between the groups' columns of a block's contributions (a cache line).
const PAD: usize = 8;

/// Most reasons kept by [`TopSmall`] rather than [`TopK`]'s insertion.
const SMALL_K: usize = 3;

/// Most groups whose kept contributions [`BlockTop`] finds (one bit each).
const MASK_GROUPS: usize = 64;

/// Rows of a block and the distance between its groups' columns of contributions.
#[derive(Clone, Copy)]
struct BlockShape {
    rows: usize,
    stride: usize,
}

/// Most groups [`PreparedIcp::score`] gathers before ranking them (a model
/// with more offers them as they come).
const ROW_GROUPS: usize = 64;

/// What [`FittedIcp::prepare`] hands over: the model's scoring parts.
pub(crate) enum Source<'a> {
    Logistic(&'a FittedLogistic, &'a FittedCalibrator),
    Rules(&'a RuleSet, &'a FittedCalibrator),
    Additive(Additive<'a>, &'a FittedCalibrator),
    Hybrid(HybridParts<'a>),
}

/// The map from raw score to probability: the fitted calibrator, or the
/// hybrid's logistic link (its combiner is the calibration).
#[derive(Debug, Clone, Copy)]
enum Link<'a> {
    Calibrator(&'a FittedCalibrator),
    Sigmoid,
}

impl Link<'_> {
    #[inline(always)]
    fn apply(&self, raw: f64) -> f64 {
        match self {
            Link::Calibrator(c) => c.calibrate_value(raw),
            Link::Sigmoid => 1.0 / (1.0 + (-raw).exp()),
        }
    }
}

/// A fitted ICP model bound to one frame: scores its rows with reasons,
/// (logistic and rules without allocating per row). `Sync`: share it
/// across threads.
/// Build with [`FittedIcp::prepare`].
#[derive(Debug)]
pub struct PreparedIcp<'a> {
    family: Family,
    tiers: TierCuts,
    k: usize,
    nrows: usize,
    link: Link<'a>,
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
    Design(Design<'a>),
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

/// Scratch space of one block of rows: keys of a keyed column, encoded
/// features of a number.
struct BlockScratch {
    keys: [usize; BLOCK_ROWS],
    features: [f64; BLOCK_ROWS * MAX_ROW_WIDTH],
}

impl BlockScratch {
    fn new() -> Self {
        BlockScratch { keys: [0; BLOCK_ROWS], features: [0.0; BLOCK_ROWS * MAX_ROW_WIDTH] }
    }
}

impl Group<'_> {
    /// The group's contribution to row `i`.
    #[inline]
    fn contribution(&self, i: usize) -> Result<f64> {
        match self {
            Group::Table { column, table } => Ok(column.key(i).and_then(|k| table.get(k)).copied().unwrap_or(0.0)),
            Group::Row { column, weights, means } => {
                let mut buf = [0.0; MAX_ROW_WIDTH];
                let x =
                    buf.get_mut(..weights.len()).ok_or(IcpError::InvalidModel { part: "encoding width", index: 0 })?;
                column.encode_row(i, x)?;
                Ok(sum_contributions(weights, means, x))
            }
        }
    }

    /// The group's contributions to rows `rows` (as many as `out`, at most
    /// [`BLOCK_ROWS`]).
    fn contributions(&self, rows: Range<usize>, out: &mut [f64], scratch: &mut BlockScratch) -> Result<()> {
        let n = rows.len();
        let short = || IcpError::InvalidModel { part: "block rows", index: n };
        match self {
            Group::Table { column, table } => {
                let keys = scratch.keys.get_mut(..n).ok_or_else(short)?;
                column.keys_into(rows, keys)?;
                for (o, &k) in out.iter_mut().zip(keys.iter()) {
                    *o = table.get(k).copied().unwrap_or(0.0);
                }
            }
            Group::Row { column, weights, means } => {
                // The block's features first, then their sums: the sums read
                // features stored long before (not the store just made, which
                // a wider load could not take from the store buffer).
                let width = weights.len();
                if width == 0 {
                    out.fill(0.0);
                    return Ok(());
                }
                let x = scratch.features.get_mut(..n * width).ok_or_else(short)?;
                column.encode_rows(rows, x)?;
                // `sum_contributions` with the width matched once per block.
                match (*weights, *means) {
                    ([w0], [m0]) => {
                        for (o, x0) in out.iter_mut().zip(x.iter()) {
                            *o = 0.0 + w0 * (x0 - m0);
                        }
                    }
                    ([w0, w1], [m0, m1]) => {
                        for (o, x) in out.iter_mut().zip(x.chunks_exact(2)) {
                            if let [x0, x1] = x {
                                *o = 0.0 + w0 * (x0 - m0) + w1 * (x1 - m1);
                            }
                        }
                    }
                    _ => {
                        for (o, x) in out.iter_mut().zip(x.chunks_exact(width)) {
                            *o = sum_contributions(weights, means, x);
                        }
                    }
                }
            }
        }
        Ok(())
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
    let mut scratch = BlockScratch::new();
    let mut scale = Vec::with_capacity(groups.len());
    for group in groups {
        group.contributions(0..n, &mut column[..n], &mut scratch)?;
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
            return Err(IcpError::InvalidModel { part: "top reasons", index: k });
        }
        let (link, model) = match source {
            Source::Logistic(model, calibrator) => {
                (Link::Calibrator(calibrator), Self::bind_logistic(icp, model, frame)?)
            }
            Source::Additive(model, calibrator) => {
                (Link::Calibrator(calibrator), Model::Design(Design::additive(icp, model, frame)?))
            }
            Source::Hybrid(parts) => (Link::Sigmoid, Model::Design(Design::hybrid(icp, parts, frame)?)),
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
                (Link::Calibrator(calibrator), Model::Rules { bound, rank })
            }
        };
        Ok(PreparedIcp { family: icp.family(), tiers: icp.tiers(), k, nrows: frame.nrows(), link, model })
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

    /// The family.
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

    /// The score of an average account (log-odds, log similarity for
    /// look-alike), or 0 points for rules: baseline + contributions of the
    /// reasons + `other` = raw.
    pub fn baseline(&self) -> f64 {
        match &self.model {
            Model::Logistic { baseline, .. } => *baseline,
            Model::Rules { .. } => 0.0,
            Model::Design(d) => d.baseline(),
        }
    }

    /// Number of groups: source columns (logistic, trees, look-alike),
    /// rules, or the hybrid's source columns, rules and signals.
    pub fn n_groups(&self) -> usize {
        match &self.model {
            Model::Logistic { groups, .. } => groups.len(),
            Model::Rules { bound, .. } => bound.len(),
            Model::Design(d) => d.n_groups(),
        }
    }

    /// Scores row `i` with its top reasons (nothing is allocated for the
    /// logistic and rules families).
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
        match self.k {
            0 => self.score_row_into(i, &mut TopK::<0>::new(0), &mut out)?,
            1 => self.score_row_into(i, &mut TopK::<1>::new(1), &mut out)?,
            2 => self.score_row_into(i, &mut TopK::<2>::new(2), &mut out)?,
            3 => self.score_row_into(i, &mut TopK::<3>::new(3), &mut out)?,
            k => self.score_row_into(i, &mut TopK::<MAX_REASONS>::new(k), &mut out)?,
        }
        Ok(out)
    }

    /// Scores row `i` into `out`, with `top` as scratch space.
    #[inline(always)]
    fn score_row_into<const K: usize>(&self, i: usize, top: &mut TopK<K>, out: &mut FastScore) -> Result<()> {
        top.clear();
        match &self.model {
            Model::Logistic { groups, plan, order, .. } if groups.len() <= ROW_GROUPS => {
                // Every column's value of the row first: on a large frame
                // each is a cache miss, and these reads do not wait for one
                // another.
                std::hint::black_box(plan.touch(i));
                let mut contributions = [0.0; ROW_GROUPS];
                let mut total = 0.0;
                for (c, group) in contributions.iter_mut().zip(groups) {
                    *c = group.contribution(i)?;
                    total += *c;
                }
                for &g in order {
                    top.offer(g, g, contributions.get(g as usize).copied().unwrap_or(0.0));
                }
                self.logistic_finish(i, total, top, out)
            }
            Model::Logistic { groups, .. } => {
                let mut total = 0.0;
                for (g, group) in (0u32..).zip(groups) {
                    let c = group.contribution(i)?;
                    total += c;
                    top.offer(g, g, c);
                }
                self.logistic_finish(i, total, top, out)
            }
            Model::Rules { bound, rank } => {
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
            Model::Design(d) => self.design_rows(d, i..i + 1, std::slice::from_mut(out)),
        }
    }

    /// Scores rows `rows` of a design-matrix model into `out` (as long).
    fn design_rows(&self, d: &Design<'_>, rows: Range<usize>, out: &mut [FastScore]) -> Result<()> {
        let start = rows.start;
        d.score_rows(rows, Some(self.k), |i, raw, reasons, other| {
            let slot = i
                .checked_sub(start)
                .and_then(|j| out.get_mut(j))
                .ok_or(IcpError::InvalidModel { part: "block rows", index: i })?;
            self.write(raw, reasons.iter().copied(), other, slot)
        })
    }

    /// Raw score, probability and tier of each row of `rows`, without
    /// reasons: those of [`PreparedIcp::score`] (for
    /// [`FittedIcp::score_rows`] without reasons).
    pub(crate) fn scores_without_reasons(&self, rows: Range<usize>) -> Result<Vec<(f64, Probability, char)>> {
        self.check_rows(&rows, rows.len())?;
        let mut out = Vec::with_capacity(rows.len());
        let mut push = |raw: f64| -> Result<()> {
            let p = self.probability(raw)?;
            out.push((raw, p, self.tiers.tier(p.get())));
            Ok(())
        };
        match &self.model {
            Model::Design(d) => d.score_rows(rows, None, |_, raw, _, _| push(raw))?,
            _ => {
                for i in rows {
                    push(self.raw_row(i)?)?;
                }
            }
        }
        Ok(out)
    }

    /// The raw score of row `i` (no reasons): the same sum, in the same
    /// order, as [`PreparedIcp::score`]'s.
    fn raw_row(&self, i: usize) -> Result<f64> {
        match &self.model {
            Model::Logistic { baseline, groups, .. } => {
                let mut total = 0.0;
                for group in groups {
                    total += group.contribution(i)?;
                }
                Ok(baseline + total)
            }
            Model::Rules { bound, .. } => {
                let mut total = 0.0;
                for r in 0..bound.len() {
                    if let Some(points) = bound.fired_points(r, i) {
                        total += points;
                    }
                }
                Ok(total)
            }
            Model::Design(d) => {
                let mut raw = 0.0;
                d.score_rows(i..i + 1, None, |_, r, _, _| {
                    raw = r;
                    Ok(())
                })?;
                Ok(raw)
            }
        }
    }

    /// Row `i` of a logistic model from the sum of its contributions and the kept ones.
    #[inline(always)]
    fn logistic_finish<const K: usize>(&self, i: usize, total: f64, top: &TopK<K>, out: &mut FastScore) -> Result<()> {
        let other = (self.n_groups() > self.k).then(|| total - top.sum());
        self.finish(i, self.baseline() + total, top, other, out)
    }

    /// The calibrated probability of a raw score.
    #[inline(always)]
    fn probability(&self, raw: f64) -> Result<Probability> {
        Ok(Probability::clamped(self.link.apply(raw))?)
    }

    /// Calibration, tier and the kept reasons' bins, written into `out`.
    #[inline(always)]
    fn finish<const K: usize>(
        &self,
        i: usize,
        raw: f64,
        top: &TopK<K>,
        other: Option<f64>,
        out: &mut FastScore,
    ) -> Result<()> {
        let bin = |group: u32| match &self.model {
            Model::Logistic { plan, .. } => plan.bin(group as usize, i),
            _ => 0,
        };
        let reasons = top.kept().iter().map(|&Kept { group, contribution, .. }| FastReason {
            factor: FactorId { group, bin: bin(group) },
            contribution,
        });
        self.write(raw, reasons, other, out)
    }

    /// Calibration, tier, the reasons (at most [`MAX_REASONS`]) and `other`, written into `out`.
    #[inline(always)]
    fn write(
        &self,
        raw: f64,
        reasons: impl Iterator<Item = FastReason>,
        other: Option<f64>,
        out: &mut FastScore,
    ) -> Result<()> {
        let probability = self.probability(raw)?;
        let mut len = 0u8;
        for (slot, reason) in out.reasons.iter_mut().zip(reasons) {
            *slot = reason;
            len += 1;
        }
        out.probability = probability;
        out.raw = raw;
        out.tier = self.tiers.tier(probability.get());
        out.len = len;
        out.has_other = other.is_some();
        out.other = other.unwrap_or(0.0);
        Ok(())
    }

    /// The groups of a logistic model that [`PreparedIcp::block_totals`]
    /// can score a block at a time, with their offer order and the block's
    /// shape; `None` otherwise.
    fn block_groups(&self) -> Option<(&[Group<'a>], &[u32], BlockShape)> {
        match &self.model {
            Model::Logistic { groups, order, .. } if !groups.is_empty() && groups.len() <= SCRATCH => {
                // A group's contributions `stride` apart, a cache line more
                // than the rows: columns 2^k bytes apart would share a few
                // cache sets.
                let stride = (SCRATCH / groups.len()).min(BLOCK_ROWS + PAD);
                let rows = if stride > PAD { stride - PAD } else { stride };
                Some((groups, order, BlockShape { rows, stride }))
            }
            _ => None,
        }
    }

    /// The contributions of rows `rows` (at most `shape.rows`), group after
    /// group (group `g`'s at `contrib[g * shape.stride..][..rows.len()]`)
    /// when `contrib` is given, and the sum of each row's in group order
    /// (as [`PreparedIcp::score`] sums them) into `totals`.
    #[inline(always)]
    fn block_totals(
        groups: &[Group<'_>],
        rows: Range<usize>,
        shape: BlockShape,
        mut contrib: Option<&mut [f64]>,
        totals: &mut [f64],
        scratch: &mut BlockScratch,
    ) -> Result<()> {
        let n = rows.len();
        let short = || IcpError::InvalidModel { part: "block rows", index: n };
        let totals = totals.get_mut(..n).ok_or_else(short)?;
        totals.fill(0.0);
        let mut column = [0.0; BLOCK_ROWS];
        for (g, group) in groups.iter().enumerate() {
            let out = match contrib.as_deref_mut() {
                Some(c) => c.get_mut(g * shape.stride..).and_then(|c| c.get_mut(..n)),
                None => column.get_mut(..n),
            }
            .ok_or_else(short)?;
            group.contributions(rows.clone(), out, scratch)?;
            for (t, &c) in totals.iter_mut().zip(out.iter()) {
                *t += c;
            }
        }
        Ok(())
    }

    /// Scores rows `start..start + out.len()` into `out`, with `K` reasons
    /// at most. Logistic models go a block of rows at a time, one source
    /// column at a time (the encoders' block code, no per-row dispatch);
    /// the rows' scores are then assembled as [`PreparedIcp::score`]
    /// assembles one. (Not inlined: a named frame for profilers, entered
    /// once per task.)
    #[inline(never)]
    fn score_block<const K: usize>(&self, start: usize, out: &mut [FastScore]) -> Result<()> {
        if let Model::Design(d) = &self.model {
            return self.design_rows(d, start..start + out.len(), out);
        }
        let mut top = TopK::<K>::new(self.k);
        let Some((groups, order, shape)) = self.block_groups() else {
            for (i, slot) in (start..).zip(out) {
                self.score_row_into(i, &mut top, slot)?;
            }
            return Ok(());
        };
        let mut scratch = BlockScratch::new();
        let mut contrib = [0.0; SCRATCH];
        let mut totals = [0.0; BLOCK_ROWS];
        // Up to three reasons: found a block at a time (see `BlockTop`), or
        // offered row by row in group order, without branches.
        let small = K <= SMALL_K && K == self.k;
        let masked = small && groups.len() <= MASK_GROUPS;
        let mut block_top = BlockTop::<K>::new();
        for (first, chunk) in (start..).step_by(shape.rows).zip(out.chunks_mut(shape.rows)) {
            let n = chunk.len();
            Self::block_totals(
                groups,
                first..first + n,
                shape,
                (K > 0).then_some(&mut contrib),
                &mut totals,
                &mut scratch,
            )?;
            if masked {
                block_top.find(&contrib, groups.len(), shape.stride, n);
            }
            let at = |g: usize, j: usize| contrib.get(g * shape.stride + j).copied().unwrap_or(0.0);
            for ((j, slot), &total) in chunk.iter_mut().enumerate().zip(&totals) {
                // A NaN contribution (a NaN total) is ordered by its bits: row by row.
                if K == 0 {
                    top.clear();
                } else if masked && !total.is_nan() {
                    block_top.row_into(j, &mut top, |g| at(g, j));
                } else if small {
                    let mut small = TopSmall::<K>::new();
                    let row = contrib.get(j..).unwrap_or_default().iter().step_by(shape.stride);
                    for (g, &c) in row.take(groups.len()).enumerate() {
                        small.offer(g, c);
                    }
                    small.into_top(&mut top, |g| at(g, j));
                } else {
                    top.clear();
                    for &g in order {
                        top.offer(g, g, at(g as usize, j));
                    }
                }
                self.logistic_finish(first + j, total, &top, slot)?;
            }
        }
        Ok(())
    }

    /// Probabilities of rows `start..start + out.len()` into `out`.
    #[inline(never)]
    fn probability_block(&self, start: usize, out: &mut [f64]) -> Result<()> {
        if let Model::Design(d) = &self.model {
            return d.score_rows(start..start + out.len(), None, |i, raw, _, _| {
                let slot = i
                    .checked_sub(start)
                    .and_then(|j| out.get_mut(j))
                    .ok_or(IcpError::InvalidModel { part: "block rows", index: i })?;
                *slot = self.probability(raw)?.get();
                Ok(())
            });
        }
        let Some((groups, _, shape)) = self.block_groups() else {
            for (i, slot) in (start..).zip(out) {
                *slot = self.probability(self.raw_row(i)?)?.get();
            }
            return Ok(());
        };
        let baseline = self.baseline();
        let mut scratch = BlockScratch::new();
        let mut totals = [0.0; BLOCK_ROWS];
        for (first, chunk) in (start..).step_by(shape.rows).zip(out.chunks_mut(shape.rows)) {
            Self::block_totals(groups, first..first + chunk.len(), shape, None, &mut totals, &mut scratch)?;
            for (slot, &total) in chunk.iter_mut().zip(&totals) {
                *slot = self.probability(baseline + total)?.get();
            }
        }
        Ok(())
    }

    /// Checks a range of rows against the frame and an output's length.
    fn check_rows(&self, rows: &Range<usize>, out: usize) -> Result<()> {
        if rows.start > rows.end || rows.end > self.nrows {
            return Err(CoreError::ShapeMismatch {
                what: "row range end vs frame rows",
                expected: self.nrows,
                found: rows.end,
            }
            .into());
        }
        if out != rows.len() {
            return Err(CoreError::ShapeMismatch { what: "output vs rows", expected: rows.len(), found: out }.into());
        }
        Ok(())
    }

    /// Scores rows `rows` into `out` (one score per row, in order), in
    /// parallel with the `parallel` feature (the result does not depend on
    /// the number of threads); nothing is allocated per row for the
    /// logistic and rules families (the others encode blocks of rows).
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when the range is out of bounds or `out`
    /// is not `rows.len()` long.
    pub fn score_into(&self, rows: Range<usize>, out: &mut [FastScore]) -> Result<()> {
        self.check_rows(&rows, out.len())?;
        let start = rows.start;
        let block = match self.k {
            0 => Self::score_block::<0>,
            1 => Self::score_block::<1>,
            2 => Self::score_block::<2>,
            3 => Self::score_block::<3>,
            _ => Self::score_block::<MAX_REASONS>,
        };
        let run = |(c, chunk): (usize, &mut [FastScore])| block(self, start + c * CHUNK_ROWS, chunk);
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            out.par_chunks_mut(CHUNK_ROWS).enumerate().try_for_each(run)
        }
        #[cfg(not(feature = "parallel"))]
        out.chunks_mut(CHUNK_ROWS).enumerate().try_for_each(run)
    }

    /// The calibrated probability of each row of `rows` into `out` (as
    /// long), without reasons: for ranking many accounts. Bit for bit
    /// `self.score(i)?.probability.get()` for every row `i` (the raw score
    /// is summed in the same order), faster, in parallel with the
    /// `parallel` feature (the result does not depend on the number of
    /// threads); nothing is allocated for the logistic and rules families.
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when the range is out of bounds or `out`
    /// is not `rows.len()` long; as [`PreparedIcp::score`] for a row.
    pub fn probabilities_into(&self, rows: Range<usize>, out: &mut [f64]) -> Result<()> {
        self.check_rows(&rows, out.len())?;
        let start = rows.start;
        let run = |(c, chunk): (usize, &mut [f64])| self.probability_block(start + c * CHUNK_ROWS, chunk);
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
    /// title column: there the text is the column's name; a number beyond
    /// the fitted range, which the row's text names after the bin's);
    /// [`PreparedIcp::factor`] gives the row's text. `None` for an id that is
    /// not a factor of this model.
    pub fn label(&self, id: FactorId) -> Option<(String, String)> {
        let g = id.group as usize;
        match &self.model {
            Model::Logistic { plan, .. } => (g < plan.n_groups()).then(|| plan.label(g, id.bin)),
            Model::Rules { bound, .. } => bound.label(g).map(|(c, t)| (c.to_string(), t.to_string())),
            Model::Design(d) => d.label(id),
        }
    }

    /// The [`Factor`] of a reason of row `i`, exactly as
    /// [`FittedIcp::score_rows`] gives it (`None` for a reason that is not
    /// one of this model's factors).
    pub fn factor(&self, i: usize, reason: &FastReason) -> Option<Factor> {
        let g = reason.factor.group as usize;
        match &self.model {
            Model::Logistic { plan, .. } => (g < plan.n_groups()).then(|| plan.factor(g, i, reason.contribution)),
            Model::Rules { bound, .. } => bound.label(g).map(|(code, text)| Factor {
                code: code.to_string(),
                text: text.to_string(),
                contribution: reason.contribution,
            }),
            Model::Design(d) => d.factor(i, reason.factor.group, reason.contribution),
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
mod tests;
