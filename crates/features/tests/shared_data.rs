//! The real datasets of `../shared/data`: the report must find their traps.
//!
//! The data is found at `<workspace root>/../shared` (or `$ACCTSCORE_SHARED`);
//! when absent the tests print a notice and pass, unless
//! `ACCTSCORE_REQUIRE_SHARED=1`, when they fail.
#![cfg(feature = "csv")]

use acctscore_features::encode::PipelineParams;
use acctscore_features::quality::{Flag, QualityParams, QualityReport, Target};
use acctscore_frame::csv::{CsvOptions, load_path};
use acctscore_frame::{ColumnKind, Frame};

fn report(frame: &Frame, target: Target) -> QualityReport {
    QualityReport::compute(frame, &target, &QualityParams::default()).expect("report")
}

fn has(r: &QualityReport, column: &str, flag: Flag) -> bool {
    r.column(column).unwrap_or_else(|| panic!("column {column} reported")).flags.contains(&flag)
}

#[test]
fn x_education_leads() {
    let Some(dir) = acctscore_testkit::shared_dir() else { return };
    let frame = Frame::from_csv_path(dir.join("data/x_education/leads_train.csv"), &CsvOptions::new()).expect("load");
    assert_eq!(frame.nrows(), 6468);
    assert_eq!(frame.column("Converted").expect("target").kind(), ColumnKind::Numeric);
    let r = report(&frame, Target::new("Converted"));
    assert!(has(&r, "Tags", Flag::Leakage), "Tags is written after the outcome");
    assert!(has(&r, "Prospect ID", Flag::IdLike));
    assert!(has(&r, "Lead Number", Flag::IdLike));
    assert!(has(&r, "Magazine", Flag::Constant));
    for c in ["Specialization", "How did you hear about X Education", "Lead Profile", "City"] {
        assert!(has(&r, c, Flag::Placeholder), "{c} holds `Select`");
    }
    assert!(has(&r, "Asymmetrique Activity Score", Flag::Sparse));
    // A model-ready matrix from the columns the report did not flag as leaky or IDs.
    let drop: Vec<&str> = r
        .columns
        .iter()
        .filter(|c| c.flags.iter().any(|f| matches!(f, Flag::Leakage | Flag::IdLike)))
        .map(|c| c.name.as_str())
        .chain(["Converted"])
        .collect();
    let p = PipelineParams::new().exclude(drop).fit(&frame).expect("fit");
    let x = p.transform(&frame).expect("transform");
    assert_eq!(x.nrows(), 6468);
    assert!(x.iter().all(|v| v.is_finite()));
}

#[test]
fn bank_marketing() {
    let Some(dir) = acctscore_testkit::shared_dir() else { return };
    let load = load_path(dir.join("data/bank_marketing/bank_train.csv"), &CsvOptions::new()).expect("load");
    assert_eq!(load.report.delimiter, b';', "detected");
    assert_eq!(load.frame.column("y").expect("y").kind(), ColumnKind::Boolean);
    let r = report(&load.frame, Target::new("y").positive("yes"));
    assert!(r.positives > 2000 && r.negatives > 30_000);
    let duration = r.column("duration").expect("duration");
    assert!(duration.auc >= 0.80, "duration is only known after the call: {}", duration.auc);
    assert!(has(&r, "pdays", Flag::Placeholder), "-1 means never contacted");
    assert!(has(&r, "poutcome", Flag::Placeholder));
    assert!(has(&r, "contact", Flag::Placeholder));
    assert!(!has(&r, "age", Flag::Leakage));
}

#[test]
fn maven_crm_pipeline() {
    let Some(dir) = acctscore_testkit::shared_dir() else { return };
    let frame = Frame::from_csv_path(dir.join("data/maven_crm/sales_pipeline.csv"), &CsvOptions::new()).expect("load");
    assert_eq!(frame.column("close_date").expect("date").kind(), ColumnKind::Timestamp);
    let r = report(&frame, Target::new("deal_stage").positive("Won").ignore(["Engaging", "Prospecting"]));
    assert_eq!(r.rows + r.ignored_rows, 8800);
    assert!(has(&r, "close_value", Flag::Leakage), "close_value is 0 for every lost deal");
    assert!(has(&r, "opportunity_id", Flag::IdLike));
    assert!(!has(&r, "product", Flag::Leakage));
}
