//! What `IcpParams::fit` tells a user about given rules: a rule on the
//! target column is refused, a level no fit row has is a warning.

use acctscore_frame::{Column, Frame};
use acctscore_icp::propensity::{FamilyChoice, FittedIcp, IcpParams};
use acctscore_icp::rules::RuleSet;
use acctscore_icp::{FitWarning, IcpError, RuleProblem};

/// 60 rows: industry (categorical), title (text), employees, and the label
/// `converted` (boolean) in the frame itself.
fn data() -> (Frame, Vec<bool>) {
    let n = 60;
    let industries = ["Software", "Retail", "Finance"];
    let titles = ["CEO", "intern", "CTO"];
    let y: Vec<bool> = (0..n).map(|i| i % 3 == 0 || i % 7 == 0).collect();
    let frame = Frame::new(vec![
        ("industry".into(), Column::categorical((0..n).map(|i| Some(industries[i % 3])))),
        ("title".into(), Column::text((0..n).map(|i| Some(titles[i % 3])).collect::<Vec<_>>())),
        ("employees".into(), Column::numeric((0..n).map(|i| Some(10.0 + i as f64)).collect())),
        ("converted".into(), Column::Boolean(y.iter().map(|&b| Some(b)).collect())),
    ])
    .expect("valid frame");
    (frame, y)
}

fn rules(text: &str) -> RuleSet {
    RuleSet::from_toml_str(&format!("threshold = 10\n{text}")).expect("valid rules")
}

fn fit(rules: RuleSet, target: Option<&str>) -> Result<FittedIcp, IcpError> {
    let (frame, y) = data();
    let mut p = IcpParams::new().family(FamilyChoice::Rules).folds(3).rules(rules);
    if let Some(t) = target {
        p = p.target_column(t);
    }
    p.fit(&frame, &y)
}

#[test]
fn a_rule_on_the_target_column_is_refused_at_fit_time() {
    let set = rules(
        "[[rules]]\nname = \"software\"\npoints = 10\nwhen = [{ field = \"industry\", one_of = [\"software\"] }]\n\
         [[rules]]\nname = \"already_won\"\npoints = 50\nany = [{ field = \"employees\", min = 1000 }, { field = \"converted\", is = true }]",
    );
    // Without the target's name the fit cannot tell (and the rule reads the answer).
    assert!(fit(set.clone(), None).is_ok());
    let err = fit(set, Some("converted")).expect_err("a rule reads the target");
    match &err {
        IcpError::InvalidRule { rule, field, problem: RuleProblem::ReadsTarget } => {
            assert_eq!((rule.as_str(), field.as_str()), ("already_won", "converted"));
        }
        other => panic!("expected ReadsTarget, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "rule `already_won`: field `converted` is the target column (the outcome the model learns), so the rule \
         would read the answer; remove the condition or test another field"
    );
}

#[test]
fn the_target_column_is_never_a_feature() {
    let (frame, y) = data();
    let icp = IcpParams::new()
        .family(FamilyChoice::Logistic)
        .min_positives(5)
        .folds(3)
        .target_column("converted")
        .fit(&frame, &y)
        .expect("fits");
    assert!(!icp.input_columns().contains(&"converted"), "{:?}", icp.input_columns());
}

#[test]
fn a_level_no_fit_row_has_is_a_warning_naming_the_rule_and_the_level() {
    let set = rules(
        "[[rules]]\nname = \"software\"\npoints = 10\nwhen = [{ field = \"industry\", one_of = [\" SOFTWARE\", \"Sofware\"] }]\n\
         [[rules]]\nname = \"exec\"\npoints = 5\nwhen = [{ field = \"title\", one_of = [\"ceo\", \"Chief Executive\"] }]\n\
         [[rules]]\nname = \"size\"\npoints = 5\nwhen = [{ field = \"employees\", min = 20 }]",
    );
    let icp = fit(set, Some("converted")).expect("fits");
    assert_eq!(
        icp.warnings(),
        [
            FitWarning::UnseenLevel { rule: "software".into(), field: "industry".into(), level: "Sofware".into() },
            FitWarning::UnseenLevel { rule: "exec".into(), field: "title".into(), level: "Chief Executive".into() },
        ]
    );
    assert_eq!(
        icp.warnings()[0].to_string(),
        "rule `software`: level `Sofware` of field `industry` never occurs in the fit data, so it never matches \
         there (check its spelling)"
    );
    // The warnings are part of the fitted model's serde data.
    let json = serde_json::to_string(&icp).expect("serialise");
    let back: FittedIcp = serde_json::from_str(&json).expect("read back");
    assert_eq!(back.warnings(), icp.warnings());
}

#[test]
fn a_model_without_warnings_writes_none_and_reads_older_files() {
    let set = rules(
        "[[rules]]\nname = \"software\"\npoints = 10\nwhen = [{ field = \"industry\", one_of = [\"software\"] }]",
    );
    let icp = fit(set, None).expect("fits");
    assert!(icp.warnings().is_empty());
    let json = serde_json::to_string(&icp).expect("serialise");
    // Older model files have no `warnings` key: they read with none.
    assert!(!json.contains("\"warnings\""));
    let back: FittedIcp = serde_json::from_str(&json).expect("read back");
    assert_eq!(back, icp);
}

#[test]
fn a_level_that_only_rows_left_out_of_the_fit_have_is_unseen() {
    // `take` keeps a categorical column's dictionary: a level with no row left is still unseen.
    let (frame, _) = data();
    let rows: Vec<usize> = (0..60).filter(|i| i % 3 != 2).collect();
    let part = frame.take(&rows);
    let set =
        rules("[[rules]]\nname = \"fin\"\npoints = 10\nwhen = [{ field = \"industry\", one_of = [\"finance\"] }]");
    assert_eq!(set.unseen_levels(&part).len(), 1);
    assert!(set.unseen_levels(&frame).is_empty());
}
