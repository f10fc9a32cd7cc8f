//! Reference values computed with scikit-learn 1.9.1 / NumPy 2.4.6 / SciPy 1.17.1.
//!
//! The data set and every value below come from this script (run with the
//! venv's python; `repr` prints round-trip floats):
//!
//! ```python
//! import numpy as np
//! from sklearn.metrics import roc_auc_score, average_precision_score, log_loss, brier_score_loss, roc_curve, precision_recall_curve
//! from sklearn.calibration import calibration_curve, _sigmoid_calibration
//! from sklearn.isotonic import IsotonicRegression
//! rng = np.random.RandomState(0)
//! n = 60
//! s = np.round(rng.normal(size=n), 1)             # ties on purpose
//! y = (rng.rand(n) < 1 / (1 + np.exp(-2 * s))).astype(int)
//! p = np.round(1 / (1 + np.exp(-1.5 * s)), 2)
//! p[:3] = [0.0, 1.0, 1.0]                          # exercise log-loss clipping
//! ```
//!
//! Each test quotes the call that produced its numbers. Everything must
//! match to 1e-9.

use acctscore_calibration::metrics::{self, BinStrategy};
use acctscore_calibration::{Calibrator, FitCalibrator, IsotonicParams, PlattParams};

const TOL: f64 = 1e-9;

const S: [f64; 60] = [
    1.8, 0.4, 1.0, 2.2, 1.9, -1.0, 1.0, -0.2, -0.1, 0.4, 0.1, 1.5, 0.8, 0.1, 0.4, 0.3, 1.5, -0.2, 0.3, -0.9, -2.6, 0.7,
    0.9, -0.7, 2.3, -1.5, 0.0, -0.2, 1.5, 1.5, 0.2, 0.4, -0.9, -2.0, -0.3, 0.2, 1.2, 1.2, -0.4, -0.3, -1.0, -1.4, -1.7,
    2.0, -0.5, -0.4, -1.3, 0.8, -1.6, -0.2, -0.9, 0.4, -0.5, -1.2, -0.0, 0.4, 0.1, 0.3, -0.6, -0.4,
];
const Y: [bool; 60] = [
    true, true, true, true, true, false, true, true, false, true, false, true, true, false, true, false, true, true,
    true, true, false, true, true, false, true, false, true, false, true, true, true, false, false, false, false, true,
    true, true, false, false, false, false, false, true, false, false, false, true, true, true, false, true, false,
    false, true, true, false, true, false, false,
];
const P: [f64; 60] = [
    0.0, 1.0, 1.0, 0.96, 0.95, 0.18, 0.82, 0.43, 0.46, 0.65, 0.54, 0.9, 0.77, 0.54, 0.65, 0.61, 0.9, 0.43, 0.61, 0.21,
    0.02, 0.74, 0.79, 0.26, 0.97, 0.1, 0.5, 0.43, 0.9, 0.9, 0.57, 0.65, 0.21, 0.05, 0.39, 0.57, 0.86, 0.86, 0.35, 0.39,
    0.18, 0.11, 0.07, 0.95, 0.32, 0.35, 0.12, 0.77, 0.08, 0.43, 0.21, 0.65, 0.32, 0.14, 0.5, 0.65, 0.54, 0.61, 0.29,
    0.35,
];

fn close(what: &str, got: f64, want: f64) {
    assert!(got.is_finite() && want.is_finite(), "{what}: got {got:?}, want {want:?} (non-finite)");
    assert!((got - want).abs() <= TOL, "{what}: got {got:?}, want {want:?}");
}

fn close_all(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.is_finite() && w.is_finite(), "{what}[{i}]: got {g:?}, want {w:?} (non-finite)");
        assert!((g - w).abs() <= TOL, "{what}[{i}]: got {g:?}, want {w:?}");
    }
}

