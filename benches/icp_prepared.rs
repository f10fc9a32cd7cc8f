//! The prepared ICP scorer (`FittedIcp::prepare`) on 1M accounts from the
//! project's own generator; the default logistic ICP (the facade's pool
//! settings: `auto` family, signed log1p, ≤ 30 levels, 3 folds) fitted once
//! on the first 200k, outside the timings.
//!
//! `cargo bench --bench icp_prepared`
//!
//! - `prepare_and_score_1m_top3`: bind the model to the 1M-row frame and
//!   score every row with its top-3 reasons (as indices), in parallel, into
//!   a reused output buffer. Target (issue 4): ≤ 0.1 s on 2 cores.
//! - `probabilities_1m`: bind the model to the 1M-row frame and compute
//!   every row's calibrated probability only (no reasons;
//!   `PreparedIcp::probabilities_into`, the facade's ranking path), in
//!   parallel, into a reused buffer.
//! - `score_rows_100k_slow`: `FittedIcp::score_rows` with reasons on 100k
//!   rows (the prepared engine plus every row's codes and texts), for
//!   reference.
//! - `score_one_top3`: one row of the prepared 1M frame with its reasons,
//!   rows 7919 apart (each row's values are cache misses). Target: ≤ 2 µs.
//! - `score_one_top3_next_row`: the same on consecutive rows (warm caches).
//! - `score_one_top3_with_strings`: the same plus the reasons' codes and
//!   texts (`PreparedIcp::explanation`).
//! - `prepare_and_score_one_row_frame`: a service's path — one account as a
//!   one-row frame, prepared and scored.
//!
//! Without criterion (for profilers, and min/median of repeated runs on a
//! shared machine): `ICP_TIMING=1` times `prepare` + `score_into` over
//! `ICP_N` accounts (default 1M, fitted on the first 200k) `ICP_REPS` times
//! (default 15), three rounds; with `ICP_ONE=1` it times `score(i)` row by
//! row instead, with `ICP_PROBS=1` `probabilities_into` instead of
//! `score_into`. `RAYON_NUM_THREADS` sets the threads.

use acctscore::icp::prepared::FastScore;
use acctscore::icp::propensity::FittedIcp;
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore_features::encode::{NumericTransform, PipelineParams};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const N: usize = 1_000_000;
const TRAIN: usize = 200_000;

fn fit(pool: &[AccountRecord]) -> FittedIcp {
    // Labelled accounts, as the facade's scorer fits.
    let labelled: Vec<AccountRecord> = pool.iter().filter(|a| a.converted.is_some()).cloned().collect();
    let y: Vec<bool> = labelled.iter().map(|a| a.converted == Some(true)).collect();
    let train = accounts_to_frame(&labelled).expect("finite pool");
    let icp = IcpParams::new()
        .pipeline(PipelineParams::new().numeric_transform(NumericTransform::Log1pStandardize).max_levels(30))
        .folds(3)
        .exclude(["account_id", "converted", "monthly_revenue_usd", "job_title_of_contact"])
        .fit(&train, &y)
        .expect("fits");
    assert_eq!(icp.family(), Family::Logistic, "{}", icp.choice());
    icp
}

fn timing() {
    let n: usize = std::env::var("ICP_N").ok().and_then(|v| v.parse().ok()).unwrap_or(N);
    let reps: usize = std::env::var("ICP_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let pool = PoolGenerator::new(n).seed(7).events(false).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    let icp = fit(&pool.accounts[..n.min(TRAIN)]);
    let mut out = vec![FastScore::default(); n];
    if std::env::var("ICP_ONE").is_ok() {
        let prepared = icp.prepare(&frame).expect("prepares");
        let s = std::time::Instant::now();
        for i in 0..n {
            black_box(prepared.score(i).expect("row"));
        }
        eprintln!("TIMING one by one: {:.0} ns per row", s.elapsed().as_secs_f64() * 1e9 / n as f64);
        std::process::exit(0);
    }
    let probs = std::env::var("ICP_PROBS").is_ok();
    let mut p = vec![0.0; n];
    for _ in 0..3 {
        let mut t = Vec::new();
        for _ in 0..reps {
            let s = std::time::Instant::now();
            let prepared = icp.prepare(&frame).expect("prepares");
            if probs {
                prepared.probabilities_into(0..n, &mut p).expect("probabilities");
                black_box(&p);
            } else {
                prepared.score_into(0..n, &mut out).expect("scores");
                black_box(&out);
            }
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
        t.sort_by(f64::total_cmp);
        eprintln!("TIMING: min {:.1} ms, median {:.1} ms", t[0], t[reps / 2]);
    }
    std::process::exit(0);
}

fn bench(c: &mut Criterion) {
    if std::env::var("ICP_TIMING").is_ok() {
        timing();
    }
    let pool = PoolGenerator::new(N).seed(7).events(false).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    let icp = fit(&pool.accounts[..TRAIN]);
    let mut out = vec![FastScore::default(); N];

    let mut g = c.benchmark_group("icp_prepared");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("prepare_and_score_1m_top3", |b| {
        b.iter(|| {
            let prepared = icp.prepare(&frame).expect("prepares");
            prepared.score_into(0..N, &mut out).expect("scores");
            black_box(&out);
        })
    });
    let mut p = vec![0.0; N];
    g.bench_function("probabilities_1m", |b| {
        b.iter(|| {
            let prepared = icp.prepare(&frame).expect("prepares");
            prepared.probabilities_into(0..N, &mut p).expect("probabilities");
            black_box(&p);
        })
    });
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("score_rows_100k_slow", |b| {
        b.iter(|| black_box(icp.score_rows(&frame, 0..100_000, true).expect("scores")))
    });
    g.finish();

    let prepared = icp.prepare(&frame).expect("prepares");
    let mut g = c.benchmark_group("icp_prepared_one");
    g.bench_function("score_one_top3", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % N;
            black_box(prepared.score(i).expect("in range"))
        })
    });
    g.bench_function("score_one_top3_next_row", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % N;
            black_box(prepared.score(i).expect("in range"))
        })
    });
    g.bench_function("score_one_top3_with_strings", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % N;
            let s = prepared.score(i).expect("in range");
            black_box(prepared.explanation(i, &s))
        })
    });
    g.bench_function("prepare_and_score_one_row_frame", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % N;
            let one = accounts_to_frame(std::slice::from_ref(&pool.accounts[i])).expect("finite");
            let p = icp.prepare(&one).expect("prepares");
            black_box(p.score(0).expect("one row"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
