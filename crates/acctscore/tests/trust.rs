//! What a rep sees, checked on the generated pool: a leaked column left out
//! and reported, reasons that add up to the ICP probability for every
//! family, tiers that are bands of quality, and a calibrated revenue
//! probability where the revenue is unknown.

use acctscore::calibration::BinStrategy;
use acctscore::calibration::metrics::{expected_calibration_error, roc_auc};
use acctscore::features::encode::{NumericTransform, PipelineParams};
use acctscore::frame::{Column, Frame};
use acctscore::icp::propensity::{Family, FamilyChoice, IcpParams};
use acctscore::icp::rules::RuleSet;
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore::{GateAction, RevenueModel, RevenueSource, TierSource};

fn pool(n: usize, seed: u64) -> (Frame, acctscore::pool::GeneratedPool) {
    let pool = PoolGenerator::new(n).seed(seed).events(false).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    (frame, pool)
}

/// `frame` with one more column, before the label.
fn with_column(frame: &Frame, name: &str, column: Column) -> Frame {
    let mut cols: Vec<(String, Column)> = frame.names().iter().cloned().zip(frame.columns().iter().cloned()).collect();
    cols.insert(cols.len() - 1, (name.to_string(), column));
    Frame::new(cols).expect("valid frame")
}

fn icp(family: FamilyChoice) -> IcpParams {
    IcpParams::new()
        .family(family)
        .pipeline(PipelineParams::new().numeric_transform(NumericTransform::Log1pStandardize).max_levels(30))
        .folds(3)
}

#[test]
fn a_leaked_column_is_left_out_and_reported() {
    let (frame, pool) = pool(4_000, 11);
    // Non-zero only for converted accounts: the outcome in disguise.
    let arr: Vec<Option<f64>> = pool
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| Some(if a.converted == Some(true) { 5_000.0 + (i % 97) as f64 * 13.0 } else { 0.0 }))
        .collect();
    let leaky = with_column(&frame, "arr_usd", Column::numeric(arr));
    let scorer = ScorerParams::new().fit(&leaky).expect("fits");
    let report = scorer.fit_report();
    assert_eq!(report.left_out().collect::<Vec<_>>(), ["arr_usd"], "{report}");
    let gated = report.gated.iter().find(|g| g.column == "arr_usd").expect("reported");
    assert!(gated.auc > 0.95, "{gated:?}");
    assert!(!scorer.schema().iter().any(|(c, _)| c == "arr_usd"), "scoring must not need the leak");
    let scores = scorer.score_frame(&leaky, None).expect("scores");
    assert!(scores.iter().all(|s| s.reasons.iter().all(|r| !r.code.contains("arr_usd"))));
    // The report travels in the model file.
    let back = Scorer::from_json(&scorer.to_json().expect("json")).expect("reads");
    assert_eq!(back.fit_report(), report);
    // Kept on request: used, and still reported.
    let kept = ScorerParams::new().keep(["arr_usd"]).fit(&leaky).expect("fits");
    let g = kept.fit_report().gated.iter().find(|g| g.column == "arr_usd").expect("reported");
    assert_eq!(g.action, GateAction::KeptOnRequest);
    assert!(kept.schema().iter().any(|(c, _)| c == "arr_usd"));
    // A misspelt column to keep is an error naming it.
    let err = ScorerParams::new().keep(["arr_sud"]).fit(&leaky).expect_err("no such column");
    assert!(err.to_string().contains("arr_sud"), "{err}");
    // The plain pool loses no column to the gate.
    let plain = ScorerParams::new().fit(&frame).expect("fits");
    assert_eq!(plain.fit_report().left_out().count(), 0, "{}", plain.fit_report());
}