#[test]
fn single_number_metrics_match_sklearn() {
    // roc_auc_score(y, s), roc_auc_score(y, p); average_precision_score(y, s), average_precision_score(y, p);
    // log_loss(y, p) (clips to [eps, 1 - eps], eps = np.finfo(float64).eps); brier_score_loss(y, p)
    type Metric = fn(&[f64], &[bool]) -> acctscore_calibration::Result<f64>;
    let cases: [(&str, Metric, &[f64], f64); 6] = [
        ("auc(s)", metrics::roc_auc, &S, 0.910213243546577),
        ("auc(p)", metrics::roc_auc, &P, 0.8804713804713804),
        ("ap(s)", metrics::average_precision, &S, 0.9348239662240079),
        ("ap(p)", metrics::average_precision, &P, 0.9207287192460354),
        ("log loss", metrics::log_loss, &P, 1.0124551283676537),
        ("brier", metrics::brier_score, &P, 0.1459466666666667),
    ];
    for (what, metric, scores, want) in cases {
        close(what, metric(scores, &Y).expect(what), want);
    }
}

#[test]
fn roc_curve_matches_sklearn() {
    // fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False); thr[0] is inf
    let c = metrics::roc_curve(&S, &Y).expect("roc");
    #[rustfmt::skip]
    let fpr: [f64; 34] = [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.037037037037037035, 0.07407407407407407,
        0.07407407407407407, 0.18518518518518517, 0.18518518518518517, 0.2222222222222222, 0.25925925925925924,
        0.3333333333333333, 0.4444444444444444, 0.5185185185185185, 0.5555555555555556, 0.5925925925925926,
        0.6666666666666666, 0.7407407407407407, 0.7777777777777778, 0.8148148148148148, 0.8518518518518519,
        0.8888888888888888, 0.8888888888888888, 0.9259259259259259, 0.9629629629629629, 1.0,
    ];
    close_all("fpr", &c.fpr, &fpr);
    #[rustfmt::skip]
    let tpr: [f64; 34] = [
        0.0, 0.030303030303030304, 0.06060606060606061, 0.09090909090909091, 0.12121212121212122, 0.15151515151515152,
        0.2727272727272727, 0.3333333333333333, 0.3939393939393939, 0.42424242424242425, 0.48484848484848486,
        0.5151515151515151, 0.6666666666666666, 0.7272727272727273, 0.7878787878787878, 0.7878787878787878,
        0.8484848484848485, 0.8484848484848485, 0.9393939393939394, 0.9393939393939394, 0.9393939393939394,
        0.9393939393939394, 0.9393939393939394, 0.9393939393939394, 0.9696969696969697, 0.9696969696969697,
        0.9696969696969697, 0.9696969696969697, 0.9696969696969697, 0.9696969696969697, 1.0, 1.0, 1.0, 1.0,
    ];
    close_all("tpr", &c.tpr, &tpr);
    assert_eq!(c.thresholds[0], f64::INFINITY);
    close_all(
        "thresholds",
        &c.thresholds[1..],
        &[
            2.3, 2.2, 2.0, 1.9, 1.8, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1, -0.0, -0.1, -0.2, -0.3, -0.4,
            -0.5, -0.6, -0.7, -0.9, -1.0, -1.2, -1.3, -1.4, -1.5, -1.6, -1.7, -2.0, -2.6,
        ],
    );
}

#[test]
fn pr_curve_matches_sklearn() {
    // precision, recall, thresholds = precision_recall_curve(y, s)
    let c = metrics::pr_curve(&S, &Y).expect("pr");
    #[rustfmt::skip]
    let precision: [f64; 34] = [
        0.55, 0.559322033898305, 0.5689655172413793, 0.5789473684210527, 0.5714285714285714, 0.5818181818181818,
        0.5925925925925926, 0.6037735849056604, 0.6153846153846154, 0.64, 0.6595744680851063, 0.6739130434782609,
        0.6888888888888889, 0.7209302325581395, 0.775, 0.8157894736842105, 0.8235294117647058, 0.8484848484848485,
        0.8387096774193549, 0.9285714285714286, 0.9230769230769231, 0.9565217391304348, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
    ];
    close_all("precision", &c.precision, &precision);
    #[rustfmt::skip]
    let recall: [f64; 34] = [
        1.0, 1.0, 1.0, 1.0, 0.9696969696969697, 0.9696969696969697, 0.9696969696969697, 0.9696969696969697,
        0.9696969696969697, 0.9696969696969697, 0.9393939393939394, 0.9393939393939394, 0.9393939393939394,
        0.9393939393939394, 0.9393939393939394, 0.9393939393939394, 0.8484848484848485, 0.8484848484848485,
        0.7878787878787878, 0.7878787878787878, 0.7272727272727273, 0.6666666666666666, 0.5151515151515151,
        0.48484848484848486, 0.42424242424242425, 0.3939393939393939, 0.3333333333333333, 0.2727272727272727,
        0.15151515151515152, 0.12121212121212122, 0.09090909090909091, 0.06060606060606061, 0.030303030303030304, 0.0,
    ];
    close_all("recall", &c.recall, &recall);
    close_all(
        "thresholds",
        &c.thresholds,
        &[
            -2.6, -2.0, -1.7, -1.6, -1.5, -1.4, -1.3, -1.2, -1.0, -0.9, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2, -0.1, -0.0,
            0.1, 0.2, 0.3, 0.4, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 1.8, 1.9, 2.0, 2.2, 2.3,
        ],
    );
}

