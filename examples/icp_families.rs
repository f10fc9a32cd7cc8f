//! Compares the ICP model families on one CSV file, split by file order
//! (first 80% of rows train, last 20% test), and prints one JSON line with
//! each family's test AUC and fit time.
//!
//! ```sh
//! cargo run --release --example icp_families -- FILE --target COL [--positive 1] \
//!     [--delimiter ';'] [--drop A,B] [--trees 100] [--depth 5] [--min-frequency 10] [--k 8] [--rules-out MINED.toml] \
//!     [--rules GIVEN.toml] [--only-trees]
//! ```
//!
//! Families: gradient-boosted trees, look-alike, logistic regression (C = 1)
//! and mined rules (points), and the rules of `--rules` when given (a rule
//! on the target is refused; a level the training rows lack is a warning
//! on stderr). Features: the features crate's pipeline with
//! plain standardisation and one-hot levels of at least 10 rows, as
//! scikit-learn's reference in `../shared/bench/sk_split_baseline.py`.

use acctscore::calibration::metrics::roc_auc;
use acctscore::core::{Fit, Score};
use acctscore::features::encode::{NumericTransform, PipelineParams};
use acctscore::features::quality::{Flag, QualityParams, QualityReport};
use acctscore::frame::Frame;
use acctscore::frame::csv::{CsvOptions, load_path};
use acctscore::icp::logistic::LogisticParams;
use acctscore::icp::lookalike::LookalikeParams;
use acctscore::icp::mining::MiningParams;
use acctscore::icp::rules::RuleSet;
use acctscore::icp::trees::GbdtParams;
#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

/// Compare the ICP families on one CSV file.
#[derive(Parser, Debug)]
pub(crate) struct Args {
    /// The CSV file.
    file: String,
    /// Target column.
    #[arg(long)]
    target: String,
    /// Target value that counts as positive (default `1`; needed when the
    /// target has more than two values).
    #[arg(long)]
    positive: Option<String>,
    /// Field delimiter (default: detected).
    #[arg(long, value_parser = single_byte)]
    delimiter: Option<u8>,
    /// Columns left out.
    #[arg(long, value_delimiter = ',')]
    drop: Vec<String>,
    /// Boosted trees.
    #[arg(long, default_value_t = 100, value_parser = common::count)]
    trees: usize,
    /// Tree depth.
    #[arg(long, default_value_t = 5, value_parser = |s: &str| common::count_in(s, 1, 64))]
    depth: usize,
    /// Minimum count of a categorical level.
    #[arg(long, default_value_t = 10, value_parser = common::count)]
    min_frequency: usize,
    /// Look-alike centroids.
    #[arg(long, default_value_t = 8, value_parser = common::count)]
    k: usize,
    /// Write the mined rules here (TOML).
    #[arg(long)]
    rules_out: Option<String>,
    /// Also score these weighted rules (TOML) as the family `given_rules`.
    #[arg(long)]
    rules: Option<String>,
    /// Fit the trees only.
    #[arg(long)]
    only_trees: bool,
}

fn single_byte(s: &str) -> Result<u8, String> {
    match s.as_bytes() {
        [b] => Ok(*b),
        _ => Err(format!("`{s}` is not a single-byte delimiter")),
    }
}

fn labels(frame: &Frame, target: &str, positive: Option<&str>) -> Result<Vec<bool>, String> {
    let labels = common::target(target, positive).labels(frame).map_err(|e| e.to_string())?;
    Ok(labels.into_iter().map(|l| l == Some(true)).collect())
}

