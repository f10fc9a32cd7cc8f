//! Logistic regression on an account pool file: fit time, held-out AUC, and
//! an export of exactly the matrix it was fitted on, so that scikit-learn can
//! be fitted on the same numbers (`benches/sklearn_lr_check.py`).
//!
//! ```sh
//! cargo run --release --example lr_check -- /tmp/pool/accounts_1M.csv [--c 1.0] [--export DIR]
//! ```
//!
//! Split: the first 80% of rows train, the last 20% test. Prints
//! `fit_seconds=…`, `iterations=…`, `test_auc=…` and `mean_log_loss=…` on stdout.

use acctscore::core::{Fit, Score};
use acctscore::features::encode::PipelineParams;
use acctscore::icp::logistic::LogisticParams;
use acctscore::pool::{accounts_to_frame, read_accounts_path};
#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Fit the ICP logistic regression on a pool file and report its figures.
#[derive(Parser, Debug)]
pub(crate) struct Args {
    /// accounts.csv of the pool format.
    accounts: PathBuf,
    /// Inverse regularisation strength.
    #[arg(long, default_value_t = 1.0, value_parser = common::positive)]
    c: f64,
    /// Minimum count of a categorical level.
    #[arg(long, default_value_t = 10, value_parser = common::count)]
    min_frequency: usize,
    /// At most this many levels per categorical column (the peer keeps 30).
    #[arg(long, value_parser = common::count)]
    max_levels: Option<usize>,
    /// Write x_train.f64, y_train.u8, x_test.f64, y_test.u8, shape.txt and weights.txt here.
    #[arg(long)]
    export: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lr_check: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `values` to `path` whole, as little-endian f64.
fn write_f64(path: PathBuf, values: impl Iterator<Item = f64>) -> std::io::Result<()> {
    acctscore::core::write_atomic(path, |w| {
        for v in values {
            w.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    })
}

/// Writes `bytes` to `path` whole.
fn write_whole(path: PathBuf, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    acctscore::core::write_atomic(path, |w| w.write_all(bytes.as_ref()))
}

pub(crate) fn run(args: Args) -> Result<(), common::BoxError> {
    let t = Instant::now();
    let accounts = read_accounts_path(&args.accounts)?;
    let labelled: Vec<_> = accounts.into_iter().filter(|a| a.converted.is_some()).collect();
    let split = labelled.len() * 4 / 5;
    let y: Vec<bool> = labelled.iter().map(|a| a.converted == Some(true)).collect();
    let frame = accounts_to_frame(&labelled)?;
    eprintln!("read {} labelled accounts in {:.2?}", labelled.len(), t.elapsed());
    let t = Instant::now();
    let train_frame = accounts_to_frame(&labelled[..split])?;
    let mut pipeline = PipelineParams::new();
    if let Some(m) = args.max_levels {
        pipeline = pipeline.max_levels(m);
    }
    let pipeline = pipeline
        .min_frequency(args.min_frequency)
        .exclude(["account_id", "converted", "monthly_revenue_usd", "job_title_of_contact"])
        .fit(&train_frame)?;
    let x = pipeline.transform(&frame)?;
    let (x_train, x_test) = x.view().split_at(ndarray::Axis(0), split);
    eprintln!("encoded {} × {} in {:.2?}", x.nrows(), x.ncols(), t.elapsed());
    let t = Instant::now();
    let model = LogisticParams::new().c(args.c).fit(x_train, &y[..split])?;
    let fit_seconds = t.elapsed().as_secs_f64();
    let test_scores = model.score_batch(x_test)?;
    let auc = auc(&test_scores, &y[split..]);
    let train_scores = model.score_batch(x_train)?;
    let mean_log_loss = train_scores
        .iter()
        .zip(&y[..split])
        .map(|(&z, &yi)| {
            let m = if yi { -z } else { z };
            m.max(0.0) + (-m.abs()).exp().ln_1p()
        })
        .sum::<f64>()
        / split as f64;
    if let Some(dir) = &args.export {
        std::fs::create_dir_all(dir)?;
        write_f64(dir.join("x_train.f64"), x_train.iter().copied())?;
        write_f64(dir.join("x_test.f64"), x_test.iter().copied())?;
        write_whole(dir.join("y_train.u8"), y[..split].iter().map(|&b| u8::from(b)).collect::<Vec<_>>())?;
        write_whole(dir.join("y_test.u8"), y[split..].iter().map(|&b| u8::from(b)).collect::<Vec<_>>())?;
        write_whole(dir.join("shape.txt"), format!("{} {} {}\n", split, labelled.len() - split, x.ncols()))?;
        let mut w = String::new();
        for v in model.weights().iter().chain(std::iter::once(&model.intercept())) {
            w.push_str(&format!("{v:?}\n"));
        }
        write_whole(dir.join("weights.txt"), w)?;
        eprintln!("exported to {}", dir.display());
    }
    let r = model.report();
    common::to_stdout(|out| {
        writeln!(out, "rows_train={split} features={}", x.ncols())?;
        writeln!(out, "iterations={} converged={} gradient_max={:e}", r.iterations, r.converged, r.gradient_max)?;
        writeln!(out, "mean_log_loss={mean_log_loss:.10}")?;
        writeln!(out, "test_auc={auc:.6}")?;
        writeln!(out, "fit_seconds={fit_seconds:.4}")?;
        Ok(())
    })
}

/// Rank AUC with ties counted as one half.
fn auc(scores: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|&k| y[idx[k]]).count() as f64 * avg;
        i = j + 1;
    }
    let pos = y.iter().filter(|&&b| b).count() as f64;
    let neg = y.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}
