//! Learned vs analytic P(revenue in $10k–$100k) on a pool from
//! `../shared/bench/gen_data.py`. Ignored by default:
//!
//! ```sh
//! ACCTSCORE_POOL_DIR=/tmp/pool ACCTSCORE_POOL_TAG=100k \
//!   cargo test --release -p acctscore-revenue --test pool_learned -- --ignored --nocapture
//! ```
//!
//! The reported revenue is the truth; both models see the account *without*
//! it. The learned model trains on the first half of the rows and is
//! evaluated on the second half.

use acctscore_revenue::{BusinessModel, LearnedParams, RevenueInputs, RevenueRange, Router};
use std::path::PathBuf;

#[derive(serde::Deserialize)]
struct Row {
    industry: Option<String>,
    business_model: Option<String>,
    employees: Option<f64>,
    web_traffic_monthly: Option<f64>,
    has_ecommerce: Option<bool>,
    sku_avg_price: Option<f64>,
    conversion_rate: Option<f64>,
    monthly_revenue_usd: Option<f64>,
}

fn inputs(r: &Row) -> RevenueInputs<'_> {
    let mut x = RevenueInputs::new(r.business_model.as_deref().map_or(BusinessModel::Other, BusinessModel::from_label));
    x.industry = r.industry.as_deref();
    x.employees = r.employees;
    x.web_traffic_monthly = r.web_traffic_monthly;
    x.conversion_rate = r.conversion_rate;
    x.sku_avg_price = r.sku_avg_price;
    x.has_ecommerce = r.has_ecommerce;
    x
}

#[test]
#[ignore = "needs a gen_data.py pool: set ACCTSCORE_POOL_DIR (and ACCTSCORE_POOL_TAG, default 100k)"]
fn learned_beats_analytic_and_is_calibrated() {
    let Some(dir) = std::env::var_os("ACCTSCORE_POOL_DIR").map(PathBuf::from) else {
        eprintln!("ACCTSCORE_POOL_DIR not set: skipping");
        return;
    };
    let tag = std::env::var("ACCTSCORE_POOL_TAG").unwrap_or_else(|_| "100k".into());
    let rows: Vec<Row> = csv::Reader::from_path(dir.join(format!("accounts_{tag}.csv")))
        .expect("accounts file")
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("accounts parse");
    let data: Vec<(RevenueInputs<'_>, f64)> = rows
        .iter()
        .filter_map(|r| r.monthly_revenue_usd.filter(|t| t.is_finite() && *t >= 0.0).map(|t| (inputs(r), t)))
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
