//! Cross-fitted calibration: a calibrator never sees scores of rows its
//! model was trained on.

use crate::calibrator::{Calibrator, FitCalibrator};
use crate::{CalibrationError, Result};
use acctscore_core::ndarray::{ArrayView1, ArrayView2, Axis};
use acctscore_core::{Fit, Probability, Score, check};
use serde::{Deserialize, Serialize};

/// Parameters of cross-fitted calibration: `k` stratified folds assigned
/// deterministically from a seed.
///
/// For each fold the model is fitted on the other folds and scores the
/// fold's rows; the calibrator is fitted on these out-of-fold scores, and
/// the final model on all rows. Folds are stratified (each holds a near-equal
/// share of positives and of negatives), so every training set has both
/// classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossFit {
    folds: usize,
    seed: u64,
}

impl Default for CrossFit {
    fn default() -> Self {
        CrossFit::new()
    }
}

impl CrossFit {
    /// Five folds, seed 0.
    pub fn new() -> Self {
        CrossFit { folds: 5, seed: 0 }
    }

    /// Number of folds (at least 2).
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }

    /// Seed of the fold assignment.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fits `model` and `calibrator` on `x`, `y` with cross-fitting.
    ///
    /// Deterministic: the same data, parameters and seed give the same
    /// result whatever the thread count (folds run one after another; the
    /// model may parallelise internally).
    ///
    /// # Errors
    /// Invalid fold count, bad data ([`CoreError`](acctscore_core::CoreError) checks), too few of a
    /// class for the folds ([`CalibrationError::TooFewForFolds`]), the
    /// model's own error ([`CalibrationError::Model`]) or the calibrator's.
    pub fn fit<M, C>(
        &self,
        model: &M,
        calibrator: &C,
        x: ArrayView2<'_, f64>,
        y: &[bool],
    ) -> Result<CrossFitted<M::Fitted, C::Fitted>>
    where
        M: Fit,
        C: FitCalibrator,
    {
        check::training_set(x, y)?;
        let folds = stratified_folds(y, self.folds, self.seed)?;
        let mut out_of_fold = vec![0.0; y.len()];
        for f in 0..self.folds {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != f).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == f).collect();
            let x_train = x.select(Axis(0), &train);
            let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let fitted = model
                .fit(x_train.view(), &y_train)
                .map_err(|e| CalibrationError::Model { fold: Some(f), source: Box::new(e) })?;
            let x_test = x.select(Axis(0), &test);
            let scores = fitted.score_batch(x_test.view())?;
            check::same_len("fold scores vs rows", test.len(), scores.len())?;
            for (&i, s) in test.iter().zip(scores) {
                out_of_fold[i] = s;
            }
        }
        let calibrator = calibrator.fit(&out_of_fold, y)?;
        let model = model.fit(x, y).map_err(|e| CalibrationError::Model { fold: None, source: Box::new(e) })?;
        Ok(CrossFitted { calibrated: CalibratedModel { model, calibrator }, out_of_fold, folds })
    }
}

/// The result of [`CrossFit::fit`]: the calibrated model plus the
/// out-of-fold scores the calibrator was fitted on.
#[derive(Debug, Clone)]
pub struct CrossFitted<F, C> {
    calibrated: CalibratedModel<F, C>,
    out_of_fold: Vec<f64>,
    folds: Vec<usize>,
}

impl<F, C> CrossFitted<F, C> {
    /// The model fitted on all rows with its calibrator.
    pub fn calibrated(&self) -> &CalibratedModel<F, C> {
        &self.calibrated
    }

    /// Takes the calibrated model.
    pub fn into_calibrated(self) -> CalibratedModel<F, C> {
        self.calibrated
    }

    /// Each row's raw score from the model that did not train on it (use
    /// these, not in-sample scores, to evaluate the model honestly).
    pub fn out_of_fold_scores(&self) -> &[f64] {
        &self.out_of_fold
    }

    /// Each row's fold.
    pub fn fold_assignment(&self) -> &[usize] {
        &self.folds
    }
}

/// A fitted model and a fitted calibrator of its raw scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedModel<F, C> {
    model: F,
    calibrator: C,
}

impl<F, C> CalibratedModel<F, C> {
    /// Takes the model and the calibrator apart (no clone needed).
    pub fn into_parts(self) -> (F, C) {
        (self.model, self.calibrator)
    }
}

impl<F: Score, C: Calibrator> CalibratedModel<F, C> {
    /// The fitted model.
    pub fn model(&self) -> &F {
        &self.model
    }

    /// The fitted calibrator.
    pub fn calibrator(&self) -> &C {
        &self.calibrator
    }

    /// The calibrated probability of one row.
    ///
    /// # Errors
    /// Wrong row width, or a NaN raw score.
    pub fn probability_row(&self, row: ArrayView1<'_, f64>) -> Result<Probability> {
        self.calibrator.calibrate(self.model.score_row(row)?)
    }

    /// The calibrated probability of every row, in order.
    ///
    /// # Errors
    /// Wrong width, or a NaN raw score.
    pub fn probability_batch(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Probability>> {
        self.calibrator.calibrate_batch(&self.model.score_batch(x)?)
    }
}

/// Stratified fold of each row: positives and negatives are each shuffled
/// with a seeded generator and dealt round-robin, negatives continuing where
/// positives stopped, so folds differ in size by at most one and in each
/// class by at most one. Same labels and seed → same folds, on every platform.
///
/// # Errors
/// [`CoreError::InvalidParameter`](acctscore_core::CoreError::InvalidParameter) for fewer than 2 folds,
/// [`CalibrationError::TooFewForFolds`] when a class has fewer rows than folds.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Result<Vec<usize>> {
    check::param(k >= 2, "folds", "must be at least 2")?;
    let mut pos: Vec<usize> = (0..labels.len()).filter(|&i| labels[i]).collect();
    let mut neg: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i]).collect();
    if pos.len() < k || neg.len() < k {
        return Err(CalibrationError::TooFewForFolds { folds: k, positives: pos.len(), negatives: neg.len() });
    }
    let mut rng = acctscore_core::numeric::SplitMix64::new(seed);
    rng.shuffle(&mut pos);
    rng.shuffle(&mut neg);
    let mut folds = vec![0; labels.len()];
    for (j, &i) in pos.iter().chain(&neg).enumerate() {
        folds[i] = j % k;
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<bool> = (0..103).map(|i| i % 4 == 0).collect();
        let a = stratified_folds(&labels, 5, 7).expect("folds");
        assert_eq!(a, stratified_folds(&labels, 5, 7).expect("folds"));
        assert_ne!(a, stratified_folds(&labels, 5, 8).expect("folds"));
        for f in 0..5 {
            let pos = (0..103).filter(|&i| a[i] == f && labels[i]).count();
            assert!((5..=6).contains(&pos), "fold {f} has {pos} positives");
        }
        assert!(stratified_folds(&labels, 1, 0).is_err());
        assert!(matches!(stratified_folds(&[true, false, false], 2, 0), Err(CalibrationError::TooFewForFolds { .. })));
    }
}
