//! Estimator checks for every model, after scikit-learn's common checks:
//!
//! - fitting twice on the same data gives identical models (same bytes);
//! - fit and score never mutate their input (compared with a clone);
//! - row order does not change the model beyond a stated tolerance;
//! - a different number of features or columns at scoring is a typed error;
//! - empty data and a single class are typed errors;
//! - save → load → score is bit-identical.
//!
//! Row-order tolerances, and why. Every fit that cross-fits a calibrator or
//! an out-of-fold score assigns rows to folds by position (seeded), so a
//! permutation changes the folds and therefore the calibration: for those
//! models the check is on the rank (Spearman) correlation of scores on the
//! original rows, ≥ [`RANK_TOLERANCE`]. The convex parts are checked
//! tightly: the logistic family's raw log-odds within [`CONVEX_TOLERANCE`];
//! Platt scaling within [`CONVEX_TOLERANCE`]; isotonic and binning
//! calibrators, and the anomaly segment model (medians and MADs), within
//! [`EXACT_TOLERANCE`] (sums in another order).

use acctscore::anomaly::{AnomalyInputs, SegmentModel, SegmentParams};
use acctscore::calibration::{
    BinningParams, CalibrationError, CalibrationMethod, Calibrator, FitCalibrator, FittedCalibrator, IsotonicParams,
    PlattParams,
};
use acctscore::core::CoreError;
use acctscore::features::FeaturesError;
use acctscore::frame::Frame;
use acctscore::icp::propensity::{Family, FamilyChoice, FittedIcp, IcpParams};
use acctscore::icp::{IcpError, RuleProblem};
use acctscore::pool::AccountRecord;
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore::revenue::{
    BusinessModel, LearnedParams, LearnedRangeModel, RevenueError, RevenueInputs, RevenueRange, Router,
};
use acctscore::{Error, anomaly::AnomalyError};

/// Spearman correlation the scores of a model fitted on permuted rows must
/// keep with the original model's scores.
const RANK_TOLERANCE: f64 = 0.97;
/// Largest absolute difference of a convex model fitted on permuted rows.
const CONVEX_TOLERANCE: f64 = 1e-6;
/// Largest absolute difference of an order-free fit (sums in another order).
const EXACT_TOLERANCE: f64 = 1e-12;

fn accounts(n: usize, seed: u64) -> Vec<AccountRecord> {
    PoolGenerator::new(n).seed(seed).generate().accounts.into_iter().filter(|a| a.converted.is_some()).collect()
}

/// A seeded permutation (a fixed LCG, so the test needs no RNG crate).
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    for i in (1..n).rev() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).expect("fits") % (i + 1);
        idx.swap(i, j);
    }
    idx
}

fn permuted<T: Clone>(v: &[T], seed: u64) -> Vec<T> {
    permutation(v.len(), seed).into_iter().map(|i| v[i].clone()).collect()
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut k = 0;
        while k < idx.len() {
            let mut end = k;
            while end + 1 < idx.len() && v[idx[end + 1]] == v[idx[k]] {
                end += 1;
            }
            for &i in &idx[k..=end] {
                r[i] = (k + end) as f64 / 2.0;
            }
            k = end + 1;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    let rho = cov / (va * vb).sqrt();
    assert!(rho.is_finite(), "rank correlation of constant scores");
    rho
}

/// Largest absolute difference; fails on a non-finite value or a length mismatch.
fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            assert!(x.is_finite() && y.is_finite(), "non-finite score {x} / {y}");
            (x - y).abs()
        })
        .fold(0.0, f64::max)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

// ---------------------------------------------------------------- ICP

/// The ICP inputs: the account frame without its label and id.
fn icp_data(rows: &[AccountRecord]) -> (Frame, Vec<bool>) {
    let frame = accounts_to_frame(rows).expect("frame").without(&["converted", "account_id"]);
    let y = rows.iter().map(|a| a.converted == Some(true)).collect();
    (frame, y)
}

fn families() -> Vec<(FamilyChoice, Family)> {
    vec![
        (FamilyChoice::Rules, Family::Rules),
        (FamilyChoice::Logistic, Family::Logistic),
        (FamilyChoice::Trees, Family::Trees),
        (FamilyChoice::Lookalike, Family::Lookalike),
        (FamilyChoice::Hybrid, Family::Hybrid),
    ]
}

fn icp_params(choice: FamilyChoice) -> IcpParams {
    IcpParams::new().family(choice).seed(7)
}

