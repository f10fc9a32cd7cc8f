//! L2-regularised logistic regression with scikit-learn's objective.
//!
//! Minimises `0.5·‖w‖² + C·Σᵢ sᵢ·logloss(yᵢ, xᵢ·w + b)` (intercept not
//! penalised; `sᵢ` the class weight of row `i`), so that a model fitted here
//! and one fitted by scikit-learn's `LogisticRegression(C=C)` on the same
//! matrix reach the same optimum. The solver is Newton's method (exact
//! Hessian, Cholesky, backtracking line search) up to 400 parameters and
//! diagonally preconditioned L-BFGS beyond. Columns that only hold 0 and 1
//! (one-hot levels, flags, missing indicators) are stored as lists of
//! active columns, so a pass costs about the number of non-zeros. Sums run
//! over fixed chunks of rows (in parallel with the `parallel` feature) and
//! are reduced in chunk order, so the model does not depend on the number
//! of threads.
//!
//! The fitted form is plain data (weights, intercept, training feature
//! means for explanations, and a convergence report). It never stores a
//! third-party model struct.

use crate::{IcpError, Result};
use acctscore_core::{CoreError, Fit, Score, check, ndarray};
use ndarray::{ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// How rows are weighted by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum ClassWeight {
    /// Every row weighs 1.
    #[default]
    Uniform,
    /// Each class weighs `n / (2·n_class)` (scikit-learn's `balanced`), for rare positives.
    Balanced,
}

/// Parameters of a logistic regression. Build with [`LogisticParams::new`].
///
/// ```
/// use acctscore_core::{Fit, Score};
/// use acctscore_icp::logistic::{ClassWeight, LogisticParams};
/// use ndarray::array;
///
/// // Feature 0 (size) drives conversion; feature 1 has the same mean in both classes.
/// let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0],
///                [5.0, 1.0], [6.0, 0.0], [7.0, 0.0], [8.0, 1.0], [9.0, 0.0]];
/// let y = [false, false, false, false, false, true, false, true, true, true];
/// let model = LogisticParams::new().c(10.0).class_weight(ClassWeight::Balanced).fit(x.view(), &y)?;
/// assert!(model.report().converged);
/// assert!(model.weights()[0] > 0.0);
/// let (big, small) = (array![8.0, 0.0], array![1.0, 0.0]);
/// assert!(model.score_row(big.view())? > model.score_row(small.view())?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticParams {
    c: f64,
    class_weight: ClassWeight,
    max_iter: usize,
    tol: f64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        Self::new()
    }
}

impl LogisticParams {
    /// `C = 1`, uniform class weights, at most 1000 iterations, gradient tolerance 1e-7
    /// (on the preconditioned objective).
    pub fn new() -> Self {
        LogisticParams { c: 1.0, class_weight: ClassWeight::Uniform, max_iter: 1000, tol: 1e-7 }
    }

    /// Inverse regularisation strength (larger = weaker penalty), > 0.
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Class weighting.
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.class_weight = w;
        self
    }

    /// Iteration cap (≥ 1).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Stop when the largest gradient component of the objective divided by
    /// `C·Σ weights` falls below this (> 0).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    fn validate(&self) -> Result<()> {
        check::param(self.c.is_finite() && self.c > 0.0, "c", "must be finite and > 0")?;
        check::param(self.tol.is_finite() && self.tol > 0.0, "tol", "must be finite and > 0")?;
        check::param(self.max_iter >= 1, "max_iter", "must be at least 1")?;
        Ok(())
    }
}

/// How the solver ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverReport {
    /// Iterations run.
    pub iterations: usize,
    /// Whether the gradient tolerance was reached (otherwise the cap or a
    /// stalled line search stopped it).
    pub converged: bool,
    /// Final objective divided by `C·Σ weights` (≈ weighted mean log loss + penalty).
    pub objective: f64,
    /// Final largest gradient component of that scaled objective.
    pub gradient_max: f64,
}

