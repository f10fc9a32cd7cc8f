//! Gradient-boosted trees for binary classification (log loss).
//!
//! A compact histogram-based booster on the features crate's dense design
//! matrix:
//! - each feature is binned once into at most 255 quantile bins
//!   (fitted on at most 200 000 evenly spaced rows);
//! - each tree grows depth-first to `max_depth`, choosing the split of
//!   largest second-order gain `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)` with
//!   at least `min_samples_leaf` rows per side; the histogram of the larger
//!   child is the parent's minus the smaller child's;
//! - node values are Newton steps `−η·G/(H+λ)`, so leaves are the usual
//!   shrunk Newton leaf values;
//! - optional row subsampling per tree with a seeded generator.
//!
//! Training is deterministic: the same data and seed give the same model
//! whatever the number of threads (histograms are built per feature, in
//! parallel with the `parallel` feature, and the best split is reduced in
//! feature order).
//!
//! Explanations use path attribution (Saabas): along a row's path through
//! each tree, the change of node value at a split is credited to the split
//! feature, so [`FittedGbdt::baseline`] (initial log-odds plus every tree's
//! root value) plus [`FittedGbdt::contributions`] equals the raw score.
//!
//! ```
//! use acctscore_core::{Fit, Score};
//! use acctscore_icp::trees::GbdtParams;
//! use ndarray::array;
//!
//! let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0]];
//! let y = [false, false, false, true, true, true];
//! let model = GbdtParams::new().n_trees(20).min_samples_leaf(1).fit(x.view(), &y)?;
//! let hi = model.score_row(x.row(5))?;
//! let lo = model.score_row(x.row(0))?;
//! assert!(hi > lo);
//! let total = model.baseline() + model.contributions(x.row(5)).iter().sum::<f64>();
//! assert!((total - hi).abs() < 1e-9);
//! # Ok::<(), acctscore_icp::IcpError>(())
//! ```

use crate::{IcpError, Result};
use acctscore_core::numeric::{SplitMix64, sigmoid};
use acctscore_core::{CoreError, Fit, Score, check, ndarray};
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// Largest number of bins per feature.
pub(crate) const MAX_BINS: usize = 255;
/// Rows used to find the bin edges (evenly spaced when there are more).
const BINNING_ROWS: usize = 200_000;
/// Smallest hessian sum a child may have.
const MIN_CHILD_HESSIAN: f64 = 1e-6;

/// Runs `f` for every feature index, in parallel with the `parallel`
/// feature; the output is in feature order either way.
fn per_feature<T: Send>(d: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..d).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..d).map(f).collect()
    }
}

/// Quantile bins of every feature: per feature, increasing thresholds; a
/// value `x` falls in bin `b` = the number of thresholds below `x`, so
/// `x <= thresholds[b]` exactly when its bin is at most `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureBins {
    thresholds: Vec<Vec<f64>>,
}

impl FeatureBins {
    /// Fits the bins of every column of `x` (finite values), at most
    /// `max_bins` (2–255) per feature. A feature with at most `max_bins`
    /// distinct values gets one bin per value (thresholds at midpoints);
    /// otherwise the thresholds sit at quantiles.
    ///
    /// # Errors
    /// [`CoreError::InvalidParameter`] for `max_bins` outside 2–255,
    /// [`CoreError::Empty`] without rows, [`CoreError::NonFinite`].
    pub(crate) fn fit(x: ArrayView2<'_, f64>, max_bins: usize) -> Result<Self> {
        check::param((2..=MAX_BINS).contains(&max_bins), "max_bins", "must be in 2..=255")?;
        if x.nrows() == 0 {
            return Err(CoreError::Empty { what: "rows to bin" }.into());
        }
        check::finite_matrix("features", x)?;
        let n = x.nrows();
        let sample: Vec<usize> = if n <= BINNING_ROWS {
            (0..n).collect()
        } else {
            (0..BINNING_ROWS).map(|k| ((k as u128 * n as u128) / BINNING_ROWS as u128) as usize).collect()
        };
        // Gather the sampled values feature by feature in one row-major pass.
        let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(sample.len()); x.ncols()];
        for &i in &sample {
            for (c, v) in columns.iter_mut().zip(x.row(i)) {
                c.push(*v);
            }
        }
        #[cfg(feature = "parallel")]
        let thresholds = {
            use rayon::prelude::*;
            columns.into_par_iter().map(|v| thresholds_of(v, max_bins)).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let thresholds = columns.into_iter().map(|v| thresholds_of(v, max_bins)).collect();
        Ok(FeatureBins { thresholds })
    }