fn icp_scores(model: &FittedIcp, frame: &Frame) -> (Vec<f64>, Vec<f64>) {
    let s = model.score_frame(frame).expect("scores");
    (s.iter().map(|s| s.probability.get()).collect(), s.iter().map(|s| s.raw).collect())
}

#[test]
fn icp_families_fit_deterministically_without_mutating_and_round_trip() {
    let rows = accounts(2_500, 43);
    let (frame, y) = icp_data(&rows);
    let (frame0, y0) = (frame.clone(), y.clone());
    for (choice, family) in families() {
        let a = icp_params(choice).fit(&frame, &y).expect("fits");
        assert_eq!(a.family(), family);
        let b = icp_params(choice).fit(&frame, &y).expect("fits again");
        assert_eq!(serde_json::to_string(&a).expect("json"), serde_json::to_string(&b).expect("json"), "{family:?}");
        let (p, raw) = icp_scores(&a, &frame);
        assert!(frame == frame0 && y == y0, "{family:?}: fit or score changed its input");
        // Save → load → score: bit-identical.
        let back: FittedIcp = serde_json::from_str(&serde_json::to_string(&a).expect("json")).expect("loads");
        back.validate().expect("a loaded model is valid");
        let (p2, raw2) = icp_scores(&back, &frame);
        assert_eq!((bits(&p), bits(&raw)), (bits(&p2), bits(&raw2)), "{family:?}");
    }
}

#[test]
fn icp_families_barely_depend_on_row_order() {
    let rows = accounts(2_500, 43);
    let (frame, y) = icp_data(&rows);
    let (pframe, py) = icp_data(&permuted(&rows, 5));
    for (choice, family) in families() {
        let a = icp_params(choice).fit(&frame, &y).expect("fits");
        let b = icp_params(choice).fit(&pframe, &py).expect("fits permuted");
        let (pa, ra) = icp_scores(&a, &frame);
        let (pb, rb) = icp_scores(&b, &frame);
        let rho = spearman(&pa, &pb);
        assert!(rho >= RANK_TOLERANCE, "{family:?}: rank correlation {rho} after permuting rows");
        if family == Family::Logistic {
            let d = max_diff(&ra, &rb);
            assert!(d <= CONVEX_TOLERANCE, "logistic log-odds moved by {d} after permuting rows");
        }
    }
}

#[test]
fn icp_families_refuse_other_columns_empty_data_and_one_class() {
    let rows = accounts(2_500, 43);
    let (frame, y) = icp_data(&rows);
    for (choice, family) in families() {
        let model = icp_params(choice).fit(&frame, &y).expect("fits");
        // A frame without one of the model's input columns.
        let input = model.input_columns()[0].to_string();
        let fewer = frame.without(&[input.as_str()]);
        let err = model.score_frame(&fewer).expect_err("a missing column");
        assert!(
            matches!(
                &err,
                IcpError::Features(_) | IcpError::InvalidRule { problem: RuleProblem::UnknownField { .. }, .. }
            ),
            "{family:?}: {err:?}"
        );
        // Empty data.
        let (empty, no_y) = icp_data(&[]);
        let err = icp_params(choice).fit(&empty, &no_y).expect_err("empty");
        assert!(matches!(err, IcpError::Core(CoreError::Empty { .. }) | IcpError::Features(_)), "{family:?}: {err:?}");
        // One class.
        let none = vec![false; y.len()];
        let err = icp_params(choice).fit(&frame, &none).expect_err("one class");
        assert!(
            matches!(err, IcpError::Core(CoreError::SingleClass { .. }) | IcpError::TooFewPositives { .. }),
            "{family:?}: {err:?}"
        );
        // Labels of another length.
        let err = icp_params(choice).fit(&frame, &y[1..]).expect_err("short labels");
        assert!(matches!(err, IcpError::Core(CoreError::ShapeMismatch { .. })), "{family:?}: {err:?}");
    }
}

// ---------------------------------------------------------------- calibrators

fn calibration_data(n: usize) -> (Vec<f64>, Vec<bool>) {
    // A deterministic, noisy, increasing relation between score and label.
    let scores: Vec<f64> = (0..n).map(|i| ((i * 7_919) % n) as f64 / n as f64 * 6.0 - 3.0).collect();
    let labels = scores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = 1.0 / (1.0 + (-1.5 * s).exp());
            ((i * 104_729) % 1_000) as f64 / 1_000.0 < p
        })
        .collect();
    (scores, labels)
}

