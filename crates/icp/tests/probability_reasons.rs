//! Reasons in probability units: they add up to the probability shown, keep
//! their signs, and are refused under a calibrator that decreases.

use acctscore_frame::{Column, Frame};
use acctscore_icp::IcpError;
use acctscore_icp::explain::{Explanation, Factor};
use acctscore_icp::propensity::{FamilyChoice, IcpParams};
use acctscore_icp::rules::RuleSet;

fn factor(code: &str, c: f64) -> Factor {
    Factor { code: code.into(), text: code.into(), contribution: c }
}

#[test]
fn the_split_adds_up_and_keeps_signs() {
    // raw = -2 + 1.5 - 0.25 + 0.75 = 0; p = σ(0) = 0.5; p0 = σ(-2).
    let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
    let e = Explanation::new(-2.0, vec![factor("a", 1.5), factor("b", -0.25), factor("other", 0.75)]);
    let p = e.in_probability(0.0, sigma(0.0), sigma(-2.0), 0.1);
    assert_eq!(p.baseline, sigma(-2.0));
    let total = p.baseline + p.factors.iter().map(|f| f.contribution).sum::<f64>();
    assert!((total - 0.5).abs() <= 1e-15, "{total}");
    let share = |code: &str| p.factors.iter().find(|f| f.code == code).map_or(f64::NAN, |f| f.contribution);
    assert!(share("a") > 0.0 && share("b") < 0.0 && share("other") > 0.0);
    // Each share is proportional to its raw contribution.
    let ratio = share("a") / share("b");
    assert!((ratio - 1.5 / -0.25).abs() < 1e-9);
    // At the baseline the slope there is used, and nothing is lost.
    let flat = Explanation::new(1.0, vec![factor("a", 0.5), factor("b", -0.5)]);
    let q = flat.in_probability(1.0, 0.7, 0.7, 0.2);
    assert_eq!(q.factors.iter().map(|f| f.contribution).collect::<Vec<_>>(), [0.1, -0.1]);
    // No factor at all, yet a probability away from the baseline: an `other` carries it.
    let bare = Explanation::new(0.0, Vec::new());
    let r = bare.in_probability(0.0, 0.4, 0.3, 0.0);
    assert_eq!(r.factors.len(), 1);
    assert!((r.baseline + r.factors[0].contribution - 0.4).abs() < 1e-15);
}

/// `x` in 0..10; converted exactly when `x < 5`; a rule that gives points
/// when `x >= 5`: the more points, the less likely to convert.
fn anti() -> (Frame, Vec<bool>, RuleSet) {
    let n = 400;
    let frame = Frame::new(vec![("x".into(), Column::numeric((0..n).map(|i| Some(f64::from(i % 10))).collect()))])
        .expect("frame");
    let y: Vec<bool> = (0..n).map(|i| i % 10 < 5).collect();
    let one_rule = r#"threshold = 10
        rules = [{ name = "high_x", points = 10, when = [{ field = "x", min = 5 }] }]"#;
    let rules = RuleSet::from_toml_str(one_rule).expect("rules");
    (frame, y, rules)
}

#[test]
fn a_decreasing_calibrator_is_refused_when_reasons_are_asked_for() {
    let (frame, y, rules) = anti();
    let params = IcpParams::new().family(FamilyChoice::Rules).rules(rules).folds(3);
    let err = params.clone().fit(&frame, &y).expect_err("Platt slope < 0");
    assert!(matches!(err, IcpError::NonMonotoneCalibrator { method: "platt" }), "{err:?}");
    assert!(err.to_string().contains("not non-decreasing"), "{err}");
    // Without reasons the model is fine: it ranks, it explains nothing.
    let fitted = params.top_reasons(0).fit(&frame, &y).expect("no reasons asked for");
    let scores = fitted.score_frame(&frame).expect("scores");
    assert!(scores[0].probability.get() > scores[5].probability.get());
}
