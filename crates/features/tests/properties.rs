//! Invariants of the encoders: row order does not change what is fitted,
//! unseen values never fail, encoding is deterministic and survives serde.

use acctscore_features::encode::{FittedPipeline, NumericTransform, PipelineParams};
use acctscore_frame::{Column, Frame};
use proptest::prelude::*;

const WORDS: &[&str] = &["Google", "google", " GOOGLE ", "Retail", "retail", "Select", "N/A", "Software", "VP Sales"];

#[derive(Debug, Clone)]
struct Rows {
    num: Vec<Option<f64>>,
    cat: Vec<Option<usize>>,
    flag: Vec<Option<bool>>,
    ts: Vec<Option<i64>>,
}

fn rows(n: std::ops::Range<usize>) -> impl Strategy<Value = Rows> {
    n.prop_flat_map(|n| {
        (
            prop::collection::vec(prop::option::weighted(0.8, -1e6f64..1e6), n),
            prop::collection::vec(prop::option::weighted(0.9, 0..WORDS.len()), n),
            prop::collection::vec(prop::option::of(any::<bool>()), n),
            prop::collection::vec(prop::option::of(1_600_000_000i64..1_800_000_000), n),
        )
            .prop_map(|(num, cat, flag, ts)| Rows { num, cat, flag, ts })
    })
}

fn frame(r: &Rows, order: &[usize]) -> Frame {
    Frame::new(vec![
        ("num".into(), Column::numeric(order.iter().map(|&i| r.num[i]).collect())),
        ("cat".into(), Column::categorical(order.iter().map(|&i| r.cat[i].map(|k| WORDS[k])))),
        ("title".into(), Column::categorical(order.iter().map(|&i| r.cat[i].map(|k| WORDS[k])))),
        ("flag".into(), Column::Boolean(order.iter().map(|&i| r.flag[i]).collect())),
        ("ts".into(), Column::Timestamp(order.iter().map(|&i| r.ts[i]).collect())),
    ])
    .expect("valid frame")
}

fn params() -> PipelineParams {
    PipelineParams::new()
        .min_frequency(2)
        .max_levels(4)
        .clip_quantiles(0.05, 0.95)
        .title_column("title")
        .sentinel("num", -1.0)
        .numeric_transform(NumericTransform::Log1pStandardize)
}

/// Equal within 1e-9 (relative above 1), and both finite (an infinite
/// value is never close to anything).
fn close(a: f64, b: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn row_order_does_not_change_the_fit(r in rows(1..60), seed in any::<u64>()) {
        let n = r.num.len();
        let identity: Vec<usize> = (0..n).collect();
        // A seeded permutation.
        let mut perm = identity.clone();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = params().fit(&frame(&r, &identity)).expect("fit");
        let b = params().fit(&frame(&r, &perm)).expect("fit");
        // Same features (levels, indicators) ...
        prop_assert_eq!(a.features(), b.features());
        // ... and the same encoding of every row (sums may differ in the last bits).
        let f = frame(&r, &identity);
        let (xa, xb) = (a.transform(&f).expect("a"), b.transform(&f).expect("b"));
        for (u, v) in xa.iter().zip(xb.iter()) {
            prop_assert!(close(*u, *v), "{} vs {}", u, v);
        }
    }

    #[test]
    fn unseen_values_never_fail(train in rows(1..40), test in rows(0..40), extra in prop::collection::vec("[a-zA-Z ]{0,12}", 0..40)) {
        let p = params().fit(&frame(&train, &(0..train.num.len()).collect::<Vec<_>>())).expect("fit");
        let n = test.num.len();
        // Unseen strings, extreme numbers, all missing.
        let cats: Vec<Option<String>> = (0..n).map(|i| extra.get(i).cloned()).collect();
        let nums: Vec<Option<f64>> = (0..n).map(|i| match i % 3 { 0 => Some(1e300), 1 => Some(-1e300), _ => test.num[i] }).collect();
        let other = Frame::new(vec![
            ("ts".into(), Column::Timestamp(test.ts.clone())),
            ("cat".into(), Column::categorical(cats.clone())),
            ("title".into(), Column::categorical(cats)),
            ("num".into(), Column::numeric(nums)),
            ("flag".into(), Column::Boolean(vec![None; n])),
        ]).expect("frame");
        let x = p.transform(&other).expect("unseen values are encoded");
        prop_assert_eq!(x.nrows(), n);
        prop_assert!(x.iter().all(|v| v.is_finite()));
        // Each one-hot group of `cat` has exactly one 1 per row.
        let cols: Vec<usize> = p.feature_names().iter().enumerate()
            .filter(|(_, f)| f.starts_with("cat=")).map(|(k, _)| k).collect();
        for row in x.rows() {
            let s: f64 = cols.iter().map(|&k| row[k]).sum();
            prop_assert_eq!(s, 1.0);
        }
    }

    #[test]
    fn encoding_is_deterministic_and_survives_serde(r in rows(1..50)) {
        let f = frame(&r, &(0..r.num.len()).collect::<Vec<_>>());
        let a = params().fit(&f).expect("fit");
        let b = params().fit(&f).expect("fit");
        prop_assert_eq!(&a, &b);
        let json = serde_json::to_string(&a).expect("ser");
        let back: FittedPipeline = serde_json::from_str(&json).expect("de");
        prop_assert_eq!(&back, &a);
        let (x1, x2, x3) = (a.transform(&f).expect("x1"), a.transform(&f).expect("x2"), back.transform(&f).expect("x3"));
        prop_assert_eq!(&x1, &x2);
        prop_assert_eq!(&x1, &x3);
        let pj = serde_json::to_string(&params()).expect("params ser");
        prop_assert_eq!(serde_json::from_str::<PipelineParams>(&pj).expect("params de"), params());
    }
}
