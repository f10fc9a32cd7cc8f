use super::*;

#[test]
fn grouped_auc_matches_pairs() {
    // scores 0.1 (neg), 0.4 (pos), 0.4 (neg), 0.9 (pos): pairs 4, wins 1 + 0.5 + 1 + 1 = 3.5.
    let g = vec![(0.1, 0, 1), (0.4, 1, 1), (0.9, 1, 0)];
    assert!((grouped_auc(g) - 3.5 / 4.0).abs() < 1e-12);
    assert_eq!(grouped_auc(vec![(0.3, 5, 0)]), 0.5);
}

#[test]
fn a_mass_point_is_a_bin_of_its_own() {
    // 0 for every negative, a positive amount for every positive (5%):
    // the quantile edges are all 0, yet the zeros must not share the
    // positives' bin, or the leak would score AUC 0.5.
    let n = 2000;
    let y: Vec<Option<f64>> = (0..n).map(|i| Some(f64::from(u8::from(i % 20 == 0)))).collect();
    let arr: Vec<Option<f64>> = (0..n).map(|i| Some(if i % 20 == 0 { 1000.0 + f64::from(i) } else { 0.0 })).collect();
    // The mirror image: a mass at the maximum.
    let cap: Vec<Option<f64>> = (0..n).map(|i| Some(if i % 20 == 0 { f64::from(i) / 100.0 } else { 50.0 })).collect();
    let frame = Frame::new(vec![
        ("y".into(), Column::numeric(y)),
        ("arr_usd".into(), Column::numeric(arr)),
        ("cap".into(), Column::numeric(cap)),
    ])
    .expect("valid");
    let report = QualityReport::compute(&frame, &Target::new("y"), &QualityParams::default()).expect("ok");
    for name in ["arr_usd", "cap"] {
        let c = report.column(name).expect("reported");
        assert!(c.auc > 0.99, "{name}: AUC {}", c.auc);
        assert!(c.flags.contains(&Flag::Leakage), "{name}: {:?}", c.flags);
    }
    assert_eq!(
        report.column("arr_usd").and_then(|c| c.separating_value.as_ref()).map(|v| v.value.as_str()),
        Some("[0]")
    );
}

