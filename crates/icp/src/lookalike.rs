//! Look-alike score: how close an account is to the best existing customers.
//!
//! The converted accounts of the training data are grouped by k-means
//! (k-means++ start with a seeded generator, Lloyd iterations) in the
//! standardised feature space of the design matrix, with each feature
//! weighted (by default by how well it separates converted from
//! non-converted accounts, see [`FeatureWeighting::Discriminative`], so
//! that irrelevant columns do not swamp the distance). The raw score of an
//! account is the log of an RBF similarity to its nearest centroid,
//!
//! `raw = ln sim = −γ · Σⱼ wⱼ (xⱼ − cⱼ)²`,
//!
//! with `γ` set so that a converted training account scores −1 on average.
//! It is `0` at a centroid and falls with distance; it is not a probability
//! (calibrate it).
//!
//! Explanations: feature `j` contributes `−γ·wⱼ·(xⱼ − cⱼ)² − bⱼ`, where
//! `bⱼ` is the average of that term over the training accounts (each at its
//! own nearest centroid); the baseline is `Σ bⱼ`, so baseline plus
//! contributions equals the raw score. A positive contribution means "closer
//! to the best customers than usual on this feature".
//!
//! ```
//! use acctscore_core::{Fit, Score};
//! use acctscore_icp::lookalike::LookalikeParams;
//! use ndarray::array;
//!
//! let x = array![[1.0, 0.0], [1.1, 0.2], [0.9, -0.1], [-1.0, 0.0], [-1.2, 0.1], [-0.8, -0.3]];
//! let y = [true, true, true, false, false, false];
//! let m = LookalikeParams::new().k(1).fit(x.view(), &y)?;
//! assert!(m.score_row(x.row(0))? > m.score_row(x.row(3))?);
//! let total = m.baseline() + m.contributions(x.row(3)).iter().sum::<f64>();
//! assert!((total - m.score_row(x.row(3))?).abs() < 1e-9);
//! # Ok::<(), acctscore_icp::IcpError>(())
//! ```

use crate::{IcpError, Result};
use acctscore_core::numeric::SplitMix64;
use acctscore_core::{Fit, Score, check, ndarray};
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// How features are weighted in the distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum FeatureWeighting {
    /// Every feature weighs 1 (plain Euclidean distance).
    Uniform,
    /// Feature `j` weighs `((mean₊ⱼ − mean₋ⱼ)² + max(0, var₋ⱼ − var₊ⱼ)) / varⱼ`
    /// (converted `₊` vs. the rest `₋`, over the training variance): large
    /// when converted accounts sit elsewhere or are more concentrated than
    /// the rest. Normalised to mean 1; uniform when no feature separates
    /// the classes.
    #[default]
    Discriminative,
}

/// Parameters of a look-alike model. Build with [`LookalikeParams::new`].
///
/// ```
/// use acctscore_core::{Fit, Score};
/// use acctscore_icp::lookalike::{FeatureWeighting, LookalikeParams};
/// use ndarray::array;
///
/// // Two kinds of best customers (first four rows), and accounts unlike either.
/// let x = array![[0.0, 5.0], [0.2, 5.1], [5.0, 0.0], [5.1, 0.2], [2.5, 2.5], [2.4, 2.6], [2.6, 2.4]];
/// let y = [true, true, true, true, false, false, false];
/// let m = LookalikeParams::new().k(2).weighting(FeatureWeighting::Uniform).fit(x.view(), &y)?;
/// assert_eq!(m.centroids().len(), 2);
/// let (like, unlike) = (array![5.0, 0.1], array![2.5, 2.5]);
/// assert!(m.score_row(like.view())? > m.score_row(unlike.view())?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LookalikeParams {
    k: usize,
    weighting: FeatureWeighting,
    max_iter: usize,
    max_rows: usize,
    seed: u64,
}

impl Default for LookalikeParams {
    fn default() -> Self {
        Self::new()
    }
}

