use super::*;
use crate::propensity::{FamilyChoice, IcpParams, IcpScore};
use acctscore_core::numeric::SplitMix64;
use acctscore_features::encode::{NumericTransform, PipelineParams};
use acctscore_frame::Column;
use proptest::prelude::*;

/// A pool-like frame: heavy-tailed counts with missing values, a
/// fractional number, a signed growth rate, industries with case
/// variants, rare levels and missing values, many countries, a flag with
/// missing values, a timestamp, a constant number and an all-false flag
/// (exact ties at 0), free text (not a feature). `shift` moves the mix
/// so that a scoring frame has unseen levels and other dictionaries.
fn pool(n: usize, seed: u64, shift: usize) -> (Frame, Vec<bool>) {
    let mut rng = SplitMix64::new(seed);
    let industries = ["Software", "retail", "Finance", "Health", "Energy", "Mining", "Toys"];
    let mut cols: [Vec<Option<f64>>; 5] = Default::default();
    let (mut ind, mut country, mut eco, mut seen, mut text, mut off, mut y) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let u = rng.next_f64();
        let employees = (u * 9.0).exp().round();
        let missing = rng.next_f64() < 0.1;
        let revenue = (rng.next_f64() * 12.0).exp() * 1.37;
        let growth = rng.next_f64() * 2.0 - 0.7;
        // Rare levels: Mining and Toys seldom; an unseen level in shifted frames.
        let r = rng.next_u64() % 100;
        let k = if r < 3 {
            5
        } else if r < 4 {
            6
        } else {
            (r % 5) as usize
        };
        let industry = match (rng.next_f64(), shift) {
            (v, _) if v < 0.05 => None,
            (v, s) if v < 0.08 && s > 0 => Some("Quantum".to_string()),
            (v, _) if v < 0.5 => Some(industries[k].to_uppercase()),
            _ => Some(format!(" {} ", industries[k])),
        };
        let ecommerce = match rng.next_f64() {
            v if v < 0.07 => None,
            v => Some(v < 0.45),
        };
        let mut z = -1.5 + if missing { -0.5 } else { 0.3 * employees.ln_1p() - 1.0 };
        z += [0.9, -0.8, 0.2, 0.0, -0.2, 1.0, -1.0][k] + 0.4 * growth;
        z -= if ecommerce == Some(true) { 0.6 } else { 0.0 };
        cols[0].push((!missing).then_some(employees));
        cols[1].push((rng.next_f64() > 0.15 || shift == 0).then_some(revenue));
        cols[2].push(Some(growth));
        cols[3].push(Some(3.0));
        cols[4].push((i % 11 != 0).then_some(rng.next_f64().round()));
        ind.push(industry);
        country.push(Some(format!("c{}", (rng.next_u64() % 60 + shift as u64) % 70)));
        eco.push(ecommerce);
        seen.push((i % 13 != 0).then_some(1_700_000_000 - (rng.next_u64() % 900) as i64 * 86_400));
        text.push(Some(format!("note {i}")));
        off.push(Some(false));
        y.push(rng.next_f64() < 1.0 / (1.0 + (-z).exp()));
    }
    let [emp, rev, growth, constant, half] = cols;
    let mut columns = vec![
        ("note".to_string(), Column::text(text)),
        ("employees".to_string(), Column::numeric(emp)),
        ("industry".to_string(), Column::categorical(ind)),
        ("revenue".to_string(), Column::numeric(rev)),
        ("growth".to_string(), Column::numeric(growth)),
        ("has_ecommerce".to_string(), Column::Boolean(eco)),
        ("country".to_string(), Column::categorical(country)),
        ("last_seen".to_string(), Column::Timestamp(seen)),
        ("constant".to_string(), Column::numeric(constant)),
        ("off".to_string(), Column::Boolean(off)),
        ("coin".to_string(), Column::numeric(half)),
    ];
    // Scoring frames may list their columns in another order.
    if shift > 0 {
        columns.reverse();
    }
    (Frame::new(columns).expect("valid frame"), y)
}

