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
//! Families: logistic regression (`auto`'s learned family unless trees win
//! its cross-validation by the margin) and weighted rules (given or mined).
//! Trees, look-alike and hybrid models are
//! refused with [`IcpError::Unsupported`]; [`FittedIcp::score_rows`] scores
//! them. At most [`MAX_REASONS`] reasons: a model with more
//! ([`crate::propensity::IcpParams::top_reasons`]) is refused the same way.
//!
//! Nothing is allocated per row, with one exception shared with
//! [`FittedIcp::score_rows`]: a rule with `one_of` on a free-text column
//! folds each tested value into a new string. Batches
//! ([`PreparedIcp::score_into`]) go a block of rows at a time, one source
//! column at a time, in parallel with the `parallel` feature. For ranking,
//! [`PreparedIcp::probabilities_into`] gives the calibrated probabilities
//! alone (no reasons), bit for bit those of [`PreparedIcp::score`].
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
use acctscore_features::encode::BoundColumn;
use acctscore_frame::Frame;
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

/// The `K` (at most; `k` at run time) largest contributions offered so far,
/// in explanation order: larger magnitude first, ties to the lower rank.
#[derive(Clone, Copy)]
struct TopK<const K: usize> {
    items: [Kept; K],
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

impl<const K: usize> TopK<K> {
    /// Room for `k` contributions (at most `K`).
    #[inline(always)]
    fn new(k: usize) -> Self {
        TopK { items: [Kept::default(); K], len: 0, k: k.min(K), floor: 0 }
    }

    /// Forgets what was offered (the items are overwritten, not cleared).
    #[inline(always)]
    fn clear(&mut self) {
        self.len = 0;
        self.floor = 0;
    }

    /// Offers a contribution of `group` with tie-break `rank`.
    #[inline(always)]
    fn offer(&mut self, group: u32, rank: u32, contribution: f64) {
        if K == 0 {
            return;
        }
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
        while let Some(prev) = j.checked_sub(1).and_then(|p| self.items.get(p)).copied() {
            if !item.before(&prev) {
                break;
            }
            if let Some(slot) = self.items.get_mut(j) {
                *slot = prev;
            }
            j -= 1;
        }
        if let Some(slot) = self.items.get_mut(j) {
            *slot = item;
        }
        if self.len == self.k {
            self.floor = self.kept().last().map_or(0, |x| x.magnitude);
        }
    }

    #[inline(always)]
    fn kept(&self) -> &[Kept] {
        self.items.get(..self.len).unwrap_or_default()
    }

    #[inline(always)]
    fn sum(&self) -> f64 {
        self.kept().iter().map(|x| x.contribution).sum()
    }
}

/// The `K` largest contributions of one row, offered in rank order
/// (logistic: group order), kept without branches: a later offer equal to
/// a kept one comes after it, as the lower rank wins ties.
struct TopSmall<const K: usize> {
    /// Magnitude bits + 1, largest first; 0 for an empty slot.
    keys: [u64; K],
    groups: [usize; K],
}

impl<const K: usize> TopSmall<K> {
    #[inline(always)]
    fn new() -> Self {
        TopSmall { keys: [0; K], groups: [0; K] }
    }

    /// Offers group `group`'s contribution (`group` above those offered before).
    #[inline(always)]
    fn offer(&mut self, group: usize, contribution: f64) {
        // The magnitude's bits are below 2^63: no overflow.
        let key = contribution.abs().to_bits() + 1;
        let mut s = K;
        while s > 0 {
            s -= 1;
            let above = key > self.keys[s];
            let (k, g) = if s > 0 && key > self.keys[s - 1] {
                (self.keys[s - 1], self.groups[s - 1])
            } else if above {
                (key, group)
            } else {
                (self.keys[s], self.groups[s])
            };
            self.keys[s] = k;
            self.groups[s] = g;
        }
    }