#[test]
fn reasons_add_up_to_the_icp_probability_for_every_family() {
    let (frame, _) = pool(3_000, 21);
    let rules = RuleSet::from_toml_str(include_str!("../../../examples/rules/icp_rules.toml")).expect("rules");
    let families = [
        (FamilyChoice::Logistic, Family::Logistic, icp(FamilyChoice::Logistic)),
        (FamilyChoice::Trees, Family::Trees, icp(FamilyChoice::Trees)),
        (FamilyChoice::Lookalike, Family::Lookalike, icp(FamilyChoice::Lookalike)),
        (FamilyChoice::Hybrid, Family::Hybrid, icp(FamilyChoice::Hybrid)),
        (FamilyChoice::Rules, Family::Rules, icp(FamilyChoice::Rules).rules(rules)),
        // Mined rules, with more reasons than factors for some rows.
        (FamilyChoice::Rules, Family::Rules, icp(FamilyChoice::Rules).top_reasons(8)),
    ];
    for (choice, family, params) in families {
        let scorer = ScorerParams::new().icp(params).fit(&frame).expect("fits");
        assert_eq!(scorer.icp().family(), family, "{choice:?}");
        let scores = scorer.score_frame(&frame, None).expect("scores");
        let mut moved = 0;
        for s in &scores {
            let sum: f64 = s.icp_baseline + s.reasons.iter().map(|r| r.contribution).sum::<f64>();
            let err = (sum - s.icp.get()).abs();
            assert!(
                err <= 1e-9,
                "{family:?} {}: baseline {} + reasons = {sum}, icp {}",
                s.account_id,
                s.icp_baseline,
                s.icp.get()
            );
            assert!(s.reasons.iter().all(|r| r.contribution.is_finite() && !r.text.is_empty()));
            moved += usize::from(s.reasons.iter().any(|r| r.contribution.abs() > 1e-6));
        }
        // One baseline per model, and the reasons carry the differences.
        assert!(scores.windows(2).all(|w| w[0].icp_baseline == w[1].icp_baseline), "{family:?}");
        assert!(moved > scores.len() / 2, "{family:?}: only {moved} rows with a non-zero reason");
        // A row whose probability is above the baseline has a positive sum of reasons.
        for s in &scores {
            let sum: f64 = s.reasons.iter().map(|r| r.contribution).sum();
            assert_eq!(sum > 1e-12, s.icp.get() - s.icp_baseline > 1e-12, "{family:?} {}", s.account_id);
        }
    }
}

#[test]
fn tiers_are_bands_of_quality() {
    let (frame, pool) = pool(5_000, 31);
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    let engagement: Vec<f64> = (0..frame.nrows()).map(|i| (i % 13) as f64 * 4.0).collect();
    let mut scores = scorer.score_frame(&frame, Some(&engagement)).expect("scores");
    let (a, b, c) = scorer.fit_report().tiers.cuts();
    assert!(a >= b && b >= c);
    assert!(matches!(scorer.fit_report().tier_source, TierSource::Shares { .. }));
    // Tier shares of the fit frame are about the documented 10/20/30/40%.
    let share = |t: char| scores.iter().filter(|s| s.tier == t).count() as f64 / scores.len() as f64;
    assert!((share('A') - 0.10).abs() < 0.02, "A {}", share('A'));
    assert!((share('B') - 0.20).abs() < 0.03, "B {}", share('B'));
    // Sorted by quality, the tier never improves again.
    scores.sort_by(|x, y| y.quality.total_cmp(&x.quality));
    assert!(scores.windows(2).all(|w| w[0].tier <= w[1].tier), "a tier improves down the quality order");
    // A large company with a tiny revenue is not a good account: never tier A or B.
    for s in scores.iter().filter(|s| s.revenue.as_ref().is_some_and(|r| r.in_range.get() < 0.01)) {
        assert!(s.tier >= 'C', "{} tier {} with P(revenue in range) < 1%", s.account_id, s.tier);
    }
    // The rules family: each tier's share equals its share at the [tiers] points.
    let rules = RuleSet::from_toml_str(include_str!("../../../examples/rules/icp_rules.toml")).expect("rules");
    let by_rules = ScorerParams::new().icp(icp(FamilyChoice::Rules).rules(rules.clone())).fit(&frame).expect("fits");
    let TierSource::RulePoints { shares, .. } = by_rules.fit_report().tier_source.clone() else {
        panic!("rules family: tiers from the rule points")
    };
    let bound = rules.bind(&frame).expect("binds");
    let t = rules.tiers();
    let at_a = (0..frame.nrows()).filter(|&i| bound.points(i) >= t.a).count() as f64 / frame.nrows() as f64;
    assert!((shares[0] - at_a).abs() < 1e-12);
    let rs = by_rules.score_frame(&frame, None).expect("scores");
    let got_a = rs.iter().filter(|s| s.tier == 'A').count() as f64 / rs.len() as f64;
    assert!((got_a - at_a).abs() < 0.02, "tier A {got_a} vs {at_a} at the points");
    drop(pool);
}

