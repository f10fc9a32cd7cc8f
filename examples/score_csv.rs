//! Fit an ICP propensity model on one CSV and score another.
//!
//! ```sh
//! cargo run --release --example score_csv -- --train TRAIN.csv --target COL [--positive VALUE] \
//!     [--ignore V1,V2] --score NEW.csv --out OUT.csv [--id COL] [--drop COL,COL] [--delimiter ';'] \
//!     [--family auto|rules|logistic|trees|lookalike|hybrid] [--rules FILE.toml] [--log1p] [--keep-flagged]
//! ```
//!
//! OUT has one row per row of NEW, in input order: `id, score, raw, family,
//! tier, reasons` — `score` the calibrated probability, `raw` points or
//! log-odds, `tier` A–D (cut points 3×, 1.5× and 1× the training base
//! rate), `reasons` the top three factors as `code:+0.83;code:-0.41;…`.
//!
//! Before fitting, the data-quality report of TRAIN is printed on stderr;
//! columns it flags `leakage`, `suspect_leakage` or `id_like` are left out of
//! the model unless `--keep-flagged` is given (a column that is the outcome
//! in disguise makes a model that is perfect in training and useless in use).

#[path = "common/mod.rs"]
mod common;

use acctscore::features::quality::{Flag, QualityParams, QualityReport};
use acctscore::frame::Frame;
use acctscore::frame::csv::CsvOptions;
use acctscore::icp::propensity::{FamilyChoice, IcpParams};
use acctscore::icp::rules::RuleSet;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Fit an ICP model on TRAIN and score NEW.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// Training CSV with the target column.
    #[arg(long)]
    train: PathBuf,
    #[command(flatten)]
    target: common::TargetArgs,
    /// CSV to score.
    #[arg(long)]
    score: PathBuf,
    /// Output CSV (written whole: a failed run leaves a previous file as it was).
    #[arg(long)]
    out: PathBuf,
    /// Id column (never a feature); default: the 0-based row number.
    #[arg(long)]
    id: Option<String>,
    /// Columns left out of the model (each must be a column of TRAIN).
    #[arg(long, value_delimiter = ',')]
    drop: Vec<String>,
    /// Field delimiter (default: detected).
    #[arg(long)]
    delimiter: Option<char>,
    /// Model family.
    #[arg(long, default_value = "auto")]
    family: FamilyChoice,
    /// Weighted rules (TOML) for the rules family and auto's fallback.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Transform numbers with signed log1p before standardising (for heavy-tailed columns).
    #[arg(long)]
    log1p: bool,
    /// Keep columns the quality report flags as leakage or id-like.
    #[arg(long)]
    keep_flagged: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("score_csv: {e}");
            ExitCode::FAILURE
        }
    }
}

fn options(delimiter: Option<char>) -> Result<CsvOptions, String> {
    let mut o = CsvOptions::new();
    if let Some(d) = delimiter {
        // An ASCII character only: `é` would pass as the byte 0xE9, which a
        // UTF-8 file never holds alone, and every line would be one field.
        let b =
            u8::try_from(d).ok().filter(u8::is_ascii).ok_or_else(|| format!("delimiter `{d}` is not a single byte"))?;
        o = o.delimiter(b);
    }
    Ok(o)
}

/// A loader's error as one line naming the file (I/O errors name it already).
fn in_file(path: &std::path::Path) -> impl Fn(acctscore::frame::FrameError) -> String + '_ {
    move |e| match e {
        acctscore::frame::FrameError::Io { .. } => e.to_string(),
        other => format!("{}: {other}", path.display()),
    }
}