/// A fitted logistic regression. Deserialisation checks that the weights
/// and means are finite and of one length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LogisticRepr")]
pub struct FittedLogistic {
    weights: Vec<f64>,
    intercept: f64,
    feature_means: Vec<f64>,
    report: SolverReport,
}

/// The serialised form of [`FittedLogistic`], checked on the way in.
#[derive(Deserialize)]
struct LogisticRepr {
    weights: Vec<f64>,
    intercept: f64,
    feature_means: Vec<f64>,
    report: SolverReport,
}

impl TryFrom<LogisticRepr> for FittedLogistic {
    type Error = IcpError;
    fn try_from(r: LogisticRepr) -> Result<Self> {
        let mut m = FittedLogistic::from_parameters(r.weights, r.intercept, r.feature_means)?;
        m.report = r.report;
        Ok(m)
    }
}

const CHUNK: usize = 4096;

/// Rows per block of [`Design::new`]'s passes.
const DESIGN_BLOCK: usize = 16_384;

/// `f` of every block (in parallel with the `parallel` feature), in order.
fn map_blocks<B: Sync, T: Send>(blocks: &[B], f: impl Fn(&B) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        blocks.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        blocks.iter().map(f).collect()
    }
}

/// The design matrix in the layout the solver reads fastest: columns whose
/// values are all 0 or 1 (one-hot levels, flags, missing indicators) are kept
/// as the list of active columns per row; the others as a dense row-major
/// block. The arithmetic is the same as on the dense matrix.
struct Design {
    d: usize,
    /// Indices (into the full matrix) of the dense columns.
    dense_cols: Vec<usize>,
    /// `n × dense_cols.len()`, row-major.
    dense: Vec<f64>,
    /// Row `i`'s active binary columns are `active[ptr[i]..ptr[i + 1]]`.
    ptr: Vec<usize>,
    active: Vec<u32>,
    /// Each column's mean over every row (summed per block, blocks in order).
    means: Vec<f64>,
}

impl Design {
    fn new(x: ArrayView2<'_, f64>) -> Design {
        let d = x.ncols();
        // Row-major passes over fixed blocks of rows, in parallel: which
        // columns hold only 0 and 1, then each block's dense values and
        // active columns, concatenated in row order.
        let blocks: Vec<ArrayView2<'_, f64>> = x.axis_chunks_iter(Axis(0), DESIGN_BLOCK).collect();
        let binary_in = |b: &ArrayView2<'_, f64>| {
            let mut binary = vec![true; d];
            for row in b.rows() {
                for (f, &v) in binary.iter_mut().zip(row) {
                    *f &= v == 0.0 || v == 1.0;
                }
            }
            binary
        };
        let per_block = map_blocks(&blocks, binary_in);
        let binary = per_block
            .into_iter()
            .fold(vec![true; d], |all, block| all.iter().zip(block).map(|(&a, b)| a && b).collect::<Vec<bool>>());
        let dense_cols: Vec<usize> = (0..d).filter(|&j| !binary[j]).collect();
        let split = |b: &ArrayView2<'_, f64>| {
            let mut dense = Vec::with_capacity(b.nrows() * dense_cols.len());
            let mut active = Vec::new();
            let mut ends = Vec::with_capacity(b.nrows());
            let mut sums = vec![0.0; d];
            for row in b.rows() {
                dense.extend(dense_cols.iter().filter_map(|&j| row.get(j).copied()));
                let ones = row.iter().zip(&binary).enumerate().filter(|(_, (v, b))| **b && **v == 1.0);
                active.extend(ones.map(|(j, _)| j as u32));
                ends.push(active.len());
                for (s, &v) in sums.iter_mut().zip(row) {
                    *s += v;
                }
            }
            (dense, active, ends, sums)
        };
        let parts = map_blocks(&blocks, split);
        let n = x.nrows();
        let mut dense = Vec::with_capacity(n * dense_cols.len());
        let mut active = Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum());
        let mut ptr = Vec::with_capacity(n + 1);
        let mut means = vec![0.0; d];
        ptr.push(0);
        for (block_dense, block_active, ends, sums) in parts {
            let base = active.len();
            dense.extend(block_dense);
            active.extend(block_active);
            ptr.extend(ends.into_iter().map(|e| base + e));
            for (m, s) in means.iter_mut().zip(sums) {
                *m += s;
            }
        }
        for m in &mut means {
            *m /= n.max(1) as f64;
        }
        Design { d, dense_cols, dense, ptr, active, means }
    }

    fn nrows(&self) -> usize {
        self.ptr.len() - 1
    }
}

