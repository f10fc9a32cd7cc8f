//! Temporary: CSV timing only.
use acctscore_features::Frame;
use acctscore_features::csv::CsvOptions;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn bench_peer_file(c: &mut Criterion) {
    let path = "/tmp/pool/accounts_1M.csv";
    let opts = CsvOptions::new();
    let mut g = c.benchmark_group("pool_1M_file");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let l = acctscore_features::csv::load_path(path, &opts).expect("load");
    eprintln!("{:?}", l.report.rows);
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let data = std::fs::read(path).expect("read");
        let t1 = t.elapsed();
        let f = acctscore_features::csv::load_bytes(&data, &opts).expect("x");
        eprintln!("read {:?} parse {:?} rows {}", t1, t.elapsed() - t1, f.frame.nrows());
    }
    if std::env::var("ONLY_MANUAL").is_ok() {
        return;
    }
    g.bench_function("csv_to_frame", |b| b.iter(|| Frame::from_csv_path(black_box(&path), &opts)));
    g.finish();
}

criterion_group!(benches, bench_peer_file);
criterion_main!(benches);