pub(crate) fn run(args: Args) -> Result<(), common::BoxError> {
    let mut opts = options(args.delimiter)?;
    // The id column is read as written (`000123` stays `000123`), in TRAIN and in NEW.
    if let Some(id) = &args.id {
        opts = opts.id(id.clone());
    }
    let train = Frame::from_csv_path(&args.train, &opts).map_err(in_file(&args.train))?;
    common::columns_exist("--drop", &args.drop, train.names())
        .map_err(|e| format!("{e} (in {})", args.train.display()))?;
    // Read NEW with the kinds inferred on TRAIN, so both agree.
    let mut score_opts = opts.clone();
    for (name, col) in train.names().iter().zip(train.columns()) {
        score_opts = score_opts.kind(name.clone(), col.kind());
    }
    let new = Frame::from_csv_path(&args.score, &score_opts).map_err(in_file(&args.score))?;
    let target = args.target.to_target();
    let labels = target.labels(&train)?;
    let rows: Vec<usize> = (0..train.nrows()).filter(|&i| labels[i].is_some()).collect();
    let y: Vec<bool> = rows.iter().map(|&i| labels[i] == Some(true)).collect();
    let train = train.take(&rows);

    let report = QualityReport::compute(
        &train,
        &common::target(&args.target.target, args.target.positive.as_deref()),
        &QualityParams::default(),
    )?;
    let mut excluded: Vec<String> = vec![args.target.target.clone()];
    excluded.extend(args.drop.iter().cloned());
    excluded.extend(args.id.iter().cloned());
    for c in &report.columns {
        if c.flags.is_empty() || excluded.contains(&c.name) {
            continue;
        }
        let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
        let leaves = !args.keep_flagged
            && c.flags.iter().any(|f| matches!(f, Flag::Leakage | Flag::SuspectLeakage | Flag::IdLike));
        eprintln!(
            "warning: column `{}` flagged {} (auc {:.3}, missing {:.0}%){}",
            c.name,
            flags.join(","),
            c.auc,
            100.0 * c.missing_share,
            if leaves { " — left out of the model" } else { "" }
        );
        if leaves {
            excluded.push(c.name.clone());
        }
    }
    let mut params = IcpParams::new().family(args.family).exclude(&excluded).target_column(&args.target.target);
    if args.log1p {
        use acctscore::features::encode::{NumericTransform, PipelineParams};
        params = params.pipeline(PipelineParams::new().numeric_transform(NumericTransform::Log1pStandardize));
    }
    if let Some(path) = &args.rules {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        params = params.rules(RuleSet::from_toml_str(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let model = params.fit(&train, &y)?;
    for w in model.warnings() {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "fitted {} on {} rows ({} positive), {} features",
        model.choice(),
        y.len(),
        y.iter().filter(|&&b| b).count(),
        model.pipeline().feature_names().len()
    );
    let scores = model.score_frame(&new).map_err(|e| format!("{}: {e}", args.score.display()))?;
    let ids: Vec<String> = match &args.id {
        Some(c) => {
            let col = new.column(c)?;
            (0..new.nrows())
                .map(|i| match col {
                    acctscore::frame::Column::Text(v) => v.get(i).unwrap_or_default().to_string(),
                    acctscore::frame::Column::Categorical(v) => v.get(i).unwrap_or("").to_string(),
                    acctscore::frame::Column::Numeric(v) => v.get(i).map(|x| x.to_string()).unwrap_or_default(),
                    _ => i.to_string(),
                })
                .collect()
        }
        None => (0..new.nrows()).map(|i| i.to_string()).collect(),
    };
    common::to_file_or_stdout(Some(&args.out), |w| {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(["id", "score", "raw", "family", "tier", "reasons"])?;
        for (id, s) in ids.iter().zip(&scores) {
            let reasons: Vec<String> = s
                .explanation
                .factors
                .iter()
                .filter(|f| f.code != acctscore::icp::explain::OTHER_CODE)
                .take(3)
                .map(|f| format!("{}:{:+.2}", f.code, f.contribution))
                .collect();
            w.write_record([
                id.as_str(),
                &s.probability.get().to_string(),
                &s.raw.to_string(),
                model.family().name(),
                &s.tier.to_string(),
                &reasons.join(";"),
            ])?;
        }
        w.flush()?;
        Ok(())
    })?;
    eprintln!("wrote {} rows to {}", scores.len(), args.out.display());
    Ok(())
}
