//! Sorting and tie grouping shared by the ranking metrics and the isotonic fit.
//!
//! Scores are split by label, each half sorted (as order-preserving integer
//! keys), and the two sorted halves
//! merged into distinct scores with a count of positives and negatives each.
//! The result depends only on the multiset of (score, label) pairs, never on
//! row order.

use crate::Result;
use acctscore_core::{CoreError, check};

/// Checks the common inputs of a labelled metric: non-empty, equal lengths,
/// finite scores.
pub(crate) fn check_scored(what: &'static str, scores: &[f64], labels: &[bool]) -> Result<()> {
    if scores.is_empty() {
        return Err(CoreError::Empty { what }.into());
    }
    check::same_len("labels vs scores", scores.len(), labels.len())?;
    check::finite_slice(what, scores)?;
    Ok(())
}

/// Checks probabilities: non-empty, equal lengths, finite and within `[0, 1]`.
pub(crate) fn check_probabilities(what: &'static str, probs: &[f64], labels: &[bool]) -> Result<()> {
    if probs.is_empty() {
        return Err(CoreError::Empty { what }.into());
    }
    check::same_len("labels vs scores", probs.len(), labels.len())?;
    Ok(check::probabilities(what, probs)?)
}

/// Order-preserving map from a finite `f64` (with -0 folded into +0) to `u64`.
#[inline]
fn key(x: f64) -> u64 {
    let x = if x == 0.0 { 0.0 } else { x };
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Inverse of [`key`].
#[inline]
fn unkey(k: u64) -> f64 {
    let b = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
    f64::from_bits(b)
}

/// Sorts finite values ascending; -0.0 becomes +0.0.
pub(crate) fn sort_finite(values: &mut [f64]) {
    let keys = sorted_keys(values);
    for (v, k) in values.iter_mut().zip(&keys) {
        *v = unkey(*k);
    }
}

/// The order-preserving keys of finite values, sorted ascending.
///
/// Sorting integer keys with the standard unstable sort beats both a
/// comparison sort on `f64::total_cmp` (~3×) and a radix or bucket scatter
/// (memory-bound) on 1M values.
pub(crate) fn sorted_keys(values: &[f64]) -> Vec<u64> {
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    sort_keys(&mut keys);
    keys
}

/// Length above which sorting goes parallel (the result is the same: keys
/// equal as integers are indistinguishable).
#[cfg(feature = "parallel")]
const PARALLEL_SORT_MIN: usize = 1 << 16;

#[cfg(feature = "parallel")]
fn sort_keys(keys: &mut [u64]) {
    if keys.len() >= PARALLEL_SORT_MIN {
        use rayon::slice::ParallelSliceMut;
        keys.par_sort_unstable();
    } else {
        keys.sort_unstable();
    }
}

#[cfg(not(feature = "parallel"))]
fn sort_keys(keys: &mut [u64]) {
    keys.sort_unstable();
}

/// Sorts both key vectors (in parallel with the `parallel` feature).
fn sort_pair(a: &mut [u64], b: &mut [u64]) {
    #[cfg(feature = "parallel")]
    {
        if a.len() + b.len() >= PARALLEL_SORT_MIN {
            rayon::join(|| sort_keys(a), || sort_keys(b));
            return;
        }
    }
    sort_keys(a);
    sort_keys(b);
}

/// The rows in a canonical order: positives by ascending score, then
/// negatives by ascending score (-0.0 read as +0.0). Inputs must be checked.
pub(crate) fn sorted_by_class(scores: &[f64], labels: &[bool]) -> (Vec<f64>, Vec<bool>) {
    let mut ps: Vec<u64> = Vec::new();
    let mut ns: Vec<u64> = Vec::new();
    for (&s, &l) in scores.iter().zip(labels) {
        if l { ps.push(key(s)) } else { ns.push(key(s)) }
    }
    sort_pair(&mut ps, &mut ns);
    let values = ps.iter().chain(&ns).map(|&k| unkey(k)).collect();
    let classes = std::iter::repeat_n(true, ps.len()).chain(std::iter::repeat_n(false, ns.len())).collect();
    (values, classes)
}

/// Calls `f(score, positives, negatives)` for each distinct score in
/// ascending order; returns the totals of positives and negatives.
/// Inputs must be checked (finite, equal lengths).
pub(crate) fn for_each_group(scores: &[f64], labels: &[bool], mut f: impl FnMut(f64, u64, u64)) -> (u64, u64) {
    let n = scores.len().min(labels.len());
    let n_pos = labels[..n].iter().filter(|&&l| l).count();
    // Positives fill the buffer from the front, negatives from the back,
    // without a branch on the (unpredictable) label.
    let mut buf = vec![0u64; n + 1];
    let (mut front, mut back) = (0usize, n);
    for (&s, &l) in scores[..n].iter().zip(&labels[..n]) {
        let at = if l { front } else { back };
        buf[at] = key(s);
        front += usize::from(l);
        back -= usize::from(!l);
    }
    let (ps, ns) = buf.split_at_mut(n_pos);
    let ns = &mut ns[1..];
    sort_pair(ps, ns);
    let (ps, ns) = (&*ps, &*ns);
    let (mut i, mut j) = (0, 0);
    while i < ps.len() && j < ns.len() {
        let v = ps[i].min(ns[j]);
        let i0 = i;
        while i < ps.len() && ps[i] == v {
            i += 1;
        }
        let j0 = j;
        while j < ns.len() && ns[j] == v {
            j += 1;
        }
        f(unkey(v), (i - i0) as u64, (j - j0) as u64);
    }
    while i < ps.len() {
        let i0 = i;
        while i < ps.len() && ps[i] == ps[i0] {
            i += 1;
        }
        f(unkey(ps[i0]), (i - i0) as u64, 0);
    }
    while j < ns.len() {
        let j0 = j;
        while j < ns.len() && ns[j] == ns[j0] {
            j += 1;
        }
        f(unkey(ns[j0]), 0, (j - j0) as u64);
    }
    (ps.len() as u64, ns.len() as u64)
}

/// Distinct scores in ascending order with the number of positive and
/// negative labels at each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ranked {
    /// Distinct scores, strictly ascending.
    pub scores: Vec<f64>,
    /// Positives at each distinct score.
    pub pos: Vec<u64>,
    /// Negatives at each distinct score.
    pub neg: Vec<u64>,
    /// Total positives.
    pub total_pos: u64,
    /// Total negatives.
    pub total_neg: u64,
}

