//! Small numerics every model crate shares: the logistic function and a
//! seeded generator, written once so that every crate rounds and draws alike.
//!
//! ```
//! use acctscore_core::numeric::{SplitMix64, sigmoid};
//!
//! assert_eq!(sigmoid(0.0), 0.5);
//! assert!(sigmoid(-800.0) > 0.0 || sigmoid(-800.0) == 0.0); // no NaN from overflow
//! let mut a = SplitMix64::new(7);
//! let mut b = SplitMix64::new(7);
//! assert_eq!(a.next_u64(), b.next_u64()); // same seed, same stream
//! let u = a.next_f64();
//! assert!((0.0..1.0).contains(&u));
//! ```

/// The logistic function `1 / (1 + e^-z)`, computed without overflow for
/// any sign of `z`; NaN in gives NaN out.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// SplitMix64: a tiny seeded generator, fixed here so that folds,
/// subsamples and tree seeds never change with a dependency's release and
/// are the same on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..bound` by widening multiplication (0 when `bound` is
    /// 0); the bias is negligible for the sizes of data tables.
    pub fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// Shuffles `v` in place (Fisher–Yates, from the back).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        let e2 = (-2.0f64).exp();
        assert_eq!(sigmoid(2.0), 1.0 / (1.0 + e2));
        assert_eq!(sigmoid(-2.0), e2 / (1.0 + e2));
        assert!((sigmoid(-2.0) + sigmoid(2.0) - 1.0).abs() < 1e-15);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!(sigmoid(f64::NAN).is_nan());
    }

    #[test]
    fn the_stream_is_pinned() {
        // SplitMix64's reference outputs for seed 0 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = SplitMix64::new(1);
        let mut v: Vec<usize> = (0..10).collect();
        r.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(v, sorted);
        assert_eq!(SplitMix64::new(3).below(0), 0);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
