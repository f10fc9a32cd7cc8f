//! Data-quality report of a CSV file against a target, before any training:
//! missing shares, cardinality, placeholders, constant and ID-like columns,
//! and single-column out-of-fold AUC with leakage flags.
//!
//! ```sh
//! cargo run --release --example quality_report -- ../shared/data/x_education/leads_train.csv --target Converted
//! cargo run --release --example quality_report -- ../shared/data/bank_marketing/bank_train.csv \
//!     --target y --positive yes --delimiter ';' --json
//! cargo run --release --example quality_report -- ../shared/data/maven_crm/sales_pipeline.csv \
//!     --target deal_stage --positive Won --ignore Engaging,Prospecting
//! ```
//!
//! With `--json`, stdout holds one JSON object with a key `columns`: per
//! column `name`, `kind`, `missing_share`, `cardinality`,
//! `placeholder_share`, `auc` and `flags` (plus the details). Progress and
//! timings go to stderr.

#[path = "common/mod.rs"]
mod common;

use acctscore_features::quality::{QualityParams, QualityReport};
use acctscore_frame::csv::{CsvOptions, load_path};
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

/// Data-quality report of a CSV file against a binary target.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// The CSV file.
    file: String,
    #[command(flatten)]
    target: common::TargetArgs,
    /// Field delimiter (one byte, `\t` for tab); detected when absent.
    #[arg(long)]
    delimiter: Option<String>,
    /// Skip malformed rows (they are counted and reported) instead of failing.
    #[arg(long)]
    skip_bad_rows: bool,
    /// AUC at or above which a column is flagged `leakage` (in [0.5, 1]).
    #[arg(long, default_value_t = 0.90, value_parser = common::auc_threshold)]
    leakage_auc: f64,
    /// AUC at or above which a column is flagged `suspect_leakage` (in
    /// [0.5, 1], at most --leakage-auc).
    #[arg(long, default_value_t = 0.80, value_parser = common::auc_threshold)]
    suspect_auc: f64,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
}

fn delimiter_byte(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 => Ok(s.as_bytes()[0]),
        _ => Err(format!("--delimiter must be one byte, got `{s}`")),
    }
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let mut opts = CsvOptions::new().skip_bad_rows(args.skip_bad_rows);
    if let Some(d) = &args.delimiter {
        opts = opts.delimiter(delimiter_byte(d)?);
    }
    let t0 = Instant::now();
    let load = load_path(&args.file, &opts).map_err(|e| format!("{}: {e}", args.file))?;
    let t_load = t0.elapsed();
    if !load.report.skipped.is_empty() {
        eprintln!("warning: skipped {} malformed rows", load.report.skipped.len());
        for s in load.report.skipped.iter().take(5) {
            eprintln!("  line {}: {}", s.line, s.reason);
        }
    }
    if !load.report.widened.is_empty() {
        eprintln!("note: read as categorical after later rows disagreed: {}", load.report.widened.join(", "));
    }
    let target = args.target.to_target();
    let params = QualityParams::new().leakage_auc(args.leakage_auc).suspect_auc(args.suspect_auc);
    let t1 = Instant::now();
    let report = QualityReport::compute(&load.frame, &target, &params).map_err(|e| e.to_string())?;
    let t_report = t1.elapsed();
    eprintln!(
        "{}: {} rows x {} columns, delimiter {:?}; load {:.3} s, report {:.3} s",
        args.file,
        load.frame.nrows(),
        load.frame.ncols(),
        load.report.delimiter as char,
        t_load.as_secs_f64(),
        t_report.as_secs_f64()
    );
    let json = if args.json { Some(serde_json::to_string(&report).map_err(|e| e.to_string())?) } else { None };
    common::to_stdout(|out| {
        match &json {
            Some(json) => writeln!(out, "{json}")?,
            None => write!(out, "{report}")?,
        }
        Ok(())
    })
    .map_err(|e| e.to_string())
}

/// Checks across options (after parsing): `--suspect-auc` at most `--leakage-auc`.
pub(crate) fn check(args: &Args) -> Result<(), String> {
    common::ordered("--suspect-auc", args.suspect_auc, "--leakage-auc", args.leakage_auc)
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = check(&args) {
        common::usage_error::<Args>(e);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
