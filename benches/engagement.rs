//! Engagement benchmarks: batch aggregation of 10M activities over 1M
//! accounts, and one incremental update.
//!
//! `cargo bench --bench engagement`

use acctscore::core::numeric::SplitMix64;
use acctscore_engagement::{
    EngagementParams, EngagementState, EngagementSums, KindId, Probability, Timestamp, Touch, assign, intern,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const NOW: i64 = 1_767_225_600;
const YEAR: u64 = 365 * 86_400;

/// `n` touches over `n_accounts` accounts in the last two years, 1 % after `NOW`;
/// kinds 60 % email, 30 % call, 10 % meeting; in random (unsorted) order.
fn touches(n: usize, n_accounts: u32, seed: u64) -> Vec<Touch> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|_| {
            let r = rng.next_u64();
            let account = (r % u64::from(n_accounts)) as u32;
            let k = (r >> 32) % 10;
            let kind = KindId::new(if k < 6 {
                0
            } else if k < 9 {
                1
            } else {
                2
            });
            let ago = rng.next_u64() % (2 * YEAR);
            let at = if (r >> 40).is_multiple_of(100) { NOW + 3_600 } else { NOW - ago as i64 };
            Touch::new(account, kind, Timestamp::from_unix_seconds(at))
        })
        .collect()
}

fn aggregate(c: &mut Criterion) {
    let model = EngagementParams::new().fit().expect("valid params");
    let n_accounts = 1_000_000u32;
    let data = touches(10_000_000, n_accounts, 7);
    let now = Timestamp::from_unix_seconds(NOW);
    let mut g = c.benchmark_group("engagement_batch");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(data.len() as u64));
    g.bench_function("aggregate_10M_activities_1M_accounts", |b| {
        b.iter(|| model.aggregate(black_box(now), n_accounts as usize, black_box(&data)).expect("aggregate"))
    });
    g.finish();
}

fn incremental(c: &mut Criterion) {
    let model = EngagementParams::new().fit().expect("valid params");
    // 4096 activities of one account, mostly in order with ~1/8 late ones.
    let mut rng = SplitMix64::new(11);
    let mut t = NOW - 3 * YEAR as i64;
    let seq: Vec<(KindId, Timestamp)> = (0..4096)
        .map(|_| {
            let r = rng.next_u64();
            t += (r % 86_400) as i64;
            let at = if r.is_multiple_of(8) { t - ((r >> 20) % (60 * 86_400)) as i64 } else { t };
            (KindId::new(((r >> 8) % 3) as u16), Timestamp::from_unix_seconds(at))
        })
        .collect();
    let mut g = c.benchmark_group("engagement_incremental");
    g.throughput(Throughput::Elements(1));
    g.bench_function("apply_one_activity", |b| {
        let mut state = EngagementState::new();
        let mut i = 0usize;
        b.iter(|| {
            let (kind, at) = seq[i & 4095];
            i = i.wrapping_add(1);
            state.apply(&model, black_box(kind), black_box(at), None).expect("apply");
        });
        black_box(&state);
    });
    let mut state = EngagementState::new();
    for &(kind, at) in &seq {
        state.apply(&model, kind, at, None).expect("apply");
    }
    let query = Timestamp::from_unix_seconds(t + 86_400);
    g.bench_function("score_at", |b| b.iter(|| state.score_at(&model, black_box(query)).expect("query")));
    g.finish();
}

fn interning(c: &mut Criterion) {
    // 10M account ids (`acct_0000000` style) over 1M distinct, in random order.
    let mut rng = SplitMix64::new(3);
    let ids: Vec<String> = (0..10_000_000).map(|_| format!("acct_{:07}", rng.next_u64() % 1_000_000)).collect();
    let mut g = c.benchmark_group("engagement_ids");
    g.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("intern_10M_ids_1M_distinct", |b| b.iter(|| intern(black_box(&ids)).expect("intern")));
    g.finish();
}

/// Folding 1% new activities (100k, the day after `NOW`) into kept sums of
/// 10M over 1M accounts and reading the engagement, against recomputing it
/// from all 10.1M: the library side of `acctscore engagement update`.
fn fold(c: &mut Criterion) {
    let model = EngagementParams::new().fit().expect("valid params");
    let n_accounts = 1_000_000usize;
    let history: Vec<Touch> = touches(10_000_000, n_accounts as u32, 7)
        .into_iter()
        .map(|t| Touch::new(t.account, t.kind, Timestamp::from_unix_seconds(t.at.unix_seconds().min(NOW))))
        .collect();
    let new: Vec<Touch> = touches(100_000, n_accounts as u32, 8)
        .into_iter()
        .map(|t| Touch::new(t.account, t.kind, Timestamp::from_unix_seconds(NOW + 1 + (t.at.unix_seconds() % 86_400))))
        .collect();
    let now = Timestamp::from_unix_seconds(NOW + 86_400);
    let mut kept = EngagementSums::new(&model, n_accounts, None);
    kept.add(&history).expect("add");
    let all: Vec<Touch> = history.iter().chain(&new).copied().collect();
    let mut g = c.benchmark_group("engagement_fold");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("fold_1pct_into_kept_sums_1M_accounts", |b| {
        b.iter_batched(
            || kept.clone(),
            |mut sums| {
                sums.add(black_box(&new)).expect("add");
                sums.engagement_at(now).expect("at now")
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("recompute_from_10_1M_activities", |b| {
        b.iter(|| model.aggregate(black_box(now), n_accounts, black_box(&all)).expect("aggregate"))
    });
    g.finish();
}

/// Dealing the best of 1M accounts to 50 reps of unequal capacity (200k in
/// all), a third of them owned by the rep who engaged them lately: the
/// library side of `acctscore assign` on the 1M pool.
fn assignment(c: &mut Criterion) {
    let mut rng = SplitMix64::new(5);
    let priorities: Vec<Probability> =
        (0..1_000_000).map(|_| Probability::new(rng.next_f64().powi(3)).expect("in [0, 1]")).collect();
    let capacities: Vec<usize> = (0..50).map(|r| [5_000, 4_000, 3_000][r % 3]).collect();
    let owners: Vec<Option<u32>> =
        (0..1_000_000).map(|_| rng.next_u64().is_multiple_of(3).then(|| (rng.next_u64() % 50) as u32)).collect();
    let mut g = c.benchmark_group("engagement_assign");
    g.sample_size(10);
    g.bench_function("assign_1M_accounts_50_reps", |b| {
        b.iter(|| assign(black_box(&priorities), &capacities, Some(&owners)).expect("assign"))
    });
    g.finish();
}

criterion_group!(benches, aggregate, incremental, interning, fold, assignment);
criterion_main!(benches);
