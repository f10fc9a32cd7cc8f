//! Every column as keys for the out-of-fold AUC: numbers in quantile bins
//! (a value equal to an edge is a bin of its own), strings and levels as
//! themselves, missing as a key of its own.

use super::*;

/// Keys per row (`u32::MAX` = missing), their display names, and value stats.
pub(super) struct Keys<'a> {
    pub(super) keys: Vec<u32>,
    pub(super) names: Vec<Cow<'a, str>>,
    pub(super) missing: usize,
    /// Every distinct present value with its count (formatted lazily).
    pub(super) distinct: Distinct<'a>,
    pub(super) integer_sequence: bool,
}

pub(super) enum Distinct<'a> {
    Num(Vec<(f64, usize)>),
    Str(Vec<(&'a str, usize)>),
}

impl Distinct<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Distinct::Num(v) => v.len(),
            Distinct::Str(v) => v.len(),
        }
    }

    pub(super) fn max_count(&self) -> usize {
        match self {
            Distinct::Num(v) => v.iter().map(|x| x.1).max().unwrap_or(0),
            Distinct::Str(v) => v.iter().map(|x| x.1).max().unwrap_or(0),
        }
    }

    /// The `k` most frequent values (ties by value), formatted.
    pub(super) fn top(&self, k: usize) -> Vec<(String, usize)> {
        fn pick<T: Clone>(v: &[(T, usize)], k: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<(T, usize)> {
            let mut v = v.to_vec();
            let order = |a: &(T, usize), b: &(T, usize)| b.1.cmp(&a.1).then_with(|| cmp(&a.0, &b.0));
            if v.len() > k && k > 0 {
                v.select_nth_unstable_by(k - 1, order);
                v.truncate(k);
            }
            v.sort_by(order);
            v.truncate(k);
            v
        }
        match self {
            Distinct::Num(v) => pick(v, k, f64::total_cmp).into_iter().map(|(x, c)| (fmt_num(x), c)).collect(),
            Distinct::Str(v) => {
                pick(v, k, |a: &&str, b: &&str| a.cmp(b)).into_iter().map(|(s, c)| (s.to_string(), c)).collect()
            }
        }
    }
}

pub(super) const MISSING_KEY: u32 = crate::CategoricalColumn::MISSING;

pub(super) fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

pub(super) fn numeric_keys(v: &NumericColumn, bins: usize) -> Keys<'static> {
    let mut present: Vec<f64> = v.iter().flatten().collect();
    present.sort_unstable_by(f64::total_cmp);
    let m = present.len();
    // Distinct values and their counts.
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for &x in &present {
        match counts.last_mut() {
            Some((y, c)) if *y == x => *c += 1,
            _ => counts.push((x, 1)),
        }
    }
    // Edges: the k/bins quantiles, deduplicated. A value equal to an edge
    // has a key of its own (2k + 1 for edge k), the values strictly between
    // edges k − 1 and k share key 2k: a mass point (95% zeros) never shares
    // a bin with the values beside it, whichever side of it they are.
    let mut edges: Vec<f64> = (1..bins)
        .filter_map(|k| present.get(((m as f64 * k as f64 / bins as f64).floor() as usize).min(m.saturating_sub(1))))
        .copied()
        .collect();
    edges.dedup();
    let key_of = |x: f64| {
        let below = edges.partition_point(|e| *e < x);
        let at = edges.get(below).is_some_and(|e| *e == x);
        (2 * below + usize::from(at)) as u32
    };
    let keys: Vec<u32> = v.iter().map(|x| x.map_or(MISSING_KEY, key_of)).collect();
    let mut names: Vec<Cow<'static, str>> = Vec::with_capacity(2 * edges.len() + 1);
    for k in 0..=edges.len() {
        let lo = k.checked_sub(1).and_then(|j| edges.get(j)).copied();
        let hi = edges.get(k).copied();
        names.push(Cow::Owned(match (lo, hi) {
            (Some(lo), Some(hi)) => format!("({}, {})", fmt_num(lo), fmt_num(hi)),
            (None, Some(hi)) => format!("(.., {})", fmt_num(hi)),
            (Some(lo), None) => format!("({}, ..)", fmt_num(lo)),
            (None, None) => String::from("(..)"),
        }));
        if let Some(hi) = hi {
            names.push(Cow::Owned(format!("[{}]", fmt_num(hi))));
        }
    }
    let integer = present.iter().all(|x| x.fract() == 0.0);
    let mut sequence = false;
    if integer && m > 1 {
        let (mut up, mut down, mut prev) = (0usize, 0usize, None::<f64>);
        for x in v.iter().flatten() {
            if let Some(p) = prev {
                if x > p {
                    up += 1;
                } else if x < p {
                    down += 1;
                }
            }
            prev = Some(x);
        }
        let steps = (m - 1) as f64;
        let span = present[m - 1] - present[0];
        sequence = up.max(down) as f64 >= 0.95 * steps || span <= 2.0 * m as f64;
    }
    Keys { missing: v.len() - m, distinct: Distinct::Num(counts), keys, names, integer_sequence: integer && sequence }
}

pub(super) fn string_keys<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Keys<'a> {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut names: Vec<&'a str> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    let mut missing = 0;
    let keys: Vec<u32> = values
        .map(|v| match v {
            None => {
                missing += 1;
                MISSING_KEY
            }
            Some(s) => {
                let k = *index.entry(s).or_insert_with(|| {
                    names.push(s);
                    counts.push(0);
                    (names.len() - 1) as u32
                });
                counts[k as usize] += 1;
                k
            }
        })
        .collect();
    Keys {
        missing,
        distinct: Distinct::Str(names.iter().copied().zip(counts).collect()),
        keys,
        names: names.into_iter().map(Cow::Borrowed).collect(),
        integer_sequence: false,
    }
}

pub(super) fn categorical_keys(c: &crate::CategoricalColumn) -> Keys<'_> {
    let counts = c.level_counts();
    // A missing code is `MISSING_KEY` already.
    let keys: Vec<u32> = c.codes().to_vec();
    let missing = keys.iter().filter(|k| **k == MISSING_KEY).count();
    Keys {
        missing,
        distinct: Distinct::Str(c.levels().iter().map(String::as_str).zip(counts).filter(|(_, n)| *n > 0).collect()),
        keys,
        names: c.levels().iter().map(|l| Cow::Borrowed(l.as_str())).collect(),
        integer_sequence: false,
    }
}