    /// Writes the kept contributions (`contribution(g)` of group `g`) into `top`.
    #[inline(always)]
    fn into_top<const T: usize>(self, top: &mut TopK<T>, contribution: impl Fn(usize) -> f64) {
        top.clear();
        for (&key, &group) in self.keys.iter().zip(&self.groups) {
            if key == 0 {
                break;
            }
            if let Some(slot) = top.items.get_mut(top.len) {
                // Below the groups' count, which fits in `u32`.
                let g = group as u32;
                *slot = Kept { magnitude: key - 1, rank: g, group: g, contribution: contribution(group) };
                top.len += 1;
            }
        }
    }
}

/// The `K` largest contributions of every row of a block, found column by
/// column (the rows side by side, without branches): first each row's `K`
/// largest magnitudes, by compare-exchange, then which groups hold them, as
/// bit masks — the groups strictly above the `K`-th magnitude and those
/// equal to it. A row keeps the first, largest first (ties to the lower
/// group), then the lowest of the second: the order of [`TopK`].
///
/// Magnitudes are compared as floats, which order non-negative numbers as
/// their bits do; a row with a NaN contribution must be ranked otherwise.
struct BlockTop<const K: usize> {
    /// Per row, its `K` largest magnitudes (−1 for none).
    largest: [[f64; BLOCK_ROWS]; K],
    /// Per row, the groups above its `K`-th largest magnitude.
    above: [u64; BLOCK_ROWS],
    /// Per row, the groups at its `K`-th largest magnitude.
    at: [u64; BLOCK_ROWS],
}

impl<const K: usize> BlockTop<K> {
    fn new() -> Self {
        BlockTop { largest: [[-1.0; BLOCK_ROWS]; K], above: [0; BLOCK_ROWS], at: [0; BLOCK_ROWS] }
    }

    /// Finds the kept groups of rows `0..n` of a block: group `g`'s
    /// contributions at `contrib[g * stride..][..n]`, `groups` at most
    /// [`MASK_GROUPS`], `n` at most [`BLOCK_ROWS`].
    #[inline(always)]
    fn find(&mut self, contrib: &[f64], groups: usize, stride: usize, n: usize) {
        let n = n.min(BLOCK_ROWS);
        for largest in &mut self.largest {
            largest[..n].fill(-1.0);
        }
        let column = |g: usize| contrib.get(g * stride..).and_then(|c| c.get(..n)).unwrap_or_default();
        for g in 0..groups {
            let column = column(g);
            let mut largest = self.largest.each_mut().map(|l| &mut l[..column.len().min(n)]);
            for (j, &c) in column.iter().enumerate().take(n) {
                let mut x = c.abs();
                for m in largest.iter_mut() {
                    let m = &mut m[j];
                    let (hi, lo) = if x > *m { (x, *m) } else { (*m, x) };
                    *m = hi;
                    x = lo;
                }
            }
        }
        let Some(last) = self.largest.last() else {
            return;
        };
        self.above[..n].fill(0);
        self.at[..n].fill(0);
        for g in 0..groups.min(MASK_GROUPS) {
            let bit = 1u64 << g;
            let rows = column(g).iter().zip(&last[..n]).zip(self.above[..n].iter_mut().zip(&mut self.at[..n]));
            for ((&c, &t), (above, at)) in rows {
                let x = c.abs();
                *above |= if x > t { bit } else { 0 };
                *at |= if x == t { bit } else { 0 };
            }
        }
    }

