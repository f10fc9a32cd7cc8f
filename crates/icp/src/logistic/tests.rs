use super::*;
use ndarray::{Array2, ShapeBuilder};

use acctscore_core::numeric::{SplitMix64, sigmoid};

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u = rng.next_f64().max(1e-300);
    let v = rng.next_f64();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

#[test]
fn recovers_known_weights() {
    // 40k rows, 3 standard-normal features, true w = (1.0, -0.5, 0.0), b = -1.
    let mut rng = SplitMix64::new(7);
    let n = 40_000;
    let truth = [1.0, -0.5, 0.0];
    let mut x = Array2::<f64>::zeros((n, 3));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let mut z = -1.0;
        for j in 0..3 {
            x[[i, j]] = normal(&mut rng);
            z += truth[j] * x[[i, j]];
        }
        y.push(rng.next_f64() < sigmoid(z));
    }
    let m = LogisticParams::new().fit(x.view(), &y).expect("fits");
    assert!(m.report().converged, "{:?}", m.report());
    // Standard error of each weight is about 1/sqrt(n·p(1-p)) ≈ 0.012; allow 0.05.
    for (w, t) in m.weights().iter().zip(truth) {
        assert!((w - t).abs() < 0.05, "weight {w} vs {t}");
    }
    assert!((m.intercept() + 1.0).abs() < 0.05, "intercept {}", m.intercept());
    // Explanations add up to the raw score.
    let row = x.row(5);
    let total = m.baseline() + m.contributions(row).iter().sum::<f64>();
    assert!((total - m.score_row(row).expect("width")).abs() < 1e-9);
}

#[test]
fn the_design_is_the_same_for_any_layout_and_block_count() {
    // More rows than one block, binary and dense columns, a column that
    // is binary in the first block only.
    let mut rng = SplitMix64::new(5);
    let n = 2 * DESIGN_BLOCK + 123;
    let mut x = Array2::<f64>::zeros((n, 4));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        x[[i, 0]] = normal(&mut rng);
        x[[i, 1]] = f64::from(u8::from(rng.next_f64() < 0.3));
        x[[i, 2]] = if i < DESIGN_BLOCK { f64::from(u8::from(rng.next_f64() < 0.5)) } else { normal(&mut rng) };
        x[[i, 3]] = f64::from(u8::from(rng.next_f64() < 0.1));
        y.push(rng.next_f64() < sigmoid(x[[i, 0]] - x[[i, 1]] + 0.5 * x[[i, 3]] - 1.0));
    }
    let design = Design::new(x.view());
    assert_eq!(design.dense_cols, [0, 2]);
    for (m, want) in design.means.iter().zip(x.mean_axis(ndarray::Axis(0)).expect("rows")) {
        assert!((m - want).abs() <= 1e-12, "{m} vs {want}");
    }
    // Column-major storage of the same numbers: the same design, the same model.
    let mut f = Array2::<f64>::zeros((n, 4).f());
    f.assign(&x);
    let other = Design::new(f.view());
    assert_eq!(
        (&other.dense, &other.active, &other.ptr, &other.means),
        (&design.dense, &design.active, &design.ptr, &design.means)
    );
    let a = LogisticParams::new().fit(x.view(), &y).expect("fits");
    let b = LogisticParams::new().fit(f.view(), &y).expect("fits");
    assert_eq!(a, b);
}

#[test]
fn cross_fit_equals_fitting_each_fold_apart() {
    let mut rng = SplitMix64::new(11);
    let n = 3_000;
    let mut x = Array2::<f64>::zeros((n, 3));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        x[[i, 0]] = normal(&mut rng);
        x[[i, 1]] = f64::from(u8::from(rng.next_f64() < 0.3));
        x[[i, 2]] = f64::from(u8::from(rng.next_f64() < 0.5));
        y.push(rng.next_f64() < sigmoid(-1.0 + x[[i, 0]] + 0.8 * x[[i, 1]]));
    }
    let folds: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let params = LogisticParams::new();
    let (full, oof) = params.fit_cross(x.view(), &y, &folds, 3).expect("fits");
    assert_eq!(full, params.fit(x.view(), &y).expect("fits"));
    for f in 0..3 {
        let train: Vec<usize> = (0..n).filter(|&i| folds[i] != f).collect();
        let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let apart = params.fit(x.select(ndarray::Axis(0), &train).view(), &y_train).expect("fits");
        for i in (0..n).filter(|&i| folds[i] == f) {
            let expected = apart.score_row(x.row(i)).expect("width");
            assert!((oof[i] - expected).abs() < 1e-6, "row {i}: {} vs {expected}", oof[i]);
        }
    }
    assert!(params.fit_cross(x.view(), &y, &folds[..10], 3).is_err());
    assert!(params.fit_cross(x.view(), &y, &vec![5; n], 3).is_err());
}

#[test]
fn files_with_inconsistent_parameters_are_errors() {
    let ok = r#"{"weights":[1.0,2.0],"intercept":0.5,"feature_means":[0.0,0.0],"report":{"iterations":1,"converged":true,"objective":0.1,"gradient_max":0.0}}"#;
    let m: FittedLogistic = serde_json::from_str(ok).expect("valid");
    assert_eq!(m.weights(), [1.0, 2.0]);
    let short = ok.replace("\"feature_means\":[0.0,0.0]", "\"feature_means\":[0.0]");
    assert!(serde_json::from_str::<FittedLogistic>(&short).is_err());
}

#[test]
fn rejects_bad_parameters_and_data() {
    let x = ndarray::array![[0.0], [1.0]];
    assert!(LogisticParams::new().c(0.0).fit(x.view(), &[true, false]).is_err());
    assert!(LogisticParams::new().c(f64::NAN).fit(x.view(), &[true, false]).is_err());
    assert!(LogisticParams::new().fit(x.view(), &[true, true]).is_err());
    let nan = ndarray::array![[f64::NAN], [1.0]];
    assert!(LogisticParams::new().fit(nan.view(), &[true, false]).is_err());
}

#[test]
fn separable_data_stays_finite() {
    let x = ndarray::array![[-2.0], [-1.0], [1.0], [2.0]];
    let m = LogisticParams::new().fit(x.view(), &[false, false, true, true]).expect("fits");
    assert!(m.weights()[0].is_finite() && m.weights()[0] > 0.0);
}