fn methods() -> Vec<(CalibrationMethod, f64)> {
    vec![
        (CalibrationMethod::Platt(PlattParams::new()), CONVEX_TOLERANCE),
        (CalibrationMethod::Isotonic(IsotonicParams::new()), EXACT_TOLERANCE),
        (CalibrationMethod::Binning(BinningParams::new()), EXACT_TOLERANCE),
    ]
}

#[test]
fn calibrators_pass_the_estimator_checks() {
    let (s, y) = calibration_data(1_200);
    let (s0, y0) = (s.clone(), y.clone());
    let grid: Vec<f64> = (0..=60).map(|i| f64::from(i) / 10.0 - 3.0).collect();
    for (method, tolerance) in methods() {
        let a = method.fit(&s, &y).expect("fits");
        let b = method.fit(&s, &y).expect("fits again");
        assert_eq!(a, b);
        assert_eq!(a.to_json().expect("json"), b.to_json().expect("json"));
        let pa = a.calibrate_batch(&grid).expect("calibrates");
        assert!(s == s0 && y == y0, "{method:?} changed its input");
        // Row order.
        let perm = permutation(s.len(), 3);
        let ps: Vec<f64> = perm.iter().map(|&i| s[i]).collect();
        let py: Vec<bool> = perm.iter().map(|&i| y[i]).collect();
        let c = method.fit(&ps, &py).expect("fits permuted");
        let pc = c.calibrate_batch(&grid).expect("calibrates");
        let va: Vec<f64> = pa.iter().map(|p| p.get()).collect();
        let vc: Vec<f64> = pc.iter().map(|p| p.get()).collect();
        let d = max_diff(&va, &vc);
        assert!(d <= tolerance, "{method:?} moved by {d} after permuting rows");
        // Save → load → calibrate: bit-identical.
        let back = FittedCalibrator::from_json(&a.to_json().expect("json")).expect("loads");
        let vb: Vec<f64> = back.calibrate_batch(&grid).expect("calibrates").iter().map(|p| p.get()).collect();
        assert_eq!(bits(&va), bits(&vb), "{method:?}");
        // A score per label: labels of another length, an output of another length.
        assert!(matches!(method.fit(&s, &y[1..]), Err(CalibrationError::Core(CoreError::ShapeMismatch { .. }))));
        let mut out = vec![0.0; grid.len() + 1];
        assert!(matches!(
            a.calibrate_into(&grid, &mut out),
            Err(CalibrationError::Core(CoreError::ShapeMismatch { .. }))
        ));
        // Empty data, one class.
        assert!(matches!(method.fit(&[], &[]), Err(CalibrationError::Core(CoreError::Empty { .. }))), "{method:?}");
        let one = vec![true; y.len()];
        assert!(
            matches!(method.fit(&s, &one), Err(CalibrationError::Core(CoreError::SingleClass { .. }))),
            "{method:?}"
        );
    }
}

// ---------------------------------------------------------------- learned revenue model

fn revenue_rows(n: usize) -> Vec<(RevenueInputs<'static>, f64)> {
    let models = [BusinessModel::Saas, BusinessModel::Ecommerce, BusinessModel::Services];
    (1..=n)
        .map(|i| {
            let employees = 1.0 + ((i * 37) % 400) as f64;
            let noise = 0.5 + ((i * 7_919) % 1_000) as f64 / 1_000.0;
            let inputs = RevenueInputs::new(models[i % 3]).with_employees(employees);
            (inputs, 1_500.0 * employees * noise)
        })
        .collect()
}