/// One fitting problem: the design, the labels, the rows kept (all when
/// `mask` is `None`), the class weights `s` (negative, positive), `C`, and
/// the total weight `S` of the kept rows.
struct Problem<'a> {
    x: &'a Design,
    y: &'a [bool],
    mask: Option<&'a [bool]>,
    s: [f64; 2],
    c: f64,
    total_weight: f64,
}

impl Problem<'_> {
    /// `f(lo, hi)` over fixed chunks of `chunk` rows (in parallel with the
    /// `parallel` feature), results in chunk order, so that sums over them
    /// do not depend on the thread count.
    fn map_chunks<T: Send>(&self, chunk: usize, f: impl Fn(usize, usize) -> T + Sync + Send) -> Vec<T> {
        let n = self.x.nrows();
        let starts: Vec<usize> = (0..n).step_by(chunk).collect();
        map_blocks(&starts, |&lo| f(lo, (lo + chunk).min(n)))
    }

    /// The scaled objective from the summed weighted loss: `‖w‖²/(2·C·S) + loss / S`.
    fn scaled(&self, loss: f64, theta: &[f64]) -> f64 {
        let d = self.x.d;
        let penalty = 0.5 * theta[..d].iter().map(|v| v * v).sum::<f64>();
        penalty / (self.c * self.total_weight) + loss / self.total_weight
    }
}

/// Weighted loss sum and gradient (weights then intercept) of rows `lo..hi`.
#[allow(clippy::needless_range_loop)] // `i` indexes the design's rows, pointers and labels at once
fn chunk_grad(p: &Problem<'_>, theta: &[f64], lo: usize, hi: usize) -> (f64, Vec<f64>) {
    let (x, y, mask, s) = (p.x, p.y, p.mask, &p.s);
    let d = x.d;
    let nd = x.dense_cols.len();
    let b = theta[d];
    // Weights of the dense block, gathered once so the inner loop is contiguous.
    let wd: Vec<f64> = x.dense_cols.iter().map(|&j| theta[j]).collect();
    let mut gd = vec![0.0; nd];
    let mut g = vec![0.0; d + 1];
    let mut loss = 0.0;
    for i in lo..hi {
        if mask.is_some_and(|m| !m[i]) {
            continue;
        }
        let row = &x.dense[i * nd..(i + 1) * nd];
        let act = &x.active[x.ptr[i]..x.ptr[i + 1]];
        let mut z = b + dot(row, &wd);
        for &j in act {
            z += theta[j as usize];
        }
        let yi = y[i];
        let si = s[usize::from(yi)];
        // One exp and one ln_1p per row: e = exp(-|z|).
        let e = (-z.abs()).exp();
        let lp = e.ln_1p();
        let margin = if yi { -z } else { z };
        loss += si * (margin.max(0.0) + lp);
        let p = if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
        let r = si * (p - f64::from(u8::from(yi)));
        for (gj, xj) in gd.iter_mut().zip(row) {
            *gj += r * xj;
        }
        for &j in act {
            g[j as usize] += r;
        }
        g[d] += r;
    }
    for (k, &j) in x.dense_cols.iter().enumerate() {
        g[j] += gd[k];
    }
    (loss, g)
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators let the compiler vectorise; the order is fixed, so
    // the result is deterministic.
    let mut acc = [0.0; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (p, q) in (&mut ca).zip(&mut cb) {
        for k in 0..4 {
            acc[k] += p[k] * q[k];
        }
    }
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(p, q)| p * q).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

impl Problem<'_> {
    /// Objective divided by `C·S` and its gradient at `theta`.
    fn objective(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let d = self.x.d;
        let parts = self.map_chunks(CHUNK, |lo, hi| chunk_grad(self, theta, lo, hi));
        let mut loss = 0.0;
        let mut g = vec![0.0; d + 1];
        for (l, pg) in parts {
            loss += l;
            for (a, b) in g.iter_mut().zip(&pg) {
                *a += b;
            }
        }
        let c_total = self.c * self.total_weight;
        for (j, gj) in g.iter_mut().enumerate() {
            *gj /= self.total_weight;
            if j < d {
                *gj += theta[j] / c_total;
            }
        }
        (self.scaled(loss, theta), g)
    }

    /// Objective, gradient and Hessian (lower triangle) of the scaled
    /// objective at `theta`, in one pass.
    fn second_order(&self, theta: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
        let d = self.x.d;
        let dim = d + 1;
        let stride = self.x.nrows().div_ceil(HESSIAN_ROWS).max(1);
        let parts = self.map_chunks(HESS_CHUNK, |lo, hi| chunk_hessian(self, theta, lo, hi, stride));
        let mut loss = 0.0;
        let mut g = vec![0.0; dim];
        let mut h = vec![0.0; dim * dim];
        for (pl, pg, ph) in parts {
            loss += pl;
            for (a, b) in g.iter_mut().zip(&pg) {
                *a += b;
            }
            for (a, b) in h.iter_mut().zip(&ph) {
                *a += b;
            }
        }
        let c_total = self.c * self.total_weight;
        for j in 0..dim {
            g[j] /= self.total_weight;
            for k in 0..=j {
                h[j * dim + k] /= self.total_weight;
            }
            if j < d {
                g[j] += theta[j] / c_total;
                h[j * dim + j] += 1.0 / c_total;
            }
        }
        (self.scaled(loss, theta), g, h)
    }
}