impl LookalikeParams {
    /// Defaults: 8 centroids, discriminative weights, at most 100 Lloyd
    /// iterations on at most 20 000 converted accounts, seed 0.
    pub fn new() -> Self {
        LookalikeParams { k: 8, weighting: FeatureWeighting::default(), max_iter: 100, max_rows: 20_000, seed: 0 }
    }

    /// Number of centroids (≥ 1; fewer when there are fewer distinct converted accounts).
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Feature weighting.
    pub fn weighting(mut self, w: FeatureWeighting) -> Self {
        self.weighting = w;
        self
    }

    /// Lloyd iteration cap (≥ 1).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Converted accounts used for clustering, evenly spaced when there are more (≥ 1).
    pub fn max_rows(mut self, n: usize) -> Self {
        self.max_rows = n;
        self
    }

    /// Seed of the k-means++ start.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn validate(&self) -> Result<()> {
        check::param(self.k >= 1, "k", "must be at least 1")?;
        check::param(self.max_iter >= 1, "max_iter", "must be at least 1")?;
        check::param(self.max_rows >= 1, "max_rows", "must be at least 1")?;
        Ok(())
    }
}

/// A fitted look-alike model: raw score = log RBF similarity to the nearest centroid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LookalikeData")]
pub struct FittedLookalike {
    weights: Vec<f64>,
    centroids: Vec<Vec<f64>>,
    gamma: f64,
    baseline_terms: Vec<f64>,
}

#[derive(Deserialize)]
struct LookalikeData {
    weights: Vec<f64>,
    centroids: Vec<Vec<f64>>,
    gamma: f64,
    baseline_terms: Vec<f64>,
}

impl TryFrom<LookalikeData> for FittedLookalike {
    type Error = IcpError;

    fn try_from(d: LookalikeData) -> Result<Self> {
        let bad = |part, index| IcpError::InvalidModel { part, index };
        let dim = d.weights.len();
        if let Some(j) = d.weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(bad("weight", j));
        }
        if !(d.gamma.is_finite() && d.gamma > 0.0) {
            return Err(bad("gamma", 0));
        }
        if d.centroids.is_empty() {
            return Err(bad("centroid", 0));
        }
        if let Some(k) = d.centroids.iter().position(|c| c.len() != dim || c.iter().any(|v| !v.is_finite())) {
            return Err(bad("centroid", k));
        }
        if d.baseline_terms.len() != dim || d.baseline_terms.iter().any(|v| !v.is_finite()) {
            return Err(bad("baseline", 0));
        }
        Ok(FittedLookalike {
            weights: d.weights,
            centroids: d.centroids,
            gamma: d.gamma,
            baseline_terms: d.baseline_terms,
        })
    }
}

/// Weighted squared distance of `row` to `c`.
#[inline]
fn dist2(row: &ArrayView1<'_, f64>, c: &[f64], w: &[f64]) -> f64 {
    let mut acc = 0.0;
    for ((x, m), wj) in row.iter().zip(c).zip(w) {
        let d = x - m;
        acc += wj * d * d;
    }
    acc
}

/// Index and distance of the nearest centroid (lowest index on ties).
fn nearest(row: &ArrayView1<'_, f64>, centroids: &[Vec<f64>], w: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (k, c) in centroids.iter().enumerate() {
        let d = dist2(row, c, w);
        if d < best.1 {
            best = (k, d);
        }
    }
    best
}