#[test]
fn the_learned_revenue_model_passes_the_estimator_checks() {
    let router = Router::new();
    let range = RevenueRange::default();
    let rows = revenue_rows(1_000);
    let rows0 = rows.clone();
    let fit = |rows: &[(RevenueInputs<'static>, f64)]| LearnedParams::new().fit(&router, range, rows);
    let a = fit(&rows).expect("fits");
    let b = fit(&rows).expect("fits again");
    assert_eq!(a, b);
    assert_eq!(a.to_json().expect("json"), b.to_json().expect("json"));
    let probs = |m: &LearnedRangeModel| -> Vec<f64> {
        rows.iter().map(|(i, _)| m.probability(i, &router.estimate(i)).get()).collect()
    };
    let pa = probs(&a);
    assert!(rows == rows0, "fit or score changed its input");
    // Row order: folds are assigned by position, so the calibration moves.
    let c = fit(&permuted(&rows, 9)).expect("fits permuted");
    let rho = spearman(&pa, &probs(&c));
    assert!(rho >= RANK_TOLERANCE, "rank correlation {rho} after permuting rows");
    // Save → load → score: bit-identical.
    let back = LearnedRangeModel::from_json(&a.to_json().expect("json")).expect("loads");
    assert_eq!(bits(&pa), bits(&probs(&back)));
    // Empty data, one class (every revenue in range).
    assert!(matches!(fit(&[]), Err(RevenueError::Core(CoreError::Empty { .. }))));
    let one: Vec<_> = rows.iter().map(|(i, _)| (*i, 50_000.0)).collect();
    assert!(matches!(fit(&one), Err(RevenueError::Core(CoreError::SingleClass { .. }))));
    // The model's inputs are a typed struct, so no row can have another
    // number of features; a model file with another width is refused
    // (acctscore-revenue's `errors_and_versions`).
}

// ---------------------------------------------------------------- anomaly segments

fn segment_rows(n: usize) -> Vec<AnomalyInputs<'static>> {
    let industries = ["Software", "Retail", "Healthcare"];
    (0..n)
        .map(|i| {
            AnomalyInputs::new()
                .with_industry(industries[i % 3])
                .with_employees(1.0 + ((i * 37) % 900) as f64)
                .with_monthly_revenue(1_000.0 + ((i * 7_919) % 100_000) as f64)
        })
        .collect()
}

#[test]
fn the_segment_model_passes_the_estimator_checks() {
    let rows = segment_rows(3_000);
    let rows0 = rows.clone();
    let params = SegmentParams::new();
    let a = params.fit(rows.iter().copied()).expect("fits");
    let b = params.fit(rows.iter().copied()).expect("fits again");
    assert_eq!(a.to_json().expect("json"), b.to_json().expect("json"));
    let stats = |m: &SegmentModel| -> Vec<f64> {
        let mut v = Vec::new();
        for ind in [Some("Software"), Some("Retail"), Some("Other"), None] {
            for band in 0..m.band_count() {
                let s = m.stats_in_band(ind, band);
                v.extend([s.median, s.scale]);
            }
        }
        v
    };
    let sa = stats(&a);
    assert!(rows == rows0, "fit changed its input");
    // Row order: medians and MADs do not depend on it.
    let c = params.fit(permuted(&rows, 11)).expect("fits permuted");
    let d = max_diff(&sa, &stats(&c));
    assert!(d <= EXACT_TOLERANCE, "segment statistics moved by {d} after permuting rows");
    // Save → load → stats: bit-identical.
    let back = SegmentModel::from_json(&a.to_json().expect("json")).expect("loads");
    assert_eq!(back, a);
    assert_eq!(bits(&sa), bits(&stats(&back)));
    // Empty data (no row with revenue and employees). The model is
    // unsupervised: there are no classes to check.
    assert!(matches!(params.fit(Vec::<AnomalyInputs>::new()), Err(AnomalyError::Core(CoreError::Empty { .. }))));
    let unusable = [AnomalyInputs::new().with_industry("Software")];
    assert!(matches!(params.fit(unusable), Err(AnomalyError::Core(CoreError::Empty { .. }))));
}

// ---------------------------------------------------------------- Scorer

fn priorities_by_id(scorer: &Scorer, frame: &Frame) -> Vec<f64> {
    scorer.score_frame(frame, None).expect("scores").iter().map(|s| s.priority).collect()
}

#[test]
fn the_scorer_passes_the_estimator_checks() {
    let rows = accounts(2_500, 53);
    let frame = accounts_to_frame(&rows).expect("frame");
    let frame0 = frame.clone();
    let a = ScorerParams::new().fit(&frame).expect("fits");
    let b = ScorerParams::new().fit(&frame).expect("fits again");
    assert_eq!(a.to_json().expect("json"), b.to_json().expect("json"));
    let scores = a.score_frame(&frame, None).expect("scores");
    assert!(frame == frame0, "fit or score changed the frame");
    // Row order: cross-fitted calibration moves; ranks hold.
    let pframe = accounts_to_frame(&permuted(&rows, 13)).expect("frame");
    let c = ScorerParams::new().fit(&pframe).expect("fits permuted");
    let rho = spearman(&priorities_by_id(&a, &frame), &priorities_by_id(&c, &frame));
    assert!(rho >= RANK_TOLERANCE, "rank correlation {rho} after permuting rows");
    // Save → load → score: bit-identical (probabilities, priorities, reasons).
    let back = Scorer::from_json(&a.to_json().expect("json")).expect("loads");
    assert_eq!(back.score_frame(&frame, None).expect("scores"), scores);
    // A frame without a schema column.
    let fewer = frame.without(&["employees"]);
    assert!(matches!(a.score_frame(&fewer, None), Err(Error::Schema { ref column, .. }) if column == "employees"));
    // Empty data, one class.
    let empty = accounts_to_frame(&[]).expect("frame");
    let err = ScorerParams::new().fit(&empty).expect_err("empty");
    assert!(matches!(err, Error::Core(CoreError::Empty { .. }) | Error::Features(_)), "{err:?}");
    let one: Vec<AccountRecord> = rows
        .iter()
        .cloned()
        .map(|mut r| {
            r.converted = Some(false);
            r
        })
        .collect();
    let err = ScorerParams::new().fit(&accounts_to_frame(&one).expect("frame")).expect_err("one class");
    assert!(
        matches!(
            err,
            Error::Features(FeaturesError::Core(CoreError::SingleClass { positives: 0, .. }))
                | Error::Icp(IcpError::TooFewPositives { positives: 0, .. })
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- matrix models (Fit / Score)

fn matrix(n: usize, width: usize) -> (acctscore::core::ndarray::Array2<f64>, Vec<bool>) {
    let x = acctscore::core::ndarray::Array2::from_shape_fn((n, width), |(i, j)| {
        ((i * 7_919 + j * 104_729) % 1_000) as f64 / 250.0 - 2.0
    });
    let y = (0..n).map(|i| x[[i, 0]] + 0.5 * x[[i, 1]] + ((i * 31) % 7) as f64 / 7.0 - 0.5 > 0.0).collect();
    (x, y)
}

fn check_matrix_model<P>(name: &str, params: &P)
where
    P: acctscore::core::Fit<Error = IcpError>,
    P::Fitted: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    use acctscore::core::Score as _;
    let (x, y) = matrix(600, 4);
    let (x0, y0) = (x.clone(), y.clone());
    let a = params.fit(x.view(), &y).expect("fits");
    let b = params.fit(x.view(), &y).expect("fits again");
    assert_eq!(serde_json::to_string(&a).expect("json"), serde_json::to_string(&b).expect("json"), "{name}");
    let sa = a.score_batch(x.view()).expect("scores");
    assert!(x == x0 && y == y0, "{name} changed its input");
    // Another number of features at scoring: a typed error.
    let (wide, _) = matrix(10, 5);
    let err = a.score_batch(wide.view()).expect_err("wider rows");
    assert!(matches!(err, CoreError::ShapeMismatch { expected: 4, found: 5, .. }), "{name}: {err:?}");
    let err = a.score_row(wide.row(0)).expect_err("a wider row");
    assert!(matches!(err, CoreError::ShapeMismatch { expected: 4, found: 5, .. }), "{name}: {err:?}");
    // Save → load → score: bit-identical.
    let back: P::Fitted = serde_json::from_str(&serde_json::to_string(&a).expect("json")).expect("loads");
    assert_eq!(bits(&sa), bits(&back.score_batch(x.view()).expect("scores")), "{name}");
    // Empty data, one class: typed errors.
    let empty = acctscore::core::ndarray::Array2::<f64>::zeros((0, 4));
    let err = params.fit(empty.view(), &[]).expect_err("empty");
    assert!(matches!(err, IcpError::Core(CoreError::Empty { .. })), "{name}: {err:?}");
    let err = params.fit(x.view(), &vec![true; y.len()]).expect_err("one class");
    assert!(matches!(err, IcpError::Core(CoreError::SingleClass { positives: 600, negatives: 0 })), "{name}: {err:?}");
}

#[test]
fn matrix_models_pass_the_estimator_checks() {
    use acctscore::icp::logistic::LogisticParams;
    use acctscore::icp::lookalike::LookalikeParams;
    use acctscore::icp::trees::GbdtParams;
    check_matrix_model("logistic", &LogisticParams::new());
    check_matrix_model("trees", &GbdtParams::new());
    check_matrix_model("lookalike", &LookalikeParams::new());
}
