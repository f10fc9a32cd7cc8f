//! Revenue estimation + anomaly checks on 1M parsed accounts.
//!
//! `cargo bench --bench revenue_anomaly`
//!
//! The accounts come from the project's seeded pool generator (no files
//! needed); generating them, mapping them into the two crates' typed inputs
//! ("parsed accounts") and fitting the segment model happen outside the
//! timed loop. Per account, the timed work estimates revenue (router +
//! log-normal interval), computes P(in $10k–$100k) analytically, runs every
//! anomaly check (rules + segment model) and lowers the probability by the
//! penalty. `from_pool_rows_*` also times the mapping from pool rows
//! (parsing the business-model label, reading each row's heap strings).
//! `RA_SPLIT=1` adds revenue-only and anomaly-only figures.

use acctscore::core::Timestamp;
use acctscore::pool::{AccountRecord, PoolGenerator};
use acctscore_anomaly::{AnomalyChecker, AnomalyInputs, AnomalyParams, SegmentParams};
use acctscore_revenue::{RevenueInputs, RevenueRange, Router, apply_penalty};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::hint::black_box;
use std::time::Duration;

const N: usize = 1_000_000;
const NOW: i64 = 1_767_225_600;

struct Setup {
    router: Router,
    range: RevenueRange,
    checker: AnomalyChecker,
}

/// One account from typed inputs: (P(in range) after the penalty, penalty).
#[inline]
fn score_typed(s: &Setup, ri: &RevenueInputs<'_>, ai: &AnomalyInputs<'_>) -> (f64, f64) {
    let est = s.router.estimate(ri);
    let report = s.checker.check(ai);
    let p = apply_penalty(s.range.probability(&est), report.penalty).map_or(0.0, |p| p.get());
    (p, report.penalty)
}

/// One account from a pool row (mapping included).
#[inline]
fn score(s: &Setup, r: &AccountRecord) -> (f64, f64) {
    score_typed(s, &r.revenue_inputs(), &r.anomaly_inputs())
}

fn bench(c: &mut Criterion) {
    let rows = PoolGenerator::new(N).seed(42).events(false).generate().accounts;
    let segments =
        SegmentParams::new().fit(rows.iter().map(AccountRecord::anomaly_inputs)).expect("segments fit on the pool");
    let checker =
        AnomalyParams::new(Timestamp::from_unix_seconds(NOW)).with_segments(segments).fit().expect("valid params");
    let s = Setup { router: Router::new(), range: RevenueRange::default(), checker };

    // "Parsed accounts": the two crates' typed inputs, mapped once from the
    // pool rows (business model parsed to its enum, industry borrowed).
    let typed: Vec<(RevenueInputs<'_>, AnomalyInputs<'_>)> =
        rows.iter().map(|r| (r.revenue_inputs(), r.anomaly_inputs())).collect();

    let mut g = c.benchmark_group("revenue_anomaly");
    g.sample_size(20).measurement_time(Duration::from_secs(6)).throughput(Throughput::Elements(N as u64));
    g.bench_function("typed_inputs_1M_parallel", |b| {
        b.iter(|| {
            let out: Vec<(f64, f64)> =
                black_box(&typed).par_iter().with_min_len(4096).map(|(ri, ai)| score_typed(&s, ri, ai)).collect();
            out
        })
    });
    g.bench_function("typed_inputs_1M_one_thread", |b| {
        b.iter(|| {
            let out: Vec<(f64, f64)> = black_box(&typed).iter().map(|(ri, ai)| score_typed(&s, ri, ai)).collect();
            out
        })
    });
    g.bench_function("from_pool_rows_1M_parallel", |b| {
        b.iter(|| {
            let out: Vec<(f64, f64)> = black_box(&rows).par_iter().with_min_len(4096).map(|r| score(&s, r)).collect();
            out
        })
    });
    if std::env::var_os("RA_SPLIT").is_some() {
        g.bench_function("revenue_only_typed_1M_one_thread", |b| {
            b.iter(|| {
                black_box(&typed).iter().map(|(ri, _)| s.range.probability(&s.router.estimate(ri)).get()).sum::<f64>()
            })
        });
        g.bench_function("anomaly_only_typed_1M_one_thread", |b| {
            b.iter(|| black_box(&typed).iter().map(|(_, ai)| s.checker.check(ai).penalty).sum::<f64>())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("anomaly_fit");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(N as u64));
    g.bench_function("fit_segments_1M", |b| {
        b.iter(|| SegmentParams::new().fit(black_box(&rows).iter().map(AccountRecord::anomaly_inputs)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
