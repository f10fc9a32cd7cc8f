use super::choice::cv_rows;
use super::*;
use acctscore_core::numeric::SplitMix64;

/// `n` rows of four uniform numbers in [-2, 2] and labels drawn from
/// `logit(x0, x1)`.
fn simulate(n: usize, seed: u64, logit: impl Fn(f64, f64) -> f64) -> (Frame, Vec<bool>) {
    let mut rng = SplitMix64::new(seed);
    let mut cols: [Vec<Option<f64>>; 4] = Default::default();
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let x: Vec<f64> = (0..4).map(|_| rng.next_f64() * 4.0 - 2.0).collect();
        for (c, v) in cols.iter_mut().zip(&x) {
            c.push(Some(*v));
        }
        let z = logit(x[0], x[1]);
        y.push(rng.next_f64() < 1.0 / (1.0 + (-z).exp()));
    }
    let columns = cols.into_iter().enumerate().map(|(j, c)| (format!("x{j}"), Column::numeric(c))).collect();
    (Frame::new(columns).expect("valid frame"), y)
}

/// A threshold interaction (an XOR of two signs): no linear model ranks it.
fn interaction(n: usize, seed: u64) -> (Frame, Vec<bool>) {
    simulate(n, seed, |a, b| if (a > 0.0) != (b > 0.0) { 2.0 } else { -2.0 })
}

fn linear(n: usize, seed: u64) -> (Frame, Vec<bool>) {
    simulate(n, seed, |a, b| 1.2 * a - 0.8 * b - 0.5)
}

fn cv_figures(icp: &FittedIcp) -> (f64, f64, usize, usize, f64) {
    match icp.choice().reason {
        ChoiceReason::CrossValidated { logistic_auc, trees_auc, folds, rows, margin, .. } => {
            (logistic_auc, trees_auc, folds, rows, margin)
        }
        ref other => panic!("expected a cross-validated choice, got {other:?}"),
    }
}

#[test]
fn auto_picks_trees_on_an_interaction_and_logistic_on_linear_data() {
    let (frame, y) = interaction(1500, 1);
    let icp = IcpParams::new().fit(&frame, &y).expect("fits");
    assert_eq!(icp.family(), Family::Trees);
    let (l, t, folds, rows, margin) = cv_figures(&icp);
    assert!(t >= l + margin && t > 0.8 && l < 0.6, "trees {t} vs logistic {l}");
    assert_eq!((folds, rows, margin), (AUTO_CV_FOLDS, 1500, AUTO_TREES_MARGIN));
    assert_eq!(icp.choice().requested, FamilyChoice::Auto);
    let shown = icp.choice().to_string();
    assert!(shown.starts_with("trees (auto: "), "{shown}");
    assert!(shown.contains(&format!("trees {t:.4}")) && shown.contains(&format!("logistic {l:.4}")), "{shown}");
    assert!(shown.contains("3-fold") && shown.contains("1500 rows") && shown.contains("0.002"), "{shown}");

    let (frame, y) = linear(1500, 2);
    let icp = IcpParams::new().fit(&frame, &y).expect("fits");
    assert_eq!(icp.family(), Family::Logistic);
    let (l, t, ..) = cv_figures(&icp);
    assert!(t < l + AUTO_TREES_MARGIN && l > 0.75, "trees {t} vs logistic {l}");
    assert!(icp.choice().to_string().starts_with("logistic (auto: "));

    // The margin decides: with a huge one, logistic even where trees win;
    // with a negative one, trees even where logistic wins.
    let (frame, y) = interaction(1500, 1);
    assert_eq!(IcpParams::new().auto_margin(0.5).fit(&frame, &y).expect("fits").family(), Family::Logistic);
    let (frame, y) = linear(1500, 2);
    assert_eq!(IcpParams::new().auto_margin(-1.0).fit(&frame, &y).expect("fits").family(), Family::Trees);
}