/// Checks every row of `frame`: the prepared score against the reference
/// scorer's (design rows, the models' own arithmetic, explanations with
/// strings) — bit for bit for the families scored on design rows, and
/// [`FittedIcp::score_rows`] equal to the prepared scores with strings.
fn assert_agrees(icp: &FittedIcp, frame: &Frame) {
    let prepared = icp.prepare(frame).expect("prepares");
    let slow: Vec<IcpScore> = icp.reference_rows(frame, 0..frame.nrows()).expect("reference");
    let with_strings = icp.score_rows(frame, 0..frame.nrows(), true).expect("scores");
    if !matches!(icp.family(), Family::Logistic | Family::Rules) {
        assert_eq!(with_strings, slow, "{:?}: the reference arithmetic, bit for bit", icp.family());
    }
    let fast = prepared.score_rows(0..frame.nrows()).expect("fast path");
    assert_eq!(fast.len(), slow.len());
    for (i, (f, s)) in fast.iter().zip(&slow).enumerate() {
        assert!((f.raw - s.raw).abs() <= 1e-9, "row {i}: raw {} vs {}", f.raw, s.raw);
        assert!((f.probability.get() - s.probability.get()).abs() <= 1e-12, "row {i}: probability");
        assert_eq!(f.tier, s.tier, "row {i}");
        assert_eq!(f, &prepared.score(i).expect("in range"), "row {i}: batch vs one");
        let e = prepared.explanation(i, f);
        assert_eq!((f.raw, &e), (with_strings[i].raw, &with_strings[i].explanation), "row {i}");
        assert_eq!(e.baseline, s.explanation.baseline, "row {i}");
        let codes = |e: &Explanation| e.factors.iter().map(|f| (f.code.clone(), f.text.clone())).collect::<Vec<_>>();
        assert_eq!(codes(&e), codes(&s.explanation), "row {i}");
        for (a, b) in e.factors.iter().zip(&s.explanation.factors) {
            assert!((a.contribution - b.contribution).abs() <= 1e-9, "row {i}: {a:?} vs {b:?}");
        }
        // Indices name the same factors as strings.
        for r in f.reasons() {
            let (code, text) = prepared.label(r.factor).expect("a factor of the model");
            let exact = prepared.factor(i, r).expect("a factor of the model");
            assert_eq!(code, exact.code, "row {i}");
            // A value beyond the fitted range is named after the bin's text;
            // a hybrid's signal (a group after the source columns and rules)
            // shows the row's value after its name.
            let signal = icp.family() == Family::Hybrid
                && r.factor.group as usize
                    >= icp.pipeline().input_columns().len() + icp.rules().map_or(0, |r| r.rules().len());
            let tail = if signal { format!("{text} ") } else { format!("{text} (") };
            assert!(exact.text == text || exact.text.starts_with(&tail), "row {i}: {}", exact.text);
        }
        let total =
            prepared.baseline() + f.reasons().iter().map(|r| r.contribution).sum::<f64>() + f.other().unwrap_or(0.0);
        assert!((total - f.raw).abs() <= 1e-9, "row {i}: baseline + reasons + other = raw");
        assert!(f.reasons().len() <= prepared.top_reasons(), "row {i}");
    }
    assert_probabilities_exact(&prepared);
}

/// `probabilities_into` gives `score(i)`'s probability bit for bit, on
/// the whole frame and on a range inside it.
fn assert_probabilities_exact(prepared: &PreparedIcp<'_>) {
    let n = prepared.nrows();
    let mut all = vec![f64::NAN; n];
    prepared.probabilities_into(0..n, &mut all).expect("probabilities");
    for (i, p) in all.iter().enumerate() {
        let score = prepared.score(i).expect("in range").probability.get();
        assert_eq!(p.to_bits(), score.to_bits(), "row {i}: probability {p} vs score {score}");
    }
    let rows = n / 3..n - n / 5;
    let mut some = vec![f64::NAN; rows.len()];
    prepared.probabilities_into(rows.clone(), &mut some).expect("probabilities");
    let bits = |v: &[f64]| v.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&some), bits(&all[rows]));
}

fn logistic(k: usize, transform: NumericTransform) -> IcpParams {
    IcpParams::new()
        .family(FamilyChoice::Logistic)
        .min_positives(20)
        .pipeline(PipelineParams::new().numeric_transform(transform).max_levels(25))
        .folds(3)
        .top_reasons(k)
}

