//! Golden model files: a model file written by an earlier version must load
//! and score bit-identically in every later version.
//!
//! `fixtures/scorer_v2.json` was written by format version 2 from a seeded
//! 600-account `PoolGenerator` pool (seed 17) fitted with
//! `ScorerParams::new()`; `fixtures/golden_accounts.csv` holds 12 accounts of
//! that pool and `fixtures/golden_scores_v2.json` their scores (with an
//! engagement of `2.5 × row`). The inputs are read through the typed pool
//! reader, so the test does not depend on the generator staying the same.
//!
//! A format change bumps `FORMAT_VERSION`, keeps a reader for the previous
//! version (`READABLE`), and adds new fixtures beside these ones; these stay.
//! To write fixtures for the current version (never over existing ones):
//! `ACCTSCORE_BLESS=1 cargo test -p acctscore --test golden`.

use acctscore::pool::PoolGenerator;
use acctscore::pool::{read_accounts_path, write_accounts};
use acctscore::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// What a golden score pins: every number as its exact bits.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Golden {
    account_id: String,
    icp: u64,
    icp_raw: u64,
    icp_baseline: u64,
    quality: u64,
    priority: u64,
    tier: char,
    revenue_in_range: Option<u64>,
    anomaly_penalty: Option<u64>,
    reasons: Vec<(String, String, u64)>,
}

fn golden(s: &AccountScore) -> Golden {
    Golden {
        account_id: s.account_id.clone(),
        icp: s.icp.get().to_bits(),
        icp_raw: s.icp_raw.to_bits(),
        icp_baseline: s.icp_baseline.to_bits(),
        quality: s.quality.to_bits(),
        priority: s.priority.to_bits(),
        tier: s.tier,
        revenue_in_range: s.revenue.as_ref().map(|r| r.in_range.get().to_bits()),
        anomaly_penalty: s.anomaly.as_ref().map(|a| a.penalty.to_bits()),
        reasons: s.reasons.iter().map(|r| (r.code.clone(), r.text.clone(), r.contribution.to_bits())).collect(),
    }
}

fn engagement(n: usize) -> Vec<f64> {
    (0..n).map(|i| 2.5 * i as f64).collect()
}

fn score(scorer: &Scorer, accounts: &[acctscore::pool::AccountRecord]) -> Vec<Golden> {
    let frame = accounts_to_frame(accounts).expect("frame");
    let scores = scorer.score_frame(&frame, Some(&engagement(accounts.len()))).expect("scores");
    scores.iter().map(golden).collect()
}

/// Writes the fixtures of the current version when asked to and when they
/// do not exist yet.
fn bless() {
    let dir = fixtures();
    let model = dir.join(format!("scorer_v{}.json", acctscore::MODEL_FORMAT_VERSION));
    if std::env::var_os("ACCTSCORE_BLESS").is_none() || model.exists() {
        return;
    }
    std::fs::create_dir_all(&dir).expect("fixtures folder");
    let pool = PoolGenerator::new(600).seed(17).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("frame");
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    scorer.save(&model).expect("saves");
    let accounts: Vec<_> = pool.accounts.iter().step_by(50).cloned().collect();
    let mut csv = Vec::new();
    write_accounts(&mut csv, &accounts).expect("csv");
    std::fs::write(dir.join("golden_accounts.csv"), csv).expect("accounts");
    let expected = score(&scorer, &accounts);
    let json = serde_json::to_string_pretty(&expected).expect("json");
    std::fs::write(dir.join(format!("golden_scores_v{}.json", acctscore::MODEL_FORMAT_VERSION)), json).expect("scores");
}

#[test]
fn version_2_model_file_scores_bit_identically() {
    bless();
    let dir = fixtures();
    let scorer = Scorer::load(dir.join("scorer_v2.json")).expect("the version 2 model file loads");
    let accounts = read_accounts_path(dir.join("golden_accounts.csv")).expect("accounts");
    let expected: Vec<Golden> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("golden_scores_v2.json")).expect("scores"))
            .expect("golden scores");
    assert_eq!(expected.len(), accounts.len());
    let got = score(&scorer, &accounts);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "account {}", e.account_id);
    }
    // One row at a time scores the same.
    let frame = accounts_to_frame(&accounts).expect("frame");
    let e = engagement(accounts.len());
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&golden(&scorer.score_row(&frame, i, Some(e[i])).expect("row")), want);
    }
}

#[test]
fn version_2_model_file_is_rewritten_byte_for_byte() {
    // Format version 2 is still the version written: loading and saving
    // the golden file gives back its exact bytes.
    if acctscore::MODEL_FORMAT_VERSION != 2 {
        return;
    }
    let text = std::fs::read_to_string(fixtures().join("scorer_v2.json")).expect("model file");
    let scorer = Scorer::from_json(&text).expect("loads");
    assert_eq!(scorer.to_json().expect("json"), text);
}