#[test]
fn settings_are_validated() {
    let frame = toy();
    let target = Target::new("stage").positive("Won").ignore(["Open"]);
    let with = |f: &dyn Fn(&mut QualityParams)| {
        let mut p = QualityParams::default();
        f(&mut p);
        QualityReport::compute(&frame, &target, &p)
    };
    let name_of = |r: Result<QualityReport>| match r {
        Err(FeaturesError::Core(acctscore_core::CoreError::InvalidParameter { name, .. })) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(name_of(with(&|p| p.leakage_auc = f64::NAN)), "leakage_auc");
    assert_eq!(name_of(with(&|p| p.suspect_auc = 0.3)), "suspect_auc");
    assert_eq!(name_of(with(&|p| p.suspect_auc = 0.95)), "suspect_auc");
    assert_eq!(name_of(with(&|p| p.sparse_share = -0.1)), "sparse_share");
    assert_eq!(name_of(with(&|p| p.value_contamination = f64::INFINITY)), "value_contamination");
    assert_eq!(name_of(with(&|p| p.folds = 1)), "folds");
    assert!(with(&|_| {}).is_ok());
}

#[test]
fn folds_are_stratified_and_fixed() {
    let y: Vec<bool> = (0..103).map(|i| i % 4 == 0).collect();
    let a = stratified_folds(&y, 5, 42);
    assert_eq!(a, stratified_folds(&y, 5, 42));
    assert_ne!(a, stratified_folds(&y, 5, 43));
    for f in 0..5u8 {
        let pos = y.iter().zip(&a).filter(|(l, g)| **l && **g == f).count();
        assert!((5..=6).contains(&pos), "fold {f} has {pos} positives");
    }
}

fn toy() -> Frame {
    let n = 400;
    let y: Vec<Option<&str>> = (0..n)
        .map(|i| {
            Some(if i % 3 == 0 {
                "Won"
            } else if i % 7 == 0 {
                "Open"
            } else {
                "Lost"
            })
        })
        .collect();
    let filled_if_won: Vec<Option<f64>> = (0..n).map(|i| if i % 3 == 0 { Some(i as f64) } else { None }).collect();
    let id: Vec<Option<String>> = (0..n).map(|i| Some(format!("id{i}"))).collect();
    let seq: Vec<Option<f64>> = (0..n).map(|i| Some(1000.0 + i as f64)).collect();
    let form: Vec<Option<&str>> = (0..n).map(|i| Some(if i % 4 == 0 { "Select" } else { "Finance" })).collect();
    let constant: Vec<Option<bool>> = (0..n).map(|_| Some(true)).collect();
    Frame::new(vec![
        ("stage".into(), Column::categorical(y)),
        ("close_value".into(), Column::numeric(filled_if_won)),
        ("id".into(), Column::text(id)),
        ("seq".into(), Column::numeric(seq)),
        ("form".into(), Column::categorical(form)),
        ("constant".into(), Column::Boolean(constant)),
    ])
    .expect("frame")
}

#[test]
fn flags_follow_the_definitions() {
    let t = Target::new("stage").positive("won").ignore(["Open"]);
    let r = QualityReport::compute(&toy(), &t, &QualityParams::default()).expect("report");
    assert!(r.ignored_rows > 0);
    let flags = |c: &str| r.column(c).expect("column").flags.clone();
    assert!(flags("close_value").contains(&Flag::Leakage));
    assert!(flags("close_value").contains(&Flag::Sparse));
    assert!(flags("id").contains(&Flag::IdLike));
    assert!(flags("id").contains(&Flag::HighCardinality));
    assert!(flags("seq").contains(&Flag::IdLike));
    assert!(flags("form").contains(&Flag::Placeholder));
    assert!(flags("constant").contains(&Flag::Constant));
    assert!(r.column("stage").is_none());
    let again = QualityReport::compute(&toy(), &t, &QualityParams::default()).expect("report");
    assert_eq!(r, again);
    let json = serde_json::to_string(&r).expect("ser");
    assert_eq!(serde_json::from_str::<QualityReport>(&json).expect("de"), r);
    let table = r.to_string();
    assert!(table.contains("close_value") && table.contains("leakage"));
}

#[test]
fn one_class_and_missing_target_are_errors() {
    let t = Target::new("stage").positive("nothing");
    assert!(matches!(
        QualityReport::compute(&toy(), &t, &QualityParams::default()),
        Err(FeaturesError::Core(acctscore_core::CoreError::SingleClass { .. }))
    ));
    assert!(QualityReport::compute(&toy(), &Target::new("zz"), &QualityParams::default()).is_err());
}

#[test]
fn a_target_of_three_values_needs_its_positive_value() {
    let y: Vec<Option<f64>> = (0..12).map(|i| Some(f64::from(i % 3))).chain([Some(1.0), None]).collect();
    let frame = Frame::new(vec![("y".into(), Column::numeric(y))]).expect("frame");
    match Target::new("y").labels(&frame) {
        Err(FeaturesError::TargetValues { column, counts }) => {
            assert_eq!(column, "y");
            assert_eq!(counts, [("1".to_string(), 5), ("0".to_string(), 4), ("2".to_string(), 4)]);
        }
        other => panic!("expected TargetValues, got {other:?}"),
    }
    let e = Target::new("y").labels(&frame).expect_err("three values");
    assert_eq!(
        e.to_string(),
        "target `y` has more than two values (1: 5 rows, 0: 4 rows, 2: 4 rows); say which value is positive"
    );
    // Declared, every other value is negative.
    let labels = Target::new("y").positive("2").labels(&frame).expect("declared");
    assert_eq!(labels.iter().flatten().filter(|b| **b).count(), 4);
    assert_eq!(labels.iter().flatten().count(), 13);
    // Ignoring the third value leaves two: the default positive is fine.
    assert!(Target::new("y").ignore(["2"]).labels(&frame).is_ok());
}