#[test]
fn logistic_agrees_with_score_rows_on_training_and_new_frames() {
    let (train, y) = pool(1500, 1, 0);
    let (new, _) = pool(700, 2, 3);
    for (k, t) in [
        (3, NumericTransform::Log1pStandardize),
        (1, NumericTransform::Standardize),
        (0, NumericTransform::Log1pStandardize),
    ] {
        let icp = logistic(k, t).fit(&train, &y).expect("fits");
        assert_eq!(icp.family(), Family::Logistic);
        assert_agrees(&icp, &train);
        assert_agrees(&icp, &new);
    }
    // Exact ties (the constant and all-false columns contribute 0) at the cut.
    let icp = logistic(6, NumericTransform::Log1pStandardize)
        .exclude(["country", "revenue", "last_seen"])
        .fit(&train, &y)
        .expect("fits");
    let prepared = icp.prepare(&new).expect("prepares");
    let zeros = prepared.score(0).expect("row").reasons().iter().filter(|r| r.contribution == 0.0).count();
    // Seven factors, six kept: the tie at the cut goes to the earlier column.
    assert_eq!(zeros, 1);
    assert_agrees(&icp, &new);
    // All factors kept: no `other`.
    let icp = logistic(MAX_REASONS, NumericTransform::Log1pStandardize).fit(&train, &y).expect("fits");
    let prepared = icp.prepare(&new).expect("prepares");
    assert!(prepared.n_groups() <= MAX_REASONS + 2);
    assert_agrees(&icp, &new);
}

#[test]
fn rules_agree_with_score_rows_ties_by_code() {
    let (train, y) = pool(1500, 3, 0);
    let (new, _) = pool(500, 4, 2);
    // Mined rules.
    for k in [0, 2, 3] {
        let icp = IcpParams::new().family(FamilyChoice::Rules).folds(3).top_reasons(k).fit(&train, &y).expect("fits");
        assert_eq!(icp.family(), Family::Rules);
        assert_agrees(&icp, &train);
        assert_agrees(&icp, &new);
    }
    // Given rules with equal points: ties go by code, not by file order.
    let rules = RuleSet::from_toml_str(
        r#"
        threshold = 10
        [[rules]]
        name = "zz_online"
        points = 10
        when = [{ field = "has_ecommerce", is = true }]
        [[rules]]
        name = "aa_big"
        points = -10
        when = [{ field = "employees", min = 50 }]
        [[rules]]
        name = "mm_software"
        points = 10
        when = [{ field = "industry", one_of = ["software"] }]
        [[rules]]
        name = "bb_unknown"
        points = 2.5
        when = [{ field = "revenue", missing = true }]
        "#,
    )
    .expect("rules");
    // These rules are unrelated to the labels, so Platt's slope may come out
    // negative (refused when reasons are asked for); isotonic never decreases.
    let iso = acctscore_calibration::CalibrationMethod::Isotonic(acctscore_calibration::IsotonicParams::new());
    for k in [1, 2, 4] {
        let icp = IcpParams::new()
            .family(FamilyChoice::Rules)
            .rules(rules.clone())
            .calibration(iso.clone())
            .folds(3)
            .top_reasons(k)
            .fit(&train, &y)
            .expect("fits");
        assert_agrees(&icp, &new);
    }
}