    /// The thresholds of feature `j` (empty when out of range).
    pub(crate) fn thresholds(&self, j: usize) -> &[f64] {
        self.thresholds.get(j).map_or(&[], Vec::as_slice)
    }

    /// Number of bins of feature `j`.
    pub(crate) fn n_bins(&self, j: usize) -> usize {
        self.thresholds(j).len() + 1
    }

    /// The bin of `value` in feature `j` (NaN goes to the last bin).
    pub(crate) fn bin(&self, j: usize, value: f64) -> u8 {
        let t = self.thresholds(j);
        let b = if value.is_nan() { t.len() } else { t.partition_point(|&c| c < value) };
        u8::try_from(b).unwrap_or(u8::MAX)
    }
}

fn midpoint(a: f64, b: f64) -> f64 {
    let m = a * 0.5 + b * 0.5;
    if m >= b { a } else { m }
}

fn thresholds_of(mut v: Vec<f64>, max_bins: usize) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    let mut distinct = v.clone();
    distinct.dedup();
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect();
    }
    let n = v.len();
    let mut out: Vec<f64> = Vec::with_capacity(max_bins - 1);
    for k in 1..max_bins {
        let pos = (k * n / max_bins).max(1);
        let a = v[pos - 1];
        let idx = distinct.partition_point(|&d| d <= a);
        if let Some(&b) = distinct.get(idx) {
            let t = midpoint(a, b);
            if out.last().is_none_or(|&last| t > last) {
                out.push(t);
            }
        }
    }
    out
}

/// Parameters of a gradient-boosted trees classifier. Build with
/// [`GbdtParams::new`] and the setters.
///
/// ```
/// use acctscore_core::{Fit, Score};
/// use acctscore_icp::trees::GbdtParams;
/// use ndarray::Array2;
///
/// // Feature 0 drives conversion (a threshold at 25); feature 1 is noise.
/// let x = Array2::from_shape_fn((40, 2), |(i, j)| if j == 0 { i as f64 } else { (i % 2) as f64 });
/// let y: Vec<bool> = (0..40).map(|i| i >= 25).collect();
/// let model = GbdtParams::new().n_trees(10).max_depth(2).min_samples_leaf(5).fit(x.view(), &y)?;
/// assert_eq!(model.n_trees(), 10);
/// assert!(model.split_counts()[0] > 0);
/// assert!(model.score_row(x.row(30))? > model.score_row(x.row(10))?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GbdtParams {
    n_trees: usize,
    learning_rate: f64,
    max_depth: usize,
    min_samples_leaf: usize,
    l2: f64,
    max_bins: usize,
    subsample: f64,
    min_gain: f64,
    seed: u64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self::new()
    }
}

impl GbdtParams {
    /// Defaults: 100 trees, learning rate 0.1, depth 5, 20 rows per leaf,
    /// L2 1 on leaf values, 255 bins, no subsampling, no minimum gain, seed 0.
    pub fn new() -> Self {
        GbdtParams {
            n_trees: 100,
            learning_rate: 0.1,
            max_depth: 5,
            min_samples_leaf: 20,
            l2: 1.0,
            max_bins: MAX_BINS,
            subsample: 1.0,
            min_gain: 0.0,
            seed: 0,
        }
    }

