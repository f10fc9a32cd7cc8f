//! End-to-end: rows as the facade maps them, estimates, P(in range), penalty.

use acctscore_revenue::{
    BenchmarkTable, BusinessModel, Input, Method, RevenueInputs, RevenueRange, Router, SkipReason, apply_penalty,
};
use proptest::prelude::*;

#[test]
fn every_business_model_gets_an_estimate_with_its_trail() {
    let router = Router::new();
    let range = RevenueRange::default();
    // A pool row whose revenue is missing (the CSV field was empty).
    let ecommerce = RevenueInputs::new(BusinessModel::from_label("ecommerce"))
        .with_industry("Apparel & Fashion")
        .with_employees(11.0)
        .with_web_traffic_monthly(5360.0)
        .with_conversion_rate(0.02092)
        .with_sku_avg_price(157.21)
        .with_has_ecommerce(true);
    let e = router.estimate(&ecommerce);
    assert_eq!(e.method, Method::TrafficConversion);
    assert_eq!(e.skipped.as_slice()[0].reason, SkipReason::Missing(Input::ReportedMonthlyRevenue));
    assert_eq!(e.inputs.get(Input::SkuAvgPrice), Some(157.21));
    assert!((e.point - 5360.0 * 0.02092 * 157.21).abs() < 1e-6);
    assert_eq!(e.interval.level, 0.8);

    // Zero traffic (a failed scrape): falls back to employees × benchmark.
    let no_traffic = ecommerce.with_web_traffic_monthly(0.0);
    let e = router.estimate(&no_traffic);
    assert_eq!(e.method, Method::EmployeeBenchmark);
    assert_eq!(e.inputs.get(Input::RevenuePerEmployeeBenchmark), Some(14_000.0));

    for bm in BusinessModel::ALL {
        let e = router.estimate(&RevenueInputs::new(bm).with_reported_monthly_revenue(50_000.0));
        assert_eq!(e.method, Method::Reported);
        let p = range.probability(&e);
        assert!(p.get() > 0.99, "{bm}: {p}");
        assert!(apply_penalty(p, 0.9).expect("valid").get() < 0.11);
    }
}

#[test]
fn a_table_from_observed_revenue_moves_the_benchmark() {
    let observed = (1..=100).map(|i| (Some("Software"), i as f64, 450.0 * i as f64));
    let table = BenchmarkTable::default().from_observed(observed, 10).expect("usable rows");
    let router = Router::builder().benchmarks(table).build().expect("valid");
    let e = router.estimate(&RevenueInputs::new(BusinessModel::Other).with_industry("Software").with_employees(10.0));
    assert!((e.point - 4_500.0).abs() < 1e-6);
    assert!(RevenueRange::default().probability(&e).get() < 0.2);
}

#[test]
fn interval_level_is_configurable() {
    let router = Router::builder().interval_level(0.95).build().expect("valid");
    let e = router.estimate(&RevenueInputs::new(BusinessModel::Saas).with_employees(5.0));
    let half = (e.interval.high / e.point).ln();
    assert!((half - 1.959963984540054 * e.log_sigma).abs() < 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn penalty_formula_is_monotone(rev in 1.0f64..1e8, a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
        let est = Router::new().estimate(&RevenueInputs::new(BusinessModel::Saas).with_reported_monthly_revenue(rev));
        let range = RevenueRange::default();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let p_lo = range.probability_with_penalty(&est, lo).expect("valid");
        let p_hi = range.probability_with_penalty(&est, hi).expect("valid");
        prop_assert!(p_hi <= p_lo);
        prop_assert!(p_lo <= range.probability(&est));
    }
}
