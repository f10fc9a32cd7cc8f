//! Keeping the largest-magnitude contributions of a row or a block of rows
//! without allocating: the reasons a score carries.

use super::*;

/// The `K` (at most; `k` at run time) largest contributions offered so far,
/// in explanation order: larger magnitude first, ties to the lower rank.
#[derive(Clone, Copy)]
pub(super) struct TopK<const K: usize> {
    items: [Kept; K],
    len: usize,
    k: usize,
    /// Once full: the magnitude of the last kept contribution.
    floor: u64,
}

/// A kept contribution and its sort key.
#[derive(Clone, Copy, Default)]
pub(super) struct Kept {
    /// The magnitude's bits: for non-negative floats their order is `total_cmp`'s.
    pub(super) magnitude: u64,
    /// Tie-break: the lower rank comes first.
    pub(super) rank: u32,
    pub(super) group: u32,
    pub(super) contribution: f64,
}

impl Kept {
    /// Whether `self` comes before `o`: larger magnitude, then lower rank.
    #[inline(always)]
    pub(super) fn before(&self, o: &Kept) -> bool {
        self.magnitude > o.magnitude || (self.magnitude == o.magnitude && self.rank < o.rank)
    }
}

impl<const K: usize> TopK<K> {
    /// Room for `k` contributions (at most `K`).
    #[inline(always)]
    pub(super) fn new(k: usize) -> Self {
        TopK { items: [Kept::default(); K], len: 0, k: k.min(K), floor: 0 }
    }

    /// Forgets what was offered (the items are overwritten, not cleared).
    #[inline(always)]
    pub(super) fn clear(&mut self) {
        self.len = 0;
        self.floor = 0;
    }

    /// Offers a contribution of `group` with tie-break `rank`.
    #[inline(always)]
    pub(super) fn offer(&mut self, group: u32, rank: u32, contribution: f64) {
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
    pub(super) fn insert(&mut self, item: Kept) {
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
    pub(super) fn kept(&self) -> &[Kept] {
        self.items.get(..self.len).unwrap_or_default()
    }

    #[inline(always)]
    pub(super) fn sum(&self) -> f64 {
        self.kept().iter().map(|x| x.contribution).sum()
    }
}

/// The `K` largest contributions of one row, offered in rank order
/// (logistic: group order), kept without branches: a later offer equal to
/// a kept one comes after it, as the lower rank wins ties.
pub(super) struct TopSmall<const K: usize> {
    /// Magnitude bits + 1, largest first; 0 for an empty slot.
    keys: [u64; K],
    groups: [usize; K],
}

impl<const K: usize> TopSmall<K> {
    #[inline(always)]
    pub(super) fn new() -> Self {
        TopSmall { keys: [0; K], groups: [0; K] }
    }

    /// Offers group `group`'s contribution (`group` above those offered before).
    #[inline(always)]
    pub(super) fn offer(&mut self, group: usize, contribution: f64) {
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
    pub(super) fn into_top<const T: usize>(self, top: &mut TopK<T>, contribution: impl Fn(usize) -> f64) {
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
pub(super) struct BlockTop<const K: usize> {
    /// Per row, its `K` largest magnitudes (−1 for none).
    largest: [[f64; BLOCK_ROWS]; K],
    /// Per row, the groups above its `K`-th largest magnitude.
    above: [u64; BLOCK_ROWS],
    /// Per row, the groups at its `K`-th largest magnitude.
    at: [u64; BLOCK_ROWS],
}

impl<const K: usize> BlockTop<K> {
    pub(super) fn new() -> Self {
        BlockTop { largest: [[-1.0; BLOCK_ROWS]; K], above: [0; BLOCK_ROWS], at: [0; BLOCK_ROWS] }
    }

    /// Finds the kept groups of rows `0..n` of a block: group `g`'s
    /// contributions at `contrib[g * stride..][..n]`, `groups` at most
    /// [`MASK_GROUPS`], `n` at most [`BLOCK_ROWS`].
    #[inline(always)]
    pub(super) fn find(&mut self, contrib: &[f64], groups: usize, stride: usize, n: usize) {
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
    pub(super) fn row_into<const T: usize>(&self, j: usize, top: &mut TopK<T>, contribution: impl Fn(usize) -> f64) {
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