    /// Number of boosting rounds (≥ 1).
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }

    /// Shrinkage of every tree, in `(0, 1]`.
    pub fn learning_rate(mut self, eta: f64) -> Self {
        self.learning_rate = eta;
        self
    }

    /// Largest depth of a tree (1–16; 3–6 is usual).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Fewest training rows in a leaf (≥ 1).
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }

    /// L2 penalty λ on leaf values (finite, ≥ 0).
    pub fn l2(mut self, lambda: f64) -> Self {
        self.l2 = lambda;
        self
    }

    /// Bins per feature (2–255).
    pub fn max_bins(mut self, n: usize) -> Self {
        self.max_bins = n;
        self
    }

    /// Share of rows drawn (without replacement, independently per tree) to
    /// grow each tree, in `(0, 1]`.
    pub fn subsample(mut self, share: f64) -> Self {
        self.subsample = share;
        self
    }

    /// Smallest gain a split must have (finite, ≥ 0).
    pub fn min_gain(mut self, gain: f64) -> Self {
        self.min_gain = gain;
        self
    }

    /// Seed of the row subsampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn validate(&self) -> Result<()> {
        check::param(self.n_trees >= 1, "n_trees", "must be at least 1")?;
        check::param(
            self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.learning_rate <= 1.0,
            "learning_rate",
            "must be in (0, 1]",
        )?;
        check::param((1..=16).contains(&self.max_depth), "max_depth", "must be in 1..=16")?;
        check::param(self.min_samples_leaf >= 1, "min_samples_leaf", "must be at least 1")?;
        check::param(self.l2.is_finite() && self.l2 >= 0.0, "l2", "must be finite and >= 0")?;
        check::param((2..=MAX_BINS).contains(&self.max_bins), "max_bins", "must be in 2..=255")?;
        check::param(
            self.subsample.is_finite() && self.subsample > 0.0 && self.subsample <= 1.0,
            "subsample",
            "must be in (0, 1]",
        )?;
        check::param(self.min_gain.is_finite() && self.min_gain >= 0.0, "min_gain", "must be finite and >= 0")?;
        Ok(())
    }
}

/// A split of a tree node: rows with `x[feature] <= threshold` go left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Split {
    feature: usize,
    threshold: f64,
    left: usize,
    right: usize,
}

/// A node: its value (the Newton step had it been a leaf) and its split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Node {
    value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    split: Option<Split>,
}

/// One tree; node 0 is the root and children come after their parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    #[inline]
    fn leaf_value(&self, row: &ArrayView1<'_, f64>) -> f64 {
        let mut i = 0;
        while let Some(node) = self.nodes.get(i) {
            match node.split {
                None => return node.value,
                Some(s) => {
                    let x = row.get(s.feature).copied().unwrap_or(f64::NAN);
                    i = if x <= s.threshold { s.left } else { s.right };
                }
            }
        }
        0.0
    }
}

/// A fitted gradient-boosted trees model: raw score = log-odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "GbdtData")]
pub struct FittedGbdt {
    n_features: usize,
    init: f64,
    trees: Vec<Tree>,
}

#[derive(Deserialize)]
struct GbdtData {
    n_features: usize,
    init: f64,
    trees: Vec<Tree>,
}

impl TryFrom<GbdtData> for FittedGbdt {
    type Error = IcpError;

    fn try_from(d: GbdtData) -> Result<Self> {
        let bad = |part, index| IcpError::InvalidModel { part, index };
        if !d.init.is_finite() {
            return Err(bad("init", 0));
        }
        for (t, tree) in d.trees.iter().enumerate() {
            if tree.nodes.is_empty() {
                return Err(bad("tree", t));
            }
            for (i, node) in tree.nodes.iter().enumerate() {
                if !node.value.is_finite() {
                    return Err(bad("node value", t));
                }
                if let Some(s) = node.split {
                    let len = tree.nodes.len();
                    let children_ok = s.left > i && s.right > i && s.left < len && s.right < len;
                    if s.feature >= d.n_features || !s.threshold.is_finite() || !children_ok {
                        return Err(bad("split", t));
                    }
                }
            }
        }
        Ok(FittedGbdt { n_features: d.n_features, init: d.init, trees: d.trees })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct HistBin {
    g: f64,
    h: f64,
    n: u32,
}

type Hist = Vec<Vec<HistBin>>;

struct Binned<'a> {
    /// Column-major bins: feature `j` of row `i` at `j * n + i`.
    bins: &'a [u8],
    n: usize,
    n_bins: &'a [usize],
    /// Per feature, the rows whose bin is not 0, ascending, when they are
    /// fewer than a quarter of the rows (one-hot columns): a node's
    /// histogram then visits only those rows.
    nonzero: &'a [Option<Vec<u32>>],
}

/// The rows of each feature whose bin is not 0, for sparse features.
fn nonzero_rows(binned: &[u8], n: usize, d: usize) -> Vec<Option<Vec<u32>>> {
    per_feature(d, |j| {
        let col = binned.get(j * n..(j + 1) * n).unwrap_or(&[]);
        let count = col.iter().filter(|&&b| b != 0).count();
        (count < n / 4).then(|| (0..n as u32).filter(|&r| col[r as usize] != 0).collect())
    })
}

impl Binned<'_> {
    fn column(&self, j: usize) -> &[u8] {
        self.bins.get(j * self.n..(j + 1) * self.n).unwrap_or(&[])
    }