impl Ranked {
    /// Groups already-checked (finite, equal-length) scores and labels.
    pub(crate) fn new(scores: &[f64], labels: &[bool]) -> Ranked {
        let mut out = Ranked::default();
        let (tp, tn) = for_each_group(scores, labels, |score, pos, neg| {
            out.scores.push(score);
            out.pos.push(pos);
            out.neg.push(neg);
        });
        out.total_pos = tp;
        out.total_neg = tn;
        out
    }

    /// Checked construction: non-empty, equal lengths, finite scores.
    pub(crate) fn checked(what: &'static str, scores: &[f64], labels: &[bool]) -> Result<Ranked> {
        check_scored(what, scores, labels)?;
        Ok(Ranked::new(scores, labels))
    }

    /// Total rows.
    pub(crate) fn n(&self) -> u64 {
        self.total_pos + self.total_neg
    }

    /// Errors unless both classes are present.
    pub(crate) fn require_both_classes(&self) -> Result<()> {
        if self.total_pos == 0 || self.total_neg == 0 {
            return Err(CoreError::SingleClass {
                positives: self.total_pos as usize,
                negatives: self.total_neg as usize,
            }
            .into());
        }
        Ok(())
    }

    /// A walker answering "expected positives among the `m` highest-scored
    /// rows" (ties at the cut shared in proportion, the mean over every tie
    /// order) for non-decreasing `m`.
    pub(crate) fn top_walker(&self) -> TopWalker<'_> {
        TopWalker { ranked: self, next: self.scores.len(), rows_before: 0, pos_before: 0 }
    }
}

/// Walks the ranking from the top to answer "expected positives among the
/// top m rows" for non-decreasing m in linear total time.
pub(crate) struct TopWalker<'a> {
    ranked: &'a Ranked,
    /// Index one past the next group to consume (groups are consumed from the end).
    next: usize,
    rows_before: u64,
    pos_before: u64,
}

impl TopWalker<'_> {
    /// Expected positives among the top `m` rows (`m` non-decreasing across calls).
    pub(crate) fn positives_in_top(&mut self, m: u64) -> f64 {
        let r = self.ranked;
        while self.next > 0 {
            let g = self.next - 1;
            let size = r.pos[g] + r.neg[g];
            if self.rows_before + size <= m {
                self.rows_before += size;
                self.pos_before += r.pos[g];
                self.next = g;
            } else {
                let partial = (m - self.rows_before) as f64;
                return self.pos_before as f64 + partial * r.pos[g] as f64 / size as f64;
            }
        }
        self.pos_before as f64
    }
}

/// Neumaier-compensated sum, in input order (deterministic).
pub(crate) fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut acc = Compensated::default();
    for v in values {
        acc.add(v);
    }
    acc.total()
}

/// A running Neumaier-compensated sum.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Compensated {
    sum: f64,
    c: f64,
}

impl Compensated {
    /// Adds one value.
    #[inline]
    pub(crate) fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.c += (self.sum - t) + v;
        } else {
            self.c += (v - t) + self.sum;
        }
        self.sum = t;
    }

    /// The sum.
    pub(crate) fn total(&self) -> f64 {
        self.sum + self.c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sort_matches_comparison_sort() {
        let mut state = 12345u64;
        let mut v: Vec<f64> = (0..20_000)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                match i % 5 {
                    0 => -0.0,
                    1 => (u - 0.5) * 1e6,
                    2 => u,
                    3 => -u * 1e-300,
                    _ => (i % 7) as f64,
                }
            })
            .collect();
        let mut expected: Vec<f64> = v.iter().map(|&x| if x == 0.0 { 0.0 } else { x }).collect();
        expected.sort_unstable_by(f64::total_cmp);
        sort_finite(&mut v);
        assert_eq!(
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn groups_ties_across_labels() {
        let r = Ranked::new(&[0.5, 0.1, 0.5, -0.0, 0.0, 0.9], &[true, false, false, true, false, true]);
        assert_eq!(r.scores, vec![0.0, 0.1, 0.5, 0.9]);
        assert_eq!(r.pos, vec![1, 0, 1, 1]);
        assert_eq!(r.neg, vec![1, 1, 1, 0]);
        let mut w = r.top_walker();
        assert_eq!(w.positives_in_top(1), 1.0);
        assert_eq!(w.positives_in_top(2), 1.5);
        assert_eq!(w.positives_in_top(6), 3.0);
    }
}