#[test]
fn the_out_of_time_check_warns_when_the_last_rows_drift_and_only_then() {
    let (frame, y) = linear(1500, 2);
    let icp = IcpParams::new().fit(&frame, &y).expect("fits");
    let ChoiceReason::CrossValidated { logistic_auc, recent: Some(r), .. } = icp.choice().reason else {
        panic!("expected an out-of-time check, got {:?}", icp.choice().reason);
    };
    assert_eq!(r.rows, 300);
    assert!((r.logistic_auc - logistic_auc).abs() < DRIFT_AUC_GAP, "{r:?} vs {logistic_auc}");
    assert!(icp.warnings().is_empty(), "{:?}", icp.warnings());
    assert!(icp.choice().to_string().contains("on the last 300 rows in file order"));

    // Rows whose last fifth follows the opposite relation.
    let row = std::cell::Cell::new(0usize);
    let (drifted, y_drifted) = simulate(1500, 2, |a, b| {
        row.set(row.get() + 1);
        let sign = if row.get() > 1200 { -1.0 } else { 1.0 };
        sign * (1.2 * a - 0.8 * b) - 0.5
    });
    let icp = IcpParams::new().fit(&drifted, &y_drifted).expect("fits");
    let warning = icp.warnings().iter().find(|w| matches!(w, FitWarning::RecentRowsWeaker { .. }));
    let Some(FitWarning::RecentRowsWeaker { family, cv_auc, recent_auc, rows }) = warning else {
        panic!("expected a drift warning, got {:?}", icp.warnings());
    };
    assert_eq!((family.as_str(), *rows), (icp.family().name(), 300));
    assert!(*recent_auc < 0.5 && *cv_auc > *recent_auc + DRIFT_AUC_GAP, "{recent_auc} vs {cv_auc}");
    assert!(warning.is_some_and(|w| w.to_string().contains("the data drifts")));
}

#[test]
fn too_few_positives_stay_rules_without_cross_validation() {
    let (frame, y) = interaction(600, 3);
    let positives = y.iter().filter(|&&v| v).count();
    let icp = IcpParams::new().min_positives(positives + 1).folds(3).fit(&frame, &y).expect("fits");
    assert_eq!(icp.family(), Family::Rules);
    assert!(matches!(icp.choice().reason, ChoiceReason::TooFewPositives { mined: true, .. }));
}

#[cfg(feature = "parallel")]
#[test]
fn cross_validated_choice_is_the_same_on_one_and_two_threads() {
    // More rows than the cap: the subsample is part of what must not vary.
    let (frame, y) = interaction(2000, 4);
    let params = IcpParams::new().auto_cv_rows(900).seed(7).folds(3);
    let fit_on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        pool.install(|| params.fit(&frame, &y).expect("fits"))
    };
    let one = fit_on(1);
    let two = fit_on(2);
    assert_eq!(one, two);
    assert_eq!(one.choice(), two.choice());
    let (l, t, _, rows, _) = cv_figures(&one);
    assert_eq!(rows, 900);
    assert_eq!(one.family(), Family::Trees, "trees {t} vs logistic {l}");
    // Another seed draws another subsample and other folds.
    let other = IcpParams::new().auto_cv_rows(900).seed(8).folds(3).fit(&frame, &y).expect("fits");
    assert_ne!(cv_figures(&other).0, l);
}

