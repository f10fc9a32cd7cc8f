use super::*;
use acctscore_calibration::metrics::roc_auc;
use ndarray::Array2;
use proptest::prelude::*;

/// Rows with 4 standard-normal-ish features; log-odds = 1.5·[x0 > 0] − x1² + 0.5 + noise-free.
fn simulate(n: usize, seed: u64) -> (Array2<f64>, Vec<bool>, Vec<f64>) {
    let mut rng = SplitMix64::new(seed);
    let mut x = Array2::<f64>::zeros((n, 4));
    let mut y = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        for j in 0..4 {
            x[[i, j]] = rng.next_f64() * 4.0 - 2.0;
        }
        let z = 1.5 * f64::from(u8::from(x[[i, 0]] > 0.0)) - x[[i, 1]] * x[[i, 1]] + 0.5;
        truth.push(z);
        y.push(rng.next_f64() < sigmoid(z));
    }
    (x, y, truth)
}

#[test]
fn recovers_a_nonlinear_structure() {
    let (x, y, _) = simulate(4000, 11);
    let (xt, yt, truth) = simulate(2000, 12);
    let m = GbdtParams::new().n_trees(60).max_depth(3).fit(x.view(), &y).expect("fits");
    let s = m.score_batch(xt.view()).expect("width");
    let auc = roc_auc(&s, &yt).expect("auc");
    let best = roc_auc(&truth, &yt).expect("auc");
    // The true model's AUC is the ceiling; the booster comes within 0.02.
    assert!(auc > best - 0.02, "auc {auc} vs true {best}");
    // The noise features 2 and 3 explain far less than 0 and 1 (mean |contribution|).
    let mut imp = [0.0; 4];
    for r in xt.rows() {
        for (a, c) in imp.iter_mut().zip(m.contributions(r)) {
            *a += c.abs() / xt.nrows() as f64;
        }
    }
    assert!(imp[0].min(imp[1]) > 4.0 * imp[2].max(imp[3]), "{imp:?}");
    assert_eq!(m.split_counts().len(), 4);
    // Mean absolute error of log-odds against the truth stays within 0.35.
    let mae = s.iter().zip(&truth).map(|(a, b)| (a - b).abs()).sum::<f64>() / s.len() as f64;
    assert!(mae < 0.35, "mae {mae}");
}

#[test]
fn deterministic_and_serde_round_trips() {
    let (x, y, _) = simulate(600, 3);
    let p = GbdtParams::new().n_trees(15).subsample(0.7).seed(9).min_samples_leaf(5);
    let a = p.fit(x.view(), &y).expect("fits");
    let b = p.fit(x.view(), &y).expect("fits");
    assert_eq!(a, b);
    let c = p.clone().seed(10).fit(x.view(), &y).expect("fits");
    assert_ne!(a, c);
    let json = serde_json::to_string(&a).expect("serialise");
    let back: FittedGbdt = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, a);
    assert_eq!(back.score_batch(x.view()).expect("w"), a.score_batch(x.view()).expect("w"));
    // A corrupt model is an error, not a panic.
    let far = r#"{"n_features":1,"init":0.0,"trees":[{"nodes":[{"value":0.0,"split":{"feature":3,"threshold":0.0,"left":1,"right":2}},{"value":1.0},{"value":2.0}]}]}"#;
    assert!(matches!(
        serde_json::from_str::<FittedGbdt>(far),
        Err(e) if e.to_string().contains("split")
    ));
    let cyc = r#"{"n_features":1,"init":0.0,"trees":[{"nodes":[{"value":0.0,"split":{"feature":0,"threshold":0.0,"left":0,"right":0}}]}]}"#;
    assert!(serde_json::from_str::<FittedGbdt>(cyc).is_err());
}

#[cfg(feature = "parallel")]
#[test]
fn same_model_on_one_and_three_threads() {
    let (x, y, _) = simulate(3000, 8);
    let p = GbdtParams::new().n_trees(8).subsample(0.8).seed(2);
    let fit_on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        pool.install(|| p.fit(x.view(), &y).expect("fits"))
    };
    assert_eq!(fit_on(1), fit_on(3));
}