impl Fit for LogisticParams {
    type Fitted = FittedLogistic;
    type Error = IcpError;

    fn fit(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<FittedLogistic> {
        self.validate()?;
        check::training_set(x, y)?;
        let design = Design::new(x);
        let (theta, report) = self.solve(&design, y, None, None)?;
        Ok(FittedLogistic::assemble(&design, theta, report))
    }
}

impl LogisticParams {
    /// Cross-fitting without copying the data: the model fitted on all
    /// rows, and each row's score from a model fitted without its fold
    /// (`folds[i]` in `0..k`). The design is converted once; each fold's fit
    /// starts from the full model's weights and masks its own rows out.
    /// Equal (to solver tolerance) to fitting on each fold's rows apart.
    ///
    /// # Errors
    /// As [`Fit::fit`], a fold assignment of the wrong length or out of
    /// range, or a fold whose training rows hold one class.
    pub fn fit_cross(
        &self,
        x: ArrayView2<'_, f64>,
        y: &[bool],
        folds: &[usize],
        k: usize,
    ) -> Result<(FittedLogistic, Vec<f64>)> {
        self.validate()?;
        check::training_set(x, y)?;
        check::same_len("folds vs rows", y.len(), folds.len())?;
        if let Some(&bad) = folds.iter().find(|&&f| f >= k) {
            return Err(CoreError::OutOfRange { what: "fold", value: bad as f64, min: 0.0, max: k as f64 - 1.0 }.into());
        }
        let design = Design::new(x);
        let (full, report) = self.solve(&design, y, None, None)?;
        let d = x.ncols();
        let mut oof = vec![0.0; y.len()];
        for f in 0..k {
            let mask: Vec<bool> = folds.iter().map(|&g| g != f).collect();
            let (theta, _) = self.solve(&design, y, Some(&mask), Some(&full))?;
            for (i, row) in x.rows().into_iter().enumerate() {
                if folds[i] == f {
                    oof[i] = theta[d] + row.iter().zip(&theta[..d]).map(|(a, w)| a * w).sum::<f64>();
                }
            }
        }
        Ok((FittedLogistic::assemble(&design, full, report), oof))
    }

