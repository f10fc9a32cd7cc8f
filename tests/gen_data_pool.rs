//! Anomaly detection and the learned revenue model on a pool from
//! `../shared/bench/gen_data.py`, read through the typed pool reader
//! ([`read_accounts_path`]) and the records' own inputs to each model.
//! Ignored by default (the pool is large and lives outside the repository):
//!
//! ```sh
//! ACCTSCORE_POOL_DIR=/tmp/pool ACCTSCORE_POOL_TAG=100k \
//!   cargo test --release --test gen_data_pool -- --ignored --nocapture
//! ```

use acctscore::anomaly::{AnomalyParams, CheckCode, SegmentParams};
use acctscore::core::Timestamp;
use acctscore::pool::{AccountRecord, read_accounts_path};
use acctscore::revenue::{LearnedParams, RevenueRange, Router};
use std::path::PathBuf;

#[derive(serde::Deserialize)]
struct Truth {
    anomaly: Option<String>,
}

/// The pool's folder and tag, or `None` (the test then skips, unless
/// `ACCTSCORE_REQUIRE_SHARED=1`, when it fails).
fn pool() -> Option<(PathBuf, String)> {
    let Some(dir) = std::env::var_os("ACCTSCORE_POOL_DIR").map(PathBuf::from) else {
        assert!(!acctscore_testkit::required(), "ACCTSCORE_REQUIRE_SHARED=1 but ACCTSCORE_POOL_DIR is not set");
        eprintln!("ACCTSCORE_POOL_DIR not set: skipping");
        return None;
    };
    Some((dir, std::env::var("ACCTSCORE_POOL_TAG").unwrap_or_else(|_| "100k".into())))
}

fn accounts(dir: &std::path::Path, tag: &str) -> Vec<AccountRecord> {
    read_accounts_path(dir.join(format!("accounts_{tag}.csv"))).expect("accounts file")
}

/// Flags every account (segment model fitted on the pool itself) and
/// reports, for the injected kinds except `missing_revenue`, recall and
/// precision of "any finding" and of each kind's own check code; asserts
/// recall ≥ 0.95 and precision ≥ 0.9.
#[test]
#[ignore = "needs a gen_data.py pool: set ACCTSCORE_POOL_DIR (and ACCTSCORE_POOL_TAG, default 100k)"]
fn anomaly_recall_and_precision() {
    let Some((dir, tag)) = pool() else { return };
    let rows = accounts(&dir, &tag);
    let truth: Vec<Truth> = csv::Reader::from_path(dir.join(format!("accounts_{tag}_truth.csv")))
        .expect("truth file")
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("truth parse");
    assert_eq!(rows.len(), truth.len());
    let seg = SegmentParams::new().fit(rows.iter().map(AccountRecord::anomaly_inputs)).expect("fits");
    let checker =
        AnomalyParams::new(Timestamp::from_unix_seconds(1_767_225_600)).with_segments(seg).fit().expect("valid");
    let reports: Vec<_> = rows.iter().map(|r| checker.check(&r.anomaly_inputs())).collect();
    let kind = |t: &Truth| t.anomaly.clone().unwrap_or_default();
    let target = |k: &str| matches!(k, "tiny_company_huge_revenue" | "negative_revenue" | "unit_error_x1000");

    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (rep, t) in reports.iter().zip(&truth) {
        match (rep.penalty > 0.0, target(&kind(t))) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    println!("all kinds except missing_revenue: TP {tp} FP {fp} FN {fneg} precision {precision:.4} recall {recall:.4}");
    assert!(precision >= 0.9 && recall >= 0.95);

    let missing_flagged =
        reports.iter().zip(&truth).filter(|(r, t)| kind(t) == "missing_revenue" && !r.is_clean()).count();
    println!("missing_revenue accounts with a finding: {missing_flagged}");
    assert_eq!(missing_flagged, 0);

    for (k, code) in [
        ("tiny_company_huge_revenue", CheckCode::RevenuePerEmployeeImplausible),
        ("negative_revenue", CheckCode::RevenueNegative),
        ("unit_error_x1000", CheckCode::LikelyUnitErrorX1000),
    ] {
        let n = truth.iter().filter(|t| kind(t) == k).count();
        let any = reports.iter().zip(&truth).filter(|(r, t)| kind(t) == k && r.penalty > 0.0).count();
        let coded = reports.iter().filter(|r| r.has(code)).count();
        let coded_right = reports.iter().zip(&truth).filter(|(r, t)| kind(t) == k && r.has(code)).count();
        let r_any = any as f64 / n.max(1) as f64;
        let r_code = coded_right as f64 / n.max(1) as f64;
        let p_code = coded_right as f64 / coded.max(1) as f64;
        println!(
            "{k:27} n {n:5}  recall(any finding) {r_any:.4}  code {code}: recall {r_code:.4} precision {p_code:.4}"
        );
        assert!(r_any >= 0.95 && r_code >= 0.95 && p_code >= 0.9);
    }
}

/// Learned vs analytic P(revenue in $10k–$100k). The reported revenue is
/// the truth; both models see the account *without* it. The learned model
/// trains on the first half of the rows and is evaluated on the second half.
#[test]
#[ignore = "needs a gen_data.py pool: set ACCTSCORE_POOL_DIR (and ACCTSCORE_POOL_TAG, default 100k)"]
fn learned_revenue_beats_analytic_and_is_calibrated() {
    let Some((dir, tag)) = pool() else { return };
    let rows = accounts(&dir, &tag);
    let data: Vec<_> = rows
        .iter()
        .filter_map(|r| {
            let truth = r.monthly_revenue_usd.filter(|t| t.is_finite() && *t >= 0.0)?;
            let mut x = r.revenue_inputs();
            x.reported_monthly_revenue = None;
            Some((x, truth))
        })
        .collect();
    let (train, test) = data.split_at(data.len() / 2);
    let router = Router::new();
    let range = RevenueRange::default();
    let model = LearnedParams::new().fit(&router, range, train).expect("fits");
    let (mut ll, mut brier, mut positives) = ([0.0f64; 2], [0.0f64; 2], 0.0);
    let mut bins = [(0.0f64, 0.0f64, 0usize); 10];
    for (x, truth) in test {
        let est = router.estimate(x);
        let y = if range.contains(*truth) { 1.0 } else { 0.0 };
        positives += y;
        let analytic = range.probability(&est).get().clamp(1e-6, 1.0 - 1e-6);
        let learned = model.probability(x, &est).get().clamp(1e-6, 1.0 - 1e-6);
        for (k, p) in [analytic, learned].into_iter().enumerate() {
            ll[k] -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
            brier[k] += (p - y) * (p - y);
        }
        let b = ((learned * 10.0) as usize).min(9);
        bins[b].0 += learned;
        bins[b].1 += y;
        bins[b].2 += 1;
    }
    let n = test.len() as f64;
    let base = positives / n;
    let base_ll = -(base * base.ln() + (1.0 - base) * (1.0 - base).ln());
    let ece: f64 = bins.iter().map(|(p, y, _)| (p - y).abs()).sum::<f64>() / n;
    println!("test rows {} in range {:.4}; base-rate log loss {base_ll:.4}", test.len(), base);
    println!("analytic (default benchmark table): log loss {:.4} Brier {:.4}", ll[0] / n, brier[0] / n);
    println!("learned  (calibrated, Platt):       log loss {:.4} Brier {:.4} ECE {ece:.4}", ll[1] / n, brier[1] / n);
    assert!(ll[1] / n < base_ll && ece < 0.05);
}
