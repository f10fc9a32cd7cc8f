//! Benchmarks of the features crate: CSV → Frame and Frame → design matrix.
//!
//! On a pool from the project's own generator (200 000 accounts written to
//! CSV in memory), and, when present, on `gen_data.py`'s 1M-account file
//! (`ACCTSCORE_POOL_CSV`, default `/tmp/pool/accounts_1M.csv`).
//!
//! ```sh
//! cargo bench --bench features
//! ```
//!
//! `pool_1M_file/csv_to_frame` infers the column kinds from a sample;
//! `csv_to_frame_declared_kinds` is given the pool's kinds. Both drop the
//! frame outside the timing. Targets (issue 3): CSV → Frame ≤ 0.3 s;
//! encoding ≤ 0.2 s: `fit` + `transform_into` (into a reused matrix), or
//! `fit` + `transform` (a fresh matrix), beside `fresh_matrix_floor`, what
//! merely allocating and writing a matrix of that shape costs here.

use acctscore::pool::{PoolGenerator, account_csv_options, write_accounts};
use acctscore_features::encode::PipelineParams;
use acctscore_features::quality::{QualityParams, QualityReport, Target};
use acctscore_features::title;
use acctscore_frame::Frame;
use acctscore_frame::csv::CsvOptions;
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rayon::prelude::*;
use std::hint::black_box;
use std::time::Duration;

fn pool_csv(n: usize) -> Vec<u8> {
    let pool = PoolGenerator::new(n).seed(7).events(false).generate();
    let mut buf = Vec::new();
    write_accounts(&mut buf, &pool.accounts).expect("write pool CSV to memory");
    buf
}

fn pipeline() -> PipelineParams {
    PipelineParams::new()
        .exclude(["account_id", "converted", "monthly_revenue_usd"])
        .title_column("job_title_of_contact")
        .clip_quantiles(0.001, 0.999)
        .max_levels(30)
}

fn bench_generated(c: &mut Criterion) {
    let data = pool_csv(200_000);
    let opts = CsvOptions::new();
    if let Ok(l) = acctscore_frame::csv::load_bytes(&data, &opts) {
        eprintln!("generated pool: {} bytes, widened {:?}, kinds {:?}", data.len(), l.report.widened, l.report.columns);
    }
    let mut g = c.benchmark_group("pool_200k");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("csv_to_frame", |b| b.iter(|| Frame::from_csv_reader(black_box(&data[..]), &opts)));
    let frame = Frame::from_csv_reader(&data[..], &opts).expect("generated CSV loads");
    g.bench_function("fit", |b| b.iter(|| pipeline().fit(black_box(&frame))));
    let fitted = pipeline().fit(&frame).expect("fit");
    g.bench_function("transform", |b| b.iter(|| fitted.transform(black_box(&frame))));
    let mut out = fitted.transform(&frame).expect("transform");
    g.bench_function("transform_into", |b| b.iter(|| fitted.transform_into(black_box(&frame), &mut out)));
    g.bench_function("title_normalise_1k", |b| {
        b.iter(|| {
            for t in [
                "Sr. Director Marketing", "VP of Sales", "ecommerce manger", "Founder & CEO", "Jr. Marketing Associate",
            ]
            .iter()
            .cycle()
            .take(1000)
            {
                black_box(title::normalise(t));
            }
        })
    });
    g.finish();
}

/// Total time of `iters` calls of `parse`, each result dropped after its
/// call's timing stops (freeing a frame is not parsing it).
fn parse_only<T>(iters: u64, parse: impl Fn() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let t = std::time::Instant::now();
        let out = black_box(parse());
        total += t.elapsed();
        drop(out);
    }
    total
}

fn bench_peer_file(c: &mut Criterion) {
    let path = std::env::var("ACCTSCORE_POOL_CSV").unwrap_or_else(|_| "/tmp/pool/accounts_1M.csv".to_string());
    if !std::path::Path::new(&path).exists() {
        eprintln!("skipping the 1M benches: {path} not found (run ../shared/bench/gen_data.py)");
        return;
    }
    let opts = CsvOptions::new();
    let mut g = c.benchmark_group("pool_1M_file");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    // The frame is dropped outside the timing (freeing it is not parsing).
    g.bench_function("csv_to_frame", |b| {
        b.iter_custom(|iters| parse_only(iters, || Frame::from_csv_path(&path, &opts)))
    });
    // The pool's kinds declared (no inference; as `bench_pool` reads it).
    let declared = account_csv_options();
    g.bench_function("csv_to_frame_declared_kinds", |b| {
        b.iter_custom(|iters| parse_only(iters, || Frame::from_csv_path(&path, &declared)))
    });
    let frame = Frame::from_csv_path(&path, &opts).expect("1M CSV loads");
    let fitted = pipeline().fit(&frame).expect("fit");
    g.bench_function("fit", |b| b.iter(|| pipeline().fit(black_box(&frame))));
    g.bench_function("transform", |b| b.iter(|| fitted.transform(black_box(&frame))));
    let mut out = fitted.transform(&frame).expect("transform");
    g.bench_function("transform_into", |b| b.iter(|| fitted.transform_into(black_box(&frame), &mut out)));
    eprintln!("1M matrix: {} x {} = {} MB", out.nrows(), out.ncols(), out.len() * 8 / 1_000_000);
    // The floor under `transform`: a fresh matrix of the same shape,
    // allocated and written once on every thread (the kernel's first touch
    // of each page, no encoding).
    let dim = out.dim();
    g.bench_function("fresh_matrix_floor", |b| {
        b.iter(|| {
            let mut x = Array2::<f64>::zeros(dim);
            if let Some(s) = x.as_slice_mut() {
                s.par_chunks_mut(512 * dim.1).for_each(|rows| rows.fill(1.0));
            }
            x
        })
    });
    let target = Target::new("converted").positive("1");
    g.bench_function("quality_report", |b| {
        b.iter(|| QualityReport::compute(black_box(&frame), &target, &QualityParams::default()))
    });
    g.finish();
}

criterion_group!(benches, bench_generated, bench_peer_file);
criterion_main!(benches);