#[test]
fn the_choice_and_its_figures_survive_the_model_file() {
    let (frame, y) = interaction(800, 5);
    let icp = IcpParams::new().folds(3).fit(&frame, &y).expect("fits");
    let json = serde_json::to_string(&icp).expect("serialises");
    assert!(json.contains(r#""reason":"cross_validated""#) && json.contains(r#""trees_auc":"#), "{json}");
    let back: FittedIcp = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, icp);
    // Model files written before the cross-validated choice still read.
    let old = r#"{"requested":"auto","family":"logistic","reason":{"reason":"enough_positives","positives":150,"required":100}}"#;
    let choice: Choice = serde_json::from_str(old).expect("reads");
    assert_eq!(choice.reason, ChoiceReason::EnoughPositives { positives: 150, required: 100 });
}

#[test]
fn one_prepared_row_equals_the_same_row_of_score_frame() {
    let (frame, y) = interaction(600, 9);
    for family in [FamilyChoice::Trees, FamilyChoice::Logistic, FamilyChoice::Lookalike, FamilyChoice::Rules] {
        // Logistic and look-alike see no signal in an XOR: Platt's slope may come
        // out negative, which reasons refuse; isotonic never decreases.
        let iso = CalibrationMethod::Isotonic(acctscore_calibration::IsotonicParams::new());
        let icp =
            IcpParams::new().family(family).calibration(iso).min_positives(20).folds(3).fit(&frame, &y).expect("fits");
        let all = icp.score_frame(&frame).expect("scores");
        let prepared = icp.prepare(&frame).expect("prepares");
        for (i, s) in all.iter().enumerate() {
            let one = prepared.score(i).expect("in range");
            assert_eq!((one.probability, one.raw, one.tier), (s.probability, s.raw, s.tier), "{family:?} row {i}");
            assert_eq!(&prepared.explanation(i, &one), &s.explanation, "{family:?} row {i}");
            assert_eq!(icp.score_rows(&frame, i..i + 1, true).expect("one row")[0], *s, "{family:?} row {i}");
        }
        // Without reasons: the same numbers, no factors.
        let bare = icp.score_rows(&frame, 0..frame.nrows(), false).expect("scores");
        for (b, s) in bare.iter().zip(&all) {
            assert_eq!((b.probability, b.raw, b.tier), (s.probability, s.raw, s.tier), "{family:?}");
            assert!(b.explanation.factors.is_empty() && b.explanation.baseline == s.explanation.baseline);
        }
        // A frame without a fitted column is refused when prepared, even for no rows.
        let partial = frame.without(&[frame.names()[0].as_str()]);
        assert!(icp.prepare(&partial).is_err(), "{family:?}");
        assert!(icp.score_rows(&partial, 0..0, false).is_err(), "{family:?}");
        assert!(matches!(prepared.score(frame.nrows()), Err(IcpError::Core(CoreError::OutOfRange { .. }))));
        assert!(matches!(
            icp.score_rows(&frame, 0..frame.nrows() + 1, true),
            Err(IcpError::Core(CoreError::ShapeMismatch { .. }))
        ));
    }
}

#[test]
fn cv_rows_are_a_seeded_stratified_subsample() {
    let y: Vec<bool> = (0..10_000).map(|i| i % 20 == 0).collect();
    let a = cv_rows(&y, 2000, 1);
    assert_eq!(a.len(), 2000);
    assert!(a.windows(2).all(|w| w[0] < w[1]), "ascending and distinct");
    assert_eq!(a.iter().filter(|&&i| y[i]).count(), 200, "5% would be 100: the floor of a tenth of the rows");
    assert_eq!(a, cv_rows(&y, 2000, 1));
    assert_ne!(a, cv_rows(&y, 2000, 2));
    // Proportional when the class is common enough.
    let y: Vec<bool> = (0..10_000).map(|i| i % 4 == 0).collect();
    assert_eq!(cv_rows(&y, 2000, 3).iter().filter(|&&i| y[i]).count(), 500);
    // A rare class keeps at least a tenth of the rows (all of it when smaller).
    let y: Vec<bool> = (0..100_000).map(|i| i % 1000 == 0).collect();
    assert_eq!(cv_rows(&y, 2000, 3).iter().filter(|&&i| y[i]).count(), 100);
    let y: Vec<bool> = (0..100_000).map(|i| i % 100 != 0).collect();
    let rows = cv_rows(&y, 2000, 3);
    assert_eq!((rows.len(), rows.iter().filter(|&&i| !y[i]).count()), (2000, 200));
    // No more rows than the cap: all of them.
    assert_eq!(cv_rows(&[true, false, true], 3, 0), vec![0, 1, 2]);
}

#[test]
fn bad_auto_parameters_are_typed_errors() {
    let (frame, y) = linear(300, 6);
    for p in
        [IcpParams::new().auto_margin(f64::NAN), IcpParams::new().auto_cv_folds(1), IcpParams::new().auto_cv_rows(5)]
    {
        assert!(matches!(p.fit(&frame, &y), Err(IcpError::Core(CoreError::InvalidParameter { .. }))));
    }
}
