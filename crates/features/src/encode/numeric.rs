//! Fitting a numeric column's encoder: robust bounds, the transform (signed
//! log1p with a lookup table, standardisation), and the order statistics it needs.

use super::*;

pub(super) fn age_days(reference: i64, t: i64) -> f64 {
    (reference as i128 - t as i128) as f64 / 86_400.0
}

/// `ln(1 + k)` for small non-negative integers (many firmographics are
/// counts); the same values `ln_1p` gives, looked up.
#[inline]
pub(super) fn log1p_table() -> &'static [f64] {
    static T: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    T.get_or_init(|| (0..LOG1P_TABLE).map(|k| (k as f64).ln_1p()).collect())
}

pub(super) const LOG1P_TABLE: usize = 1 << 14;

#[inline]
pub(super) fn signed_log1p(x: f64) -> f64 {
    let a = x.abs();
    // Signed conversions are single instructions; `a` is below 2^14 there.
    let k = a as i64;
    let l = match log1p_table().get(k as usize) {
        Some(&l) if a < LOG1P_TABLE as f64 && k as f64 == a => l,
        _ => a.ln_1p(),
    };
    if x < 0.0 { -l } else { l }
}

/// The rank (0-based, on the sorted values) of the `q` quantile of `len > 0`
/// values: the nearest rank.
pub(super) fn quantile_rank(len: usize, q: f64) -> usize {
    let k = ((len - 1) as f64 * q).round() as usize;
    k.min(len - 1)
}

/// The value of rank `k` in `v` (by `total_cmp`), when `v` is already
/// partitioned around rank `mid` (as `select_nth_unstable` leaves it): only
/// the side of `mid` that holds rank `k` is searched (and reordered).
pub(super) fn order_statistic(v: &mut [f64], k: usize, mid: usize) -> f64 {
    match k.cmp(&mid) {
        std::cmp::Ordering::Equal => v[mid],
        std::cmp::Ordering::Less => *v[..mid].select_nth_unstable_by(k, f64::total_cmp).1,
        std::cmp::Ordering::Greater => *v[mid + 1..].select_nth_unstable_by(k - mid - 1, f64::total_cmp).1,
    }
}

/// Fitted numeric encoder: clip bounds, transform, centring and scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct NumericFit {
    pub(super) transform: NumericTransform,
    pub(super) mean: f64,
    pub(super) std: f64,
    pub(super) median: f64,
    pub(super) has_missing: bool,
    #[serde(default)]
    pub(super) clip: Option<(f64, f64)>,
    #[serde(default)]
    pub(super) sentinels: Vec<f64>,
}

impl NumericFit {
    /// The transformed value, `None` when missing or a sentinel.
    #[inline(always)]
    pub(super) fn value(&self, x: Option<f64>) -> Option<f64> {
        let x = x.filter(|x| x.is_finite() && !self.is_sentinel_value(*x))?;
        let x = match self.clip {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        };
        Some(apply_transform(self.transform, x))
    }

    #[inline(always)]
    pub(super) fn encode(&self, x: Option<f64>, row: &mut [f64]) {
        let t = self.value(x);
        row[0] = (t.unwrap_or(self.median) - self.mean) / self.std;
        let mut k = 1;
        if self.has_missing {
            row[k] = f64::from(u8::from(t.is_none() && !self.is_sentinel(x)));
            k += 1;
        }
        if !self.sentinels.is_empty() {
            row[k] = f64::from(u8::from(self.is_sentinel(x)));
        }
    }

    #[inline]
    pub(super) fn is_sentinel(&self, x: Option<f64>) -> bool {
        x.is_some_and(|x| self.is_sentinel_value(x))
    }

    /// Whether `x` is a declared sentinel (most columns declare none).
    #[inline(always)]
    pub(super) fn is_sentinel_value(&self, x: f64) -> bool {
        !self.sentinels.is_empty() && self.sentinels.contains(&x)
    }

    pub(super) fn width(&self) -> usize {
        1 + usize::from(self.has_missing) + usize::from(!self.sentinels.is_empty())
    }
}

pub(super) fn fit_numeric(
    values: impl ExactSizeIterator<Item = Option<f64>>,
    transform: NumericTransform,
    clip_q: Option<(f64, f64)>,
    sentinels: Vec<f64>,
) -> NumericFit {
    let mut raw: Vec<f64> = Vec::with_capacity(values.len());
    let mut has_missing = false;
    for v in values {
        match v {
            Some(x) if x.is_finite() && !sentinels.contains(&x) => raw.push(x),
            Some(x) if sentinels.contains(&x) => {}
            _ => has_missing = true,
        }
    }
    if raw.is_empty() {
        return NumericFit { transform, mean: 0.0, std: 1.0, median: 0.0, has_missing, clip: None, sentinels };
    }
    // Order statistics on the raw values: the median's first, then the clip
    // quantiles within the side of it they fall on. Clipping and the
    // transform are monotone, so the median of the transformed values is
    // the transform of the raw middle values (no second selection).
    let len = raw.len();
    let mid = len / 2;
    let upper_raw = *raw.select_nth_unstable_by(mid, f64::total_cmp).1;
    let lower_raw = len.is_multiple_of(2).then(|| raw[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max));
    let clip = clip_q.map(|(lo, hi)| {
        (order_statistic(&mut raw, quantile_rank(len, lo), mid), order_statistic(&mut raw, quantile_rank(len, hi), mid))
    });
    let encode = |x: f64| {
        let x = match clip {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        };
        apply_transform(transform, x)
    };
    let upper = encode(upper_raw);
    let median = match lower_raw {
        Some(lower) => 0.5 * (encode(lower) + upper),
        None => upper,
    };
    let present: Vec<f64> = raw.into_iter().map(encode).collect();
    let n = present.len() as f64;
    let mean = present.iter().sum::<f64>() / n;
    let var = present.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let std = if var > 0.0 { var.sqrt() } else { 1.0 };
    NumericFit { transform, mean, std, median, has_missing, clip, sentinels }
}

#[inline]
pub(super) fn apply_transform(t: NumericTransform, x: f64) -> f64 {
    match t {
        NumericTransform::Standardize => x,
        NumericTransform::Log1pStandardize => signed_log1p(x),
    }
}
