//! Calibration and metric benchmarks on 1M scores: ROC AUC, average
//! precision, log loss, isotonic fit, and applying fitted calibrators.
//!
//! `cargo bench --bench calibration`
//!
//! Targets (issue 5): AUC, log loss and isotonic fit ≤ 0.1 s each; applying
//! a fitted calibrator to 1M scores ≤ 20 ms.
//!
//! Two groups run the same functions: `calibration_1M` measures wall-clock
//! time; `calibration_1M_cpu` measures the CPU time of all the process's
//! threads (Linux `/proc/self/task/*/schedstat`), which stays meaningful
//! when other jobs share the machine (for the parallel steps it is the total
//! work, an upper bound on their uncontended wall time).
//! `cargo bench --bench calibration -- calibration_1M_cpu` runs one group.

use acctscore::core::numeric::SplitMix64;
use acctscore_calibration::{BinningParams, Calibrator, FitCalibrator, IsotonicParams, PlattParams, metrics};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const N: usize = 1_000_000;

/// Raw log-odds scores (all distinct, as a learned model gives) with labels
/// drawn from a miscalibrated truth `σ(0.7·s − 1)`; and the scores mapped
/// to probabilities by the logistic function.
fn data(n: usize) -> (Vec<f64>, Vec<bool>, Vec<f64>) {
    let mut rng = SplitMix64::new(7);
    let mut scores = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        // sum of uniforms: roughly normal, spread about ±4
        let s = (rng.next_f64() + rng.next_f64() + rng.next_f64() - 1.5) * 3.0;
        scores.push(s);
        labels.push(rng.next_f64() < 1.0 / (1.0 + (-(0.7 * s - 1.0)).exp()));
    }
    let probs = scores.iter().map(|&s| 1.0 / (1.0 + (-s).exp())).collect();
    (scores, labels, probs)
}

fn bench<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let (scores, labels, probs) = data(N);
    let mut g = c.benchmark_group(group);
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
    g.bench_function("apply_isotonic", |b| b.iter(|| iso.calibrate_batch(black_box(&scores))));
    let mut out = vec![0.0; N];
    g.bench_function("apply_isotonic_into_buffer", |b| b.iter(|| iso.calibrate_into(black_box(&scores), &mut out)));
    g.bench_function("apply_platt", |b| b.iter(|| platt.calibrate_batch(black_box(&scores))));
    g.bench_function("apply_binning", |b| b.iter(|| binning.calibrate_batch(black_box(&scores))));
    g.finish();
}

fn wall(c: &mut Criterion<WallTime>) {
    bench(c, "calibration_1M");
}

fn cpu(c: &mut Criterion<CpuTime>) {
    bench(c, "calibration_1M_cpu");
}

/// CPU time (nanoseconds on a CPU) of every thread of this process.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum()
}

/// Criterion measurement of process CPU time.
struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        process_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        process_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds of CPU time like criterion's wall-time formatter.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else if typical < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        for v in values.iter_mut() {
            *v *= factor;
        }
        unit
    }
    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let elems = match *throughput {
            Throughput::Elements(n) => n as f64,
            _ => 1.0,
        };
        for v in values.iter_mut() {
            *v = elems * 1e9 / *v / 1e6;
        }
        "Melem/s cpu"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(benches, wall);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = cpu
}
criterion_main!(benches, cpu_benches);
