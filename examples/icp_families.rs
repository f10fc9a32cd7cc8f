//! Compares the ICP model families on one CSV file, split by file order
//! (first 80% of rows train, last 20% test), and prints one JSON line with
//! each family's test AUC and fit time.
//!
//! ```sh
//! cargo run --release --example icp_families -- FILE --target COL [--positive 1] \
//!     [--delimiter ';'] [--drop A,B] [--trees 100] [--depth 5] [--min-frequency 10] [--k 8] [--rules-out MINED.toml] [--only-trees]
//! ```
//!
//! Families: gradient-boosted trees, look-alike, logistic regression (C = 1)
//! and mined rules (points). Features: the features crate's pipeline with
//! plain standardisation and one-hot levels of at least 10 rows, as
//! scikit-learn's reference in `../shared/bench/sk_split_baseline.py`.

use acctscore::calibration::metrics::roc_auc;
use acctscore::core::{Fit, Score};
use acctscore::features::csv::{CsvOptions, load_path};
use acctscore::features::encode::{NumericTransform, PipelineParams};
use acctscore::features::quality::{Flag, QualityParams, QualityReport, Target};
use acctscore::features::{Column, Frame};
use acctscore::icp::logistic::LogisticParams;
use acctscore::icp::lookalike::LookalikeParams;
use acctscore::icp::mining::MiningParams;
use acctscore::icp::trees::GbdtParams;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    file: String,
    target: String,
    positive: String,
    delimiter: Option<u8>,
    drop: Vec<String>,
    trees: usize,
    depth: usize,
    min_frequency: usize,
    k: usize,
    rules_out: Option<String>,
    only_trees: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        file: String::new(),
        target: String::new(),
        positive: "1".into(),
        delimiter: None,
        drop: Vec::new(),
        trees: 100,
        depth: 5,
        min_frequency: 10,
        k: 8,
        rules_out: None,
        only_trees: false,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--target" => a.target = value("--target")?,
            "--positive" => a.positive = value("--positive")?,
            "--delimiter" => {
                let d = value("--delimiter")?;
                a.delimiter = Some(*d.as_bytes().first().ok_or("empty --delimiter")?);
            }
            "--drop" => a.drop = value("--drop")?.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
            "--trees" => a.trees = value("--trees")?.parse().map_err(|e| format!("--trees: {e}"))?,
            "--depth" => a.depth = value("--depth")?.parse().map_err(|e| format!("--depth: {e}"))?,
            "--min-frequency" => {
                a.min_frequency = value("--min-frequency")?.parse().map_err(|e| format!("--min-frequency: {e}"))?
            }
            "--k" => a.k = value("--k")?.parse().map_err(|e| format!("--k: {e}"))?,
            "--rules-out" => a.rules_out = Some(value("--rules-out")?),
            "--only-trees" => a.only_trees = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => a.file = s.to_string(),
        }
    }
    if a.file.is_empty() || a.target.is_empty() {
        return Err("usage: icp_families FILE --target COL [--positive V] [--delimiter D] [--drop A,B]".into());
    }
    Ok(a)
}

fn labels(frame: &Frame, target: &str, positive: &str) -> Result<Vec<bool>, String> {
    let col = frame.column(target).map_err(|e| e.to_string())?;
    let pos_num: Option<f64> = positive.parse().ok();
    let pos_bool = match positive.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Some(true),
        "no" | "false" | "0" => Some(false),
        _ => None,
    };
    Ok(match col {
        Column::Numeric(v) => v.iter().map(|x| x.is_some() && *x == pos_num).collect(),
        Column::Boolean(v) => v.iter().map(|x| x.is_some() && *x == pos_bool).collect(),
        Column::Categorical(c) => (0..c.len()).map(|i| c.get(i) == Some(positive)).collect(),
        Column::Text(v) => v.iter().map(|x| x.as_deref() == Some(positive)).collect(),
        _ => return Err(format!("target column {target} has an unsupported kind")),
    })
}

fn run() -> Result<(), String> {
    let a = parse_args()?;
    let mut opts = CsvOptions::new();
    if let Some(d) = a.delimiter {
        opts = opts.delimiter(d);
    }
    let t0 = Instant::now();
    let load = load_path(&a.file, &opts).map_err(|e| e.to_string())?;
    let frame = load.frame;
    let load_s = t0.elapsed().as_secs_f64();
    let y = labels(&frame, &a.target, &a.positive)?;
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
        &Target::new(&a.target).positive(&a.positive),
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
            std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
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
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("icp_families: {e}");
            ExitCode::FAILURE
        }
    }
}