    /// Solves on the rows `mask` keeps (all when `None`), from `start` or
    /// from zero weights and the base-rate intercept.
    fn solve(
        &self,
        design: &Design,
        y: &[bool],
        mask: Option<&[bool]>,
        start: Option<&[f64]>,
    ) -> Result<(Vec<f64>, SolverReport)> {
        let kept = |i: usize| mask.is_none_or(|m| m[i]);
        let positives = (0..y.len()).filter(|&i| kept(i) && y[i]).count();
        let negatives = (0..y.len()).filter(|&i| kept(i) && !y[i]).count();
        if positives == 0 || negatives == 0 {
            return Err(CoreError::SingleClass { positives, negatives }.into());
        }
        let n = (positives + negatives) as f64;
        let s = match self.class_weight {
            ClassWeight::Uniform => [1.0, 1.0],
            ClassWeight::Balanced => [n / (2.0 * negatives as f64), n / (2.0 * positives as f64)],
        };
        let total_weight = s[0] * negatives as f64 + s[1] * positives as f64;
        let d = design.d;
        let c = self.c;
        let problem = Problem { x: design, y, mask, s, c, total_weight };
        let obj = |theta: &[f64]| problem.objective(theta);
        let mut theta = match start {
            Some(t) if t.len() == d + 1 => t.to_vec(),
            _ => {
                // Start the intercept at the weighted base rate's log-odds.
                let mut t = vec![0.0; d + 1];
                t[d] = (s[1] * positives as f64 / (s[0] * negatives as f64)).ln();
                t
            }
        };
        let report = if d < NEWTON_MAX_DIM {
            newton(&problem, &mut theta, self.max_iter, self.tol)
        } else {
            // Diagonal (Jacobi) preconditioning: solve for u with theta = u * scale,
            // scale_j = 1/sqrt(H_jj) at the start. Rare one-hot levels have tiny
            // curvature; without this L-BFGS crawls along them.
            let scale = jacobi_scale(&problem, theta[d]);
            let scaled = |u: &[f64]| {
                let t: Vec<f64> = u.iter().zip(&scale).map(|(a, b)| a * b).collect();
                let (f, mut g) = obj(&t);
                for (gj, sj) in g.iter_mut().zip(&scale) {
                    *gj *= sj;
                }
                (f, g)
            };
            let mut u: Vec<f64> = theta.iter().zip(&scale).map(|(t, sc)| t / sc).collect();
            let mut report = lbfgs(&scaled, &mut u, self.max_iter, self.tol);
            for ((t, a), sc) in theta.iter_mut().zip(&u).zip(&scale) {
                *t = a * sc;
            }
            // Report the gradient of the unscaled objective.
            report.gradient_max = obj(&theta).1.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            report
        };
        Ok((theta, report))
    }
}

impl FittedLogistic {
    fn assemble(design: &Design, mut theta: Vec<f64>, report: SolverReport) -> FittedLogistic {
        let d = design.d;
        let feature_means = design.means.clone();
        let intercept = theta[d];
        theta.truncate(d);
        FittedLogistic { weights: theta, intercept, feature_means, report }
    }
}

/// Up to this many parameters the solver is Newton's method (exact
/// Hessian, Cholesky); beyond it, preconditioned L-BFGS.
const NEWTON_MAX_DIM: usize = 400;

/// Rows per chunk of the Hessian pass (fixed, so the sum's order is fixed).
const HESS_CHUNK: usize = 32_768;

/// Rows the Hessian is estimated on: every `stride`-th row, so that its
/// cost stays bounded on large data. The gradient (and so the optimum and
/// the convergence test) is always exact; only the Newton direction is
/// approximate, which costs at most an iteration or two.
const HESSIAN_ROWS: usize = 100_000;

/// Gradient (over every row) and Hessian (over every `stride`-th row, times
/// `stride`; lower triangle, row-major `dim × dim`) of the weighted loss of
/// rows `lo..hi`, unscaled.
#[allow(clippy::needless_range_loop)] // `i` indexes the design's rows, pointers and labels at once
fn chunk_hessian(p: &Problem<'_>, theta: &[f64], lo: usize, hi: usize, stride: usize) -> (f64, Vec<f64>, Vec<f64>) {
    let (x, y, mask, s) = (p.x, p.y, p.mask, &p.s);
    let d = x.d;
    let dim = d + 1;
    let nd = x.dense_cols.len();
    let wd: Vec<f64> = x.dense_cols.iter().map(|&j| theta[j]).collect();
    let mut g = vec![0.0; dim];
    let mut h = vec![0.0; dim * dim];
    let mut loss = 0.0;
    // Active columns of a row, the intercept included, as full indices.
    let mut act: Vec<usize> = Vec::with_capacity(64);
    for i in lo..hi {
        if mask.is_some_and(|m| !m[i]) {
            continue;
        }
        let row = &x.dense[i * nd..(i + 1) * nd];
        act.clear();
        act.extend(x.active[x.ptr[i]..x.ptr[i + 1]].iter().map(|&j| j as usize));
        act.push(d);
        let mut z = dot(row, &wd);
        for &j in &act {
            z += theta[j];
        }
        let yi = y[i];
        let si = s[usize::from(yi)];
        // One exp and one ln_1p: e = exp(-|z|).
        let e = (-z.abs()).exp();
        let margin = if yi { -z } else { z };
        loss += si * (margin.max(0.0) + e.ln_1p());
        let p = if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
        let r = si * (p - f64::from(u8::from(yi)));
        let w = si * p * (1.0 - p);
        for (k, &j) in x.dense_cols.iter().enumerate() {
            g[j] += r * row[k];
        }
        for &j in &act {
            g[j] += r;
        }
        if i % stride != 0 {
            continue;
        }
        let w = w * stride as f64;
        // dense × dense
        for (a, &ja) in x.dense_cols.iter().enumerate() {
            let wa = w * row[a];
            let hrow = &mut h[ja * dim..ja * dim + dim];
            for (b, &jb) in x.dense_cols[..=a].iter().enumerate() {
                hrow[jb] += wa * row[b];
            }
            // dense × active (active columns may be on either side of ja)
            for &jb in &act {
                if jb <= ja {
                    hrow[jb] += wa;
                }
            }
        }
        for &ja in &act {
            let hrow = &mut h[ja * dim..ja * dim + dim];
            for (b, &jb) in x.dense_cols.iter().enumerate() {
                if jb < ja {
                    hrow[jb] += w * row[b];
                }
            }
            for &jb in &act {
                if jb <= ja {
                    hrow[jb] += w;
                }
            }
        }
    }
    (loss, g, h)
}

/// Newton's method with a backtracking line search on the scaled objective.
fn newton(p: &Problem<'_>, theta: &mut [f64], max_iter: usize, tol: f64) -> SolverReport {
    let gmax = |g: &[f64]| g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    // One pass gives the objective, the gradient and the Hessian at a point,
    // so a full Newton step that the line search accepts costs one pass.
    let (mut f, mut g, mut h) = p.second_order(theta);
    let mut iterations = 0;
    let mut converged = gmax(&g) <= tol;
    while !converged && iterations < max_iter {
        iterations += 1;
        let dim = theta.len();
        let Some(step) = cholesky_solve(&mut h, &g, dim) else { break };
        // Backtracking line search along -step.
        let slope: f64 = -g.iter().zip(&step).map(|(a, b)| a * b).sum::<f64>();
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let trial: Vec<f64> = theta.iter().zip(&step).map(|(a, b)| a - t * b).collect();
            let (ft, gt, ht) = p.second_order(&trial);
            if ft.is_finite() && ft <= f + 1e-4 * t * slope {
                theta.copy_from_slice(&trial);
                let improved = f - ft;
                (f, g, h) = (ft, gt, ht);
                accepted = true;
                // Converged to rounding: the objective no longer moves.
                converged = gmax(&g) <= tol || improved <= 1e-16 * f.abs().max(1.0);
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    converged = converged || gmax(&g) <= tol;
    SolverReport { iterations, converged, objective: f, gradient_max: gmax(&g) }
}

/// Solves `H·x = b` for a symmetric positive definite `H` given by its lower
/// triangle (overwritten with its Cholesky factor). `None` if not positive definite.
fn cholesky_solve(h: &mut [f64], b: &[f64], dim: usize) -> Option<Vec<f64>> {
    for j in 0..dim {
        let mut sum = h[j * dim + j];
        for k in 0..j {
            sum -= h[j * dim + k] * h[j * dim + k];
        }
        if sum.is_nan() || sum <= 0.0 || !sum.is_finite() {
            return None;
        }
        let ljj = sum.sqrt();
        h[j * dim + j] = ljj;
        for i in j + 1..dim {
            let mut v = h[i * dim + j];
            for k in 0..j {
                v -= h[i * dim + k] * h[j * dim + k];
            }
            h[i * dim + j] = v / ljj;
        }
    }
    // Forward then backward substitution.
    let mut z = b.to_vec();
    for i in 0..dim {
        for k in 0..i {
            z[i] -= h[i * dim + k] * z[k];
        }
        z[i] /= h[i * dim + i];
    }
    for i in (0..dim).rev() {
        for k in i + 1..dim {
            z[i] -= h[k * dim + i] * z[k];
        }
        z[i] /= h[i * dim + i];
    }
    Some(z)
}

/// `1/sqrt` of the diagonal of the scaled objective's Hessian at weights 0
/// and intercept `b0` (where every row has the same probability).
fn jacobi_scale(p: &Problem<'_>, b0: f64) -> Vec<f64> {
    let (x, s, total_weight, c) = (p.x, &p.s, p.total_weight, p.c);
    let d = x.d;
    let nd = x.dense_cols.len();
    let p0 = 1.0 / (1.0 + (-b0).exp());
    let curv = p0 * (1.0 - p0);
    let mut diag = vec![0.0; d + 1];
    // Row weights differ by class only; use the mean weight.
    let w = (s[0] + s[1]) / 2.0 * curv;
    for i in 0..x.nrows() {
        for (k, &j) in x.dense_cols.iter().enumerate() {
            let v = x.dense[i * nd + k];
            diag[j] += w * v * v;
        }
        for &j in &x.active[x.ptr[i]..x.ptr[i + 1]] {
            diag[j as usize] += w;
        }
        diag[d] += w;
    }
    diag.iter()
        .enumerate()
        .map(|(j, h)| {
            let reg = if j < d { 1.0 / (c * total_weight) } else { 0.0 };
            let h = h / total_weight + reg;
            if h > 0.0 && h.is_finite() { 1.0 / h.sqrt() } else { 1.0 }
        })
        .collect()
}

/// An objective: value and gradient at a point.
type Objective<'a> = dyn Fn(&[f64]) -> (f64, Vec<f64>) + 'a;

/// L-BFGS (memory 10) with a backtracking Armijo line search.
fn lbfgs(obj: &Objective<'_>, theta: &mut [f64], max_iter: usize, tol: f64) -> SolverReport {
    const M: usize = 10;
    let dim = theta.len();
    let (mut f, mut g) = obj(theta);
    let mut hist_s: Vec<Vec<f64>> = Vec::new();
    let mut hist_y: Vec<Vec<f64>> = Vec::new();
    let gmax = |g: &[f64]| g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut iterations = 0;
    let mut converged = gmax(&g) <= tol;
    while !converged && iterations < max_iter {
        iterations += 1;
        // Two-loop recursion: direction = -H·g.
        let mut q = g.clone();
        let k = hist_s.len();
        let mut alpha = vec![0.0; k];
        for i in (0..k).rev() {
            let rho = 1.0 / dot(&hist_y[i], &hist_s[i]);
            alpha[i] = rho * dot(&hist_s[i], &q);
            for (qj, yj) in q.iter_mut().zip(&hist_y[i]) {
                *qj -= alpha[i] * yj;
            }
        }
        let gamma = if k > 0 { dot(&hist_s[k - 1], &hist_y[k - 1]) / dot(&hist_y[k - 1], &hist_y[k - 1]) } else { 1.0 };
        for qj in q.iter_mut() {
            *qj *= gamma;
        }
        for i in 0..k {
            let rho = 1.0 / dot(&hist_y[i], &hist_s[i]);
            let beta = rho * dot(&hist_y[i], &q);
            for (qj, sj) in q.iter_mut().zip(&hist_s[i]) {
                *qj += (alpha[i] - beta) * sj;
            }
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &dir);
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            hist_s.clear();
            hist_y.clear();
            dir = g.iter().map(|v| -v).collect();
            slope = -dot(&g, &g);
        }
        let mut step = if k == 0 { 1.0 / gmax(&g).max(1.0) } else { 1.0 };
        let mut accepted = None;
        for _ in 0..50 {
            let trial: Vec<f64> = theta.iter().zip(&dir).map(|(t, d)| t + step * d).collect();
            let (ft, gt) = obj(&trial);
            if ft.is_finite() && ft <= f + 1e-4 * step * slope {
                accepted = Some((trial, ft, gt));
                break;
            }
            step *= 0.5;
        }
        let Some((trial, ft, gt)) = accepted else { break };
        let s_vec: Vec<f64> = trial.iter().zip(theta.iter()).map(|(a, b)| a - b).collect();
        let y_vec: Vec<f64> = gt.iter().zip(&g).map(|(a, b)| a - b).collect();
        if dot(&s_vec, &y_vec) > 1e-16 {
            if hist_s.len() == M {
                hist_s.remove(0);
                hist_y.remove(0);
            }
            hist_s.push(s_vec);
            hist_y.push(y_vec);
        }
        theta.copy_from_slice(&trial);
        let f_prev = f;
        f = ft;
        g = gt;
        converged = gmax(&g) <= tol;
        if !converged && (f_prev - f).abs() <= 1e-15 * f.abs().max(1.0) {
            break;
        }
    }
    debug_assert_eq!(theta.len(), dim);
    SolverReport { iterations, converged, objective: f, gradient_max: gmax(&g) }
}

impl FittedLogistic {
    /// Builds a model from known parameters (for tests and imports).
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] when a parameter is not finite,
    /// [`CoreError::ShapeMismatch`] when `feature_means` differs in length.
    pub fn from_parameters(weights: Vec<f64>, intercept: f64, feature_means: Vec<f64>) -> Result<Self> {
        check::finite_slice("weights", &weights)?;
        check::finite_slice("intercept", &[intercept])?;
        check::finite_slice("feature means", &feature_means)?;
        check::same_len("feature means vs weights", weights.len(), feature_means.len())?;
        let report = SolverReport { iterations: 0, converged: true, objective: 0.0, gradient_max: 0.0 };
        Ok(FittedLogistic { weights, intercept, feature_means, report })
    }

    /// Weights, one per feature.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The intercept (log-odds when every feature is 0).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Training mean of each feature (the reference point of explanations).
    pub fn feature_means(&self) -> &[f64] {
        &self.feature_means
    }

    /// How the solver ended.
    pub fn report(&self) -> &SolverReport {
        &self.report
    }

    /// The log-odds of the training-average account: `b + Σ wⱼ·meanⱼ`.
    pub fn baseline(&self) -> f64 {
        self.intercept + self.weights.iter().zip(&self.feature_means).map(|(w, m)| w * m).sum::<f64>()
    }

    /// Per-feature contributions `wⱼ·(xⱼ − meanⱼ)`; with [`FittedLogistic::baseline`]
    /// they sum to the raw score.
    pub fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
        self.weights.iter().zip(&self.feature_means).zip(row.iter()).map(|((w, m), x)| w * (x - m)).collect()
    }
}

impl Score for FittedLogistic {
    fn n_features(&self) -> usize {
        self.weights.len()
    }

    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
        match row.as_slice() {
            Some(r) if r.len() == self.weights.len() => self.intercept + dot(r, &self.weights),
            _ => self.intercept + self.weights.iter().zip(row.iter()).map(|(w, x)| w * x).sum::<f64>(),
        }
    }
}

#[cfg(test)]
mod tests;
