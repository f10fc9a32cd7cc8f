//! Property tests: calibrated outputs in [0, 1], isotonic monotone, Platt
//! recovers known parameters, metrics invariant to row order.

use acctscore_calibration::metrics::{self, BinStrategy};
use acctscore_calibration::monitor::PsiParams;
use acctscore_calibration::{BinningParams, CalibrationMethod, Calibrator, FitCalibrator, IsotonicParams, PlattParams};
use proptest::prelude::*;

use acctscore_core::numeric::{SplitMix64, sigmoid};

/// Scores (with ties) and labels holding both classes.
fn scored() -> impl Strategy<Value = (Vec<f64>, Vec<bool>)> {
    prop::collection::vec((prop_oneof![-50i32..50, Just(0)], any::<bool>()), 2..200).prop_map(|rows| {
        let mut s: Vec<f64> = rows.iter().map(|(v, _)| f64::from(*v) / 7.0).collect();
        let mut y: Vec<bool> = rows.iter().map(|(_, l)| *l).collect();
        // force both classes
        y[0] = true;
        y[1] = false;
        s[0] = s[0].abs();
        (s, y)
    })
}

fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        idx.swap(i, j);
    }
    idx
}

fn methods() -> Vec<CalibrationMethod> {
    vec![
        CalibrationMethod::Platt(PlattParams::new()),
        CalibrationMethod::Isotonic(IsotonicParams::new()),
        CalibrationMethod::Binning(BinningParams::new().bins(7)),
        CalibrationMethod::Binning(BinningParams::new().bins(4).strategy(BinStrategy::Uniform)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn calibrated_outputs_are_probabilities((s, y) in scored(), queries in prop::collection::vec(prop::num::f64::ANY, 1..50)) {
        for m in methods() {
            let c = m.fit(&s, &y).expect("fit");
            for &q in &queries {
                match c.calibrate(q) {
                    Ok(p) => prop_assert!((0.0..=1.0).contains(&p.get())),
                    Err(_) => prop_assert!(q.is_nan()),
                }
            }
            let batch = c.calibrate_batch(&s).expect("batch");
            let mut into = vec![0.0; s.len()];
            c.calibrate_into(&s, &mut into).expect("into");
            for ((p, &v), &raw) in batch.iter().zip(&into).zip(&s) {
                prop_assert!((0.0..=1.0).contains(&p.get()));
                // batch, buffer and one-by-one agree exactly
                prop_assert_eq!(p.get(), v);
                prop_assert_eq!(*p, c.calibrate(raw).expect("one"));
            }
        }
    }

    #[test]
    fn isotonic_is_monotone((s, y) in scored(), mut queries in prop::collection::vec(-20.0f64..20.0, 2..100)) {
        let c = IsotonicParams::new().fit(&s, &y).expect("fit");
        prop_assert!(c.y_thresholds().windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(c.x_thresholds().windows(2).all(|w| w[0] < w[1]));
        queries.sort_by(f64::total_cmp);
        let out = c.calibrate_batch(&queries).expect("batch");
        prop_assert!(out.windows(2).all(|w| w[0].get() <= w[1].get()));
        // and it never does worse than the constant base rate in squared error
        let probs: Vec<f64> = c.calibrate_batch(&s).expect("batch").into_iter().map(f64::from).collect();
        let base = y.iter().filter(|&&l| l).count() as f64 / y.len() as f64;
        let sse_iso = metrics::brier_score(&probs, &y).expect("brier");
        let sse_base = metrics::brier_score(&vec![base; y.len()], &y).expect("brier");
        prop_assert!(sse_iso <= sse_base + 1e-12);
    }

    #[test]
    fn metrics_are_invariant_to_row_order((s, y) in scored(), seed in any::<u64>()) {
        let perm = permutation(s.len(), seed);
        let s2: Vec<f64> = perm.iter().map(|&i| s[i]).collect();
        let y2: Vec<bool> = perm.iter().map(|&i| y[i]).collect();
        let p: Vec<f64> = s.iter().map(|&v| sigmoid(v)).collect();
        let p2: Vec<f64> = s2.iter().map(|&v| sigmoid(v)).collect();

        let auc = metrics::roc_auc(&s, &y).expect("auc");
        prop_assert!((0.0..=1.0).contains(&auc));
        prop_assert_eq!(auc, metrics::roc_auc(&s2, &y2).expect("auc"));
        prop_assert_eq!(metrics::average_precision(&s, &y).expect("ap"), metrics::average_precision(&s2, &y2).expect("ap"));
        prop_assert_eq!(metrics::roc_curve(&s, &y).expect("roc"), metrics::roc_curve(&s2, &y2).expect("roc"));
        prop_assert_eq!(metrics::pr_curve(&s, &y).expect("pr"), metrics::pr_curve(&s2, &y2).expect("pr"));
        prop_assert!((metrics::log_loss(&p, &y).expect("ll") - metrics::log_loss(&p2, &y2).expect("ll")).abs() < 1e-12);
        prop_assert!((metrics::brier_score(&p, &y).expect("b") - metrics::brier_score(&p2, &y2).expect("b")).abs() < 1e-12);
        for strategy in [BinStrategy::Uniform, BinStrategy::Quantile] {
            let a = metrics::calibration_errors(&p, &y, 10, strategy).expect("ece");
            let b = metrics::calibration_errors(&p2, &y2, 10, strategy).expect("ece");
            prop_assert!((a.ece - b.ece).abs() < 1e-12 && (a.mce - b.mce).abs() < 1e-12);
        }
        if s.len() >= 10 {
            let a = metrics::gains_table(&s, &y, 10).expect("gains");
            let b = metrics::gains_table(&s2, &y2, 10).expect("gains");
            for (ra, rb) in a.iter().zip(&b) {
                prop_assert_eq!(ra.rows, rb.rows);
                prop_assert!((ra.cumulative_positives - rb.cumulative_positives).abs() < 1e-9);
            }
        }
        prop_assert_eq!(metrics::lift_top_decile(&s, &y).expect("lift"), metrics::lift_top_decile(&s2, &y2).expect("lift"));
        prop_assert_eq!(metrics::threshold_for_recall(&s, &y, 0.8).expect("t"), metrics::threshold_for_recall(&s2, &y2, 0.8).expect("t"));
        prop_assert_eq!(metrics::threshold_for_capacity(&s, 5).expect("t"), metrics::threshold_for_capacity(&s2, 5).expect("t"));
        prop_assert_eq!(metrics::confusion_at(&s, &y, 0.5).expect("c"), metrics::confusion_at(&s2, &y2, 0.5).expect("c"));
        let psi = PsiParams::new().compute(&s, &s2).expect("psi");
        prop_assert!(psi.psi.abs() < 1e-12);
        // calibrators too
        for m in methods() {
            let c1 = m.fit(&s, &y).expect("fit");
            let c2 = m.fit(&s2, &y2).expect("fit");
            for q in [-3.0, -0.5, 0.0, 0.4, 2.0] {
                let (a, b) = (c1.calibrate(q).expect("p").get(), c2.calibrate(q).expect("p").get());
                prop_assert_eq!(a, b, "{:?}", m);
            }
        }
    }
}

proptest! {
    // 50 000 rows per case: keep the case count low, the data set fixed per case.
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Scores uniform in [-3, 3], labels drawn from σ(a·s + b) with a fixed
    /// seed; n = 50 000 puts the standard error of â and b̂ below ~0.03, and
    /// Platt's target smoothing shifts them by O(1/n). Tolerance: 0.12
    /// (4 standard errors or more).
    #[test]
    fn platt_recovers_known_parameters(a in 0.5f64..3.0, b in -1.5f64..1.5) {
        let mut rng = SplitMix64::new(20_261_124);
        let n = 50_000;
        let mut s = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let x = rng.next_f64() * 6.0 - 3.0;
            s.push(x);
            y.push(rng.next_f64() < sigmoid(a * x + b));
        }
        let c = PlattParams::new().fit(&s, &y).expect("fit");
        prop_assert!((c.slope() - a).abs() < 0.12, "a: fitted {} vs true {}", c.slope(), a);
        prop_assert!((c.intercept() - b).abs() < 0.12, "b: fitted {} vs true {}", c.intercept(), b);
    }
}