pub(crate) fn run(a: Args) -> Result<(), String> {
    let mut opts = CsvOptions::new();
    if let Some(d) = a.delimiter {
        opts = opts.delimiter(d);
    }
    let t0 = Instant::now();
    let load = load_path(&a.file, &opts).map_err(|e| e.to_string())?;
    let frame = load.frame;
    common::columns_exist("--drop", &a.drop, frame.names()).map_err(|e| format!("{e} (in {})", a.file))?;
    let load_s = t0.elapsed().as_secs_f64();
    let y = labels(&frame, &a.target, a.positive.as_deref())?;
    let n = frame.nrows();
    let n_train = n * 8 / 10;
    let mask: Vec<bool> = (0..n).map(|i| i < n_train).collect();
    let inverse: Vec<bool> = mask.iter().map(|m| !m).collect();
    let train = frame.filter_rows(&mask).map_err(|e| e.to_string())?;
    let test = frame.filter_rows(&inverse).map_err(|e| e.to_string())?;
    let (ytr, yte) = y.split_at(n_train);
    let mut exclude = a.drop.clone();
    exclude.push(a.target.clone());
    // Leave out what the quality report flags as (suspected) leakage on the training rows.
    let report = QualityReport::compute(
        &train.without(&a.drop.iter().map(String::as_str).collect::<Vec<_>>()),
        &common::target(&a.target, a.positive.as_deref()),
        &QualityParams::default(),
    )
    .map_err(|e| e.to_string())?;
    let mut leaky: Vec<String> = Vec::new();
    for flag in [Flag::Leakage, Flag::SuspectLeakage] {
        leaky.extend(report.flagged(flag).into_iter().filter(|c| *c != a.target).map(String::from));
    }
    if !leaky.is_empty() {
        eprintln!("dropping columns flagged leakage/suspect_leakage: {}", leaky.join(", "));
    }
    exclude.extend(leaky.iter().cloned());
    let t0 = Instant::now();
    let pipeline = PipelineParams::new()
        .numeric_transform(NumericTransform::Standardize)
        .min_frequency(a.min_frequency)
        .exclude(&exclude)
        .fit(&train)
        .map_err(|e| e.to_string())?;
    let xtr = pipeline.transform(&train).map_err(|e| e.to_string())?;
    let xte = pipeline.transform(&test).map_err(|e| e.to_string())?;
    let encode_s = t0.elapsed().as_secs_f64();
    eprintln!(
        "{} train × {} features, {} test rows; load {load_s:.2}s, encode {encode_s:.2}s",
        n_train,
        xtr.ncols(),
        n - n_train
    );
    let mut out = serde_json::Map::new();
    out.insert("file".into(), a.file.clone().into());
    out.insert("train_rows".into(), n_train.into());
    out.insert("test_rows".into(), (n - n_train).into());
    out.insert("features".into(), xtr.ncols().into());
    out.insert("dropped_leaky".into(), leaky.clone().into());
    out.insert("threads".into(), rayon_threads().into());
    let mut record = |name: &str, fit_s: f64, scores: Vec<f64>| -> Result<(), String> {
        let auc = roc_auc(&scores, yte).map_err(|e| e.to_string())?;
        eprintln!("{name:<10} AUC {auc:.4}  fit {fit_s:.3}s");
        out.insert(format!("{name}_auc"), ((auc * 1e4).round() / 1e4).into());
        out.insert(format!("{name}_fit_s"), ((fit_s * 1e3).round() / 1e3).into());
        Ok(())
    };

    let t0 = Instant::now();
    let gbdt = GbdtParams::new().n_trees(a.trees).max_depth(a.depth).fit(xtr.view(), ytr).map_err(|e| e.to_string())?;
    let fit_s = t0.elapsed().as_secs_f64();
    record("gbdt", fit_s, gbdt.score_batch(xte.view()).map_err(|e| e.to_string())?)?;

    if !a.only_trees {
        let t0 = Instant::now();
        let look = LookalikeParams::new().k(a.k).fit(xtr.view(), ytr).map_err(|e| e.to_string())?;
        let fit_s = t0.elapsed().as_secs_f64();
        record("lookalike", fit_s, look.score_batch(xte.view()).map_err(|e| e.to_string())?)?;

        let t0 = Instant::now();
        let lr = LogisticParams::new().fit(xtr.view(), ytr).map_err(|e| e.to_string())?;
        let fit_s = t0.elapsed().as_secs_f64();
        record("logistic", fit_s, lr.score_batch(xte.view()).map_err(|e| e.to_string())?)?;

        let t0 = Instant::now();
        let mined = MiningParams::new().exclude(&exclude).mine(&train, ytr).map_err(|e| e.to_string())?;
        let fit_s = t0.elapsed().as_secs_f64();
        if let Some(path) = &a.rules_out {
            let text = mined.rules().to_toml_string().map_err(|e| e.to_string())?;
            acctscore::core::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(|e| e.to_string())?;
        }
        let bound = mined.rules().bind(&test).map_err(|e| e.to_string())?;
        let points: Vec<f64> = (0..test.nrows()).map(|i| bound.points(i)).collect();
        eprintln!(
            "mined {} rules from {} columns",
            mined.rules().rules().len(),
            mined.columns().iter().filter(|c| c.selected).count()
        );
        eprintln!("  scorecard intercept {:.3}", mined.intercept());
        let mut by_iv: Vec<_> = mined.columns().iter().collect();
        by_iv.sort_by(|p, q| q.information_value.total_cmp(&p.information_value));
        for c in by_iv.iter().take(8) {
            eprintln!("  IV {:.3} β {:.2} {}", c.information_value, c.coefficient, c.column);
        }
        record("mined_rules", fit_s, points)?;
    }
    if let Some(path) = &a.rules {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let given = RuleSet::from_toml_str(&text).map_err(|e| format!("{path}: {e}"))?;
        given.check_target(&a.target).map_err(|e| format!("{path}: {e}"))?;
        for w in given.unseen_levels(&train) {
            eprintln!("warning: {path}: {w}");
        }
        let t0 = Instant::now();
        let bound = given.bind(&test).map_err(|e| format!("{path}: {e}"))?;
        let points: Vec<f64> = (0..test.nrows()).map(|i| bound.points(i)).collect();
        record("given_rules", t0.elapsed().as_secs_f64(), points)?;
    }
    let json = serde_json::Value::Object(out);
    common::to_stdout(|o| Ok(writeln!(o, "{json}")?)).map_err(|e| e.to_string())
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("icp_families: {e}");
            ExitCode::FAILURE
        }
    }
}