#[test]
fn sparse_and_dense_histograms_agree_exactly() {
    let mut rng = SplitMix64::new(4);
    let (n, d) = (2000, 3);
    // Feature 0 sparse one-hot, 1 sparse 3-level, 2 dense.
    let mut binned = vec![0u8; n * d];
    for i in 0..n {
        binned[i] = u8::from(rng.next_f64() < 0.05);
        binned[n + i] = if rng.next_f64() < 0.1 { 1 + (rng.next_u64() % 2) as u8 } else { 0 };
        binned[2 * n + i] = (rng.next_u64() % 5) as u8;
    }
    let g: Vec<f64> = (0..n).map(|_| rng.next_f64() - 0.5).collect();
    let h: Vec<f64> = (0..n).map(|_| rng.next_f64() * 0.25).collect();
    let n_bins = [2, 3, 5];
    let nonzero = nonzero_rows(&binned, n, d);
    assert!(nonzero[0].is_some() && nonzero[1].is_some() && nonzero[2].is_none());
    let none: Vec<Option<Vec<u32>>> = vec![None; d];
    let sparse = Binned { bins: &binned, n, n_bins: &n_bins, nonzero: &nonzero };
    let dense = Binned { bins: &binned, n, n_bins: &n_bins, nonzero: &none };
    // A node of every third row.
    let rows: Vec<u32> = (0..n as u32).filter(|r| r % 3 == 0).collect();
    let node_of_row: Vec<u32> = (0..n as u32).map(|r| if r % 3 == 0 { 7 } else { 1 }).collect();
    let totals = rows.iter().fold(Totals { g: 0.0, h: 0.0, n: 0 }, |t, &r| Totals {
        g: t.g + g[r as usize],
        h: t.h + h[r as usize],
        n: t.n + 1,
    });
    let a = sparse.histogram(&rows, 7, &node_of_row, &g, &h, totals);
    let b = dense.histogram(&rows, 7, &node_of_row, &g, &h, totals);
    assert_eq!(a, b);
    assert_eq!(a[0].iter().map(|e| e.n).sum::<u32>(), rows.len() as u32);
}

#[test]
fn bad_input_gives_typed_errors() {
    let x = ndarray::array![[0.0], [1.0]];
    assert!(matches!(
        GbdtParams::new().fit(x.view(), &[true, true]),
        Err(IcpError::Core(CoreError::SingleClass { .. }))
    ));
    let nan = ndarray::array![[f64::NAN], [1.0]];
    assert!(matches!(
        GbdtParams::new().fit(nan.view(), &[true, false]),
        Err(IcpError::Core(CoreError::NonFinite { .. }))
    ));
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(GbdtParams::new().fit(empty.view(), &[]), Err(IcpError::Core(CoreError::Empty { .. }))));
    for p in [
        GbdtParams::new().n_trees(0),
        GbdtParams::new().learning_rate(0.0),
        GbdtParams::new().max_depth(0),
        GbdtParams::new().l2(f64::NAN),
        GbdtParams::new().max_bins(300),
        GbdtParams::new().subsample(1.5),
        GbdtParams::new().min_samples_leaf(0),
    ] {
        assert!(matches!(p.fit(x.view(), &[true, false]), Err(IcpError::Core(CoreError::InvalidParameter { .. }))));
    }
    // Scoring non-finite or short rows does not panic.
    let m = GbdtParams::new().min_samples_leaf(1).n_trees(3).fit(x.view(), &[true, false]).expect("fits");
    assert!(m.score_row_unchecked(ndarray::array![f64::NAN].view()).is_finite());
    assert!(m.score_row_unchecked(ndarray::Array1::<f64>::zeros(0).view()).is_finite());
    assert!(m.score_row(ndarray::Array1::<f64>::zeros(2).view()).is_err());
}

#[test]
fn bins_split_exactly_at_thresholds() {
    let x = ndarray::array![[0.0], [0.0], [1.0], [2.0], [2.0], [3.0]];
    let b = FeatureBins::fit(x.view(), 255).expect("bins");
    assert_eq!(b.thresholds(0), [0.5, 1.5, 2.5]);
    assert_eq!(b.bin(0, 0.0), 0);
    assert_eq!(b.bin(0, 1.5), 1);
    assert_eq!(b.bin(0, 9.0), 3);
    // Many distinct values: at most max_bins bins, thresholds increasing.
    let many = Array2::from_shape_fn((1000, 1), |(i, _)| (i as f64).sqrt());
    let b = FeatureBins::fit(many.view(), 16).expect("bins");
    assert!(b.n_bins(0) <= 16 && b.n_bins(0) >= 14);
    assert!(b.thresholds(0).windows(2).all(|w| w[0] < w[1]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn contributions_sum_to_raw(seed in 0u64..1000, row in proptest::collection::vec(-3.0f64..3.0, 4)) {
        let (x, y, _) = simulate(300, seed);
        let m = GbdtParams::new().n_trees(10).min_samples_leaf(5).subsample(0.8).seed(seed)
            .fit(x.view(), &y).expect("fits");
        let r = ndarray::Array1::from(row);
        let raw = m.score_row(r.view()).expect("width");
        let total = m.baseline() + m.contributions(r.view()).iter().sum::<f64>();
        prop_assert!((total - raw).abs() <= 1e-9 * raw.abs().max(1.0), "{} vs {}", total, raw);
    }
}
