//! Property tests: any input gives a valid report; no finding, no penalty.

use acctscore_anomaly::{AnomalyChecker, AnomalyInputs, AnomalyParams, SegmentParams};
use acctscore_core::Timestamp;
use proptest::prelude::*;

fn checker() -> AnomalyChecker {
    let pool: Vec<AnomalyInputs> = (0..300)
        .map(|i| {
            AnomalyInputs::new()
                .with_industry(if i % 2 == 0 { "Software" } else { "Retail" })
                .with_employees(1.0 + (i % 40) as f64)
                .with_monthly_revenue(400.0 * (1.0 + (i % 40) as f64) * (1.0 + (i % 9) as f64 / 10.0))
        })
        .collect();
    let seg = SegmentParams::new().with_min_count(10).fit(pool.iter().copied()).expect("fits");
    AnomalyParams::new(Timestamp::from_unix_seconds(1_767_225_600)).with_segments(seg).fit().expect("valid")
}

fn any_f64() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        proptest::num::f64::ANY.prop_map(Some),
        (-1e9f64..1e12).prop_map(Some),
        (0.0f64..1e5).prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn penalty_is_zero_iff_no_finding(
        rev in any_f64(), emp in any_f64(), traffic in any_f64(), growth in any_f64(),
        year in proptest::option::of(1800.0f64..2100.0), ind in proptest::option::of("[A-Za-z ]{0,12}"),
    ) {
        let c = checker();
        let mut row = AnomalyInputs::new();
        row.monthly_revenue = rev;
        row.employees = emp;
        row.web_traffic_monthly = traffic;
        row.web_traffic_growth_90d = growth;
        row.founded_year = year;
        row.industry = ind.as_deref();
        let rep = c.check(&row);
        prop_assert!((0.0..=1.0).contains(&rep.penalty));
        prop_assert_eq!(rep.findings.is_empty(), rep.penalty == 0.0);
        prop_assert_eq!(c.penalty(&row), rep.penalty);
        for f in &rep.findings {
            prop_assert!(!f.message.is_empty());
        }
    }

    #[test]
    fn missing_revenue_never_penalised(emp in 1.0f64..1e5, ind in "[A-Za-z]{1,8}") {
        let c = checker();
        let row = AnomalyInputs::new().with_industry(&ind).with_employees(emp).with_founded_year(2000.0);
        let rep = c.check(&row);
        prop_assert!(rep.is_clean());
        prop_assert_eq!(rep.penalty, 0.0);
    }
}