#[test]
fn trees_lookalike_and_hybrid_equal_the_reference() {
    let (train, y) = pool(1200, 7, 0);
    let (new, _) = pool(400, 8, 2);
    // Look-alike may see little signal: Platt's slope could come out
    // negative, which reasons refuse; isotonic never decreases.
    let iso = acctscore_calibration::CalibrationMethod::Isotonic(acctscore_calibration::IsotonicParams::new());
    for (choice, family) in [
        (FamilyChoice::Trees, Family::Trees),
        (FamilyChoice::Lookalike, Family::Lookalike),
        (FamilyChoice::Hybrid, Family::Hybrid),
    ] {
        for k in [0, 2, MAX_REASONS] {
            let mut params =
                IcpParams::new().family(choice).calibration(iso.clone()).min_positives(20).folds(3).top_reasons(k);
            if family == Family::Hybrid {
                params = params.signals(["coin", "has_ecommerce"]);
            }
            let icp = params.fit(&train, &y).expect("fits");
            assert_eq!(icp.family(), family);
            assert_agrees(&icp, &train);
            assert_agrees(&icp, &new);
        }
    }
    // Exact ties at 0 between a source column, a signal and other columns
    // (the all-false `off` flag, as a column and as a signal; the constant
    // column), ordered by code as the reference orders them.
    for k in [MAX_REASONS, 3] {
        let icp = IcpParams::new()
            .family(FamilyChoice::Hybrid)
            .min_positives(20)
            .folds(3)
            .top_reasons(k)
            .signals(["off", "coin"])
            .exclude(["country", "revenue", "last_seen", "growth"])
            .fit(&train, &y)
            .expect("fits");
        let zeros = icp.score_rows(&new, 0..1, true).expect("row")[0]
            .explanation
            .factors
            .iter()
            .filter(|f| f.contribution == 0.0)
            .count();
        assert!(zeros >= 1 || k < MAX_REASONS, "a tie at 0 at the cut of the kept reasons");
        assert_agrees(&icp, &train);
        assert_agrees(&icp, &new);
    }
}

#[test]
fn bad_rows_and_too_many_reasons_are_errors() {
    let (train, y) = pool(600, 5, 0);
    let many = logistic(MAX_REASONS + 1, NumericTransform::Standardize).fit(&train, &y);
    assert!(
        matches!(many, Err(IcpError::Core(CoreError::ParameterOutOfRange { name: "top_reasons", .. }))),
        "{many:?}"
    );
    let icp = logistic(3, NumericTransform::Standardize).fit(&train, &y).expect("fits");
    // A model file asking for more reasons than a score carries is refused.
    let json = serde_json::to_string(&icp).expect("serialises").replace(r#""top_reasons":3"#, r#""top_reasons":9"#);
    let edited: FittedIcp = serde_json::from_str(&json).expect("reads");
    assert!(edited.validate().is_err());
    assert!(matches!(edited.prepare(&train), Err(IcpError::InvalidModel { part: "top reasons", index: 9 })));
    let prepared = icp.prepare(&train).expect("prepares");
    assert!(prepared.score(train.nrows()).is_err());
    assert!(prepared.score_into(0..10, &mut [FastScore::default(); 9]).is_err());
    assert!(prepared.score_rows(0..train.nrows() + 1).is_err());
    assert!(prepared.probabilities_into(0..10, &mut [0.0; 9]).is_err());
    assert!(prepared.probabilities_into(0..train.nrows() + 1, &mut vec![0.0; train.nrows() + 1]).is_err());
    let empty = train.nrows()..train.nrows();
    assert!(prepared.probabilities_into(empty, &mut []).is_ok());
    assert!(prepared.label(FactorId { group: 1000, bin: 0 }).is_none());
    // A frame without a fitted column is an error, as for score_rows.
    let partial = train.without(&["industry"]);
    assert!(icp.prepare(&partial).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn prepared_scores_agree_with_score_rows(seed in 0u64..10_000, k in 0usize..=MAX_REASONS, log in any::<bool>()) {
        let (train, y) = pool(800, seed, 0);
        let (new, _) = pool(300, seed + 1, 1 + (seed % 4) as usize);
        let t = if log { NumericTransform::Log1pStandardize } else { NumericTransform::Standardize };
        let icp = logistic(k, t).fit(&train, &y).expect("fits");
        assert_agrees(&icp, &train);
        assert_agrees(&icp, &new);
    }

    #[test]
    fn probabilities_equal_scores_bit_for_bit(seed in 0u64..10_000, k in 0usize..=MAX_REASONS, rules in any::<bool>()) {
        let (train, y) = pool(600, seed, 0);
        let (new, _) = pool(400, seed + 1, 1 + (seed % 4) as usize);
        let params = if rules {
            IcpParams::new().family(FamilyChoice::Rules).folds(3).top_reasons(k)
        } else {
            logistic(k, NumericTransform::Log1pStandardize)
        };
        let icp = params.fit(&train, &y).expect("fits");
        prop_assert_eq!(icp.family(), if rules { Family::Rules } else { Family::Logistic });
        for frame in [&train, &new] {
            assert_probabilities_exact(&icp.prepare(frame).expect("prepares"));
        }
    }
}
