//! Property tests: incremental state vs batch recompute, merge algebra, signs.

use acctscore_core::Timestamp;
use acctscore_engagement::{Activity, EngagementModel, EngagementParams, EngagementState, KindId, Touch};
use proptest::prelude::*;

const NOW: i64 = 1_767_225_600;
const YEAR: i64 = 365 * 86_400;

fn model() -> EngagementModel {
    EngagementParams::new().kind("demo", 5.0, 1.0).kind("webinar", 0.5, 14.0).fit().expect("valid params")
}

/// Equal within a relative 1e-9, and both finite: a relative tolerance of
/// an infinite value is infinite, so without the check `inf` is "close" to
/// anything (a flipped decay sign would pass).
fn close(a: f64, b: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-300
}

/// `(kind index, seconds before NOW, weight override)`; times spread over ±5 years.
fn activities() -> impl Strategy<Value = Vec<(u16, i64, Option<f64>)>> {
    proptest::collection::vec((0u16..5, -5 * YEAR..5 * YEAR, proptest::option::of(0.0f64..100.0)), 0..60)
}

fn state_of(m: &EngagementModel, acts: &[(u16, i64, Option<f64>)]) -> EngagementState {
    let mut s = EngagementState::new();
    for &(k, ago, w) in acts {
        s.apply(m, KindId::new(k), Timestamp::from_unix_seconds(NOW - ago), w).expect("apply");
    }
    s
}

fn latest(acts: &[(u16, i64, Option<f64>)]) -> i64 {
    acts.iter().map(|a| NOW - a.1).max().unwrap_or(NOW)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn incremental_equals_batch_in_any_order(acts in activities(), later in 0i64..2 * YEAR, rot in 0usize..60) {
        let m = model();
        let query = latest(&acts) + later;
        // Apply in a rotated order: out-of-order for most inputs.
        let mut shuffled = acts.clone();
        if !shuffled.is_empty() {
            let r = rot % shuffled.len();
            shuffled.rotate_left(r);
        }
        let s = state_of(&m, &shuffled);
        let inc = s.score_at(&m, Timestamp::from_unix_seconds(query)).expect("query");
        let rows = acts.iter().map(|&(k, ago, w)| Activity {
            account: 0,
            kind: KindId::new(k),
            at: Timestamp::from_unix_seconds(NOW - ago),
            rep: None,
            weight: w,
        });
        let batch = m.aggregate_activities(Timestamp::from_unix_seconds(query), 1, rows).expect("batch");
        prop_assert_eq!(batch.ignored_future(), 0);
        prop_assert!(close(inc, batch.scores()[0]), "incremental {} vs batch {}", inc, batch.scores()[0]);
        prop_assert!(inc >= 0.0 && inc.is_finite());
        // Default-weight touches through the fast path agree too.
        let touches: Vec<Touch> = acts
            .iter()
            .map(|&(k, ago, _)| Touch::new(0, KindId::new(k), Timestamp::from_unix_seconds(NOW - ago)))
            .collect();
        let fast = m.aggregate(Timestamp::from_unix_seconds(query), 1, &touches).expect("fast");
        let plain: Vec<_> = acts.iter().map(|&(k, ago, _)| (k, ago, None)).collect();
        let inc_plain = state_of(&m, &plain).score_at(&m, Timestamp::from_unix_seconds(query)).expect("query");
        prop_assert!(close(inc_plain, fast.scores()[0]), "{} vs {}", inc_plain, fast.scores()[0]);
        // Serde round trip keeps the state exactly.
        let back: EngagementState = serde_json::from_str(&serde_json::to_string(&s).expect("ser")).expect("de");
        prop_assert_eq!(back, s);
    }

    #[test]
    fn merge_is_exact_commutative_and_associative(a in activities(), b in activities(), c in activities()) {
        let m = model();
        let (sa, sb, sc) = (state_of(&m, &a), state_of(&m, &b), state_of(&m, &c));
        prop_assert_eq!(sa.merge(&m, &sb).expect("merge"), sb.merge(&m, &sa).expect("merge"));
        let left = sa.merge(&m, &sb).expect("merge").merge(&m, &sc).expect("merge");
        let right = sa.merge(&m, &sb.merge(&m, &sc).expect("merge")).expect("merge");
        let all: Vec<_> = a.iter().chain(&b).chain(&c).copied().collect();
        let whole = state_of(&m, &all);
        let q = Timestamp::from_unix_seconds(latest(&all) + 86_400);
        let (l, r, w) = (
            left.score_at(&m, q).expect("q"),
            right.score_at(&m, q).expect("q"),
            whole.score_at(&m, q).expect("q"),
        );
        prop_assert!(close(l, r) && close(l, w), "{} {} {}", l, r, w);
        prop_assert_eq!(left.latest(), whole.latest());
    }

    #[test]
    fn never_negative_and_monotone_in_time(acts in activities(), d1 in 0i64..YEAR, d2 in 0i64..YEAR) {
        let m = model();
        let s = state_of(&m, &acts);
        let t1 = latest(&acts) + d1;
        let v1 = s.score_at(&m, Timestamp::from_unix_seconds(t1)).expect("q");
        let v2 = s.score_at(&m, Timestamp::from_unix_seconds(t1 + d2)).expect("q");
        prop_assert!(v1 >= 0.0 && v2 >= 0.0 && v2 <= v1 * (1.0 + 1e-12));
        let sat = m.saturate(v1).expect("saturate").get();
        prop_assert!((0.0..=1.0).contains(&sat));
        if let Some(t) = s.falls_below(&m, 0.5).expect("falls_below") {
            prop_assert!(s.score_at(&m, t).expect("q") <= 0.5);
            if t.unix_seconds() > latest(&acts) {
                prop_assert!(s.score_at(&m, Timestamp::from_unix_seconds(t.unix_seconds() - 1)).expect("q") > 0.5);
            }
        }
    }

    #[test]
    fn sum_engine_contributions_recover_the_score(acts in activities(), later in 0i64..YEAR) {
        let m = model();
        // A SUM engine keeps one sum per kind at a fixed reference time, chosen
        // at or after the newest activity so that no contribution grows.
        let reference = Timestamp::from_unix_seconds(latest(&acts));
        let now = Timestamp::from_unix_seconds(latest(&acts) + later);
        let mut sums = vec![0.0; m.n_kinds()];
        for &(k, ago, w) in &acts {
            let kind = KindId::new(k);
            sums[kind.index()] += m.contribution(kind, Timestamp::from_unix_seconds(NOW - ago), w, reference).expect("fits");
        }
        let from_sums: f64 = sums
            .iter()
            .enumerate()
            .map(|(k, &s)| s * m.decay_factor(KindId::new(k as u16), reference, now).expect("factor"))
            .sum();
        let direct = state_of(&m, &acts).score_at(&m, now).expect("query");
        prop_assert!((from_sums - direct).abs() <= 1e-9 * direct.max(from_sums) + 1e-300, "{} vs {}", from_sums, direct);
    }
}