fn discriminative_weights(x: ArrayView2<'_, f64>, y: &[bool]) -> Vec<f64> {
    let d = x.ncols();
    let (mut sp, mut sn, mut s, mut ss) = (vec![0.0; d], vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut ssp = vec![0.0; d];
    let (mut np, mut nn) = (0.0, 0.0);
    for (row, &yi) in x.rows().into_iter().zip(y) {
        if yi {
            np += 1.0;
        } else {
            nn += 1.0;
        }
        for (j, &v) in row.iter().enumerate() {
            if yi {
                sp[j] += v;
            } else {
                sn[j] += v;
            }
            if yi {
                ssp[j] += v * v;
            }
            s[j] += v;
            ss[j] += v * v;
        }
    }
    let n = np + nn;
    let mut w: Vec<f64> = (0..d)
        .map(|j| {
            let mean = s[j] / n;
            let var = (ss[j] / n - mean * mean).max(0.0);
            if var <= 1e-12 {
                return 0.0;
            }
            let (mp, mn) = (sp[j] / np, sn[j] / nn);
            let var_p = (ssp[j] / np - mp * mp).max(0.0);
            let var_n = ((ss[j] - ssp[j]) / nn - mn * mn).max(0.0);
            ((mp - mn) * (mp - mn) + (var_n - var_p).max(0.0)) / var
        })
        .collect();
    let total: f64 = w.iter().sum();
    if total > 0.0 && total.is_finite() {
        let scale = d as f64 / total;
        w.iter_mut().for_each(|v| *v *= scale);
    } else {
        w = vec![1.0; d];
    }
    w
}

/// k-means++ start and Lloyd iterations on `rows` (weighted distance).
fn kmeans(rows: &[ArrayView1<'_, f64>], k: usize, w: &[f64], max_iter: usize, seed: u64) -> Vec<Vec<f64>> {
    let d = w.len();
    let mut rng = SplitMix64::new(seed);
    let n = rows.len();
    let mut centroids: Vec<Vec<f64>> = Vec::with_capacity(k);
    let first = (rng.next_u64() % n as u64) as usize;
    centroids.push(rows[first].to_vec());
    let mut best: Vec<f64> = rows.iter().map(|r| dist2(r, &centroids[0], w)).collect();
    while centroids.len() < k {
        let total: f64 = best.iter().sum();
        if total.is_nan() || total <= 0.0 {
            break; // every remaining row coincides with a centroid
        }
        let mut target = rng.next_f64() * total;
        let mut pick = n - 1;
        for (i, &b) in best.iter().enumerate() {
            if target < b {
                pick = i;
                break;
            }
            target -= b;
        }
        centroids.push(rows[pick].to_vec());
        let last = centroids.len() - 1;
        for (b, r) in best.iter_mut().zip(rows) {
            *b = b.min(dist2(r, &centroids[last], w));
        }
    }
    let mut assign = vec![usize::MAX; n];
    for _ in 0..max_iter {
        let mut changed = false;
        for (a, r) in assign.iter_mut().zip(rows) {
            let (c, _) = nearest(r, &centroids, w);
            if *a != c {
                *a = c;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![vec![0.0; d]; centroids.len()];
        let mut counts = vec![0usize; centroids.len()];
        for (&a, r) in assign.iter().zip(rows) {
            counts[a] += 1;
            for (s, v) in sums[a].iter_mut().zip(r.iter()) {
                *s += v;
            }
        }
        for ((c, s), &m) in centroids.iter_mut().zip(sums).zip(&counts) {
            if m > 0 {
                *c = s.into_iter().map(|v| v / m as f64).collect();
            }
        }
    }
    centroids
}

impl Fit for LookalikeParams {
    type Fitted = FittedLookalike;
    type Error = IcpError;

    fn fit(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<FittedLookalike> {
        self.validate()?;
        let counts = check::training_set(x, y)?;
        let d = x.ncols();
        let weights = match self.weighting {
            FeatureWeighting::Uniform => vec![1.0; d],
            FeatureWeighting::Discriminative => discriminative_weights(x, y),
        };
        let positives: Vec<ArrayView1<'_, f64>> =
            x.rows().into_iter().zip(y).filter(|(_, yi)| **yi).map(|(r, _)| r).collect();
        let sample: Vec<ArrayView1<'_, f64>> = if positives.len() <= self.max_rows {
            positives.clone()
        } else {
            (0..self.max_rows)
                .map(|k| positives[((k as u128 * positives.len() as u128) / self.max_rows as u128) as usize])
                .collect()
        };
        let k = self.k.min(counts.positives);
        let centroids = kmeans(&sample, k, &weights, self.max_iter, self.seed);
        let mean_pos =
            positives.iter().map(|r| nearest(r, &centroids, &weights).1).sum::<f64>() / positives.len() as f64;
        let gamma = if mean_pos > 1e-12 && mean_pos.is_finite() { 1.0 / mean_pos } else { 1.0 };
        let mut baseline_terms = vec![0.0; d];
        for r in x.rows() {
            let (c, _) = nearest(&r, &centroids, &weights);
            for (j, b) in baseline_terms.iter_mut().enumerate() {
                let diff = r[j] - centroids[c][j];
                *b -= gamma * weights[j] * diff * diff;
            }
        }
        let n = x.nrows() as f64;
        baseline_terms.iter_mut().for_each(|b| *b /= n);
        Ok(FittedLookalike { weights, centroids, gamma, baseline_terms })
    }
}

impl FittedLookalike {
    /// The feature weights of the distance.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The centroids of the converted accounts (one row of features each).
    pub fn centroids(&self) -> &[Vec<f64>] {
        &self.centroids
    }

    /// The RBF scale `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The nearest centroid's index and the raw score (lowest index on ties).
    pub fn nearest(&self, row: ArrayView1<'_, f64>) -> (usize, f64) {
        let (c, d) = nearest(&row, &self.centroids, &self.weights);
        (c, -self.gamma * d)
    }

    /// The similarity `exp(raw)` in `(0, 1]`.
    pub fn similarity(&self, row: ArrayView1<'_, f64>) -> f64 {
        self.score_row_unchecked(row).exp()
    }

    /// The raw score of the average training account: `Σ bⱼ`.
    pub fn baseline(&self) -> f64 {
        self.baseline_terms.iter().sum()
    }

    /// Per-feature contributions `−γ·wⱼ·(xⱼ − cⱼ)² − bⱼ` at the nearest
    /// centroid; with [`FittedLookalike::baseline`] they sum to the raw score.
    pub fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
        let (c, _) = nearest(&row, &self.centroids, &self.weights);
        let centroid = self.centroids.get(c).map_or(&[][..], Vec::as_slice);
        (0..self.weights.len())
            .map(|j| {
                let diff = row.get(j).copied().unwrap_or(0.0) - centroid.get(j).copied().unwrap_or(0.0);
                -self.gamma * self.weights[j] * diff * diff - self.baseline_terms[j]
            })
            .collect()
    }
}

impl Score for FittedLookalike {
    fn n_features(&self) -> usize {
        self.weights.len()
    }

    /// `−γ·min_k Σⱼ wⱼ(xⱼ − c_kⱼ)²`; a NaN feature gives NaN.
    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
        let (_, d) = nearest(&row, &self.centroids, &self.weights);
        if d.is_finite() { -self.gamma * d } else { f64::NAN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acctscore_calibration::metrics::roc_auc;
    use acctscore_core::CoreError;
    use ndarray::Array2;
    use proptest::prelude::*;

    /// Converted accounts sit around two centres on features 0–1; features
    /// 2–3 are noise; non-converted accounts are spread everywhere.
    fn simulate(n: usize, seed: u64) -> (Array2<f64>, Vec<bool>) {
        let mut rng = SplitMix64::new(seed);
        let mut x = Array2::<f64>::zeros((n, 4));
        let mut y = Vec::with_capacity(n);
        let centres = [[2.0, 2.0], [-2.0, 2.0]];
        for i in 0..n {
            let pos = rng.next_f64() < 0.3;
            for j in 0..4 {
                x[[i, j]] = rng.next_f64() * 8.0 - 4.0;
            }
            if pos {
                let c = centres[(rng.next_u64() % 2) as usize];
                x[[i, 0]] = c[0] + rng.next_f64() - 0.5;
                x[[i, 1]] = c[1] + rng.next_f64() - 0.5;
            }
            y.push(pos);
        }
        (x, y)
    }

    #[test]
    fn finds_the_centres_of_converted_accounts() {
        let (x, y) = simulate(2000, 5);
        let m = LookalikeParams::new().k(2).fit(x.view(), &y).expect("fits");
        let mut cs: Vec<(f64, f64)> = m.centroids().iter().map(|c| (c[0], c[1])).collect();
        cs.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Centres recovered within 0.15 on the informative features.
        assert!((cs[0].0 + 2.0).abs() < 0.15 && (cs[0].1 - 2.0).abs() < 0.15, "{cs:?}");
        assert!((cs[1].0 - 2.0).abs() < 0.15 && (cs[1].1 - 2.0).abs() < 0.15, "{cs:?}");
        // Noise features weigh far less than the informative ones.
        let w = m.weights();
        assert!(w[0].min(w[1]) > 3.0 * w[2].max(w[3]), "{w:?}");
        let (xt, yt) = simulate(1000, 6);
        let auc = roc_auc(&m.score_batch(xt.view()).expect("w"), &yt).expect("auc");
        assert!(auc > 0.95, "auc {auc}");
        // Uniform weights still rank well above chance.
        let u = LookalikeParams::new().k(2).weighting(FeatureWeighting::Uniform).fit(x.view(), &y).expect("fits");
        let auc_u = roc_auc(&u.score_batch(xt.view()).expect("w"), &yt).expect("auc");
        assert!(auc_u > 0.7, "auc {auc_u}");
    }

    #[test]
    fn deterministic_serde_and_bad_input() {
        let (x, y) = simulate(300, 1);
        let a = LookalikeParams::new().seed(4).fit(x.view(), &y).expect("fits");
        assert_eq!(a, LookalikeParams::new().seed(4).fit(x.view(), &y).expect("fits"));
        let json = serde_json::to_string(&a).expect("serialise");
        let back: FittedLookalike = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, a);
        let bad = r#"{"weights":[1.0],"centroids":[[0.0,1.0]],"gamma":1.0,"baseline_terms":[0.0]}"#;
        assert!(serde_json::from_str::<FittedLookalike>(bad).is_err());
        let x1 = ndarray::array![[0.0], [1.0]];
        assert!(matches!(
            LookalikeParams::new().fit(x1.view(), &[false, false]),
            Err(IcpError::Core(CoreError::SingleClass { .. }))
        ));
        let nan = ndarray::array![[f64::NAN], [1.0]];
        assert!(LookalikeParams::new().fit(nan.view(), &[true, false]).is_err());
        let empty = Array2::<f64>::zeros((0, 1));
        assert!(LookalikeParams::new().fit(empty.view(), &[]).is_err());
        assert!(LookalikeParams::new().k(0).fit(x1.view(), &[true, false]).is_err());
        // One converted account: one centroid, finite scores.
        let m = LookalikeParams::new().fit(x1.view(), &[true, false]).expect("fits");
        assert_eq!(m.centroids().len(), 1);
        assert!(m.score_row(x1.row(1)).expect("w").is_finite());
        assert!(m.score_row_unchecked(ndarray::array![f64::NAN].view()).is_nan());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn contributions_sum_to_raw(seed in 0u64..1000, row in proptest::collection::vec(-5.0f64..5.0, 4)) {
            let (x, y) = simulate(200, seed);
            let m = LookalikeParams::new().k(3).seed(seed).fit(x.view(), &y).expect("fits");
            let r = ndarray::Array1::from(row);
            let raw = m.score_row(r.view()).expect("width");
            let total = m.baseline() + m.contributions(r.view()).iter().sum::<f64>();
            prop_assert!((total - raw).abs() <= 1e-9 * raw.abs().max(1.0), "{} vs {}", total, raw);
            prop_assert!(raw <= 0.0);
        }
    }
}