#[test]
fn revenue_probability_is_learned_and_calibrated_where_revenue_is_missing() {
    let (frame, pool) = pool(20_000, 41);
    let n = frame.nrows();
    let cut = n * 4 / 5;
    // Hide the reported revenue of the last 20%.
    let hidden: Vec<Option<f64>> =
        pool.accounts.iter().enumerate().map(|(i, a)| if i < cut { a.monthly_revenue_usd } else { None }).collect();
    let cols: Vec<(String, Column)> = frame
        .names()
        .iter()
        .cloned()
        .zip(frame.columns().iter().cloned())
        .map(
            |(name, c)| if name == "monthly_revenue_usd" { (name, Column::numeric(hidden.clone())) } else { (name, c) },
        )
        .collect();
    let frame = Frame::new(cols).expect("valid");
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    assert!(matches!(scorer.fit_report().revenue, RevenueModel::Learned { .. }), "{}", scorer.fit_report());
    let scores = scorer.score_frame(&frame, None).expect("scores");
    let (mut p, mut y) = (Vec::new(), Vec::new());
    for (s, a) in scores.iter().zip(&pool.accounts).skip(cut) {
        let Some(truth) = a.monthly_revenue_usd.filter(|t| *t > 0.0) else { continue };
        let r = s.revenue.as_ref().expect("revenue scored");
        assert_eq!(r.source, RevenueSource::Learned);
        if s.anomaly.as_ref().is_some_and(|x| x.penalty > 0.0) {
            continue;
        }
        p.push(r.in_range.get());
        y.push((10_000.0..=100_000.0).contains(&truth));
    }
    let auc = roc_auc(&p, &y).expect("auc");
    let ece = expected_calibration_error(&p, &y, 10, BinStrategy::Uniform).expect("ece");
    assert!(auc > 0.85, "AUC {auc}");
    assert!(ece < 0.03, "ECE {ece}");
    // An account with a trustworthy reported revenue keeps the reported figure's probability.
    for (s, a) in scores.iter().zip(&pool.accounts).take(cut) {
        let trusted =
            a.monthly_revenue_usd.is_some_and(|r| r > 0.0) && s.anomaly.as_ref().is_some_and(|x| x.penalty == 0.0);
        let source = s.revenue.as_ref().map(|r| r.source);
        assert_eq!(source == Some(RevenueSource::Reported), trusted, "{}: {source:?}", s.account_id);
    }
}

#[test]
fn scores_do_not_extrapolate_beyond_the_training_range() {
    let (frame, pool) = pool(3_000, 51);
    let scorer = ScorerParams::new().icp(icp(FamilyChoice::Logistic).top_reasons(8)).fit(&frame).expect("fits");
    let max = pool.accounts.iter().filter_map(|a| a.employees).fold(0.0, f64::max);
    assert!(max < 1e6);
    // Row 0 three times: as it is, with the largest head count seen, with 5 million.
    let rows = frame.take(&[0, 0, 0]);
    let cols: Vec<(String, Column)> = rows
        .names()
        .iter()
        .cloned()
        .zip(rows.columns().iter().cloned())
        .map(
            |(n, c)| {
                if n == "employees" { (n, Column::numeric(vec![Some(10.0), Some(max), Some(5e6)])) } else { (n, c) }
            },
        )
        .collect();
    let rows = Frame::new(cols).expect("valid");
    let s = scorer.score_frame(&rows, None).expect("scores");
    assert_eq!(s[2].icp, s[1].icp, "5 million employees must score as the largest head count seen");
    assert_eq!(s[2].icp_raw, s[1].icp_raw);
    let text = s[2].reasons.iter().find(|r| r.code.starts_with("employees")).map(|r| r.text.clone());
    let text = text.expect("employees among the reasons");
    assert!(text.contains("above the fitted range") && text.contains("5000000"), "{text}");
    assert!(s[1].reasons.iter().all(|r| !r.text.contains("fitted range")));
    // An implausible reported revenue ($1B a month) is doubted by the anomaly checks,
    // which say why: the probability then comes from the firmographics, lowered
    // by the penalty, not from the figure.
    let cols: Vec<(String, Column)> = rows
        .names()
        .iter()
        .cloned()
        .zip(rows.columns().iter().cloned())
        .map(|(n, c)| if n == "monthly_revenue_usd" { (n, Column::numeric(vec![Some(1e9); 3])) } else { (n, c) })
        .collect();
    let huge = scorer.score_frame(&Frame::new(cols).expect("valid"), None).expect("scores");
    let r = huge[0].revenue.as_ref().expect("revenue");
    let a = huge[0].anomaly.as_ref().expect("anomaly");
    assert_eq!(r.source, RevenueSource::Learned, "{a:?}");
    assert!(a.penalty > 0.0 && !a.messages.is_empty());
    assert!((r.in_range.get() - r.in_range_before_penalty.get() * (1.0 - a.penalty)).abs() < 1e-12);
    // The bounds travel in the model file.
    let back = Scorer::from_json(&scorer.to_json().expect("json")).expect("reads");
    assert_eq!(back.score_frame(&rows, None).expect("scores"), s);
}
