//! Calibration and metric benchmarks on 1M scores: ROC AUC, average
//! precision, log loss, isotonic fit, and applying fitted calibrators.
//!
//! `cargo bench --bench calibration`
//!
//! Targets (issue 5): AUC, log loss and isotonic fit ≤ 0.1 s each; applying
//! a fitted calibrator to 1M scores ≤ 20 ms.

use acctscore_calibration::{BinningParams, Calibrator, FitCalibrator, IsotonicParams, PlattParams, metrics};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const N: usize = 1_000_000;

/// SplitMix64: a tiny deterministic generator, so the bench needs no data files.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Raw log-odds scores (all distinct, as a learned model gives) with labels
/// drawn from a miscalibrated truth `σ(0.7·s − 1)`; and the scores mapped
/// to probabilities by the logistic function.
fn data(n: usize) -> (Vec<f64>, Vec<bool>, Vec<f64>) {
    let mut rng = SplitMix(7);
    let mut scores = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        // sum of uniforms: roughly normal, spread about ±4
        let s = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * 3.0;
        scores.push(s);
        labels.push(rng.uniform() < 1.0 / (1.0 + (-(0.7 * s - 1.0)).exp()));
    }
    let probs = scores.iter().map(|&s| 1.0 / (1.0 + (-s).exp())).collect();
    (scores, labels, probs)
}

fn bench(c: &mut Criterion) {
    let (scores, labels, probs) = data(N);
    let mut g = c.benchmark_group("calibration_1M");
    g.sample_size(10).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(N as u64));

    g.bench_function("roc_auc", |b| b.iter(|| metrics::roc_auc(black_box(&scores), &labels)));
    g.bench_function("average_precision", |b| b.iter(|| metrics::average_precision(black_box(&scores), &labels)));
    g.bench_function("log_loss", |b| b.iter(|| metrics::log_loss(black_box(&probs), &labels)));
    g.bench_function("isotonic_fit", |b| b.iter(|| IsotonicParams::new().fit(black_box(&scores), &labels)));
    g.bench_function("platt_fit", |b| b.iter(|| PlattParams::new().fit(black_box(&scores), &labels)));

    let iso = IsotonicParams::new().fit(&scores, &labels).expect("isotonic fit");
    let platt = PlattParams::new().fit(&scores, &labels).expect("platt fit");
    let binning = BinningParams::new().bins(20).fit(&scores, &labels).expect("binning fit");
    eprintln!("isotonic thresholds: {}", iso.x_thresholds().len());
    g.bench_function("apply_isotonic", |b| b.iter(|| iso.calibrate_batch(black_box(&scores))));
    g.bench_function("apply_platt", |b| b.iter(|| platt.calibrate_batch(black_box(&scores))));
    g.bench_function("apply_binning", |b| b.iter(|| binning.calibrate_batch(black_box(&scores))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