    /// Histogram of node `node`, whose rows are `rows` (ascending, marked
    /// `node` in `node_of_row`) with sums `totals`, per feature. Bin 0 (the
    /// zero of one-hot columns, usually most rows) is not accumulated but
    /// taken as the totals minus the other bins. A sparse feature with
    /// fewer non-zero rows than half the node visits only those; both ways
    /// add the same values in the same (row) order, so the result is the same.
    fn histogram(&self, rows: &[u32], node: u32, node_of_row: &[u32], g: &[f64], h: &[f64], totals: Totals) -> Hist {
        let gh: Vec<(f64, f64)> = rows.iter().map(|&r| (g[r as usize], h[r as usize])).collect();
        per_feature(self.n_bins.len(), |j| {
            let col = self.column(j);
            let mut hist = vec![HistBin::default(); self.n_bins[j]];
            if let Some(Some(list)) = self.nonzero.get(j)
                && list.len() * 2 < rows.len()
            {
                for &r in list {
                    let r = r as usize;
                    if node_of_row.get(r) == Some(&node)
                        && let Some(e) = col.get(r).and_then(|&b| hist.get_mut(b as usize))
                    {
                        e.g += g[r];
                        e.h += h[r];
                        e.n += 1;
                    }
                }
            } else {
                Self::dense(&mut hist, col, rows, &gh);
            }
            let rest = hist.iter().skip(1).fold((0.0, 0.0, 0u32), |(a, b, c), e| (a + e.g, b + e.h, c + e.n));
            if let Some(first) = hist.first_mut() {
                *first = HistBin { g: totals.g - rest.0, h: totals.h - rest.1, n: totals.n.saturating_sub(rest.2) };
            }
            hist
        })
    }

    /// Adds the rows with a non-zero bin, visiting every row of the node.
    fn dense(hist: &mut [HistBin], col: &[u8], rows: &[u32], gh: &[(f64, f64)]) {
        for (&r, &(gi, hi)) in rows.iter().zip(gh) {
            let b = col.get(r as usize).copied().unwrap_or(0) as usize;
            if b != 0
                && let Some(e) = hist.get_mut(b)
            {
                e.g += gi;
                e.h += hi;
                e.n += 1;
            }
        }
    }
}