    /// Writes the kept contributions of row `j` (`contribution(g)` of group
    /// `g`) into `top`.
    #[inline(always)]
    fn row_into<const T: usize>(&self, j: usize, top: &mut TopK<T>, contribution: impl Fn(usize) -> f64) {
        top.clear();
        let mut push = |g: u32| {
            if let Some(slot) = top.items.get_mut(top.len) {
                let c = contribution(g as usize);
                *slot = Kept { magnitude: c.abs().to_bits(), rank: g, group: g, contribution: c };
                top.len += 1;
            }
        };
        let (mut above, mut at) = (self.above.get(j).copied().unwrap_or(0), self.at.get(j).copied().unwrap_or(0));
        // At most K − 1 groups above, in group order.
        while above != 0 {
            push(above.trailing_zeros());
            above &= above - 1;
        }
        // Largest first; equal magnitudes keep group order.
        let kept = top.len;
        for i in 1..kept {
            let mut i = i;
            while i > 0 && top.items[i].magnitude > top.items[i - 1].magnitude {
                top.items.swap(i, i - 1);
                i -= 1;
            }
        }
        while at != 0 && top.len < top.k {
            let g = at.trailing_zeros();
            if let Some(slot) = top.items.get_mut(top.len) {
                let c = contribution(g as usize);
                *slot = Kept { magnitude: c.abs().to_bits(), rank: g, group: g, contribution: c };
                top.len += 1;
            }
            at &= at - 1;
        }
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
        }
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
        Ok(Probability::clamped(self.calibrator.calibrate_value(raw))?)
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
        let probability = self.probability(raw)?;
        let kept = top.kept();
        match &self.model {
            Model::Logistic { plan, .. } => {
                for (slot, &Kept { group, contribution, .. }) in out.reasons.iter_mut().zip(kept) {
                    let bin = plan.bin(group as usize, i);
                    *slot = Reason { factor: FactorId { group, bin }, contribution };
                }
            }
            Model::Rules { .. } => {
                for (slot, &Kept { group, contribution, .. }) in out.reasons.iter_mut().zip(kept) {
                    *slot = Reason { factor: FactorId { group, bin: 0 }, contribution };
                }
            }
        }
        out.probability = probability;
        out.raw = raw;
        out.tier = self.tiers.tier(probability.get());
        // At most MAX_REASONS.
        out.len = u8::try_from(kept.len()).unwrap_or(u8::MAX);
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
    /// the number of threads); nothing is allocated per row.
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
    /// threads); nothing is allocated.
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
    use acctscore_core::numeric::SplitMix64;
    use acctscore_features::encode::NumericTransform;
    use acctscore_frame::Column;
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
            ("note".to_string(), Column::text(text)),
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
                assert_eq!(code, exact.code, "row {i}");
                // A value beyond the fitted range is named after the bin's text.
                assert!(exact.text == text || exact.text.starts_with(&format!("{text} (")), "row {i}: {}", exact.text);
            }
            let total = prepared.baseline()
                + f.reasons().iter().map(|r| r.contribution).sum::<f64>()
                + f.other().unwrap_or(0.0);
            assert!((total - f.raw).abs() <= 1e-9, "row {i}: baseline + reasons + other = raw");
            assert!(f.reasons().len() <= prepared.top_reasons(), "row {i}");
        }
        assert_probabilities_exact(&prepared);
    }

    /// `probabilities_into` gives `score(i)`'s probability bit for bit, on
    /// the whole frame and on a range inside it.
    fn assert_probabilities_exact(prepared: &PreparedIcp<'_>) {
        let n = prepared.nrows();
        let mut all = vec![f64::NAN; n];
        prepared.probabilities_into(0..n, &mut all).expect("probabilities");
        for (i, p) in all.iter().enumerate() {
            let score = prepared.score(i).expect("in range").probability.get();
            assert_eq!(p.to_bits(), score.to_bits(), "row {i}: probability {p} vs score {score}");
        }
        let rows = n / 3..n - n / 5;
        let mut some = vec![f64::NAN; rows.len()];
        prepared.probabilities_into(rows.clone(), &mut some).expect("probabilities");
        let bits = |v: &[f64]| v.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&some), bits(&all[rows]));
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
        // These rules are unrelated to the labels, so Platt's slope may come out
        // negative (refused when reasons are asked for); isotonic never decreases.
        let iso = acctscore_calibration::CalibrationMethod::Isotonic(acctscore_calibration::IsotonicParams::new());
        for k in [1, 2, 4] {
            let icp = IcpParams::new()
                .family(FamilyChoice::Rules)
                .rules(rules.clone())
                .calibration(iso.clone())
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
        assert!(prepared.probabilities_into(0..10, &mut [0.0; 9]).is_err());
        assert!(prepared.probabilities_into(0..train.nrows() + 1, &mut vec![0.0; train.nrows() + 1]).is_err());
        let empty = train.nrows()..train.nrows();
        assert!(prepared.probabilities_into(empty, &mut []).is_ok());
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

        #[test]
        fn probabilities_equal_scores_bit_for_bit(seed in 0u64..10_000, k in 0usize..=MAX_REASONS, rules in any::<bool>()) {
            let (train, y) = pool(600, seed, 0);
            let (new, _) = pool(400, seed + 1, 1 + (seed % 4) as usize);
            let params = if rules {
                IcpParams::new().family(FamilyChoice::Rules).folds(3).top_reasons(k)
            } else {
                logistic(k, NumericTransform::Log1pStandardize)
            };
            let icp = params.fit(&train, &y).expect("fits");
            prop_assert_eq!(icp.family(), if rules { Family::Rules } else { Family::Logistic });
            for frame in [&train, &new] {
                assert_probabilities_exact(&icp.prepare(frame).expect("prepares"));
            }
        }
    }
}
