//! Input checks that return typed errors instead of panicking.

use crate::{CoreError, Result};
use ndarray::{ArrayView1, ArrayView2};

/// Checks that every value of a slice is finite.
///
/// # Errors
/// [`CoreError::NonFinite`] naming the first offending index.
pub fn finite_slice(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(CoreError::NonFinite { what, index, value: values[index] }),
        None => Ok(()),
    }
}

/// Checks that every value of a slice is a probability: finite and within
/// `[0, 1]`.
///
/// # Errors
/// [`CoreError::NonFinite`] or [`CoreError::NotAProbability`], for the
/// first offending index.
///
/// ```
/// use acctscore_core::{CoreError, check};
/// assert!(check::probabilities("scores", &[0.0, 0.5, 1.0]).is_ok());
/// let e = check::probabilities("scores", &[0.2, 1.5]).expect_err("out of range");
/// assert_eq!(e, CoreError::NotAProbability { what: "scores", index: 1, value: 1.5 });
/// ```
pub fn probabilities(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().copied().enumerate().find(|(_, v)| !(0.0..=1.0).contains(v)) {
        Some((index, value)) if !value.is_finite() => Err(CoreError::NonFinite { what, index, value }),
        Some((index, value)) => Err(CoreError::NotAProbability { what, index, value }),
        None => Ok(()),
    }
}

/// Checks that every value of a vector view is finite.
///
/// # Errors
/// [`CoreError::NonFinite`] naming the first offending index.
pub fn finite_vector(what: &'static str, values: ArrayView1<'_, f64>) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(CoreError::NonFinite { what, index, value: values[index] }),
        None => Ok(()),
    }
}

/// Checks that every value of a matrix is finite.
///
/// # Errors
/// [`CoreError::NonFinite`] naming the first offending flat (row-major) index.
pub fn finite_matrix(what: &'static str, x: ArrayView2<'_, f64>) -> Result<()> {
    // A contiguous matrix is checked as one slice, block by block without
    // branches (vectorised), the first bad value then found in its block.
    let first_bad = match x.as_slice() {
        Some(all) => all
            .chunks(1024)
            .enumerate()
            .find(|(_, c)| !c.iter().fold(true, |ok, v| ok & v.is_finite()))
            .and_then(|(k, c)| c.iter().position(|v| !v.is_finite()).map(|p| k * 1024 + p)),
        None => x.iter().position(|v| !v.is_finite()),
    };
    match first_bad {
        Some(index) => {
            let ncols = x.ncols().max(1);
            Err(CoreError::NonFinite { what, index, value: x[[index / ncols, index % ncols]] })
        }
        None => Ok(()),
    }
}

/// Checks that `found == expected`.
///
/// # Errors
/// [`CoreError::ShapeMismatch`] otherwise.
pub fn same_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found { Ok(()) } else { Err(CoreError::ShapeMismatch { what, expected, found }) }
}

/// Checks one parameter: `Ok` when `holds`, otherwise
/// [`CoreError::InvalidParameter`] naming it and why. Every crate's params
/// check goes through this, so each rule reads as one line.
///
/// # Errors
/// [`CoreError::InvalidParameter`] when `holds` is false.
///
/// ```
/// use acctscore_core::{CoreError, check};
/// let folds = 1;
/// let e = check::param(folds >= 2, "folds", "must be at least 2").expect_err("one fold");
/// assert_eq!(e, CoreError::InvalidParameter { name: "folds", reason: "must be at least 2" });
/// ```
pub fn param(holds: bool, name: &'static str, reason: &'static str) -> Result<()> {
    if holds { Ok(()) } else { Err(CoreError::InvalidParameter { name, reason }) }
}

/// Counts of each class in a label vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassCounts {
    /// Number of `true` labels.
    pub positives: usize,
    /// Number of `false` labels.
    pub negatives: usize,
}

