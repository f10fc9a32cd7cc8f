//! Every loaded model part validates itself, as at fit time. Each case edits
//! a saved model file's body and recomputes its checksum
//! (`acctscore::core::envelope::reseal`), so only validation can catch the
//! edit, and asserts the exact error.

use acctscore::calibration::{BinningParams, CalibrationMethod, IsotonicParams};
use acctscore::core::envelope::{self, reseal};
use acctscore::core::{EnvelopeError, InvalidModel, Problem};
use acctscore::icp::propensity::{FamilyChoice, IcpParams};
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore::{Error, MODEL_FORMAT_NAME, MODEL_READABLE_VERSIONS, ModelFileError};
use serde_json::Value;
use std::sync::OnceLock;

/// The golden model file (rules family, Platt calibrator, segments, a
/// learned revenue model).
fn golden() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scorer_v2.json");
    std::fs::read_to_string(path).expect("golden model file")
}

/// A logistic scorer's model file.
fn logistic() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let pool = PoolGenerator::new(3_000).seed(23).generate();
        let frame = accounts_to_frame(&pool.accounts).expect("frame");
        let scorer =
            ScorerParams::new().icp(IcpParams::new().family(FamilyChoice::Logistic)).fit(&frame).expect("fits");
        scorer.to_json().expect("json")
    })
}

/// `json` with its body edited by `edit` and a matching checksum.
fn edited(json: &str, edit: impl FnOnce(&mut Value)) -> String {
    let opened = envelope::open(json, MODEL_FORMAT_NAME, &MODEL_READABLE_VERSIONS).expect("opens");
    let mut body: Value = serde_json::from_str(opened.body_json()).expect("body");
    edit(&mut body);
    reseal(json, &serde_json::to_string(&body).expect("json")).expect("reseals")
}

fn invalid(json: &str) -> InvalidModel {
    match Scorer::from_json(json) {
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Invalid(i)))) => i,
        other => panic!("expected an invalid model, got {other:?}"),
    }
}

fn malformed(json: &str) -> String {
    match Scorer::from_json(json) {
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Malformed { reason, .. }))) => reason,
        other => panic!("expected a malformed model, got {other:?}"),
    }
}

#[test]
fn an_unedited_body_passes_through_the_edit_helper() {
    for json in [golden(), logistic().to_string()] {
        let same = edited(&json, |_| {});
        Scorer::from_json(&same).expect("a re-serialised body still loads");
    }
}

#[test]
fn inverted_icp_tier_cuts() {
    let json = edited(&golden(), |m| {
        let t = &mut m["icp"]["tiers"];
        let (a, c) = (t["a"].clone(), t["c"].clone());
        t["a"] = c;
        t["c"] = a;
    });
    assert_eq!(invalid(&json), InvalidModel::new("icp model", "tiers", Problem::NotSorted { index: 1 }));
    let json = edited(&golden(), |m| m["icp"]["tiers"]["a"] = 1.5.into());
    assert_eq!(
        invalid(&json),
        InvalidModel::new("icp model", "tiers", Problem::OutOfRange { value: 1.5, min: 0.0, max: 1.0 })
    );
}

#[test]
fn inverted_quality_tiers() {
    // QualityTiers validate through serde (`try_from`): the refusal is
    // Malformed with the tiers' own reason.
    let json = edited(&golden(), |m| {
        let t = &mut m["report"]["tiers"];
        let (a, c) = (t["a"].clone(), t["c"].clone());
        t["a"] = c;
        t["c"] = a;
    });
    let reason = malformed(&json);
    assert!(reason.starts_with("model: "), "{reason}");
    assert!(reason.contains("tier"), "{reason}");
}

#[test]
fn zero_and_negative_segment_scales() {
    let json = edited(&golden(), |m| m["segments"]["global"]["scale"] = 0.0.into());
    assert_eq!(
        invalid(&json),
        InvalidModel::new("segment model", "global.scale", Problem::NotPositive { index: 0, value: 0.0 })
    );
    let json = edited(&golden(), |m| {
        let band = m["segments"]["bands"].as_array_mut().expect("bands").iter_mut().position(|b| !b.is_null());
        let i = band.expect("a band with statistics");
        m["segments"]["bands"][i]["scale"] = (-1.0).into();
    });
    let e = invalid(&json);
    assert_eq!((e.part, e.problem), ("segment model", Problem::NotPositive { index: 0, value: -1.0 }));
    assert!(e.field.starts_with("bands[") && e.field.ends_with("].scale"), "{}", e.field);
}

