//! Errors a user can act on: a missing or mistyped column names the column,
//! where it was looked for, what needs it and the columns there are; a rule
//! on the label is refused; old model files still load.

use acctscore::frame::{Column, ColumnKind};
use acctscore::icp::{IcpError, RuleProblem};
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore::{ModelFileError, NeededBy};

fn pool_frame(n: usize, seed: u64) -> Frame {
    let pool = PoolGenerator::new(n).seed(seed).generate();
    accounts_to_frame(&pool.accounts).expect("finite pool")
}

#[test]
fn a_missing_column_names_what_needs_it_and_what_the_frame_has() {
    let frame = pool_frame(3_000, 6);
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    assert_eq!(scorer.needed_by("employees"), [NeededBy::Icp, NeededBy::Revenue, NeededBy::Anomaly]);
    assert_eq!(scorer.needed_by("account_id"), [NeededBy::AccountId]);
    assert_eq!(scorer.needed_by("monthly_revenue_usd"), [NeededBy::Revenue, NeededBy::Anomaly]);
    assert_eq!(scorer.needed_by("country"), [NeededBy::Icp]);
    let small = frame.without(&["employees", "converted", "job_title_of_contact"]);
    let err = scorer.score_frame(&small, None).expect_err("employees is missing");
    match &err {
        acctscore::Error::Schema { column, expected, found, needed_by, available, origin } => {
            assert_eq!(column, "employees");
            assert_eq!((*expected, *found), (Some(ColumnKind::Numeric), None));
            assert_eq!(needed_by, &[NeededBy::Icp, NeededBy::Revenue, NeededBy::Anomaly]);
            assert_eq!(available, small.names());
            assert_eq!(origin, &None);
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "column `employees` (needed by the ICP model, the revenue estimate, the anomaly checks) is missing from \
         the frame; it has: account_id, industry, business_model, founded_year, funding_total_usd, \
         funding_last_round_days_ago, web_traffic_monthly, web_traffic_growth_90d, has_ecommerce, sku_avg_price, \
         conversion_rate, country, monthly_revenue_usd"
    );
    // The caller that read the frame from a file names it.
    let named = scorer.score_frame(&small, None).expect_err("still missing").in_origin("data/new_accounts.csv");
    assert!(
        named.to_string().contains("is missing from `data/new_accounts.csv`; it has: account_id, industry"),
        "{named}"
    );
}

#[test]
fn a_long_column_list_is_cut_at_twenty_names() {
    let frame = pool_frame(3_000, 6);
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    let mut cols: Vec<(String, Column)> =
        (0..30).map(|k| (format!("extra_{k:02}"), Column::numeric(vec![Some(1.0); frame.nrows()]))).collect();
    cols.extend(frame.names().iter().cloned().zip(frame.columns().iter().cloned()));
    let wide = Frame::new(cols).expect("valid").without(&["industry"]);
    let message = scorer.score_frame(&wide, None).expect_err("industry is missing").to_string();
    assert!(
        message.starts_with("column `industry` (needed by the ICP model, the revenue estimate, the anomaly checks)")
    );
    assert!(
        message.ends_with(
            "it has: extra_00, extra_01, extra_02, extra_03, extra_04, extra_05, extra_06, extra_07, \
         extra_08, extra_09, extra_10, extra_11, extra_12, extra_13, extra_14, extra_15, extra_16, extra_17, extra_18, \
         extra_19, and 25 more"
        ),
        "{message}"
    );
}

#[test]
fn a_column_of_another_kind_says_both_kinds_in_words() {
    let frame = pool_frame(3_000, 6);
    let mapping = ColumnMapping::pool().id("Prospect ID");
    let ids: Vec<String> = (0..frame.nrows()).map(|i| format!("p{i}")).collect();
    let with_id =
        with_column(&frame, "account_id", Column::text(ids.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>()));
    let names: Vec<String> =
        with_id.names().iter().map(|n| if n == "account_id" { "Prospect ID".into() } else { n.clone() }).collect();
    let train = Frame::new(names.into_iter().zip(with_id.columns().iter().cloned()).collect()).expect("valid");
    let scorer = ScorerParams::new().mapping(mapping).fit(&train).expect("fits");
    // Text and categorical read the same values: accepted, scored alike.
    let as_levels = with_column(&train, "Prospect ID", Column::categorical(ids.iter().map(|s| Some(s.as_str()))));
    assert_eq!(
        scorer.score_frame(&as_levels, None).expect("categorical ids"),
        scorer.score_frame(&train, None).expect("text ids")
    );
    // Numbers as text are not.
    let employees: Vec<Option<String>> = (0..train.nrows()).map(|i| Some(format!("{i} people"))).collect();
    let as_text = with_column(&train, "employees", Column::text(employees.iter().map(|s| s.as_deref())));
    let err = scorer.score_frame(&as_text, None).expect_err("another kind");
    assert!(matches!(
        &err,
        acctscore::Error::Schema { expected: Some(ColumnKind::Numeric), found: Some(ColumnKind::Text), .. }
    ));
    assert_eq!(
        err.in_origin("prospects.csv").to_string(),
        "column `employees`: expected numeric, found text in `prospects.csv` (needed by the ICP model, the revenue estimate, the anomaly checks)"
    );
}

#[test]
fn fitting_without_the_label_names_it_and_the_columns() {
    let frame = pool_frame(200, 1).without(&["converted"]);
    let err = ScorerParams::new().fit(&frame).expect_err("no label");
    let message = err.to_string();
    assert!(
        message.starts_with("column `converted` (needed by fitting, as the label) is missing from the frame; it has: account_id, industry"),
        "{message}"
    );
}

#[test]
fn a_rule_on_the_label_is_refused_when_the_scorer_fits() {
    let frame = pool_frame(600, 8);
    let rules = RuleSet::from_toml_str(
        "threshold = 10\n[[rules]]\nname = \"won\"\npoints = 50\nwhen = [{ field = \"converted\", min = 1 }]",
    )
    .expect("valid rules");
    let err = ScorerParams::new()
        .icp(IcpParams::new().family(FamilyChoice::Rules).rules(rules))
        .fit(&frame)
        .expect_err("the rule reads the label");
    assert!(
        matches!(&err, acctscore::Error::Icp(IcpError::InvalidRule { rule, field, problem: RuleProblem::ReadsTarget }) if rule == "won" && field == "converted"),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("rule `won`: field `converted` is the target column"), "{err}");
}

#[test]
fn a_rule_level_the_fit_data_lacks_is_a_warning_of_the_scorers_model() {
    let frame = pool_frame(600, 8);
    let rules = RuleSet::from_toml_str(
        "threshold = 10\n[[rules]]\nname = \"online_retail\"\npoints = 20\nwhen = [{ field = \"business_model\", one_of = [\"ecommerce\", \"e-comerce\"] }]",
    )
    .expect("valid rules");
    let scorer =
        ScorerParams::new().icp(IcpParams::new().family(FamilyChoice::Rules).rules(rules)).fit(&frame).expect("fits");
    let warnings: Vec<String> = scorer.icp().warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "rule `online_retail`: level `e-comerce` of field `business_model` never occurs in the fit data, so it never \
          matches there (check its spelling)"
        ]
    );
    // Kept in the model file.
    let back = Scorer::from_json(&scorer.to_json().expect("json")).expect("reads back");
    assert_eq!(back.icp().warnings(), scorer.icp().warnings());
}

fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

/// The model file with its body changed by `edit` and the checksum redone.
fn edited_file(json: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut env: serde_json::Value = serde_json::from_str(json).expect("json");
    let mut body: serde_json::Value = env["model"].take();
    edit(&mut body);
    let body = serde_json::to_string(&body).expect("body");
    env["checksum"] = fnv1a64(body.as_bytes()).into();
    env["model"] = serde_json::from_str(&body).expect("body");
    serde_json::to_string(&env).expect("file")
}

#[test]
fn a_model_file_without_the_needs_still_loads_and_still_names_the_column() {
    let frame = pool_frame(3_000, 6);
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    let old = edited_file(&scorer.to_json().expect("json"), |body| {
        body.as_object_mut().expect("object").remove("needs").expect("the file records the needs");
    });
    let loaded = Scorer::from_json(&old).expect("an older file loads");
    assert!(loaded.needed_by("employees").is_empty());
    let err = loaded.score_frame(&frame.without(&["employees"]), None).expect_err("missing");
    assert!(
        err.to_string()
            .starts_with("column `employees` (needed by the model) is missing from the frame; it has: account_id"),
        "{err}"
    );
    // Without the needs, a column is not taken for one read only as the id:
    // numbers where categories were fitted are still refused.
    let industry_as_numbers = with_column(&frame, "industry", Column::numeric(vec![Some(1.0); frame.nrows()]));
    let err = loaded.score_frame(&industry_as_numbers, None).expect_err("another kind");
    assert!(
        matches!(&err, acctscore::Error::Schema { column, expected: Some(ColumnKind::Categorical), found: Some(ColumnKind::Numeric), .. } if column == "industry"),
        "{err:?}"
    );
    // A body whose schema disagrees with the envelope's says so in words.
    let damaged = edited_file(&scorer.to_json().expect("json"), |body| {
        body["schema"].as_array_mut().expect("schema").remove(0);
    });
    let err = Scorer::from_json(&damaged).expect_err("schemas disagree");
    assert!(
        !matches!(
            err,
            acctscore::Error::ModelFile(ModelFileError::Envelope(acctscore::core::EnvelopeError::Checksum { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the model file's schema and its body disagree at column `account_id`: the file was edited or damaged"
    );
}

/// `frame` with `name` replaced by `column`.
fn with_column(frame: &Frame, name: &str, column: Column) -> Frame {
    frame.with_column(name, column).expect("valid frame")
}