fn subtract(parent: &Hist, child: &Hist) -> Hist {
    parent
        .iter()
        .zip(child)
        .map(|(p, c)| p.iter().zip(c).map(|(a, b)| HistBin { g: a.g - b.g, h: a.h - b.h, n: a.n - b.n }).collect())
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct Totals {
    g: f64,
    h: f64,
    n: u32,
}

#[derive(Debug, Clone, Copy)]
struct BestSplit {
    feature: usize,
    bin: usize,
    gain: f64,
    left: Totals,
}

fn score_of(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

fn best_split(hist: &Hist, total: Totals, p: &GbdtParams) -> Option<BestSplit> {
    let parent = score_of(total.g, total.h, p.l2);
    let msl = u32::try_from(p.min_samples_leaf).unwrap_or(u32::MAX);
    let per: Vec<Option<BestSplit>> = per_feature(hist.len(), |j| {
        let bins = &hist[j];
        let mut best: Option<BestSplit> = None;
        let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
        for (b, e) in bins.iter().enumerate().take(bins.len().saturating_sub(1)) {
            gl += e.g;
            hl += e.h;
            nl += e.n;
            let nr = total.n - nl;
            if nl < msl {
                continue;
            }
            if nr < msl {
                break;
            }
            let hr = total.h - hl;
            if hl < MIN_CHILD_HESSIAN || hr < MIN_CHILD_HESSIAN {
                continue;
            }
            let gain = score_of(gl, hl, p.l2) + score_of(total.g - gl, hr, p.l2) - parent;
            if gain > p.min_gain && gain.is_finite() && best.is_none_or(|s| gain > s.gain) {
                best = Some(BestSplit { feature: j, bin: b, gain, left: Totals { g: gl, h: hl, n: nl } });
            }
        }
        best
    });
    let mut best: Option<BestSplit> = None;
    for s in per.into_iter().flatten() {
        if best.is_none_or(|b| s.gain > b.gain) {
            best = Some(s);
        }
    }
    best
}

struct Work {
    node: usize,
    rows: Vec<u32>,
    hist: Hist,
    totals: Totals,
    depth: usize,
}

/// Grows one tree on `rows`; returns the tree and, per split node, its bin.
fn grow_tree(
    data: &Binned<'_>,
    bins: &FeatureBins,
    rows: Vec<u32>,
    g: &[f64],
    h: &[f64],
    p: &GbdtParams,
    node_of_row: &mut [u32],
) -> (Tree, Vec<Option<(usize, usize)>>) {
    node_of_row.fill(u32::MAX);
    for &r in &rows {
        node_of_row[r as usize] = 0;
    }
    let leaf = |t: Totals| -p.learning_rate * t.g / (t.h + p.l2);
    let totals = rows.iter().fold(Totals { g: 0.0, h: 0.0, n: 0 }, |t, &r| Totals {
        g: t.g + g[r as usize],
        h: t.h + h[r as usize],
        n: t.n + 1,
    });
    let mut nodes = vec![Node { value: leaf(totals), split: None }];
    let mut split_bins: Vec<Option<(usize, usize)>> = vec![None];
    let hist = data.histogram(&rows, 0, node_of_row, g, h, totals);
    let mut stack = vec![Work { node: 0, rows, hist, totals, depth: 0 }];
    while let Some(w) = stack.pop() {
        if w.depth >= p.max_depth || (w.totals.n as usize) < 2 * p.min_samples_leaf {
            continue;
        }
        let Some(s) = best_split(&w.hist, w.totals, p) else { continue };
        let Some(&threshold) = bins.thresholds(s.feature).get(s.bin) else { continue };
        let col = data.column(s.feature);
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) =
            w.rows.iter().partition(|&&r| col.get(r as usize).is_some_and(|&b| (b as usize) <= s.bin));
        let right = Totals { g: w.totals.g - s.left.g, h: w.totals.h - s.left.h, n: w.totals.n - s.left.n };
        let (li, ri) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node { value: leaf(s.left), split: None });
        nodes.push(Node { value: leaf(right), split: None });
        split_bins.push(None);
        split_bins.push(None);
        nodes[w.node].split = Some(Split { feature: s.feature, threshold, left: li, right: ri });
        split_bins[w.node] = Some((s.feature, s.bin));
        for &r in &left_rows {
            node_of_row[r as usize] = li as u32;
        }
        for &r in &right_rows {
            node_of_row[r as usize] = ri as u32;
        }
        let (left_hist, right_hist) = if left_rows.len() <= right_rows.len() {
            let small = data.histogram(&left_rows, li as u32, node_of_row, g, h, s.left);
            let large = subtract(&w.hist, &small);
            (small, large)
        } else {
            let small = data.histogram(&right_rows, ri as u32, node_of_row, g, h, right);
            let large = subtract(&w.hist, &small);
            (large, small)
        };
        drop(w.hist);
        let depth = w.depth + 1;
        stack.push(Work { node: ri, rows: right_rows, hist: right_hist, totals: right, depth });
        stack.push(Work { node: li, rows: left_rows, hist: left_hist, totals: s.left, depth });
    }
    (Tree { nodes }, split_bins)
}

