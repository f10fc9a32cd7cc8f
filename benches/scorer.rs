//! The composed scorer and the ICP model, on a pool from the project's own
//! generator (200k accounts, fitted once outside the timings).
//!
//! `cargo bench --bench scorer`
//!
//! - `priorities_200k`: every account's priority (ICP, revenue, anomaly,
//!   engagement), no strings: accounts per second = 200k / median.
//! - `icp_reasons_200k`: ICP probability with its top-3 reasons (as factor
//!   ids) for every account, through the prepared model.
//! - `score_one_with_reasons`: one row of the 200k frame, prepared once
//!   ([`Scorer::prepare`]), every component, with reasons.
//! - `score_one_record_with_reasons`: one typed account turned into a one-row
//!   frame, prepared and scored (a service's path for a record it receives).
//! - `top_1000_of_200k`: rank on priorities, explain the top 1000.
//!
//! Targets (issues 4 and 8): ≥ 5M accounts/s for scoring alone; ICP with
//! top-3 reasons for 1M accounts ≤ 0.1 s (≤ 20 ms here for 200k); one
//! account ≤ 2 µs with reasons.

use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const N: usize = 200_000;

fn bench(c: &mut Criterion) {
    let pool = PoolGenerator::new(N).seed(7).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    let ids: Vec<&str> = pool.accounts.iter().map(|a| a.account_id.as_str()).collect();
    let now = Timestamp::from_unix_seconds(1_767_225_600);
    let (engagement, _) = scorer.engagement_from_events(&ids, &pool.events, now).expect("kinds");

    let mut g = c.benchmark_group("scorer");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("priorities_200k", |b| {
        b.iter(|| black_box(scorer.priorities(&frame, Some(&engagement)).expect("scores")))
    });
    g.bench_function("icp_reasons_200k", |b| {
        b.iter(|| black_box(scorer.icp().prepare(&frame).and_then(|p| p.score_rows(0..N)).expect("scores")))
    });
    g.bench_function("top_1000_of_200k", |b| {
        b.iter(|| black_box(scorer.top_n(&frame, Some(&engagement), 1000).expect("top")))
    });
    g.finish();

    let mut g = c.benchmark_group("scorer_one");
    g.bench_function("score_one_with_reasons", |b| {
        let prepared = scorer.prepare(&frame).expect("schema");
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % N;
            black_box(prepared.score(i, Some(engagement[i])).expect("score"))
        })
    });
    g.bench_function("score_one_record_with_reasons", |b| {
        // A service's path: one typed account in, a one-row frame, one score out.
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % N;
            let one = accounts_to_frame(std::slice::from_ref(&pool.accounts[i])).expect("finite");
            black_box(scorer.score_row(&one, 0, Some(engagement[i])).expect("score"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
