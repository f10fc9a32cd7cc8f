//! The traits every model implements.

use crate::{CoreError, Result, check};
use ndarray::{ArrayView1, ArrayView2};

/// Model parameters that can be fitted to a design matrix and binary labels.
///
/// `fit` validates the parameters and the data once and returns the fitted
/// model or a typed error, so an unfitted model cannot exist. The parameters
/// stay untouched and can be fitted again (for example once per fold when
/// cross-fitting a calibrator).
pub trait Fit {
    /// The fitted model.
    type Fitted: Score;
    /// The error `fit` returns; every crate's error converts from [`CoreError`].
    type Error: std::error::Error + From<CoreError> + Send + Sync + 'static;

    /// Fits on `x` (rows are accounts, columns features) and labels `y`
    /// (`true` = positive, e.g. converted).
    ///
    /// # Errors
    /// Invalid parameters, non-finite features, mismatched shapes or a single
    /// class, as the implementing crate's error.
    fn fit(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> std::result::Result<Self::Fitted, Self::Error>;
}

/// A fitted model that maps one row of features to a raw score (log-odds
/// for learned models, points for rules). Higher means more likely positive.
pub trait Score: Send + Sync {
    /// Number of features a row must have.
    fn n_features(&self) -> usize;

    /// Scores one row. The default checks the width, then calls
    /// [`Score::score_row_unchecked`].
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when the row has the wrong width.
    fn score_row(&self, row: ArrayView1<'_, f64>) -> Result<f64> {
        check::same_len("row width", self.n_features(), row.len())?;
        Ok(self.score_row_unchecked(row))
    }

    /// Scores one row whose width has already been checked. Implementations
    /// must not panic on any finite or non-finite values; a row of the wrong
    /// width may give a meaningless score but must not panic either.
    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64;

    /// Scores every row of `x`, in order. Equal to calling
    /// [`Score::score_row`] on each row.
    ///
    /// # Errors
    /// [`CoreError::ShapeMismatch`] when `x` has the wrong width.
    fn score_batch(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        check::same_len("matrix width", self.n_features(), x.ncols())?;
        Ok(x.rows().into_iter().map(|r| self.score_row_unchecked(r)).collect())
    }
}

impl<T: Score + ?Sized> Score for Box<T> {
    fn n_features(&self) -> usize {
        (**self).n_features()
    }
    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
        (**self).score_row_unchecked(row)
    }
    fn score_batch(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        (**self).score_batch(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// A trivial model: the sum of the row.
    struct SumModel(usize);
    impl Score for SumModel {
        fn n_features(&self) -> usize {
            self.0
        }
        fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
            row.sum()
        }
    }

    #[test]
    fn batch_equals_one_by_one_and_checks_width() {
        let m = SumModel(2);
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let batch = m.score_batch(x.view()).expect("width ok");
        let single: Vec<f64> = x.rows().into_iter().map(|r| m.score_row(r).expect("ok")).collect();
        assert_eq!(batch, single);
        assert!(m.score_row(array![1.0].view()).is_err());
        assert!(m.score_batch(array![[1.0]].view()).is_err());
    }

    #[test]
    fn a_boxed_model_scores_as_the_model() {
        let boxed: Box<dyn Score> = Box::new(SumModel(2));
        let x = array![[1.0, 2.0], [3.0, 4.5], [-1.0, 0.5]];
        assert_eq!(boxed.n_features(), 2);
        assert_eq!(boxed.score_batch(x.view()).expect("width ok"), [3.0, 7.5, -0.5]);
        assert_eq!(boxed.score_row(x.row(1)).expect("width ok"), 7.5);
        assert_eq!(boxed.score_row_unchecked(x.row(2)), -0.5);
        assert!(boxed.score_batch(array![[1.0]].view()).is_err());
    }
}