#[test]
fn reliability_matches_calibration_curve() {
    // prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    let u = metrics::reliability_curve(&P, &Y, 10, BinStrategy::Uniform).expect("uniform");
    close_all(
        "uniform prob_true",
        &u.iter().map(|r| r.fraction_positive).collect::<Vec<_>>(),
        &[0.3333333333333333, 0.0, 0.2, 0.0, 0.7142857142857143, 0.4, 0.75, 1.0, 1.0, 1.0],
    );
    close_all(
        "uniform prob_pred",
        &u.iter().map(|r| r.mean_predicted).collect::<Vec<_>>(),
        &[
            0.05333333333333334, 0.146, 0.236, 0.3528571428571428, 0.4542857142857143, 0.5519999999999999, 0.635,
            0.7675, 0.8771428571428572, 0.9716666666666667,
        ],
    );
    // prob_true, prob_pred = calibration_curve(y, p, n_bins=5, strategy="quantile")
    let q = metrics::reliability_curve(&P, &Y, 5, BinStrategy::Quantile).expect("quantile");
    close_all(
        "quantile prob_true",
        &q.iter().map(|r| r.fraction_positive).collect::<Vec<_>>(),
        &[0.21428571428571427, 0.23076923076923078, 0.5454545454545454, 0.9, 1.0],
    );
    close_all(
        "quantile prob_pred",
        &q.iter().map(|r| r.mean_predicted).collect::<Vec<_>>(),
        &[0.12000000000000001, 0.3646153846153846, 0.5499999999999999, 0.7140000000000001, 0.9291666666666666],
    );
}

#[test]
fn calibration_error_from_calibration_curve() {
    // bins = np.linspace(0, 1, 11)   (or np.percentile(p, np.linspace(0, 1, 6) * 100) for quantile)
    // cnt = np.bincount(np.searchsorted(bins[1:-1], p)); w = cnt[cnt > 0] / len(p)
    // pt, pp = calibration_curve(y, p, n_bins=…, strategy=…)
    // ece = np.sum(w * np.abs(pt - pp)); mce = np.max(np.abs(pt - pp))
    let u = metrics::calibration_errors(&P, &Y, 10, BinStrategy::Uniform).expect("uniform");
    close("ece uniform 10", u.ece, 0.1753333333333333);
    close("mce uniform 10", u.mce, 0.3528571428571428);
    let q = metrics::calibration_errors(&P, &Y, 5, BinStrategy::Quantile).expect("quantile");
    close("ece quantile 5", q.ece, 0.097);
    close("mce quantile 5", q.mce, 0.18599999999999994);
    let counts: Vec<u64> = metrics::reliability_curve(&P, &Y, 5, BinStrategy::Quantile)
        .expect("quantile")
        .iter()
        .map(|r| r.count)
        .collect();
    assert_eq!(counts, vec![14, 13, 11, 10, 12]);
}

