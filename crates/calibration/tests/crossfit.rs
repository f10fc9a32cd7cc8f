//! Cross-fitting over acctscore-core's `Fit`/`Score` traits.

use acctscore_calibration::{
    CalibratedModel, CalibrationError, CalibrationMethod, Calibrator, CrossFit, FitCalibrator, FittedCalibrator,
    IsotonicParams, PlattParams,
};
use acctscore_core::ndarray::{Array2, ArrayView1, ArrayView2};
use acctscore_core::{CoreError, Fit, Score, check};
use acctscore_core::{EnvelopeError, InvalidModel};
use serde::{Deserialize, Serialize};

/// Scores a row by the difference of class means (a tiny linear model).
#[derive(Debug, Clone)]
struct MeanDiff;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MeanDiffModel {
    w: Vec<f64>,
}

impl Score for MeanDiffModel {
    fn n_features(&self) -> usize {
        self.w.len()
    }
    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
        row.iter().zip(&self.w).map(|(x, w)| x * w).sum()
    }
}

impl Fit for MeanDiff {
    type Fitted = MeanDiffModel;
    type Error = CoreError;
    fn fit(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<MeanDiffModel, CoreError> {
        let counts = check::training_set(x, y)?;
        let mut w = vec![0.0; x.ncols()];
        for (row, &l) in x.rows().into_iter().zip(y) {
            for (j, v) in row.iter().enumerate() {
                w[j] += if l { v / counts.positives as f64 } else { -v / counts.negatives as f64 };
            }
        }
        Ok(MeanDiffModel { w })
    }
}

/// Remembers its training rows and scores 1 for them, 0 for anything else:
/// out-of-fold scores must all be 0.
struct Memorizer;
struct Memory(Vec<Vec<f64>>, usize);
impl Score for Memory {
    fn n_features(&self) -> usize {
        self.1
    }
    fn score_row_unchecked(&self, row: ArrayView1<'_, f64>) -> f64 {
        let r: Vec<f64> = row.to_vec();
        if self.0.contains(&r) { 1.0 } else { 0.0 }
    }
}
impl Fit for Memorizer {
    type Fitted = Memory;
    type Error = CoreError;
    fn fit(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<Memory, CoreError> {
        check::training_set(x, y)?;
        Ok(Memory(x.rows().into_iter().map(|r| r.to_vec()).collect(), x.ncols()))
    }
}

fn data(n: usize) -> (Array2<f64>, Vec<bool>) {
    let mut state = 99u64;
    let mut u = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Array2::zeros((n, 2));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        x[[i, 0]] = u() * 4.0 - 2.0;
        x[[i, 1]] = u();
        y.push(u() < 1.0 / (1.0 + (-2.0 * x[[i, 0]]).exp()));
    }
    (x, y)
}

#[test]
fn calibrator_never_sees_in_sample_scores() {
    let (x, y) = data(200);
    let out = CrossFit::new().folds(4).seed(3).fit(&Memorizer, &IsotonicParams::new(), x.view(), &y).expect("fit");
    assert!(out.out_of_fold_scores().iter().all(|&s| s == 0.0));
    // while the final model, trained on everything, scores every row 1
    assert!(out.calibrated().model().score_batch(x.view()).expect("scores").iter().all(|&s| s == 1.0));
}

#[test]
fn out_of_fold_scores_come_from_models_without_the_fold() {
    let (x, y) = data(300);
    let cf = CrossFit::new().folds(5).seed(11);
    let out = cf.fit(&MeanDiff, &PlattParams::new(), x.view(), &y).expect("fit");
    let folds = out.fold_assignment();
    for f in 0..5 {
        let train: Vec<usize> = (0..300).filter(|&i| folds[i] != f).collect();
        let xt = x.select(acctscore_core::ndarray::Axis(0), &train);
        let yt: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let m = MeanDiff.fit(xt.view(), &yt).expect("fold model");
        for i in (0..300).filter(|&i| folds[i] == f) {
            assert_eq!(out.out_of_fold_scores()[i], m.score_row(x.row(i)).expect("score"));
        }
    }
    // the calibrator is the one fitted on out-of-fold scores; the model the one fitted on all rows
    let cal = PlattParams::new().fit(out.out_of_fold_scores(), &y).expect("cal");
    assert_eq!(out.calibrated().calibrator(), &cal);
    assert_eq!(out.calibrated().model(), &MeanDiff.fit(x.view(), &y).expect("all"));
    // deterministic
    let again = cf.fit(&MeanDiff, &PlattParams::new(), x.view(), &y).expect("fit");
    assert_eq!(again.out_of_fold_scores(), out.out_of_fold_scores());
    // probabilities, batch equals one by one
    let cm = out.into_calibrated();
    let batch = cm.probability_batch(x.view()).expect("batch");
    for (i, p) in batch.iter().enumerate() {
        assert_eq!(*p, cm.probability_row(x.row(i)).expect("row"));
    }
}

#[test]
fn calibrated_model_serialises_and_errors_are_typed() {
    let (x, y) = data(120);
    let out =
        CrossFit::new().fit(&MeanDiff, &CalibrationMethod::Isotonic(IsotonicParams::new()), x.view(), &y).expect("fit");
    let cm: CalibratedModel<MeanDiffModel, FittedCalibrator> = out.into_calibrated();
    let json = serde_json::to_string(&cm).expect("ser");
    let back: CalibratedModel<MeanDiffModel, FittedCalibrator> = serde_json::from_str(&json).expect("de");
    assert_eq!(back, cm);
    let (model, calibrator) = back.into_parts();
    assert_eq!((&model, &calibrator), (cm.model(), cm.calibrator()));

    assert!(matches!(
        CrossFit::new().folds(1).fit(&MeanDiff, &PlattParams::new(), x.view(), &y),
        Err(CalibrationError::Core(CoreError::InvalidParameter { .. }))
    ));
    let few = [true, true, false, false, false, false];
    let xs = Array2::zeros((6, 1));
    assert!(matches!(
        CrossFit::new().folds(3).fit(&MeanDiff, &PlattParams::new(), xs.view(), &few),
        Err(CalibrationError::TooFewForFolds { folds: 3, positives: 2, negatives: 4 })
    ));
    assert!(matches!(
        CrossFit::new().fit(&MeanDiff, &PlattParams::new(), x.view(), &y[..10]),
        Err(CalibrationError::Core(CoreError::ShapeMismatch { .. }))
    ));
    let wide = Array2::zeros((1, 3));
    assert!(cm.probability_row(wide.row(0)).is_err());
}

#[test]
fn envelope_round_trip_and_version_check() {
    let (s, y): (Vec<f64>, Vec<bool>) = (0..50).map(|i| (f64::from(i) / 10.0, i % 3 == 0 || i > 40)).unzip();
    for m in [
        CalibrationMethod::Platt(PlattParams::new()),
        CalibrationMethod::Isotonic(IsotonicParams::new()),
        CalibrationMethod::Binning(acctscore_calibration::BinningParams::new()),
    ] {
        let c = m.fit(&s, &y).expect("fit");
        let json = c.to_json().expect("json");
        let back = FittedCalibrator::from_json(&json).expect("back");
        assert_eq!(back, c);
        assert_eq!(back.calibrate_batch(&s).expect("b"), c.calibrate_batch(&s).expect("b"));
        let newer = json.replace("\"format_version\":2", "\"format_version\":99");
        assert!(matches!(
            FittedCalibrator::from_json(&newer),
            Err(CalibrationError::ModelFile(EnvelopeError::Version { found: 99, .. }))
        ));
    }
    assert!(matches!(
        FittedCalibrator::from_json("{not json"),
        Err(CalibrationError::ModelFile(EnvelopeError::Malformed { .. }))
    ));
    assert!(matches!(
        FittedCalibrator::from_json(
            r#"{"format":"acctscore-calibrator","version":1,"calibrator":{"method":"isotonic","x":[0.0],"y":[2.0]}}"#
        ),
        Err(CalibrationError::ModelFile(EnvelopeError::Invalid(InvalidModel { part: "isotonic calibrator", .. })))
    ));
}