#[test]
fn unsorted_band_edges() {
    let json = edited(&golden(), |m| m["segments"]["band_edges"].as_array_mut().expect("edges").swap(1, 2));
    assert_eq!(invalid(&json), InvalidModel::new("segment model", "band_edges", Problem::NotSorted { index: 2 }));
}

#[test]
fn unsorted_numeric_bins() {
    let json = edited(&golden(), |m| {
        let first = &mut m["icp"]["bins"]["columns"][0];
        assert_eq!(first[0], "employees");
        first[1].as_array_mut().expect("edges").reverse();
    });
    assert_eq!(invalid(&json), InvalidModel::new("icp model", "bins.employees", Problem::NotSorted { index: 1 }));
}

#[test]
fn a_mapping_to_a_column_outside_the_schema() {
    let json = edited(&golden(), |m| m["mapping"]["employees"] = "Employeez".into());
    assert_eq!(
        invalid(&json),
        InvalidModel::new("scorer", "mapping", Problem::MissingColumn { column: "Employeez".into() })
    );
}

#[test]
fn as_of_out_of_range() {
    for bad in [i64::MIN, 1_767_225_600_000, -2_208_988_801] {
        let json = edited(&golden(), |m| m["as_of"] = bad.into());
        assert_eq!(
            invalid(&json),
            InvalidModel::new(
                "scorer",
                "as_of",
                Problem::OutOfRange { value: bad as f64, min: -2_208_988_800.0, max: 7_258_118_400.0 }
            ),
            "{bad}"
        );
    }
}

#[test]
fn encoder_standard_deviation_not_positive() {
    for std in [0.0, -2.0] {
        let json = edited(&golden(), |m| {
            let col = &mut m["icp"]["pipeline"]["columns"].as_array_mut().expect("columns")[..];
            let employees = col.iter_mut().find(|c| c["column"] == "employees").expect("employees");
            employees["encoder"]["Numeric"]["std"] = std.into();
        });
        assert_eq!(
            invalid(&json),
            InvalidModel::new("feature pipeline", "employees.std", Problem::NotPositive { index: 0, value: std })
        );
    }
}

#[test]
fn logistic_weights_of_another_width() {
    let json = logistic();
    let mut width = 0;
    let wider = edited(json, |m| {
        let model = &mut m["icp"]["model"]["model"];
        let w = model["weights"].as_array_mut().expect("weights");
        width = w.len();
        w.push(0.5.into());
        model["feature_means"].as_array_mut().expect("means").push(0.0.into());
    });
    assert_eq!(
        invalid(&wider),
        InvalidModel::new("icp model", "weights", Problem::Length { expected: width, found: width + 1 })
    );
}

#[test]
fn calibrator_thresholds_out_of_order() {
    // Calibrators validate through serde (`try_from`) inside a scorer: the
    // refusal is Malformed with the calibrator's own InvalidModel text.
    let pool = PoolGenerator::new(3_000).seed(23).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("frame");
    let methods = [
        (CalibrationMethod::Isotonic(IsotonicParams::new()), "x", "isotonic calibrator"),
        (CalibrationMethod::Binning(BinningParams::new().bins(3)), "edges", "binning calibrator"),
    ];
    for (method, field, part) in methods {
        let icp = IcpParams::new().family(FamilyChoice::Logistic).calibration(method);
        let json = ScorerParams::new().icp(icp).fit(&frame).expect("fits").to_json().expect("json");
        let bad = edited(&json, |m| m["icp"]["model"]["calibrator"][field].as_array_mut().expect("points").reverse());
        let reason = malformed(&bad);
        assert!(
            reason.contains(&format!("invalid {part}: `{field}` is not in increasing order at index 1")),
            "{reason}"
        );
    }
}