/// Bins every value of `x` into a column-major `u8` matrix: blocks of rows
/// are binned row by row (reading `x` in its own order) into a local
/// column-major buffer, then copied into place.
fn bin_matrix(x: ArrayView2<'_, f64>, bins: &FeatureBins) -> Vec<u8> {
    const BLOCK: usize = 8192;
    let (n, d) = x.dim();
    let starts: Vec<usize> = (0..n).step_by(BLOCK).collect();
    let block = |&lo: &usize| -> Vec<u8> {
        let hi = (lo + BLOCK).min(n);
        let len = hi - lo;
        let mut local = vec![0u8; len * d];
        for i in lo..hi {
            for (j, v) in x.row(i).iter().enumerate() {
                local[j * len + (i - lo)] = bins.bin(j, *v);
            }
        }
        local
    };
    #[cfg(feature = "parallel")]
    let blocks: Vec<Vec<u8>> = {
        use rayon::prelude::*;
        starts.par_iter().map(block).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let blocks: Vec<Vec<u8>> = starts.iter().map(block).collect();
    let mut out = vec![0u8; n * d];
    for (&lo, local) in starts.iter().zip(&blocks) {
        let len = local.len() / d.max(1);
        for j in 0..d {
            out[j * n + lo..j * n + lo + len].copy_from_slice(&local[j * len..(j + 1) * len]);
        }
    }
    out
}

impl Fit for GbdtParams {
    type Fitted = FittedGbdt;
    type Error = IcpError;

    fn fit(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<FittedGbdt> {
        self.validate()?;
        let counts = check::training_set(x, y)?;
        let n = x.nrows();
        if u32::try_from(n).is_err() {
            return Err(CoreError::InvalidParameter { name: "x", reason: "more than 2^32 - 1 rows" }.into());
        }
        let d = x.ncols();
        let bins = FeatureBins::fit(x, self.max_bins)?;
        let n_bins: Vec<usize> = (0..d).map(|j| bins.n_bins(j)).collect();
        let binned = bin_matrix(x, &bins);
        let nonzero = nonzero_rows(&binned, n, d);
        let data = Binned { bins: &binned, n, n_bins: &n_bins, nonzero: &nonzero };
        let mut node_of_row = vec![u32::MAX; n];
        let init = (counts.positives as f64 / counts.negatives as f64).ln();
        let mut f = vec![init; n];
        let mut g = vec![0.0; n];
        let mut h = vec![0.0; n];
        let mut rng = SplitMix64::new(self.seed);
        let mut trees = Vec::with_capacity(self.n_trees);
        for _ in 0..self.n_trees {
            for i in 0..n {
                let p = sigmoid(f[i]);
                g[i] = p - f64::from(u8::from(y[i]));
                h[i] = (p * (1.0 - p)).max(1e-16);
            }
            let mut rows: Vec<u32> = if self.subsample < 1.0 {
                (0..n as u32).filter(|_| rng.next_f64() < self.subsample).collect()
            } else {
                (0..n as u32).collect()
            };
            if rows.is_empty() {
                rows = (0..n as u32).collect();
            }
            let (tree, split_bins) = grow_tree(&data, &bins, rows, &g, &h, self, &mut node_of_row);
            // Update every row's score by walking the tree on its bins.
            let walk = |i: usize| -> f64 {
                let mut k = 0;
                while let (Some(node), Some(sb)) = (tree.nodes.get(k), split_bins.get(k)) {
                    match (node.split, sb) {
                        (Some(s), Some((j, b))) => {
                            let bin = data.column(*j).get(i).copied().unwrap_or(u8::MAX) as usize;
                            k = if bin <= *b { s.left } else { s.right };
                        }
                        _ => return node.value,
                    }
                }
                0.0
            };
            for (i, fi) in f.iter_mut().enumerate() {
                *fi += walk(i);
            }
            trees.push(tree);
        }
        Ok(FittedGbdt { n_features: d, init, trees })
    }
}

impl FittedGbdt {
    /// The initial log-odds (the training base rate's).
    pub fn init(&self) -> f64 {
        self.init
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// The log-odds before any split: initial log-odds plus every tree's root value.
    pub fn baseline(&self) -> f64 {
        self.init + self.trees.iter().filter_map(|t| t.nodes.first()).map(|n| n.value).sum::<f64>()
    }

    /// Per-feature contributions by path attribution; with
    /// [`FittedGbdt::baseline`] they sum to the raw score (up to rounding).
    pub fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; self.n_features];
        for tree in &self.trees {
            let mut i = 0;
            while let Some(node) = tree.nodes.get(i) {
                let Some(s) = node.split else { break };
                let x = row.get(s.feature).copied().unwrap_or(f64::NAN);
                let next = if x <= s.threshold { s.left } else { s.right };
                let Some(child) = tree.nodes.get(next) else { break };
                if let Some(c) = out.get_mut(s.feature) {
                    *c += child.value - node.value;
                }
                i = next;
            }
        }
        out
    }

    /// Total number of splits on each feature over all trees.
    pub fn split_counts(&self) -> Vec<usize> {
        let mut out = vec![0; self.n_features];
        for s in self.trees.iter().flat_map(|t| t.nodes.iter().filter_map(|n| n.split)) {
            if let Some(c) = out.get_mut(s.feature) {
                *c += 1;
            }
        }
        out
    }
}

impl Score for FittedGbdt {
    fn n_features(&self) -> usize {
        self.n_features
    }

    /// Initial log-odds plus the leaf value of every tree; a NaN feature
    /// takes the right branch.
    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
        self.init + self.trees.iter().map(|t| t.leaf_value(&row)).sum::<f64>()
    }
}

#[cfg(test)]
mod tests;