/// Checks a training set: at least one row, finite features, labels of the
/// same length as the rows, and both classes present.
///
/// # Errors
/// [`CoreError::Empty`], [`CoreError::ShapeMismatch`],
/// [`CoreError::NonFinite`] or [`CoreError::SingleClass`].
pub fn training_set(x: ArrayView2<'_, f64>, y: &[bool]) -> Result<ClassCounts> {
    if x.nrows() == 0 {
        return Err(CoreError::Empty { what: "training rows" });
    }
    same_len("labels vs rows", x.nrows(), y.len())?;
    finite_matrix("features", x)?;
    let positives = y.iter().filter(|&&v| v).count();
    let negatives = y.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(CoreError::SingleClass { positives, negatives });
    }
    Ok(ClassCounts { positives, negatives })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn probabilities_name_the_first_bad_value_and_its_kind() {
        assert!(probabilities("p", &[0.0, 1.0, 0.5]).is_ok());
        assert!(probabilities("p", &[]).is_ok());
        let e = probabilities("p", &[0.2, 1.5, f64::NAN]).expect_err("out of range first");
        assert_eq!(e, CoreError::NotAProbability { what: "p", index: 1, value: 1.5 });
        let e = probabilities("p", &[0.2, -0.1]).expect_err("negative");
        assert_eq!(e, CoreError::NotAProbability { what: "p", index: 1, value: -0.1 });
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = probabilities("p", &[0.5, bad]).expect_err("non-finite");
            assert!(matches!(e, CoreError::NonFinite { what: "p", index: 1, .. }), "{e:?}");
        }
    }

    #[test]
    fn finds_the_first_non_finite_value() {
        let x = array![[1.0, 2.0], [3.0, f64::NAN]];
        match finite_matrix("x", x.view()) {
            Err(CoreError::NonFinite { index, .. }) => assert_eq!(index, 3),
            other => panic!("unexpected {other:?}"),
        }
        // Beyond the first block of a contiguous matrix, and in a transposed view.
        let mut big = ndarray::Array2::<f64>::zeros((50, 50));
        big[[40, 7]] = f64::INFINITY;
        big[[45, 1]] = f64::NAN;
        match finite_matrix("x", big.view()) {
            Err(CoreError::NonFinite { index, value, .. }) => assert_eq!((index, value), (2007, f64::INFINITY)),
            other => panic!("unexpected {other:?}"),
        }
        match finite_matrix("x", big.t()) {
            Err(CoreError::NonFinite { index, .. }) => assert_eq!(index, 50 + 45),
            other => panic!("unexpected {other:?}"),
        }
        assert!(finite_slice("v", &[1.0, f64::NEG_INFINITY]).is_err());
        assert!(finite_slice("v", &[]).is_ok());
    }

    #[test]
    fn each_check_names_the_first_bad_value() {
        let bad = |r: Result<()>| match r {
            Err(CoreError::NonFinite { what, index, value }) => (what, index, value.to_bits()),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(bad(finite_slice("s", &[1.0, f64::INFINITY, f64::NAN])), ("s", 1, f64::INFINITY.to_bits()));
        let v = array![0.5, -2.0, f64::NEG_INFINITY];
        assert_eq!(bad(finite_vector("v", v.view())), ("v", 2, f64::NEG_INFINITY.to_bits()));
        assert_eq!(finite_vector("v", array![0.5, -2.0].view()), Ok(()));
        let x = array![[1.0, 2.0, 3.0], [4.0, f64::INFINITY, 6.0]];
        assert_eq!(bad(finite_matrix("m", x.view())), ("m", 4, f64::INFINITY.to_bits()));
        assert_eq!(bad(finite_matrix("m", x.t())), ("m", 3, f64::INFINITY.to_bits()));
        // An even number of finite values around the bad one (a parity-style fold would miss it).
        let y = array![[1.0, f64::NAN, 2.0]];
        assert!(matches!(finite_matrix("m", y.view()), Err(CoreError::NonFinite { index: 1, .. })));
        assert_eq!(finite_matrix("m", array![[1.0, 2.0], [3.0, 4.0]].t()), Ok(()));
        assert_eq!(same_len("n", 3, 3), Ok(()));
        assert_eq!(same_len("n", 3, 4), Err(CoreError::ShapeMismatch { what: "n", expected: 3, found: 4 }));
    }

    #[test]
    fn training_set_rejects_bad_inputs() {
        let x = array![[1.0], [2.0]];
        assert!(matches!(training_set(x.view(), &[true]), Err(CoreError::ShapeMismatch { .. })));
        assert_eq!(training_set(x.view(), &[true, true]), Err(CoreError::SingleClass { positives: 2, negatives: 0 }));
        assert_eq!(training_set(x.view(), &[false, false]), Err(CoreError::SingleClass { positives: 0, negatives: 2 }));
        let nan = array![[1.0], [f64::NAN]];
        assert!(matches!(training_set(nan.view(), &[true, false]), Err(CoreError::NonFinite { index: 1, .. })));
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(training_set(empty.view(), &[]), Err(CoreError::Empty { .. })));
        assert_eq!(training_set(x.view(), &[true, false]), Ok(ClassCounts { positives: 1, negatives: 1 }));
    }
}
