//! The fuzz harness bodies of `acctscore::fuzzing` (run by `cargo fuzz` on
//! nightly, see docs/testing.md) run here on stable under proptest: the same
//! promises, checked on generated input in every `cargo test`.
//!
//! The inputs mix raw bytes with lines built from the formats' own words, so
//! that most cases get past the header into the code that reads rows.

use acctscore::fuzzing;
use proptest::prelude::*;

/// Bytes: either arbitrary or CSV-like lines of a few tokens.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just("account_id".to_string()),
        Just("kind".to_string()),
        Just("timestamp".to_string()),
        Just("rep_id".to_string()),
        Just("email".to_string()),
        Just("call".to_string()),
        Just("a".to_string()),
        Just("acct_0002".to_string()),
        Just("\"x,y\"".to_string()),
        Just("NA".to_string()),
        Just("".to_string()),
        "-?[0-9]{1,12}(\\.[0-9]{1,3})?",
        "[ -~]{0,6}",
    ];
    let line = prop::collection::vec(token, 0..5).prop_map(|t| t.join(","));
    let lines = (prop::collection::vec(line, 0..8), prop_oneof![Just("\n"), Just("\r\n")])
        .prop_map(|(lines, end)| {
            let mut text = "account_id,kind,timestamp,rep_id".to_string() + end;
            text.push_str(&lines.join(end));
            text.into_bytes()
        });
    prop_oneof![prop::collection::vec(any::<u8>(), 0..200), lines]
}

/// TOML text: either arbitrary or a rules file with generated values.
fn rules_like() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("employees"),
        Just("country"),
        Just("has_ecommerce"),
        Just("business_model"),
        Just("job_title_of_contact"),
        Just("nope")
    ];
    let test = prop_oneof![
        (-1e3f64..1e3).prop_map(|v| format!("min = {v}")),
        (-1e3f64..1e3).prop_map(|v| format!("max = {v}")),
        Just("one_of = [\"US\", \"ecommerce\"]".to_string()),
        Just("is = true".to_string()),
        Just("missing = true".to_string()),
    ];
    let rule = (field, test, -1e6f64..1e6);
    let file = (prop::collection::vec(rule, 0..4), -100f64..100.0).prop_map(|(rules, threshold)| {
        let mut text = format!("threshold = {threshold}\n");
        for (k, (field, test, points)) in rules.iter().enumerate() {
            text.push_str(&format!(
                "[[rules]]\nname = \"r{k}\"\npoints = {points}\nwhen = [{{ field = \"{field}\", {test} }}]\n"
            ));
        }
        text
    });
    prop_oneof![".{0,200}", file]
}

proptest! {
    #[test]
    fn csv_loader_body(data in csv_like()) {
        fuzzing::csv_loader(&data);
    }

    #[test]
    fn events_reader_body(data in csv_like()) {
        fuzzing::events_reader(&data);
    }

    #[test]
    fn rules_toml_body(text in rules_like()) {
        fuzzing::rules_toml(&text);
    }

    #[test]
    fn model_json_body(text in ".{0,200}") {
        fuzzing::model_json(&text);
    }
}

/// A real saved model goes through the body whole and with one byte changed
/// (the model-file seed of the fuzz corpus, checked on stable).
#[test]
fn model_json_body_on_a_real_model() {
    use acctscore::prelude::*;
    let pool = PoolGenerator::new(300).seed(3).events(false).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    let json = ScorerParams::new().fit(&frame).expect("fits").to_json().expect("json");
    assert!(Scorer::from_json(&json).is_ok(), "the seed loads, so the body reaches scoring");
    fuzzing::model_json(&json);
    let mut bytes = json.clone().into_bytes();
    for at in [0, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let old = bytes[at];
        bytes[at] = b'7';
        fuzzing::model_json(&String::from_utf8_lossy(&bytes));
        bytes[at] = old;
    }
}

/// The bodies do fail: a broken promise is a panic, not a silent pass.
#[test]
#[should_panic(expected = "written set reads back")]
fn a_body_panics_when_a_promise_breaks() {
    // Not a rules file: the body only asserts after a successful parse, so
    // this checks the plumbing by calling the parser path that must panic.
    let set = acctscore::icp::rules::RuleSet::from_toml_str("threshold = 1\nrules = []\n").expect("valid");
    let _ = acctscore::icp::rules::RuleSet::from_toml_str(&(set.to_toml_string().expect("writes") + "x"))
        .expect("written set reads back");
}

/// Finding of the events body (proptest, 2026-12-06): a one-field quoted row
/// after a blank line is refused whole and in blocks, but with different
/// reasons, and both name line 2 where the row is on line 3.
#[test]
#[ignore = "open finding: the events reader names the wrong line for a short quoted row after a blank line"]
fn events_short_quoted_row_after_a_blank_line_names_its_line() {
    use acctscore::engagement::EngagementParams;
    use acctscore::features::Column;
    let model = EngagementParams::new().kind("email", 1.0, 14.0).build().expect("valid");
    let ids = Column::text([Some("a")]);
    let data = b"account_id,kind,timestamp,rep_id\n\n\"x,y\"";
    let e = acctscore::pool::read_touches(data, &ids, &model).expect_err("one field of four");
    assert_eq!(e.to_string(), "line 3: 1 fields where the header has 4");
}

/// Writes the generated seeds of the fuzz corpus (a small pool's
/// `accounts.csv` and `events.csv`, and a saved model) into the folders
/// under `$ACCTSCORE_FUZZ_SEEDS` (`fuzz/seeds`); does nothing without it.
#[test]
fn write_fuzz_seeds_when_asked() {
    use acctscore::pool::{write_accounts, write_events};
    use acctscore::prelude::*;
    let Some(dir) = std::env::var_os("ACCTSCORE_FUZZ_SEEDS") else { return };
    let dir = std::path::PathBuf::from(dir);
    let pool = PoolGenerator::new(40).seed(9).generate();
    let file = |name: &str| std::fs::File::create(dir.join(name)).expect("seed file");
    write_accounts(file("csv_loader/pool_accounts.csv"), &pool.accounts).expect("accounts");
    write_events(file("events_reader/pool_events.csv"), &pool.events[..pool.events.len().min(60)]).expect("events");
    let big = PoolGenerator::new(300).seed(3).events(false).generate();
    let frame = accounts_to_frame(&big.accounts).expect("finite pool");
    let json = ScorerParams::new().fit(&frame).expect("fits").to_json().expect("json");
    std::fs::write(dir.join("model_json/pool_model.json"), json).expect("model");
}