#[test]
fn isotonic_matches_sklearn() {
    // iso = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    // iso.X_thresholds_, iso.y_thresholds_, iso.predict(grid)
    let iso = IsotonicParams::new().fit(&S, &Y).expect("fit");
    close_all("X_thresholds_", iso.x_thresholds(), &[-2.6, -1.7, -1.6, -0.3, -0.2, 0.1, 0.2, 0.3, 0.4, 0.7, 2.3]);
    close_all(
        "y_thresholds_",
        iso.y_thresholds(),
        &[0.0, 0.0, 0.10526315789473684, 0.10526315789473684, 0.5, 0.5, 0.8, 0.8, 0.8333333333333334, 1.0, 1.0],
    );
    let grid = [-5.0, -1.23, -0.35, 0.0, 0.05, 0.33, 0.71, 1.5, 2.2, 9.0];
    let got: Vec<f64> = iso.calibrate_batch(&grid).expect("batch").into_iter().map(f64::from).collect();
    close_all("predict", &got, &[0.0, 0.10526315789473684, 0.10526315789473684, 0.5, 0.5, 0.81, 1.0, 1.0, 1.0, 1.0]);
}

#[test]
fn platt_matches_newton_reference_and_sklearn() {
    // Platt's smoothed targets t = (N+ + 1)/(N+ + 2) or 1/(N- + 2); Newton in long double to convergence:
    //   q = 1/(1+exp(-(a*s+b))); g = [sum((q-t)*s), sum(q-t)]; H = [[sum(w s^2), sum(w s)], [sum(w s), sum(w)]]
    //   gives a = 2.0040998633979457, b = 0.19834687649350394.
    // sklearn: A, B = _sigmoid_calibration(s, y) -> -A = 2.0040998633272737, -B = 0.19834687635469236
    // (L-BFGS stops within 1.4e-10 of the optimum).
    let c = PlattParams::new().fit(&S, &Y).expect("fit");
    close("a vs newton", c.slope(), 2.0040998633979457);
    close("b vs newton", c.intercept(), 0.19834687649350394);
    close("a vs sklearn", c.slope(), 2.0040998633272737);
    close("b vs sklearn", c.intercept(), 0.19834687635469236);
}

/// 5000 rows from a 64-bit LCG that Python reproduces exactly:
///
/// ```python
/// M = 2**64; state = 42
/// def u():
///     global state
///     state = (state * 6364136223846793005 + 1442695040888963407) % M
///     return (state >> 11) / 2.0**53
/// for i in range(5000):
///     s[i] = np.floor(u() * 1000.0) / 1000.0     # 1000 distinct values: many ties
///     y[i] = 1 if u() < s[i] ** 2 else 0
/// roc_auc_score(y, s), average_precision_score(y, s), log_loss(y, s), brier_score_loss(y, s)
/// iso = IsotonicRegression(out_of_bounds="clip").fit(s, y)
/// len(iso.X_thresholds_), iso.predict([-1.0, 0.0005, 0.1234, 0.5, 0.77777, 0.999, 2.0])
/// ```
fn lcg_data() -> (Vec<f64>, Vec<bool>) {
    let mut state: u64 = 42;
    let mut u = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut s = Vec::with_capacity(5000);
    let mut y = Vec::with_capacity(5000);
    for _ in 0..5000 {
        let v = (u() * 1000.0).floor() / 1000.0;
        s.push(v);
        y.push(u() < v * v);
    }
    (s, y)
}

#[test]
fn larger_tied_data_matches_sklearn() {
    let (s, y) = lcg_data();
    close("auc", metrics::roc_auc(&s, &y).expect("auc"), 0.8870446494398591);
    close("ap", metrics::average_precision(&s, &y).expect("ap"), 0.8039483476440308);
    close("log loss", metrics::log_loss(&s, &y).expect("log loss"), 0.48140396733348717);
    close("brier", metrics::brier_score(&s, &y).expect("brier"), 0.1598557926);
    let iso = IsotonicParams::new().fit(&s, &y).expect("fit");
    assert_eq!(iso.x_thresholds().len(), 64);
    let grid = [-1.0, 0.0005, 0.1234, 0.5, 0.77777, 0.999, 2.0];
    let got: Vec<f64> = iso.calibrate_batch(&grid).expect("batch").into_iter().map(f64::from).collect();
    close_all("predict", &got, &[0.0, 0.0, 0.005681818181818182, 0.22242647058823528, 0.6033057851239669, 1.0, 1.0]);
}
